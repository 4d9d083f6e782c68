"""Benchmark the peak memory of ``factopinion label`` at its default settings on every shape of input, and the size
of ``--sentences`` output.

    python bench/memory.py                   # 30 MiB archives of articles, of one-line rows, of the longest cells
    python bench/memory.py --megabytes 100

The inputs (``bench/corpus.py``, from the project's own sentences): an archive of 20-sentence articles labeled in
cell mode, with ``--sentences`` and with ``--documents``; a file of one-line cells (one or two sentences); a file of
cells as long as the reader takes (``--max-cell``'s default, 1 Mi characters: paragraphs of news sentences), in the
three modes; a file whose one row holds a single 50 MB cell (refused with a one-line error, and the peak memory of
that run is what is measured). Each run is the installed
console script in a subprocess, as a user would run it, its whole process tree (the command and its worker
processes) sampled every 20 ms. The figure held to the target is the peak of the tree's summed PSS (proportional set
size: a page that several processes share, such as the model and the libraries the workers inherit from the
command when they start, counted once in all, divided among them), which is what the tree takes from the machine;
the peak of its summed RSS (shared pages counted in every process) is printed beside it. Targets (issue 23): at most
350 MiB on every shape; ``--sentences`` output at most 3x the input's size on the article archive.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

from corpus import Texts, run_tree, verdict, write_articles, write_rows
from recording import add_record_option, recorded

from factopinion.tables.csvstream import FIELD_LIMIT

PEAK_TARGET_MIB = 350
SENTENCES_SIZE_TARGET = 3.0


def paragraphs(texts: Texts, characters: int) -> str:
    """Articles, a blank line between them, cut to at most ``characters`` characters."""
    parts, size = [], 0
    while size < characters:
        article = texts.article()
        parts.append(article)
        size += len(article) + 2
    return "\n\n".join(parts)[:characters].rstrip()


def write_big_cell(path: Path, megabytes: float) -> None:
    """One row whose text cell holds about ``megabytes`` MB of paragraphs."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerow(["big", paragraphs(Texts(seed=11), int(megabytes * 1e6))])


def write_longest_cells(path: Path, megabytes: float) -> int:
    """Rows whose text cells are as long as the reader takes (``FIELD_LIMIT`` characters), about ``megabytes`` MB in
    all; how many."""
    texts, rows = Texts(seed=13), 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        while rows * FIELD_LIMIT < megabytes * 1e6:
            writer.writerow([rows, paragraphs(texts, FIELD_LIMIT)])
            rows += 1
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=30, help="size of the article archive and the rows file")
    parser.add_argument("--cell-megabytes", type=float, default=50, help="size of the single cell (default 50 MB)")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    add_record_option(parser)
    args = parser.parse_args()
    exe = shutil.which("factopinion") or str(Path(sys.executable).parent / "factopinion")
    workdir = Path(tempfile.mkdtemp(prefix="factopinion-memory-", dir=args.keep))
    try:
        articles, rows, big = workdir / "articles.csv", workdir / "rows.csv", workdir / "big-cell.csv"
        n_articles = write_articles(articles, megabytes=args.megabytes)
        n_rows = write_rows(rows, megabytes=args.megabytes)
        longest = workdir / "longest-cells.csv"
        write_big_cell(big, args.cell_megabytes)
        n_longest = write_longest_cells(longest, args.megabytes)
        mib = {path: path.stat().st_size / 2**20 for path in (articles, rows, longest)}
        print(
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; peak memory of the process tree of "
            f"factopinion label at default settings, summed PSS (target <= {PEAK_TARGET_MIB} MiB) and summed RSS:"
        )
        print(f"  {'':56} {'PSS':>10} {'RSS':>10}")  # fmt: skip
        shapes = [
            (f"articles, cell mode ({n_articles:,} x 20 sentences, {mib[articles]:.0f} MiB)", articles, []),
            ("articles, --sentences", articles, ["--sentences"]),
            ("articles, --documents", articles, ["--documents"]),
            (f"one-line cells ({n_rows:,} rows, {mib[rows]:.0f} MiB)", rows, []),
            (f"the longest cells ({n_longest} x {FIELD_LIMIT:,} characters, {mib[longest]:.0f} MiB)", longest, []),
            ("the longest cells, --sentences", longest, ["--sentences"]),
            ("the longest cells, --documents", longest, ["--documents"]),
            (f"a single {args.cell_megabytes:g} MB cell (over the limit)", big, []),
        ]
        missed = 0
        sentences_size = 0.0
        for name, source, extra in shapes:
            output = workdir / "out.csv"
            run = run_tree([exe, "label", str(source), "-o", str(output), "--force", "--quiet", *extra], check=False)
            if run.returncode and source != big:
                raise SystemExit(f"factopinion label {source.name} failed: {run.stderr.strip()}")
            ok = run.peak_pss_mib <= PEAK_TARGET_MIB
            missed += not ok
            message = run.stderr.strip().splitlines()[-1].replace(f"{workdir}{os.sep}", "") if run.returncode else ""
            refused = f"  (refused: {message})" if message else ""
            print(f"  {name:56} {run.peak_pss_mib:6.0f} MiB {run.peak_mib:6.0f} MiB  {run.wall:6.1f} s  "
                  f"{verdict(ok)}{refused}")  # fmt: skip
            if source == articles and extra == ["--sentences"]:
                sentences_size = output.stat().st_size / source.stat().st_size
            output.unlink(missing_ok=True)
        ok = sentences_size <= SENTENCES_SIZE_TARGET
        missed += not ok
        print(f"--sentences output / input size on the article archive: {sentences_size:.2f}x "
              f"(target <= {SENTENCES_SIZE_TARGET:g}x) {verdict(ok)}")  # fmt: skip
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(recorded("memory", main))
