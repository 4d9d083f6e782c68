"""Benchmark ``factopinion label --output-dir`` on this machine and on Dask: N files x M rows labeled one file
after another on the local worker pool, then on a Dask LocalCluster of 1 and of 2 workers, in the same run.

    python bench/dask_scale.py                        # 8 files x 200,000 rows
    python bench/dask_scale.py --files 16 --rows 20000
    python bench/dask_scale.py --workers 1 2 4        # on a machine with more cores

The files are bench/batch.py's news-like CSV rows (7 columns, one or two sentences of mixed fact and opinion per
text, 1% empty, quoted and multi-line cells). Each run is the whole command in a subprocess, as a user would type
it, cluster start-up included. Also measured: the fixed cost of a run (start-up, model shipped, shut-down: one
one-row file) and Dask's cost per file (many one-row files), so that the steady throughput per worker, the scaling
efficiency and the overhead per file can be told apart; and the CPU time of every process of each run, whose
rows per CPU-second (the per-core throughput) hardly depend on what else the machine is doing. Every output is
compared byte for byte with the single-machine run's.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This folder is first on sys.path when the script runs, and bench/select.py would then shadow the standard library's
# select, which subprocess needs: move the folder to the end (bench/recording.py is still found there), and load
# bench/batch.py by its path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE] + [str(HERE)]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from recording import add_record_option, recorded  # noqa: E402


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _bench_module("batch").generate  # bench/batch.py's news-like rows

COMMAND = [sys.executable, "-m", "factopinion.cli", "label"]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def label(inputs: Path, output: Path, *extra: str, repeat: int = 1) -> tuple[float, float]:
    """Run ``label INPUTS --output-dir OUTPUT -q EXTRA`` ``repeat`` times; return the wall time and the CPU time
    (of every process of the run, workers included) of the fastest run, the one least disturbed by other work."""
    runs = []
    for _ in range(repeat):
        shutil.rmtree(output, ignore_errors=True)
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        command = [*COMMAND, str(inputs), "--output-dir", str(output), "-q", *extra]
        result = subprocess.run(command, capture_output=True)
        wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.exit(f"label {' '.join(extra)} failed: {result.stderr.decode().strip()}")
        runs.append((wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return min(runs)


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
    parser.add_argument("--rows", type=int, default=200_000, help="rows per file (default 200,000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Dask worker counts (default 1 2)")
    parser.add_argument("--tiny", type=int, default=100, help="one-row files for the per-file overhead (default 100)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement, the fastest kept (default 1)")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    add_record_option(parser)
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
        one, many_files = tiny_files(workdir / "one", 1), tiny_files(workdir / "many", args.tiny)

        header = ("seconds", "rows/s", "fixed s", "steady rows/s", "per worker", "rows/CPU-s")
        print(f"\n{'run':<32}" + "".join(f"{h:>14}" for h in header))

        def row(name: str, run: tuple[float, float], fixed: tuple[float, float], workers: int) -> float:
            """Print a run's figures; return its steady throughput (the fixed cost of a run taken away)."""
            steady = rows / (run[0] - fixed[0])
            per_cpu = rows / (run[1] - fixed[1])  # rows per CPU-second: the per-core throughput
            figures = (f"{run[0]:.1f}", f"{rows / run[0]:,.0f}", f"{fixed[0]:.1f}", f"{steady:,.0f}")
            figures += (f"{steady / workers:,.0f}", f"{per_cpu:,.0f}")
            print(f"{name:<32}" + "".join(f"{f:>14}" for f in figures))
            return steady

        repeat, fixed_repeat = args.repeat, max(3, args.repeat)  # a fixed cost is short and noisy: 3+ runs
        local = label(inputs, workdir / "out-local", repeat=repeat)
        local_fixed = label(one, workdir / "tmp", repeat=fixed_repeat)
        local_steady = row("label --output-dir (local pool)", local, local_fixed, cores())
        steady: dict[int, float] = {}
        fixed = local_fixed
        for workers in sorted(args.workers):
            flags = ["--dask", "local", "--dask-workers", str(workers)]
            run = label(inputs, workdir / f"out-dask-{workers}", *flags, repeat=repeat)
            fixed = label(one, workdir / "tmp", *flags, repeat=fixed_repeat)
            steady[workers] = row(f"--dask local --dask-workers {workers}", run, fixed, workers)
            if not same_outputs(workdir / "out-local", workdir / f"out-dask-{workers}"):
                sys.exit(f"the outputs of {workers} Dask workers are not byte-identical to the single-machine run's")
        print("outputs: byte-identical to the single-machine run's")

        base = min(args.workers)
        for workers in sorted(args.workers):
            if workers != base:
                efficiency = steady[workers] / (steady[base] * workers / base)
                print(f"scaling efficiency {base} -> {workers} workers (steady throughput): {efficiency:.0%}")
        top = max(args.workers)
        print(f"dask {top} workers / local pool, steady throughput: {steady[top] / local_steady:.2f}x")

        flags = ["--dask", "local", "--dask-workers", str(top)]
        many = label(many_files, workdir / "tmp", *flags, repeat=fixed_repeat)
        local_many = label(many_files, workdir / "tmp", repeat=fixed_repeat)
        per_file = (many[0] - fixed[0]) * top / (args.tiny - 1)  # fixed: the largest worker count's
        local_per_file = (local_many[0] - local_fixed[0]) / (args.tiny - 1)
        cpu_per_file, local_cpu_per_file = (
            (many[1] - fixed[1]) / (args.tiny - 1),
            (local_many[1] - local_fixed[1]) / (args.tiny - 1),
        )
        print(
            f"cost per file ({args.tiny} one-row files): Dask {per_file * 1000:.0f} ms of a worker's wall time, "
            f"{cpu_per_file * 1000:.0f} ms CPU (all processes); local {local_per_file * 1000:.0f} ms wall, "
            f"{local_cpu_per_file * 1000:.0f} ms CPU"
        )
        print(f"load average after the runs {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(recorded("dask_scale", main))
