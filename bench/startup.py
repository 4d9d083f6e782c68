"""How long each command takes to start: wall time of a fresh process, best of N, as ratios to a bare Python
(``python -c pass``) and to a bare ``import sklearn.linear_model``, both measured in the same run.

    python bench/startup.py             # best of 7
    python bench/startup.py --repeat 3

The command is the installed ``factopinion`` console script beside this Python, else ``python -m factopinion``.
Files are in the page cache after the first run, so these are warm starts, as a user gets them from the second
time on. The targets (issue 11): ``--help`` within 0.3 s, and ``score`` on one sentence within 1.1 times the bare
scikit-learn import (loading the model needs scikit-learn; everything else should be nearly free).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from recording import add_record_option, recorded

SENTENCE = "Officials said the bridge would reopen in May."
HELP_TARGET_S = 0.3
SCORE_TARGET_RATIO = 1.1


def factopinion_command() -> list[str]:
    script = shutil.which("factopinion", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "factopinion"]


def cases(command: list[str]) -> list[tuple[str, list[str], dict[str, str]]]:
    """(name, argv, extra environment) of each measured start."""
    completion = {"_FACTOPINION_COMPLETE": "bash_complete", "COMP_WORDS": "factopinion sc", "COMP_CWORD": "1"}
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], {}),
        ("import sklearn.linear_model", [sys.executable, "-c", "import sklearn.linear_model"], {}),
        ("factopinion --help", [*command, "--help"], {}),
        ("factopinion --version", [*command, "--version"], {}),
        ("factopinion label --help", [*command, "label", "--help"], {}),
        ("completion (bash)", command, completion),
        ("factopinion score SENTENCE", [*command, "score", SENTENCE], {}),
    ]


def wall_time(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``argv`` in a new process to its exit."""
    started = time.perf_counter()
    done = subprocess.run(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command; the best is kept (default 7)")
    add_record_option(parser)
    args = parser.parse_args()
    command = factopinion_command()
    where = subprocess.run(
        [sys.executable, "-c", "import factopinion; print(factopinion.__file__)"], capture_output=True, text=True
    ).stdout.strip()
    print(f"command: {' '.join(command)} ({where}); best of {args.repeat} runs; {os.cpu_count()} cores")
    times = {}
    # Interleaved rounds, so a burst of load on the machine hits every command alike.
    for _ in range(args.repeat):
        for name, argv, env in cases(command):
            times[name] = min(times.get(name, float("inf")), wall_time(argv, env))
    bare, sklearn = times["python -c pass"], times["import sklearn.linear_model"]
    print(f"{'':30} {'wall s':>7} {'/ python':>9} {'/ sklearn':>10}")
    for name, seconds in times.items():
        print(f"{name:30} {seconds:7.3f} {seconds / bare:8.1f}x {seconds / sklearn:9.2f}x")
    help_ok = times["factopinion --help"] <= HELP_TARGET_S
    score_ratio = times["factopinion score SENTENCE"] / sklearn
    score_ok = score_ratio <= SCORE_TARGET_RATIO
    print(
        f"targets: --help {times['factopinion --help']:.3f} s <= {HELP_TARGET_S} s: {'met' if help_ok else 'NOT MET'}; "
        f"score {score_ratio:.2f}x sklearn <= {SCORE_TARGET_RATIO}x: {'met' if score_ok else 'NOT MET'}"
    )
    return 0 if help_ok and score_ok else 1


if __name__ == "__main__":
    sys.exit(recorded("startup", main))
