"""``factopinion label``: label every row of a table, or of many tables into a folder."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from ..errors import OutputExists
from ..tables.registry import FORMATS, formats_listed
from .core import Command, one_line
from .options import get_model, model_options, quoting_option, text_column_option
from .progress import batch_progress, files_progress

if TYPE_CHECKING:
    from ..labeling.batch import BatchOptions
    from ..labeling.files import RunSummary
    from ..model import Model


# The command's help (its table formats are the registry's).
HELP = """Label every row of a table fact or opinion, keeping every input column unchanged.

    INPUT is a {formats} file, gzipped (.gz) or not, or '-' for
    standard input. Adds the columns label and opinion_probability (empty for an empty cell); with
    --sentences, one row per sentence with row, sentence_index, start, end and sentence too, and every input
    column but the text column (the sentence and its row number stand in for it; --keep chooses); with --documents,
    one row per input row with sentences, opinion_sentences, opinion_share and mean_opinion_probability
    instead; and language, each cell's (ISO 639-1 code; "unknown" for a text too short to tell). A row in
    another language than --languages is left unscored (empty label), counted in the summary. OUTPUT is written
    atomically: an interrupted run leaves no file behind.

    With --output-dir, many INPUTs are labeled, each to DIR/NAME as it would be alone, one after another here or
    in parallel on a Dask cluster (--dask); a file that fails is reported and the others finish.

    \b
    Examples:
      factopinion label articles.csv -o labeled.csv
      factopinion label articles.jsonl.gz --documents --keep id,title -o scores.parquet
      factopinion label answers.tsv --text-column answer --sentences -o sentences.tsv
      factopinion label pages.parquet --documents --html-column html -o pages-scored.parquet
      cat export.csv | factopinion label - --column label=voice | head
      factopinion label 'archive/*.csv' --output-dir labeled/ --resume
      factopinion label archive/ --output-dir labeled/ --dask tcp://scheduler:8786
    """


def column_names(renames: tuple[str, ...]) -> dict[str, str]:
    """``("label=verdict", ...)`` as ``{"label": "verdict"}``; which FIELDs exist is the batch options' to say."""
    names = {}
    for item in renames:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"expected FIELD=NAME, got {item!r}", param_hint="--column")
        names[key] = value
    return names


def keep_columns(value: str | None) -> tuple[str, ...] | None:
    """``--keep "id,title"`` as ``("id", "title")``; ``--keep ""`` keeps no input column."""
    if value is None:
        return None
    return tuple(name.strip() for name in value.split(",") if name.strip())


@click.command(cls=Command, help=HELP.format(formats=formats_listed("or", suffixes=True)))
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option("-o", "--output", metavar="OUTPUT", help="Output file ('-': stdout, the default).")
@click.option(
    "--output-dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Label every INPUT into DIR, one output each with the input's name and format. INPUTs may then be "
    f"files, globs and folders (a folder: every {formats_listed('and')} file in it, gzipped or not).",
)
@text_column_option
@click.option("--sentences", is_flag=True, help="Split each cell into sentences: one output row per sentence.")
@click.option(
    "--documents",
    is_flag=True,
    help="Score each cell as a document: its sentences, opinion sentences, opinion share and mean opinion "
    "probability, one output row per input row.",
)
@click.option(
    "--keep",
    metavar="COLUMNS",
    help="With --sentences or --documents: write only these input columns (comma-separated; '' for none), "
    "in input order. Default: every column, except the text column with --sentences.",
)
@click.option(
    "--format",
    "table_format",
    type=click.Choice(list(FORMATS)),
    help="INPUT's format (default: from its extension, else CSV). OUTPUT's format is its extension's, else "
    f"INPUT's (CSV for {formats_listed('or', text=False)}); .gz compresses the text formats.",
)
@click.option(
    "--html-column",
    metavar="COLUMN",
    help="With --documents: COLUMN holds raw HTML pages; each page's main text is extracted and scored.",
)
@click.option(
    "--delimiter",
    help="Field delimiter ('tab' or '\\t' for tab). Default: tab for TSV (.tsv/.tab; for stdin, OUTPUT's), else comma.",
)
@click.option("--encoding", default="utf-8", show_default=True, help="Input (and output) encoding; a BOM is fine.")
@quoting_option
@click.option(
    "--column",
    "renames",
    multiple=True,
    metavar="FIELD=NAME",
    help="Name an added column, e.g. --column label=verdict; repeatable. FIELDs: label, opinion_probability; "
    "with --sentences row, sentence_index, start, end, sentence, label, opinion_probability; with --documents "
    "sentences, opinion_sentences, opinion_share, mean_opinion_probability.",
)
@click.option(
    "--languages",
    metavar="CODES",
    default="en",
    show_default=True,
    help="Score rows in these languages (ISO 639-1 codes, comma-separated) and rows too short to tell; leave the "
    "others unscored, their label empty. The model is trained on English news only.",
)
@click.option(
    "--score-any-language",
    is_flag=True,
    help="Score every row whatever its language; the summary warns about the rows not in English.",
)
@click.option("--replace-columns", is_flag=True, help="Overwrite input columns that have an added column's name.")
@click.option("--skip-bad-rows", is_flag=True, help="Skip malformed rows (reported on stderr) instead of stopping.")
@click.option(
    "--pad-short-rows",
    is_flag=True,
    help="Read a CSV/TSV row short of trailing fields (as in CheckThat! files, which evaluate reads) with them "
    "empty: the output row is the input row, then the delimiters of the missing fields, then the added ones.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing OUTPUT file (with --output-dir: any output).")
@click.option(
    "--resume",
    is_flag=True,
    help="With --output-dir: skip the inputs whose output is complete (its .NAME.done manifest matches the "
    "input and options), relabel the others.",
)
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: every core).")
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=4000,
    show_default=True,
    help="Rows per chunk at most (a chunk also ends at 1 MiB of input, so memory follows bytes).",
)
@click.option(
    "--max-cell",
    type=click.IntRange(min=1),
    metavar="CHARACTERS",
    help="The longest cell read (a JSON Lines row: the whole row), in characters; a longer one is a bad row "
    "(see --skip-bad-rows). Default 1,048,576: memory grows with it, some 20-45 bytes per character of the longest "
    "cells.",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="local|ADDRESS",
    help="With --output-dir: label the files on a Dask cluster, one task per file: 'local' starts one on this "
    "machine, else the scheduler's address (tcp://HOST:8786). Needs: pip install 'factopinion[dask]'.",
)
@click.option(
    "--dask-workers", type=click.IntRange(min=1), help="Worker processes of --dask local (default: every core)."
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="With --dask: times a failed task is retried (an error in the file itself is reported at once).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, summary line or advice.")
@model_options
def label(inputs, output, output_dir, text_column, sentences, documents, keep, table_format, html_column, delimiter,
          encoding, quoting, renames, languages, score_any_language, replace_columns, skip_bad_rows, pad_short_rows,
          force, resume, jobs, chunk_size, max_cell, dask_address, dask_workers, retries, quiet, model_path,
          trust_model_code, threshold):  # fmt: skip
    """``factopinion label``: its help is ``HELP``."""
    from ..tables.csvstream import delimiter_for

    ctx = click.get_current_context()
    if output_dir is None and table_format is None and delimiter is None and _are_articles(inputs):
        given = [name for name, value in (("--text-column", text_column), ("--html-column", html_column),
                                          ("--keep", keep), ("--column", renames)) if value]  # fmt: skip
        if given:
            raise click.UsageError(f"{given[0]} is for tables; articles have no columns")
        _label_articles(inputs, output, sentences, force, quiet, load=functools.partial(get_model, model_path,
                        trust_model_code), threshold=threshold, languages=_languages(ctx, languages,
                        score_any_language))  # fmt: skip
        return
    delimiter = delimiter_for("", delimiter) if delimiter else None
    kept, renamed = keep_columns(keep), column_names(renames)
    if output_dir is not None:
        _check_many_options(ctx, output, force, resume, jobs, dask_address, dask_workers)
    else:
        _check_single_options(ctx, inputs, resume, dask_address, dask_workers)
        param = next(p for p in ctx.command.params if p.name == "inputs")
        click.Path(exists=True, dir_okay=False, allow_dash=True).convert(inputs[0], param, ctx)
    from ..labeling.batch import BatchOptions

    options = BatchOptions(
        text_column=text_column,
        sentences=sentences,
        documents=documents,
        keep=kept,
        format=table_format,
        html_column=html_column,
        threshold=threshold,
        delimiter=delimiter,
        encoding=encoding,
        quoting=quoting,
        column_names=renamed,
        replace_columns=replace_columns,
        languages=_languages(ctx, languages, score_any_language),
        skip_bad_rows=skip_bad_rows,
        pad_short_rows=pad_short_rows,
        chunk_rows=chunk_size,
        jobs=jobs or 0,
        max_cell=max_cell,
    )
    load = functools.partial(get_model, model_path, trust_model_code)
    if output_dir is not None:
        _label_many(inputs, options, _ManyFiles(output_dir, force, resume, dask_address, dask_workers, retries, quiet),
                    load)  # fmt: skip
        return
    from ..atomic import check_writable
    from ..labeling.batch import label_file

    source: Path | BinaryIO = sys.stdin.buffer if inputs[0] == "-" else Path(inputs[0])
    output = output or "-"
    destination: str | BinaryIO = sys.stdout.buffer if output == "-" else output  # a str keeps a trailing "/"
    if isinstance(destination, str):
        check_writable(destination, overwrite=force)
        _check_table_name(destination)
    model = load()
    notify = None if quiet else (lambda message: click.echo(f"factopinion: {message}", err=True))
    # on a terminal that shows the output too, no progress bar over it
    covered = destination is sys.stdout.buffer and sys.stdout.isatty()
    with batch_progress(source, quiet or covered) as progress:
        summary = label_file(source, destination, model, options, overwrite=force, progress=progress, notify=notify)
    if summary.skipped:
        click.echo(f"factopinion: {summary.skipped_line()}", err=True)
    if warning := summary.not_english_line():
        click.echo(f"factopinion: {warning}", err=True)
    if not quiet:
        click.echo(f"factopinion: {summary.line()}", err=True)


def _languages(ctx: click.Context, languages: str, score_any_language: bool) -> tuple[str, ...] | None:
    """The languages to score (None: any), from --languages and --score-any-language."""
    from click.core import ParameterSource

    if score_any_language:
        if ctx.get_parameter_source("languages") is not ParameterSource.DEFAULT:
            raise click.UsageError("give --languages or --score-any-language, not both")
        return None
    return tuple(code.strip().lower() for code in languages.split(",") if code.strip())


def _are_articles(inputs: tuple[str, ...]) -> bool:
    """Whether every INPUT is an article (``labeling.articles``): a .txt, .md or .html file (gzipped or not), a
    glob of them, or a folder holding articles (without --output-dir, a folder is never one table)."""
    from ..labeling.articles import is_article_name, kind_of

    for name in inputs:
        path = Path(name)
        if name != "-" and path.is_dir():
            try:
                names = [entry.name for entry in path.iterdir()]
            except OSError:
                return False
            if not any(map(is_article_name, names)):
                return False
        elif name == "-" or kind_of(name) is None:
            return False
    return True


def _label_articles(inputs, output: str | None, sentences: bool, force: bool, quiet: bool, *, load: Callable[[], Model],
                    threshold: float, languages: tuple[str, ...] | None) -> None:  # fmt: skip
    """``label ARTICLES... --documents`` (the default for articles) or ``--sentences``: one table of them all."""
    from ..atomic import check_writable
    from ..labeling.articles import find_articles, label_articles
    from ..reports.files import write_table

    paths = find_articles(inputs)
    if output not in (None, "-"):
        check_writable(output, overwrite=force)
        _check_table_name(output)
    model = load()
    show = not quiet and sys.stderr.isatty()
    with click.progressbar(length=len(paths), label="labeling articles", file=sys.stderr, show_pos=True) if show else (
        contextlib.nullcontext()
    ) as bar:  # fmt: skip
        run = label_articles(paths, model, sentences=sentences, threshold=threshold, languages=languages,
                             progress=(lambda path: bar.update(1)) if bar is not None else None)  # fmt: skip
    frame = run.frame(sentences)
    if output in (None, "-"):
        sys.stdout.write(frame.to_csv(index=False, lineterminator="\n"))
    else:
        write_table(frame, output, overwrite=force)
    for failure in run.failures:
        click.echo(f"factopinion: {failure.message}", err=True)
    if not quiet:
        click.echo(f"factopinion: {run.line()}", err=True)
    if run.failures:
        raise SystemExit(1)


# Output names that look like a format factopinion does not write: refused rather than filled with CSV.
_NOT_WRITTEN = {".json": "JSON Lines (.jsonl)", ".xlsx": "CSV", ".xls": "CSV", ".ods": "CSV", ".xml": "CSV"}


def _check_table_name(output: str) -> None:
    """A usage error for an output named as a format ``label`` does not write (out.json, out.xlsx)."""
    suffix = Path(output.lower().removesuffix(".gz")).suffix
    if suffix in _NOT_WRITTEN:
        raise click.BadParameter(
            f"label does not write {suffix} files; name it for {_NOT_WRITTEN[suffix]}, or another of "
            f"{formats_listed('or', suffixes=True)}",
            param_hint="-o",
        )


def _check_single_options(ctx: click.Context, inputs, resume, dask_address, dask_workers) -> None:
    if len(inputs) > 1:
        raise click.UsageError("several INPUTs need --output-dir DIR (one output file per input)")
    given = [name for name, value in (("--resume", resume), ("--dask", dask_address)) if value]
    given += ["--dask-workers"] if dask_workers is not None else []
    from click.core import ParameterSource

    if ctx.get_parameter_source("retries") is not ParameterSource.DEFAULT:
        given.append("--retries")
    if given:
        raise click.UsageError(f"{given[0]} needs --output-dir DIR")


def _check_many_options(ctx: click.Context, output, force, resume, jobs, dask_address, dask_workers) -> None:
    from click.core import ParameterSource

    if output is not None:
        raise click.UsageError("give -o/--output for one INPUT or --output-dir for many, not both")
    if force and resume:
        raise click.UsageError("give --force (relabel every input) or --resume (skip complete outputs), not both")
    if dask_workers is not None and dask_address != "local":
        raise click.UsageError("--dask-workers is for --dask local")
    if jobs is not None and dask_address:
        raise click.UsageError("--jobs is for a run on this machine: on Dask, each file is labeled by one worker")
    if not dask_address and ctx.get_parameter_source("retries") is not ParameterSource.DEFAULT:
        raise click.UsageError("--retries is for --dask")


@dataclass(frozen=True)
class _ManyFiles:
    """``label --output-dir DIR``: where the outputs go, which of them to redo, and where to label (here, or on
    the Dask cluster at ``dask_address``)."""

    output_dir: Path
    force: bool
    resume: bool
    dask_address: str | None
    dask_workers: int | None
    retries: int
    quiet: bool


def _label_many(inputs, options: BatchOptions, many: _ManyFiles, load: Callable[[], Model]) -> None:
    """``label --output-dir``: every input to DIR/NAME, here (one file after another) or on Dask."""
    from ..errors import DataError

    click.get_current_context().meta["interrupted"] = functools.partial(_files_left, inputs, many.output_dir)
    try:
        summary = _run_many(inputs, options, many, load)
    except OutputExists as err:
        message = f"{one_line(str(err))} (use --resume to skip complete outputs, or --force to relabel every input)"
        raise click.ClickException(message) from None
    for note in summary.notes():
        click.echo(f"factopinion: {note}", err=True)
    if not many.quiet:
        click.echo(f"factopinion: {summary.line()}", err=True)
    if summary.failed:
        total = len(summary.failed) + len(summary.done)
        raise DataError(f"{len(summary.failed):,} of {total:,} files failed; their outputs were not written")


def _files_left(inputs, output_dir: Path) -> str:
    """What an interrupted ``--output-dir`` run leaves: its complete outputs (those with a manifest) of all."""
    from ..labeling.files import find_inputs, manifest_path

    names = [path.name for path in find_inputs(inputs)]
    complete = sum(manifest_path(output_dir / name).exists() for name in names)
    if not complete:
        return "no output complete; the outputs being written were removed"
    return f"{complete:,} of {len(names):,} files complete; rerun with --resume"


def _run_many(inputs, options: BatchOptions, many: _ManyFiles, load: Callable[[], Model]) -> RunSummary:
    if many.dask_address:
        from ..labeling.dask import label_files as label_on_dask  # first: without Dask, fail before loading the model
    model = load()
    terminal = not many.quiet and sys.stderr.isatty()
    if many.dask_address:
        return label_on_dask(inputs, many.output_dir, many.dask_address, model=model, workers=many.dask_workers,
                             retries=many.retries, resume=many.resume, force=many.force, progress=terminal,
                             options=options)  # fmt: skip
    from ..labeling.files import label_files

    return label_files(inputs, many.output_dir, model, resume=many.resume, force=many.force, options=options,
                       progress_bar=files_progress if terminal else None)  # fmt: skip
