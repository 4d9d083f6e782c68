"""Benchmark ``factopinion label --output-dir`` on this machine and on Dask: N files x M rows labeled one file
after another on the local worker pool, then on a Dask LocalCluster of 1 and of 2 workers, in the same run.

    python bench/dask_scale.py                        # 8 files x 50,000 rows
    python bench/dask_scale.py --files 16 --rows 20000
    python bench/dask_scale.py --workers 1 2 4        # on a machine with more cores

The files are bench/batch.py's news-like CSV rows (7 columns, one or two sentences of mixed fact and opinion per
text, 1% empty, quoted and multi-line cells). Each run is the whole command in a subprocess, as a user would type
it, cluster start-up included. Also measured: the fixed cost of a run (start-up, model shipped, shut-down: one
one-row file) and Dask's cost per file (many one-row files), so that the steady throughput per worker, the scaling
efficiency and the overhead per file can be told apart. Every output is compared byte for byte with the
single-machine run's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from batch import generate  # bench/batch.py, beside this script

COMMAND = [sys.executable, "-m", "factopinion.cli", "label"]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def label(inputs: Path, output: Path, *extra: str, repeat: int = 1) -> float:
    """Run ``label INPUTS --output-dir OUTPUT -q EXTRA`` ``repeat`` times; return the shortest wall time (the one
    least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeat):
        shutil.rmtree(output, ignore_errors=True)
        started = time.perf_counter()
        command = [*COMMAND, str(inputs), "--output-dir", str(output), "-q", *extra]
        result = subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            sys.exit(f"label {' '.join(extra)} failed: {result.stderr.decode().strip()}")
    return min(times)


def same_outputs(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir() if not p.name.startswith("."))
    return names == sorted(p.name for p in b.iterdir() if not p.name.startswith(".")) and all(
        (a / name).read_bytes() == (b / name).read_bytes() for name in names
    )


def tiny_files(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"tiny-{n:04}.csv").write_text(f"id,text\n{n},The council met on Tuesday.\n", encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=8, help="input files (default 8)")
    parser.add_argument("--rows", type=int, default=50_000, help="rows per file (default 50,000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Dask worker counts (default 1 2)")
    parser.add_argument("--tiny", type=int, default=100, help="one-row files for the per-file overhead (default 100)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement, the fastest kept (default 1)")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="factopinion-dask-bench-", dir=args.keep))
    try:
        inputs = workdir / "in"
        inputs.mkdir()
        started = time.perf_counter()
        for n in range(args.files):
            generate(inputs / f"part-{n:03}.csv", rows=args.rows, megabytes=None, seed=n)
        rows = args.files * args.rows
        size = sum(p.stat().st_size for p in inputs.iterdir()) / 2**20
        took = time.perf_counter() - started
        print(f"input: {args.files} files x {args.rows:,} rows = {rows:,} rows, {size:,.1f} MiB ({took:.1f} s)")
        print(f"machine: {cores()} cores; load average before the runs {os.getloadavg()[0]:.2f}")
        one, many = tiny_files(workdir / "one", 1), tiny_files(workdir / "many", args.tiny)

        print(f"\n{'run':<34}{'seconds':>9}{'rows/s':>11}{'fixed s':>9}{'steady rows/s':>15}{'per worker':>12}")
        repeat, fixed_repeat = args.repeat, max(3, args.repeat)  # a fixed cost is short: noisy, so always 3+ runs
        local_s = label(inputs, workdir / "out-local", repeat=repeat)
        local_fixed = label(one, workdir / "tmp", repeat=fixed_repeat)
        local_steady = rows / (local_s - local_fixed)
        print(
            f"{'label --output-dir (local pool)':<34}{local_s:9.1f}{rows / local_s:11,.0f}{local_fixed:9.1f}"
            f"{local_steady:15,.0f}{local_steady / cores():12,.0f}"
        )
        steady: dict[int, float] = {}
        for workers in sorted(args.workers):
            flags = ["--dask", "local", "--dask-workers", str(workers)]
            seconds = label(inputs, workdir / f"out-dask-{workers}", *flags, repeat=repeat)
            fixed = label(one, workdir / "tmp", *flags, repeat=fixed_repeat)
            steady[workers] = rows / (seconds - fixed)
            identical = same_outputs(workdir / "out-local", workdir / f"out-dask-{workers}")
            print(
                f"{f'--dask local --dask-workers {workers}':<34}{seconds:9.1f}{rows / seconds:11,.0f}{fixed:9.1f}"
                f"{steady[workers]:15,.0f}{steady[workers] / workers:12,.0f}"
                f"{'' if identical else '   OUTPUTS DIFFER'}"
            )
            if not identical:
                sys.exit("the Dask outputs are not byte-identical to the single-machine run's")
        print("outputs: byte-identical to the single-machine run's")

        base = min(args.workers)
        for workers in sorted(args.workers):
            if workers != base:
                efficiency = steady[workers] / (steady[base] * workers / base)
                print(f"scaling efficiency {base} -> {workers} workers (steady throughput): {efficiency:.0%}")
        top = max(args.workers)
        print(f"dask {top} workers / local pool, steady throughput: {steady[top] / local_steady:.2f}x")

        flags = ["--dask", "local", "--dask-workers", str(top)]
        many_s = label(many, workdir / "tmp", *flags, repeat=fixed_repeat)
        local_many_s = label(many, workdir / "tmp", repeat=fixed_repeat)
        per_file = (many_s - fixed) * top / (args.tiny - 1)  # fixed: the last (largest) worker count's
        local_per_file = (local_many_s - local_fixed) / (args.tiny - 1)
        print(
            f"overhead per file: Dask {per_file * 1000:.0f} ms of a worker's time ({args.tiny} one-row files on {top} "
            f"workers), local {local_per_file * 1000:.0f} ms"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
