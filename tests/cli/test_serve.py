"""`factopinion serve` over HTTP: a real server on 127.0.0.1 (a subprocess on a free port). The API answers what the
command line prints; every bad request gets its 4xx and one line of JSON, and the server keeps serving; it stops
cleanly on SIGTERM and Ctrl-C."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from helpers import invoke
from serving import HAVE_EXTRA, ROOT, Server, environment, needs_extra, one_json_line

pytestmark = needs_extra

ARTICLE = """Council votes on budget

The council said on Tuesday that it would cut the library budget by 4%. "We had no choice," the mayor told reporters.

This is a disgrace. <script>alert("x")</script> The council should resign at once! Who will stand up for readers?
"""
JSON = {"Content-Type": "application/json"}
MAX_BYTES = 200_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("serve"), "--max-bytes", str(MAX_BYTES))
    yield running
    assert running.stop() == 0, running.output()
    assert "Traceback" not in running.output()


# -- what it answers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "options"),
    [
        ({"text": ARTICLE}, []),
        ({"text": ARTICLE, "threshold": 0.3, "explain": True}, ["--threshold", "0.3", "--explain"]),
        ({"text": "Officials said the bridge would reopen in May.", "threshold": 1}, ["--threshold", "1"]),
    ],
    ids=["plain", "threshold-explain", "one-sentence"],
)
def test_score_answers_exactly_what_score_json_prints(server, payload, options):
    status, headers, body = server.post_json("/v1/score", payload)
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert body.decode("utf-8") == invoke(["score", "--json", *options, payload["text"]]).stdout


def test_label_answers_a_json_array_with_the_added_columns(server, tmp_path):
    texts = ["The council said on Tuesday it would raise fares.", "This plan is a disgrace.", ""]
    status, headers, body = server.post_json("/v1/label", texts)
    assert status == 200 and headers["content-type"] == "application/json"
    rows = json.loads(body)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), "utf-8")
    expected = [json.loads(line) for line in invoke(["label", source, "-q"]).stdout.splitlines()]
    assert rows == expected and [row["text"] for row in rows] == texts
    assert [row["label"] for row in rows[:2]] == ["fact", "opinion"] and rows[2]["label"] is None
    assert server.post_json("/v1/label", [])[2] == b"[]\n"


@pytest.mark.parametrize(
    ("content_type", "suffix", "query", "options"),
    [
        ("text/csv", "csv", "", []),
        ("text/csv; charset=utf-8", "csv", "?mode=sentences&threshold=0.3", ["--sentences", "--threshold", "0.3"]),
        ("text/tab-separated-values", "tsv", "?mode=documents&text_column=body", ["--documents",
                                                                                  "--text-column", "body"]),
        ("application/x-ndjson", "jsonl", "?text_column=body", ["--text-column", "body"]),
    ],
    ids=["csv", "csv-sentences", "tsv-documents", "jsonl"],
)  # fmt: skip
def test_label_answers_a_table_as_label_writes_it(server, tmp_path, content_type, suffix, query, options):
    rows = [("1", ARTICLE), ("2", "Fares rose by 5%, the company said."), ("3", "")]
    if suffix == "jsonl":
        table = "".join(json.dumps({"id": i, "body": t}) + "\n" for i, t in rows)
    elif suffix == "tsv":
        table = "id\tbody\n" + "".join(f"{i}\t{' '.join(t.split())}\n" for i, t in rows)
    else:
        column = "text"
        table = f"id,{column}\n" + "".join(f'{i},"{t.replace(chr(34), 2 * chr(34))}"\n' for i, t in rows)
    source = tmp_path / f"in.{suffix}"
    source.write_text(table, "utf-8", newline="")
    status, headers, body = server.request("POST", f"/v1/label{query}", table, {"Content-Type": content_type})
    assert status == 200, body
    assert headers["content-type"].startswith(content_type.split(";")[0])
    assert body == invoke(["label", source, "-q", *options]).stdout_bytes
    assert len(body.splitlines()) >= len(rows)


def test_model_card_is_model_info_json_without_the_servers_paths(server):
    status, _, body = server.request("GET", "/v1/model")
    card = json.loads(body)
    expected = json.loads(invoke(["model", "info", "--json"]).stdout)
    assert status == 200 and card["source"] == "bundled"
    assert {**card, "source": expected["source"]} == expected


def test_health_and_openapi(server):
    assert server.healthy()
    status, _, body = server.request("GET", "/openapi.json")
    description = json.loads(body)
    assert status == 200 and description["openapi"].startswith("3.")
    assert set(description["paths"]) == {"/v1/score", "/v1/label", "/v1/view", "/v1/model", "/healthz"}


def test_the_page_is_self_contained_and_locked_down(server):
    status, headers, body = server.request("GET", "/")
    page = body.decode("utf-8")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert headers["x-content-type-options"] == "nosniff"
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy  # that script, and no other, may run
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)  # nothing from elsewhere
    assert "@import" not in page and "url(" not in page
    assert 'id="url"' not in page  # no web-address field without --allow-urls


def test_the_view_renders_escaped_html_and_the_csv(server):
    status, _, body = server.post_json("/v1/view", {"text": ARTICLE})
    view = json.loads(body)
    assert status == 200
    assert view["document"] == json.loads(invoke(["score", "--json", "--explain", ARTICLE]).stdout)
    assert view["csv"] == invoke(["score", "--csv", "--explain", ARTICLE]).stdout
    assert "<script>" not in view["html"] and "&lt;script&gt;" in view["html"]
    assert view["html"].count('class="s ') == view["document"]["summary"]["sentences"]


# -- bad requests: a 4xx, one line of JSON, and the server keeps serving ----------------------------------------------

BAD = [
    ("malformed JSON", "/v1/score", b'{"text": "A sentence.', JSON, 400),
    ("trailing garbage", "/v1/score", b'{"text": "A sentence."} x', JSON, 400),
    ("NaN threshold", "/v1/score", b'{"text": "A sentence.", "threshold": NaN}', JSON, 400),
    ("Infinity threshold", "/v1/score", b'{"text": "A sentence.", "threshold": Infinity}', JSON, 400),
    ("duplicate key", "/v1/score", b'{"text": "A.", "text": "B."}', JSON, 400),
    ("not UTF-8", "/v1/score", b'{"text": "caf\xe9 au lait"}', JSON, 400),
    ("nested too deeply", "/v1/score", b"[" * 100_000, JSON, 400),
    ("an array", "/v1/score", b'["A sentence."]', JSON, 422),
    ("text a number", "/v1/score", b'{"text": 42}', JSON, 422),
    ("text null", "/v1/score", b'{"text": null}', JSON, 422),
    ("explain a string", "/v1/score", b'{"text": "A.", "explain": "yes"}', JSON, 422),
    ("threshold a string", "/v1/score", b'{"text": "A.", "threshold": "nan"}', JSON, 422),
    ("threshold true", "/v1/score", b'{"text": "A.", "threshold": true}', JSON, 422),
    ("threshold above 1", "/v1/score", b'{"text": "A.", "threshold": 1.5}', JSON, 422),
    ("threshold below 0", "/v1/score", b'{"text": "A.", "threshold": -0.1}', JSON, 422),
    ("threshold huge", "/v1/score", b'{"text": "A.", "threshold": 1e999}', JSON, 422),
    ("empty text", "/v1/score", b'{"text": ""}', JSON, 422),
    ("blank text", "/v1/score", b'{"text": " \\n\\t "}', JSON, 422),
    ("no text", "/v1/score", b"{}", JSON, 422),
    ("unknown field", "/v1/score", b'{"text": "A.", "colour": "red"}', JSON, 422),
    ("a path", "/v1/score", b'{"text": "A.", "model": "/etc/passwd"}', JSON, 422),
    ("lone surrogate", "/v1/score", b'{"text": "A \\ud800 B."}', JSON, 422),
    ("url without --allow-urls", "/v1/score", b'{"url": "http://127.0.0.1/"}', JSON, 403),
    ("text and url", "/v1/score", b'{"text": "A.", "url": "http://example.org/"}', JSON, 422),
    ("text/plain", "/v1/score", b'{"text": "A."}', {"Content-Type": "text/plain"}, 415),
    ("form", "/v1/score", b"text=A.", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ("no content type", "/v1/score", b'{"text": "A."}', {}, 415),
    ("latin-1 charset", "/v1/score", b'{"text": "A."}', {"Content-Type": "application/json; charset=latin-1"}, 415),
    ("label: an object", "/v1/label", b'{"text": "A."}', JSON, 422),
    ("label: a number in the array", "/v1/label", b'["A.", 3]', JSON, 422),
    ("label: no text column", "/v1/label", b"id,body\n1,A.\n", {"Content-Type": "text/csv"}, 422),
    ("label: empty CSV", "/v1/label", b"", {"Content-Type": "text/csv"}, 422),
    ("label: not UTF-8", "/v1/label", b"text\ncaf\xe9\n", {"Content-Type": "text/csv"}, 400),
    ("label: bad JSON line", "/v1/label", b'{"text": "A."}\n{oops\n', {"Content-Type": "application/x-ndjson"}, 422),
    ("label: XML", "/v1/label", b"<texts/>", {"Content-Type": "application/xml"}, 415),
    ("label: bad mode", "/v1/label?mode=words", b'["A."]', JSON, 422),
    ("label: bad threshold", "/v1/label?threshold=nan", b'["A."]', JSON, 422),
    ("label: unknown parameter", "/v1/label?model=/tmp/m", b'["A."]', JSON, 422),
    ("label: text_column on an array", "/v1/label?text_column=x", b'["A."]', JSON, 422),
]


@pytest.mark.parametrize(("path", "body", "headers", "status"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_request_gets_its_4xx_and_one_line_of_json(server, path, body, headers, status):
    got, answer_headers, answer = server.request("POST", path, body, headers)
    assert got == status, answer
    assert answer_headers["content-type"] == "application/json"
    assert answer_headers["x-content-type-options"] == "nosniff"
    one_json_line(answer)
    assert server.healthy()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/score", 405), ("DELETE", "/", 405), ("GET", "/nope", 404), ("GET", "/../../etc/passwd", 404)],
)
def test_unknown_pages_and_methods(server, method, path, status):
    got, _, body = server.request(method, path)
    assert got == status
    one_json_line(body)
    assert server.healthy()


def test_a_body_over_max_bytes_is_refused_before_it_is_read(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n" + b"{" + b" " * 1000
        )
        answer = _read_until_closed(sock)  # the server answers, and closes, without waiting for a gigabyte
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and b"connection: close" in head.lower()
    assert "over the limit of 200,000 bytes" in one_json_line(body)["error"]
    assert server.healthy()


def test_a_chunked_body_over_max_bytes_is_cut_off(server):
    chunk = b"a" * (MAX_BYTES // 2 + 1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/label HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
        for _ in range(2):  # two bytes over the limit, no length declared, and the body not ended
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = _read_until_closed(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), answer
    one_json_line(body)
    status, _, _ = server.post_json("/v1/score", {"text": "Word. " * ((MAX_BYTES - 20) // 6)})
    assert status == 200  # just under the limit is fine
    assert server.healthy()


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /v1/score HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ],
    ids=["not-http", "negative-length", "bad-header"],
)
def test_a_request_that_is_not_http_gets_a_json_400(server, raw):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw)
        answer = _read_until_closed(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer
    one_json_line(body)
    assert server.healthy()


def _read_until_closed(sock: socket.socket) -> bytes:
    parts = []
    while chunk := sock.recv(65536):
        parts.append(chunk)
    return b"".join(parts)


# -- starting and stopping -------------------------------------------------------------------------------------------


def _serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "factopinion", "serve", *args], capture_output=True, text=True,
                          env=environment(), timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip


def test_without_the_extra_serve_says_what_to_install():
    probe = "import sys; sys.modules['starlette'] = None; from factopinion.cli import main; main(['serve'])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environment())
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "Error: factopinion serve needs starlette: pip install 'factopinion[serve]'\n"


def test_a_bad_model_or_a_taken_port_is_one_line(tmp_path, server):
    (tmp_path / "model.json").write_text("{}", "utf-8")
    done = _serve("--model", str(tmp_path / "model.json"))
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    done = _serve("--port", str(server.port))
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: cannot listen on 127.0.0.1:{server.port}: Address already in use"


def test_listening_beyond_loopback_warns_that_there_is_no_authentication():
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails, after the warning, and nothing is sent.
    done = _serve("--host", "192.0.2.1", "--port", "0")
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and len(lines) == 2
    assert lines[0] == (
        "factopinion: warning: listening on 192.0.2.1, beyond this machine, and the server has no authentication: "
        "put it behind your own proxy"
    )
    assert lines[1].startswith("Error: cannot listen on 192.0.2.1:0: ")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_it_cleanly_finishing_the_request_in_progress(tmp_path, signum):
    running = Server(tmp_path, "--max-bytes", "10000000")
    answers: list = []
    big = {"text": "The council said on Tuesday that it would cut the budget, and that is a disgrace. " * 40_000}
    worker = threading.Thread(target=lambda: answers.append(running.post_json("/v1/score", big)))
    worker.start()
    time.sleep(0.5)  # the request is being read or scored
    started = time.monotonic()
    assert running.stop(signum) == 0, running.output()
    stopped = time.monotonic() - started
    worker.join(10)
    assert stopped < 5, stopped  # finished, or cut after the grace period
    if answers and answers[0][0] == 200:  # finished rather than cut
        assert json.loads(answers[0][2])["summary"]["sentences"] == 40_000
    assert "Traceback" not in running.output()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", running.port), timeout=2).close()


@pytest.mark.slow
def test_workers_share_the_port_and_stop_together(tmp_path):
    running = Server(tmp_path, "--workers", "2")
    expected = invoke(["score", "--json", ARTICLE]).stdout
    try:
        for _ in range(40):
            status, _, body = running.post_json("/v1/score", {"text": ARTICLE})
            assert status == 200 and body.decode("utf-8") == expected
        deadline = time.monotonic() + 30
        while len(set(re.findall(r"Started server process \[(\d+)\]", running.output()))) < 2:
            assert time.monotonic() < deadline, running.output()
            time.sleep(0.1)
    finally:
        assert running.stop() == 0, running.output()
    assert "Traceback" not in running.output()


def test_the_extra_is_installed_where_the_tests_run():
    # CI installs ".[test]", which includes the serve extra: these tests must not all skip there.
    assert HAVE_EXTRA, "pip install '.[test]' should have installed starlette and uvicorn"
    assert (ROOT / "src" / "factopinion" / "serve" / "app.py").is_file()


@pytest.mark.slow
def test_the_benchmark_reports_every_level_beside_in_process_scoring():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "serve.py"), "--seconds", "0.3", "--requests", "30"],
                          capture_output=True, text=True, env=environment(), timeout=300)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr  # 1: a target missed on a busy machine, still a report
    lines = done.stdout.splitlines()
    names = [line[:26].strip() for line in lines[2:8]]
    assert names == ["in-process, 1 thread", "in-process, 8 threads", "HTTP, 1 client", "HTTP, 8 clients",
                     "HTTP, 64 clients", "HTTP, 8 clients, 2 workers"]  # fmt: skip
    for line in lines[4:8]:
        requests, rate, p50, p99, errors, ratio = line[26:].split()
        assert int(requests) > 0 and float(rate) > 0 and float(p99) >= float(p50) > 0 and ratio.endswith("x")
        assert errors == "0"
    assert re.fullmatch(r"peak RSS with --workers 2 \(parent and workers, added up\): \d+ MiB", lines[8])
    assert re.fullmatch(r"target: HTTP at 8 clients within 1\.5x in-process: [\d.]+x, (met|missed)", lines[9])
    assert lines[10] == "target: no error responses under load: 0 errors, met"


def test_text_that_does_not_look_english_is_scored_with_a_warning(server):
    german = (
        "Der Stadtrat hat am Dienstag beschlossen, die Bibliothek zu schließen. Das ist eine Schande für die Stadt."
    )
    status, headers, body = server.post_json("/v1/score", {"text": german})
    assert status == 200 and json.loads(body)["summary"]["sentences"] == 2
    warning = invoke(["score", "--json", german]).stderr.strip().removeprefix("factopinion: ")
    assert (
        headers["x-factopinion-warning"]
        == warning
        == ("this text does not look like English: the model is trained on English news only")
    )
    assert "x-factopinion-warning" not in server.post_json("/v1/score", {"text": ARTICLE})[1]
    assert server.post_json("/v1/view", {"text": german})[1]["x-factopinion-warning"] == warning


def test_label_answers_with_the_warnings_label_prints(server, tmp_path):
    table = (
        "id,text\n"
        '1,"The council met on Tuesday. It voted to close the library. Officials said it would save money."\n'
        '2,"Der Stadtrat hat am Dienstag beschlossen, die Bibliothek zu schließen. Das ist eine Schande."\n'
        '3,"Fares rose. Buses ran late. The strike ended. Talks resumed on Friday."\n'
    )
    source = tmp_path / "in.csv"
    source.write_text(table, "utf-8")
    printed = invoke(["label", source]).stderr.splitlines()[:-1]  # the warnings, then the summary line
    assert [line.split(":")[1] for line in printed] == [" the cells hold 3 sentences each (median of the first 3 "
                                                        "non-empty rows) and each cell is labeled as one unit; --documents "
                                                        "gives each row its sentence counts and opinion share, --sentences one "
                                                        "row per sentence", " 1 row is not in English and left unscored (its "
                                                        "label is empty; --score-any-language scores it)"]  # fmt: skip
    status, headers, body = server.request("POST", "/v1/label", table, {"Content-Type": "text/csv"})
    assert status == 200, body
    assert headers["x-factopinion-warning"] == "; ".join(line.removeprefix("factopinion: ") for line in printed)
    status, headers, _ = server.request("POST", "/v1/label?mode=sentences", table, {"Content-Type": "text/csv"})
    assert status == 200 and headers["x-factopinion-warning"] == printed[1].removeprefix("factopinion: ")
    assert "x-factopinion-warning" not in server.post_json("/v1/label", ["The council met on Tuesday."])[1]
