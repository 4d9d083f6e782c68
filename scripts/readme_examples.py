"""Re-run every console example in README.md and docs/*.md, and check or rewrite the output they show.

    python scripts/readme_examples.py --check [PAGE ...]   # exit 1, with a diff, where an output differs
    python scripts/readme_examples.py --write [PAGE ...]   # write every example's real output in place
    (--shared DIR: the shared folder with the seed article and the CheckThat! sets; default ../shared)

An example is a ```console block: lines starting with ``$ `` are commands, and the lines up to the next command are
what it prints (standard output, then standard error). Each page runs its blocks in order, every command in a
fresh ``bash -c``, in one scratch folder of its own that holds a copy of docs/examples/ (so ``$ cat demo.csv``
shows a file that is really there), links to the repository's ``tests``, ``model``, ``data`` and ``eval`` folders, and
``../shared`` beside it. ``$ echo $?`` prints the exit code of the command before it. The installed
``factopinion`` (the one beside this Python) is what runs.

What is normalised, because it truly varies from run to run or machine to machine, and nothing else:
- the time a run took, ``0.4 s`` at the end of a ``factopinion:`` summary line: compared as any number (and left
  as shown when only it differs, so --write does not churn);
- the repository's own path: shown as ``/path/to/factopinion``; the default model's folder (``model info`` prints
  it: the checkout's ``model/`` in an editable install, the package's ``default_model/`` in an installed one): shown
  as ``/path/to/factopinion/model``;
- the port of the local web server: examples say ``127.0.0.1:8765``; the script serves ``tests/pages/`` on a free
  port and swaps the two;
- an output that does not end in a line break gets one (a page cannot show its absence);
- Dask's own log lines (``2026-01-01 12:00:00,000 - distributed.… - WARNING - …``), which a loaded machine can
  provoke (a late heartbeat) and a quiet one does not: dropped. (They are a leak of worker noise, and a bug where
  they appear; this script checks the docs, not that.)
Blocks that read ``../shared`` are left as they are (and reported) where that folder does not exist.

The README's Quick start is a ```bash block a reader pastes (so no ``$``), followed by the block it prints: that
output is run and rewritten too (tests/test_readme.py checks it on its own).
"""

from __future__ import annotations

import argparse
import difflib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
BLOCK = re.compile(r"(```console\n)(.*?)(```)", re.S)
DASK_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - distributed\.\S+ - [A-Z]+ - .*\n", re.M)
TIMING = re.compile(r"^(factopinion: .*?)\d+(?:\.\d+)? s(?=\b|;|$)", re.M)
SHOWN_ROOT = "/path/to/factopinion"
SHOWN_MODEL = SHOWN_ROOT + "/model"
SHOWN_SERVER = "127.0.0.1:8765"
QUICK_START = re.compile(
    r"(## Quick start\n.*?```bash\n.*?^(factopinion [^\n]*)\n```\n.*?```\n)(.*?)(```)", re.S | re.M
)


@functools.cache
def default_model_dir() -> Path:
    """Where the Python running the examples finds the default model (it differs by how factopinion is installed)."""
    from factopinion.bundled import bundled_model_dir

    return bundled_model_dir()


def pages() -> list[Path]:
    """Every page with examples: the README and the manual."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def masked(text: str) -> str:
    return TIMING.sub(r"\1N s", text)


@contextmanager
def web_server() -> Iterator[str]:
    """Serve tests/pages/ on 127.0.0.1 at a free port, for the ``score --url`` examples; yields HOST:PORT."""
    handler = functools.partial(_QuietHandler, directory=str(ROOT / "tests" / "pages"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class Page:
    """One page's examples, run in order in one scratch folder."""

    def __init__(self, path: Path, shared: Path, server: str) -> None:
        self.path, self.shared, self.server = path, shared, server
        self.skipped = 0

    def run(self) -> str:
        text = self.path.read_text("utf-8")
        with tempfile.TemporaryDirectory(prefix="factopinion-examples-") as scratch:
            base = Path(scratch).resolve()
            self.work = base / "work"
            shutil.copytree(EXAMPLES, self.work)
            for name in ("tests", "model", "data", "eval"):
                (self.work / name).symlink_to(ROOT / name)
            if self.shared.is_dir():
                (base / "shared").symlink_to(self.shared.resolve())
            self.status = 0
            text = QUICK_START.sub(lambda m: m.group(1) + self.command(m.group(2)) + m.group(4), text)
            return BLOCK.sub(lambda m: m.group(1) + self.block(m.group(2)) + m.group(3), text)

    def block(self, block: str) -> str:
        if "../shared" in block and not self.shared.is_dir():
            self.skipped += 1
            return block
        lines = block.splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
        out = lines[: starts[0]] if starts else lines
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(lines)
            shown = "".join(lines[start + 1 : end])
            fresh = self.command(lines[start][2:].rstrip("\n"))
            out += [lines[start], shown if masked(fresh) == masked(shown) else fresh]
        return "".join(out)

    def command(self, command: str) -> str:
        if command == "echo $?":
            return f"{self.status}\n"
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
        done = subprocess.run(
            ["bash", "-c", command.replace(SHOWN_SERVER, self.server)],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.status = done.returncode
        output = (done.stdout + done.stderr).replace(self.server, SHOWN_SERVER)
        output = output.replace(str(default_model_dir()), SHOWN_MODEL).replace(str(ROOT), SHOWN_ROOT)
        output = DASK_LOG.sub("", output.replace(str(self.work), "."))
        return output if output.endswith("\n") or not output else output + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 where an example's output differs")
    mode.add_argument("--write", action="store_true", help="write every example's real output in place")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared folder")
    parser.add_argument("pages", nargs="*", type=Path, help="pages to run (default: README.md and docs/*.md)")
    args = parser.parse_args()
    stale = []
    with web_server() as server:
        for path in [p.resolve() for p in args.pages] or pages():
            page = Page(path, args.shared, server)
            current = path.read_text("utf-8")
            fresh = page.run()
            name = path.relative_to(ROOT)
            if page.skipped:
                print(f"{name}: {page.skipped} blocks need {args.shared}, not here: left as they are", file=sys.stderr)
            if fresh == current:
                continue
            if args.write:
                path.write_text(fresh, encoding="utf-8")
                print(f"{name}: examples rewritten", file=sys.stderr)
            else:
                stale.append(name)
                diff = difflib.unified_diff(
                    current.splitlines(keepends=True), fresh.splitlines(keepends=True), f"{name} (shown)", "(run)"
                )
                sys.stderr.writelines(diff)
    if stale:
        names = ", ".join(map(str, stale))
        print(f"stale examples in {names}: run python scripts/readme_examples.py --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
