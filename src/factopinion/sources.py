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

import http.client
import logging
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from . import __version__
from .document import Document, PageInfo
from .encoding import decode_text, decode_utf8
from .errors import DataError, OptionError

if TYPE_CHECKING:
    from .model import Model

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
USER_AGENT = f"factopinion/{__version__} (fact/opinion sentence scoring; Python urllib)"
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


def from_url(url: str, *, input_format: str = "auto", timeout: float = TIMEOUT) -> Source:
    """The web page at ``url`` (one request, no retries), as ``score --url`` reads it: its article where it is
    HTML (``input_format`` ``auto``) or ``html``, its text as it is otherwise."""
    fetched = fetch(url, timeout=timeout)
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
    else Windows-1252 (the web's usual legacy encoding), which decodes anything."""
    meta = _META_CHARSET.search(raw[:4096])
    for candidate in (charset, meta.group(1).decode("ascii", "replace") if meta else None, "utf-8-sig"):
        if candidate:
            try:
                return raw.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode("cp1252", errors="replace")


def _quiet_loggers() -> None:
    """trafilatura and its helpers log their doubts as warnings; without a handler of the application's, Python
    would print them on standard error. A NullHandler keeps them for an application that wants them."""
    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def extract_page(html: str, *, url: str | None = None, source: str = "the page") -> tuple[str, PageInfo]:
    """The article of an HTML page: its main text (one paragraph per block, separated by blank lines, so headings
    stand alone and are not scored; a leading copy of the title is dropped) and its title, byline and date.
    A ``DataError`` where trafilatura finds no article text."""
    text, page = _extract(html, url)
    if not text:
        raise DataError(f"{source}: no article text found in the page")
    return text, page


def page_text(html: str) -> str:
    """The main text of an HTML page, as ``extract_page`` gives it; empty where there is none."""
    return _extract(html, None)[0]


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


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow at most ``limit`` redirects, to http and https addresses only."""

    def __init__(self, url: str, limit: int):
        self.url, self.limit, self.followed = url, limit, 0

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("location") or headers.get("uri")
        if location and urlsplit(target := urljoin(req.full_url, location)).scheme.lower() not in ("http", "https"):
            raise DataError(f"{self.url}: redirected to {target}, which is not a web address; not followed")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.followed += 1
        if self.followed > self.limit:
            raise DataError(f"{self.url}: more than {self.limit} redirects; stopped at {req.full_url}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_url(url: str) -> str:
    """``url`` if it is an http or https address with a host; an ``OptionError`` otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OptionError(f"{url!r} is not a web address: give an http:// or https:// URL")
    return url.strip()


def fetch(
    url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS
) -> Fetched:
    """GET ``url`` once: at most ``max_redirects`` redirects, ``timeout`` seconds for each network operation and
    for the whole download, ``max_bytes`` of body. A ``DataError`` of one line for every failure: the host not
    found, a refused connection, a time-out, a TLS problem, an HTTP error status, a body too large, a response
    that is not a web page or text."""
    url = check_url(url)
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.8"}
    )
    opener = urllib.request.build_opener(_Redirects(url, max_redirects))
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as response:
            final = response.geturl()
            media_type = response.headers.get_content_type() if response.headers.get("Content-Type") else ""
            if media_type not in (*_PAGE_TYPES, "text/plain", ""):
                raise DataError(f"{url}: not a web page or text (the server sent {media_type})")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise DataError(f"{url}: the page is {int(length):,} bytes, over the limit of {max_bytes:,} bytes")
            body = _read(response, url, max_bytes, deadline, timeout)
            body = _decompress(body, response.headers.get("Content-Encoding", ""), url, max_bytes)
            charset = response.headers.get_content_charset()
    except DataError:
        raise
    except urllib.error.HTTPError as err:
        raise DataError(f"{url}: the server answered HTTP {err.code} {err.reason}".rstrip()) from None
    except urllib.error.URLError as err:
        raise DataError(f"{url}: {_network_reason(err.reason, url, timeout)}") from None
    except TimeoutError:
        raise DataError(f"{url}: no answer within {timeout:g} s") from None
    except (http.client.HTTPException, ConnectionError, OSError) as err:
        raise DataError(f"{url}: {_network_reason(err, url, timeout)}") from None
    return Fetched(body, final, media_type, charset)


def _read(response, url: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    parts, size = [], 0
    while block := response.read(65536):
        size += len(block)
        if size > max_bytes:
            raise DataError(f"{url}: the page is over the limit of {max_bytes:,} bytes; not read further")
        if time.monotonic() > deadline:
            raise DataError(f"{url}: the download took more than {timeout:g} s; stopped")
        parts.append(block)
    return b"".join(parts)


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
