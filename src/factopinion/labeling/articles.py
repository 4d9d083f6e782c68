"""Labeling articles kept as files, one article per file: plain text, Markdown and web pages, gzipped or not.

Each kind of article file is one ``ArticleKind`` (its suffixes and how its bytes become a ``sources.Source``),
registered once in ``ARTICLE_KINDS``; adding a kind is one ``register`` call. ``label_articles`` scores every
file as ``score`` would and gives one row per article (``--documents``: its page's title, byline and date, its
sentences, opinion sentences, opinion share, mean opinion probability and language) or one row per sentence
(``--sentences``). A file that cannot be read is reported by name and the others are labeled.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..document import Document, PageInfo
from ..encoding import decode_utf8
from ..errors import DataError
from ..language import UNKNOWN, identify
from ..sources import Source, decode_html, extract_page
from .files import find_inputs

if TYPE_CHECKING:
    import pandas as pd

    from ..model import Model

__all__ = [
    "ARTICLE_KINDS",
    "ARTICLE_COLUMNS",
    "ArticleKind",
    "ArticleFailure",
    "ArticleRun",
    "find_articles",
    "is_article_name",
    "kind_of",
    "label_articles",
    "read_article",
    "register",
]

MAX_ARTICLE_BYTES = 64 * 2**20  # an article, decompressed; past this it is not one
ARTICLE_COLUMNS = ("path", "title", "byline", "date")  # what each row says of its article, before the scores
_DOCUMENT_COLUMNS = ("sentences", "opinion_sentences", "opinion_share", "mean_opinion_probability", "language")
_HEADING_MARKS = re.compile(r"^ {0,3}#{1,6}[ \t]+", re.M)
_SENTENCE_COLUMNS = ("sentence_index", "start", "end", "sentence", "label", "opinion_probability", "language")


@dataclass(frozen=True)
class ArticleKind:
    """One kind of article file: its name, the suffixes of its files (lowercase, with the dot) and how its bytes
    (and the file's name, for messages) become the text to score."""

    name: str
    suffixes: tuple[str, ...]
    read: Callable[[bytes, str], Source]


ARTICLE_KINDS: dict[str, ArticleKind] = {}
_BY_SUFFIX: dict[str, ArticleKind] = {}


def register(kind: ArticleKind) -> ArticleKind:
    """Add ``kind`` to ``ARTICLE_KINDS``; its files are then found in folders and read by ``read_article``."""
    ARTICLE_KINDS[kind.name] = kind
    for suffix in kind.suffixes:
        _BY_SUFFIX[suffix] = kind
    return kind


def _read_text(raw: bytes, name: str) -> Source:
    return Source(decode_utf8(raw, name), name)


def _read_markdown(raw: bytes, name: str) -> Source:
    """Markdown as text, its headings' marks dropped ("# Title" is the heading "Title")."""
    text = decode_utf8(raw, name)
    return Source(_HEADING_MARKS.sub("", text), name)


def _read_page(raw: bytes, name: str) -> Source:
    text, page = extract_page(decode_html(raw), source=name)
    return Source(text, name, page)


register(ArticleKind("text", (".txt", ".text"), _read_text))
register(ArticleKind("markdown", (".md", ".markdown"), _read_markdown))
register(ArticleKind("html", (".html", ".htm", ".xhtml"), _read_page))


def kind_of(name: str) -> ArticleKind | None:
    """The kind of article a file name says (``.gz`` looked through), None for any other file."""
    lowered = name.lower().removesuffix(".gz")
    return _BY_SUFFIX.get(os.path.splitext(lowered)[1])


def is_article_name(name: str) -> bool:
    """Whether a file in a folder is an article: not hidden, and of a registered kind."""
    return not name.startswith(".") and kind_of(name) is not None


def _described() -> str:
    suffixes = sorted(_BY_SUFFIX)
    return f"{', '.join(suffixes[:-1])} or {suffixes[-1]} article (gzipped or not)"


def find_articles(items: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The article files ``items`` name: files, folders (their article files) and globs, as ``label`` finds
    tables (``files.find_inputs``)."""
    return find_inputs(items, is_article_name, _described)


def read_article(path: str | Path) -> Source:
    """The text of the article file at ``path`` (a web page's main text, title, byline and date); a
    ``DataError`` naming the file where it cannot be read."""
    name = os.fspath(path)
    kind = kind_of(name)
    if kind is None:
        raise DataError(f"{name}: not an article file ({_described()})")
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise DataError(f"{name}: cannot read it ({err.strerror or err})") from None
    if name.lower().endswith(".gz"):
        raw = _gunzip(raw, name)
    return kind.read(raw, name)


def _gunzip(raw: bytes, name: str) -> bytes:
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        data = decoder.decompress(raw, MAX_ARTICLE_BYTES + 1)
    except zlib.error as err:
        raise DataError(f"{name}: not a valid gzip file ({err})") from None
    if len(data) > MAX_ARTICLE_BYTES:
        raise DataError(f"{name}: over {MAX_ARTICLE_BYTES // 2**20} MiB decompressed; not an article")
    if not decoder.eof:
        raise DataError(f"{name}: the gzip file is cut short")
    return data


@dataclass(frozen=True)
class ArticleFailure:
    path: str
    message: str


@dataclass
class ArticleRun:
    """What ``label_articles`` did: its rows (one per article or per sentence), the articles labeled, left
    unscored for their language, or failed, and their sentences and opinion sentences."""

    rows: list[dict] = field(default_factory=list)
    articles: int = 0
    unscored: int = 0
    sentences: int = 0
    opinion: int = 0
    failures: list[ArticleFailure] = field(default_factory=list)

    def frame(self, sentences: bool) -> pd.DataFrame:
        import pandas as pd

        columns = [*ARTICLE_COLUMNS, *(_SENTENCE_COLUMNS if sentences else _DOCUMENT_COLUMNS)]
        frame = pd.DataFrame(self.rows, columns=columns)
        integers = ("sentence_index", "start", "end") if sentences else ("sentences", "opinion_sentences")
        for column in integers:
            frame[column] = frame[column].astype("Int64")
        return frame

    def line(self) -> str:
        share = self.opinion / self.sentences if self.sentences else 0.0
        failed = f", {len(self.failures):,} failed" if self.failures else ""
        unscored = f", {self.unscored:,} not in English left unscored" if self.unscored else ""
        return (
            f"{self.articles:,} article{'' if self.articles == 1 else 's'}, {self.sentences:,} sentences: "
            f"{share:.1%} opinion{unscored}{failed}"
        )


def label_articles(
    paths: Sequence[str | os.PathLike[str]],
    model: Model,
    *,
    sentences: bool = False,
    threshold: float = 0.5,
    languages: tuple[str, ...] | None = ("en",),
    progress: Callable[[Path], None] | None = None,
) -> ArticleRun:
    """Score every article file of ``paths`` (``find_articles`` expands folders and globs): one row per article,
    or with ``sentences`` one per sentence. An article in a language ``languages`` leaves out keeps its row with
    empty scores (None: score any language). A file that cannot be read is a failure of the run, named, and the
    others are scored. ``progress`` is told each file as it is done."""
    run = ArticleRun()
    for path in find_articles(paths):
        try:
            source = read_article(path)
        except DataError as err:
            run.failures.append(ArticleFailure(os.fspath(path), str(err)))
            if progress is not None:
                progress(Path(path))
            continue
        language = identify(source.text)
        about = _about(os.fspath(path), source)
        run.articles += 1
        if languages is not None and language not in ("", UNKNOWN, *languages):
            run.unscored += 1
            run.rows.append({**about, "language": language})
        else:
            document = source.score(model, threshold)
            about["title"] = about["title"] or document.headline
            run.rows += _rows(about, document, language, sentences)
            run.sentences += len(document.sentences)
            run.opinion += document.opinion_count
        if progress is not None:
            progress(Path(path))
    return run


def _about(path: str, source: Source) -> dict:
    page = source.page or PageInfo()
    return {"path": path, "title": page.title, "byline": page.byline, "date": page.date}


def _rows(about: dict, document: Document, language: str, sentences: bool) -> list[dict]:
    if sentences:
        return [
            {
                **about,
                "sentence_index": s.index,
                "start": s.start,
                "end": s.end,
                "sentence": s.sentence,
                "label": s.label,
                "opinion_probability": round(s.opinion_probability, 6),
                "language": language,
            }
            for s in document.sentences
        ] or [{**about, "language": language}]
    n, opinion = len(document.sentences), document.opinion_count
    probabilities = [s.opinion_probability for s in document.sentences]
    return [
        {
            **about,
            "sentences": n,
            "opinion_sentences": opinion,
            "opinion_share": round(opinion / n, 6) if n else None,
            "mean_opinion_probability": round(sum(probabilities) / n, 6) if n else None,
            "language": language,
        }
    ]
