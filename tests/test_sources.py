"""Web pages as input: HTML files and standard input, and ``score --url`` against a local HTTP server on 127.0.0.1
(a thread of this test) serving pages written for the tests. No test touches the internet."""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import subprocess
import sys
import threading
import time

import pytest
from helpers import PAGES, invoke

from factopinion.errors import DataError, OptionError
from factopinion.sources import decode_html, extract_page, fetch, looks_like_html

APP_SHELL = b'<html><head><title>Loading</title></head><body><div id="app"></div><script>run()</script></body></html>'


class _Handler(http.server.BaseHTTPRequestHandler):
    """Pages by path: the three test pages, and one path per kind of failure."""

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path
        if path.startswith("/pages/"):
            file = PAGES / path.removeprefix("/pages/")
            if file.is_file():
                return self._send(200, file.read_bytes())
            return self._send(404, b"<h1>Not found</h1>")
        if path == "/moved":
            return self._send(301, b"", Location="/pages/news.html")
        if path.startswith("/loop"):
            n = int(path.removeprefix("/loop") or 0)
            return self._send(302, b"", Location=f"/loop{n + 1}")
        if path == "/to-file":
            return self._send(302, b"", Location="file:///etc/passwd")
        if path == "/pdf":
            return self._send(200, b"%PDF-1.4", "application/pdf")
        if path == "/plain":
            return self._send(200, b"The bridge reopened on Monday. It should never have closed.", "text/plain")
        if path == "/huge":
            return self._send(200, b"<p>" + b"x" * 3_000_000 + b"</p>")
        if path == "/compressed":
            body = gzip.compress((PAGES / "oped.html").read_bytes())
            return self._send(200, body, Content_Encoding="gzip")
        if path == "/slow":
            time.sleep(2)
            return self._send(200, b"<p>late</p>")
        if path == "/empty-article":
            return self._send(200, APP_SHELL)
        if path == "/latin1":
            body = (PAGES / "news.html").read_text("utf-8").replace("utf-8", "iso-8859-1").encode("latin-1")
            return self._send(200, body, "text/html; charset=iso-8859-1")
        return self._send(500, b"oops")


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client that hung up early (the size and time limits)
        pass


@pytest.fixture(scope="module")
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """The requests go to 127.0.0.1 directly, whatever proxy the environment names."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def score_json(*args, input=None) -> dict:
    result = invoke(["score", "--json", *args], input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- extraction ---------------------------------------------------------------------------------------------------


def test_news_report_extracts_text_title_byline_and_date():
    text, page = extract_page((PAGES / "news.html").read_text("utf-8"))
    assert page.title == "Council votes to close Eastside library"
    assert (page.byline, page.date) == ("Jane Doe", "2024-03-05")
    assert text.startswith("The city council voted 7-2 on Tuesday")
    assert "Reaction" in text.split("\n\n")  # a heading stays a paragraph of its own: it is not scored
    for boilerplate in ("Subscribe", "Most read", "All rights reserved", "Council votes to close"):
        assert boilerplate not in text


def test_heavy_boilerplate_is_left_out():
    text, page = extract_page((PAGES / "boilerplate.html").read_text("utf-8"))
    assert page.title == "Bridge to reopen in May, officials say"
    assert text.count("\n\n") == 2 and text.startswith("The Harbour Bridge will reopen")
    for boilerplate in ("cookies", "Advertisement", "Related story", "Reader 3", "Section 7", "Newsletter"):
        assert boilerplate not in text


def test_html_detection_and_decoding():
    assert looks_like_html("<!DOCTYPE html><html><body><p>x</p></body></html>")
    assert looks_like_html("  <!-- saved page -->\n<html lang='en'>")
    assert looks_like_html("<div class='a'><p>Hello</p></div>")
    assert not looks_like_html("The council met. <b>Bold</b> claims followed.")
    assert not looks_like_html("x < y and y > z")
    assert decode_html("<meta charset='latin-1'><p>caf\xe9</p>".encode("latin-1")).endswith("café</p>")
    assert decode_html(b"<p>caf\xc3\xa9</p>") == "<p>café</p>"
    assert decode_html(b"<p>caf\xe9</p>") == "<p>café</p>"  # not UTF-8, no charset: Windows-1252


def test_a_page_without_an_article_is_a_clear_error():
    with pytest.raises(DataError, match="no article text found"):
        extract_page(APP_SHELL.decode())


# -- score --file, standard input, --format -----------------------------------------------------------------------


def test_score_an_html_file_shows_the_title_and_scores_the_text():
    result = invoke(["score", "--file", PAGES / "oped.html"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Closing the Eastside library is a shameful mistake", "by Sam Patel · 2024-03-07"]
    assert "4 sentences: 0 fact, 4 opinion" in result.stdout
    assert not any(line.endswith("Closing the Eastside library is a shameful mistake") for line in lines[3:])


def test_json_includes_the_extracted_text_the_offsets_refer_to():
    document = score_json("--file", PAGES / "news.html")
    text = document["text"]
    assert document["page"] == {
        "title": "Council votes to close Eastside library", "byline": "Jane Doe", "date": "2024-03-05", "url": None,
    }  # fmt: skip
    assert document["summary"]["sentences"] == 5 and document["summary"]["opinion"] == 0
    for s in document["sentences"]:
        assert text[s["start"] : s["end"]] == s["sentence"]


def test_html_on_standard_input_is_detected_and_format_text_scores_it_as_it_is():
    page = (PAGES / "news.html").read_bytes()
    assert score_json(input=page)["page"]["title"] == "Council votes to close Eastside library"
    raw = score_json("--format", "text", input=page)
    assert "page" not in raw and any("<" in s["sentence"] for s in raw["sentences"])
    plain = score_json(input="The bridge reopened. <b>It</b> should never have closed.")
    assert "page" not in plain


def test_format_html_reads_any_file_as_a_page(tmp_path):
    saved = tmp_path / "saved.txt"
    saved.write_bytes((PAGES / "oped.html").read_bytes())
    assert "page" not in score_json("--file", saved, "--format", "text")
    assert score_json("--file", saved, "--format", "html")["page"]["byline"] == "Sam Patel"


def test_the_html_view_shows_title_and_byline(tmp_path):
    out = tmp_path / "page.html"
    result = invoke(["score", "--file", PAGES / "news.html", "--html", out])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert "<h1>Council votes to close Eastside library</h1>" in page
    assert '<p class="subtitle">By Jane Doe · 2024-03-05</p>' in page
    assert page.count('class="s fact"') == 5
    titled = tmp_path / "titled.html"
    invoke(["score", "--file", PAGES / "news.html", "--html", titled, "--title", "Mine"])
    assert "<h1>Mine</h1>" in titled.read_text("utf-8")


# -- score --url --------------------------------------------------------------------------------------------------


def test_url_news_oped_and_boilerplate(server):
    news = score_json("--url", f"{server}/pages/news.html")
    assert news["page"]["url"] == f"{server}/pages/news.html"
    assert news["summary"]["opinion"] == 0 and news["summary"]["sentences"] == 5
    oped = score_json("--url", f"{server}/pages/oped.html")
    assert oped["summary"]["opinion_share"] == 1.0
    noisy = score_json("--url", f"{server}/pages/boilerplate.html")
    assert noisy["summary"]["sentences"] == 3 and "cookies" not in noisy["text"]
    table = invoke(["score", "--url", f"{server}/pages/news.html"]).stdout
    assert table.splitlines()[1] == f"by Jane Doe · 2024-03-05 · {server}/pages/news.html"


def test_url_follows_a_redirect_and_reads_plain_text_compressed_and_latin1_pages(server):
    moved = score_json("--url", f"{server}/moved")
    assert moved["page"]["url"] == f"{server}/pages/news.html"
    plain = score_json("--url", f"{server}/plain")
    assert "page" not in plain and [s["label"] for s in plain["sentences"]] == ["fact", "opinion"]
    assert score_json("--url", f"{server}/compressed")["page"]["byline"] == "Sam Patel"
    assert "£40,000" in score_json("--url", f"{server}/latin1")["text"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/pages/missing.html", "the server answered HTTP 404 Not Found"),
        ("/error", "the server answered HTTP 500"),
        ("/loop", "more than 5 redirects"),
        ("/to-file", "redirected to file:///etc/passwd, which is not a web address; not followed"),
        ("/pdf", "not a web page or text (the server sent application/pdf)"),
        ("/empty-article", "no article text found in the page"),
    ],
)
def test_url_failures_are_one_line(server, path, message):
    result = invoke(["score", "--url", f"{server}{path}"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {server}{path}: ") and message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_size_limit_timeout_and_refused_connection(server):
    with pytest.raises(DataError, match=r"over the limit of 1,000,000 bytes"):
        fetch(f"{server}/huge", max_bytes=1_000_000)
    started = time.monotonic()
    result = invoke(["score", "--url", f"{server}/slow", "--timeout", "0.5"])
    assert result.exit_code == 1 and "no answer within 0.5 s" in result.output
    assert time.monotonic() - started < 1.9  # no hidden retry
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = invoke(["score", "--url", f"http://127.0.0.1:{port}/"])
    assert result.exit_code == 1 and "127.0.0.1 refused the connection" in result.output


@pytest.mark.parametrize("url", ["ftp://example.com/a.html", "file:///etc/passwd", "example.com/news", "http://"])
def test_only_web_addresses_are_fetched(url):
    with pytest.raises(OptionError, match="not a web address"):
        fetch(url)
    assert invoke(["score", "--url", url]).exit_code == 2


def test_url_option_conflicts():
    assert "not both" in invoke(["score", "--url", "http://127.0.0.1/", "some text"]).output
    assert "--timeout needs --url" in invoke(["score", "--timeout", "3", "text"]).output
    refused = invoke(["score", "https://example.com/story"])
    assert refused.exit_code == 2 and "use --url https://example.com/story" in refused.output


def test_trafilatura_is_imported_only_for_web_pages():
    code = (
        "import sys\nfrom factopinion.cli import main\n"
        "for args in (['score', '--help'], ['score', 'The council met on Tuesday.']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print('trafilatura' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "False"


def test_python_scores_a_page_as_score_url_does(server, model):
    import io

    from factopinion.cli.render import write_document
    from factopinion.sources import from_url

    source = from_url(f"{server}/pages/news.html")
    assert source.page is not None and source.page.title == "Council votes to close Eastside library"
    written = io.StringIO()
    write_document(source.score(model), "json", written)
    assert json.loads(written.getvalue()) == score_json("--url", f"{server}/pages/news.html")
    assert from_url(f"{server}/plain").page is None  # a text/plain page is scored as it is
