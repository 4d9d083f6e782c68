"""Re-run the ``$ factopinion ...`` examples in README.md's console blocks and write their real output back.

    python scripts/readme_examples.py [--check]

Each ``console`` block runs in order in one scratch folder beside the repository (so ``../shared`` paths work):
``$ cat FILE`` with a file that does not exist yet creates it from the output shown; ``$ factopinion ...`` (and
``$ printf ... | factopinion ...``, ``$ echo $?``) runs, and its output replaces the one shown. Commands that need
the network or a long benchmark are left as they are. ``--check`` exits 1 where an output differs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
SKIP = ("--url", "curl ", "http://", "https://", "python ", "head ", "--dask", "kill", "&")


def run_block(block: str, work: Path, env: dict) -> str:
    lines = block.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    status = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            out.append(line)
            i += 1
            continue
        command = line[2:].rstrip("\n")
        j = i + 1
        while j < len(lines) and not lines[j].startswith("$ "):
            j += 1
        shown = "".join(lines[i + 1 : j])
        out.append(line)
        cat = re.fullmatch(r"cat (\S+)", command)
        if cat and not (work / cat.group(1)).exists():
            (work / cat.group(1)).write_text(shown, encoding="utf-8")
            out.append(shown)
        elif command == "echo $?":
            out.append(f"{status}\n")
        elif any(s in command for s in SKIP) or not (command.startswith(("factopinion", "cat ", "printf "))):
            out.append(shown)
        else:
            done = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True)
            status = done.returncode
            output = done.stdout + done.stderr
            # an input the README names but does not show (made elsewhere): the example stays as written
            out.append(shown if "does not exist" in output and "does not exist" not in shown else output)
        i = j
    return "".join(out)


def main() -> int:
    work = ROOT.parent / ".readme-examples"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for name in ("tests", "model", "data", "docs"):  # files the examples name by their repository paths
        (work / name).symlink_to(ROOT / name)
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    current = README.read_text(encoding="utf-8")
    fresh = BLOCK.sub(lambda m: "```console\n" + run_block(m.group(1), work, env) + "```", current)
    shutil.rmtree(work, ignore_errors=True)
    if "--check" in sys.argv[1:]:
        return 0 if fresh == current else 1
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
