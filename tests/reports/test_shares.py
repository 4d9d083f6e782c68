"""The opinion-share report's figures: a synthetic archive with known shares is recovered inside the intervals,
sentence-level and document-level input agree, periods and comparisons are what they say."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from helpers import TRUE_SHARES, opinion_archive

from factopinion.errors import DataError, OptionError
from factopinion.reports.files import read_scores, write_table
from factopinion.reports.page import render_report
from factopinion.reports.shares import ReportSettings, articles_of, compare_groups, group_shares


def sentence_rows(documents: pd.DataFrame) -> pd.DataFrame:
    """The same archive as `label --sentences` would write it: one row per sentence, `row` naming the article."""
    rows = []
    for number, doc in enumerate(documents.itertuples(index=False), start=1):
        for i in range(doc.sentences):
            label = "opinion" if i < doc.opinion_sentences else "fact"
            rows.append({"section": doc.section, "date": doc.date, "row": number, "label": label})
    return pd.DataFrame(rows)


def test_known_shares_fall_inside_their_intervals():
    settings = ReportSettings(by=("section",))
    shares = group_shares(articles_of(opinion_archive(), settings), settings).set_index("section")
    for section, p in TRUE_SHARES.items():
        row = shares.loc[section]
        assert row["opinion_share_low"] <= p <= row["opinion_share_high"], (section, row)
        assert row["article_opinion_share_low"] <= p <= row["article_opinion_share_high"], (section, row)
        assert row["opinion_share_low"] < row["opinion_share"] < row["opinion_share_high"]
        assert row["articles"] == 360
    # intervals of groups this far apart do not overlap
    assert shares.loc["news", "opinion_share_high"] < shares.loc["analysis", "opinion_share_low"]


def test_the_point_estimates_are_the_exact_ratios():
    documents = opinion_archive()
    settings = ReportSettings(by=("section",), cutoff=0.5)
    shares = group_shares(articles_of(documents, settings), settings).set_index("section")
    for section, group in documents.groupby("section"):
        assert shares.loc[section, "opinion_share"] == pytest.approx(
            group["opinion_sentences"].sum() / group["sentences"].sum()
        )
        own = group["opinion_sentences"] / group["sentences"]
        assert shares.loc[section, "article_opinion_share"] == pytest.approx(own.mean())
        assert shares.loc[section, "articles_over_cutoff"] == pytest.approx((own > 0.5).mean())
        assert shares.loc[section, "sentences"] == group["sentences"].sum()


def test_sentence_rows_give_the_same_report_as_document_rows():
    documents = opinion_archive(per_month=10)
    settings = ReportSettings(by=("section",), period="month")
    from_documents = group_shares(articles_of(documents, settings), settings)
    from_sentences = group_shares(articles_of(sentence_rows(documents), settings), settings)
    pd.testing.assert_frame_equal(from_documents, from_sentences)


def test_unscored_sentences_and_empty_articles_are_left_out_and_counted():
    table = pd.DataFrame(
        {
            "row": [1, 1, 1, 2, 3],
            "label": ["opinion", "fact", "", "", "fact"],
            "section": ["a", "a", "a", "a", "a"],
        }
    )
    said = []
    settings = ReportSettings(by=("section",))
    articles = articles_of(table, settings, notify=said.append)
    assert articles["sentences"].tolist() == [2, 1]
    assert said == ["1 article without a scored sentence left out"]


def test_periods_and_unreadable_dates():
    table = pd.DataFrame(
        {
            "date": ["2026-01-05", "2026-01-31T23:00:00Z", "2025-12-29", "not a date", ""],
            "sentences": [2, 2, 2, 2, 2],
            "opinion_sentences": [1, 1, 0, 2, 2],
        }
    )
    said = []
    for period, labels in (
        ("month", ["2025-12", "2026-01"]),
        ("year", ["2025", "2026"]),
        ("week", ["2026-W01", "2026-W02", "2026-W05"]),  # 2025-12-29 opens ISO week 1 of 2026
    ):
        settings = ReportSettings(period=period)
        shares = group_shares(articles_of(table, settings, notify=said.append), settings)
        assert shares["period"].tolist() == labels, period
    assert said[0] == "2 articles without a readable 'date' left out"


def test_the_same_seed_gives_the_same_intervals_and_groups_do_not_disturb_each_other():
    documents = opinion_archive(per_month=20)
    settings = ReportSettings(by=("section",), seed=3, resamples=200)
    first = group_shares(articles_of(documents, settings), settings)
    again = group_shares(articles_of(documents, settings), settings)
    pd.testing.assert_frame_equal(first, again)
    alone = documents[documents["section"] == "news"]
    news = group_shares(articles_of(alone, settings), settings)
    pd.testing.assert_frame_equal(news, first[first["section"] == "news"].reset_index(drop=True))
    other_seed = ReportSettings(by=("section",), seed=4, resamples=200)
    assert not group_shares(articles_of(documents, other_seed), other_seed).equals(first)


def test_compare_recovers_the_known_difference():
    settings = ReportSettings(by=("section",))
    comparison = compare_groups(articles_of(opinion_archive(), settings), settings, "opinion", "news")
    row = comparison.iloc[0]
    truth = TRUE_SHARES["opinion"] - TRUE_SHARES["news"]
    assert row["opinion_share_difference_low"] <= truth <= row["opinion_share_difference_high"]
    assert row["opinion_share_difference"] == pytest.approx(row["opinion_share_a"] - row["opinion_share_b"])
    by_month = ReportSettings(by=("section",), period="month")
    monthly = compare_groups(articles_of(opinion_archive(), by_month), by_month, "opinion", "news")
    assert monthly["period"].tolist() == [f"2026-{m:02d}" for m in range(1, 7)]


def test_bad_requests_are_one_line_errors():
    documents = opinion_archive(per_month=2)
    with pytest.raises(DataError, match="no column 'desk'"):
        articles_of(documents, ReportSettings(by=("desk",)))
    with pytest.raises(DataError, match="not the output of label"):
        articles_of(pd.DataFrame({"text": ["x"]}), ReportSettings())
    with pytest.raises(DataError, match="row 2: sentences is 'many', not a count"):
        articles_of(pd.DataFrame({"sentences": ["1", "many"], "opinion_sentences": ["0", "0"]}), ReportSettings())
    settings = ReportSettings(by=("section",))
    with pytest.raises(OptionError, match="no group 'sport'"):
        compare_groups(articles_of(documents, settings), settings, "sport", "news")
    with pytest.raises(OptionError, match="needs --by"):
        compare_groups(articles_of(documents, ReportSettings()), ReportSettings(), "a", "b")
    for bad in ({"period": "day"}, {"cutoff": 1.5}, {"resamples": 0}, {"confidence": 1.0}):
        with pytest.raises(OptionError):
            ReportSettings(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["r.csv", "r.tsv", "r.jsonl", "r.csv.gz", "r.parquet"])
def test_tables_round_trip(tmp_path, name):
    frame = pd.DataFrame({"section": ["007", "b"], "sentences": ["3", "4"], "opinion_sentences": ["1", "0"]})
    write_table(frame, tmp_path / name)
    back = read_scores([str(tmp_path / name)])
    assert back.astype(str).to_dict("list") == frame.to_dict("list")
    if name.endswith(".gz"):
        assert gzip.decompress((tmp_path / name).read_bytes()).startswith(b"section,")


def test_a_report_is_written_into_a_fifo_twin_not_over_it(tmp_path):
    import os
    import threading

    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_table(pd.DataFrame({"a": [1]}), fifo)
    reader.join(10)
    assert got == [b"a\n1\n"]
    assert fifo.is_fifo()


def test_the_page_is_self_contained_and_escapes_group_names():
    documents = opinion_archive(per_month=5)
    documents.loc[documents["section"] == "news", "section"] = "<b>news</b>"
    settings = ReportSettings(by=("section",), period="month", resamples=50)
    articles = articles_of(documents, settings)
    page = render_report(
        group_shares(articles, settings),
        settings,
        title="Desk & <co>",
        comparison=compare_groups(articles, settings, "opinion", "<b>news</b>"),
    )
    assert "<b>news</b>" not in page and "&lt;b&gt;news&lt;/b&gt;" in page
    assert "Desk &amp; &lt;co&gt;" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count("<polyline") == 3 and page.count("<polygon") == 3  # a line and a band per group
    assert "share_low" not in page  # the page names intervals in words; the table files name the columns
