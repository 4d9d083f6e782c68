"""``Model.label_series`` against a Python loop over ``Model.score`` on the same texts, in the same run.

    python bench/label_series.py [--rows N] [--sentences S] [--repeat R]

The texts are articles of S sentences (default 6) drawn from the bundled labeled sentences, 2% missing (None/NaN)
as in real archives. Every step runs R times, interleaved (one of each in turn); for each unit the median wall-clock
time and its range are printed with its rows/s, beside the reference: a loop that calls ``score()`` on each text
and builds the same per-document figures, and the floor: one ``predict_proba`` call over all the sentences, the
splitting done beforehand.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from corpus import interleaved
from recording import add_record_option, recorded

from factopinion import load_model
from factopinion.bundled import bundled_data_dir
from factopinion.text import segment


def build_series(rows: int, sentences: int, seed: int = 3) -> pd.Series:
    pool = []
    for path in sorted(Path(bundled_data_dir()).rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            pool += [row["sentence"] for row in csv.DictReader(f) if row.get("sentence")]
    rng = random.Random(seed)
    texts: list[object] = [" ".join(rng.choice(pool) for _ in range(sentences)) for _ in range(rows)]
    for i in rng.sample(range(rows), rows // 50):
        texts[i] = None if i % 2 else np.nan
    return pd.Series(texts, index=pd.RangeIndex(100, 100 + rows), dtype=object)


def timed(step: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--sentences", type=int, default=6, help="sentences per text")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs of each step (default 5)")
    add_record_option(parser)
    args = parser.parse_args()
    model = load_model()
    series = build_series(args.rows, args.sentences)
    model.label_series(series.head(50), unit="document")  # warm up

    def loop() -> pd.DataFrame:
        rows = []
        for value in series:
            if not isinstance(value, str):
                rows.append((pd.NA, pd.NA, np.nan, np.nan))
                continue
            document = model.score(value)
            n, k = len(document.sentences), document.opinion_count
            mean = float(np.mean([s.opinion_probability for s in document.sentences])) if n else np.nan
            rows.append((n, k, k / n if n else np.nan, mean))
        return pd.DataFrame(rows, index=series.index)

    texts = [value for value in series if isinstance(value, str)]
    flat = [span.text for text in texts for span in segment(text).sentences]
    steps = {"loop over score() (reference)": timed(loop)}
    for unit in ("document", "sentence", "cell"):
        steps[f'label_series(unit="{unit}")'] = timed(lambda unit=unit: model.label_series(series, unit=unit))
    steps["predict_proba of the sentences"] = timed(lambda: model.predict_proba(flat))
    times = interleaved(steps, args.repeat)
    reference = times["loop over score() (reference)"].median
    print(f"{args.rows:,} texts of {args.sentences} sentences ({len(flat):,} sentences); median [range] of "
          f"{args.repeat} interleaved runs")  # fmt: skip
    for name, spread in times.items():
        seconds = spread.median
        print(f"  {name:<34} {spread.text()} {args.rows / seconds:10,.0f} rows/s {reference / seconds:6.2f}x")


if __name__ == "__main__":
    sys.exit(recorded("label_series", main))
