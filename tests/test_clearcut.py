"""The clear-cut evaluation set (eval/clearcut.csv): its shape, its fixed sentences, and its distance from the
training data. Re-checked on every run, so a corpus slice added to data/ later cannot leak into it."""

import csv
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

from factopinion.bundled import bundled_data_dir, bundled_model_dir
from factopinion.training.datasets import data_files, read_labeled, read_labeled_files

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
CLEARCUT = EVAL / "clearcut.csv"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from check_slice import NEAR_EVALUATION, jaccard, near, tokens  # noqa: E402  (the corpus checker's rule)
from quality import FIXED_SENTENCES, clearcut_figures  # noqa: E402


def normalised(sentence: str) -> str:
    return " ".join(sentence.casefold().split())


@pytest.fixture(scope="module")
def clearcut() -> list[dict]:
    with open(CLEARCUT, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["sentence", "label", "kind"]
        return list(reader)


@pytest.fixture(scope="module")
def training_sentences() -> list[str]:
    """Every sentence of every labeled file the training code reads, and of any other labeled file under data/."""
    folders = {bundled_data_dir().resolve(), (ROOT / "data").resolve()}
    files = sorted({p for folder in folders if folder.is_dir() for p in data_files(folder)})
    return read_labeled_files(files)["sentence"].tolist()


def test_rows_are_clean_and_unique(clearcut):
    sentences = [row["sentence"] for row in clearcut]
    assert all(s and s == s.strip() and "\n" not in s for s in sentences)
    assert len({normalised(s) for s in sentences}) == len(sentences)
    assert {row["label"] for row in clearcut} == {"fact", "opinion"}


def test_size_kinds_and_balance(clearcut):
    assert len(clearcut) >= 600
    by_kind: dict[str, list[str]] = {}
    for row in clearcut:
        by_kind.setdefault(row["kind"], []).append(row["label"])
    assert len(by_kind) >= 12
    assert {kind: len(labels) for kind, labels in by_kind.items() if len(labels) < 30} == {}
    assert {kind: set(labels) for kind, labels in by_kind.items() if len(set(labels)) != 1} == {}
    kinds_of = {label: [k for k, labels in by_kind.items() if labels[0] == label] for label in ("fact", "opinion")}
    assert len(kinds_of["fact"]) >= 6 and len(kinds_of["opinion"]) >= 6
    share = sum(row["label"] == "opinion" for row in clearcut) / len(clearcut)
    assert 0.4 <= share <= 0.6


def test_evaluate_reads_it_as_it_is(clearcut):
    frame = read_labeled(CLEARCUT)
    assert frame["sentence"].tolist() == [row["sentence"] for row in clearcut]
    assert frame["label"].tolist() == [row["label"] for row in clearcut]


def test_the_fixed_sentences_are_in_it_with_their_labels(clearcut):
    label_of = {row["sentence"]: row["label"] for row in clearcut}
    assert {s: label_of.get(s) for s in FIXED_SENTENCES} == FIXED_SENTENCES
    # the README's definitions are among them, as the README words them today
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for label in ("fact", "opinion"):
        definition = re.search(rf"^- \*\*{label}\*\* is (.+?)(?=^\S|^- )", readme, re.M | re.S)
        assert definition, f"the README's definition of {label} moved"
        examples = re.findall(r"“([^”]+)”", definition.group(1))
        assert examples and {e: label_of.get(e) for e in examples} == dict.fromkeys(examples, label)


def test_the_readme_lists_every_kind_with_an_example_from_the_set(clearcut):
    kind_of = {row["sentence"]: row["kind"] for row in clearcut}
    label_of_kind = {row["kind"]: row["label"] for row in clearcut}
    table = re.findall(r"^\| `(\w+)` \| (\w+) \| [^|]+ \| \"(.+)\" \|$", (EVAL / "README.md").read_text("utf-8"), re.M)
    assert {kind: label for kind, label, _ in table} == label_of_kind
    examples = {example.replace('\\"', '"'): kind for kind, _, example in table}
    assert {e: kind_of.get(e) for e in examples} == examples


def test_the_training_code_never_reads_it():
    data_dir = bundled_data_dir().resolve()
    assert not EVAL.resolve().is_relative_to(data_dir) and not data_dir.is_relative_to(EVAL.resolve())
    assert [p for p in data_files(data_dir) if p.resolve().is_relative_to(EVAL.resolve())] == []
    assert CLEARCUT.name not in {p.name for p in data_files(data_dir)}
    # the wheel ships model/ and data/, never eval/, so an installed package cannot find it either
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert set(wheel["force-include"]) == {"model", "data"}
    assert wheel["packages"] == ["src/factopinion"]
    # and the shipped model was trained on data/ files only
    metadata = json.loads((bundled_model_dir() / "metadata.json").read_text("utf-8"))
    trained_on = [f["name"] for f in metadata["training_data"]["files"]]
    assert trained_on and not [name for name in trained_on if "clearcut" in name or name.startswith("eval")]


def test_no_sentence_of_it_is_in_the_training_data(clearcut, training_sentences):
    seen = {normalised(s) for s in training_sentences}
    assert [row["sentence"] for row in clearcut if normalised(row["sentence"]) in seen] == []


@pytest.mark.slow
def test_no_sentence_of_it_is_near_the_training_data(clearcut, training_sentences):
    close = near([row["sentence"] for row in clearcut], training_sentences, NEAR_EVALUATION)
    assert [(a, b, round(jaccard(tokens(a), tokens(b)), 2)) for a, b in close] == []


@pytest.mark.slow
def test_nothing_from_the_checkthat_data(clearcut, checkthat_sentences):
    assert [a for a, _ in near([row["sentence"] for row in clearcut], checkthat_sentences, NEAR_EVALUATION)] == []


@pytest.mark.slow
def test_the_quality_benchmark_measures_it(clearcut, model):
    frame = read_labeled(CLEARCUT)
    figures = clearcut_figures(model, frame, resamples=50)
    p = model.opinion_probability(frame["sentence"].tolist())
    right = (p >= 0.5) == (frame["label"] == "opinion").to_numpy()
    assert figures["n"] == len(clearcut) and figures["accuracy"] == pytest.approx(right.mean(), abs=1e-4)
    low, high = figures["accuracy_95"]
    assert low <= figures["accuracy"] <= high
    kinds = frame["kind"].to_numpy()
    assert {k: f["accuracy"] for k, f in figures["kinds"].items()} == {
        k: pytest.approx(right[kinds == k].mean(), abs=1e-4) for k in dict.fromkeys(kinds)
    }
    assert {k: f["label"] for k, f in figures["kinds"].items()} == {row["kind"]: row["label"] for row in clearcut}
    fixed = figures["fixed_sentences"]
    assert [(row["sentence"], row["label"]) for row in fixed] == list(FIXED_SENTENCES.items())
    expected = model.opinion_probability(list(FIXED_SENTENCES))
    assert [row["opinion_probability"] for row in fixed] == pytest.approx(expected, abs=1e-4)
