"""``label --documents``, ``--keep``, ``--html-column``, the multi-sentence advice of cell mode, and
``Model.label_series``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import PAGES, invoke, write_csv

from factopinion.errors import OptionError
from factopinion.labeling.batch import BatchOptions, label_stream

ARTICLES = [
    ["id", "title", "text"],
    ["a1", "Fares", "The council said on Tuesday it would raise bus fares by 3 percent. Officials said the rise was "
     "needed. This plan is a disgrace. The council should resign!"],
    ["a2", "Empty", ""],
    ["a3", "Bridge", "The bridge reopened on Monday, officials said. Traffic was light, police said."],
    ["a4", "Blank", "   "],
    ["a5", "Op-ed", "This plan is a disgrace. Who, exactly, thought it was a good idea? The minister should resign at once."],
]  # fmt: skip


def read_dicts(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def articles(tmp_path) -> Path:
    return write_csv(tmp_path / "articles.csv", ARTICLES)


def label(*args, input=None):
    result = invoke(["label", *map(str, args)], input=input)
    assert result.exit_code == 0, result.output
    return result


def test_documents_adds_counts_share_and_mean_one_row_per_input_row(articles):
    result = label(articles, "--documents")
    rows = read_dicts(result.stdout)
    assert [row["id"] for row in rows] == ["a1", "a2", "a3", "a4", "a5"]
    assert list(rows[0]) == ["id", "title", "text", "sentences", "opinion_sentences", "opinion_share",
                             "mean_opinion_probability", "language"]  # fmt: skip
    a1, a2, a3, a4, a5 = rows
    assert (a1["sentences"], a1["opinion_sentences"], a1["opinion_share"]) == ("4", "2", "0.500000")
    assert (a3["sentences"], a3["opinion_sentences"], a3["opinion_share"]) == ("2", "0", "0.000000")
    assert a5["opinion_share"] == "1.000000" and float(a5["mean_opinion_probability"]) > 0.5
    for empty in (a2, a4):  # empty cells keep their row, with empty cells
        assert [empty[c] for c in ("sentences", "opinion_sentences", "opinion_share")] == ["", "", ""]
    assert "5 rows, 9 sentences: 3 labeled, 2 empty, 55.6% opinion" in result.stderr
    for line, record in zip(result.stdout.splitlines(), articles.read_text("utf-8").splitlines(), strict=True):
        assert line.startswith(record + ",")  # the input records byte for byte, as in row mode


def test_opinion_share_is_the_mean_of_the_sentence_labels_for_the_same_rows(articles):
    documents = {row["id"]: row for row in read_dicts(label(articles, "--documents").stdout)}
    sentences = read_dicts(label(articles, "--sentences").stdout)
    for id_, row in documents.items():
        labels = [s["label"] for s in sentences if s["id"] == id_ and s["label"]]
        if not labels:
            assert row["opinion_share"] == ""
            continue
        assert int(row["sentences"]) == len(labels)
        assert float(row["opinion_share"]) == pytest.approx(labels.count("opinion") / len(labels), abs=1e-6)
        probabilities = [float(s["opinion_probability"]) for s in sentences if s["id"] == id_ and s["label"]]
        assert float(row["mean_opinion_probability"]) == pytest.approx(np.mean(probabilities), abs=2e-6)


def test_documents_and_sentences_find_the_sentences_score_finds(tmp_path, model):
    text = "Bus fares\n\nThe council said on Tuesday it would raise bus fares. This plan is a disgrace."
    path = write_csv(tmp_path / "h.csv", [["text"], [text]])
    (document,) = read_dicts(label(path, "--documents").stdout)
    scored = model.score(text)
    assert int(document["sentences"]) == len(scored.sentences) == 2
    assert float(document["opinion_share"]) == scored.summary["opinion_share"]
    sentences = read_dicts(label(path, "--sentences").stdout)
    assert [s["sentence"] for s in sentences] == [s.sentence for s in scored.sentences]  # the heading is left out


def test_documents_column_names_threshold_and_replace(articles):
    rows = read_dicts(label(articles, "--documents", "--column", "opinion_share=share", "--threshold", "0.85").stdout)
    assert "share" in rows[0] and "opinion_share" not in rows[0]
    assert rows[0]["opinion_sentences"] == "1"  # of the two opinions (0.89 and 0.79), one is at 0.85 or above
    result = invoke(["label", str(articles), "--documents", "--column", "label=x"])
    assert result.exit_code == 2 and "no added column 'label' to rename with --documents" in result.output
    clash = invoke(["label", str(articles), "--documents", "--column", "sentences=title"])
    assert clash.exit_code == 1 and "already has a column 'title'" in clash.output
    replaced = read_dicts(label(articles, "--documents", "--column", "sentences=title", "--replace-columns").stdout)
    assert list(replaced[0])[:3] == ["id", "title", "text"] and replaced[0]["title"] == "4"


def test_keep_writes_only_the_named_columns_in_input_order(articles):
    rows = read_dicts(label(articles, "--sentences", "--keep", "title,id").stdout)
    assert list(rows[0]) == ["id", "title", "row", "sentence_index", "start", "end", "sentence", "label",
                             "opinion_probability", "language"]  # fmt: skip
    assert len(rows) == 4 + 1 + 2 + 1 + 3
    documents = read_dicts(label(articles, "--documents", "--keep", "id").stdout)
    assert list(documents[0]) == ["id", "sentences", "opinion_sentences", "opinion_share", "mean_opinion_probability",
                                  "language"]  # fmt: skip
    bare = label(articles, "--sentences", "--keep", "").stdout
    assert bare.splitlines()[0] == "row,sentence_index,start,end,sentence,label,opinion_probability,language"


def test_keep_makes_the_output_small(tmp_path):
    article = " ".join(["The council said on Tuesday it would raise bus fares by 3 percent."] * 30)
    path = write_csv(tmp_path / "big.csv", [["id", "text"], *[[str(i), article] for i in range(20)]])
    everything = label(path, "--sentences", "--keep", "id,text").stdout
    kept = label(path, "--sentences", "--keep", "id").stdout
    assert len(kept) * 10 < len(everything)


def test_keep_errors(articles):
    missing = invoke(["label", str(articles), "--documents", "--keep", "id,nope"])
    assert missing.exit_code == 1 and "no column 'nope' to keep; the columns are: id, title, text" in missing.output
    cell = invoke(["label", str(articles), "--keep", "id"])
    assert cell.exit_code == 2 and "--keep needs --sentences or --documents" in cell.output
    both = invoke(["label", str(articles), "--documents", "--sentences"])
    assert both.exit_code == 2 and "not both" in both.output


def test_cell_mode_warns_once_when_cells_are_multi_sentence(tmp_path, articles, model):
    long = " ".join(f"Officials said on day {i} that the council met." for i in range(6))
    path = write_csv(tmp_path / "long.csv", [["text"], *[[long]] * 5])
    result = label(path)
    warnings = [line for line in result.stderr.splitlines() if "--documents" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("factopinion: the cells hold 6 sentences each (median of the first 5")
    assert "--documents" not in label(path, "-q").stderr
    short = write_csv(tmp_path / "short.csv", [["text"], *[["The council met. It voted."]] * 5])
    assert "--documents" not in label(short).stderr  # two sentences a cell are not advice-worthy
    assert "--documents" not in label(path, "--documents").stderr
    notes: list[str] = []
    summary = label_stream(
        io.BytesIO(path.read_bytes()), io.BytesIO(), model, BatchOptions(jobs=1), notify=notes.append
    )
    assert summary.warnings == notes and len(notes) == 1  # the library tells through notify and the summary


def test_html_column_scores_each_page_as_a_document(tmp_path):
    pages = [(name, (PAGES / f"{name}.html").read_text("utf-8")) for name in ("news", "oped", "boilerplate")]
    path = write_csv(tmp_path / "pages.csv", [["name", "html"], *pages, ["none", ""]])
    rows = read_dicts(label(path, "--documents", "--html-column", "html", "--keep", "name").stdout)
    assert [(r["name"], r["sentences"], r["opinion_sentences"]) for r in rows] == [
        ("news", "5", "0"), ("oped", "4", "4"), ("boilerplate", "3", "0"), ("none", "", ""),
    ]  # fmt: skip
    wrong = invoke(["label", str(path), "--html-column", "html"])
    assert wrong.exit_code == 2 and "--html-column needs --documents" in wrong.output


def test_options_are_validated_in_one_place():
    with pytest.raises(OptionError, match="--keep needs"):
        BatchOptions(keep=("id",))
    with pytest.raises(OptionError, match="unknown format 'xlsx'"):
        BatchOptions(format="xlsx")
    with pytest.raises(OptionError, match="--text-column or --html-column"):
        BatchOptions(documents=True, html_column="html", text_column="text")
    assert BatchOptions(documents=True, keep=["id"]).keep == ("id",)


# -- Model.label_series -------------------------------------------------------------------------------------------


SERIES = pd.Series(
    ["The council met on Tuesday, officials said. It is a disgrace and must stop!", None, np.nan, "",
     "Breaking News\n\nTop Stories", "Great service"],
    index=["a", "b", "c", "d", "e", "f"],
)  # fmt: skip


def test_label_series_documents_align_with_the_index_and_agree_with_score(model):
    frame = model.label_series(SERIES, unit="document")
    assert list(frame.index) == list(SERIES.index)
    assert list(frame.columns) == ["sentences", "opinion_sentences", "opinion_share", "mean_opinion_probability"]
    scored = model.score(SERIES["a"])
    assert frame.loc["a", "sentences"] == len(scored.sentences) == 2
    assert frame.loc["a", "opinion_share"] == scored.summary["opinion_share"] == 0.5
    assert frame.loc["a", "mean_opinion_probability"] == pytest.approx(
        np.mean([s.opinion_probability for s in scored.sentences]), abs=1e-6
    )
    assert frame.loc[["b", "c", "d"], "sentences"].isna().all()  # missing and blank: missing results
    # a text of short lines only is scored line by line, as score does
    assert frame.loc["e", "sentences"] == len(model.score(SERIES["e"]).sentences) == 2
    assert str(frame["sentences"].dtype) == "Int64"


def test_label_series_sentences_repeat_the_index_like_explode(model):
    frame = model.label_series(SERIES, unit="sentence")
    assert list(frame.index) == ["a", "a", "b", "c", "d", "e", "e", "f"]
    first = frame.loc["a"]
    assert list(first["label"]) == [s.label for s in model.score(SERIES["a"]).sentences]
    assert list(first["sentence_index"]) == [0, 1]
    for _, row in first.iterrows():
        assert SERIES["a"][row["start"] : row["end"]] == row["sentence"]
    assert frame.loc["b"].isna().all()


def test_label_series_cells_and_plain_sequences(model):
    frame = model.label_series(["The council met on Tuesday.", None, "This is a disgrace!"], unit="cell")
    assert list(frame.index) == [0, 1, 2]
    assert frame["label"].tolist()[0] == "fact" and frame["label"].tolist()[2] == "opinion"
    assert pd.isna(frame["label"][1]) and np.isnan(frame["opinion_probability"][1])
    expected = model.opinion_probability(["The council met on Tuesday."])[0]
    assert frame["opinion_probability"][0] == round(float(expected), 6)
    with pytest.raises(ValueError, match="unit must be"):
        model.label_series(["x"], unit="paragraph")


def test_label_series_calls_predict_proba_once(model, monkeypatch):
    calls = []
    original = type(model).opinion_probability

    def counting(self, sentences):
        calls.append(len(sentences))
        return original(self, sentences)

    monkeypatch.setattr(type(model), "opinion_probability", counting)
    model.label_series(pd.Series([ARTICLES[1][2]] * 50), unit="document")
    assert calls == [200]
