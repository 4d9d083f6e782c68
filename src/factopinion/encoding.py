"""Decoding input bytes: one rule for what "not UTF-8" means and how the error names the bad byte."""

from __future__ import annotations

import codecs
import sys

from .errors import DataError

__all__ = ["BOM", "decode_utf8", "text_codec", "byte_order"]

BOM = b"\xef\xbb\xbf"
# Text encodings that do not give back the same bytes for the same text (utf-7 has several spellings of one
# character, idna and punycode work on domain labels, the escape codecs turn backslashes into characters), or
# that cannot decode at all: refused, as the output would not be the input's bytes.
_UNSAFE = {
    "utf-7": "has several spellings of the same text",
    "idna": "is for domain names",
    "punycode": "is for domain names",
    "unicode-escape": "turns backslash escapes into characters",
    "raw-unicode-escape": "turns backslash escapes into characters",
    "undefined": "decodes nothing",
}
# The byte-order marks of the Unicode encodings, longest first (UTF-32-LE's begins with UTF-16-LE's).
_MARKS = (
    ("utf-32-le", codecs.BOM_UTF32_LE),
    ("utf-32-be", codecs.BOM_UTF32_BE),
    ("utf-8", codecs.BOM_UTF8),
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
)


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


def decode_text(raw: bytes, source: str, encoding: str = "utf-8") -> str:
    """``raw`` in ``encoding`` (UTF-8: ``decode_utf8``); a ``DataError`` naming the first undecodable byte."""
    if codecs.lookup(text_codec(encoding).name).name == "utf-8":
        return decode_utf8(raw, source)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        raise DataError(
            f"{source} is not {encoding}: undecodable byte 0x{raw[err.start]:02x} at byte offset {err.start}"
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
    if info.name in _UNSAFE:
        raise DataError(f"encoding {name!r} is not supported: it {_UNSAFE[info.name]}, so the output could not keep "
                        "the input's bytes")  # fmt: skip
    return info


def byte_order(name: str, head: bytes) -> tuple[str, int]:
    """The codec to read and write a file in, and the length of its byte-order mark (0 for none), given the
    encoding asked for and the file's first bytes. The codec has a fixed byte order, so the output is in the
    input's: ``utf-16`` and ``utf-32`` become their ``-be`` or ``-le`` form by the mark (the machine's order without
    one), ``utf-8-sig`` is ``utf-8``. A mark of the other byte order than the one named is a ``DataError``."""
    codec = text_codec(name).name
    codec = "utf-8" if codec == "utf-8-sig" else codec
    family = codec[:6] if codec.startswith(("utf-16", "utf-32")) else codec
    marks = [(marked, mark) for marked, mark in _MARKS if marked.startswith(family)]
    found = next(((marked, mark) for marked, mark in marks if head.startswith(mark)), None)
    if codec in ("utf-16", "utf-32"):
        if found:
            return found[0], len(found[1])
        return f"{codec}-{'le' if sys.byteorder == 'little' else 'be'}", 0
    if found is None:
        return codec, 0
    if found[0] != codec:
        raise DataError(f"the input starts with a {found[0].upper()} byte-order mark, not a {codec.upper()} one: "
                        f"give --encoding {found[0]} or {family}")  # fmt: skip
    return codec, len(found[1])
