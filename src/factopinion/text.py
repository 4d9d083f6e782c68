"""Sentence splitting with character offsets into the original text.

A rule-based splitter written for news prose: it knows titles ("Mr.", "Dr."), acronyms ("U.S."), initials,
decimals, quotations and ellipses, treats blank lines as paragraph breaks and skips headings. It is linear in the
input size (a 10 MB single line is fine) and every sentence is an exact slice ``text[start:end]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["Kind", "Segments", "Span", "segment", "split_sentences", "split_paragraphs"]

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
_END_PUNCTUATION = tuple(_END_PUNCT)


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
    """A text cut into paragraphs (offsets), sentences, headings, bylines ("By Maria Duarte") and datelines
    ("LONDON, March 3 (Reuters) —"), each in text order."""

    paragraphs: tuple[tuple[int, int], ...]
    sentences: tuple[Span, ...]
    headings: tuple[Span, ...]
    bylines: tuple[Span, ...] = ()
    datelines: tuple[Span, ...] = ()


# What a unit of text is; only sentences are scored.
Kind = Literal["sentence", "heading", "byline", "dateline"]


def segment(text: str) -> Segments:
    """Split ``text`` into paragraphs, sentences, headings, bylines and datelines in one pass."""
    paragraphs = split_paragraphs(text)
    found: dict[str, list[Span]] = {"sentence": [], "heading": [], "byline": [], "dateline": []}
    for span, kind in _units(text, paragraphs):
        found[kind].append(span)
    return Segments(
        tuple(paragraphs),
        tuple(found["sentence"]),
        tuple(found["heading"]),
        tuple(found["byline"]),
        tuple(found["dateline"]),
    )


def split_sentences(text: str, *, headings: bool = False) -> list[Span]:
    """Split ``text`` into sentences. Headings (short lines without end punctuation), bylines and datelines are
    left out unless ``headings`` is true."""
    return [span for span, kind in _units(text, split_paragraphs(text)) if headings or kind == "sentence"]


def _units(text: str, paragraphs: list[tuple[int, int]]) -> list[tuple[Span, Kind]]:
    """Every unit of ``text`` with its kind, in order. A text without a sentence, such as one short line given on
    its own ("Great service") or a few unpunctuated lines, is made of sentences: its lines."""
    units: list[tuple[Span, Kind]] = []
    for p_start, p_end in paragraphs:
        for b_start, b_end, kind in _blocks(text, p_start, p_end):
            if kind != "text":
                units.append((Span(b_start, b_end, text[b_start:b_end]), kind))
                continue
            units.extend((Span(s, e, text[s:e]), "sentence") for s, e in _split_block(text, b_start, b_end))
    if any(kind == "sentence" for _, kind in units):
        return units
    return [(span, "sentence" if any(c.isalnum() for c in span.text) else kind) for span, kind in units]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int, Kind | Literal["text"]]]:
    """Yield (start, end, kind) for a (trimmed) paragraph: the lines on top of it that stand alone (bylines, a
    heading above a byline or above the text, each of several short unpunctuated lines), then a dateline that
    opens its text, then the text (kind "text", to be split into sentences)."""
    known, kind = False, None  # the kind of the line at start, where the previous round found it
    while True:
        newline = text.find("\n", start, end)
        if newline == -1:  # the paragraph's last line
            kind = kind if known else _line_kind(text[start:end])
            if kind is not None:
                yield start, end, kind
                return
            break
        line_end = newline
        while text[line_end - 1].isspace():
            line_end -= 1
        kind = kind if known else _line_kind(text[start:line_end])
        if kind is None:
            break
        rest = newline + 1
        while text[rest].isspace():  # the paragraph is trimmed: a line with text follows
            rest += 1
        next_newline = text.find("\n", rest, end)
        next_line = text[rest : end if next_newline == -1 else next_newline].rstrip()
        following = _line_kind(next_line)
        if kind == "byline" or following == "byline" or following == "heading" and _opens_unit(next_line):
            yield start, line_end, kind  # a byline, a title above one, or one of several unpunctuated lines
        elif next_line[:1].isupper() and line_end - start < 0.6 * len(next_line):
            yield start, line_end, kind  # a title or photo caption above the text
            start = rest
            break
        else:
            break
        start, known, kind = rest, True, following
    dateline = _dateline_end(text, start, end)
    if dateline is not None:
        yield start, dateline, "dateline"
        start = dateline
        while text[start].isspace():
            start += 1
    yield start, end, "text"


def _is_heading(line: str) -> bool:
    """A short single line without end punctuation: a headline, section heading or photo title."""
    return "\n" not in line and not line.endswith(_END_PUNCTUATION) and len(line.split()) <= 12


def _line_kind(line: str) -> Kind | None:
    """What a line standing alone would be: a byline, a heading, or neither (text)."""
    return "byline" if _is_byline(line) else "heading" if _is_heading(line) else None


def _opens_unit(line: str) -> bool:
    return line[:1].isupper() or line[:1].isdigit() or line[:1] in _OPENERS


# Words of a byline besides names: "By Maria Duarte and Tom Lee in London", "By the Associated Press".
_BYLINE_WORDS = frozenset("and & in for of the at de da di du van von der den la le al bin y | · - — –".split())


def _is_byline(line: str) -> bool:
    """A line that says who wrote the story: "By", then names (capitalised words, "and", "in", ...), with no end
    punctuation, as in "By Maria Duarte" or "BY MARIA DUARTE AND TOM LEE, Reuters"."""
    if line[:2] not in ("By", "BY"):
        return False
    words = line.split()
    if not 2 <= len(words) <= 12 or words[0] not in ("By", "BY") or "\n" in line:
        return False
    if line.endswith(tuple("!?…:;\"'”’»")) or line.endswith(".") and len(words[-1]) > 3:  # "Jr." is fine
        return False
    names = [name for word in words[1:] if (name := word.strip(","))]
    if not names or not (names[0][:1].isupper() or names[0] == "the"):
        return False
    return all(w[:1].isupper() or w.lower() in _BYLINE_WORDS for w in names) and any(w[:1].isupper() for w in names)


# A dateline opening a story: a place in capitals ("LONDON", "NEW YORK") or capitalised before a news agency,
# then maybe a date or region (", March 3", ", Calif."), maybe the agency ("(Reuters)"), then a dash.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3})"
    r"(?:, [\w.'’-]+(?: [\w.'’-]+){0,3}){0,2}"
    r"(?: ?\((?P<agency>[^()\n]{1,40})\))?"
    r" ?(?:—|–|--?)(?=\s)"
)
_AGENCIES = frozenset(
    """reuters ap afp upi dpa ansa efe pa ani ians pti xinhua tass kyodo yonhap bloomberg cnn bbc aap cp apa
    belga bernama anadolu interfax itar-tass ria novosti the associated press agence france-presse""".split()
)


def _dateline_end(text: str, start: int, end: int) -> int | None:
    """Where a dateline that opens ``text[start:end]`` ends (after its dash), if one does and a sentence follows."""
    match = _DATELINE.match(text, start, min(end, start + 200))
    if match is None:
        return None
    place, agency = match.group("place"), match.group("agency")
    in_capitals = place.upper() == place and sum(c.isalpha() for c in place) >= 2
    known_agency = agency is not None and all(w in _AGENCIES for w in agency.lower().replace("/", " ").split())
    if not (in_capitals or known_agency):
        return None
    following = match.end()
    while following < end and text[following].isspace():
        following += 1
    if following >= end or not _opens_unit(text[following]):
        return None
    return match.end()


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
