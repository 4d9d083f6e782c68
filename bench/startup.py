"""How long each command takes to start: wall time of a fresh process, the median of N interleaved runs (with the
range), and its ratio to a bare Python (``python -c pass``) and to a bare ``import sklearn.linear_model``, both
measured in the same run.

    python bench/startup.py             # median of 7
    python bench/startup.py --repeat 15

The command is the installed ``factopinion`` console script beside this Python, else ``python -m factopinion``.
A first round, not counted, puts the files in the page cache and writes Python's bytecode caches (even where
``PYTHONDONTWRITEBYTECODE`` is set: an installed package has them), so these are warm starts, as a user gets them
from the second time on. Each command's CPU time (user and system, as the kernel counts it) is shown too: on a busy
machine it grows less than the wall time. The targets: ``--help`` within 0.3 s (issue 11); ``score`` on one
sentence within 0.3 s, loading the default model and its word vectors included (issue 19), and within 1.1 times
the bare scikit-learn import (issue 11: scoring needs no scikit-learn). The machine's load moves every figure; the
ratios to the references, measured in the same rounds, move less.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from recording import ROOT, add_record_option, recorded

SENTENCE = "Officials said the bridge would reopen in May."
HELP_TARGET_S = 0.3
SCORE_TARGET_S = 0.3
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


def run_time(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from starting ``argv`` in a new process to its exit, and the CPU seconds it used."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env={**environment, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")
    return elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command; the median is kept (default 7)")
    add_record_option(parser)
    args = parser.parse_args()
    command = factopinion_command()
    where = subprocess.run(
        [sys.executable, "-c", "import factopinion; print(factopinion.__file__)"], capture_output=True, text=True
    ).stdout.strip()
    source = "this checkout's src/" if Path(where).is_relative_to(ROOT) else "an installed package"
    shown = "factopinion (the console script)" if len(command) == 1 else "python -m factopinion"
    print(f"command: {shown}, from {source}; median of {args.repeat} interleaved runs; {os.cpu_count()} cores")
    for _, argv, env in cases(command):  # warm-up: the page cache and the bytecode caches
        run_time(argv, env)
    runs: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    # Interleaved rounds, so a burst of load on the machine hits every command alike.
    for _ in range(args.repeat):
        for name, argv, env in cases(command):
            wall, used = run_time(argv, env)
            runs.setdefault(name, []).append(wall)
            cpu.setdefault(name, []).append(used)
    times = {name: statistics.median(values) for name, values in runs.items()}
    bare, sklearn = times["python -c pass"], times["import sklearn.linear_model"]
    print(f"{'':30} {'wall s':>7} {'range':>13} {'/ python':>9} {'/ sklearn':>10} {'CPU s':>7}")
    for name, seconds in times.items():
        spread = f"{min(runs[name]):.3f}-{max(runs[name]):.3f}"
        used = statistics.median(cpu[name])
        print(f"{name:30} {seconds:7.3f} {spread:>13} {seconds / bare:8.1f}x {seconds / sklearn:9.2f}x {used:7.3f}")
    help_s, score_s = times["factopinion --help"], times["factopinion score SENTENCE"]
    checks = [
        (f"--help {help_s:.3f} s <= {HELP_TARGET_S} s", help_s <= HELP_TARGET_S),
        (f"score {score_s:.3f} s <= {SCORE_TARGET_S} s", score_s <= SCORE_TARGET_S),
        (f"score {score_s / sklearn:.2f}x sklearn <= {SCORE_TARGET_RATIO}x", score_s / sklearn <= SCORE_TARGET_RATIO),
    ]
    print("targets: " + "; ".join(f"{text}: {'met' if ok else 'NOT MET'}" for text, ok in checks))
    return 0  # a missed target is a figure to record, as the other benchmarks do


if __name__ == "__main__":
    sys.exit(recorded("startup", main))
