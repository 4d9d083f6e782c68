"""The ``factopinion`` command line: a thin layer over the Python API.

Only Click is imported up front; each command imports what it needs, so ``--help`` and shell completion start
in a blink. Every error meant for a user (``FactopinionError``) and every ``OSError`` becomes one line on standard
error with its exit code, in one place: ``_Group.invoke``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import io
import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from . import __version__
from .errors import FactopinionError, OptionError, OutputError, OutputExists

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from .batch import Progress
    from .document import Document, PageInfo
    from .fileset import RunSummary
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
    Ctrl-C, 128 + N for the signals ``signals_as_exit`` handles; a closed pipe on standard output ends it quietly,
    any other failure to write it is an error."""

    def invoke(self, ctx: click.Context):
        try:
            with signals_as_exit():  # so that a kill removes a temporary output file, in every command
                result = super().invoke(ctx)
            _flush_stdout()
            return result
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
        except UnicodeEncodeError as err:  # an undecodable byte of an argument or file name, say, in an output
            bad = _one_line(err.object[err.start : err.end])
            raise click.ClickException(f"cannot write the output: {bad} cannot be encoded in {err.encoding}") from None
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None


class _Group(click.Group):
    command_class = _Command


def _flush_stdout() -> None:
    """Flush standard output, so that a failure to write it is reported here rather than by Python at exit."""
    with contextlib.suppress(ValueError, AttributeError):  # closed or replaced
        sys.stdout.flush()


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the exit-time flush after a closed pipe does not complain."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class _Stdout(io.RawIOBase):
    """The descriptor under standard output (None: the process was started with it closed, ``>&-``). A failure
    to write it (a full disk, a closed descriptor) is an ``OutputError`` naming standard output, after which what
    is written is dropped, so that Python's exit-time flush is quiet; a closed pipe stays a ``BrokenPipeError``."""

    def __init__(self, fd: int | None):
        self._fd, self.failed = fd, False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._fd is not None and os.isatty(self._fd)

    def fileno(self) -> int:
        if self._fd is None:
            raise OSError(errno.EBADF, "standard output is closed")
        return self._fd

    def write(self, data) -> int:
        if self.failed:
            return len(data)
        try:
            return os.write(self.fileno(), data)
        except BrokenPipeError:
            raise
        except OSError as err:
            self.failed = True
            reason = "it is closed" if err.errno == errno.EBADF else err.strerror or str(err)
            raise OutputError(f"cannot write standard output: {reason}") from None


def _own_stdout() -> None:
    """Put standard output (the process's own descriptor, or none) under ``_Stdout``, keeping its encoding."""
    old = sys.stdout
    try:
        fd = None if old is None else old.fileno()
    except (OSError, ValueError, AttributeError):  # not a descriptor (embedded, captured): leave it alone
        return
    global _ORIGINAL_STDOUT
    _ORIGINAL_STDOUT = old  # kept, so that it is never finalised
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_Stdout(fd)),
        encoding=getattr(old, "encoding", None) or "utf-8",
        errors=getattr(old, "errors", None) or "strict",
        line_buffering=bool(getattr(old, "line_buffering", False)),
    )


_ORIGINAL_STDOUT = None


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


def read_input(
    texts: tuple[str, ...],
    files: tuple[str, ...],
    url: str | None = None,
    input_format: str = "auto",
    timeout: float | None = None,
) -> tuple[str, str | None, PageInfo | None]:
    """The text to score, the name of the file it came from, and what a web page said about its article:
    ``--url``, ``--file``, the arguments joined by blank lines, or standard input. A web page (``input_format``
    ``html``; with ``auto``, a .html/.htm file, a page that looks like HTML, a fetched ``text/html``) becomes its
    main text (trafilatura)."""
    from .encoding import decode_utf8

    if len(files) > 1:
        raise click.UsageError("give --file once: score one document at a time (label scores many)")
    file = files[0] if files else None
    given = [name for name, value in (("text arguments", texts), ("--file", file), ("--url", url)) if value]
    if len(given) > 1:
        raise click.UsageError(f"give {' or '.join(given[:2])}, not both")
    if url is not None:
        from .web import TIMEOUT, extract_page, fetch

        fetched = fetch(url, timeout=timeout or TIMEOUT)
        if input_format == "text" or input_format == "auto" and not fetched.is_html:
            return fetched.text(), None, None
        text, page = extract_page(fetched.text(), url=fetched.url, source=url)
        return text, None, page
    if file == "-" or file is None and texts in ((), ("-",)):
        if sys.stdin.isatty():
            click.echo("factopinion: reading standard input (end it with Ctrl-D)", err=True)
        raw, name = sys.stdin.buffer.read(), "standard input"
        file = None
    elif file is not None:
        raw, name = Path(file).read_bytes(), file
    else:
        if len(texts) == 1:
            _refuse_names(texts[0])
        raw = "\n\n".join(_argument_text(text, n) for n, text in enumerate(texts, start=1)).encode("utf-8")
        name = "the text"
    if _is_html(input_format, raw, file, from_arguments=bool(texts) and not file):
        from .web import decode_html, extract_page

        text, page = extract_page(decode_html(raw), source=name)
        return text, file, page
    return decode_utf8(raw, name), file, None


def _is_html(input_format: str, raw: bytes, file: str | None, *, from_arguments: bool) -> bool:
    if input_format != "auto":
        return input_format == "html"
    if from_arguments:
        return False
    from .web import HTML_SUFFIXES, looks_like_html

    if file is not None and file.lower().endswith(HTML_SUFFIXES):
        return True
    return looks_like_html(raw[:4096].decode("utf-8", "replace"))


def _argument_text(text: str, number: int) -> str:
    """A text argument, refused (as standard input would be) where it is not UTF-8: Python hands undecodable
    bytes of the command line over as lone surrogates, which no UTF-8 output can hold."""
    from .encoding import decode_utf8
    from .errors import DataError

    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise DataError(f"argument {number} is not valid text (it holds a lone surrogate)") from None
    return decode_utf8(raw, f"argument {number}")


def _refuse_names(text: str) -> None:
    """A lone argument that names a file or a web page, rather than being text, is a usage error."""
    candidate = text.strip()
    if not candidate or any(c.isspace() for c in candidate):
        return
    if re.match(r"^https?://", candidate, re.I):
        raise click.UsageError(f"{candidate!r} is a web address, not text: use --url {candidate}")
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
    help="Read the text from this UTF-8 file ('-' for standard input), or the article from this HTML page.",
)
@click.option(
    "--url",
    metavar="URL",
    help="Fetch this web page (http or https) and score its article: one request, no retries.",
)
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["auto", "text", "html"]),
    default="auto",
    show_default=True,
    help="How to read the input: html extracts a web page's article (main text, title, byline, date); auto "
    "does so for .html/.htm files, fetched HTML and input that looks like HTML.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=20.0,
    show_default=True,
    help="Seconds --url waits for each network step and for the whole download.",
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
@click.option(
    "--title",
    help="The HTML page's title (default: the web page's title, else the heading the text opens with, else the file "
    "name, else 'Scored text').",
)
@force_option
def score(texts, files, url, input_format, timeout, model_path, trust_model_code, threshold, fmt, explain, cues,
          html_path, title, force):  # fmt: skip
    """Split text into sentences and label each one fact or opinion.

    TEXTS are scored as one document (joined by blank lines); with no TEXTS, or '-', standard input is read.
    A web page (--url, an .html file, HTML on standard input) is scored by its article's main text; its title
    is shown, not scored, and --json includes the extracted text the offsets refer to.

    \b
    Examples:
      factopinion score "The council met on Tuesday. It should resign."
      factopinion score --file article.txt --json
      factopinion score --file article.txt --html article.html
      factopinion score --url https://example.com/news/story.html
      curl -s https://example.com/story.txt | factopinion score --nl
    """
    from .errors import DataError

    ctx = click.get_current_context()
    _check_score_options(ctx, explain, html_path, files, title)
    if html_path not in (None, "-"):
        from .atomic import check_writable

        check_writable(html_path, overwrite=force)
    if url is None and ctx.get_parameter_source("timeout") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--timeout needs --url")
    text, file, page = read_input(texts, files, url, input_format, timeout)
    if not text.strip():
        raise DataError("no text to score: the input is empty")
    from .language import english_warning

    warning = english_warning(text)
    if warning:
        click.echo(f"factopinion: {warning}", err=True)
    model = get_model(model_path, trust_model_code)
    document = model.score(text, threshold=threshold)
    if page is not None:
        document = dataclasses.replace(document, page=page)
    if not document.sentences:
        raise DataError("no sentences to score: the input has only headings or punctuation")
    if explain or html_path:
        from .explain import explain_document

        document = explain_document(model, document, cues)
    if html_path:
        if not title and page is None:
            title = document.headline or (Path(file).name if file else None)
        _write_page(document, html_path, title, force)
        if html_path == "-" or not ctx.meta["format_given"]:
            return
    from .formats import write_document

    write_document(document, fmt, sys.stdout)


def _write_page(document: Document, html_path: str, title: str | None, force: bool) -> None:
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
quoting_option = click.option(
    "--quoting",
    type=click.Choice(["auto", "csv", "none"]),
    default="auto",
    show_default=True,
    help="How quotes are read: csv (as in CSV), none (taken literally, as in CheckThat! TSV), or auto: CSV with "
    "quotes; TSV with quotes only where every quote sits in a properly quoted field and no quoted cell spans lines "
    "that would each be a row.",
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
@quoting_option
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
def train(data, with_default_data, text_column, label_column, quoting, out, seed, cv_folds, force):
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
        modes = dict.fromkeys(files, quoting)  # --quoting is for the --data files; the bundled ones are CSV
        if with_default_data:
            files += [p for p in data_files(bundled_data_dir()) if p.resolve() not in files]
        model = train_files(
            files, seed=seed, cv_folds=cv_folds, text_column=text_column, label_column=label_column, quoting=modes
        )
    else:
        model = train_default(bundled_data_dir(), seed=seed, cv_folds=cv_folds)
    model.save(out, overwrite=force)
    click.echo(format_training(model.metadata, str(out)), err=True)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@text_column_option
@label_column_option
@quoting_option
@model_options
@click.option(
    "--errors",
    type=click.IntRange(min=0),
    is_flag=False,
    flag_value=0,
    default=None,
    help="List the misclassified sentences with their probabilities, most confidently wrong first "
    "(--errors N: the first N; bare --errors: all).",
)
@output_options("table", "json")
def evaluate(file, text_column, label_column, quoting, model_path, trust_model_code, threshold, fmt, errors):
    """Score a labeled CSV/TSV file and report accuracy, precision, recall, F1, the confusion matrix, calibration
    (AUC, ECE, Brier against the base-rate Brier) and macro-F1 at thresholds 0.1 to 0.9.

    Label values fact/opinion, OBJ/SUBJ and 0/1 are understood; CheckThat! TSV files are read as they are.
    """
    from .datasets import read_labeled
    from .document import label_for
    from .errors import DataError
    from .evaluation import classification_report, misclassified, probability_report
    from .formats import format_evaluation

    frame = read_labeled(file, text_column=text_column, label_column=label_column, quoting=quoting)
    if frame.empty:
        raise DataError(f"{file}: no labeled sentences")
    sentences, gold = frame["sentence"].tolist(), frame["label"].tolist()
    probabilities = get_model(model_path, trust_model_code).opinion_probability(sentences)
    predicted = [label_for(p, threshold) for p in probabilities]
    report = {"file": str(file), "threshold": threshold, **classification_report(gold, predicted)}
    report["calibration"] = probability_report(gold, probabilities, threshold)
    if errors is not None:
        report["errors"] = misclassified(sentences, gold, probabilities, threshold)[: errors or None]
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
def batch_progress(source: Path | BinaryIO, quiet: bool) -> Iterator[Progress | None]:
    """Progress on standard error, when that is a terminal (and not ``quiet``): for input of known size, a bar by
    bytes with the time left; for a pipe (no end to measure against), the rows and bytes labeled so far."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    size = _input_size(source)
    if size is None:
        counter = _RunningCount(sys.stderr)
        try:
            yield counter.update
        finally:
            counter.close()
        return
    with _bytes_bar(size) as update:
        yield update


@contextlib.contextmanager
def _bytes_bar(size: int) -> Iterator[Progress]:
    """A progress bar on standard error by input bytes (of ``size``), showing the rows labeled."""
    bar: ProgressBar[int] = click.progressbar(
        length=size,
        label="labeling",
        file=sys.stderr,
        item_show_func=lambda done: None if done is None else f"{done:,} rows",
    )
    rows = 0

    def update(n_bytes: int, n_rows: int) -> None:
        nonlocal rows
        rows += n_rows
        bar.update(n_bytes, current_item=rows)

    with bar:
        yield update


class _RunningCount:
    """A one-line count of the rows and bytes labeled, redrawn in place at most five times a second."""

    def __init__(self, stream, interval: float = 0.2):
        self._clock = time.monotonic
        self._stream, self._interval = stream, interval
        self._started = self._clock()
        self._drawn = float("-inf")
        self.rows = self.bytes = 0

    def update(self, n_bytes: int, n_rows: int) -> None:
        self.rows += n_rows
        self.bytes += n_bytes
        if self._clock() - self._drawn >= self._interval:
            self._draw()

    def _draw(self) -> None:
        self._drawn = self._clock()
        seconds = self._drawn - self._started
        line = f"labeling: {self.rows:,} rows, {_size(self.bytes)} read, {seconds:.0f} s"
        self._stream.write(f"\r{line}\x1b[K")
        self._stream.flush()

    def close(self) -> None:
        if self.rows or self.bytes:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()


def _size(n_bytes: int) -> str:
    """``n_bytes`` for people: 512 B, 3.4 kB, 1.2 MB, 2.0 GB."""
    value, unit = float(n_bytes), "B"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            break
        value /= 1000
    return f"{n_bytes} B" if unit == "B" else f"{value:.1f} {unit}"


@contextlib.contextmanager
def signals_as_exit() -> Iterator[None]:
    """Turn SIGTERM, SIGHUP, SIGQUIT and SIGUSR1/2 into ``SystemExit`` while the block runs, so cleanup code (the
    removal of a temporary output file) runs on ``kill``."""

    from .atomic import defer_while_creating

    def end(signum: int) -> None:
        raise SystemExit(128 + signum)

    def handler(signum, frame):
        if not defer_while_creating(lambda: end(signum)):
            end(signum)

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


def keep_columns(value: str | None) -> tuple[str, ...] | None:
    """``--keep "id,title"`` as ``("id", "title")``; ``--keep ""`` keeps no input column."""
    if value is None:
        return None
    return tuple(name.strip() for name in value.split(",") if name.strip())


@cli.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option("-o", "--output", metavar="OUTPUT", help="Output file ('-': stdout, the default).")
@click.option(
    "--output-dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Label every INPUT into DIR, one output each with the input's name and format. INPUTs may then be "
    "files, globs and folders (a folder: every CSV, TSV, JSON Lines and Parquet file in it, gzipped or not).",
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
    "in input order.",
)
@click.option(
    "--format",
    "table_format",
    type=click.Choice(["csv", "tsv", "jsonl", "parquet"]),
    help="INPUT's format (default: from its extension, else CSV). OUTPUT's format is its extension's, else "
    "INPUT's (CSV for Parquet); .gz compresses the text formats.",
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
@click.option("--replace-columns", is_flag=True, help="Overwrite input columns that have an added column's name.")
@click.option("--skip-bad-rows", is_flag=True, help="Skip malformed rows (reported on stderr) instead of stopping.")
@click.option("--force", is_flag=True, help="Overwrite an existing OUTPUT file (with --output-dir: any output).")
@click.option(
    "--resume",
    is_flag=True,
    help="With --output-dir: skip the inputs whose output is complete (its .NAME.done manifest matches the "
    "input and options), relabel the others.",
)
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: every core).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=4000, show_default=True, help="Rows per chunk.")
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
          encoding, quoting, renames, replace_columns, skip_bad_rows, force, resume, jobs, chunk_size, dask_address,
          dask_workers, retries, quiet, model_path, trust_model_code, threshold):  # fmt: skip
    """Label every row of a table fact or opinion, keeping every input column unchanged.

    INPUT is a CSV, TSV, JSON Lines (.jsonl, .ndjson) or Parquet file, gzipped (.gz) or not, or '-' for
    standard input. Adds the columns label and opinion_probability (empty for an empty cell); with
    --sentences, one row per sentence with row, sentence_index, start, end and sentence too; with --documents,
    one row per input row with sentences, opinion_sentences, opinion_share and mean_opinion_probability
    instead. OUTPUT is written atomically: an interrupted run leaves no file behind.

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
    from .csvstream import delimiter_for

    ctx = click.get_current_context()
    delimiter = delimiter_for("", delimiter) if delimiter else None
    settings = {
        "text_column": text_column,
        "sentences": sentences,
        "documents": documents,
        "keep": keep_columns(keep),
        "format": table_format,
        "html_column": html_column,
        "threshold": threshold,
        "delimiter": delimiter,
        "encoding": encoding,
        "quoting": quoting,
        "column_names": column_names(renames),
        "replace_columns": replace_columns,
        "skip_bad_rows": skip_bad_rows,
        "chunk_rows": chunk_size,
    }
    if output_dir is not None:
        _check_many_options(ctx, output, force, resume, jobs, dask_address, dask_workers)
        _label_many(inputs, output_dir, settings, force, resume, jobs, dask_address, dask_workers, retries, quiet,
                    model_path, trust_model_code)  # fmt: skip
        return
    _check_single_options(ctx, inputs, resume, dask_address, dask_workers)
    from .atomic import check_writable
    from .batch import BatchOptions, label_file

    param = next(p for p in ctx.command.params if p.name == "inputs")
    input_path = click.Path(exists=True, dir_okay=False, allow_dash=True).convert(inputs[0], param, ctx)
    output = output or "-"
    options = BatchOptions(jobs=jobs or 0, **settings)
    source: Path | BinaryIO = sys.stdin.buffer if input_path == "-" else Path(input_path)
    destination: str | BinaryIO = sys.stdout.buffer if output == "-" else output  # a str keeps a trailing "/"
    if isinstance(destination, str):
        check_writable(destination, overwrite=force)
    model = get_model(model_path, trust_model_code)
    notify = None if quiet else (lambda message: click.echo(f"factopinion: {message}", err=True))
    with batch_progress(source, quiet) as progress:
        summary = label_file(source, destination, model, options, overwrite=force, progress=progress, notify=notify)
    if summary.skipped:
        click.echo(f"factopinion: {summary.skipped_line()}", err=True)
    if warning := summary.not_english_line():
        click.echo(f"factopinion: {warning}", err=True)
    if not quiet:
        click.echo(f"factopinion: {summary.line()}", err=True)


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


def _label_many(inputs, output_dir, settings, force, resume, jobs, dask_address, dask_workers, retries, quiet,
                model_path, trust_model_code) -> None:  # fmt: skip
    """``label --output-dir``: every input to DIR/NAME, here (one file after another) or on Dask."""
    from .errors import DataError

    try:
        summary = _run_many(inputs, output_dir, settings, force, resume, jobs, dask_address, dask_workers, retries,
                            quiet, model_path, trust_model_code)  # fmt: skip
    except OutputExists as err:
        message = f"{_one_line(str(err))} (use --resume to skip complete outputs, or --force to relabel every input)"
        raise click.ClickException(message) from None
    for note in summary.notes():
        click.echo(f"factopinion: {note}", err=True)
    if not quiet:
        click.echo(f"factopinion: {summary.line()}", err=True)
    if summary.failed:
        total = len(summary.failed) + len(summary.done)
        raise DataError(f"{len(summary.failed):,} of {total:,} files failed; their outputs were not written")


def _run_many(inputs, output_dir, settings, force, resume, jobs, dask_address, dask_workers, retries, quiet,
              model_path, trust_model_code) -> RunSummary:  # fmt: skip
    if dask_address:
        from .dask import label_files as label_on_dask  # first: without Dask, fail before loading the model
    model = get_model(model_path, trust_model_code)
    terminal = not quiet and sys.stderr.isatty()
    if dask_address:
        return label_on_dask(inputs, output_dir, dask_address, model=model, workers=dask_workers, retries=retries,
                             resume=resume, force=force, progress=terminal, **settings)  # fmt: skip
    from .fileset import batch_options, model_fingerprint, plan_jobs, run_local, total_bytes

    plan = plan_jobs(inputs, output_dir, batch_options(jobs=jobs or 0, **settings), model_fingerprint(model),
                     resume=resume, force=force)  # fmt: skip
    with _files_progress(total_bytes(plan.jobs) if terminal else 0) as progress:
        return run_local(plan, model, progress=progress)


@contextlib.contextmanager
def _files_progress(size: int) -> Iterator[Progress | None]:
    """A progress bar by bytes of all the inputs, with the rows labeled, on standard error (none for a size of 0)."""
    if not size:
        yield None
        return
    with _bytes_bar(size) as update:
        yield update


# -- serve ------------------------------------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="The port (0: any free one)."
)
@model_path_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes, each with its own copy of the model, sharing one port.",
)
@click.option(
    "--allow-urls",
    is_flag=True,
    help="Let requests name a web page to fetch and score (public addresses only: never loopback, private, "
    "link-local or reserved ones, checked after DNS and at every redirect).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="The largest request body accepted (413 past it).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds a client gets to send a request's headers, and then its body, and that --allow-urls waits for "
    "each network step of a fetch.",
)
def serve(host, port, model_path, trust_model_code, workers, allow_urls, max_bytes, timeout):
    """Start a local web app and JSON API: paste an article in a browser, or POST /v1/score.

    The page is at http://HOST:PORT/, the API's description at /openapi.json. There is no authentication:
    on an address other than the loopback one, anyone who can reach it can use it. Ctrl-C or SIGTERM stops
    it. Needs: pip install 'factopinion[serve]'.
    """
    from .serve import require_extra

    require_extra()
    from .serve.server import bind
    from .serve.server import serve as run
    from .serve.settings import Settings

    settings = Settings(
        model_path=None if model_path is None else str(model_path),
        trust_model_code=trust_model_code,
        allow_urls=allow_urls,
        max_bytes=max_bytes,
        head_timeout=timeout,
        body_timeout=timeout,
        fetch_timeout=timeout,
    )
    model = get_model(model_path, trust_model_code)  # here, so that a bad model is one line before listening
    if not _is_loopback(host):
        click.echo(
            f"factopinion: warning: listening on {host}, beyond this machine, and the server has no "
            "authentication: put it behind your own proxy",
            err=True,
        )
    try:
        sock = bind(host, port)
    except OSError as err:
        raise click.ClickException(_one_line(f"cannot listen on {host}:{port}: {err.strerror or err}")) from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host

    def started() -> None:
        click.echo(f"factopinion: serving http://{shown}:{bound}/ (Ctrl-C to stop)", err=True)

    with sock:
        run(sock, settings, model=model if workers == 1 else None, workers=workers, started=started)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    _own_stdout()
    try:
        cli.main(args=args, prog_name=prog_name or "factopinion")
    except FactopinionError as err:  # outside a command: writing --help or --version
        click.echo(f"Error: {_one_line(str(err))}", err=True)
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
