"""The voice signals: what tells the author's own judgement from reported speech, as interactions a linear model
over words cannot form by itself. "The plan is reckless." and "Critics called the plan reckless." share their
evaluative word; only the second attributes it. So a signal here is a conjunction: an evaluative word *and* no
attribution *and* outside quotation marks; a first person *that states a view*; a short quotation *that no one is
quoted saying*.

Each signal is one row of ``VOICE_SIGNALS`` (its feature name, its meaning in plain words, and the function that
finds it); the block (``VoiceSignals``) is what the model file holds and what
``training.voice.VoiceFeatures`` computes through, with the word lists the model carries (``VoiceWords``).

How a sentence is read: it is lowercased; its quotations (paired marks, and a quotation that opens or closes
beyond the sentence) are set apart from the author's text; tokens are runs of word characters with inner
apostrophes ("it's", "don't"). *In the author's voice* means: outside quotation marks, in a sentence that does not
open with a quotation mark, and with no attribution outside its quotations (a reporting word such as "said",
"told", "according", "called", or a stance verb after a third-person subject: "analysts expect").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np

from ...errors import ModelError
from ..analysis import Analysis, Dictionary, offset_map
from ..bytescan import ByteScan
from ..fields import Fields
from .base import EMPTY_FLOAT, EMPTY_INT, Block, TermSpans, Triplets

__all__ = ["VOICE_SIGNALS", "VoiceSignal", "VoiceWords", "VoiceSignals", "default_voice_words", "find_voice"]

Span = tuple[int, int]

# The word lists of the signals. Multi-word entries are lists of words. "evaluative" and "strong" come from the
# lexicon (``default_voice_words``).
_DEFAULT_WORDS: dict[str, list] = {
    # reporting verbs and attribution cues: their presence outside quotations means someone else is speaking
    "reporting": """according said says say saying told tell tells telling stated states added adds announced
        reported claimed claims argued warned warns noted notes insisted insists acknowledged admitted wrote writes
        testified alleged confirmed denied declared stressed stresses emphasised emphasized emphasises emphasizes
        remarked explained asserted maintained contended contends suggested predicted estimated recalled conceded
        complained criticised criticized condemned praised accused urged described describes describing cautioned
        observed replied responded countered proclaimed denounced dismissed welcomed pledged vowed promised
        threatened blamed expressed expressing denigrated called calls quoted asked asks believes thinks expects
        fears hopes feels wants doubts reckons believed thought expected feared hoped felt doubted""".split(),
    # stance verbs that attribute a view when a third-person subject comes before them ("analysts expect")
    "stance_verbs": """think believe expect fear hope feel argue doubt reckon insist warn predict claim describe
        call""".split(),
    # words before a stance verb that are not a third-person subject
    "not_subjects": """i we you to not don't don’t didn't didn’t would will might could should can must do does did
        may also still""".split(),
    # the first person that states a view: a pronoun then a verb of opinion, or a phrase
    "first_person": "i we".split(),
    "view_verbs": "think believe feel suspect doubt fear hope reckon guess argue would find bet submit contend".split(),
    "view_phrases": [
        ["in", "my", "view"], ["in", "my", "opinion"], ["in", "our", "view"], ["in", "our", "opinion"],
        ["to", "my", "mind"], ["my", "view", "is"], ["i", "am", "convinced"], ["i", "m", "convinced"],
        ["i’m", "convinced"], ["i'm", "convinced"], ["for", "my", "part"], ["if", "you", "ask", "me"],
        ["it", "is", "my", "hope"], ["it", "is", "my", "view"],
    ],
    "copulas": """is are was were be been being isn't aren't wasn't weren't isn’t aren’t wasn’t weren’t it's it’s
        that's that’s he's he’s she's she’s they're they’re what's what’s there's there’s seems seem seemed looks
        remains remain sounds proved proves becomes became""".split(),
    # words that may stand between the copula and the evaluative word ("is simply a disgrace")
    "fillers": """a an the so very too simply just utterly deeply not nothing more less really quite hardly but
        little than no entirely totally pure plainly both all most far truly absolutely rather pretty bit of
        frankly clearly still now also downright increasingly thoroughly short complete total utter only yet
        another such grossly wholly""".split(),
    "modals": "should must ought shouldn't shouldn’t mustn't mustn’t".split(),
    "modal_pairs": [["need", "to"], ["needs", "to"], ["has", "to"], ["have", "to"]],
    "stance_openers": """frankly clearly sadly surely obviously admittedly arguably unfortunately thankfully honestly
        remarkably predictably ironically mercifully tellingly worse certainly undoubtedly luckily hopefully
        regrettably alas curiously strangely fortunately inevitably evidently plainly shamefully disappointingly
        astonishingly incredibly happily oddly bizarrely absurdly rightly wrongly crucially doubtless""".split(),
    "stance_opening_phrases": [
        ["of", "course"], ["make", "no", "mistake"], ["needless", "to", "say"], ["to", "be", "fair"],
        ["to", "be", "sure"], ["let's", "be"], ["let’s", "be"], ["let", "us", "be"], ["worse", "still"],
        ["better", "still"], ["in", "short"], ["put", "simply"], ["simply", "put"], ["no", "doubt"],
        ["mark", "my", "words"], ["the", "truth", "is"], ["the", "fact", "is"],
    ],
    # words (within the four before a short quotation) that introduce it as quoted speech, not scare quotes
    "quote_introducers": """said says say saying told tells stated added wrote writes called calls dubbed termed
        labelled labeled described as word words phrase title titled entitled named slogan motto known
        according""".split(),
    "evaluative": [],
    "strong": [],
}  # fmt: skip

# Evaluative words for verdicts: lexicon subjectivity >= 0.5 or absolute valence >= 0.25; strong ones (for the
# quotation signal): either >= 0.5.
EVALUATIVE_SUBJECTIVITY, EVALUATIVE_VALENCE, STRONG = 0.5, 0.25, 0.5

_SINGLE_LISTS = ("reporting", "stance_verbs", "not_subjects", "first_person", "view_verbs", "copulas", "fillers",
                 "modals", "stance_openers", "quote_introducers", "evaluative", "strong")  # fmt: skip
_PHRASE_LISTS = ("view_phrases", "modal_pairs", "stance_opening_phrases")


@dataclass(frozen=True)
class VoiceWords:
    """The word lists of the voice signals, as sets (phrases as tuples of words); built from their plain form (a
    dict of lists, as ``model.json`` stores it) by ``from_lists``; ``lists`` gives that form back."""

    sets: Mapping[str, frozenset]

    @classmethod
    def from_lists(cls, lists: Mapping[str, Sequence]) -> VoiceWords:
        missing = set(_SINGLE_LISTS + _PHRASE_LISTS) - set(lists)
        if missing:
            raise ValueError(f"voice word lists missing: {', '.join(sorted(missing))}")
        sets: dict[str, frozenset] = {}
        for key in _SINGLE_LISTS:
            words = lists[key]
            if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
                raise ValueError(f"voice word list {key!r} must hold strings")
            sets[key] = frozenset(words)
        for key in _PHRASE_LISTS:
            phrases = lists[key]
            if not isinstance(phrases, (list, tuple)) or not all(map(_is_phrase, phrases)):
                raise ValueError(f"voice word list {key!r} must hold lists of words")
            sets[key] = frozenset(tuple(p) for p in phrases)
            sets[f"{key}:anchor"] = frozenset(max(p, key=len) for p in phrases)
            sets[f"{key}:first"] = frozenset(p[0] for p in phrases)
        return cls(sets)

    def lists(self) -> dict[str, list]:
        plain: dict[str, list] = {key: sorted(self.sets[key]) for key in _SINGLE_LISTS}
        plain.update({key: [list(p) for p in sorted(self.sets[key])] for key in _PHRASE_LISTS})
        return plain

    def __getitem__(self, key: str) -> frozenset:
        return self.sets[key]


def _is_phrase(value: object) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(w, str) for w in value)


def default_voice_words(lexicon: Mapping[str, tuple[float, float]]) -> dict[str, list]:
    """The default word lists (plain form), with the evaluative and strong words taken from ``lexicon`` (word ->
    (subjectivity, valence), NaN where unknown)."""
    evaluative, strong = [], []
    for word, (subjectivity, valence) in lexicon.items():
        s = subjectivity if subjectivity == subjectivity else 0.0
        v = abs(valence) if valence == valence else 0.0
        if s >= EVALUATIVE_SUBJECTIVITY or v >= EVALUATIVE_VALENCE:
            evaluative.append(word)
        if s >= STRONG or v >= STRONG:
            strong.append(word)
    return {**_DEFAULT_WORDS, "evaluative": sorted(evaluative), "strong": sorted(strong)}


# -- quotations ---------------------------------------------------------------------------------------------------

# a quotation mark: not an apostrophe between two word characters ("it's", "don’t")
_QUOTE_MARK = re.compile(r"[\"“”«»]|['‘’](?:(?<!\w.)|(?!\w))")
# Every alternative starts with its mark, which the regular expression engine finds quickly.
_PAIRED = re.compile(
    r"“[^“”]*”"
    r"|\"[^\"]*\""
    r"|«[^«»]*»"
    r"|‘(?<!\w‘)[^‘’]*’(?!\w)"  # not after a word character; the closing mark not an apostrophe inside a word
    r"|'(?<![\w']')(?=\w)[^']*(?<=[\w.,!?]')(?!\w)"
)
_OPENING = re.compile(r"[“\"«‘](?=\w)")  # left unclosed (after space or at the start): runs to the sentence's end
_CLOSING = re.compile(r"[”\"»](?<=[\w.,!?][”\"»])(?!\w)")  # left unopened: the quotation began before the sentence
_OPENS_WITH_QUOTE = re.compile(r"\s*[“\"«‘']")
_TOKEN = re.compile(r"\w+(?:['’]\w+)*|\x00")
_JOINS = frozenset(("and", "or"))
_GAP = "\x00"  # stands for a quotation in the author's text


def _split(lowered: str) -> tuple[str, list[Span]]:
    """The author's text (each quotation blanked, same length, a gap mark at its start) and the quotations' spans."""
    quotes: list[Span] = [m.span() for m in _PAIRED.finditer(lowered)]
    author = _blank(lowered, quotes)
    opened = next((m for m in _OPENING.finditer(author) if m.start() == 0 or author[m.start() - 1].isspace()), None)
    if opened:
        start = opened.start()
        quotes.append((start, len(lowered)))
        author = _blank(author, [(start, len(lowered))])
    closes = list(_CLOSING.finditer(author))
    if closes:
        closed = closes[-1]
        quotes.append((0, closed.end()))
        author = _blank(author, [(0, closed.end())])
    return author, sorted(quotes)


def _blank(text: str, spans: Iterable[Span]) -> str:
    pieces, at = [], 0
    for start, end in spans:
        if end > start:
            pieces.append(text[at:start] + _GAP + " " * (end - start - 1))
            at = end
    return "".join(pieces) + text[at:]


# -- finding the signals -------------------------------------------------------------------------------------------


def find_voice(
    sentence: str, words: VoiceWords, signals: Sequence[str], lowered: str | None = None
) -> dict[str, list[Span]]:
    """The voice signals of ``sentence`` among ``signals`` (keys of ``VOICE_SIGNALS``), each with the spans of its
    cue words, offsets into the lowercased sentence; a signal missing from the result is off. ``lowered`` is
    ``sentence.lower()`` where the caller has it already."""
    text = _Sentence(sentence.lower() if lowered is None else lowered, words)
    found: dict[str, list[Span]] = {}
    for key in signals:
        spans = VOICE_SIGNALS[key].find(text, words)
        if spans:
            found[key] = spans
    return found


class _Sentence:
    """One lowercased sentence as the signals read it: the author's text (quotations blanked), its tokens and their
    set, the quotations' spans; whether it opens with a quotation mark, and whether it is in the author's voice
    (``own``). Offsets and attribution are worked out only when a signal asks for them."""

    def __init__(self, lowered: str, words: VoiceWords):
        self.lowered, self.words = lowered, words
        self.marked = _QUOTE_MARK.search(lowered) is not None
        self.author, self.quotes = _split(lowered) if self.marked else (lowered, [])
        self.texts: list[str] = _TOKEN.findall(self.author)
        self.present = set(self.texts)
        self.opens = self.marked and _OPENS_WITH_QUOTE.match(lowered) is not None
        self._own: bool | None = None
        self._offsets: list[Span] | None = None

    @property
    def own(self) -> bool:
        """In the author's voice: not opening with a quotation mark, and no attribution outside the quotations."""
        if self._own is None:
            self._own = not self.opens and not self._attributed()
        return self._own

    def _attributed(self) -> bool:
        texts, present, words = self.texts, self.present, self.words
        reporting = present & words["reporting"]
        if reporting == {"called"} and ("so", "called") in set(pairwise(texts)):  # "so-called" is the author's
            reporting = set()
        if reporting:
            return True
        verbs, not_subjects = words["stance_verbs"], words["not_subjects"]
        if present.isdisjoint(verbs):
            return False
        return any(b in verbs and a not in not_subjects and a != _GAP for a, b in pairwise(texts))

    def span(self, i: int, j: int) -> Span:
        """The offsets of tokens ``i`` to ``j`` (inclusive)."""
        if self._offsets is None:
            self._offsets = [m.span() for m in _TOKEN.finditer(self.author)]
        return self._offsets[i][0], self._offsets[j][1]

    def phrases(self, key: str) -> list[Span]:
        """The spans of the phrases of the word list ``key`` (lists of two to four words) in the author's text."""
        if self.present.isdisjoint(self.words[f"{key}:anchor"]):  # each phrase's longest word, rarer than its first
            return []
        phrases, texts, found = self.words[key], self.texts, []
        firsts = self.words[f"{key}:first"]
        for i, text in enumerate(texts):
            if text in firsts:
                for j in range(i + 2, min(i + 5, len(texts) + 1)):
                    if tuple(texts[i:j]) in phrases:
                        found.append(self.span(i, j - 1))
                        break
        return found


def _first_person_view(s: _Sentence, words: VoiceWords) -> list[Span]:
    if s.opens:
        return []
    spans = s.phrases("view_phrases")
    first = words["first_person"]
    if not s.present.isdisjoint(first):
        verbs = words["view_verbs"]
        spans += [s.span(i, i + 1) for i, (a, b) in enumerate(pairwise(s.texts)) if a in first and b in verbs]
    return sorted(spans)


def _evaluative_predicate(s: _Sentence, words: VoiceWords) -> list[Span]:
    copulas, evaluative = words["copulas"], words["evaluative"]
    if s.present.isdisjoint(copulas) or s.present.isdisjoint(evaluative) or not s.own:
        return []
    fillers, texts, spans = words["fillers"], s.texts, []
    for i, text in enumerate(texts):
        if text in copulas:
            j, end, joined = i + 1, min(i + 5, len(texts)), False
            while j < end:
                if texts[j] in evaluative:
                    spans.append(s.span(i, j))
                    break
                if texts[j] not in fillers:
                    # one other word joined to the next by "and"/"or" ("is shortsighted and cruel"), once
                    if joined or j + 1 >= len(texts) or texts[j + 1] not in _JOINS:
                        break
                    j, end, joined = j + 1, min(j + 5, len(texts)), True
                j += 1
    return spans


def _recommendation(s: _Sentence, words: VoiceWords) -> list[Span]:
    modals = words["modals"]
    spans = [] if s.present.isdisjoint(modals) else [s.span(i, i) for i, t in enumerate(s.texts) if t in modals]
    spans += s.phrases("modal_pairs")
    return sorted(spans) if spans and s.own else []


def _evaluative_quoted_only(s: _Sentence, words: VoiceWords) -> list[Span]:
    strong = words["strong"]
    if not s.quotes or not s.present.isdisjoint(strong):
        return []
    return _strong_in_quotes(s.lowered, s.quotes, strong)


def _strong_in_quotes(lowered: str, quotes: list[Span], strong: frozenset[str]) -> list[Span]:
    """The spans of the words of ``strong`` inside the quotations."""
    return [m.span() for start, end in quotes for m in _TOKEN.finditer(lowered, start, end) if m.group() in strong]


def _scare_quotes(s: _Sentence, words: VoiceWords) -> list[Span]:
    if not s.marked and "called" not in s.present or s.opens:
        return []
    spans = []
    if "called" in s.present and "so" in s.present:
        spans = [s.span(i, i + 1) for i, pair in enumerate(pairwise(s.texts)) if pair == ("so", "called")]
    return sorted(spans + _short_quotations(s.lowered, s.author, s.quotes, words["quote_introducers"]))


def _short_quotations(lowered: str, author: str, quotes: list[Span], introducers: frozenset[str]) -> list[Span]:
    """The quotations of one to three words that neither punctuation nor one of ``introducers`` (among the four
    words before) introduces: scare quotes."""
    spans, tokens = [], None
    for start, end in quotes:
        if not _PAIRED.fullmatch(lowered, start, end) or not 1 <= len(_TOKEN.findall(lowered, start, end)) <= 3:
            continue
        if _last_mark(lowered, start) in (":", ","):  # introduced by punctuation: quoted speech
            continue
        tokens = tokens or _Tokens(author)
        if introducers.isdisjoint(tokens.last(start, 4)):
            spans.append((start, end))
    return spans


def _last_mark(text: str, end: int) -> str:
    """The last character of ``text[:end]`` that is not white space ("" if none): without copying the text
    before it, so a long text's quotations cost time linear in the text, not in the text times its quotations."""
    i = end - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return text[i] if i >= 0 else ""


class _Tokens:
    """A text's tokens (``_TOKEN``) before any position. Looked for in a short window before it (most quotations
    have words just before them); where that does not hold enough, in all the text's tokens, found once, so a text
    of many quotations stays linear."""

    WINDOW = 256  # characters

    def __init__(self, text: str):
        self.text = text
        self.found: list[tuple[int, int, str]] | None = None
        self.ends: list[int] = []

    def last(self, end: int, n: int) -> list[str]:
        """``_TOKEN.findall(text, 0, end)[-n:]``: the tokens ending by ``end``, and a token ``end`` cuts read as
        the text stopping there."""
        start = max(0, end - self.WINDOW)
        tokens = _TOKEN.findall(self.text, start, end)
        if start == 0 or len(tokens) > n:  # (the window may cut its first token: then it is not among the last n)
            return tokens[-n:]
        if self.found is None:
            self.found = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(self.text)]
            self.ends = [stop for _, stop, _ in self.found]
        i = bisect.bisect_right(self.ends, end)
        tokens = [token for _, _, token in self.found[max(0, i - n) : i]]
        if i < len(self.found) and self.found[i][0] < end:  # the next token runs past the end: read it cut
            tokens += _TOKEN.findall(self.text, self.found[i][0], end)
        return tokens[-n:]


def _stance_opening(s: _Sentence, words: VoiceWords) -> list[Span]:
    texts = s.texts
    if s.opens or not texts:
        return []
    if texts[0] in words["stance_openers"]:
        return [s.span(0, 0)]
    if texts[0] in words["stance_opening_phrases:first"]:
        for j in range(2, min(5, len(texts) + 1)):
            if tuple(texts[:j]) in words["stance_opening_phrases"]:
                return [s.span(0, j - 1)]
    return []


@dataclass(frozen=True)
class VoiceSignal:
    """One voice signal: its feature name (what explanations show), what it means, and the function that finds its
    cue words' spans in a sentence (none: the signal is off)."""

    name: str
    meaning: str
    find: Callable[[_Sentence, VoiceWords], list[Span]]


# key -> VoiceSignal, in the transformer's default column order.
VOICE_SIGNALS: dict[str, VoiceSignal] = {
    "first_person_view": VoiceSignal(
        "[first-person view, author's voice]",
        "“I think”, “we believe”, “in my view”, “to my mind”… outside quotation marks",
        _first_person_view,
    ),
    "evaluative_predicate": VoiceSignal(
        "[verdict, author's voice]",
        "a verdict on the subject: a form of “be” (or seems, remains, proved…), up to three small words, then an "
        "evaluative word (“is reckless”, “is a liar”, “was simply a mistake”), in the author's voice",
        _evaluative_predicate,
    ),
    "recommendation": VoiceSignal(
        "[should/must, author's voice]",
        "should, must, ought, need to, has to… in the author's voice",
        _recommendation,
    ),
    "evaluative_quoted_only": VoiceSignal(
        "[evaluative words only inside quotes]",
        "strongly evaluative words inside quotation marks and none outside them: someone else's judgement",
        _evaluative_quoted_only,
    ),
    "scare_quotes": VoiceSignal(
        "[scare quotes]",
        "“so-called”, or a quotation of one to three words that no speech verb introduces (the government's ‘reform’)",
        _scare_quotes,
    ),
    "stance_opening": VoiceSignal(
        "[opening stance adverb]",
        "the sentence opens with a stance adverb or phrase: Frankly, Clearly, Sadly, Surely, Of course, Make no "
        "mistake…",
        _stance_opening,
    ),
}


# -- the signals of a batch's sentences all at once, from their (author's) tokens ----------------------------------

_MAY_QUOTE = "'‘’"  # a quotation mark where a word character is not on both sides (else an apostrophe)
_QUOTATION_MARKS = '"“”«»'  # a quotation mark wherever it is


class _WordTables:
    """The word lists as tables over a dictionary's ids, to find the signals of many sentences at once from their
    tokens (ids, and rows in order): what ``find_voice`` finds in a sentence with no quotation mark (where the
    author's text is the whole sentence, which does not open with a quotation, and has no quotations), and, from
    the tokens of their author's text, the author's signals of sentences with quotations (``VoiceSignals._quoted``)."""

    def __init__(self, words: VoiceWords, dictionary: Dictionary):
        self.tables: dict[str, np.ndarray] = {}
        for key in _SINGLE_LISTS:
            table = self.tables[key] = dictionary.table(False, bool)
            table[dictionary.ids(words[key])] = True
        self.joins = dictionary.table(False, bool)
        self.joins[dictionary.ids(_JOINS)] = True
        self.so, self.called = dictionary.ids(["so", "called"])
        # phrases of two to four words (``_Sentence.phrases`` looks no further), as id sequences
        self.phrases = {
            key: [dictionary.ids(p) for p in sorted(words[key]) if 2 <= len(p) <= 4] for key in _PHRASE_LISTS
        }
        self.firsts = {key: dictionary.table(False, bool) for key in _PHRASE_LISTS}  # the phrases' first words
        for key, phrases in self.phrases.items():
            self.firsts[key][[phrase[0] for phrase in phrases]] = True

    def unquoted(
        self, ids: np.ndarray, rows: np.ndarray, size: int, gaps: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Signal key -> whether it is on, for each of ``size`` rows (the rows without tokens: off). ``gaps`` marks
        the tokens that stand for a quotation (a gap mark of an author's text, id -1), which are no one's subject."""
        t = self.tables
        same = rows[1:] == rows[:-1]  # token k and k+1 in one sentence
        ends = np.searchsorted(rows, np.arange(size), side="right")  # after each row's last token

        def rows_of(where: np.ndarray) -> np.ndarray:
            return np.bincount(rows[where], minlength=size) > 0

        def pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
            return rows_of(np.flatnonzero(first[:-1] & second[1:] & same))

        def phrases(key: str, at_start: bool = False) -> np.ndarray:
            found = np.zeros(size, dtype=bool)
            starts = np.flatnonzero(self.firsts[key][ids])  # where a phrase of the list may start
            if at_start:
                starts = starts[(starts == 0) | (rows[starts - 1] != rows[starts])]
            for phrase in self.phrases[key]:
                at = starts[ids[starts] == phrase[0]]
                at = at[at + len(phrase) <= ends[rows[at]]]
                for k in range(1, len(phrase)):
                    at = at[ids[at + k] == phrase[k]]
                found[rows[at]] = True
            return found

        so, called = ids == self.so, ids == self.called
        reporting = t["reporting"][ids]
        subject = ~t["not_subjects"][ids] if gaps is None else ~t["not_subjects"][ids] & ~gaps
        so_called = pairs(so, called)
        attributed = (
            rows_of(np.flatnonzero(reporting & ~called))
            | (rows_of(np.flatnonzero(reporting & called)) & ~so_called)
            | pairs(subject, t["stance_verbs"][ids])
        )
        first = np.flatnonzero(np.concatenate(([True], ~same)))[: len(ids)]  # each row's first token
        opening = np.zeros(size, dtype=bool)
        opening[rows[first[t["stance_openers"][ids[first]]]]] = True
        return {
            "first_person_view": pairs(t["first_person"][ids], t["view_verbs"][ids]) | phrases("view_phrases"),
            "evaluative_predicate": self._verdicts(ids, rows, ends) & ~attributed,
            "recommendation": (rows_of(np.flatnonzero(t["modals"][ids])) | phrases("modal_pairs")) & ~attributed,
            "scare_quotes": so_called,
            "stance_opening": opening | phrases("stance_opening_phrases", at_start=True),
        }

    def holding(self, key: str, ids: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
        """Whether each of ``size`` rows has a token of the word list ``key``."""
        return np.bincount(rows[self.tables[key][ids]], minlength=size) > 0

    def _verdicts(self, ids: np.ndarray, rows: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The rows with a copula followed by an evaluative word (``_evaluative_predicate``'s walk, for every
        copula at once)."""
        t = self.tables
        copula = np.flatnonzero(t["copulas"][ids])
        stop = ends[rows[copula]]  # after the copula's row's last token
        j, end = copula + 1, np.minimum(copula + 5, stop)
        joined = np.zeros(len(copula), dtype=bool)
        hit = np.zeros(len(copula), dtype=bool)
        alive = j < end
        while alive.any():
            word = ids[np.where(alive, j, 0)]
            evaluative = alive & t["evaluative"][word]
            hit |= evaluative
            alive &= ~evaluative
            other = alive & ~t["fillers"][word]
            following = np.where(other & (j + 1 < stop), j + 1, 0)
            join = other & ~joined & (j + 1 < stop) & self.joins[ids[following]]
            alive &= ~other | join
            end = np.where(join, np.minimum(j + 5, stop), end)
            joined |= join
            j = np.where(join, j + 2, j + 1)
            alive &= j < end
        return np.bincount(rows[copula[hit]], minlength=len(ends)) > 0


# -- the block -----------------------------------------------------------------------------------------------------


class VoiceSignals(Block):
    """``training.voice.VoiceFeatures`` as data: one column per voice signal (``VOICE_SIGNALS``), ``weight`` where it
    is on, else 0, found with the word lists ``words`` (their plain form, a dict of lists, is what the file holds)."""

    kind = "voice_signals"

    def __init__(self, signals: list[dict], words: Mapping[str, Sequence], coef: np.ndarray, weight: float = 1.0,
                 name: str = "voice"):  # fmt: skip
        super().__init__(name, [s["name"] for s in signals], coef, weight)
        unknown = [s["signal"] for s in signals if s["signal"] not in VOICE_SIGNALS]
        if unknown:
            raise ModelError(f"voice block {name!r}: unknown signal {unknown[0]!r}")
        try:
            self.words = VoiceWords.from_lists(words)
        except ValueError as err:
            raise ModelError(f"voice block {name!r}: {err}") from None
        self.definitions, self.keys = signals, [s["signal"] for s in signals]
        self.column_of = {key: column for column, key in enumerate(self.keys)}

    @classmethod
    def of_keys(cls, keys: Iterable[str], words: Mapping[str, Sequence], coef: np.ndarray, weight: float = 1.0,
                name: str = "voice") -> VoiceSignals:  # fmt: skip
        """The block of the signals ``keys`` (of ``VOICE_SIGNALS``) with the word lists ``words``."""
        signals = [{"name": VOICE_SIGNALS[key].name, "signal": key} for key in keys]
        return cls(signals, words, coef, weight, name)

    def lookups(self) -> Iterable[str]:
        words = self.words
        return chain(
            *(words[key] for key in _SINGLE_LISTS), *(chain(*words[key]) for key in _PHRASE_LISTS), _JOINS, ("so",)
        )

    def bind(self, dictionary: Dictionary) -> None:
        self.lookup = _WordTables(self.words, dictionary)

    def triplets(self, batch: Analysis) -> Triplets:
        words, keys = self.words, self.keys
        found = np.zeros((batch.size, len(keys)), dtype=bool)
        tokens = batch.words_with_inner_apostrophes()
        if tokens is None:
            read = list(range(batch.size))
        else:  # the rows with quotation marks from their author's text; those with a NUL (a token) one by one
            scan, lowered = batch.scan, batch.lowered
            unsafe = set(scan.unsafe)
            read = sorted(unsafe.union(scan.rows_holding("\x00")))
            quoted = sorted(set(scan.quotation_marks(_MAY_QUOTE, _QUOTATION_MARKS)).difference(read))  # _QUOTE_MARK's
            apart = np.zeros(batch.size, dtype=bool)
            apart[read + quoted] = True
            kept = ~apart[tokens.rows]
            on = self.lookup.unquoted(tokens.ids[kept], tokens.rows[kept], batch.size)
            for column, key in enumerate(keys):
                if key in on:
                    found[:, column] = on[key] & ~apart
            if quoted:
                strong = self.lookup.holding("strong", tokens.ids, tokens.rows, batch.size)
                found[quoted] = self._quoted(batch, [lowered[row] for row in quoted], strong[quoted])
        sentences, lowered = batch.sentences, batch.lowered
        for row in read:
            for key in find_voice(sentences[row], words, keys, lowered[row]):
                found[row, self.column_of[key]] = True
        rows, columns = np.nonzero(found)
        if not len(rows):
            return EMPTY_INT, EMPTY_INT, EMPTY_FLOAT
        return rows.astype(np.intp), columns.astype(np.intp), np.full(len(rows), self.weight)

    def _quoted(self, batch: Analysis, lowered: list[str], strong: np.ndarray) -> np.ndarray:
        """The signals (a row per sentence, a column per key) of lowercased sentences with quotation marks, whose
        word characters are ASCII and which hold no NUL: found from the tokens of their author's text (a byte scan
        of it, each gap mark a token of its own) for all at once; the quotations' own signals sentence by sentence,
        where they can be on. ``strong`` tells which sentences hold a strong word anywhere (a quotation's tokens are
        tokens of the whole sentence: its marks cannot sit inside a word)."""
        split = [_split(text) for text in lowered]
        opens = np.array([_OPENS_WITH_QUOTE.match(text) is not None for text in lowered], dtype=bool)
        scan = ByteScan([author for author, _ in split])
        starts, stops = scan.words_with_inner_apostrophes()
        gap_starts = scan.positions(ord(_GAP))
        order = np.argsort(np.concatenate((starts, gap_starts)), kind="stable")
        ids = np.concatenate((scan.look_up(starts, stops, batch.dictionary.bytes), np.full(len(gap_starts), -1)))[order]
        gaps = order >= len(starts)
        rows = scan.rows(np.concatenate((starts, gap_starts))[order])
        on = self.lookup.unquoted(ids, rows, len(lowered), gaps)
        found = np.zeros((len(lowered), len(self.keys)), dtype=bool)
        words = self.words
        for column, key in enumerate(self.keys):
            if key == "evaluative_quoted_only":
                for i in np.flatnonzero(strong & ~self.lookup.holding("strong", ids, rows, len(lowered))).tolist():
                    text, (_, quotes) = lowered[i], split[i]
                    found[i, column] = bool(quotes) and bool(_strong_in_quotes(text, quotes, words["strong"]))
            elif key == "scare_quotes":
                found[:, column] = on[key]
                for i in np.flatnonzero(~on[key]).tolist():
                    text, (author, quotes) = lowered[i], split[i]
                    found[i, column] = bool(_short_quotations(text, author, quotes, words["quote_introducers"]))
                found[:, column] &= ~opens
            else:  # the author's signals: none in a sentence that opens with a quotation mark
                found[:, column] = on[key] & ~opens
        return found

    def spans(self, sentence: str) -> TermSpans:
        lowered = sentence.lower()
        to_original = offset_map(sentence, lowered, str.lower)
        if to_original is None:  # pragma: no cover - str.lower works character by character
            return {}
        found = find_voice(sentence, self.words, self.keys, lowered)
        return {
            self.names[self.column_of[key]]: [(to_original[a], to_original[b - 1] + 1) for a, b in spans if b > a]
            for key, spans in found.items()
        }

    def _data(self) -> dict:
        return {"signals": self.definitions, "words": self.words.lists()}

    @classmethod
    def from_data(cls, fields: Fields) -> VoiceSignals:
        signals = [{"name": s.text("name"), "signal": s.text("signal")} for s in fields.objects("signals")]
        lists = fields.get("words", (dict,))
        coef = fields.array("coef", len(signals))
        return cls(signals, lists, coef, fields.number("weight", 1.0), fields.text("name"))
