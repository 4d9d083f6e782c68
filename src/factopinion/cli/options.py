"""Options shared by several commands, as decorators (sqlite-utils style), and the model they name."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..model import Model


FORMAT_HELP = {
    "table": "a readable table",
    "json": "one JSON document",
    "nl": "newline-delimited JSON, one object per sentence",
    "csv": "CSV with a header row",
    "tsv": "TSV with a header row",
}


def output_options(*formats: str, default: str = "table"):
    """sqlite-utils style output flags (``--table``, ``--json``, ``--nl``, ``--csv``, ``--tsv``), passed to the
    command as ``fmt``; two of them together are a usage error."""

    def decorator(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            chosen = [fmt for fmt in formats if kwargs.pop(f"as_{fmt}")]
            if len(chosen) > 1:
                raise click.UsageError(f"choose one output format, not {' and '.join('--' + c for c in chosen)}")
            click.get_current_context().meta["format_given"] = chosen[0] if chosen else None
            return function(*args, fmt=chosen[0] if chosen else default, **kwargs)

        for fmt in reversed(formats):
            note = " (default)" if fmt == default else ""
            wrapper = click.option(f"--{fmt}", f"as_{fmt}", is_flag=True, help=f"Output {FORMAT_HELP[fmt]}{note}.")(
                wrapper
            )
        return wrapper

    return decorator


def model_path_option(function):
    """``--model`` and ``--trust-model-code``, passed to the command as ``model_path`` and ``trust_model_code``."""
    function = click.option(
        "--trust-model-code",
        is_flag=True,
        help="Let --model load a pickled scikit-learn model (.joblib). Unpickling runs any code the file holds, "
        "with your permissions: only for files you made or trust.",
    )(function)
    return click.option(
        "--model",
        "model_path",
        type=click.Path(exists=True, path_type=Path),
        help="A trained model folder or its model.json (plain data, safe to load). Default: the bundled model.",
    )(function)


def _threshold(ctx, param, value: float) -> float:
    if value != value:  # NaN passes FloatRange
        raise click.BadParameter("must be a number between 0 and 1, not nan")
    return value


def model_options(function):
    function = click.option(
        "--threshold",
        type=click.FloatRange(0.0, 1.0),
        default=0.5,
        show_default=True,
        callback=_threshold,
        help="Opinion probability at or above which a sentence is labeled opinion.",
    )(function)
    return model_path_option(function)


force_option = click.option("--force", is_flag=True, help="Replace an existing output file.")


def get_model(model_path: Path | None, trust_model_code: bool = False) -> Model:
    from ..bundled import load_model

    return load_model(
        model_path,
        trust_code=trust_model_code,
        notify=lambda message: click.echo(f"factopinion: {message}", err=True),
    )


text_column_option = click.option(
    "--text-column", help="The column holding the sentences (default: text, else sentence)."
)
label_column_option = click.option(
    "--label-column", default="label", show_default=True, help="The column holding the gold labels."
)
quoting_option = click.option(
    "--quoting",
    type=click.Choice(["auto", "csv", "none"]),
    default="auto",
    show_default=True,
    help="How quotes are read: csv (as in CSV), none (taken literally, as in CheckThat! TSV), or auto: CSV with "
    "quotes; TSV with quotes only where every quote sits in a properly quoted field and no quoted cell spans lines "
    "that would each be a row.",
)
