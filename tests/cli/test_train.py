"""``factopinion train``: training on labeled files, the bundled corpus, refusals."""

from __future__ import annotations

import json

import pytest
from helpers import invoke

from factopinion.bundled import bundled_data_dir
from factopinion.training.datasets import data_files, read_labeled_files


@pytest.mark.slow
def test_train_default_data(tmp_path):
    result = invoke(["train", "--out", str(tmp_path / "m"), "--cv-folds", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    assert meta["seed"] == 3 and meta["cross_validation"]["folds"] == 2
    assert any(f["name"] == "seed.csv" for f in meta["training_data"]["files"])
    data = json.loads((tmp_path / "m" / "model.json").read_bytes())
    assert data["format"] == "factopinion-model" and data["model"]["about"]["training_data_sha256"]
    scored = invoke(["score", "--model", str(tmp_path / "m" / "model.json"), "--json", "It rained on Monday."])
    assert scored.exit_code == 0 and json.loads(scored.output)["summary"]["sentences"] == 1


@pytest.mark.slow
def test_train_with_default_data_adds_the_bundled_corpus(tmp_path):
    data = tmp_path / "mine.csv"
    data.write_text("sentence,label\nThe mill reopened on Monday.,fact\nThe mill is a treasure.,opinion\n", "utf-8")
    out = tmp_path / "m"
    invoke(["train", "--data", str(data), "--with-default-data", "--out", str(out), "--cv-folds", "0"])
    assert sorted(p.name for p in out.iterdir()) == ["metadata.json", "model.joblib", "model.json"]
    files = json.loads((out / "metadata.json").read_text())["training_data"]["files"]
    corpus = data_files(bundled_data_dir())
    assert [f["name"] for f in files] == ["mine.csv", *(p.name for p in corpus)]
    assert sum(f["rows"] for f in files) == 2 + len(read_labeled_files(corpus))


def test_train_rejects_one_class_and_one_fold(tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("sentence,label\nA thing happened.,fact\n", encoding="utf-8")
    result = invoke(["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "needs both fact and opinion" in result.output
    result = invoke(["train", "--data", str(data), "--cv-folds", "1"])
    assert result.exit_code == 2 and "--cv-folds" in result.output


@pytest.mark.parametrize(
    ("rows", "folds", "message"),
    [
        (["The sky is blue.,opinion", "The grass grew.,fact"], "5", "5-fold cross-validation needs at least 5"),
        (["Sky blue.,opinion", "Grass grew.,fact"], "0", "too few words occur in at least 2 sentences"),
    ],
)
def test_train_on_too_little_data_is_a_clear_error(tmp_path, rows, folds, message):
    data = tmp_path / "small.csv"
    data.write_text("sentence,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = invoke(["train", "--data", str(data), "--cv-folds", folds, "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_train_refuses_to_replace_a_model_without_force(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "model.joblib").write_bytes(b"mine")
    result = invoke(["train", "--out", str(out), "--cv-folds", "0"])
    assert result.exit_code == 1
    assert "model.joblib already exists (use --force to overwrite it)" in result.stderr
    assert (out / "model.joblib").read_bytes() == b"mine"


def test_a_small_or_one_sided_file_gets_a_one_line_warning_before_the_figures(tmp_path):
    rows = [f"The council met on day {n} to discuss the {w} budget.,fact" for n in range(10) for w in ("road", "park")]
    rows += [
        f"The {w} budget plan for day {n} is a shameful waste.,opinion" for n in range(1) for w in ("road", "park")
    ]
    data = tmp_path / "small.csv"
    data.write_text("sentence,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = invoke(["train", "--data", str(data), "--cv-folds", "2", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    warning, figures = result.stderr.splitlines()
    assert warning == (
        "factopinion: warning: only 22 sentences and one-sided (20 fact, 2 opinion): the model will not generalise "
        "and the figures below are mostly noise; add your sentences to the bundled ones with --with-default-data"
    )
    assert figures.startswith("trained on 22 sentences (20 fact, 2 opinion); 2-fold cross-validation")


def test_no_warning_for_enough_balanced_data():
    from factopinion.cli.render import training_warning

    balanced = {"training_data": {"rows": 4000, "class_counts": {"fact": 2400, "opinion": 1600}}}
    assert training_warning(balanced) is None
    assert "one-sided" in training_warning(
        {"training_data": {"rows": 4000, "class_counts": {"fact": 3900, "opinion": 100}}}
    )
