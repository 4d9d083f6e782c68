"""Benchmark ``factopinion label``: throughput against the scikit-learn pipeline's single-process ``predict_proba``
(the engine before the model became data) and against a pandas read-and-write of the same file (the I/O floor),
and the peak memory of the whole process tree (summed PSS and RSS, ``corpus.run_tree``).

    python bench/batch.py                      # 500,000 rows
    python bench/batch.py --megabytes 1024     # a ~1 GB input, for the memory figure
    python bench/batch.py --rows 20000 --jobs 1
    python bench/batch.py --rows 200000 --reference ../main/src   # this checkout against another, same run

It generates a CSV of news rows from the project's own sentences (``corpus.write_rows``: id, date, source, author,
a text of one or two real-length news sentences, a number-like score, a sparse notes column with quotes, commas,
newlines and null-like strings), then runs the installed ``factopinion`` console script on it in a subprocess, as
a user would, in turn with a pandas read+write of the same file, ``--repeats`` times (medians and ranges; targets
printed beside the figures, with "met" or "MISSED"); its peak memory is sampled in a run of its own (reading the
process tree's memory takes CPU from the command, some 13% of its time on two cores). Then the same rows as
Parquet (row groups of 100,000 rows, written with pyarrow) are labeled into Parquet, for the rows/s and peak
memory of the Parquet path beside the CSV one (``--no-parquet`` skips it). Everything is measured in the same run
on the same machine, so the ratios are what to compare. ``--reference SRC`` also times the same label commands
with another checkout's ``src`` folder (the code before a change), alternating the two runs, and prints the
throughput of this checkout against it.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from corpus import Spread, TreeRun, run_tree, verdict, write_rows
from recording import add_record_option, recorded

from factopinion import load_model
from factopinion.bundled import bundled_pipeline

# Rows per predict_proba call of the pipeline: the dense features of the default model take some 50 kB a row in
# one call (500,000 rows ran out of 24 GB), so it is fed in the scorer's own batch size.
PIPELINE_BATCH = 10_000


def generate(path: Path, *, rows: int | None, megabytes: float | None, seed: int = 7) -> tuple[int, list[str]]:
    """Write the CSV of news rows (``corpus.write_rows``: the project's own sentences); return its row count and
    its texts."""
    n = write_rows(path, rows=rows, megabytes=megabytes, seed=seed)
    with path.open(newline="", encoding="utf-8") as f:
        return n, [row["text"] for row in csv.DictReader(f)]


def memory(run: TreeRun) -> str:
    return f"{run.peak_pss_mib:,.0f} MiB PSS, {run.peak_mib:,.0f} MiB RSS"


def parquet_run(source: Path, workdir: Path, command: list[str], n: int, csv_s: float, csv_mb: str) -> None:
    """The same rows as Parquet, labeled into Parquet by the same command; printed beside the CSV figures."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    parquet = workdir / "input.parquet"
    strings = pacsv.ConvertOptions(column_types={name: pa.string() for name in ("id", "score", "notes", "text")})
    table = pacsv.read_csv(source, pacsv.ReadOptions(), pacsv.ParseOptions(newlines_in_values=True), strings)
    pq.write_table(table, parquet, row_group_size=100_000)
    del table
    size_mb = parquet.stat().st_size / 2**20
    parquet_command = [command[0], "label", str(parquet), "-o", str(workdir / "labeled.parquet"), *command[5:]]
    seconds = run_tree(parquet_command, memory=False).wall  # timed as the CSV runs are: not sampled
    run = run_tree([*parquet_command, "--force"])
    print(f"factopinion label INPUT.parquet -o OUTPUT.parquet {' '.join(command[5:])}  (input {size_mb:,.1f} MiB)")
    print(
        f"  label Parquet (whole command): {seconds:7.1f} s {n / seconds:10,.0f} rows/s  ({csv_s / seconds:.2f}x CSV)"
    )
    print(f"  peak memory of the process tree: {memory(run)}  (CSV: {csv_mb})")


def compare(reference: Path, commands: dict[str, list[str]], n: int, repeat: int) -> None:
    """Each label command (its arguments) run with this checkout's code and with ``reference``'s, alternately,
    ``repeat`` times each; the best time of each and this checkout's throughput against the reference's."""
    here = Path(__file__).resolve().parent.parent / "src"
    print(f"this checkout ({here}) against the reference ({reference.resolve()}), best of {repeat}:")
    for name, arguments in commands.items():
        best = {"reference": float("inf"), "this": float("inf")}
        for _ in range(repeat):
            for who, src in (("reference", reference), ("this", here)):
                env = {**os.environ, "PYTHONPATH": str(src)}
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "factopinion.cli", "label", *arguments], env=env,
                                      capture_output=True, text=True)  # fmt: skip
                if done.returncode != 0:
                    sys.exit(f"factopinion label ({who}) failed: {done.stderr.strip()}")
                best[who] = min(best[who], time.perf_counter() - started)
        ratio = best["reference"] / best["this"]
        print(f"  {name:8} reference {n / best['reference']:10,.0f} rows/s   this {n / best['this']:10,.0f} rows/s"
              f"   {ratio:.2f}x (target >= 0.95x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--rows", type=int, help="rows to generate (default 500,000)")
    size.add_argument("--megabytes", type=float, help="generate about this many MiB instead")
    parser.add_argument("--jobs", type=int, help="passed to factopinion label --jobs (default: every core)")
    parser.add_argument("--sentences", action="store_true", help="benchmark label --sentences")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--no-parquet", action="store_true", help="skip the Parquet run")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs of label and pandas (median)")
    parser.add_argument("--reference", type=Path, help="another checkout's src folder to compare throughput with")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each command with --reference (best kept)")
    add_record_option(parser)
    args = parser.parse_args()
    rows = args.rows if args.rows or args.megabytes else 500_000

    exe = shutil.which("factopinion") or str(Path(sys.executable).parent / "factopinion")
    workdir = Path(tempfile.mkdtemp(prefix="factopinion-bench-", dir=args.keep))
    source, output = workdir / "input.csv", workdir / "labeled.csv"
    try:
        t = time.perf_counter()
        n, texts = generate(source, rows=rows, megabytes=args.megabytes)
        size_mb = source.stat().st_size / 2**20
        took = time.perf_counter() - t
        print(f"input: {n:,} rows, {size_mb:,.1f} MiB, generated in {took:.1f} s; {os.cpu_count()} cores")

        command = [exe, "label", str(source), "-o", str(output), "--quiet"]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        if args.sentences:
            command.append("--sentences")
        label_runs, pandas_runs = [], []
        for _ in range(args.repeats):  # label and the pandas floor in turn; label's memory not sampled while timed
            label_runs.append(run_tree([*command, "--force"], memory=False).wall)
            t = time.perf_counter()
            frame = pd.read_csv(source, dtype=str, keep_default_na=False)
            frame.to_csv(workdir / "pandas.csv", index=False)
            pandas_runs.append(time.perf_counter() - t)
            del frame
        label_s, pandas_s = Spread(label_runs).median, Spread(pandas_runs).median

        pipeline = bundled_pipeline()
        present = [text for text in texts if text.strip()]
        del texts
        t = time.perf_counter()
        for start in range(0, len(present), PIPELINE_BATCH):  # one call on every row would need tens of GB
            pipeline.predict_proba(present[start : start + PIPELINE_BATCH])
        predict_s = time.perf_counter() - t
        del pipeline
        t = time.perf_counter()
        load_model().predict_proba(present)
        data_s = time.perf_counter() - t

        print(f"factopinion label INPUT -o OUTPUT {' '.join(command[5:])}")
        print(f"  label (whole command):              {Spread(label_runs).text()} {n / label_s:10,.0f} rows/s")
        print(f"  pipeline predict_proba, 1 process:  {predict_s:7.1f} s {len(present) / predict_s:10,.0f} rows/s")
        print(f"  model.json scorer, 1 process:       {data_s:7.1f} s {len(present) / data_s:10,.0f} rows/s")
        print(f"  pandas read+write (floor):          {Spread(pandas_runs).text()} {n / pandas_s:10,.0f} rows/s")
        speedup = predict_s / label_s * n / len(present)
        ratios = Spread([a / b for a, b in zip(label_runs, pandas_runs, strict=True)])
        print(f"  label / pipeline predict_proba throughput: {speedup:.2f}x (target >= 2.5x) {verdict(speedup >= 2.5)}")
        print(f"  label time / pandas I/O time:              {ratios.median:.2f}x [{min(ratios.values):.2f}-"
              f"{max(ratios.values):.2f}] (target <= 2x) {verdict(ratios.median <= 2)}")  # fmt: skip
        peak = memory(run_tree([*command, "--force"]))  # a run of its own: sampling takes CPU from the command
        print(f"  peak memory of the process tree:           {peak}  (input {size_mb:,.0f} MiB)")
        if not args.no_parquet:
            parquet_run(source, workdir, command, n, label_s, peak)
        if args.reference is not None:
            options = command[5:]
            commands = {"CSV": [str(source), "-o", str(workdir / "compared.csv"), "--force", *options],
                        "JSONL": [str(source), "-o", str(workdir / "compared.jsonl"), "--force", *options]}  # fmt: skip
            if not args.no_parquet:
                parquet = [str(workdir / "input.parquet"), "-o", str(workdir / "compared.parquet"), "--force"]
                commands["Parquet"] = parquet + options
            compare(args.reference, commands, n, args.repeat)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(recorded("batch", main))
