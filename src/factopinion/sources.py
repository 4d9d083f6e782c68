"""Where the text to score comes from (``Source``): text, a file, standard input, a URL or an HTML page, read as
``score`` reads it. Web pages: telling HTML from text, extracting a page's article (main text, title, byline,
date) with trafilatura, and fetching a page over HTTP(S) with the standard library.

From Python, score a web page as ``score --url`` does::

    from factopinion import load_model
    from factopinion.sources import from_url

    document = from_url("https://example.com/news/story.html").score(load_model())

trafilatura is imported only when a page is read, so ``--help`` and plain-text scoring never pay for it. Fetching
has a timeout (per network operation and for the whole download), a size limit and a limit on redirects; every
failure is one ``DataError`` line and nothing is retried behind the user's back.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from . import __version__
from .document import Document, PageInfo
from .encoding import decode_text, decode_utf8, text_codec
from .errors import DataError, OptionError

if TYPE_CHECKING:
    import http.client
    import socket

    from .model import Model

# The network's modules (http.client, ssl, socket, urllib.request) and multiprocessing are imported where a page is
# fetched or extracted: scoring text never pays for them.

# How a connection is opened: ``socket.create_connection``'s signature (address, timeout, source address).
Connect = Callable[[tuple[str, int], float | None, tuple | None], "socket.socket"]

__all__ = [
    "INPUT_FORMATS",
    "Source",
    "from_bytes",
    "from_file",
    "from_texts",
    "from_url",
    "HTML_SUFFIXES",
    "MAX_BYTES",
    "MAX_REDIRECTS",
    "TIMEOUT",
    "Fetched",
    "decode_html",
    "extract_page",
    "fetch",
    "looks_like_html",
    "page_text",
]

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
TIMEOUT = 20.0  # seconds: for each network operation, and for the whole download
MAX_BYTES = 10 * 2**20  # a news page is well under 1 MB; past 10 MB it is not an article
MAX_REDIRECTS = 5
USER_AGENT = f"factopinion/{__version__} (fact/opinion sentence scoring)"
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)
_HTML_TAG = re.compile(r"<(?:html|body|head|article|div|p)\b[^>]*>", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_PAGE_TYPES = ("text/html", "application/xhtml+xml")


INPUT_FORMATS = ("auto", "text", "html")  # how to read an input: html extracts a page's article, auto where it is one


@dataclass(frozen=True)
class Source:
    """Text to score and where it came from: ``file``, the name of the file it was read from (None for text,
    standard input or a URL), and ``page``, what a web page said about its article (None for anything else)."""

    text: str
    file: str | None = None
    page: PageInfo | None = None

    def score(self, model: Model, threshold: float = 0.5) -> Document:
        """The text scored by ``model`` (``Model.score``), a web page's title, byline and date kept."""
        document = model.score(self.text, threshold=threshold)
        return document if self.page is None else replace(document, page=self.page)


def from_url(
    url: str,
    *,
    input_format: str = "auto",
    timeout: float = TIMEOUT,
    connect: Connect | None = None,
) -> Source:
    """The web page at ``url`` (one request, no retries), as ``score --url`` reads it: its article where it is
    HTML (``input_format`` ``auto``) or ``html``, its text as it is otherwise. ``connect``: as for ``fetch``."""
    fetched = fetch(url, timeout=timeout, connect=connect)
    if input_format == "text" or input_format == "auto" and not fetched.is_html:
        return Source(fetched.text())
    text, page = extract_page(fetched.text(), url=fetched.url, source=url)
    return Source(text, None, page)


def from_bytes(
    raw: bytes, name: str, *, input_format: str = "auto", file: str | None = None, encoding: str | None = None
) -> Source:
    """Text from the bytes of a file or of standard input (``name`` names it in errors; ``file`` is the file's
    name, None for standard input): text in ``encoding`` (default UTF-8), or, where it is an HTML page, its article
    (in ``encoding`` where given, else the charset the page names). ``auto``: a page is a file with an HTML suffix
    or bytes that look like HTML."""
    if _is_html(input_format, raw, file):
        text, page = extract_page(decode_html(raw, encoding), source=name)
        return Source(text, file, page)
    return Source(decode_text(raw, name, encoding or "utf-8"), file)


def from_file(path: str | Path, *, input_format: str = "auto", encoding: str | None = None) -> Source:
    """The text of the file at ``path`` (UTF-8, or ``encoding``), or the article of the HTML page it holds."""
    return from_bytes(Path(path).read_bytes(), str(path), input_format=input_format, file=str(path),
                      encoding=encoding)  # fmt: skip


def from_texts(texts: Sequence[str], *, input_format: str = "auto") -> Source:
    """Texts given as text (command-line arguments, say), joined by blank lines into one document; each must be
    valid text. Read as text unless ``input_format`` is ``html``."""
    raw = "\n\n".join(_argument_text(text, n) for n, text in enumerate(texts, start=1)).encode("utf-8")
    if input_format == "html":
        text, page = extract_page(decode_html(raw), source="the text")
        return Source(text, None, page)
    return Source(decode_utf8(raw, "the text"))


def _is_html(input_format: str, raw: bytes, file: str | None) -> bool:
    if input_format != "auto":
        return input_format == "html"
    if file is not None and file.lower().endswith(HTML_SUFFIXES):
        return True
    return looks_like_html(raw[:4096].decode("utf-8", "replace"))


def _argument_text(text: str, number: int) -> str:
    """A text argument, refused (as standard input would be) where it is not UTF-8: Python hands undecodable
    bytes of the command line over as lone surrogates, which no UTF-8 output can hold."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise DataError(f"argument {number} is not valid text (it holds a lone surrogate)") from None
    return decode_utf8(raw, f"argument {number}")


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is an HTML page rather than prose: it opens with a doctype, ``<html>``, ``<head>`` or the
    like, or starts with a tag and has HTML's block tags early on."""
    head = text[:4096]
    if _HTML_START.match(head):
        return True
    return head.lstrip().startswith("<") and len(_HTML_TAG.findall(head)) >= 2


def decode_html(raw: bytes, charset: str | None = None) -> str:
    """A page's bytes as text: in the charset given (by HTTP), else the one its ``<meta>`` names, else UTF-8,
    else Windows-1252 (the web's usual legacy encoding), which decodes anything. A named charset that is not a
    text encoding with a lossless round trip (``undefined``, ``punycode``, ``rot13``, ...) is passed over."""
    meta = _META_CHARSET.search(raw[:4096])
    for candidate in (charset, meta.group(1).decode("ascii", "replace") if meta else None, "utf-8-sig"):
        if candidate:
            try:
                return raw.decode(text_codec(candidate).name)
            except (DataError, UnicodeError):
                continue
    return raw.decode("cp1252", errors="replace")


def _quiet_loggers() -> None:
    """trafilatura and its helpers log their doubts as warnings; without a handler of the application's, Python
    would print them on standard error. A NullHandler keeps them for an application that wants them."""
    import logging

    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def extract_page(html: str, *, url: str | None = None, source: str = "the page") -> tuple[str, PageInfo]:
    """The article of an HTML page: its main text (one paragraph per block, separated by blank lines, so headings
    stand alone and are not scored; a leading copy of the title is dropped) and its title, byline and date.
    A ``DataError`` where trafilatura finds no article text, or the page is over ``MAX_BYTES`` characters.

    The extraction runs in a child process: it is one long call into libxml2, during which Python cannot act on a
    signal, so Ctrl-C or SIGTERM stop the child at once rather than wait for it."""
    _check_size(html, source)
    text, page = _in_child(html, url, source)
    if not text:
        raise DataError(f"{source}: no article text found in the page")
    return text, page


def page_text(html: str, source: str = "the page") -> str:
    """The main text of an HTML page, as ``extract_page`` gives it (in this process); empty where there is none."""
    _check_size(html, source)
    return _extract(html, None)[0]


def _check_size(html: str, source: str) -> None:
    if len(html) > MAX_BYTES:
        raise DataError(f"{source}: the page is {len(html):,} characters, over the limit of {MAX_BYTES:,}")


def _in_child(html: str, url: str | None, source: str) -> tuple[str, PageInfo]:
    """``_extract`` in a child process, killed if this process is interrupted: forked where this process has no other
    thread, else forked from a server process that has trafilatura loaded (started once)."""
    import multiprocessing as mp

    import trafilatura  # noqa: F401 - loaded once here, not in every child

    context: Any = mp.get_context("fork" if threading.active_count() == 1 else "forkserver")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([__name__, "trafilatura"])
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_extract_to, args=(sender, html, url), daemon=True)
    child.start()
    sender.close()
    try:
        outcome = receiver.recv()
    except EOFError:
        raise DataError(f"{source}: the page extraction ended without a result (exit {child.exitcode})") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if isinstance(outcome, str):
        raise DataError(f"{source}: cannot extract the page's text ({outcome})")
    return outcome


def _extract_to(sender: Any, html: str, url: str | None) -> None:
    """The child's side of ``_in_child``: the parent decides about signals (it kills this process)."""
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
        signal.signal(getattr(signal, name), signal.SIG_IGN if name == "SIGINT" else signal.SIG_DFL)
    try:
        outcome: object = _extract(html, url)
    except Exception as err:  # noqa: BLE001 - one line for the parent to report
        outcome = f"{type(err).__name__}: {err}"
    sender.send(outcome)
    sender.close()


def _extract(html: str, url: str | None) -> tuple[str, PageInfo]:
    import trafilatura

    _quiet_loggers()
    found = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, deduplicate=False
    )
    if found is None:
        return "", PageInfo(url=url)
    title = _clean(getattr(found, "title", None))
    lines = [line.strip() for line in (getattr(found, "text", None) or "").splitlines() if line.strip()]
    if lines and title and lines[0] == title:
        lines = lines[1:]
    page = PageInfo(title, _clean(getattr(found, "author", None)), _clean(getattr(found, "date", None)), url)
    return "\n\n".join(lines), page


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


# -- fetching ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """A fetched page: its body, the address it came from after redirects, and its media type and charset."""

    body: bytes
    url: str
    media_type: str
    charset: str | None

    @property
    def is_html(self) -> bool:
        return self.media_type in _PAGE_TYPES or (not self.media_type and looks_like_html(decode_html(self.body)))

    def text(self) -> str:
        return decode_html(self.body, self.charset)


def check_url(url: str) -> str:
    """``url`` if it is an http or https address with a host; an ``OptionError`` otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OptionError(f"{url!r} is not a web address: give an http:// or https:// URL")
    return url.strip()


def fetch(
    url: str,
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    connect: Connect | None = None,
) -> Fetched:
    """GET ``url`` once: at most ``max_redirects`` redirects (to http and https addresses only), ``timeout`` seconds
    for the whole exchange (connecting, the headers and the body, however slowly the server sends them),
    ``max_bytes`` of body, and a body as long as the server announced (``Content-Length``, or the end of the
    chunks). A ``DataError`` of one line for every failure: the host not found, a refused connection, a time-out,
    a TLS problem, an HTTP error status, a body too large or cut short, a response that is not a web page or text.
    ``connect`` opens each connection in place of ``socket.create_connection``, and no proxy is used (``serve``
    passes one that refuses private addresses, at every connection: the first and one for each redirect)."""
    import http.client

    url = check_url(url)
    deadline = time.monotonic() + timeout
    current = url
    for _ in range(max_redirects + 1):
        try:
            with _Exchange(current, deadline, connect) as exchange:
                response = exchange.response
                if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                    target = urljoin(current, response.getheader("Location", "").strip())
                    if urlsplit(target).scheme.lower() not in ("http", "https"):
                        raise DataError(f"{url}: redirected to {target}, which is not a web address; not followed")
                    current = target
                    continue
                if response.status >= 400:
                    raise DataError(f"{url}: the server answered HTTP {response.status} {response.reason}".rstrip())
                return _body(response, url, current, max_bytes, exchange, timeout)
        except DataError:
            raise
        except TimeoutError:
            raise DataError(f"{url}: no answer within {timeout:g} s") from None
        except (http.client.HTTPException, OSError, ValueError) as err:
            if time.monotonic() >= deadline:
                raise DataError(f"{url}: no answer within {timeout:g} s; stopped") from None
            raise DataError(f"{url}: {_network_reason(err, current, timeout)}") from None
    raise DataError(f"{url}: more than {max_redirects} redirects; stopped at {current}")


class _Exchange:
    """One HTTP GET with a deadline for all of it: a timer shuts the socket down when the time is up, so neither a
    server that sends its headers a byte at a time nor one that trickles the body can hold the caller longer. A
    proxy the environment names (``http_proxy``, ``https_proxy``, ``no_proxy``) is used as ``urllib`` would."""

    def __init__(self, url: str, deadline: float, connect: Connect | None = None):
        self.url, self.deadline, self.connect = url, deadline, connect
        self.response: http.client.HTTPResponse

    def __enter__(self) -> _Exchange:
        import http.client
        import ssl
        import urllib.request

        parts = urlsplit(self.url)
        https = parts.scheme.lower() == "https"
        host, port = parts.hostname or "", parts.port or (443 if https else 80)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        direct = self.connect is not None or urllib.request.proxy_bypass(host)
        proxy = None if direct else urllib.request.getproxies().get(parts.scheme.lower())
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection: http.client.HTTPConnection
        if proxy:
            via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            connection = http.client.HTTPConnection(via.hostname or "", via.port or 80, timeout=left)
            if https:
                connection = http.client.HTTPSConnection(
                    via.hostname or "", via.port or 80, timeout=left, context=ssl.create_default_context()
                )
                connection.set_tunnel(host, port)
            else:
                target = self.url
        elif https:
            connection = http.client.HTTPSConnection(host, port, timeout=left, context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=left)
        if self.connect is not None:
            connection._create_connection = self.connect  # type: ignore[attr-defined]  # what connect() opens with
        self.connection = connection
        self.timer = threading.Timer(left, self._expire)
        self.timer.daemon = True
        self.expired = False
        self.timer.start()
        try:
            connection.request("GET", target, headers=_HEADERS)
            self.response = connection.getresponse()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _expire(self) -> None:
        import socket

        self.expired = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()
        self.connection.close()


_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.8",
    "Accept-Encoding": "identity",
}


def _body(
    response: http.client.HTTPResponse, url: str, final: str, max_bytes: int, exchange: _Exchange, timeout: float
) -> Fetched:
    media_type = response.headers.get_content_type() if response.getheader("Content-Type") else ""
    if media_type not in (*_PAGE_TYPES, "text/plain", ""):
        raise DataError(f"{url}: not a web page or text (the server sent {media_type})")
    length = (response.getheader("Content-Length") or "").strip()
    if length.isdigit() and int(length) > max_bytes:
        raise DataError(f"{url}: the page is {int(length):,} bytes, over the limit of {max_bytes:,} bytes")
    parts, size = [], 0
    while block := response.read1(65536):
        size += len(block)
        if size > max_bytes:
            raise DataError(f"{url}: the page is over the limit of {max_bytes:,} bytes; not read further")
        parts.append(block)
    if exchange.expired:
        raise DataError(f"{url}: the download took more than {timeout:g} s; stopped")
    if response.length:  # http.client counts down what Content-Length announced; at an early close it stays above 0
        raise DataError(
            f"{url}: the server closed the connection after {size:,} of {size + response.length:,} bytes; "
            "the page is incomplete"
        )
    body = _decompress(b"".join(parts), response.getheader("Content-Encoding", ""), url, max_bytes)
    return Fetched(body, final, media_type, response.headers.get_content_charset())


def _decompress(body: bytes, encoding: str, url: str, max_bytes: int) -> bytes:
    """A body the server compressed although it was not asked to (gzip or deflate), within the size limit."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise DataError(f"{url}: the server sent the page in an encoding factopinion cannot read ({encoding})")
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 32 if "gzip" in encoding else zlib.MAX_WBITS)
    try:
        data = decoder.decompress(body, max_bytes + 1)
    except zlib.error as err:
        raise DataError(f"{url}: damaged compressed page ({err})") from None
    if len(data) > max_bytes:
        raise DataError(f"{url}: the page is over the limit of {max_bytes:,} bytes; not read further")
    return data


def _network_reason(reason: object, url: str, timeout: float) -> str:
    """One line for why a connection failed."""
    import http.client
    import socket
    import ssl

    host = urlsplit(url).hostname or url
    if isinstance(reason, socket.gaierror):
        return f"cannot find the host {host} ({reason.strerror or reason})"
    if isinstance(reason, ConnectionRefusedError):
        return f"{host} refused the connection (nothing is listening there)"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed: {getattr(reason, 'reason', None) or reason}"
    if isinstance(reason, ConnectionResetError | http.client.RemoteDisconnected | http.client.IncompleteRead):
        return "the server closed the connection before sending the whole page"
    if isinstance(reason, http.client.HTTPException):
        return f"the server's answer is not valid HTTP ({type(reason).__name__})"
    if isinstance(reason, OSError):
        return f"cannot connect to {host} ({reason.strerror or reason})"
    return f"cannot fetch the page ({reason})"
