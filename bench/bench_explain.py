"""What explaining and the HTML page cost, as ratios to plain scoring of the same text in the same run.

    python bench/bench_explain.py [--sentences N] [--repeat R]

The text is the bundled labeled sentences repeated into paragraphs of five until it has N sentences. Each step runs R
times, interleaved (one of each in turn): the median wall-clock time and its range, and the peak of Python memory
allocations (tracemalloc, one more run), are printed next to the reference: ``model.score(text)``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from corpus import interleaved
from recording import add_record_option, recorded

from factopinion import load_model
from factopinion.bundled import bundled_data_dir
from factopinion.engine.explain import explain_document
from factopinion.html import render_html


def build_text(sentences: int) -> str:
    pool = []
    for path in sorted(Path(bundled_data_dir()).rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            pool += [row["sentence"] for row in csv.DictReader(f) if row.get("sentence")]
    chosen = [pool[i % len(pool)] for i in range(sentences)]
    return "\n\n".join(" ".join(chosen[i : i + 5]) for i in range(0, len(chosen), 5))


def timed(step: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    return run


def peak_memory(step: Callable[[], object]) -> int:
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs of each step (default 5)")
    add_record_option(parser)
    args = parser.parse_args()
    model = load_model()
    text = build_text(args.sentences)
    document = model.score(text)
    explained = explain_document(model, document)
    steps = {
        "score (reference)": lambda: model.score(text),
        "score + explain": lambda: explain_document(model, model.score(text)),
        "explain only": lambda: explain_document(model, document),
        "render HTML only": lambda: render_html(explained),
        "score + explain + HTML": lambda: render_html(explain_document(model, model.score(text))),
    }
    times = interleaved({name: timed(step) for name, step in steps.items()}, args.repeat)
    peaks = {name: peak_memory(step) for name, step in steps.items()}
    ref_time, ref_peak = times["score (reference)"].median, peaks["score (reference)"]
    n = len(document.sentences)
    print(f"{n} sentences, {len(text):,} characters; median [range] of {args.repeat} interleaved runs")
    print(f"{'step':<26}{'seconds':>9} {'range':>13}{'x time':>8}{'peak MiB':>10}{'x memory':>10}")
    for name, spread in times.items():
        seconds, peak = spread.median, peaks[name]
        span = f"[{min(spread.values):.3f}-{max(spread.values):.3f}]"
        print(f"{name:<26}{seconds:>9.3f} {span:>13}{seconds / ref_time:>8.2f}{peak / 2**20:>10.1f}"
              f"{peak / ref_peak:>10.2f}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(recorded("explain", main))
