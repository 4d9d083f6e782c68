"""How features are named: word n-grams by their text, signals in brackets (``[first person]``). One rule, used by
the transformers that make the features, the explanations and the reports."""

from __future__ import annotations

__all__ = ["signal_name", "is_signal"]


def signal_name(key: str) -> str:
    """A signal's feature name: ``first_person`` -> ``[first person]``."""
    return f"[{key.replace('_', ' ')}]"


def is_signal(name: str) -> bool:
    """Whether a feature name is a signal's (bracketed) rather than a word n-gram."""
    return name.startswith("[")
