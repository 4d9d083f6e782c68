"""Realistic inputs for the benchmarks, and the measuring helpers they share.

Every text is made of the project's own authored sentences (``data/authored/*.csv``: news sentences written for
this project, with the vocabulary and length of real news; never the CheckThat! evaluation sets), drawn at random
with a seed, so the scorer sees what it sees in an archive rather than a small pool of repeated tokens. Three
shapes:

- rows: one news sentence per cell (a fifth hold two), among id, date, source, author, score and notes columns
  (quotes, commas, newlines and null-like strings in the notes), 1% empty;
- articles: the same columns, each text an article of ``ARTICLE_SENTENCES`` sentences in paragraphs of four to
  six (blank lines between them), with a headline column;
- many small files: ``write_files`` splits the rows into files of a few hundred rows each.

The helpers: ``interleaved`` runs several commands in turn, repeat after repeat, and ``Spread`` gives each one's
median and range; ``run_tree`` runs a command and measures the peak resident memory and the CPU time of its whole
process tree; ``verdict`` says "met" or "MISSED" beside a target.
"""

from __future__ import annotations

import contextlib
import csv
import random
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
AUTHORED = ROOT / "data" / "authored"
ARTICLE_SENTENCES = 20
HEADER = ["id", "date", "source", "author", "text", "score", "notes"]
NAMES = "Maria Lopez|John Okafor|Wei Chen|Anna Schmidt|Rahul Mehta|Fatima Ali|Tom Becker|Sara Nilsen".split("|")
NOTES = ["", "", "", "NA", "null", "N/A", '="00123"', 'He said, "no comment."', "line one\nline two", "1e5", "007"]


def corpus_sentences() -> list[str]:
    """Every authored sentence of ``data/`` (the project's own, written sentence by sentence)."""
    found = []
    for path in sorted(AUTHORED.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            found += [row["sentence"] for row in csv.DictReader(f) if row["sentence"].strip()]
    if not found:
        raise SystemExit(f"no sentences under {AUTHORED}")
    return found


class Texts:
    """Random texts from the corpus: a sentence or two for a row, an article of paragraphs."""

    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.pool = corpus_sentences()

    def sentence(self) -> str:
        return self.rng.choice(self.pool)

    def row_text(self) -> str:
        if self.rng.random() < 0.01:
            return ""
        return self.sentence() if self.rng.random() < 0.8 else f"{self.sentence()} {self.sentence()}"

    def article(self, sentences: int = ARTICLE_SENTENCES) -> str:
        paragraphs, left = [], sentences
        while left > 0:
            size = min(left, self.rng.randint(4, 6))
            paragraphs.append(" ".join(self.sentence() for _ in range(size)))
            left -= size
        return "\n\n".join(paragraphs)

    def other_cells(self, i: int) -> list[str]:
        rng = self.rng
        date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return [f"a{i:08d}", date, rng.choice(["wire", "op-ed", "blog"]), rng.choice(NAMES)]


def write_rows(path: Path, *, rows: int | None = None, megabytes: float | None = None, seed: int = 7) -> int:
    """A CSV of news rows (one or two sentences per text); ``rows`` of them, or about ``megabytes`` MiB. Returns
    the row count."""
    texts = Texts(seed)
    limit = None if megabytes is None else int(megabytes * 2**20)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        i = 0
        while (rows is not None and i < rows) or (limit is not None and f.tell() < limit):
            cells = texts.other_cells(i)
            writer.writerow([*cells, texts.row_text(), f"{texts.rng.random() * 10:.3f}", texts.rng.choice(NOTES)])
            i += 1
    return i


def write_articles(path: Path, *, megabytes: float, seed: int = 7) -> int:
    """A CSV of about ``megabytes`` MiB of articles of ``ARTICLE_SENTENCES`` sentences (id, date, source, author,
    headline, text). Returns the row count."""
    texts = Texts(seed)
    limit = int(megabytes * 2**20)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "date", "source", "author", "headline", "text"])
        i = 0
        while f.tell() < limit:
            writer.writerow([*texts.other_cells(i), texts.sentence().rstrip("."), texts.article()])
            i += 1
    return i


def write_files(folder: Path, *, files: int, rows: int, seed: int = 7) -> list[Path]:
    """``files`` CSV files of ``rows`` news rows each in ``folder`` (the rows of ``write_rows`` with the same seed,
    in the same order: the same rows as one file of ``files * rows`` rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    whole = folder.parent / f".{folder.name}-whole.csv"
    write_rows(whole, rows=files * rows, seed=seed)
    paths = []
    with whole.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        for n in range(files):
            path = folder / f"day-{n:04d}.csv"
            with path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(header)
                for _ in range(rows):
                    writer.writerow(next(reader))
            paths.append(path)
    whole.unlink()
    return paths


# -- measuring -------------------------------------------------------------------------------------------------------


@dataclass
class Spread:
    """Repeated measurements of one thing: the median and the range."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, unit: str = "s", width: int = 7, digits: int = 2) -> str:
        lo, hi = min(self.values), max(self.values)
        return f"{self.median:{width}.{digits}f} {unit} [{lo:.{digits}f}-{hi:.{digits}f}]"


@dataclass
class TreeRun:
    """One command's run: wall seconds, CPU seconds of its process tree, and the peaks (MiB) of the tree's summed
    RSS (a page shared by several processes counted in each) and summed PSS (the kernel's proportional set size: a
    shared page divided among the processes that share it, so the sum is what the tree holds; Linux only)."""

    wall: float
    cpu: float
    peak_mib: float
    peak_pss_mib: float
    stdout: str
    stderr: str
    returncode: int = 0


def run_tree(
    command: list[str], *, env: dict | None = None, interval: float = 0.02, check: bool = True, memory: bool = True
) -> TreeRun:
    """Run ``command``; measure its wall time, the CPU time of it and every process under it (counted by the
    kernel as each is reaped), and the peaks of the summed resident memory (RSS and PSS) of the process tree,
    sampled every ``interval`` seconds (not with ``memory`` False: reading the tree's memory takes CPU from the
    command, some 13% of ``label``'s time on two cores, so a run timed against another program is not sampled;
    its peaks are 0). Exits with the command's error if it fails (``check``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    parent = psutil.Process(process.pid)
    peak = peak_pss = 0
    while memory and process.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
        except psutil.Error:
            break
        total = total_pss = 0
        for p in tree:
            with contextlib.suppress(psutil.Error):
                memory = p.memory_full_info()  # /proc/PID/smaps_rollup: RSS and PSS of the same moment
                total += memory.rss
                total_pss += getattr(memory, "pss", memory.rss)
        peak, peak_pss = max(peak, total), max(peak_pss, total_pss)
        time.sleep(interval)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    if check and process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} ... failed: {stderr.strip()[-2000:]}")
    # the CPU time of the tree, as the kernel counted it when each process was reaped
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return TreeRun(wall, cpu, peak / 2**20, peak_pss / 2**20, stdout, stderr, process.returncode)


def interleaved(commands: dict[str, Callable[[], float]], repeats: int) -> dict[str, Spread]:
    """Run each function in turn, ``repeats`` rounds; each returns the figure it measured (seconds, ...)."""
    figures: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, function in commands.items():
            figures[name].append(function())
    return {name: Spread(values) for name, values in figures.items()}


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
