"""What explaining and the HTML page cost, as ratios to plain scoring of the same text in the same run.

    python bench/bench_explain.py [--sentences N] [--repeat R]

The text is the bundled labeled sentences repeated into paragraphs of five until it has N sentences. For each step
the best of R wall-clock times and the peak of Python memory allocations (tracemalloc) are measured, and printed
next to the reference: ``model.score(text)``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

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


def measure(step: Callable[[], object], repeat: int) -> tuple[float, int]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
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
    results = {name: measure(step, args.repeat) for name, step in steps.items()}
    ref_time, ref_peak = results["score (reference)"]
    n = len(document.sentences)
    print(f"{n} sentences, {len(text):,} characters; best of {args.repeat}")
    print(f"{'step':<26}{'seconds':>9}{'x time':>8}{'peak MiB':>10}{'x memory':>10}")
    for name, (seconds, peak) in results.items():
        print(f"{name:<26}{seconds:>9.3f}{seconds / ref_time:>8.2f}{peak / 2**20:>10.1f}{peak / ref_peak:>10.2f}")


if __name__ == "__main__":
    sys.exit(recorded("explain", main))
