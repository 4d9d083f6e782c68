"""Sentence splitting with character offsets into the original text.

A rule-based splitter written for news prose: it knows titles ("Mr.", "Dr."), acronyms ("U.S."), initials,
decimals, quotations and ellipses, treats blank lines as paragraph breaks and skips headings. It is linear in the
input size (a 10 MB single line is fine) and every sentence is an exact slice ``text[start:end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Segments", "Span", "segment", "split_sentences", "split_paragraphs"]

# Abbreviations that (almost) never end a sentence: a following capitalised word continues the sentence.
_TITLES = frozenset(
    """mr mrs ms messrs mme mlle dr prof rev fr sr jr st gen col lt maj sgt capt cmdr adm gov sen rep
    pres supt insp det hon amb sec atty mt ft vs v cf approx dept univ assn bros""".split()
)
# Abbreviations that often sit mid-sentence but may also end one ("... Acme Inc. The firm ...").
_ENDABLE = frozenset(
    """inc ltd co corp plc llc etc al jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed
    thu thur thurs fri sat sun no nos vol pp fig est ave blvd rd""".split()
)
# Words that start a new sentence after an abbreviation or acronym that could otherwise continue it.
_STARTERS = frozenset(
    """the a an he she it they we i you his her its their our this that these those there here but and
    yet so or nor in on at for after before when while if as by from with to since despite although
    though however meanwhile still then now last next some many most all no one two three mr mrs ms dr""".split()
)

_TERMINATOR = re.compile(r"(?:\.{3}|…|[.!?])+[\"'”’»)\]]*")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_OPENERS = "\"'“‘«([¿¡"
_END_PUNCT = ".!?…:;\"'”’»)]"


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence: ``text[start:end]`` of the input it was split from."""

    start: int
    end: int
    text: str


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the blank-line-separated paragraphs of ``text``, whitespace trimmed."""
    spans, pos = [], 0
    for match in _BLANK_LINE.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    return [trimmed for s, e in spans if (trimmed := _trim(text, s, e))]


@dataclass(frozen=True, slots=True)
class Segments:
    """A text cut into paragraphs (offsets), sentences and headings, each in text order."""

    paragraphs: tuple[tuple[int, int], ...]
    sentences: tuple[Span, ...]
    headings: tuple[Span, ...]


def segment(text: str) -> Segments:
    """Split ``text`` into paragraphs, sentences and headings in one pass."""
    paragraphs = split_paragraphs(text)
    sentences: list[Span] = []
    headings: list[Span] = []
    for span, is_heading in _units(text, paragraphs):
        (headings if is_heading else sentences).append(span)
    return Segments(tuple(paragraphs), tuple(sentences), tuple(headings))


def split_sentences(text: str, *, headings: bool = False) -> list[Span]:
    """Split ``text`` into sentences. Headings (short lines without end punctuation) are left out unless
    ``headings`` is true."""
    return [span for span, is_heading in _units(text, split_paragraphs(text)) if headings or not is_heading]


def _units(text: str, paragraphs: list[tuple[int, int]]):
    """Yield (span, is_heading) for every sentence and heading of ``text``, in order. A text that is one short
    line on its own ("Great service") is a sentence, not a heading."""
    if len(paragraphs) == 1 and "\n" not in text[paragraphs[0][0] : paragraphs[0][1]]:
        start, end = paragraphs[0]
        if _is_heading(text[start:end]) and any(c.isalnum() for c in text[start:end]):
            yield Span(start, end, text[start:end]), False
            return
    for p_start, p_end in paragraphs:
        for l_start, l_end, is_heading in _blocks(text, p_start, p_end):
            if is_heading:
                yield Span(l_start, l_end, text[l_start:l_end]), True
                continue
            for s, e in _split_block(text, l_start, l_end):
                yield Span(s, e, text[s:e]), False


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _blocks(text: str, start: int, end: int):
    """Yield (start, end, is_heading) for a paragraph: a heading paragraph, or an optional heading line (a title
    or photo caption) on top of the paragraph's text, then the text."""
    if _is_heading(text[start:end]):
        yield start, end, True
        return
    newline = text.find("\n", start, end)
    if newline != -1:
        first = _trim(text, start, newline)
        rest = _trim(text, newline + 1, end)
        if first and rest:
            next_line = text[rest[0] : rest[1]].split("\n", 1)[0]
            heading = text[first[0] : first[1]]
            if _is_heading(heading) and next_line[:1].isupper() and len(heading) < 0.6 * len(next_line):
                yield first[0], first[1], True
                yield rest[0], rest[1], False
                return
    yield start, end, False


def _is_heading(line: str) -> bool:
    """A short single line without end punctuation: a headline, section heading or photo title."""
    return "\n" not in line and not line.endswith(tuple(_END_PUNCT)) and len(line.split()) <= 12


class _Closing:
    """Where the next ")" of a block is, for a bracket opened at a position: positions only grow, so each stretch of
    the block is searched once (a search from each "(" to the block's end would make the splitter quadratic)."""

    __slots__ = ("text", "end", "close", "before")

    def __init__(self, text: str, end: int):
        self.text, self.end = text, end
        self.close = -2  # the first ")" at or after the last position asked about; -1: none before the block's end
        self.before = 0  # the position after the last non-space character before ``close``

    def after(self, pos: int) -> tuple[int, int]:
        """The first ``)`` at or after ``pos`` (-1 for none), and where the text before it ends, spaces trimmed."""
        if self.close != -1 and self.close < pos:
            self.close = self.text.find(")", pos, self.end)
            before = self.close
            while before > pos and self.text[before - 1].isspace():
                before -= 1
            self.before = before
        return self.close, self.before


def _split_block(text: str, start: int, end: int):
    """Yield (start, end) of the sentences in text[start:end]."""
    sent_start = start
    closing = _Closing(text, end)
    for match in _TERMINATOR.finditer(text, start, end):
        cut = match.end()
        nxt = cut
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt == cut or nxt >= end:  # no whitespace after it ("3.5", "U.S.-led") or end of block
            continue
        if _is_boundary(text, sent_start, match, nxt, end, closing):
            trimmed = _trim(text, sent_start, cut)
            if trimmed:
                yield trimmed
            sent_start = nxt
    trimmed = _trim(text, sent_start, end)
    if trimmed:
        yield trimmed


def _next_word(text: str, pos: int, end: int) -> str:
    while pos < end and text[pos] in _OPENERS:
        pos += 1
    stop = pos
    while stop < end and (text[stop].isalnum() or text[stop] in "’'-"):
        stop += 1
    return text[pos:stop]


def _is_boundary(text: str, sent_start: int, match: re.Match, nxt: int, end: int, closing: _Closing) -> bool:
    following = text[nxt]
    word = _next_word(text, nxt, end)
    starts_upper = following.isupper() or following.isdigit() or following in _OPENERS
    if not starts_upper or not word and following not in _OPENERS:
        return False
    if following == "(":
        # A bracketed sentence "(It rained.)" stands alone; a bracketed note "(Source: …)" belongs to the sentence.
        close, inside_end = closing.after(nxt)
        return close != -1 and inside_end > nxt and text[inside_end - 1] in ".!?…"
    punct = match.group().rstrip("\"'”’»)]")
    if punct != ".":
        # "!", "?", "?!" or an ellipsis followed by a capitalised word.
        return True
    if len(match.group()) > 1 and match.group()[1] in "\"'”’»)]":
        return True  # a quotation or bracket closed after the full stop
    word_start = match.start()
    while word_start > sent_start and (text[word_start - 1].isalnum() or text[word_start - 1] in ".’'-"):
        word_start -= 1
    before = text[word_start : match.start()].strip("’'-").lower()
    last = before.rsplit(".", 1)[-1] if before else ""
    if not before:
        return True
    if "." in before:  # acronyms such as U.S., e.g., Ph.D.
        return word.lower() in _STARTERS and word[:1].isupper()
    if last in _TITLES:
        return False
    if last in ("no", "nos") and word[:1].isdigit():
        return False
    if last in _ENDABLE:
        return word.lower() in _STARTERS
    # An initial ("J. K. Rowling") does not end a sentence.
    return not (len(last) == 1 and last.isalpha() and text[match.start() - 1].isupper())
