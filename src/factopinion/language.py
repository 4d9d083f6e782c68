"""Which language a text is in: the model is trained on English news only, so ``label`` leaves rows in other
languages unscored (or, asked to, scores them with a warning) and ``score`` warns.

``identify`` runs py3langid (BSD-3; its model ships in the package as plain arrays, numpy only, no pickle) where it
is needed, and no more: its model takes seconds to load and it takes about 60 µs a text, four times scoring a
sentence. A text is English without asking it when English function words are frequent in it (English news runs
at 30-50% of them; other languages at 0-8%), and "unknown" when it is too short to tell (py3langid calls "Why?"
Nigerian Pidgin). ``label`` asks once per cell (per article with --documents), never per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable

__all__ = [
    "ENGLISH_ONLY",
    "ENGLISH_WORDS",
    "UNKNOWN",
    "english_warning",
    "identify",
    "identify_counted",
    "looks_english",
]

# Closed-class English words: common in any English prose, rare in other languages (shared forms left out).
_ENGLISH = frozenset(
    """the of and to in is was for that on with as by at from it its this be are were has have had not but or
    which who will would been their they he she his her we our an there than also after said more about into
    could should can over when what where up out if so no all one them these those do does did just only very
    while because before between under against during through""".split()
)
ENGLISH_WORDS = _ENGLISH  # (public: ``identify_counted``'s callers count them)
_COUNTED = 20_000  # characters of a text whose words are counted
_BEYOND_TYPOGRAPHY = re.compile(r"[^\x00-\x7f’‘“”–—…«»\u00a0]")  # beyond ASCII and the marks English text may hold
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_\x00-\u024f]")  # a letter beyond Latin Extended-B
_MIN_WORDS = 8  # below this, too little evidence to tell
_MIN_SHARE = 0.12  # English news prose runs at 30-50% of these words; German, Spanish, French at 0-8%
# At or above this share (with enough words), English without asking py3langid, whose model takes seconds to load
# (68 MB, xz-compressed) and 60 µs a text: 0.6% of CheckThat! English sentences of 8 words or more fall below it, so
# English news rarely loads it; 1 of 40 news sentences in 16 other languages reaches it (a Polish one).
_SURELY_ENGLISH = _MIN_SHARE
_SAMPLE = 2_000  # characters of a text that py3langid reads
# Or at or above this share of words an English vocabulary knows (``identify``'s ``known``: the model's words), so
# that an English headline short of function words ("Antidepressant prescriptions reached 86 million items last
# year.") does not load py3langid (70 MiB in every worker process); news sentences in other languages share 0-27%
# of their words with the default model's vocabulary, English ones 60-100%.
_KNOWN_SHARE = 0.5
_WORD_MARKS = "\"'‘’“”.,;:!?()[]«»…"
ENGLISH_ONLY = "the model is trained on English news only"
UNKNOWN = "unknown"


def _function_words(text: str) -> tuple[int, int, bool]:
    """The text's words, how many of them are English function words, and whether it is mostly a non-Latin
    script (``_non_latin``). About 3 µs for a sentence."""
    sample = text[:_COUNTED]
    words = sample.lower().split()  # (a word with a mark attached, "said," or "it.", is not counted: a little lower)
    return len(words), sum(map(_ENGLISH.__contains__, words)), _non_latin(sample)


def _non_latin(sample: str) -> bool:
    """Whether ``sample`` is mostly in a non-Latin script (Chinese, Arabic, Cyrillic, ...): looked at only where it
    holds a character beyond ASCII and typography."""
    if sample.isascii() or _BEYOND_TYPOGRAPHY.search(sample) is None:
        return False
    count = len(_NON_LATIN_LETTER.findall(sample))
    return bool(count) and count > 0.5 * len(_LETTER.findall(sample))


def _known_share(text: str, known: Container[str]) -> float:
    """The share of the text's words (marks around them stripped) that are English function words or ``known``."""
    words = [word.strip(_WORD_MARKS) for word in text[:_COUNTED].lower().split()]
    return sum(1 for word in words if word in _ENGLISH or word in known) / max(1, len(words))


def looks_english(text: str) -> bool | None:
    """True or False where there is enough text to tell, None where there is not (a short fragment): the
    function-word test alone, about 5 µs for a sentence."""
    words, english, non_latin = _function_words(text)
    if non_latin:
        return False
    if words < _MIN_WORDS:
        return None
    return english >= _MIN_SHARE * words


def identify(text: str, known: Container[str] = frozenset()) -> str:
    """The text's language as an ISO 639-1 code ("en", "de", "zh"), "unknown" where it is too short to tell, ""
    for a blank text. ``known`` is an English vocabulary (lowercase words): a text most of whose words it knows is
    English without asking py3langid."""
    return _decided(text, *_function_words(text), known)


def identify_counted(
    texts: Iterable[str], words: Iterable[int], english: Iterable[int], known: Container[str] = frozenset()
) -> list[str]:
    """``identify`` of each text, given how many words ``str.split()`` gives of it lowercased and how many of those
    are ``ENGLISH_WORDS`` (-1 where they were not counted; counted elsewhere, as ``label`` does from the scorer's
    byte scan): the same answers, without reading the words again."""
    return [
        identify(text, known)  # not counted, or counted beyond the sample ``identify`` counts
        if n < 0 or len(text) > _COUNTED
        else _decided(text, n, held, _non_latin(text), known)
        for text, n, held in zip(texts, words, english, strict=True)
    ]


def _decided(text: str, words: int, english: int, non_latin: bool, known: Container[str]) -> str:
    """``identify``'s answer, given the text's counts (``_function_words``)."""
    if not words:
        return ""
    if not non_latin:
        if words < _MIN_WORDS:
            return UNKNOWN
        if english >= _SURELY_ENGLISH * words:
            return "en"
        if known and _known_share(text, known) >= _KNOWN_SHARE:
            return "en"
    from py3langid.langid import classify  # loads its model (about 0.2 s) the first time

    return str(classify(" ".join(text[:_SAMPLE].split()))[0])


def english_warning(text: str) -> str | None:
    """A one-line warning for text that is not in English, else None."""
    language = identify(text)
    if language not in ("en", UNKNOWN, ""):
        return f"this text does not look like English: {ENGLISH_ONLY}"
    return None
