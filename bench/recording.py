"""``--record``: a benchmark writes what it printed into its own section of docs/benchmarks.md.

A script opts in with two lines: ``add_record_option(parser)`` beside its other options, and
``sys.exit(recorded("NAME", main))`` as its entry point. With ``--record``, everything the run prints to standard
output is also kept, and when it returns (a run that missed a target included: its output says so, and its exit
status stays 1) the section between ``<!-- bench: NAME -->`` and ``<!-- end bench: NAME -->`` is replaced by the
command, its output (paths inside the checkout made relative to it) and a line saying when and where it ran. So the
figures in the docs are always a real run's, never pasted by hand, and never only the runs that went well.
"""

from __future__ import annotations

import io
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "benchmarks.md"


def add_record_option(parser) -> None:
    parser.add_argument(
        "--record", action="store_true", help="also write this run's output into its section of docs/benchmarks.md"
    )


def section(name: str, command: str, output: str, when: str) -> str:
    return f"<!-- bench: {name} -->\n```text\n$ {command}\n{output.rstrip()}\n```\n\n{when}\n<!-- end bench: {name} -->"


def replace_section(page: str, name: str, body: str) -> str:
    """``page`` with the section NAME replaced by ``body``; a page without the section's markers is an error."""
    pattern = re.compile(rf"<!-- bench: {re.escape(name)} -->\n.*?<!-- end bench: {re.escape(name)} -->", re.S)
    if len(pattern.findall(page)) != 1:
        raise SystemExit(f"{PAGE.name} needs one section '<!-- bench: {name} -->' ... '<!-- end bench: {name} -->'")
    return pattern.sub(lambda _: body, page)


class _Tee(io.TextIOBase):
    def __init__(self, stream) -> None:
        self.stream, self.kept = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def recorded(name: str, main: Callable[[], int | None], page: Path = PAGE) -> int:
    """Run ``main``; with ``--record`` on the command line, write its output into the section NAME of ``page``."""
    if "--record" not in sys.argv[1:]:
        return main() or 0
    args = [a for a in sys.argv[1:] if a != "--record"]
    command = " ".join(["python", f"bench/{Path(sys.argv[0]).name}", *args])
    load = os.getloadavg()[0]
    tee = _Tee(sys.stdout)
    sys.stdout = tee
    try:
        status = main() or 0  # 1 where a target was missed: recorded all the same, the output says so
    finally:
        sys.stdout = tee.stream
    from factopinion import __version__

    when = (
        f"Recorded {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with factopinion {__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f} at the start."
    )
    output = tee.kept.getvalue().replace(str(ROOT) + os.sep, "")  # the checkout's paths, relative to it
    fresh = replace_section(page.read_text("utf-8"), name, section(name, command, output, when))
    page.write_text(fresh, encoding="utf-8")
    print(f"recorded in {page.name}, section {name}", file=sys.stderr)
    return status
