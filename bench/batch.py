"""Benchmark ``factopinion label``: throughput against the scikit-learn pipeline's single-process ``predict_proba``
(the engine before the model became data) and against a pandas read-and-write of the same file (the I/O floor),
and the peak memory of the whole process tree.

    python bench/batch.py                      # 500,000 rows
    python bench/batch.py --megabytes 1024     # a ~1 GB input, for the memory figure
    python bench/batch.py --rows 20000 --jobs 1
    python bench/batch.py --rows 200000 --reference ../main/src   # this checkout against another, same run

It generates a CSV of news-like rows (id, date, source, author, text of one or two sentences of mixed fact and
opinion, a number-like score, a sparse notes column with quotes, commas, newlines and null-like strings), then
runs the installed ``factopinion`` console script on it in a subprocess, as a user would. Then the same rows as
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
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
from recording import add_record_option, recorded

from factopinion import load_model
from factopinion.bundled import bundled_pipeline

NAMES = "Maria Lopez|John Okafor|Wei Chen|Anna Schmidt|Rahul Mehta|Fatima Ali|Tom Becker|Sara Nilsen".split("|")
ROLES = "the mayor|the finance minister|a company spokesperson|the police chief|the union leader|the senator".split("|")
ORGS = "the city council|the central bank|Acme Corp.|the health ministry|the school board|the EU Commission".split("|")
VERBS = "raise|cut|freeze|review|publish|approve|delay|fund".split("|")
THINGS = "bus fares|interest rates|the housing budget|its climate targets|teacher salaries|the new stadium".split("|")
DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|last week|on Saturday".split("|")
ADJECTIVES = "reckless|overdue|shameful|brilliant|misguided|long overdue|a disgrace|the right call".split("|")
FACT = [
    "{role} {name} said on {day} that {org} would {verb} {things} by {n} percent.",
    "{org} voted {n} to {m} {day} to {verb} {things}, according to minutes seen by reporters.",
    "According to a report published {day}, {org} spent {n} million euros on {things} in {year}.",
    "{name}, {role}, told reporters that {things} had risen {n} percent since {year}.",
    "The decision to {verb} {things} was announced {day} in a statement from {org}.",
    "Police said {n} people were detained after the protest outside {org} on {day}.",
]
OPINION = [
    "The decision to {verb} {things} is {adj}, and {org} should be ashamed of it.",
    "We must stop pretending that {things} can wait another {n} years.",
    "Frankly, {name} has shown once again why {org} cannot be trusted with {things}.",
    "Is anyone surprised that {org} chose to {verb} {things} yet again?",
    "It is time for {org} to admit that its plan for {things} is {adj}.",
    "This newspaper believes {org} should {verb} {things} before it is too late.",
]
NOTES = ["", "", "", "NA", "null", "N/A", '="00123"', 'He said, "no comment."', "line one\nline two", "1e5", "007"]


def sentence(rng: random.Random) -> str:
    """One news-like sentence: a reported fact (55%) or the author's opinion."""
    template = rng.choice(FACT if rng.random() < 0.55 else OPINION)
    text = template.format(
        role=rng.choice(ROLES), name=rng.choice(NAMES), org=rng.choice(ORGS), verb=rng.choice(VERBS),
        things=rng.choice(THINGS), day=rng.choice(DAYS), adj=rng.choice(ADJECTIVES), n=rng.randint(2, 90),
        m=rng.randint(1, 9), year=rng.randint(1990, 2024),
    )  # fmt: skip
    return text[0].upper() + text[1:]


def generate(path: Path, *, rows: int | None, megabytes: float | None, seed: int = 7) -> tuple[int, list[str]]:
    """Write the CSV; return its row count and its texts."""
    rng = random.Random(seed)
    texts: list[str] = []
    limit = None if megabytes is None else int(megabytes * 1024 * 1024)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "date", "source", "author", "text", "score", "notes"])
        i = 0
        while (rows is not None and i < rows) or (limit is not None and f.tell() < limit):
            text = sentence(rng) if rng.random() < 0.8 else f"{sentence(rng)} {sentence(rng)}"
            if rng.random() < 0.01:
                text = ""
            texts.append(text)
            writer.writerow([
                f"a{i:08d}", f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice(["wire", "op-ed", "blog"]), rng.choice(NAMES), text, f"{rng.random() * 10:.3f}",
                rng.choice(NOTES),
            ])  # fmt: skip
            i += 1
    return i, texts


def run_with_peak_rss(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``command``; return its wall time, the peak summed RSS (MiB) of it and its children, and the result."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    stdout, stderr = process.communicate()
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return seconds, peak / 2**20, result


def parquet_run(source: Path, workdir: Path, command: list[str], n: int, csv_s: float, csv_mb: float) -> None:
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
    seconds, peak_mb, result = run_with_peak_rss(parquet_command)
    if result.returncode != 0:
        sys.exit(f"factopinion label (Parquet) failed: {result.stderr.strip()}")
    print(f"factopinion label INPUT.parquet -o OUTPUT.parquet {' '.join(command[5:])}  (input {size_mb:,.1f} MiB)")
    print(
        f"  label Parquet (whole command): {seconds:7.1f} s {n / seconds:10,.0f} rows/s  ({csv_s / seconds:.2f}x CSV)"
    )
    print(f"  peak RSS of the process tree:  {peak_mb:,.0f} MiB  (CSV: {csv_mb:,.0f} MiB)")


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
        label_s, peak_mb, result = run_with_peak_rss(command)
        if result.returncode != 0:
            sys.exit(f"factopinion label failed: {result.stderr.strip()}")

        pipeline = bundled_pipeline()
        present = [text for text in texts if text.strip()]
        del texts
        t = time.perf_counter()
        pipeline.predict_proba(present)
        predict_s = time.perf_counter() - t
        del pipeline
        t = time.perf_counter()
        load_model().predict_proba(present)
        data_s = time.perf_counter() - t

        t = time.perf_counter()
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        frame.to_csv(workdir / "pandas.csv", index=False)
        pandas_s = time.perf_counter() - t
        del frame

        print(f"factopinion label INPUT -o OUTPUT {' '.join(command[5:])}")
        print(f"  label (whole command):              {label_s:7.1f} s {n / label_s:10,.0f} rows/s")
        print(f"  pipeline predict_proba, 1 process:  {predict_s:7.1f} s {len(present) / predict_s:10,.0f} rows/s")
        print(f"  model.json scorer, 1 process:       {data_s:7.1f} s {len(present) / data_s:10,.0f} rows/s")
        print(f"  pandas read+write (floor):          {pandas_s:7.1f} s {n / pandas_s:10,.0f} rows/s")
        speedup = predict_s / label_s * n / len(present)
        print(f"  label / pipeline predict_proba throughput: {speedup:.2f}x (target >= 2.5x)")
        print(f"  label time / pandas I/O time:              {label_s / pandas_s:.2f}x (target <= 3x)")
        print(f"  peak RSS of the process tree:              {peak_mb:,.0f} MiB  (input {size_mb:,.0f} MiB)")
        if not args.no_parquet:
            parquet_run(source, workdir, command, n, label_s, peak_mb)
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
