"""README.md is the front door: its Quick start output and its test command stay true, and so does the command
reference in docs/cli.md."""

import re
import shlex
import subprocess
import sys

from helpers import ROOT, invoke

README = ROOT / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, re.S)


def test_the_cli_reference_matches_help():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"], capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()


def test_the_quick_start_prints_what_the_readme_shows():
    setup, printed = code_blocks(section("Quick start"))[:2]
    command = next(line for line in setup.splitlines() if line.startswith("factopinion "))
    args = shlex.split(command)[1:]
    assert invoke(args).stdout == printed


def test_ci_runs_the_readme_test_block():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_block Tests" in ci
    (block,) = code_blocks(section("Tests"))
    assert "python -m pytest" in block and "pip install" in block


def test_the_browser_tests_skip_message_gives_the_readmes_install_commands():
    from helpers import INSTALL_BROWSER, INSTALL_SELENIUM, SKIP_REASON

    tests = section("Tests")
    assert f"`{INSTALL_BROWSER}`" in tests
    assert INSTALL_SELENIUM in code_blocks(tests)[0]
    assert INSTALL_BROWSER in SKIP_REASON and INSTALL_SELENIUM in SKIP_REASON
