"""Reading and checking API requests, before any work is done: every bad request is one ``ApiError``, with the
HTTP status and the one line the client gets back as ``{"error": "..."}``.

Nothing here imports Starlette: a request is its method's pieces (content type, body bytes, query parameters).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ..sources import check_url

__all__ = [
    "ApiError",
    "LABEL_MODES",
    "LABEL_TYPES",
    "LabelRequest",
    "ScoreRequest",
    "media_type",
    "parse_json",
    "parse_label",
    "parse_score",
]

LABEL_MODES = ("cell", "sentences", "documents")
# The bodies /v1/label reads and answers in, by media type: the table format label reads.
LABEL_TYPES = {
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json": "json",
}
SCORE_FIELDS = {"text": str, "url": str, "threshold": float, "explain": bool}


class ApiError(Exception):
    """A request the API does not answer: ``status`` (4xx) and a one-line ``message`` for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, " ".join(message.split())


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``"application/json; charset=utf-8"`` as ``("application/json", {"charset": "utf-8"})``."""
    kind, *params = (content_type or "").split(";")
    parsed = {}
    for param in params:
        key, _, value = param.partition("=")
        parsed[key.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), parsed


def _check_charset(params: dict[str, str]) -> None:
    charset = params.get("charset")
    if charset not in (None, "utf-8", "utf8"):
        raise ApiError(415, f"the body must be UTF-8, not {charset}")


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(400, f"the body is not valid UTF-8 (byte {err.start})") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    keys = [key for key, _ in pairs]
    twice = next((key for key in keys if keys.count(key) > 1), None)
    if twice is not None:
        raise ApiError(400, f"the body is not valid JSON: the key {twice!r} appears twice")
    return dict(pairs)


def _not_a_number(name: str) -> float:
    raise ApiError(400, f"the body is not valid JSON: {name} is not a JSON number")


def parse_json(body: bytes, content_type: str | None) -> Any:
    """The JSON value of a body sent as ``application/json`` (415 for another type; 400 for bytes that are not
    UTF-8, for what is not strict JSON: NaN, Infinity, a key given twice, nesting too deep)."""
    kind, params = media_type(content_type)
    if kind != "application/json":
        raise ApiError(415, f"send the body as application/json, not {kind or 'no content type'}")
    _check_charset(params)
    text = decode(body)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_not_a_number)
    except json.JSONDecodeError as err:
        raise ApiError(400, f"the body is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise ApiError(400, "the body is not valid JSON: nested too deeply") from None


def _checked_text(value: str, what: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(422, f"{what} holds a lone surrogate (\\ud800 to \\udfff), which is not text") from None
    return value


def _threshold(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(422, f"threshold must be a number between 0 and 1, not {_json_type(value)}")
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ApiError(422, f"threshold must be a number between 0 and 1, not {value}")
    return float(value)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", list: "an array", dict: "an object", int: "a number"}.get(
        type(value), "a number"
    )


@dataclass(frozen=True)
class ScoreRequest:
    """``POST /v1/score``: the text (or a web address to fetch), the threshold and whether to add cue words."""

    text: str | None = None
    url: str | None = None
    threshold: float = 0.5
    explain: bool = False


def parse_score(body: bytes, content_type: str | None, *, allow_urls: bool) -> ScoreRequest:
    """A ``ScoreRequest`` from a JSON object with ``text`` or ``url`` (the latter only with ``allow_urls``)."""
    data = parse_json(body, content_type)
    if not isinstance(data, dict):
        raise ApiError(422, f"send a JSON object with text, not {_json_type(data)}")
    unknown = sorted(set(data) - set(SCORE_FIELDS))
    if unknown:
        raise ApiError(422, f"unknown field {unknown[0]!r}; the fields are: {', '.join(SCORE_FIELDS)}")
    for name in ("text", "url"):
        if name in data and not isinstance(data[name], str):
            raise ApiError(422, f"{name} must be a string, not {_json_type(data[name])}")
    if "explain" in data and not isinstance(data["explain"], bool):
        raise ApiError(422, f"explain must be true or false, not {_json_type(data['explain'])}")
    threshold = _threshold(data["threshold"]) if "threshold" in data else 0.5
    text, url = data.get("text"), data.get("url")
    if text is not None and url is not None:
        raise ApiError(422, "give text or url, not both")
    if url is not None:
        if not allow_urls:
            raise ApiError(403, "this server does not fetch web addresses (start it with --allow-urls): send text")
        try:
            url = check_url(_checked_text(url, "url"))
        except ValueError as err:
            raise ApiError(422, str(err)) from None
        return ScoreRequest(url=url, threshold=threshold, explain=data.get("explain", False))
    if text is None:
        raise ApiError(422, "give text to score" + (" or a url to fetch" if allow_urls else ""))
    if not text.strip():
        raise ApiError(422, "text is empty: there is nothing to score")
    return ScoreRequest(text=_checked_text(text, "text"), threshold=threshold, explain=data.get("explain", False))


@dataclass(frozen=True)
class LabelRequest:
    """``POST /v1/label``: the table's format (``LABEL_TYPES``), its body, and ``label``'s options."""

    format: str
    body: bytes
    texts: list[str] | None  # a JSON array's texts
    text_column: str | None = None
    mode: str = "cell"
    threshold: float = 0.5


def parse_label(body: bytes, content_type: str | None, query: dict[str, str]) -> LabelRequest:
    """A ``LabelRequest``: a JSON array of texts, or a CSV, TSV or JSON Lines body, with the query parameters
    ``text_column``, ``mode`` (``cell``, ``sentences``, ``documents``) and ``threshold``."""
    unknown = sorted(set(query) - {"text_column", "mode", "threshold"})
    if unknown:
        raise ApiError(422, f"unknown query parameter {unknown[0]!r}; they are: text_column, mode, threshold")
    mode = query.get("mode", "cell")
    if mode not in LABEL_MODES:
        raise ApiError(422, f"mode must be one of {', '.join(LABEL_MODES)}, not {mode!r}")
    try:
        threshold = _threshold(float(query["threshold"])) if "threshold" in query else 0.5
    except ValueError:
        raise ApiError(422, f"threshold must be a number between 0 and 1, not {query['threshold']!r}") from None
    kind, params = media_type(content_type)
    if kind not in LABEL_TYPES:
        raise ApiError(415, f"send a JSON array of texts, CSV, TSV or JSON Lines ({', '.join(LABEL_TYPES)}), not "
                       f"{kind or 'no content type'}")  # fmt: skip
    _check_charset(params)
    fmt = LABEL_TYPES[kind]
    if fmt != "json":
        decode(body)  # refuse what is not UTF-8 here, with a 400, like any other body
        return LabelRequest(fmt, body, None, query.get("text_column"), mode, threshold)
    if "text_column" in query:
        raise ApiError(422, "text_column is for CSV, TSV and JSON Lines bodies: a JSON array holds the texts")
    data = parse_json(body, content_type)
    if not isinstance(data, list):
        raise ApiError(422, f"send a JSON array of texts, not {_json_type(data)}")
    bad = next((i for i, item in enumerate(data) if not isinstance(item, str)), None)
    if bad is not None:
        raise ApiError(422, f"item {bad} of the array is {_json_type(data[bad])}, not a string")
    texts = [_checked_text(item, f"item {i} of the array") for i, item in enumerate(data)]
    return LabelRequest(fmt, body, texts, None, mode, threshold)
