"""The labeled corpus in data/: schema, size, balance, breadth, minimal pairs, no near-duplicates, no leaks."""

import csv
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT
from scipy import sparse

from factopinion.bundled import bundled_data_dir
from factopinion.training.datasets import data_files, read_labeled_files

sys.path.insert(0, str(ROOT / "scripts"))

from check_slice import CASES, COLUMNS, REGISTERS  # noqa: E402  (the corpus vocabularies, one definition)


@pytest.fixture(scope="module")
def corpus():
    files = data_files(bundled_data_dir())
    for path in files:
        with open(path, encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        assert header[: len(COLUMNS)] == COLUMNS, path
    return read_labeled_files(files)


def token_sets_matrix(sentences, vocabulary=None):
    vocabulary = {} if vocabulary is None else vocabulary
    rows, cols = [], []
    for i, sentence in enumerate(sentences):
        for token in set(re.findall(r"\w+", sentence.lower())):
            rows.append(i)
            cols.append(vocabulary.setdefault(token, len(vocabulary)))
    return rows, cols, vocabulary


def jaccard_over(a_sentences, b_sentences, threshold):
    """Index pairs (i, j) whose token-set Jaccard similarity exceeds ``threshold``."""
    ra, ca, vocab = token_sets_matrix(a_sentences)
    rb, cb, vocab = token_sets_matrix(b_sentences, vocab)
    a = sparse.csr_matrix((np.ones(len(ra)), (ra, ca)), shape=(len(a_sentences), len(vocab)))
    b = sparse.csr_matrix((np.ones(len(rb)), (rb, cb)), shape=(len(b_sentences), len(vocab)))
    inter = (a @ b.T).tocoo()
    size_a, size_b = np.asarray(a.sum(1)).ravel(), np.asarray(b.sum(1)).ravel()
    union = size_a[inter.row] + size_b[inter.col] - inter.data
    hit = inter.data / union > threshold
    return list(zip(inter.row[hit], inter.col[hit], strict=True))


def test_schema_and_vocabularies(corpus):
    assert corpus["id"].is_unique
    assert set(corpus["source"]) == {"seed", "authored"}
    assert set(corpus["register"]) <= REGISTERS
    for label, cases in CASES.items():
        assert set(corpus.loc[corpus["label"] == label, "case"]) <= cases
    assert (corpus["sentence"] == corpus["sentence"].str.strip()).all()
    assert corpus["sentence"].is_unique


def test_size_balance_and_breadth(corpus):
    assert len(corpus) >= 5000
    share = (corpus["label"] == "opinion").mean()
    assert 0.4 <= share <= 0.6
    by_topic = corpus.groupby("topic")["label"].nunique()
    assert len(by_topic) >= 40 and (by_topic == 2).all()
    assert set(corpus["register"]) == REGISTERS


def test_minimal_pairs(corpus):
    paired = corpus[corpus["pair_id"] != ""]
    groups = paired.groupby("pair_id")
    assert groups.ngroups >= 1000
    assert (groups.size() == 2).all()
    assert all(sorted(labels) == ["fact", "opinion"] for _, labels in groups["label"])
    assert (groups["topic"].nunique() == 1).all()


@pytest.mark.slow
def test_no_near_duplicates(corpus):
    sentences = corpus["sentence"].tolist()
    pairs = corpus["pair_id"].tolist()
    near = [
        (sentences[i], sentences[j])
        for i, j in jaccard_over(sentences, sentences, 0.8)
        if i < j and not (pairs[i] and pairs[i] == pairs[j])
    ]
    assert near == []


@pytest.mark.slow
def test_nothing_from_the_checkthat_data(corpus, checkthat_sentences):
    close = jaccard_over(corpus["sentence"].tolist(), checkthat_sentences, 0.5)
    assert [(corpus["sentence"].iloc[i], checkthat_sentences[j]) for i, j in close] == []


@pytest.mark.slow
def test_readme_statistics_are_current():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    if not (ROOT / "scripts" / "corpus_stats.py").is_file():
        pytest.skip("not a source checkout")
    stats = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "corpus_stats.py")], capture_output=True, text=True, check=True
    ).stdout
    assert stats in readme, "data/README.md statistics are stale: paste the output of scripts/corpus_stats.py"
