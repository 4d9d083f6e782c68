"""Model selection: the pipeline variants we tried, each measured the same way in one run.

    python bench/tune.py [--shared DIR]

For each variant: 5-fold cross-validated macro-F1 on data/ (minimal pairs kept in one fold); macro-F1 on the
CheckThat! dev set of the variant trained on data/ and trained in-domain on train_en.tsv (when ../shared is there);
accuracy on the seed article of the variant trained on data/ without it; and predict_proba throughput as a ratio to
the plain word 1-2-gram reference measured in the same run. Every variant changes the default settings
(training.DEFAULT_PARAMS: words 1-2, min_df=2, sublinear tf, balanced class weights, C=2, signals x0.3) only where
its name says.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from quality import sentences_per_second  # bench/quality.py, beside this script
from sklearn.metrics import f1_score

from factopinion.bundled import bundled_data_dir
from factopinion.datasets import data_files, read_labeled, read_labeled_files
from factopinion.training import DEFAULT_PARAMS, build_pipeline, cross_validate

SIX = ("attribution", "quotation", "first_person", "second_person", "modal", "question")
SEVEN = (*SIX, "opening_quote")
VARIANTS = {
    "reference: words 1-2, C=4, no signals": dict(C=4.0, min_df=1, style=None),
    "words 1, min_df=2, no signals": dict(ngram_range=(1, 1), style=None),
    "words 1-2, min_df=1, no signals": dict(min_df=1, style=None),
    "words 1-2, min_df=2, no signals": dict(style=None),
    "words 1-3, min_df=2, no signals": dict(ngram_range=(1, 3), style=None),
    "words 1-2, min_df=2, raw tf, no signals": dict(sublinear_tf=False, style=None),
    "words 1-2, min_df=2, no class weights, no sig.": dict(class_weight=None, style=None),
    "+ all nine signals x1.0": dict(style=(*SEVEN, "exclamation", "number"), style_weight=1.0),
    "+ six signals x0.3, min_df=1 (previous default)": dict(style=SIX, min_df=1),
    "+ six signals x0.3": dict(style=SIX),
    "+ seven signals x0.3, min_df=1": dict(style=SEVEN, min_df=1),
    "+ seven signals x0.2": dict(style=SEVEN, style_weight=0.2),
    "+ seven signals x0.5": dict(style=SEVEN, style_weight=0.5),
    "+ seven signals x0.3, C=1": dict(style=SEVEN, C=1.0),
    "+ seven signals x0.3, C=4": dict(style=SEVEN, C=4.0),
    "default: seven signals x0.3, min_df=2, C=2": dict(DEFAULT_PARAMS),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared")
    args = parser.parse_args()
    checkthat = args.shared / "data" / "checkthat-en"
    frame = read_labeled_files(data_files(bundled_data_dir()))
    held_out = frame["file"] == "seed.csv"
    dev = read_labeled(checkthat / "dev_en.tsv") if (checkthat / "dev_en.tsv").is_file() else None
    in_domain = read_labeled(checkthat / "train_en.tsv") if (checkthat / "train_en.tsv").is_file() else None
    probe = (frame["sentence"].tolist() * 4)[:20_000]
    reference_speed = None
    print(f"{len(frame)} sentences in data/; dev set {'found' if dev is not None else 'absent'}")
    print(f"{'variant':<48}{'cv-F1':>7}{'dev-F1':>8}{'in-dom':>8}{'seed':>7}{'speed':>7}")
    for name, params in VARIANTS.items():
        pipeline = build_pipeline(**params)
        cv = cross_validate(pipeline, frame, folds=5)["macro_f1"]
        fitted = build_pipeline(**params).fit(frame["sentence"], frame["label"])
        speed = sentences_per_second(fitted.predict_proba, probe, repeats=3)
        reference_speed = reference_speed or speed
        seed_model = build_pipeline(**params).fit(frame.loc[~held_out, "sentence"], frame.loc[~held_out, "label"])
        seed = (seed_model.predict(frame.loc[held_out, "sentence"]) == frame.loc[held_out, "label"]).mean()
        dev_f1 = in_f1 = float("nan")
        if dev is not None and in_domain is not None:
            dev_f1 = f1_score(dev["label"], fitted.predict(dev["sentence"]), average="macro")
            in_model = build_pipeline(**params).fit(in_domain["sentence"], in_domain["label"])
            in_f1 = f1_score(dev["label"], in_model.predict(dev["sentence"]), average="macro")
        print(f"{name:<48}{cv:>7.3f}{dev_f1:>8.3f}{in_f1:>8.3f}{seed:>7.3f}{speed / reference_speed:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
