"""factopinion: tell reported fact from editorial opinion in news text, sentence by sentence."""

__version__ = "0.1.0"

from .model import Document, Model, ModelError, ScoredSentence, load_model  # noqa: E402
from .text import Span, split_sentences  # noqa: E402

__all__ = ["Document", "Model", "ModelError", "ScoredSentence", "Span", "load_model", "split_sentences", "__version__"]
