"""`factopinion serve` under attack: slow-drip clients and hundreds of connections do not stop a well-formed request
from being answered, a large request does not stall small ones, and web addresses on loopback, private,
link-local and reserved ranges are refused after DNS resolution and at every redirect.

Every connection goes to 127.0.0.1. Addresses elsewhere (10.x, 169.254.x, ...) appear only as addresses the server
must refuse; the tests check that nothing was connected to. Every loop is bounded in count and time."""

from __future__ import annotations

import http.server
import json
import socket
import socketserver
import threading
import time
from contextlib import ExitStack, contextmanager

import pytest
from serving import Server, needs_extra, one_json_line

pytestmark = needs_extra
SENTENCE = "The council said on Tuesday that it would cut the library budget, which is a disgrace. "


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("hostile"), "--timeout", "2", "--allow-urls", "--max-bytes", "5000000")
    yield running
    assert running.stop() == 0, running.output()
    assert "Traceback" not in running.output()


def timed_score(server: Server, text: str = "Officials said the bridge would reopen in May.") -> float:
    started = time.monotonic()
    status, _, body = server.post_json("/v1/score", {"text": text})
    assert status == 200 and json.loads(body)["summary"]["sentences"] >= 1
    return time.monotonic() - started


# -- slow and many clients -------------------------------------------------------------------------------------------


def test_a_slow_drip_of_headers_is_cut_off_and_blocks_nobody(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        head = b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Padding: " + b"a" * 200
        started, closed_after = time.monotonic(), None
        for byte in head[:40]:  # one byte every 0.1 s: 4 s if the server waited for ever
            try:
                slow.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            assert timed_score(server) < 2  # others are answered meanwhile
            time.sleep(0.1)
        if closed_after is None:
            slow.settimeout(5)
            assert slow.recv(1) == b""  # closed by the server, with nothing said
            closed_after = time.monotonic() - started
    assert 1.5 < closed_after < 4.5, closed_after  # --timeout 2


def test_a_slow_drip_of_a_body_gets_a_408(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        slow.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
                     b"\r\n")  # fmt: skip
        started, answer = time.monotonic(), b""
        slow.settimeout(0.2)
        for _ in range(40):  # a byte every 0.2 s, at most 8 s
            try:
                slow.sendall(b" ")
                answer += slow.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if answer:
                break
        slow.settimeout(5)
        while answer and not answer.endswith(b"\n}\n") and not answer.endswith(b"}\n"):  # the rest of the answer
            more = slow.recv(65536)  # (a 408 closes the connection: the body may come in a later segment)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert 1.5 < time.monotonic() - started < 5
    assert "did not arrive within 2 s" in one_json_line(answer.partition(b"\r\n\r\n")[2])["error"]
    assert server.healthy()


def test_two_hundred_idle_and_half_open_connections_do_not_stop_a_request(server):
    with ExitStack() as stack:
        for n in range(200):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            if n % 2:
                sock.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\n")  # headers begun, never ended
        assert timed_score(server) < 2
        assert server.healthy()


@pytest.mark.slow
def test_two_hundred_concurrent_requests_are_all_answered(server):
    body = json.dumps({"text": SENTENCE * 3}).encode()
    request = (b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=30))
                   for _ in range(200)]  # fmt: skip
        for sock in sockets:
            sock.sendall(request)
        started = time.monotonic()
        assert timed_score(server) < 10  # one more, while the 200 are in progress
        answers = [_read_until_closed(sock) for sock in sockets]
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers), {a[:20] for a in answers}
    assert time.monotonic() - started < 30


def test_a_large_request_does_not_stall_small_ones(server):
    finished: list[float] = []

    def large() -> None:
        timed_score(server, SENTENCE * 50_000)  # 4.5 MB, 50,000 sentences: the largest the server takes
        finished.append(time.monotonic())

    worker = threading.Thread(target=large)
    worker.start()
    try:
        time.sleep(0.3)
        small = [timed_score(server)]
        first_done = time.monotonic()
        small += [timed_score(server) for _ in range(4)]
    finally:
        worker.join(60)
    # answered while the large one was in progress (not after it: how long the large one takes is the scorer's
    # speed and the machine's), and each one at once
    assert finished and first_done < finished[0]
    assert max(small) < 2


def _read_until_closed(sock: socket.socket) -> bytes:
    parts = []
    while chunk := sock.recv(65536):
        parts.append(chunk)
    return b"".join(parts)


# -- no server-side request forgery ----------------------------------------------------------------------------------


class _Site(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A web server of the test's own on 127.0.0.1: it counts its requests; ``redirect`` (if set) makes it answer
    every request with a 302 there, else with a small article."""

    daemon_threads = True

    def __init__(self, redirect: str | None = None):
        self.hits = 0
        self.redirect = redirect
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        site = self.server
        assert isinstance(site, _Site)
        site.hits += 1
        if site.redirect is not None:
            self.send_response(302)
            self.send_header("Location", site.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><head><title>Budget</title></head><body><article><p>" + SENTENCE.encode() * 3
        body += b"</p></article></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def site(redirect: str | None = None):
    running = _Site(redirect)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()
        thread.join(5)


def _refused_addresses(port: int) -> list[str]:
    """Web addresses on the loopback host at ``port``, spelled every way a resolver accepts, and addresses on the
    private, link-local, shared, multicast, reserved and unspecified ranges (refused before any connection)."""
    return [
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://127.1:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://127.0.0.2:{port}/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "https://[fe80::1]/",
        "https://[fc00::1]/",
    ]


def test_the_server_refuses_to_fetch_from_loopback_and_private_addresses(server):
    with site() as target:
        for url in _refused_addresses(target.server_address[1]):
            status, _, body = server.post_json("/v1/score", {"url": url})
            assert status == 403, (url, body)
            assert "the server fetches public web addresses only" in one_json_line(body)["error"]
        assert target.hits == 0  # nothing reached it
    assert server.healthy()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:70/", "http:///x",
                                 "javascript:alert(1)"])  # fmt: skip
def test_only_http_and_https_addresses_are_fetched(server, url):
    status, _, body = server.post_json("/v1/score", {"url": url})
    assert status == 422 and "is not a web address" in one_json_line(body)["error"]


def test_every_redirect_is_checked_after_resolution():
    from factopinion.serve.addresses import AddressPolicy, AddressRefused
    from factopinion.sources import fetch

    with site() as target:
        port = target.server_address[1]
        for location in [*_refused_addresses(port), f"http://localhost:{port}/"]:
            with site(redirect=location) as first, site(redirect=first.url) as entry:
                # The policy lets the test reach its own two redirecting servers, and nothing else on loopback.
                policy = AddressPolicy(exempt=[("127.0.0.1", first.server_address[1]),
                                               ("127.0.0.1", entry.server_address[1])])  # fmt: skip
                with pytest.raises(AddressRefused, match="public web addresses only"):
                    fetch(entry.url, timeout=5, connect=policy.connect)
                assert entry.hits == 1 and first.hits == 1  # followed to the second redirect, refused there
        assert target.hits == 0
        # The same chain to an allowed address is followed to the end: the refusals above are the policy's.
        with site(redirect=target.url) as first:
            policy = AddressPolicy(exempt=[("127.0.0.1", first.server_address[1]), ("127.0.0.1", port)])
            fetched = fetch(first.url, timeout=5, connect=policy.connect)
        assert target.hits == 1 and fetched.is_html and fetched.url == target.url


def test_a_name_that_resolves_to_a_private_address_is_refused_before_connecting(monkeypatch):
    from factopinion.serve import addresses
    from factopinion.sources import fetch

    def resolve(host, port, *args, **kwargs):
        assert host == "news.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]  # fmt: skip

    def never(*args, **kwargs):
        raise AssertionError("connected to an address the policy should have refused")

    monkeypatch.setattr(addresses.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(addresses.socket, "socket", never)
    with pytest.raises(addresses.AddressRefused, match=r"news\.example \(10\.20\.30\.40\): a private address"):
        fetch("https://news.example/story", timeout=5, connect=addresses.AddressPolicy().connect)


def test_a_redirect_to_a_private_address_is_a_403_from_a_running_server(tmp_path):
    """The whole path, on a real server (uvicorn in a thread, on 127.0.0.1) whose policy lets it reach the test's
    redirecting server: the redirect to loopback is refused with a 403, and the page it names is never asked."""
    import uvicorn

    from factopinion.serve.addresses import AddressPolicy
    from factopinion.serve.app import create_app
    from factopinion.serve.server import bind
    from factopinion.serve.settings import Settings

    with site() as target, site(redirect=target.url) as first:
        policy = AddressPolicy(exempt=[("127.0.0.1", first.server_address[1])])
        app = create_app(Settings(allow_urls=True, fetch_timeout=5), policy=policy)
        sock = bind("127.0.0.1", 0)
        runner = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 20
            while not runner.started:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            import http.client

            connection = http.client.HTTPConnection("127.0.0.1", sock.getsockname()[1], timeout=20)
            connection.request("POST", "/v1/score", json.dumps({"url": first.url}),
                               {"Content-Type": "application/json"})  # fmt: skip
            response = connection.getresponse()
            status, body = response.status, response.read()
            connection.close()
        finally:
            runner.should_exit = True
            thread.join(10)
            sock.close()
        assert first.hits == 1 and target.hits == 0
    assert status == 403 and "a loopback address" in one_json_line(body)["error"]


def test_a_public_page_is_scored_through_the_same_path(tmp_path):
    """A control: with the test's server allowed, the page is fetched, its article extracted and scored, and the
    answer is what `score --json --url` prints for it."""
    from helpers import invoke

    from factopinion import load_model
    from factopinion.serve.addresses import AddressPolicy
    from factopinion.serve.app import document_text, score_request
    from factopinion.serve.schema import ScoreRequest

    with site() as target:
        policy = AddressPolicy(exempt=[("127.0.0.1", target.server_address[1])])
        document = score_request(load_model(), ScoreRequest(url=target.url), policy=policy, timeout=5)
        printed = invoke(["score", "--json", "--url", target.url]).stdout
    assert document.page is not None and document.page.title == "Budget"
    assert len(document.sentences) == 3
    assert document_text(document, "json") == printed and '"page": {' in printed
