"""A real ``factopinion serve`` for tests: started in a subprocess on 127.0.0.1 on a free port, talked to over
HTTP, stopped with SIGTERM. Tests that use it skip where the serve extra is not installed."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT

HAVE_EXTRA = all(importlib.util.find_spec(name) is not None for name in ("starlette", "uvicorn"))
needs_extra = pytest.mark.skipif(not HAVE_EXTRA, reason="needs the serve extra: pip install '.[serve]'")
_SERVING = re.compile(r"serving (http://\S+?)/ \(Ctrl-C to stop\)")


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


class Server:
    """``factopinion serve ARGS --port 0``, its output in ``log``; ``url`` once it listens."""

    def __init__(self, folder: Path, *args: str, wait: float = 60.0):
        self.log = folder / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "factopinion", "serve", "--port", "0", *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=environment(),
            )
        deadline = time.monotonic() + wait
        while (found := _SERVING.search(self.output())) is None:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the server did not start within {wait:g} s:\n{self.output()}")
            time.sleep(0.05)
        self.url = found.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(
        self, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None, timeout=30.0
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a new connection: the status, the headers (lower-cased names) and the body."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def post_json(self, path: str, payload: object) -> tuple[int, dict[str, str], bytes]:
        return self.request("POST", path, json.dumps(payload), {"Content-Type": "application/json"})

    def healthy(self) -> bool:
        status, _, body = self.request("GET", "/healthz", timeout=10)
        return status == 200 and json.loads(body) == {"status": "ok"}

    def stop(self, signum: int = signal.SIGTERM, wait: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"the server did not stop within {wait:g} s:\n{self.output()}") from None
        return self.process.returncode


def one_json_line(body: bytes) -> dict:
    """The body of an error: one line of JSON, ``{"error": "..."}``, the line without control characters."""
    text = body.decode("utf-8")
    assert text.endswith("\n") and text.count("\n") == 1, text
    data = json.loads(text)
    assert list(data) == ["error"] and isinstance(data["error"], str) and data["error"], data
    assert "Traceback" not in text
    return data
