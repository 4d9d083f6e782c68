"""A cheap test of whether text is English: the model is trained on English news only, so other languages get a
warning rather than confident-looking labels. No dependency: a share of English function words, and the script."""

from __future__ import annotations

import re

__all__ = ["ENGLISH_ONLY", "looks_english", "english_warning"]

# Closed-class English words: common in any English prose, rare in other languages (shared forms left out).
_ENGLISH = frozenset(
    """the of and to in is was for that on with as by at from it its this be are were has have had not but or
    which who will would been their they he she his her we our an there than also after said more about into
    could should can over when what where up out if so no all one them these those do does did just only very
    while because before between under against during through""".split()
)
_WORD = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_\x00-\u024f]")  # a letter beyond Latin Extended-B
_MIN_WORDS = 8  # below this, too little evidence to tell
_MIN_SHARE = 0.12  # English news prose runs at 30-50% of these words; German, Spanish, French at 0-8%
ENGLISH_ONLY = "the model is trained on English news only"


def looks_english(text: str) -> bool | None:
    """True or False where there is enough text to tell, None where there is not (a short fragment). About 5 µs
    for a sentence, a tenth of scoring it, so ``label`` can ask it of every cell."""
    sample = text[:20_000]
    if not sample.isascii():
        non_latin = len(_NON_LATIN_LETTER.findall(sample))
        if non_latin and non_latin > 0.5 * len(_LETTER.findall(sample)):
            return False  # mostly a non-Latin script (Chinese, Arabic, Cyrillic, ...)
    words = _WORD.findall(sample.lower())
    if len(words) < _MIN_WORDS:
        return None
    return sum(map(_ENGLISH.__contains__, words)) >= _MIN_SHARE * len(words)


def english_warning(text: str) -> str | None:
    """A one-line warning for text that does not look English, else None."""
    if looks_english(text) is False:
        return f"this text does not look like English: {ENGLISH_ONLY}"
    return None
