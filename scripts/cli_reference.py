"""Regenerate the command-line reference in README.md from ``--help`` (as cog does for sqlite-utils and llm).

    python scripts/cli_reference.py           # rewrite the blocks in README.md
    python scripts/cli_reference.py --check   # exit 1 if any block is stale (a test runs this)

A block is the fenced code between ``<!-- help: COMMAND -->`` and ``<!-- end help -->``, where COMMAND is the
subcommand's words (empty for the top level); it holds ``factopinion COMMAND --help`` at 100 columns.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from factopinion.cli import cli  # noqa: E402

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- help: ?(?P<command>[\w -]*?) ?-->\n)```\n.*?```\n(<!-- end help -->)", re.S)


def help_text(command: str) -> str:
    result = CliRunner().invoke(cli, [*command.split(), "--help"], prog_name="factopinion", terminal_width=100)
    if result.exit_code != 0:
        raise SystemExit(f"factopinion {command} --help failed: {result.output}")
    return result.output


def render(readme: str) -> str:
    return BLOCK.sub(lambda m: f"{m.group(1)}```\n{help_text(m.group('command'))}```\n{m.group(3)}", readme)


def main() -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in sys.argv[1:]:
        if fresh != current:
            print("README.md's CLI reference is stale: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
