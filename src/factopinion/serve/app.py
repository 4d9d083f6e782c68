"""The Starlette application: the web app at ``/``, the JSON API under ``/v1/``, ``/healthz`` and the OpenAPI
description. Every request body is bounded (``--max-bytes``, refused before it is read where its length is
declared) and timed; the scoring runs in a few threads, off the event loop; every error is a 4xx (a 500 only for
a bug) with one line of JSON, and every response carries ``X-Content-Type-Options: nosniff``."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import DataError, FactopinionError
from ..model import Model
from .addresses import AddressPolicy, AddressRefused
from .openapi import OPENAPI_PATH, openapi_document
from .page import CONTENT_SECURITY_POLICY, render_page
from .schema import ApiError, LabelRequest, ScoreRequest, parse_label, parse_score
from .settings import Settings

__all__ = ["WARNING_HEADER", "create_app", "label_table", "score_request"]

logger = logging.getLogger("factopinion.serve")
WARNING_HEADER = "X-Factopinion-Warning"  # what score and label print on standard error, "; " between warnings
_MEDIA_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "jsonl": "application/x-ndjson"}


class JSONLine(Response):
    """A JSON response on one line (an error, a small object), ending with a newline."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return (json.dumps(content, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def error(status: int, message: str, **headers: str) -> Response:
    return JSONLine({"error": message}, status_code=status, headers=headers or None)


# -- the work, done in a thread --------------------------------------------------------------------------------------


def score_request(
    model: Model, request: ScoreRequest, *, policy: AddressPolicy | None = None, timeout: float | None = None
):
    """The scored ``Document`` for a checked request: its text, or the article of the page at its ``url``, read
    as ``score --url`` reads it, fetched through ``policy`` (default: public addresses only)."""
    from ..engine.explain import explain_document
    from ..sources import TIMEOUT, Source, from_url

    if request.url is not None:
        source = from_url(request.url, timeout=timeout or TIMEOUT, connect=(policy or AddressPolicy()).connect)
    else:
        source = Source(request.text or "")
    if not source.text.strip():
        raise DataError("no text to score: the page is empty")
    document = source.score(model, threshold=request.threshold)
    if not document.sentences:
        raise DataError("no sentences to score: the text has only headings or punctuation")
    return explain_document(model, document) if request.explain else document


def document_text(document, fmt: str) -> str:
    """The document as ``score`` prints it with ``--json`` (``fmt`` "json") or ``--csv``."""
    from ..cli.render import write_document

    out = io.StringIO()
    write_document(document, fmt, out)
    return out.getvalue()


def label_table(model: Model, request: LabelRequest) -> tuple[bytes, list[str]]:
    """What ``label`` writes for the request's table: its rows with the added columns, in its format (a JSON array
    of texts comes back as an array of objects, each text with its added columns), and the warnings ``label``
    prints on standard error (advice on the mode, rows not in English)."""
    from ..labeling.batch import BatchOptions, label_file

    source = request.body
    fmt = request.format
    if request.texts is not None:
        if not request.texts:
            return b"[]\n", []
        source = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in request.texts).encode("utf-8")
        fmt = "jsonl"
    options = BatchOptions(
        text_column=request.text_column,
        sentences=request.mode == "sentences",
        documents=request.mode == "documents",
        threshold=request.threshold,
        format=fmt,
        jobs=1,  # in this thread: a server does not start process pools per request
    )
    out = io.BytesIO()
    summary = label_file(io.BytesIO(source), out, model, options, stream_name="the body")
    warnings = [*summary.warnings, *filter(None, [summary.not_english_line()])]
    if request.texts is None:
        return out.getvalue(), warnings
    rows = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines() if line]
    return (json.dumps(rows, ensure_ascii=False) + "\n").encode("utf-8"), warnings


# -- requests --------------------------------------------------------------------------------------------------------


async def read_body(request: Request, settings: Settings) -> bytes:
    """The request's body: at most ``max_bytes`` (413 as soon as it is known to be longer: from its declared
    length, before reading it), arriving within ``body_timeout`` seconds (408)."""
    limit = settings.max_bytes
    too_large = f"the body is over the limit of {limit:,} bytes (--max-bytes)"
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ApiError(413, too_large)
    chunks, size = [], 0
    try:
        with anyio.fail_after(settings.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, too_large)
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(408, f"the body did not arrive within {settings.body_timeout:g} s") from None
    return b"".join(chunks)


class _Service:
    """The application's state and its endpoints."""

    def __init__(self, model: Model, settings: Settings, policy: AddressPolicy | None):
        self.model, self.settings = model, settings
        self.policy = policy or AddressPolicy()
        self.page = render_page(allow_urls=settings.allow_urls)
        source = "bundled" if settings.model_path is None else Path(settings.model_path).name
        self.card = model.describe(source=source)
        self._limiter: anyio.CapacityLimiter | None = None

    async def in_thread(self, function: Callable, *args: Any) -> Any:
        """``function(*args)`` in one of ``threads`` threads (the others queue), translating user errors."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.threads)
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
        except AddressRefused as err:
            raise ApiError(403, str(err)) from None
        except FactopinionError as err:
            raise ApiError(422, str(err)) from None

    async def scored(self, request: Request, render: Callable, *, explain: bool | None = None) -> Response:
        """``render(document)`` for the request's scored document (checked here, scored and rendered in a
        thread), with the warning ``score`` prints for text that does not look English in ``WARNING_HEADER``."""
        from ..language import english_warning

        body = await read_body(request, self.settings)
        checked = parse_score(body, request.headers.get("content-type"), allow_urls=self.settings.allow_urls)
        if explain is not None:
            checked = dataclasses.replace(checked, explain=explain)

        def work() -> tuple[Response, str | None]:
            document = score_request(self.model, checked, policy=self.policy, timeout=self.settings.fetch_timeout)
            return render(document), english_warning(document.text)

        response, warning = await self.in_thread(work)
        if warning:
            response.headers[WARNING_HEADER] = warning
        return response

    async def score(self, request: Request) -> Response:
        return await self.scored(
            request, lambda document: Response(document_text(document, "json"), media_type="application/json")
        )

    async def view(self, request: Request) -> Response:
        from ..html import render_view

        def render(document) -> Response:
            csv = document_text(document, "csv")
            return JSONLine({"document": document.to_dict(), "html": render_view(document), "csv": csv})

        return await self.scored(request, render, explain=True)

    async def label(self, request: Request) -> Response:
        body = await read_body(request, self.settings)
        checked = parse_label(body, request.headers.get("content-type"), dict(request.query_params))
        output, warnings = await self.in_thread(label_table, self.model, checked)
        response = Response(output, media_type=_MEDIA_TYPES.get(checked.format, "application/json"))
        if warnings:
            response.headers[WARNING_HEADER] = "; ".join(warnings)
        return response

    async def model_card(self, request: Request) -> Response:
        return Response(json.dumps(self.card, indent=2, ensure_ascii=False) + "\n", media_type="application/json")

    async def health(self, request: Request) -> Response:
        return JSONLine({"status": "ok"})

    async def openapi(self, request: Request) -> Response:
        return JSONLine(openapi_document())

    async def index(self, request: Request) -> Response:
        return HTMLResponse(self.page, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


# -- errors and headers ----------------------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = {"Connection": "close"} if exc.status in (408, 413) else {}  # the rest of the body is never read
    return error(exc.status, exc.message, **headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such page: {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return error(exc.status_code, message, **(exc.headers or {}))


async def _client_gone(request: Request, exc: Exception) -> Response:
    return error(400, "the client closed the connection before sending the whole body")


async def _bug(request: Request, exc: Exception) -> Response:
    logger.error("error answering %s %s", request.method, request.url.path, exc_info=exc)
    return error(500, "internal error: the server could not answer this request (see its log)")


class _Guard:
    """The outermost layer: adds ``X-Content-Type-Options: nosniff`` (and no referrer, no framing, no caching) to
    every response, and answers a request cut short by the end of the shutdown grace period with a 503 rather
    than a traceback in the log."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cache-control", b"no-store"),
    ]

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except asyncio.CancelledError:  # the server is stopping and this request ran out of time
            if not started:
                with contextlib.suppress(Exception):
                    await error(503, "the server is shutting down", Connection="close")(scope, receive, with_headers)


def create_app(settings: Settings | None = None, model: Model | None = None, *, policy: AddressPolicy | None = None):
    """The application for ``settings``, with ``model`` (default: the one the settings name, loaded now).
    ``policy`` decides which addresses a ``url`` may be fetched from (default: public ones only)."""
    settings = settings or Settings()
    if model is None:
        from ..bundled import load_model

        model = load_model(settings.model_path, trust_code=settings.trust_model_code)
    service = _Service(model, settings, policy)
    routes = [
        Route("/", service.index, methods=["GET"]),
        Route("/healthz", service.health, methods=["GET"]),
        Route(OPENAPI_PATH, service.openapi, methods=["GET"]),
        Route("/v1/model", service.model_card, methods=["GET"]),
        Route("/v1/score", service.score, methods=["POST"]),
        Route("/v1/label", service.label, methods=["POST"]),
        Route("/v1/view", service.view, methods=["POST"]),
    ]
    handlers = {ApiError: _api_error, HTTPException: _http_error, ClientDisconnect: _client_gone, Exception: _bug}
    app = Starlette(routes=routes, exception_handlers=handlers)
    return _Guard(app)
