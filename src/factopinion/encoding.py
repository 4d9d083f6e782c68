"""Decoding input bytes: one rule for what "not UTF-8" means and how the error names the bad byte."""

from __future__ import annotations

import codecs

from .errors import DataError

__all__ = ["BOM", "decode_utf8", "text_codec"]

BOM = b"\xef\xbb\xbf"


def decode_utf8(raw: bytes, source: str) -> str:
    """``raw`` as text (a UTF-8 byte-order mark is dropped); a ``DataError`` naming the first undecodable byte and
    its offset in ``raw`` otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        offset = err.start + (len(BOM) if raw.startswith(BOM) else 0)
        raise DataError(
            f"{source} is not UTF-8: undecodable byte 0x{raw[offset]:02x} at byte offset {offset}"
        ) from None


def text_codec(name: str) -> codecs.CodecInfo:
    """The codec called ``name``, refused unless it turns bytes into text (``rot13``, ``zlib`` and the like are
    not character encodings)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise DataError(f"unknown encoding {name!r}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise DataError(f"{name!r} is not a text encoding")
    return info
