"""What each signal is called for a reader: the plain-language names kept with the signals' definitions (the style
signals' ``PLAIN_NAMES``, the lexicon measures' ``plain``), looked up by feature name."""

from __future__ import annotations

import functools

from ..naming import is_signal, signal_name

__all__ = ["plain_name"]


@functools.cache
def _names() -> dict[str, str]:
    from .blocks.lexicon import MEASURES
    from .blocks.style import PLAIN_NAMES

    names = {signal_name(key): plain for key, plain in PLAIN_NAMES.items()}
    names.update({signal_name(key): measure.plain for key, measure in MEASURES.items()})
    return names


def plain_name(term: str) -> str:
    """A feature's name for a reader: a signal's plain-language name ("[max valence]" -> "strongly evaluative
    word"), a signal without one by its name unbracketed, a word n-gram as it is."""
    if not is_signal(term):
        return term
    return _names().get(term, term.strip("[]"))
