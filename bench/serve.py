"""What HTTP costs: requests/s and p50/p99 latency of ``POST /v1/score`` on a 30-sentence article, at 1, 8 and 64
concurrent clients, beside the same scoring done in-process in the same run; then peak memory with ``--workers 2``.

    python bench/serve.py                  # 5 s per level, at most 3,000 requests each
    python bench/serve.py --seconds 2
    python bench/serve.py --record         # and write the output into docs/benchmarks.md

The server is ``factopinion serve`` on 127.0.0.1 (a free port), started by this script and stopped at the end;
the clients are keep-alive HTTP/1.1 connections from this process, so on a 2-core machine they take CPU from the
server: the figures are what one machine serving itself gets. Each level is bounded in requests and in time.
The in-process reference is ``Model.score`` plus the JSON that ``score --json`` prints, in 1 and in 8 threads (the
same concurrency as the clients; 8 for 64 clients too); the ratio is the HTTP time per request (1 / requests per
second) over the in-process time per document at that concurrency.

The targets (issue 21): at 8 clients, the HTTP time per request (1 / requests per second) within 1.5 times the
in-process time per document; no error responses under load. Exit status 1 if one is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from recording import add_record_option, recorded

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

OVERHEAD_TARGET = 1.5
LEVELS = (1, 8, 64)
# A 30-sentence article: reported facts, attributed claims and the author's own opinions, in paragraphs.
PARAGRAPHS = [
    [
        "The city council voted on Tuesday to close two branch libraries by the end of the year.",
        "The decision followed a three-hour meeting attended by about 200 residents.",
        "Council leader Ann Morris said the closures would save 1.2 million pounds a year.",
        "Opposition members said the figures had not been independently checked.",
        "This is a short-sighted decision that the city will come to regret.",
        "The branches in Eastfield and Mill Road have served readers since 1962.",
    ],
    [
        "According to the council's own report, visits to both branches fell by 18% over five years.",
        "Librarians said that online loans had risen over the same period.",
        "Surely nobody believes that a library is only a room full of books?",
        "The council should have asked the people who use these branches every day.",
        "A petition against the closures has gathered 4,300 signatures, its organisers said.",
        "The council said it would consider the petition at its next meeting in March.",
    ],
    [
        "Cutting libraries to balance the books is the easiest and the worst choice available.",
        "The authority faces a deficit of 9 million pounds, its finance officer told the meeting.",
        "Two other councils in the region have merged their library services to save money.",
        "Residents deserve better than another round of closures dressed up as modernisation.",
        "The plan would move 14 staff to the central library, the union said.",
        "Union officials said they would ballot members over the changes.",
    ],
    [
        "It is hard to see how a town can thrive without places where children learn to read.",
        "The central library will extend its opening hours from April, the council announced.",
        "A spokesperson said mobile library visits would be increased to three days a week.",
        "Frankly, a van twice a week is no substitute for a branch on your street.",
        "The closures are expected to take effect on December 31.",
        "Councillors will review the decision in a year, the minutes show.",
    ],
    [
        "Readers should make their voices heard before it is too late.",
        "The next public consultation opens on February 2 and runs for six weeks.",
        "Local schools said they had not been consulted about the plan.",
        "This council has a habit of deciding first and listening later.",
        "The Eastfield branch building is owned by the council and could be sold, officials said.",
        "Whatever happens next, the city will be poorer for this vote.",
    ],
]
ARTICLE = "Libraries to close\n\n" + "\n\n".join(" ".join(p) for p in PARAGRAPHS) + "\n"
_SERVING = re.compile(r"serving (http://\S+?)/ \(Ctrl-C to stop\)")


def in_process(seconds: float, max_documents: int, threads: int) -> tuple[list[float], float]:
    """``Model.score`` and its ``score --json`` text in ``threads`` threads, until ``max_documents`` or
    ``seconds``: the seconds each document took, and the wall time."""
    from factopinion import load_model
    from factopinion.cli.render import write_document

    model = load_model()
    for _ in range(20):  # warm up
        write_document(model.score(ARTICLE), "json", io.StringIO())
    times: list[float] = []
    budget = [max_documents]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            started = time.perf_counter()
            write_document(model.score(ARTICLE), "json", io.StringIO())
            times.append(time.perf_counter() - started)

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return times, time.perf_counter() - started


class Running:
    """``factopinion serve --port 0 ARGS`` in a subprocess, its output in a temporary file."""

    def __init__(self, *args: str):
        self.log = tempfile.NamedTemporaryFile(prefix="bench-serve-", suffix=".log", delete=False)  # noqa: SIM115
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "factopinion", "serve", "--port", "0", *args],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while (found := _SERVING.search(Path(self.log.name).read_text("utf-8", "replace"))) is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the server did not start:\n{Path(self.log.name).read_text('utf-8', 'replace')}")
            time.sleep(0.05)
        self.port = int(found.group(1).rsplit(":", 1)[1])

    def peak_rss(self) -> int:
        """The peak resident memory (VmHWM) of the server and its worker processes, added up, in bytes."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            total += int(found.group(1)) * 1024 if found else 0
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


async def _client(port: int, body: bytes, deadline: float, budget: list[int], latencies: list[float],
                  statuses: collections.Counter) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (b"POST /v1/score HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
    try:
        while budget[0] > 0 and time.monotonic() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[int(head[9:12])] += 1
    except (OSError, asyncio.IncompleteReadError) as err:
        statuses[f"connection error: {type(err).__name__}"] += 1
    finally:
        writer.close()


def load(port: int, clients: int, seconds: float, max_requests: int) -> tuple[list[float], float, collections.Counter]:
    """``clients`` connections sending the article until ``max_requests`` or ``seconds``: latencies, wall time,
    status counts."""
    body = json.dumps({"text": ARTICLE}).encode("utf-8")
    latencies: list[float] = []
    statuses: collections.Counter = collections.Counter()

    async def run() -> float:
        budget = [max_requests]
        started = time.perf_counter()
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(port, body, deadline, budget, latencies, statuses) for _ in range(clients)))
        return time.perf_counter() - started

    wall = asyncio.run(run())
    return latencies, wall, statuses


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="Seconds per level (default 5).")
    parser.add_argument("--requests", type=int, default=3000, help="At most this many requests per level.")
    add_record_option(parser)
    args = parser.parse_args()

    print(f"article: 30 sentences, {len(ARTICLE):,} characters; {os.cpu_count()} cores; clients in this process")
    print(f"{'':<26}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'HTTP time / in-process':>24}")
    reference = {}  # requests per second in-process, by threads: the same concurrency as the HTTP clients
    for threads in (1, 8):
        times, wall = in_process(args.seconds, args.requests, threads)
        reference[threads] = len(times) / wall
        name = f"in-process, {threads} thread{'s' if threads > 1 else ''}"
        print(f"{name:<26}{len(times):>9}{reference[threads]:>9.0f}{_ms(statistics.median(times)):>9}"
              f"{_ms(_percentile(times, 99)):>9}{'-':>8}{'-':>24}")  # fmt: skip
    ratios, errors = {}, 0
    for workers in (1, 2):
        server = Running("--workers", str(workers))
        try:
            load(server.port, 8, min(1.0, args.seconds), 200)  # warm up every worker
            for clients in LEVELS if workers == 1 else (8,):
                latencies, wall, statuses = load(server.port, clients, args.seconds, args.requests)
                failed = sum(n for status, n in statuses.items() if status != 200)
                errors += failed
                rate = len(latencies) / wall
                ratio = reference[min(clients, 8)] / rate  # seconds per request over HTTP / in-process
                ratios[(workers, clients)] = ratio
                name = f"HTTP, {clients} client{'s' if clients > 1 else ''}" + (", 2 workers" if workers > 1 else "")
                print(f"{name:<26}{len(latencies):>9}{rate:>9.0f}{_ms(statistics.median(latencies)):>9}"
                      f"{_ms(_percentile(latencies, 99)):>9}{failed:>8}{ratio:>23.2f}x")  # fmt: skip
            if workers == 2:
                print(f"peak RSS with --workers 2 (parent and workers, added up): {server.peak_rss() / 2**20:.0f} MiB")
        finally:
            server.stop()
    overhead = ratios[(1, 8)]
    met_overhead = overhead <= OVERHEAD_TARGET
    print(f"target: HTTP at 8 clients within {OVERHEAD_TARGET}x in-process: {overhead:.2f}x, "
          f"{'met' if met_overhead else 'missed'}")  # fmt: skip
    print(f"target: no error responses under load: {errors} errors, {'met' if errors == 0 else 'missed'}")
    return 0 if met_overhead and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(recorded("serve", main))
