"""Re-run the curl examples of docs/serve.md against a real ``factopinion serve`` and write their output in place.

    python scripts/serve_examples.py --write    # after a change to the model or the API's answers
    python scripts/serve_examples.py --check    # exit 1 where an example's output differs (as the test does)

The examples are the page's ```sh blocks: a command after ``$ `` (continued by trailing backslashes) and what it
prints. The server is started on 127.0.0.1 on a free port and the documented address (http://127.0.0.1:8000) is
swapped for it; tests/serve/test_serve_docs.py checks the page the same way.
"""

from __future__ import annotations

import argparse
import difflib
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "serve.md"
DOCUMENTED_URL = "http://127.0.0.1:8000"
SH_BLOCK = re.compile(r"(```sh\n)(.*?)(```)", re.S)
SERVING = re.compile(r"serving (http://\S+?)/ \(Ctrl-C to stop\)")


def example(block: str) -> tuple[str, str]:
    """A ```sh block's command (after ``$ ``, continued by trailing backslashes) and the output shown for it."""
    lines = block.splitlines(keepends=True)
    if not lines or not lines[0].startswith("$ "):
        raise ValueError(f"a ```sh block that does not start with '$ ': {block!r}")
    command = [lines[0][2:]]
    while command[-1].rstrip("\n").endswith("\\"):
        command.append(lines[len(command)])
    return "".join(command), "".join(lines[len(command) :])


def examples(text: str) -> list[tuple[str, str]]:
    """Each ```sh block's command and shown output, in page order."""
    return [example(match.group(2)) for match in SH_BLOCK.finditer(text)]


def rerun(block: str, url: str) -> str:
    """The block with its command's output replaced by what it prints now."""
    command, _ = example(block)
    done = subprocess.run(["bash", "-c", command.replace(DOCUMENTED_URL, url)], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{command.strip()} failed: {done.stderr.strip()}")
    return "$ " + command + done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 where an example's output differs")
    mode.add_argument("--write", action="store_true", help="write every example's real output in place")
    args = parser.parse_args()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([sys.executable, "-m", "factopinion", "serve", "--port", "0"],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not (found := SERVING.search(log_text(log))):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start:\n{log_text(log)}")
                time.sleep(0.05)
            current = PAGE.read_text("utf-8")
            fresh = SH_BLOCK.sub(lambda m: m.group(1) + rerun(m.group(2), found.group(1)) + m.group(3), current)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    if fresh == current:
        return 0
    if args.write:
        PAGE.write_text(fresh, "utf-8")
        print(f"{PAGE.relative_to(ROOT)}: examples rewritten", file=sys.stderr)
        return 0
    diff = difflib.unified_diff(current.splitlines(True), fresh.splitlines(True), "shown", "run")
    sys.stderr.writelines(diff)
    print(f"stale examples in {PAGE.relative_to(ROOT)}: run python scripts/serve_examples.py --write", file=sys.stderr)
    return 1


def log_text(log) -> str:
    log.seek(0)
    return log.read().decode("utf-8", "replace")


if __name__ == "__main__":
    sys.exit(main())
