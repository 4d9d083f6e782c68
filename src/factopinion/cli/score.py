"""``factopinion score``: score text, files, standard input or a web page."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .core import Command
from .options import force_option, get_model, model_options, output_options

if TYPE_CHECKING:
    from ..document import Document
    from ..sources import Source


_LOOKS_LIKE_PATH = re.compile(r"^(?:[~.]{0,2}/|\w:\\)?[\w.~/\\-]+\.(?:txt|md|html?|csv|tsv|json|jsonl|xml|gz)$", re.I)


def read_input(
    texts: tuple[str, ...],
    files: tuple[str, ...],
    url: str | None = None,
    input_format: str = "auto",
    timeout: float | None = None,
    encoding: str | None = None,
) -> Source:
    """The text to score (``sources.Source``): ``--url``, ``--file``, the arguments joined by blank lines, or
    standard input; a usage error for more than one of them. A web page (``input_format`` ``html``; with
    ``auto``, a .html/.htm file, a page that looks like HTML, a fetched ``text/html``) becomes its main text."""
    from .. import sources

    if len(files) > 1:
        raise click.UsageError("give --file once: score one document at a time (label scores many)")
    file = files[0] if files else None
    given = [name for name, value in (("text arguments", texts), ("--file", file), ("--url", url)) if value]
    if len(given) > 1:
        raise click.UsageError(f"give {' or '.join(given[:2])}, not both")
    if url is not None:
        return sources.from_url(url, input_format=input_format, timeout=timeout or sources.TIMEOUT)
    if file == "-" or file is None and texts in ((), ("-",)):
        if sys.stdin.isatty():
            click.echo("factopinion: reading standard input (end it with Ctrl-D)", err=True)
        return sources.from_bytes(sys.stdin.buffer.read(), "standard input", input_format=input_format,
                                  encoding=encoding)  # fmt: skip
    if file is not None:
        return sources.from_file(file, input_format=input_format, encoding=encoding)
    if len(texts) == 1:
        _refuse_names(texts[0])
    return sources.from_texts(texts, input_format=input_format)


def _refuse_names(text: str) -> None:
    """A lone argument that names a file or a web page, rather than being text, is a usage error."""
    candidate = text.strip()
    if not candidate or any(c.isspace() for c in candidate):
        return
    if re.match(r"^https?://", candidate, re.I):
        raise click.UsageError(f"{candidate!r} is a web address, not text: use --url {candidate}")
    if os.path.exists(candidate) or _LOOKS_LIKE_PATH.match(candidate):
        raise click.UsageError(f"{candidate!r} looks like a file name, not text: use --file {candidate}")


@click.command(cls=Command)
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
    type=click.Choice(["auto", "text", "html"]),  # sources.INPUT_FORMATS (not imported for --help)
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
@click.option(
    "--encoding",
    help="The encoding of --file or standard input (default: UTF-8; a web page: the charset it names).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the output (table, JSON, CSV...) to this file instead of standard output, atomically.",
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
    "--html-dir",
    type=click.Path(file_okay=False),
    help="Score many articles: TEXTS are article files, folders or globs (.txt, .md, .html, gzipped too); write "
    "one page per article into this folder, and index.html listing them by opinion share.",
)
@click.option(
    "--title",
    help="The HTML page's title (default: the web page's title, else the heading the text opens with, else the file "
    "name, else 'Scored text').",
)
@force_option
def score(texts, files, url, input_format, timeout, encoding, output, model_path, trust_model_code, threshold, fmt,
          explain, cues, html_path, html_dir, title, force):  # fmt: skip
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
      factopinion score --html-dir pages/ articles/
      curl -s https://example.com/story.txt | factopinion score --nl
    """
    from ..errors import DataError

    ctx = click.get_current_context()
    if html_dir is not None:
        given = [name for name, value in (("--file", files), ("--url", url), ("--html", html_path),
                                          ("--explain", explain), ("--title", title)) if value]  # fmt: skip
        if given or not texts:
            raise click.UsageError(f"--html-dir takes articles as arguments, not {given[0]}" if given else
                                   "--html-dir needs articles: files, folders or globs")  # fmt: skip
        _write_pages(texts, html_dir, get_model(model_path, trust_model_code), threshold, cues, force)
        return
    _check_score_options(ctx, explain, html_path, files, title)
    if html_path not in (None, "-"):
        from ..atomic import check_writable

        check_writable(html_path, overwrite=force)
    if url is None and ctx.get_parameter_source("timeout") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--timeout needs --url")
    if output not in (None, "-"):
        from ..atomic import check_writable, same_file

        check_writable(output, overwrite=force)
        if any(f != "-" and same_file(f, output) for f in files):
            raise click.BadParameter("that is the input file", param_hint="--output")
    if encoding is not None:
        from ..encoding import text_codec

        text_codec(encoding)
    source = read_input(texts, files, url, input_format, timeout, encoding)
    text, file, page = source.text, source.file, source.page
    if not text.strip():
        raise DataError("no text to score: the input is empty")
    from ..language import english_warning

    warning = english_warning(text)
    if warning:
        click.echo(f"factopinion: {warning}", err=True)
    model = get_model(model_path, trust_model_code)
    document = source.score(model, threshold)
    if not document.sentences:
        raise DataError("no sentences to score: the input has only headings or punctuation")
    if html_path:
        from ..engine.explain import explain_document

        if not title and page is None:
            title = document.headline or (Path(file).name if file else None)
        _write_page(explain_document(model, document, 0), html_path, title, cues, force)
        if html_path == "-" or not ctx.meta["format_given"]:
            return
    if explain or html_path:  # with --html and a format, the sentences carry their cues, as the page does
        from ..engine.explain import explain_document

        document = explain_document(model, document, cues)
    from .render import write_document

    if output in (None, "-"):
        terminal = sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if terminal else None
        write_document(document, fmt, sys.stdout, width=width, colour=terminal and not os.environ.get("NO_COLOR"))
        return
    import io

    from ..atomic import atomic_output

    buffer = io.StringIO()
    write_document(document, fmt, buffer)
    with atomic_output(output, overwrite=force) as f:
        f.write(buffer.getvalue().encode("utf-8"))


def _write_page(document: Document, html_path: str, title: str | None, cues: int, force: bool) -> None:
    from ..html import render_html, save_html

    page = render_html(document, title=title, cues=cues)
    if html_path == "-":
        click.echo(page, nl=False)
        return
    save_html(page, html_path, overwrite=force)
    n, opinion = len(document.sentences), document.opinion_count
    click.echo(f"factopinion: wrote {html_path} ({n} sentence{'' if n == 1 else 's'}, {opinion} opinion)", err=True)


def _write_pages(articles: tuple[str, ...], folder: str, model, threshold: float, cues: int, force: bool) -> None:
    """``score --html-dir``: a page per article and an index of them by opinion share; an article that cannot be
    read is reported by name and the others are written."""
    from ..engine.explain import explain_document
    from ..errors import DataError
    from ..html import IndexEntry, render_html, render_index, save_html
    from ..labeling.articles import find_articles, read_article

    paths = find_articles(articles)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    entries: list[IndexEntry] = []
    failed, used = 0, set[str]()
    for path in paths:
        try:
            source = read_article(path)
            document = source.score(model, threshold)
        except DataError as err:
            click.echo(f"factopinion: {err}", err=True)
            failed += 1
            continue
        name = _page_name(path, used)
        title = (source.page.title if source.page else None) or document.headline or path.name
        save_html(render_html(explain_document(model, document, 0), title=title, cues=cues), out / name,
                  overwrite=force)  # fmt: skip
        entries.append(IndexEntry(name, title, str(path), len(document.sentences), document.opinion_count))
    save_html(render_index(entries), out / "index.html", overwrite=True)
    click.echo(f"factopinion: wrote {len(entries)} page{'' if len(entries) == 1 else 's'} and "
               f"{out / 'index.html'}" + (f"; {failed} failed" if failed else ""), err=True)  # fmt: skip
    if failed:
        raise SystemExit(1)


def _page_name(path: Path, used: set[str]) -> str:
    """The page's file name: the article's, without its suffixes, then .html; numbered where two would clash."""
    stem = path.name.split(".")[0] or "article"
    name, n = f"{stem}.html", 1
    while name == "index.html" or name in used:
        n += 1
        name = f"{stem}-{n}.html"
    used.add(name)
    return name


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
    from ..atomic import same_file

    if html_path not in (None, "-") and any(f != "-" and same_file(f, html_path) for f in files):
        raise click.BadParameter("that is the input file", param_hint="--html")
