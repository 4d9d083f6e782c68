"""Benchmark many small files against the same rows as one file: ``factopinion label FOLDER --output-dir OUT`` on
400 files of 500 rows against ``factopinion label ONE.csv -o OUT.csv`` on the same 200,000 rows.

    python bench/many_files.py                     # 400 files x 500 rows, 3 interleaved repeats
    python bench/many_files.py --files 100 --rows 2000 --repeats 5

The rows are bench/corpus.py's news rows (the project's own sentences). Both commands are the installed console
script in a subprocess, at default settings (every core), run in turn, repeat after repeat; the figures are the
median and range of the wall time and of the CPU time of each command's whole process tree (their ratio, the cores
used, is about 2 on an idle two-core machine when both are used; on a busy one the CPU ratio is the steadier
figure). Target (issue 23): the many files within 1.3x the one file's time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from corpus import Spread, interleaved, run_tree, verdict, write_files, write_rows
from recording import add_record_option, recorded

TARGET = 1.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--rows", type=int, default=500, help="rows per file")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    add_record_option(parser)
    args = parser.parse_args()
    exe = shutil.which("factopinion") or str(Path(sys.executable).parent / "factopinion")
    workdir = Path(tempfile.mkdtemp(prefix="factopinion-files-"))
    try:
        folder, whole = workdir / "daily", workdir / "whole.csv"
        write_files(folder, files=args.files, rows=args.rows)
        write_rows(whole, rows=args.files * args.rows)
        n = args.files * args.rows
        load = os.getloadavg()[0]
        print(f"{args.files} files x {args.rows} rows against one file of {n:,} rows (the same rows); "
              f"{os.cpu_count()} cores, load average {load:.1f}; {args.repeats} interleaved repeats")  # fmt: skip
        cpu: dict[str, list[float]] = {"one": [], "many": []}

        def timed(name: str, command: list[str]) -> float:
            run = run_tree(command, memory=False)  # (sampling memory would take CPU from the runs)
            cpu[name].append(run.cpu)
            return run.wall

        one = [exe, "label", str(whole), "-o", str(workdir / "out.csv"), "--force", "--quiet"]
        many = [exe, "label", str(folder), "--output-dir", str(workdir / "out"), "--force", "--quiet"]
        times = interleaved({"one": lambda: timed("one", one), "many": lambda: timed("many", many)}, args.repeats)
        for name, title in (("one", "one file"), ("many", f"{args.files} files")):
            used = Spread(cpu[name])
            print(f"  {title:10} wall {times[name].text()}  CPU of the process tree {used.text()}  "
                  f"cores used {used.median / times[name].median:.2f}")  # fmt: skip
        for what, figures in (("wall", {k: v.values for k, v in times.items()}), ("CPU", cpu)):
            ratios = Spread([m / o for m, o in zip(figures["many"], figures["one"], strict=True)])
            print(f"  many files / one file, {what}: {ratios.median:.2f}x [{min(ratios.values):.2f}-"
                  f"{max(ratios.values):.2f}] (target <= {TARGET}x) {verdict(ratios.median <= TARGET)}")  # fmt: skip
        if os.getloadavg()[0] > 1.5:
            print("  (the machine was busy: the wall ratio and cores used depend on what else ran; the CPU ratio "
                  "is the work each run did)")  # fmt: skip
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(recorded("many_files", main))
