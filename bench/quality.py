"""Quality benchmark of the default model on the CheckThat! English dev set, in one run.

    python bench/quality.py [--shared DIR] [--record]

Prints macro-F1 on dev_en.tsv of: the default (bundled) model; the same pipeline trained in-domain on train_en.tsv,
alone and together with data/ (as `factopinion train --with-default-data` does); TextBlob's subjectivity > 0.5 (if
TextBlob is installed: pip install '.[bench]'); the seed article's sentence accuracy for a model trained on data/
without the seed rows; and the default model's predict_proba throughput in one process, with its ratio to a plain
word 1-2-gram TF-IDF + LR reference measured in the same run. --record writes the figures into model/metadata.json
under "benchmarks". The CheckThat! data is only measured against, never trained into the shipped model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sklearn.metrics import f1_score

from factopinion import load_model
from factopinion.bundled import bundled_data_dir, bundled_model_dir
from factopinion.datasets import data_files, read_labeled, read_labeled_files
from factopinion.model import METADATA_FILE
from factopinion.training import DEFAULT_SEED, build_pipeline, train

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"default_dev_macro_f1": 0.68, "in_domain_dev_macro_f1": 0.70, "seed_held_out_accuracy": 0.85}
SPEED_FLOOR = 10_000


def macro_f1(gold, predicted) -> float:
    return round(float(f1_score(gold, predicted, average="macro", labels=["fact", "opinion"])), 4)


def sentences_per_second(predict_proba, sentences, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict_proba(sentences)
        best = min(best, time.perf_counter() - start)
    return len(sentences) / best


def textblob_f1(dev) -> float | None:
    try:
        from textblob import TextBlob
    except ImportError:
        return None
    predicted = ["opinion" if TextBlob(s).sentiment.subjectivity > 0.5 else "fact" for s in dev["sentence"]]
    return macro_f1(dev["label"], predicted)


def seed_held_out_accuracy() -> tuple[float, int]:
    data_dir = bundled_data_dir()
    files = [p for p in data_files(data_dir) if p.name != "seed.csv"]
    model = train(files, cv_folds=0, seed=DEFAULT_SEED)
    seed = read_labeled(data_dir / "seed.csv")
    right = sum(a == b for a, b in zip(model.predict(seed["sentence"].tolist()), seed["label"], strict=True))
    return round(right / len(seed), 4), len(seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    parser.add_argument("--record", action="store_true", help="write the figures into model/metadata.json")
    args = parser.parse_args()
    checkthat = args.shared / "data" / "checkthat-en"
    if not (checkthat / "dev_en.tsv").is_file():
        print(f"skipped: {checkthat}/dev_en.tsv is not on this machine")
        return 0

    model = load_model()
    dev = read_labeled(checkthat / "dev_en.tsv")
    in_domain = read_labeled(checkthat / "train_en.tsv")
    figures: dict[str, float | int | None] = {"dev_sentences": len(dev)}
    figures["default_dev_macro_f1"] = macro_f1(dev["label"], model.predict(dev["sentence"].tolist()))
    in_domain_pipeline = build_pipeline(DEFAULT_SEED).fit(in_domain["sentence"].tolist(), in_domain["label"])
    figures["in_domain_dev_macro_f1"] = macro_f1(dev["label"], in_domain_pipeline.predict(dev["sentence"].tolist()))
    corpus = read_labeled_files(data_files(bundled_data_dir()))
    adapted = build_pipeline(DEFAULT_SEED).fit(
        in_domain["sentence"].tolist() + corpus["sentence"].tolist(), [*in_domain["label"], *corpus["label"]]
    )
    figures["in_domain_with_data_dev_macro_f1"] = macro_f1(dev["label"], adapted.predict(dev["sentence"].tolist()))
    figures["textblob_dev_macro_f1"] = textblob_f1(dev)
    figures["seed_held_out_accuracy"], figures["seed_sentences"] = seed_held_out_accuracy()

    probe = (dev["sentence"].tolist() * 50)[:20_000]
    reference = build_pipeline(style=None, ngram_range=(1, 2), min_df=1)
    reference.fit(corpus["sentence"].tolist(), corpus["label"])
    reference_speed = sentences_per_second(reference.predict_proba, probe)
    speed = sentences_per_second(model.predict_proba, probe)
    figures["sentences_per_second"] = round(speed)
    figures["speed_ratio_to_word_1_2_gram_reference"] = round(speed / reference_speed, 3)

    print(f"CheckThat! dev set: {len(dev)} sentences ({(dev['label'] == 'opinion').sum()} SUBJ)")
    rows = [
        ("default model, dev macro-F1", figures["default_dev_macro_f1"], f">= {TARGETS['default_dev_macro_f1']}"),
        ("same pipeline trained in-domain on train_en", figures["in_domain_dev_macro_f1"],
         f">= {TARGETS['in_domain_dev_macro_f1']}"),
        ("  ... on train_en and data/ (train --with-default-data)", figures["in_domain_with_data_dev_macro_f1"], ""),
        ("TextBlob subjectivity > 0.5", figures["textblob_dev_macro_f1"] or "not installed", "reference 0.521"),
        (f"seed article held out ({figures['seed_sentences']} sentences), accuracy", figures["seed_held_out_accuracy"],
         f">= {TARGETS['seed_held_out_accuracy']}"),
        ("default model predict_proba, sentences/s (1 process)", f"{speed:,.0f}", f">= {SPEED_FLOOR:,}"),
        ("  ratio to word 1-2-gram reference", figures["speed_ratio_to_word_1_2_gram_reference"], ""),
    ]  # fmt: skip
    for name, value, target in rows:
        print(f"{name:<58} {value!s:>10}  {target}")
    if args.record:
        path = bundled_model_dir() / METADATA_FILE
        metadata = json.loads(path.read_text("utf-8"))
        metadata["benchmarks"] = {"checkthat_dev": figures, "targets": TARGETS}
        path.write_text(json.dumps(metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"recorded in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
