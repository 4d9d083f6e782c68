"""Model selection: cross-validate pipeline variants on data/ and check each on the CheckThat! dev set.

    python bench/tune.py [--dev PATH]

Prints one line per variant: cross-validated macro-F1 on data/ (minimal pairs kept in one fold), macro-F1 on the
dev set when it is there, and predict_proba throughput as a ratio to the plain word 1-2-gram reference.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

from sklearn.metrics import f1_score

from factopinion.data import data_files, read_labeled, read_labeled_files
from factopinion.model import bundled_data_dir
from factopinion.training import build_pipeline, cross_validate

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "checkthat-en" / "dev_en.tsv"


def throughput(pipeline, sentences, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        pipeline.predict_proba(sentences)
        best = min(best, time.perf_counter() - start)
    return len(sentences) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=DEV)
    args = parser.parse_args()
    frame = read_labeled_files(data_files(bundled_data_dir()))
    dev = read_labeled(args.dev) if args.dev.is_file() else None
    probe = (frame["sentence"].tolist() * 10)[:20_000]
    grid = {
        "ngram_range": [(1, 1), (1, 2), (1, 3)],
        "min_df": [1, 2],
        "C": [0.5, 1.0, 2.0, 4.0, 8.0],
        "style": [None, ("attribution",)],
        "sublinear_tf": [True, False],
    }
    reference = build_pipeline(style=None).fit(frame["sentence"], frame["label"])
    reference_speed = throughput(reference, probe)
    print(f"{len(frame)} training sentences; reference speed {reference_speed:,.0f} sentences/s")
    print("ngrams min_df C     style sublin  cv-F1  dev-F1  speed-ratio")
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        pipeline = build_pipeline(**params)
        cv = cross_validate(pipeline, frame, folds=5)["macro_f1"]
        fitted = pipeline.fit(frame["sentence"], frame["label"])
        dev_f1 = float("nan")
        if dev is not None:
            dev_f1 = f1_score(dev["label"], fitted.predict(dev["sentence"]), average="macro")
        ratio = throughput(fitted, probe, repeats=1) / reference_speed
        print(
            f"{params['ngram_range']!s:7}{params['min_df']:<7}{params['C']:<6}{'+'.join(params['style'] or ['-'])[:6]:6}"
            f"{params['sublinear_tf']!s:7}{cv:6.3f}  {dev_f1:6.3f}  {ratio:5.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
