"""The ``factopinion`` command line: a thin layer over the Python API.

Only Click is imported up front; each command imports what it needs, so ``--help`` and shell completion start
in a blink. Every error meant for a user (``FactopinionError``) and every ``OSError`` becomes one line on standard
error with its exit code, in one place: ``_Group.invoke``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from . import __version__
from .errors import FactopinionError, OptionError, OutputExists

if TYPE_CHECKING:
    from .document import Document
    from .model import Model

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
FORMAT_HELP = {
    "table": "a readable table",
    "json": "one JSON document",
    "nl": "newline-delimited JSON, one object per sentence",
    "csv": "CSV with a header row",
    "tsv": "TSV with a header row",
}


def _one_line(message: str) -> str:
    from .formats import terminal_safe

    return terminal_safe(" ".join(str(message).split()))


class _Command(click.Command):
    """A command whose user errors become one-line messages: exit 2 for option errors, 1 for the rest, 130 for
    Ctrl-C; a closed standard output ends it quietly."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OutputExists as err:
            raise click.ClickException(f"{_one_line(str(err))} (use --force to overwrite it)") from None
        except OptionError as err:
            raise click.UsageError(_one_line(str(err)), ctx) from None
        except FactopinionError as err:
            raise click.ClickException(_one_line(str(err))) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as err:
            where = f": {err.filename}" if err.filename else ""
            raise click.ClickException(_one_line(f"{err.strerror or err}{where}")) from None
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None


class _Group(click.Group):
    command_class = _Command


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the exit-time flush after a closed pipe does not complain."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


# -- shared options ------------------------------------------------------------------------------------------------


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
    from .bundled import load_model

    return load_model(
        model_path,
        trust_code=trust_model_code,
        notify=lambda message: click.echo(f"factopinion: {message}", err=True),
    )


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="factopinion")
def cli():
    """Tell reported fact from editorial opinion in news text, sentence by sentence.

    "fact" means a reported, attributable statement (what happened, who said what), not a true one;
    "opinion" is the author's own judgement, recommendation, prediction or rhetorical question.
    """


# -- score -----------------------------------------------------------------------------------------------------------

_LOOKS_LIKE_PATH = re.compile(r"^(?:[~.]{0,2}/|\w:\\)?[\w.~/\\-]+\.(?:txt|md|html?|csv|tsv|json|jsonl|xml|gz)$", re.I)


def read_input(texts: tuple[str, ...], files: tuple[str, ...]) -> tuple[str, str | None]:
    """The text to score and the name of the file it came from: ``--file``, the arguments joined by blank lines,
    or standard input."""
    from .encoding import decode_utf8

    if len(files) > 1:
        raise click.UsageError("give --file once: score one document at a time (label scores many)")
    file = files[0] if files else None
    if file is not None and texts:
        raise click.UsageError("give text arguments or --file, not both")
    if file == "-" or file is None and texts in ((), ("-",)):
        if sys.stdin.isatty():
            click.echo("factopinion: reading standard input (end it with Ctrl-D)", err=True)
        return decode_utf8(sys.stdin.buffer.read(), "standard input"), None
    if file is not None:
        return decode_utf8(Path(file).read_bytes(), file), file
    if len(texts) == 1:
        _refuse_names(texts[0])
    return "\n\n".join(texts), None


def _refuse_names(text: str) -> None:
    """A lone argument that names a file or a web page, rather than being text, is a usage error."""
    candidate = text.strip()
    if not candidate or any(c.isspace() for c in candidate):
        return
    if re.match(r"^https?://", candidate, re.I):
        raise click.UsageError(
            f"{candidate!r} is a web address, not text: fetch the page first, e.g. "
            f"curl -s {candidate} | factopinion score"
        )
    if os.path.exists(candidate) or _LOOKS_LIKE_PATH.match(candidate):
        raise click.UsageError(f"{candidate!r} looks like a file name, not text: use --file {candidate}")


@cli.command()
@click.argument("texts", nargs=-1)
@click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="Read the text from this UTF-8 file ('-' for standard input).",
)
@model_options
@output_options("table", "json", "nl", "csv", "tsv")
@click.option(
    "--explain",
    is_flag=True,
    help="Add each sentence's cue words: the terms that push it most toward opinion and toward fact.",
)
@click.option(
    "--cues",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Cue words per label with --explain or --html (0 for all).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write a self-contained HTML page of the text, each sentence shaded by its opinion probability "
    "('-' for standard output).",
)
@click.option("--title", help="The HTML page's title (default: the file name, else 'Scored text').")
@force_option
def score(texts, files, model_path, trust_model_code, threshold, fmt, explain, cues, html_path, title, force):
    """Split text into sentences and label each one fact or opinion.

    TEXTS are scored as one document (joined by blank lines); with no TEXTS, or '-', standard input is read.

    \b
    Examples:
      factopinion score "The council met on Tuesday. It should resign."
      factopinion score --file article.txt --json
      factopinion score --file article.txt --html article.html
      curl -s https://example.com/story.txt | factopinion score --nl
    """
    from .errors import DataError

    ctx = click.get_current_context()
    _check_score_options(ctx, explain, html_path, files, title)
    if html_path not in (None, "-"):
        from .atomic import check_writable

        check_writable(html_path, overwrite=force)
    text, file = read_input(texts, files)
    if not text.strip():
        raise DataError("no text to score: the input is empty")
    from .language import english_warning

    warning = english_warning(text)
    if warning:
        click.echo(f"factopinion: {warning}", err=True)
    model = get_model(model_path, trust_model_code)
    document = model.score(text, threshold=threshold)
    if not document.sentences:
        raise DataError("no sentences to score: the input has only headings or punctuation")
    if explain or html_path:
        from .explain import explain_document

        document = explain_document(model, document, cues)
    if html_path:
        _write_page(document, html_path, title or (Path(file).name if file else "Scored text"), force)
        if html_path == "-" or not ctx.meta["format_given"]:
            return
    from .formats import write_document

    write_document(document, fmt, sys.stdout)


def _write_page(document: Document, html_path: str, title: str, force: bool) -> None:
    from .html import render_html, save_html

    page = render_html(document, title=title)
    if html_path == "-":
        click.echo(page, nl=False)
        return
    save_html(page, html_path, overwrite=force)
    n, opinion = len(document.sentences), document.opinion_count
    click.echo(f"factopinion: wrote {html_path} ({n} sentence{'' if n == 1 else 's'}, {opinion} opinion)", err=True)


def _check_score_options(ctx: click.Context, explain: bool, html_path: str | None, files, title) -> None:
    """Usage errors for ``score``'s --explain, --cues, --title and --html, before any work is done."""
    from click.core import ParameterSource

    if ctx.get_parameter_source("cues") is not ParameterSource.DEFAULT and not (explain or html_path):
        raise click.UsageError("--cues needs --explain or --html")
    if title is not None and not html_path:
        raise click.UsageError("--title needs --html")
    if html_path == "-" and ctx.meta["format_given"]:
        raise click.UsageError(
            f"--html - writes the page to standard output: give it a file name, or drop --{ctx.meta['format_given']}"
        )
    from .atomic import same_file

    if html_path not in (None, "-") and any(f != "-" and same_file(f, html_path) for f in files):
        raise click.BadParameter("that is the input file", param_hint="--html")


# -- train and evaluate -----------------------------------------------------------------------------------------------

text_column_option = click.option(
    "--text-column", help="The column holding the sentences (default: text, else sentence)."
)
label_column_option = click.option(
    "--label-column", default="label", show_default=True, help="The column holding the gold labels."
)


@cli.command()
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A labeled CSV/TSV file (columns sentence or text, and label); repeat for more. "
    "Default: every file in the bundled data/ folder.",
)
@click.option(
    "--with-default-data",
    is_flag=True,
    help="Train on the bundled data/ corpus as well as the --data files (adapts the default model to your domain).",
)
@text_column_option
@label_column_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("model"),
    show_default=True,
    help="Folder to write model.json (the model as data), model.joblib (its scikit-learn pipeline) and "
    "metadata.json into.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=None,
    help="Random seed, 0 to 4294967295 (default: the project's fixed seed).",
)
@click.option(
    "--cv-folds",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Cross-validation folds for the figures in metadata.json (0 to skip).",
)
@force_option
def train(data, with_default_data, text_column, label_column, out, seed, cv_folds, force):
    """Train a model on labeled sentences and save it.

    Label values fact/opinion, OBJ/SUBJ and 0/1 are understood; CheckThat! TSV files are read as they are.
    """
    from .atomic import check_writable
    from .bundled import bundled_data_dir
    from .datasets import data_files
    from .formats import format_training
    from .model import DATA_FILE, METADATA_FILE, MODEL_FILE
    from .training import DEFAULT_SEED, train_default
    from .training import train as train_files

    seed = DEFAULT_SEED if seed is None else seed
    if cv_folds == 1:
        raise click.BadParameter("use 0 (no cross-validation) or at least 2", param_hint="--cv-folds")
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    for name in (DATA_FILE, MODEL_FILE, METADATA_FILE):
        check_writable(out / name, overwrite=force)
    if data:
        files = list(dict.fromkeys(p.resolve() for p in data))
        if with_default_data:
            files += [p for p in data_files(bundled_data_dir()) if p.resolve() not in files]
        model = train_files(files, seed=seed, cv_folds=cv_folds, text_column=text_column, label_column=label_column)
    else:
        model = train_default(bundled_data_dir(), seed=seed, cv_folds=cv_folds)
    model.save(out, overwrite=force)
    click.echo(format_training(model.metadata, str(out)), err=True)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@text_column_option
@label_column_option
@model_options
@output_options("table", "json")
def evaluate(file, text_column, label_column, model_path, trust_model_code, threshold, fmt):
    """Score a labeled CSV/TSV file and report accuracy, precision, recall, F1 and the confusion matrix.

    Label values fact/opinion, OBJ/SUBJ and 0/1 are understood; CheckThat! TSV files are read as they are.
    """
    from .datasets import read_labeled
    from .errors import DataError
    from .evaluation import classification_report
    from .formats import format_evaluation

    frame = read_labeled(file, text_column=text_column, label_column=label_column)
    if frame.empty:
        raise DataError(f"{file}: no labeled sentences")
    predicted = get_model(model_path, trust_model_code).predict(frame["sentence"].tolist(), threshold=threshold)
    report = {"file": str(file), "threshold": threshold, **classification_report(frame["label"].tolist(), predicted)}
    click.echo(json.dumps(report, indent=2) + "\n" if fmt == "json" else format_evaluation(report), nl=False)


# -- label ------------------------------------------------------------------------------------------------------------


def column_names(renames: tuple[str, ...]) -> dict[str, str]:
    """``("label=verdict", ...)`` as ``{"label": "verdict"}``; which FIELDs exist is the batch options' to say."""
    names = {}
    for item in renames:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"expected FIELD=NAME, got {item!r}", param_hint="--column")
        names[key] = value
    return names


def _input_size(source: Path | BinaryIO) -> int | None:
    try:
        size = source.stat().st_size if isinstance(source, Path) else os.fstat(source.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return None
    return size or None


@contextlib.contextmanager
def batch_progress(source: Path | BinaryIO, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar by bytes of input on standard error, when that is a terminal (and not ``quiet``)."""
    size = None if quiet or not sys.stderr.isatty() else _input_size(source)
    if size is None:
        yield None
        return
    with click.progressbar(length=size, label="labeling", file=sys.stderr) as bar:
        yield bar.update


@contextlib.contextmanager
def signals_as_exit() -> Iterator[None]:
    """Turn SIGTERM, SIGHUP, SIGQUIT and SIGUSR1/2 into ``SystemExit`` while the block runs, so cleanup code (the
    removal of a temporary output file) runs on ``kill``."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    names = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
    wanted = [getattr(signal, name) for name in names if hasattr(signal, name)]
    try:
        previous = {s: signal.signal(s, handler) for s in wanted}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", metavar="OUTPUT", default="-", show_default=True, help="Output file ('-': stdout).")
@text_column_option
@click.option("--sentences", is_flag=True, help="Split each cell into sentences: one output row per sentence.")
@click.option(
    "--delimiter",
    help="Field delimiter ('tab' or '\\t' for tab). Default: tab if INPUT (OUTPUT, for stdin) ends .tsv/.tab, "
    "else comma.",
)
@click.option("--encoding", default="utf-8", show_default=True, help="Input (and output) encoding; a BOM is fine.")
@click.option(
    "--column",
    "renames",
    multiple=True,
    metavar="FIELD=NAME",
    help="Name an added column, e.g. --column label=verdict; repeatable. FIELDs: label, opinion_probability, "
    "and with --sentences also row, sentence_index, start, end, sentence.",
)
@click.option("--replace-columns", is_flag=True, help="Overwrite input columns that have an added column's name.")
@click.option("--skip-bad-rows", is_flag=True, help="Skip malformed rows (reported on stderr) instead of stopping.")
@click.option("--force", is_flag=True, help="Overwrite an existing OUTPUT file.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: every core).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=4000, show_default=True, help="Rows per chunk.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
@model_options
def label(input_path, output, text_column, sentences, delimiter, encoding, renames, replace_columns, skip_bad_rows,
          force, jobs, chunk_size, quiet, model_path, trust_model_code, threshold):  # fmt: skip
    """Label every row of a CSV/TSV file fact or opinion, keeping every input column unchanged.

    INPUT is a CSV or TSV file, or '-' for standard input. Adds the columns label and opinion_probability
    (empty for an empty cell); with --sentences, one row per sentence with row, sentence_index, start, end and
    sentence too. OUTPUT is written atomically: an interrupted run leaves no file behind.

    \b
    Examples:
      factopinion label articles.csv -o labeled.csv
      factopinion label answers.tsv --text-column answer --sentences -o sentences.tsv
      cat export.csv | factopinion label - --column label=voice | head
    """
    from .atomic import check_writable
    from .batch import BatchOptions, label_file
    from .csvstream import delimiter_for

    options = BatchOptions(
        text_column=text_column,
        sentences=sentences,
        threshold=threshold,
        delimiter=delimiter_for(output if input_path == "-" else input_path, delimiter),
        encoding=encoding,
        column_names=column_names(renames),
        replace_columns=replace_columns,
        skip_bad_rows=skip_bad_rows,
        jobs=jobs or 0,
        chunk_rows=chunk_size,
    )
    source: Path | BinaryIO = sys.stdin.buffer if input_path == "-" else Path(input_path)
    destination: Path | BinaryIO = sys.stdout.buffer if output == "-" else Path(output)
    if isinstance(destination, Path):
        check_writable(destination, overwrite=force)
    model = get_model(model_path, trust_model_code)
    with signals_as_exit(), batch_progress(source, quiet) as progress:
        summary = label_file(source, destination, model, options, overwrite=force, progress=progress)
    if summary.skipped:
        click.echo(f"factopinion: {summary.skipped_line()}", err=True)
    if not quiet:
        click.echo(f"factopinion: {summary.line()}", err=True)


# -- model info -------------------------------------------------------------------------------------------------------


@cli.group(name="model", cls=_Group)
def model_group():
    """Inspect a trained model."""


@model_group.command()
@model_path_option
@click.option(
    "--top", type=click.IntRange(min=0), default=15, show_default=True, help="Terms to list per label (0 for all)."
)
@output_options("table", "json")
def info(model_path, trust_model_code, top, fmt):
    """Show a model's metadata and the terms it weighs most toward fact and toward opinion."""
    from .bundled import bundled_model_dir
    from .formats import format_model_info

    report = get_model(model_path, trust_model_code).describe(source=str(model_path or bundled_model_dir()), top=top)
    click.echo(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else format_model_info(report),
        nl=False,
    )


def main(args=None, prog_name: str | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=args, prog_name=prog_name or "factopinion")


if __name__ == "__main__":  # pragma: no cover
    main()
