"""The OpenAPI description of the API, served at ``/openapi.json`` (a test checks real responses against it)."""

from __future__ import annotations

from typing import Any

from .. import __version__
from .schema import LABEL_MODES

__all__ = ["OPENAPI_PATH", "openapi_document"]

OPENAPI_PATH = "/openapi.json"

_ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {"type": "string", "description": "What was wrong, in one line."}},
}
_CUE = {
    "type": "object",
    "required": ["term", "text", "contribution", "spans"],
    "properties": {
        "term": {"type": "string"},
        "text": {"type": "string"},
        "contribution": {"type": "number"},
        "spans": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    },
}
_SENTENCE = {
    "type": "object",
    "required": ["index", "start", "end", "sentence", "label", "opinion_probability"],
    "properties": {
        "index": {"type": "integer", "minimum": 0},
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "sentence": {"type": "string"},
        "label": {"type": "string", "enum": ["fact", "opinion"]},
        "opinion_probability": {"type": "number", "minimum": 0, "maximum": 1},
        "log_odds": {"type": "number"},
        "cues": {
            "type": "object",
            "properties": {"opinion": {"type": "array", "items": _CUE}, "fact": {"type": "array", "items": _CUE}},
        },
    },
}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_DOCUMENT = {
    "type": "object",
    "description": "What `factopinion score --json` prints.",
    "required": ["threshold", "summary", "sentences"],
    "properties": {
        "threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "summary": {
            "type": "object",
            "required": ["sentences", "opinion", "fact", "opinion_share"],
            "properties": {
                "sentences": {"type": "integer", "minimum": 0},
                "opinion": {"type": "integer", "minimum": 0},
                "fact": {"type": "integer", "minimum": 0},
                "opinion_share": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        "sentences": {"type": "array", "items": _SENTENCE},
        "explain": {
            "type": "object",
            "properties": {"intercept": {"type": "number"}, "cues_per_label": {}},
        },
        "page": {
            "type": "object",
            "properties": {name: _NULLABLE_STRING for name in ("title", "byline", "date", "url")},
        },
        "text": {"type": "string", "description": "The article extracted from a fetched page (offsets refer to it)."},
    },
}
_SCORE_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "oneOf": [{"required": ["text"]}, {"required": ["url"]}],
    "properties": {
        "text": {"type": "string", "pattern": "\\S", "description": "The text to score (not blank; or give url)."},
        "url": {"type": "string", "description": "A web page to fetch and score (only with --allow-urls)."},
        "threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
        "explain": {"type": "boolean", "default": False, "description": "Add each sentence's cue words."},
    },
}


def _errors(*statuses: int) -> dict:
    reasons = {
        400: "Malformed request: not UTF-8, not valid JSON.",
        403: "Refused: URL fetching is off, or the address is not public.",
        408: "The body took too long to arrive.",
        413: "The body is larger than --max-bytes.",
        415: "Wrong content type.",
        422: "Well-formed, but not a valid request (wrong types, unknown fields, empty text, a bad threshold), "
        "or input that cannot be scored.",
    }
    return {
        str(status): {"description": reasons[status], "content": {"application/json": {"schema": _ERROR}}}
        for status in statuses
    }


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _warned(response: dict) -> dict:
    """A response that may carry the warning for text that does not look English."""
    header = {"description": "Set where the text does not look English (the model is trained on English news).",
              "schema": {"type": "string"}}  # fmt: skip
    return {**response, "headers": {"X-Factopinion-Warning": header}}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 description of every path the server answers."""
    table = {"type": "string", "description": "A CSV, TSV or JSON Lines table."}
    label_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"type": "string"}, "description": "The texts to label."}
            },
            "text/csv": {"schema": table},
            "text/tab-separated-values": {"schema": table},
            "application/x-ndjson": {"schema": table},
        },
    }
    label_answer = {
        "description": "The input with label's added columns, in the input's format (a JSON array: one object per "
        "row, with text).",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": table},
            "text/tab-separated-values": {"schema": table},
            "application/x-ndjson": {"schema": table},
        },
    }
    query = [
        {"name": "text_column", "in": "query", "schema": {"type": "string"},
         "description": "The column holding the text (default: text, else sentence); not for a JSON array."},
        {"name": "mode", "in": "query", "schema": {"type": "string", "enum": list(LABEL_MODES), "default": "cell"},
         "description": "cell: label each cell; sentences: one row per sentence; documents: one summary per cell."},
        {"name": "threshold", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1}},
    ]  # fmt: skip
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "factopinion",
            "version": __version__,
            "description": "Tell reported fact from editorial opinion in news text, sentence by sentence. "
            'Errors are JSON objects {"error": "one line"} with a 4xx status.',
        },
        "paths": {
            "/v1/score": {
                "post": {
                    "summary": "Score one text (or a fetched web page) sentence by sentence.",
                    "operationId": "score",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _SCORE_REQUEST}}},
                    "responses": {
                        "200": _warned(_json(_DOCUMENT, "The scored document.")),
                        **_errors(400, 403, 413, 415, 422),
                    },
                }
            },
            "/v1/label": {
                "post": {
                    "summary": "Label a batch of texts, or every row of a table, as `factopinion label` does.",
                    "operationId": "label",
                    "parameters": query,
                    "requestBody": label_body,
                    "responses": {"200": label_answer, **_errors(400, 413, 415, 422)},
                }
            },
            "/v1/view": {
                "post": {
                    "summary": "What the web app shows: the scored document, its HTML view and its CSV.",
                    "operationId": "view",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _SCORE_REQUEST}}},
                    "responses": {
                        "200": _warned(
                            _json(
                                {
                                    "type": "object",
                                    "required": ["document", "html", "csv"],
                                    "properties": {
                                        "document": _DOCUMENT,
                                        "html": {"type": "string"},
                                        "csv": {"type": "string"},
                                    },
                                },
                                "The document (explained), its view as HTML and as CSV.",
                            )
                        ),  # fmt: skip
                        **_errors(400, 403, 413, 415, 422),
                    },
                }
            },
            "/v1/model": {
                "get": {
                    "summary": "The model card (what `factopinion model info --json` prints).",
                    "operationId": "model",
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["source", "metadata", "features", "intercept"]},
                            "The model card.",
                        )
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Whether the server is up.",
                    "operationId": "health",
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["ok"]}}},
                            "Up.",
                        )
                    },
                }
            },
        },
    }
