"""The ``factopinion`` command line: a thin layer over the Python API."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from . import __version__
from .data import DataError, delimiter_for, read_labeled
from .evaluation import classification_report
from .explain import explain_document
from .model import Document, Model, ModelError, load_model
from .output import write_document

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def output_options(*formats: str, default: str = "table"):
    """sqlite-utils style output flags (``--json``, ``--nl``, ``--csv``, ``--tsv``, ``--table``) into ``fmt``."""
    helps = {
        "table": "a readable table (default)" if default == "table" else "a readable table",
        "json": "one JSON document",
        "nl": "newline-delimited JSON, one object per sentence",
        "csv": "CSV with a header row",
        "tsv": "TSV with a header row",
    }

    def decorator(function):
        for fmt in reversed(formats):
            extra = {"default": True} if fmt == default else {}
            function = click.option(f"--{fmt}", "fmt", flag_value=fmt, help=f"Output {helps[fmt]}.", **extra)(function)
        return function

    return decorator


model_path_option = click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, path_type=Path),
    help="A trained model folder or .joblib file (only load models you trust). Default: the bundled model.",
)


def model_options(function):
    function = click.option(
        "--threshold",
        type=click.FloatRange(0.0, 1.0),
        default=0.5,
        show_default=True,
        help="Opinion probability at or above which a sentence is labeled opinion.",
    )(function)
    return model_path_option(function)


def user_errors(function):
    """Turn the API's data and model errors into one-line Click errors (exit code 1)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (DataError, ModelError) as err:
            raise click.ClickException(str(err)) from None

    return wrapper


def get_model(model_path: Path | None) -> Model:
    return load_model(model_path, notify=lambda message: click.echo(f"factopinion: {message}", err=True))


def decode(raw: bytes, source: str) -> str:
    """Decode UTF-8 (a BOM is fine); name the first undecodable byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        offset = err.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        raise DataError(
            f"{source} is not UTF-8: undecodable byte 0x{raw[offset]:02x} at byte offset {offset}"
        ) from None


def read_input(texts: tuple[str, ...], file: str | None) -> str:
    """The text to score: ``--file``, the arguments joined by blank lines, or standard input."""
    if file is not None and texts:
        raise click.UsageError("give text arguments or --file, not both")
    if file == "-" or file is None and texts in ((), ("-",)):
        return decode(sys.stdin.buffer.read(), "standard input")
    if file is not None:
        try:
            return decode(Path(file).read_bytes(), file)
        except OSError as err:
            raise DataError(f"cannot read {file}: {err.strerror or err}") from None
    return "\n\n".join(texts)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="factopinion")
def cli():
    """Tell reported fact from editorial opinion in news text, sentence by sentence.

    "fact" means a reported, attributable statement (what happened, who said what), not a true one;
    "opinion" is the author's own judgement, recommendation, prediction or rhetorical question.
    """


@cli.command()
@click.argument("texts", nargs=-1)
@click.option(
    "-f",
    "--file",
    "file",
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
@user_errors
def score(texts, file, model_path, threshold, fmt, explain, cues, html_path):
    """Split text into sentences and label each one fact or opinion.

    TEXTS are scored as one document (joined by blank lines); with no TEXTS, or '-', standard input is read.

    \b
    Examples:
      factopinion score "The council met on Tuesday. It should resign."
      factopinion score --file article.txt --json
      curl -s https://example.com/story.txt | factopinion score --nl
    """
    check_explain_options(explain, html_path, file)
    text = read_input(texts, file)
    if not text.strip():
        raise DataError("no text to score: the input is empty")
    model = get_model(model_path)
    document = model.score(text, threshold=threshold)
    if not document.sentences:
        raise DataError("no sentences to score: the input has only headings or punctuation")
    if explain or html_path:
        document = explain_document(model, document, cues)
    if html_path and write_page(text, document, html_path, file):
        return
    write_document(document, fmt, sys.stdout)


def write_page(text: str, document: Document, html_path: str, file: str | None) -> bool:
    """Write ``score --html``'s page; True when it takes the place of the usual output on standard output."""
    from .html import render_html, save_html

    page = render_html(text, document, title=Path(file).name if file not in (None, "-") else "Scored text")
    if html_path == "-":
        click.echo(page, nl=False)
        return True
    save_html(page, html_path)
    summary = document.summary
    click.echo(
        f"factopinion: wrote {html_path} ({summary['sentences']} sentences, {summary['opinion']} opinion)", err=True
    )
    return click.get_current_context().get_parameter_source("fmt") is ParameterSource.DEFAULT


def check_explain_options(explain: bool, html_path: str | None, file: str | None) -> None:
    """Usage errors for ``score``'s --explain, --cues and --html, before any work is done."""
    ctx = click.get_current_context()
    if ctx.get_parameter_source("cues") is not ParameterSource.DEFAULT and not (explain or html_path):
        raise click.UsageError("--cues needs --explain or --html")
    if html_path == "-" and ctx.get_parameter_source("fmt") is not ParameterSource.DEFAULT:
        raise click.UsageError(
            f"--html - writes the page to standard output: give it a file name, or drop --{ctx.params['fmt']}"
        )
    if html_path not in (None, "-") and file not in (None, "-") and Path(html_path).resolve() == Path(file).resolve():
        raise click.BadParameter("that is the input file", param_hint="--html")


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
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("model"),
    show_default=True,
    help="Folder to write model.joblib and metadata.json into.",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the project's fixed seed).")
@click.option(
    "--cv-folds",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Cross-validation folds for the figures in metadata.json (0 to skip).",
)
@user_errors
def train(data, with_default_data, out, seed, cv_folds):
    """Train a model on labeled sentences and save it.

    Label values fact/opinion, OBJ/SUBJ and 0/1 are understood; CheckThat! TSV files are read as they are.
    """
    from .data import data_files
    from .model import bundled_data_dir
    from .training import DEFAULT_SEED, train_default
    from .training import train as train_files

    seed = DEFAULT_SEED if seed is None else seed
    if cv_folds == 1:
        raise click.BadParameter("use 0 (no cross-validation) or at least 2", param_hint="--cv-folds")
    if data:
        files = list(dict.fromkeys(p.resolve() for p in data))
        if with_default_data:
            files += [p for p in data_files(bundled_data_dir()) if p.resolve() not in files]
        model = train_files(files, seed=seed, cv_folds=cv_folds)
    else:
        model = train_default(seed=seed, cv_folds=cv_folds)
    model.save(out)
    meta = model.metadata
    counts = meta["training_data"]["class_counts"]
    line = f"trained on {meta['training_data']['rows']} sentences ({counts['fact']} fact, {counts['opinion']} opinion)"
    if "cross_validation" in meta:
        cv = meta["cross_validation"]
        line += f"; {cv['folds']}-fold cross-validation: accuracy {cv['accuracy']:.3f}, macro-F1 {cv['macro_f1']:.3f}"
    click.echo(f"{line}; saved to {out}", err=True)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text-column", help="The column holding the sentences (default: sentence or text).")
@click.option("--label-column", default="label", show_default=True, help="The column holding the gold labels.")
@model_options
@output_options("table", "json")
@user_errors
def evaluate(file, text_column, label_column, model_path, threshold, fmt):
    """Score a labeled CSV/TSV file and report accuracy, precision, recall, F1 and the confusion matrix.

    Label values fact/opinion, OBJ/SUBJ and 0/1 are understood; CheckThat! TSV files are read as they are.
    """
    frame = read_labeled(file, text_column=text_column, label_column=label_column)
    if frame.empty:
        raise DataError(f"{file}: no labeled sentences")
    predicted = get_model(model_path).predict(frame["sentence"].tolist(), threshold=threshold)
    report = {"file": str(file), "threshold": threshold, **classification_report(frame["label"].tolist(), predicted)}
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{file}: {report['n']} sentences, threshold {threshold:g}")
    click.echo(f"accuracy  {report['accuracy']:.3f}\nmacro-F1  {report['macro_f1']:.3f}\n")
    click.echo(f"{'':<9}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
    for label, m in report["per_class"].items():
        click.echo(f"{label:<9}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9}")
    (ff, fo), (of, oo) = report["confusion_matrix"]["matrix"]
    click.echo(f"\nconfusion (rows gold, columns predicted)\n{'':<9}{'fact':>8}{'opinion':>9}")
    click.echo(f"{'fact':<9}{ff:>8}{fo:>9}\n{'opinion':<9}{of:>8}{oo:>9}")


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", metavar="OUTPUT", default="-", show_default=True, help="Output file ('-': stdout).")
@click.option("--text-column", help="The column holding the text (default: text or sentence).")
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
@user_errors
def label(input_path, output, text_column, sentences, delimiter, encoding, renames, replace_columns, skip_bad_rows,
          force, jobs, chunk_size, quiet, model_path, threshold):  # fmt: skip
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
    from .batch import BatchOptions, label_file
    from .batch_cli import batch_progress, clean_endings, column_names, output_target

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
    source = sys.stdin.buffer if input_path == "-" else Path(input_path)
    destination = output_target(output, source, force)
    model = get_model(model_path)
    with clean_endings(), batch_progress(source, quiet) as progress:
        summary = label_file(source, destination, model, options, overwrite=force, progress=progress)
    if summary.skipped:
        click.echo(f"factopinion: {summary.skipped_line()}", err=True)
    if not quiet:
        click.echo(f"factopinion: {summary.line()}", err=True)


@cli.group(name="model")
def model_group():
    """Inspect a trained model."""


@model_group.command()
@model_path_option
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True, help="Terms to list per label.")
@output_options("table", "json")
@user_errors
def info(model_path, top, fmt):
    """Show a model's metadata and the terms it weighs most toward fact and toward opinion."""
    from .model import bundled_model_dir
    from .model_info import describe_model, format_model_info

    report = describe_model(get_model(model_path), source=str(model_path or bundled_model_dir()), top=top)
    click.echo(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else format_model_info(report),
        nl=False,
    )


def main(args=None, prog_name: str | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=args, prog_name=prog_name or "factopinion")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
