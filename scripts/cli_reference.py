"""Regenerate the command-line reference, docs/cli.md, from ``--help`` (as cog does for sqlite-utils and llm).

    python scripts/cli_reference.py           # rewrite the blocks in docs/cli.md
    python scripts/cli_reference.py --check   # exit 1 if any block is stale (a test runs this)

A block is the fenced code between ``<!-- help: COMMAND -->`` and ``<!-- end help -->``, where COMMAND is the
subcommand's words (empty for the top level); it holds ``factopinion COMMAND --help`` at 100 columns. Every command
needs a block: both modes fail, naming it, for a command without one.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from factopinion.cli import cli  # noqa: E402

PAGE = ROOT / "docs" / "cli.md"
GROUPS_WITHOUT_PAGE = {"model"}  # a group whose only use is its subcommands
BLOCK = re.compile(r"(<!-- help: ?(?P<command>[\w -]*?) ?-->\n)```\n.*?```\n(<!-- end help -->)", re.S)


def help_text(command: str) -> str:
    result = CliRunner().invoke(cli, [*command.split(), "--help"], prog_name="factopinion", terminal_width=100)
    if result.exit_code != 0:
        raise SystemExit(f"factopinion {command} --help failed: {result.output}")
    return result.output


def commands(group: click.Group = cli, prefix: str = "") -> list[str]:
    """Every command's words, the group's own first ("" for the top level, "model info" for a subcommand)."""
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        words = f"{prefix} {name}".strip()
        found += commands(command, words) if isinstance(command, click.Group) else [words]
    return found


def render(page: str) -> str:
    return BLOCK.sub(lambda m: f"{m.group(1)}```\n{help_text(m.group('command'))}```\n{m.group(3)}", page)


def main() -> int:
    current = PAGE.read_text(encoding="utf-8")
    fresh = render(current)
    shown = {m.group("command") for m in BLOCK.finditer(current)}
    missing = [c for c in commands() if c not in shown and c not in GROUPS_WITHOUT_PAGE]
    if missing:
        names = ", ".join(f"'factopinion {c}'" for c in missing)
        print(f"docs/cli.md has no section for {names}: add '<!-- help: COMMAND -->' blocks", file=sys.stderr)
        return 1
    if "--check" in sys.argv[1:]:
        if fresh != current:
            print("docs/cli.md is stale: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
