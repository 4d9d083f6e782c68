"""How the default model's settings were chosen for real news, re-runnable in one command (about two minutes):

    python bench/choose_settings.py [--data DIR ...] [--shared DIR] [--only TEXT]

1. Feature candidates, each trained once on the corpus (never on CheckThat!); ranked by train_en AUC.
2. Temperature x prior grid on the raw log-odds (z/T + logit(prior), as NewsCalibratedLogisticRegression folds
   it), chosen by train_en Brier; confirmed on dev; pooled.
3. Bootstrap 95% intervals (1000 resamples, seed 0) for AUC and macro-F1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import is_function_cue  # noqa: E402
from recording import add_record_option, recorded  # noqa: E402

from factopinion import evaluation as ev  # noqa: E402
from factopinion.bundled import bundled_data_dir  # noqa: E402
from factopinion.training import DEFAULT_PARAMS, build_pipeline  # noqa: E402
from factopinion.training.calibration import logit  # noqa: E402
from factopinion.training.datasets import data_files, read_labeled, read_labeled_files  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
L7 = (
    "subjectivity",
    "max_subjectivity",
    "subjective_share",
    "valence",
    "max_valence",
    "evaluative_share",
    "evaluative",
)
L11 = L7 + ("subjective_words", "valenced_words", "positive", "negative")
L4 = ("max_subjectivity", "max_valence", "evaluative_share", "subjectivity")
L3 = ("max_subjectivity", "max_valence", "evaluative_share")
UNI = dict(ngram_range=(1, 1), max_df=0.07)
BEFORE = dict(lexicon=None, temperature=1.0, prior=None, max_df=1.0, ngram_range=(1, 2))
CANDIDATES = {
    "before: words 1-2, style": BEFORE,
    "before + lexicon L7": dict(BEFORE, lexicon=L7),
    "words 1, max_df .07, style (no lexicon)": dict(BEFORE, **UNI),
    "DEFAULT: words 1, max_df .07, style, L3": {},
    "words 1, max_df .07, style, L4": dict(lexicon=L4),
    "words 1, max_df .07, style, L7": dict(lexicon=L7),
    "words 1, max_df .07, style, L11": dict(lexicon=L11),
    "words 1, max_df .05, style, L3": dict(max_df=0.05),
    "words 1, max_df .10, style, L3": dict(max_df=0.1),
    "words 1, max_df .07, style, L3, C=1": dict(C=1.0),
    "words 1, max_df .07, style, L3, C=4": dict(C=4.0),
    "words 1, max_df .07, style x0.5, L3": dict(style_weight=0.5),
}  # fmt: skip
TEMPERATURES = np.round(np.arange(1.0, 4.01, 0.25), 2)
PRIORS = np.round(np.arange(0.20, 0.551, 0.05), 2)


def function_share(pipe, sentences, z, top=3):
    feats = pipe.named_steps["features"].transform(sentences).tocsr()
    coef = pipe[-1].coef_.ravel()
    names = [str(n) for _, part in pipe.named_steps["features"].transformer_list for n in part.get_feature_names_out()]
    fw = np.array([is_function_cue(n) for n in names])
    hits = total = 0
    for i in np.flatnonzero(z >= 0):
        lo, hi = feats.indptr[i], feats.indptr[i + 1]
        cols = feats.indices[lo:hi]
        c = feats.data[lo:hi] * coef[cols]
        ranked = sorted((-ci, names[j], j) for j, ci in zip(cols.tolist(), c.tolist(), strict=True) if ci > 0)[:top]
        total += len(ranked)
        hits += sum(bool(fw[j]) for *_, j in ranked)
    return hits / max(total, 1)


def ci(metric, y, p):
    lo, hi = ev.bootstrap_interval(metric, y, p, resamples=1000, seed=0)
    return f"{metric(y, p):.3f} [{lo:.3f},{hi:.3f}]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", action="append", type=Path, help="corpus folders (default: the bundled data/)")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    ap.add_argument("--only", help="substring: run only matching candidates")
    add_record_option(ap)
    args = ap.parse_args()
    CT = args.shared / "data" / "checkthat-en"
    if not (CT / "train_en.tsv").is_file():
        print(f"skipped: {CT}/train_en.tsv is not on this machine")
        return
    t_start = time.time()
    by_name = {}  # a file name given by several folders: the first folder's copy
    for folder in args.data or [bundled_data_dir()]:
        for f in data_files(folder):
            by_name.setdefault(f.name, f)
    files = sorted(by_name.values())
    corpus = read_labeled_files(files)
    tr, dv = read_labeled(CT / "train_en.tsv"), read_labeled(CT / "dev_en.tsv")
    ytr, ydv = ev.as_binary(tr.label), ev.as_binary(dv.label)
    ypo = np.r_[ytr, ydv]
    print(
        f"corpus {len(corpus)} sentences, {len(files)} files | train_en {len(tr)} ({ytr.mean():.3f} opinion) | "
        f"dev {len(dv)} ({ydv.mean():.3f})\n"
    )
    fitted = {}
    print(f"{'candidate':<44}{'AUC tr':>8}{'AUC dv':>8}{'AUC pool':>9}{'fw@raw':>8}{'fit s':>7}")
    for name, params in CANDIDATES.items():
        if args.only and args.only not in name:
            continue
        t0 = time.time()
        # raw log-odds: calibration is applied below, analytically
        pipe = build_pipeline(**{**DEFAULT_PARAMS, **params, "temperature": 1.0, "prior": None})
        pipe.fit(corpus.sentence.tolist(), corpus.label.to_numpy())
        ztr, zdv = pipe.decision_function(tr.sentence.tolist()), pipe.decision_function(dv.sentence.tolist())
        fitted[name] = (pipe, ztr, zdv)
        print(
            f"{name:<44}{ev.roc_auc(ytr, expit(ztr)):>8.3f}{ev.roc_auc(ydv, expit(zdv)):>8.3f}"
            f"{ev.roc_auc(ypo, expit(np.r_[ztr, zdv])):>9.3f}{function_share(pipe, dv.sentence.tolist(), zdv):>8.2f}"
            f"{time.time() - t0:>7.1f}",
            flush=True,
        )

    prior = round(ytr.mean() * 20) / 20
    print(
        f"\ncalibration: prior = train_en opinion share rounded to 0.05 = {prior}; T = smallest T (grid 1..4 by "
        "0.25) whose train_en Brier is within 0.002 of the grid minimum; (joint Brier argmin in brackets)"
    )
    print("figures tr | dv | pooled at threshold 0.5")
    chosen = {}
    for name, (pipe, ztr, zdv) in fitted.items():
        briers = [(ev.brier_score(ytr, expit(ztr / T + logit(prior))), T) for T in TEMPERATURES]
        best = min(b for b, _ in briers)
        T, pr = min(T for b, T in briers if b <= best + 0.002), prior
        argmin_T = min(briers)[1]
        joint = min((ev.brier_score(ytr, expit(ztr / t + logit(q))), t, q) for t in TEMPERATURES for q in PRIORS)
        chosen[name] = (T, pr)
        cells = []
        for y, z in ((ytr, ztr), (ydv, zdv), (ypo, np.r_[ztr, zdv])):
            p = expit(z / T + logit(pr))
            cells.append(
                f"F1 {ev.macro_f1(y, p):.3f} ECE {ev.expected_calibration_error(y, p):.3f} "
                f"Br {ev.brier_score(y, p):.3f}/{ev.base_rate_brier(y):.3f} sh {ev.opinion_share(p, 0.5):.2f}"
            )
        fw = function_share(pipe, dv.sentence.tolist(), zdv / T + logit(pr))
        print(
            f"{name:<44} T={T:<4} (argmin {argmin_T}) prior={pr:<4} [joint argmin T={joint[1]} prior={joint[2]}]"
            f" fw {fw:.2f}\n    " + " | ".join(cells)
        )
    print("\nbootstrap 95% intervals (1000 resamples, seed 0), calibrated as chosen (before / DEFAULT only)")
    for name, (_, ztr, zdv) in fitted.items():
        if not name.startswith(("before", "DEFAULT")):
            continue
        T, pr = chosen[name]
        out = []
        for label, y, z in (("tr", ytr, ztr), ("dv", ydv, zdv), ("pool", ypo, np.r_[ztr, zdv])):
            p = expit(z / T + logit(pr))
            out.append(f"{label} AUC {ci(ev.roc_auc, y, p)} F1 {ci(ev.macro_f1, y, p)}")
        print(f"{name:<44}\n    " + " | ".join(out), flush=True)
    print(f"\n{time.time() - t_start:.0f} s")


if __name__ == "__main__":
    sys.exit(recorded("choose_settings", main))
