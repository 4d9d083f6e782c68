"""Evaluation figures on hand-computable cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from factopinion.training import evaluation as ev


def test_labels_as_binary():
    assert ev.as_binary(["fact", "opinion", "OPINION", "0", "1"]).tolist() == [0, 1, 1, 0, 1]
    assert ev.as_binary([0, 1, True]).tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="unknown labels"):
        ev.as_binary(["fact", "maybe"])
    with pytest.raises(ValueError, match="0 or 1"):
        ev.as_binary([0, 2])


def test_probabilities_outside_0_1_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ev.brier_score([0, 1], [0.5, 1.5])


def test_brier_and_base_rate_brier():
    # (0.2-0)^2 + (0.6-1)^2 + (1-1)^2 + (0.5-0)^2 = 0.04 + 0.16 + 0 + 0.25 = 0.45, over 4
    assert ev.brier_score([0, 1, 1, 0], [0.2, 0.6, 1.0, 0.5]) == pytest.approx(0.1125)
    # gold share 0.25: 0.25 * 0.75
    assert ev.base_rate_brier(["opinion", "fact", "fact", "fact"]) == pytest.approx(0.1875)
    # predicting the share itself scores exactly the base rate
    y = np.array([1, 0, 0, 0])
    assert ev.brier_score(y, np.full(4, 0.25)) == pytest.approx(ev.base_rate_brier(y))


def test_ece_equal_width_bins():
    # bin [0.1, 0.2): p 0.1, 0.1 with gold 0, 1 -> |0.5 - 0.1| * 2/4; bin [0.9, 1]: p 0.9, 1.0 gold 1, 1 ->
    # |1 - 0.95| * 2/4. ECE = 0.2 + 0.025
    assert ev.expected_calibration_error([0, 1, 1, 1], [0.1, 0.1, 0.9, 1.0]) == pytest.approx(0.225)
    # perfectly calibrated bins
    assert ev.expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.0)
    # 0.0 and 1.0 fall in the first and last bins
    assert ev.expected_calibration_error([0, 1], [0.0, 1.0]) == pytest.approx(0.0)
    assert ev.expected_calibration_error([1, 0], [0.0, 1.0]) == pytest.approx(1.0)


def test_auc():
    assert ev.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert ev.roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert math.isnan(ev.roc_auc([1, 1], [0.2, 0.9]))


def test_macro_f1_and_shares():
    gold = ["fact", "fact", "opinion", "opinion"]
    p = [0.2, 0.6, 0.7, 0.4]  # at 0.5: fact F1 0.5 (1 of 2 right, 1 of 2 predicted), opinion F1 0.5
    assert ev.macro_f1(gold, p) == pytest.approx(0.5)
    assert ev.macro_f1(gold, p, threshold=0.65) == pytest.approx((0.8 + 2 / 3) / 2)  # fact P 2/3 R 1; opinion P 1 R 1/2
    assert ev.opinion_share(gold) == 0.5
    assert ev.opinion_share(p, threshold=0.5) == 0.5
    assert ev.opinion_share(p, threshold=0.7) == 0.25  # at or above the threshold


def test_threshold_sweep():
    rows = ev.threshold_sweep([0, 0, 1, 1], [0.15, 0.35, 0.55, 0.95])
    assert [r["threshold"] for r in rows] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert [r["predicted_opinion_share"] for r in rows] == [1.0, 0.75, 0.75, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    assert rows[3]["macro_f1"] == pytest.approx(1.0) and rows[3]["accuracy"] == 1.0
    assert rows[0]["macro_f1"] == pytest.approx((0 + 2 / 3) / 2)  # everything opinion


@pytest.mark.slow
def test_bootstrap_interval_is_deterministic_and_brackets_the_figure():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    low, high = ev.bootstrap_interval(ev.roc_auc, y, p, resamples=200, seed=5)
    assert low < ev.roc_auc(y, p) < high
    assert (low, high) == ev.bootstrap_interval(ev.roc_auc, y, p, resamples=200, seed=5)
    # a constant metric has a zero-width interval
    assert ev.bootstrap_interval(lambda a: 1.0, y, resamples=10) == (1.0, 1.0)
    with pytest.raises(ValueError, match="same length"):
        ev.bootstrap_interval(ev.roc_auc, y, p[:-1])


def test_bootstrap_interval_skips_resamples_without_both_classes():
    # with two sentences, half of the resamples hold one class only: their NaN AUCs are left out
    low, high = ev.bootstrap_interval(ev.roc_auc, [0, 1], [0.2, 0.8], resamples=50)
    assert (low, high) == (1.0, 1.0)


def test_probability_report_and_misclassified():
    report = ev.probability_report(["fact", "opinion", "opinion", "fact"], [0.1, 0.9, 0.3, 0.8])
    assert report["n"] == 4 and report["auc"] == pytest.approx(0.75)  # 3 of the 4 opinion-fact pairs in order
    assert report["gold_opinion_share"] == 0.5 and report["predicted_opinion_share"] == 0.5
    assert report["brier"] == pytest.approx((0.01 + 0.01 + 0.49 + 0.64) / 4)
    assert report["base_rate_brier"] == pytest.approx(0.25)
    assert len(report["threshold_sweep"]) == 9
    wrong = ev.misclassified(["a", "b", "c", "d"], ["fact", "opinion", "opinion", "fact"], [0.1, 0.9, 0.3, 0.8])
    assert [(w["index"], w["gold"], w["predicted"], w["opinion_probability"]) for w in wrong] == [
        (3, "fact", "opinion", 0.8),  # 0.3 from the threshold: most confidently wrong first
        (2, "opinion", "fact", 0.3),
    ]


def test_by_group_in_order_of_first_appearance():
    groups = ["quote", "verdict", "quote", "verdict", "verdict"]
    gold = ["fact", "opinion", "fact", "opinion", "fact"]
    p = [0.1, 0.9, 0.6, 0.4, 0.2]
    rows = ev.by_group(groups, gold, p)
    assert [r["group"] for r in rows] == ["quote", "verdict"]
    quote, verdict = rows
    assert quote["n"] == 2 and quote["gold"] == {"fact": 2, "opinion": 0}
    assert quote["accuracy"] == 0.5 and quote["predicted_opinion_share"] == 0.5
    assert quote["mean_opinion_probability"] == pytest.approx(0.35)
    # verdict: 0.9 right, 0.4 wrong (opinion below 0.5), 0.2 right (fact)
    assert verdict["gold"] == {"fact": 1, "opinion": 2} and verdict["accuracy"] == pytest.approx(2 / 3)
    assert ev.by_group(groups, gold, p, threshold=0.35)[1]["accuracy"] == 1.0
    with pytest.raises(ValueError, match="same length"):
        ev.by_group(groups[:2], gold, p)
