"""Run hostile command-line cases against the factopinion that Python imports, each in its own process and
folder, and print a tally: one line and the right exit code (never a traceback), nothing but regular files
replaced, no file left half-written, no row merged, bounded time and memory.

    PYTHONPATH=src python scripts/hostile.py [--jobs N] [-k SUBSTRING]

Devices are twins made with mknod inside a temporary folder (root only; those cases are skipped otherwise).
Not a benchmark, and not the test suite (tests/test_guarantees.py is): a quick check of the promises in
docs/guarantees.md.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import socketserver
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

FACTOPINION = [sys.executable, "-m", "factopinion.cli"]
ROWS = "id,text\n1,The council said on Tuesday it would raise fares.\n2,This plan is a disgrace.\n"
CHECKTHAT = 'sentence\tgold\n"We will win this,\tSUBJ\nThe game was played.\tOBJ\nthey said."\tOBJ\n'


class Skip(Exception):
    pass


@dataclass
class Run:
    code: int
    stdout: bytes
    stderr: str
    seconds: float


@dataclass
class Case:
    name: str
    make: Callable[[Path], list[str]]  # builds the input in the folder, returns the arguments
    check: Callable[[Run, Path], None]  # raises AssertionError
    stdin: str | None = None  # a file in the folder
    stdout: str | None = None  # a file in the folder (default: captured)
    shell: bool = False  # run the arguments through bash (for >&-)
    env: dict | None = None
    timeout: float = 120
    measure: bool = False  # report the peak RSS of the run (of its largest process) on stderr
    raw: bool = False  # the arguments are the whole command (not factopinion's)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def twin(folder: Path, name: str, minor: int) -> Path:
    try:
        os.mknod(folder / name, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        raise Skip("mknod needs root") from None
    return folder / name


def one_line(code: int, containing: str = "") -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
        assert run.code == code, f"exit {run.code}, not {code}: {run.stderr.strip()[-300:]}"
        assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr[-300:]
        assert len(errors) == 1, run.stderr[-300:]
        assert containing in errors[0], errors[0]
        no_part(run, folder)

    return check


def no_part(run: Run, folder: Path) -> None:
    parts = [p.name for p in folder.rglob("*.part")]
    assert not parts, f"left behind: {parts}"


def ok(*more: Callable[[Run, Path], None]) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        assert run.code == 0 and "Traceback" not in run.stderr, f"exit {run.code}: {run.stderr.strip()[-300:]}"
        no_part(run, folder)
        for extra in more:
            extra(run, folder)

    return check


def still_device(name: str) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        assert stat.S_ISCHR(os.stat(folder / name).st_mode), f"{name} was replaced"

    return check


def stdout_lines(n: int) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        assert len(run.stdout.splitlines()) == n, run.stdout[:300]

    return check


def within(seconds: float) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        assert run.seconds < seconds, f"took {run.seconds:.1f} s"

    return check


def training(folder: Path, extra: str = "", rows: int = 12) -> Path:
    folder.mkdir(exist_ok=True)
    lines = [f"sentence,label{extra}"]
    for i in range(rows):
        lines += [f"The council approved budget number {i} on Tuesday.,fact{extra and ',x'}",
                  f"Budget number {i} is a shameful waste of money.,opinion{extra and ',y'}"]  # fmt: skip
    return write(folder, "data.csv", "\n".join(lines) + "\n")


def nan_model(folder: Path) -> Path:
    import joblib
    import numpy as np

    from factopinion import load_model

    pipeline = load_model().pipeline
    pipeline.named_steps["classifier"].coef_[:] = np.nan
    joblib.dump(pipeline, folder / "nan.joblib")
    return folder / "nan.joblib"


def weird_model(folder: Path, metadata: object) -> Path:
    from factopinion.bundled import bundled_model_dir

    (folder / "m").mkdir()
    shutil.copy(bundled_model_dir() / "model.joblib", folder / "m" / "model.joblib")
    write(folder / "m", "metadata.json", json.dumps(metadata))
    return folder / "m"


def cases() -> list[Case]:
    c: list[Case] = []
    add = c.append
    # outputs that are not regular files, links, permissions, the input itself
    add(Case("score --html into a /dev/null twin", lambda d: [*score_text(), "--html", str(twin(d, "null", 3))],
             ok(still_device("null"))))  # fmt: skip
    add(Case("label -o a link to a /dev/null twin --force",
             lambda d: ["label", str(write(d, "in.csv", ROWS)), "-o", str(link(d, twin(d, "null", 3))), "--force"],
             ok(still_device("null"), lambda r, d: (d / "link").is_symlink() or fail("link replaced"))))  # fmt: skip
    add(Case("label -o a /dev/full twin --force", lambda d: ["label", str(write(d, "in.csv", ROWS)), "-o",
             str(twin(d, "full", 7)), "--force"], one_line(1, "No space left on device")))  # fmt: skip
    add(Case("label -o x.csv/", lambda d: ["label", str(write(d, "in.csv", ROWS)), "-o", str(d / "x.csv") + "/"],
             one_line(1, "ends with /")))  # fmt: skip
    add(Case("label --force keeps a 0600 file's mode", lambda d: ["label", str(write(d, "in.csv", ROWS)), "-o",
             str(mode_file(d, 0o600)), "--force"], ok(lambda r, d: mode_is(d / "out.csv", 0o600))))  # fmt: skip
    add(Case("label - -o in.csv --force < in.csv", lambda d: ["label", "-", "-o", str(write(d, "in.csv", ROWS)),
             "--force"], one_line(1, "over the input file"), stdin="in.csv"))  # fmt: skip
    add(Case("terminal escapes in the table", lambda d: ["score", "The plan is bad \x1b]0;owned\x07."],
             ok(lambda r, d: b"\x1b" not in r.stdout or fail("raw ESC"))))  # fmt: skip
    # quoting and delimiters
    add(Case("CheckThat!-style TSV rows not merged", lambda d: ["label", str(write(d, "in.tsv", CHECKTHAT)), "-q",
             "--text-column", "sentence"], ok(stdout_lines(4))))  # fmt: skip
    add(Case("... beyond the first megabyte", lambda d: ["label", str(write(d, "in.tsv", big_checkthat())),
             "--text-column", "sentence", "-o", str(d / "out.tsv")], one_line(1, "--quoting none")))  # fmt: skip
    add(
        Case(
            "evaluate CheckThat!-style TSV",
            lambda d: ["evaluate", str(write(d, "in.tsv", CHECKTHAT.replace("gold", "label"))), "--json"],
            ok(lambda r, d: json.loads(r.stdout)["n"] == 3 or fail(r.stdout[:200])),
        )
    )
    for delimiter in (".", "-", "a", "7", " "):
        add(Case(f"--delimiter {delimiter!r}", lambda d, x=delimiter: ["label", str(write(d, "in.txt", f"id{x}text\n"
                 f"1{x}It rained.\n")), "--delimiter", x], one_line(2, "delimiter")))  # fmt: skip
    add(Case("5. --skip-bad-rows: a continuation is not a row", lambda d: ["label", str(write(d, "in.csv",
             'id,text,n\n1,"He said "stop\nnow",x,5\n2,Fine.,6\n')), "--skip-bad-rows"],
             ok(stdout_lines(2), lambda r, d: "lines 2-3" in r.stderr or fail(r.stderr))))  # fmt: skip
    # encodings
    add(
        Case(
            "UTF-16 BE stays BE",
            lambda d: [
                "label",
                str(write(d, "in.tsv", codecs.BOM_UTF16_BE + "id\ttext\n1\tIt rained.\n".encode("utf-16-be"))),
                "--encoding",
                "utf-16",
                "-q",
            ],
            ok(lambda r, d: r.stdout.startswith(codecs.BOM_UTF16_BE + "id".encode("utf-16-be")) or fail("order")),
        )
    )
    add(
        Case(
            "--encoding utf-16-le with a BOM",
            lambda d: [
                "label",
                str(write(d, "in.tsv", codecs.BOM_UTF16_LE + "id\ttext\n1\tIt rained.\n".encode("utf-16-le"))),
                "--encoding",
                "utf-16-le",
                "-q",
            ],
            ok(lambda r, d: r.stdout.startswith(codecs.BOM_UTF16_LE + b"i\x00d\x00") or fail("BOM")),
        )
    )
    for encoding in ("rot13", "zlib", "base64", "hex", "unicode_escape", "idna", "punycode", "utf-7"):
        add(Case(f"--encoding {encoding}", lambda d, e=encoding: ["label", str(write(d, "in.csv", ROWS)),
                 "--encoding", e], one_line(1, encoding)))  # fmt: skip
    add(
        Case(
            "a lone UTF-16 surrogate",
            lambda d: [
                "label",
                str(
                    write(d, "in.tsv", "id\ttext\n1\tIt".encode("utf-16-le") + b"\x00\xd8" + ".\n".encode("utf-16-le"))
                ),
                "--encoding",
                "utf-16-le",
            ],
            one_line(1, "offset"),
        )
    )
    # time and memory
    add(Case("splitter: 'It rose. (see ' x 300,000", lambda d: ["score", "--file", str(write(d, "t.txt",
             "It rose. (see " * 300_000)), "--json"], ok(within(60))))  # fmt: skip
    add(
        Case(
            "label --sentences, one 100 KB cell of 2,000 sentences",
            lambda d: [
                "label",
                str(
                    write(
                        d,
                        "in.csv",
                        'id,text\n1,"' + "Prices rose by 3 percent on Monday, officials said. " * 2_000 + '"\n',
                    )
                ),
                "--sentences",
                "-o",
                str(twin(d, "null", 3)),
                "--force",
                "-q",
            ],
            ok(within(120), peak_under(1024)),
            measure=True,
        )
    )
    # (its output is 2,000 rows of 100 KB: 200 MB, formatted a budget at a time)
    add(Case("label /dev/zero", lambda d: ["label", "/dev/zero", "-o", str(d / "out.csv")],
             one_line(1, "no line break")))  # fmt: skip
    # standard output, disks, folders
    add(Case("score with standard output closed", lambda d: [*FACTOPINION, *score_text(), ">&-"],
             one_line(1, "cannot write standard output: it is closed"), shell=True))  # fmt: skip
    add(Case("label > a /dev/full twin", full_stdout, one_line(1, "cannot write standard output: No space left"),
             stdout="full"))  # fmt: skip
    add(Case("train --out onto a /dev/full twin", lambda d: ["train", "--data", str(training(d)), "--out",
             str(full_model_dir(d)), "--cv-folds", "0", "--force"], one_line(1, "No space left")))  # fmt: skip
    add(Case("train --out under a file", lambda d: ["train", "--data", str(training(d)), "--out",
             str(write(d, "file", "")) + "/m"], one_line(1, "Not a directory")))  # fmt: skip
    for seed in ("-1", str(2**40)):
        add(Case(f"train --seed {seed}", lambda d, s=seed: ["train", "--seed", s, "--out", str(d / "m")],
                 lambda r, d: (r.code == 2 and "Traceback" not in r.stderr) or fail(r.stderr)))  # fmt: skip
    add(Case("train on a file with a 'file' column", lambda d: ["train", "--data", str(training(d, ",file")),
             "--out", str(d / "m"), "--cv-folds", "0"], ok()))  # fmt: skip
    for metadata in ([], "text", {"training_data": []}, {"cross_validation": {"accuracy": "high"}}):
        add(Case(f"model info on metadata {json.dumps(metadata)}", lambda d, m=metadata: ["model", "info",
                 "--model", str(weird_model(d, m))], ok()))  # fmt: skip
    add(Case("a model whose probabilities are NaN", lambda d: ["score", "It rained.", "--model", str(nan_model(d))],
             one_line(1, "not numbers")))  # fmt: skip
    add(
        Case(
            "--replace-columns, one column, a blank line",
            lambda d: [
                "label",
                str(write(d, "one.csv", "text\nIt rained.\n\nIt is bad.\n")),
                "--replace-columns",
                "--column",
                "label=text",
            ],
            ok(stdout_lines(4)),
        )
    )
    add(Case("invalid UTF-8 argument, strict UTF-8 stdout", lambda d: ["score", os.fsdecode(b"caf\xe9 au lait")],
             one_line(1, "not UTF-8"), env={"PYTHONIOENCODING": "utf-8:strict"}))  # fmt: skip
    add(Case("--threshold nan", lambda d: ["score", "It rained.", "--threshold", "nan"],
             lambda r, d: (r.code == 2 and "Traceback" not in r.stderr) or fail(r.stderr)))  # fmt: skip
    c += round_two()
    return c


# -- round two (issue 20) ------------------------------------------------------------------------------------------

PAGE = (
    b"<html><head><title>Fares</title></head><body><article>"
    + (b"<p>The council said on Tuesday it would raise fares.</p>" * 40)
    + b"</article></body></html>"
)


def local_server(serve: Callable[[socket.socket], None]) -> str:
    """The address of a page on a TCP server on 127.0.0.1, started here, that hands each connection to ``serve``."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65536)
            with contextlib.suppress(OSError):
                serve(self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
            pass

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/page.html"


def cut_short(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE) * 2, PAGE))


def trickle(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE:
        conn.sendall(bytes([byte]))
        time.sleep(0.1)


def round_two() -> list[Case]:
    c: list[Case] = []
    add = c.append
    add(Case("1. --url: a download cut short", lambda d: ["score", "--url", local_server(cut_short)],
             one_line(1, "incomplete")))  # fmt: skip
    add(Case("6. --url --timeout 2: a server sending a byte every 0.1 s", lambda d: ["score", "--url",
             local_server(trickle), "--timeout", "2"], one_line(1), timeout=30))  # fmt: skip
    big_page = PAGE.replace(b"</article>", b"<p>" + b"word " * 2_200_000 + b"</p></article>")
    add(Case("7. score --file: an 11 MB page", lambda d: ["score", "--file", str(write(d, "big.html", big_page))],
             one_line(1, "over the limit")))  # fmt: skip
    for name, code in (("SIGTERM", 143), ("SIGINT", 130)):
        add(Case(f"7. {name} while the page extraction is stuck in one C call", lambda d, n=name: signalled(
                 [sys.executable, "-c", STUCK, "score", "--file", str(write(d, "p.html", PAGE))], n, 2.5),
                 exits(code, within=4.5), raw=True))  # fmt: skip
    for charset in ("undefined", "punycode"):
        add(Case(f"15. <meta charset={charset}>", lambda d, c=charset: ["score", "--file", str(write(d, "p.html",
                 PAGE.replace(b"<head>", f"<head><meta charset={c}>".encode())))], ok()))  # fmt: skip
    add(Case("3. train --out m --force, m/model.json a link to the training data", lambda d: ["train", "--data",
             str(linked_model_dir(d)), "--out", str(d / "m"), "--force", "--cv-folds", "0"],
             one_line(1, "over its training data")))  # fmt: skip
    add(Case("24. train --data a/data.csv --data b/data.csv", lambda d: ["train", "--data", str(training(d / "a")),
             "--data", str(training(d / "b", rows=5)), "--out", str(d / "m"), "--cv-folds", "0"],
             ok(rows_recorded([24, 10]))))  # fmt: skip
    add(Case("14. model.json with ngram_range [1, 2**70], score --explain", lambda d: ["score", "--model", str(
             model_with(d, lambda m: m["blocks"][0].update(ngram_range=[1, 2**70]))), "--explain", "It is a disgrace."],
             ok(), timeout=60))  # fmt: skip
    add(Case("14. score --model: 100 MB of JSON that is not a model", lambda d: ["score", "--model",
             str(write(d, "big.json", b'{"items": [' + b"1," * 50_000_000 + b"1]}")), "It rained."],
             ok_and(one_line(1, "not a factopinion model"), peak_under(500)), measure=True))  # fmt: skip
    for command in (["score", "It rained."], ["model", "info"]):
        add(Case(f"19. {command[0]} {command[1][:4]}: a 401-digit intercept", lambda d, c=command: [*c, "--model",
                 str(model_with(d, lambda m: m.update(intercept=10**400)))], one_line(1, "intercept")))  # fmt: skip
    add(Case("20. evaluate --json on a file of one class", lambda d: ["evaluate", "--json", str(write(d, "one.csv",
             "sentence,label\nThe council met.,fact\nThe fare rose.,fact\n"))], ok(strict_json)))  # fmt: skip
    add(Case("26. the suite's Ctrl-C test run as a background job (`pytest ... &`)", background_test, ok(), raw=True,
             timeout=300))  # fmt: skip
    add(Case("4. label .x.csv.done x.csv --output-dir out", lambda d: ["label", str(write(d, ".x.csv.done", ROWS)),
             str(write(d, "x.csv", ROWS)), "--output-dir", str(d / "out")], one_line(2, "rename it")))  # fmt: skip
    add(Case("9. --resume with a /dev/zero twin as the manifest", lambda d: ["label", str(zero_manifest(d)),
             "--output-dir", str(d / "out"), "--resume"], ok(peak_under(1000)), measure=True, timeout=60))  # fmt: skip
    add(Case('9. --resume with a manifest of "input": [0]', lambda d: ["label", str(list_manifest(d)),
             "--output-dir", str(d / "out"), "--resume"], ok()))  # fmt: skip
    add(Case("10. label 'in/**/*.csv' with two links to . in in/", lambda d: ["label", str(looped(d) / "**" / "*.csv"),
             "--output-dir", str(d / "out")], ok(), timeout=60))  # fmt: skip
    add(Case("23. label -o a 250-character name", lambda d: ["label", str(write(d, "in.csv", ROWS)), "-o",
             str(d / ("o" * 246 + ".csv"))], ok()))  # fmt: skip
    connect_2s = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    add(Case("11. --dask tcp://a server that accepts and never answers", lambda d: ["label", str(write(d, "in.csv",
             ROWS)), "--output-dir", str(d / "out"), "--dask", dask_address(silent)], one_line(1, "did not answer"),
             env=connect_2s, timeout=60))  # fmt: skip
    add(Case("12. a file's Dask task run again after it finished", lambda d: [sys.executable, "-c", TWICE,
             str(write(d, "in.csv", ROWS)), str(d / "out")], ok(), raw=True))  # fmt: skip
    add(Case("13. Ctrl-C to the whole group during --dask local", lambda d: signalled([*FACTOPINION, "label",
             str(write(d, "big.csv", big_rows())), "--output-dir", str(d / "out"), "--dask", "local",
             "--dask-workers", "2"], "SIGINT", 6, group=True), ok_and(exits(130, 60), quiet), raw=True))  # fmt: skip
    for scheme in ("tls", "ucx"):
        add(Case(f"18. --dask {scheme}://", lambda d, s=scheme: ["label", str(write(d, "in.csv", ROWS)), "--output-dir",
                 str(d / "out"), "--dask", f"{s}://127.0.0.1:1"], one_line(1, "Dask scheduler")))  # fmt: skip
    add(Case("18. --dask tcp://a server sending garbage", lambda d: ["label", str(write(d, "in.csv", ROWS)),
             "--output-dir", str(d / "out"), "--dask", dask_address(garbage)], one_line(1, "Dask scheduler"),
             env=connect_2s, timeout=60))  # fmt: skip
    add(Case("2. JSON Lines rows ending in }\\r \\n", lambda d: ["label", str(write(d, "in.jsonl",
             '{"text": "It rained."}\r \n{"text": "It is bad."}\r\t\n'))], ok(json_lines(2))))  # fmt: skip
    add(Case("8. label /dev/zero twin --format jsonl", lambda d: ["label", str(twin(d, "zero", 5)), "--format", "jsonl",
             "-o", str(d / "out.jsonl")], ok_and(one_line(1, "no line break"), peak_under(1500)), measure=True,
             timeout=120))  # fmt: skip
    add(Case("16. JSON Lines: 100,000 nested arrays", lambda d: ["label", str(write(d, "in.jsonl",
             '{"text": "It rained."}\n{"text": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")),
             "--skip-bad-rows"], ok(json_lines(1))))  # fmt: skip
    add(Case("16. JSON Lines: a 5,000-digit integer", lambda d: ["label", str(write(d, "in.jsonl",
             '{"text": "It rained.", "n": ' + "7" * 5000 + "}\n"))], ok(json_lines(1))))  # fmt: skip
    add(Case("17. Parquet strings that are not UTF-8", lambda d: ["label", str(bad_parquet(d)), "-o",
             str(d / "out.csv")], one_line(1, "not UTF-8")))  # fmt: skip
    add(Case("21. a file that starts with 1 MiB of blank lines", lambda d: ["label", str(write(d, "in.csv",
             "\n" * (1 << 20) + ROWS))], ok(stdout_lines(3))))  # fmt: skip
    add(Case("22. --replace-columns with two columns named label", lambda d: ["label", str(write(d, "in.csv",
             "label,text,label\nx,It rained.,y\n")), "--replace-columns"], ok(no_old_labels)))  # fmt: skip
    add(Case("25. label a TSV whose rows lack the optional trailing field, --pad-short-rows", lambda d: ["label",
             str(write(d, "in.tsv", "sentence\tgold\tnote\nIt rained.\tOBJ\nWe win.\tSUBJ\tn\n")),
             "--pad-short-rows"], ok(stdout_lines(3))))  # fmt: skip
    return c


def no_old_labels(run: Run, folder: Path) -> None:
    assert run.stdout.decode().splitlines()[1].count("fact") == 2, run.stdout[:200]


def json_lines(n: int) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        lines = run.stdout.decode().split("\n")[:-1]
        assert len(lines) == n and all("label" in json.loads(line, parse_int=str) for line in lines), run.stdout[:300]

    return check


def bad_parquet(folder: Path) -> Path:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise Skip("needs pyarrow") from None
    raw = pa.array([b"It rained.", b"caf\xe9"], type=pa.binary())
    pq.write_table(pa.table({"text": pa.Array.from_buffers(pa.string(), 2, raw.buffers())}), folder / "in.parquet")
    return folder / "in.parquet"


# The same file job run twice, as Dask reruns a task whose worker died after it finished.
TWICE = (
    "import sys; from factopinion import load_model; from factopinion.labeling.files import *; "
    "m = load_model(); (job,) = plan_jobs([sys.argv[1]], sys.argv[2], batch_options(), model_fingerprint(m)).jobs; "
    "label_job(job, m); label_job(job, m); assert manifest_path(job.destination).exists()"
)


def silent(conn: socket.socket) -> None:
    time.sleep(60)


def garbage(conn: socket.socket) -> None:
    conn.sendall(b"\xff" * 64 + b"garbage\r\n" * 100)


def dask_address(serve: Callable[[socket.socket], None]) -> str:
    return local_server(serve).replace("http://", "tcp://").removesuffix("/page.html")


def big_rows() -> str:
    return "id,text\n" + "".join(f"{i},The mayor said on day {i} it would go ahead. It is a disgrace!\n"
                                 for i in range(150_000))  # fmt: skip


def quiet(run: Run, folder: Path) -> None:
    assert len(run.stderr.splitlines()) <= 1 and "Traceback" not in run.stderr, run.stderr[-300:]


def labeled_once(folder: Path) -> Path:
    source = write(folder, "in.csv", ROWS)
    subprocess.run([*FACTOPINION, "label", str(source), "--output-dir", str(folder / "out")], check=True,
                   capture_output=True)  # fmt: skip
    return source


def zero_manifest(folder: Path) -> Path:
    source = labeled_once(folder)
    (folder / "out" / ".in.csv.done").unlink()
    twin(folder / "out", ".in.csv.done", 5)
    return source


def list_manifest(folder: Path) -> Path:
    source = labeled_once(folder)
    manifest = folder / "out" / ".in.csv.done"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "input": [0]}))
    return source


def looped(folder: Path) -> Path:
    (folder / "in" / "sub").mkdir(parents=True)
    write(folder / "in", "a.csv", ROWS)
    write(folder / "in" / "sub", "b.csv", ROWS)
    (folder / "in" / "one").symlink_to(".")
    (folder / "in" / "two").symlink_to(".")
    return folder / "in"


def background_test(folder: Path) -> list[str]:
    test = Path(__file__).resolve().parent.parent / "tests" / "labeling" / "test_workers.py"
    if not test.is_file():
        raise Skip("needs the tests of a checkout")
    node = f"{test}::test_an_interrupted_run_leaves_no_output_file[2]"
    return [
        "bash",
        "-c",
        f"{shlex.join([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', node])} & wait $!",
    ]


def strict_json(run: Run, folder: Path) -> None:
    json.loads(run.stdout, parse_constant=lambda name: fail(f"{name} in the JSON"))


def ok_and(*checks: Callable[[Run, Path], None]) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        for each in checks:
            each(run, folder)

    return check


def model_with(folder: Path, change: Callable[[dict], object]) -> Path:
    """A copy of the shipped model folder with its model changed by ``change`` (the SHA-256 redone)."""
    import hashlib

    from factopinion.bundled import bundled_model_dir
    from factopinion.engine.scorer import FORMAT, FORMAT_VERSION

    (folder / "m").mkdir()
    document = json.loads((bundled_model_dir() / "model.json").read_bytes())
    change(document["model"])
    encoded = json.dumps(document["model"], ensure_ascii=False, separators=(",", ":")).encode()
    header = f'{{"format":"{FORMAT}","format_version":{FORMAT_VERSION},"sha256":"{hashlib.sha256(encoded).hexdigest()}"'
    write(folder / "m", "model.json", header.encode() + b',"model":' + encoded + b"}\n")
    return folder / "m"


def linked_model_dir(folder: Path) -> Path:
    data = training(folder)
    (folder / "m").mkdir()
    (folder / "m" / "model.json").symlink_to(data)
    return data


def rows_recorded(rows: list[int]) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        files = json.loads((folder / "m" / "metadata.json").read_text())["training_data"]["files"]
        assert [f["rows"] for f in files] == rows, files

    return check


# A page extraction that holds Python in one C call for seconds (as libxml2 does on a large page).
STUCK = (
    "import os, sys, trafilatura; "
    "trafilatura.bare_extraction = lambda *a, **k: os.system('exec sleep 6 </dev/null >/dev/null 2>&1'); "
    "from factopinion.cli import main; sys.argv[0] = 'factopinion'; main()"
)


def signalled(command: list[str], name: str, after: float, group: bool = False) -> list[str]:
    """A command that runs ``command`` (in a process group of its own with ``group``), sends it the signal ``name``
    after ``after`` seconds (to the whole group, as a terminal does, with ``group``) and exits as it did."""
    driver = (
        "import os, signal, subprocess, sys, time; "
        "p = subprocess.Popen(sys.argv[4:], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), "
        "start_new_session=sys.argv[3] == '1'); "
        "time.sleep(float(sys.argv[2])); sig = getattr(signal, sys.argv[1]); "
        "os.killpg(p.pid, sig) if sys.argv[3] == '1' else p.send_signal(sig); "
        "code = p.wait(); sys.exit(128 - code if code < 0 else code)"
    )
    return [sys.executable, "-c", driver, name, str(after), "1" if group else "0", *command]


def exits(code: int, within: float) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        assert run.code == code and "Traceback" not in run.stderr, f"exit {run.code}: {run.stderr.strip()[-300:]}"
        assert run.seconds < within, f"{run.seconds:.1f} s"

    return check


def fail(message: str) -> bool:
    raise AssertionError(message)


def score_text() -> list[str]:
    return ["score", "The council met on Tuesday. It should resign."]


def link(folder: Path, target: Path) -> Path:
    (folder / "link").symlink_to(target)
    return folder / "link"


def mode_file(folder: Path, mode: int) -> Path:
    path = write(folder, "out.csv", "old\n")
    path.chmod(mode)
    return path


def mode_is(path: Path, mode: int) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == mode, oct(path.stat().st_mode)


def big_checkthat() -> str:
    filler = "".join(f"The council met on day {i} and approved budget item {i} after a debate.\tOBJ\n"
                     for i in range(14_000))  # fmt: skip
    return CHECKTHAT.replace("sentence\tgold\n", "sentence\tgold\n" + filler)


def full_stdout(folder: Path) -> list[str]:
    twin(folder, "full", 7)
    return ["label", str(write(folder, "in.csv", ROWS))]


def full_model_dir(folder: Path) -> Path:
    (folder / "m").mkdir()
    twin(folder / "m", "model.joblib", 7)
    return folder / "m"


def peak_under(megabytes: int) -> Callable[[Run, Path], None]:
    def check(run: Run, folder: Path) -> None:
        peak = int(run.stderr.rsplit("peak-rss-kib ", 1)[1].split()[0]) / 1024
        assert peak < megabytes, f"peak RSS {peak:.0f} MiB"

    return check


MEASURE = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print('peak-rss-kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)"
)


def run_case(case: Case, root: Path) -> tuple[str, str]:
    folder = root / f"case{abs(hash(case.name))}"
    folder.mkdir()
    try:
        args = case.make(folder)
    except Skip as why:
        return "skip", str(why)
    command = args if case.raw or args[: len(FACTOPINION)] == FACTOPINION else [*FACTOPINION, *args]
    if case.shell:
        command = ["bash", "-c", " ".join(shlex.quote(a) if a != ">&-" else a for a in command)]
    if case.measure:
        command = [sys.executable, "-c", MEASURE, *command]
    stdin = open(folder / case.stdin, "rb") if case.stdin else subprocess.DEVNULL  # noqa: SIM115
    stdout = open(folder / case.stdout, "wb") if case.stdout else subprocess.PIPE  # noqa: SIM115
    started = time.monotonic()
    try:
        done = subprocess.run(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, cwd=folder,
                              env={**os.environ, **(case.env or {})}, timeout=case.timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "FAIL", f"no end within {case.timeout:.0f} s"
    finally:
        for stream in (stdin, stdout):
            if hasattr(stream, "close"):
                stream.close()
    run = Run(done.returncode, done.stdout or b"", done.stderr.decode("utf-8", "replace"), time.monotonic() - started)
    try:
        case.check(run, folder)
    except AssertionError as why:
        return "FAIL", str(why).splitlines()[0][:200] if str(why) else "check failed"
    return "pass", f"{run.seconds:.1f} s"


def signal_cases(root: Path) -> list[tuple[str, str, str]]:
    """SIGQUIT and SIGUSR1 during a run: no .part file, no traceback, exit 128 + the signal."""
    results = []
    for name in ("SIGQUIT", "SIGUSR1"):
        folder = root / name
        folder.mkdir()
        process = subprocess.Popen([*FACTOPINION, "label", "-", "-o", str(folder / "out.csv"), "--jobs", "1"],
                                   stdin=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        process.stdin.write(ROWS.encode())  # the input stays open: the run waits for more
        process.stdin.flush()
        deadline = time.monotonic() + 60
        while not list(folder.glob(".*.part")) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(getattr(signal, name))
        process.wait(timeout=60)
        stderr = process.stderr.read().decode()
        process.stdin.close()
        passed = process.returncode == 128 + getattr(signal, name) and not list(folder.iterdir())
        passed = passed and "Traceback" not in stderr
        results.append((f"{name} mid-run leaves no .part file", "pass" if passed else "FAIL", stderr[-200:]))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("-k", default="", help="only the cases whose name holds this")
    options = parser.parse_args()
    chosen = [case for case in cases() if options.k in case.name]
    # the cases run in folders of their own: a relative PYTHONPATH (src) must still find the same package
    paths = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    os.environ["no_proxy"] = ",".join(filter(None, [os.environ.get("no_proxy"), "127.0.0.1"]))  # its own servers
    import factopinion

    print(f"factopinion {factopinion.__version__} from {Path(factopinion.__file__).parent}")
    with tempfile.TemporaryDirectory(prefix="factopinion-hostile-") as tmp:
        root = Path(tmp)
        with ThreadPoolExecutor(options.jobs) as pool:
            results = [(case.name, *outcome) for case, outcome in
                       zip(chosen, pool.map(lambda case: run_case(case, root), chosen), strict=True)]  # fmt: skip
        if "sig" in options.k.lower() or not options.k:
            results += signal_cases(root)
    for name, outcome, detail in results:
        print(f"{outcome:>4}  {name}" + (f"  ({detail})" if outcome != "pass" or detail else ""))
    tried = [r for r in results if r[1] != "skip"]
    passed = sum(1 for r in tried if r[1] == "pass")
    print(f"\n{len(tried)} hostile cases tried, {passed} pass, {len(tried) - passed} fail"
          f"{f', {len(results) - len(tried)} skipped' if len(results) > len(tried) else ''}")  # fmt: skip
    return 0 if passed == len(tried) else 1


if __name__ == "__main__":
    sys.exit(main())
