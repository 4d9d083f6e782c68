"""The ``factopinion`` command line: a thin layer over the Python API.

Only Click is imported up front; each command imports what it needs, so ``--help`` and shell completion start
in a blink. Every error meant for a user (``FactopinionError``) and every ``OSError`` becomes one line on standard
error with its exit code, in one place: ``core.Command.invoke``.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..errors import FactopinionError
from .core import CONTEXT_SETTINGS, Group, one_line, own_stdout
from .evaluate import evaluate
from .label import label
from .model import model_group
from .report import report
from .score import score
from .serve import serve
from .train import train


@click.group(cls=Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="factopinion")
def cli():
    """Tell reported fact from editorial opinion in news text, sentence by sentence.

    "fact" means a reported, attributable statement (what happened, who said what), not a true one;
    "opinion" is the author's own judgement, recommendation, prediction or rhetorical question.
    """


for command in (score, train, evaluate, label, report, model_group, serve):
    cli.add_command(command)


# Arrow's allocator for the command (pyarrow reads it when it first allocates; a value the user set is kept): the
# system's, which gives memory back as it is freed, where Arrow's default (mimalloc) keeps what a run touched: a
# Parquet file labeled at the default settings took some 70 MiB more (bench/batch.py), at the same speed.
ARROW_POOL = ("ARROW_DEFAULT_MEMORY_POOL", "system")


def main(args=None, prog_name: str | None = None) -> None:
    """Console-script entry point."""
    os.environ.setdefault(*ARROW_POOL)
    own_stdout()
    try:
        cli.main(args=args, prog_name=prog_name or "factopinion")
    except FactopinionError as err:  # outside a command: writing --help or --version
        click.echo(f"Error: {one_line(str(err))}", err=True)
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
