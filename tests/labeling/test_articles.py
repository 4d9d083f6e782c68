"""`label ARTICLES...`: folders, globs and files of articles (.txt, .md, .html, gzipped too), one row per article
or per sentence, in every format label writes; an unreadable file named and the others labeled."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil

import pytest
from helpers import PAGES, invoke

from factopinion import load_model
from factopinion.labeling.articles import ARTICLE_KINDS, find_articles, is_article_name, kind_of, read_article

REPORT = """Council votes on budget

The council said on Tuesday that it would cut the library budget by 4%. "We had no choice," the mayor told reporters.
"""
OPED = """# The bridge is a folly

The council should scrap the bridge at once. It is a shameful waste of money, and everyone knows it.
"""
GERMAN = "Der Stadtrat hat am Dienstag beschlossen, die Bibliothek im Osten der Stadt zu schließen, sagte er."


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "a-report.txt").write_text(REPORT, "utf-8")
    (folder / "b-oped.md").write_text(OPED, "utf-8")
    shutil.copy(PAGES / "news.html", folder / "c-news.html")
    (folder / "d-oped.html.gz").write_bytes(gzip.compress((PAGES / "oped.html").read_bytes(), mtime=0))
    (folder / "e-german.txt").write_text(GERMAN, "utf-8")
    (folder / "notes.csv").write_text("not,an,article\n", "utf-8")  # a table in the folder is no article
    (folder / ".hidden.txt").write_text(REPORT, "utf-8")
    return folder


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_kinds_are_registered_once_by_suffix():
    assert set(ARTICLE_KINDS) == {"text", "markdown", "html"}
    assert kind_of("a.TXT").name == "text" and kind_of("b.md.gz").name == "markdown"
    assert kind_of("c.htm").name == "html" and kind_of("d.csv") is None and kind_of("e.txt.bz2") is None
    assert not is_article_name(".hidden.txt") and is_article_name("story.html.gz")


def test_a_folder_of_articles_one_row_each_with_the_pages_title_byline_and_date(archive):
    result = invoke(["label", str(archive), "--documents"])
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert list(rows[0]) == ["path", "title", "byline", "date", "sentences", "opinion_sentences", "opinion_share",
                             "mean_opinion_probability", "language"]  # fmt: skip
    by_name = {row["path"].rsplit("/", 1)[1]: row for row in rows}
    assert list(by_name) == ["a-report.txt", "b-oped.md", "c-news.html", "d-oped.html.gz", "e-german.txt"]
    model = load_model()
    report = model.score(REPORT)
    assert by_name["a-report.txt"]["title"] == "Council votes on budget"  # the heading the text opens with
    assert int(by_name["a-report.txt"]["sentences"]) == len(report.sentences)
    assert int(by_name["a-report.txt"]["opinion_sentences"]) == report.opinion_count
    assert by_name["b-oped.md"]["title"] == "The bridge is a folly"  # a Markdown heading, its marks dropped
    news = read_article(archive / "c-news.html")
    assert news.page is not None
    assert (by_name["c-news.html"]["title"], by_name["c-news.html"]["byline"], by_name["c-news.html"]["date"]) == (
        news.page.title, news.page.byline, news.page.date)  # fmt: skip
    assert by_name["c-news.html"]["title"] and by_name["c-news.html"]["date"]
    assert float(by_name["d-oped.html.gz"]["opinion_share"]) > float(by_name["c-news.html"]["opinion_share"])
    assert by_name["e-german.txt"]["language"] == "de" and by_name["e-german.txt"]["sentences"] == ""
    assert "5 articles" in result.stderr and "1 not in English left unscored" in result.stderr


def test_sentences_one_row_per_sentence_and_globs(archive):
    result = invoke(["label", str(archive / "*.md"), str(archive / "a-*.txt"), "--sentences"])
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    model = load_model()
    expected = [(s.sentence, s.label) for text in (OPED, REPORT) for s in model.score(text).sentences]
    assert [(row["sentence"], row["label"]) for row in rows] == expected
    assert {row["language"] for row in rows} == {"en"}


@pytest.mark.parametrize("name", ["scores.csv", "scores.tsv", "scores.jsonl", "scores.csv.gz", "scores.parquet"])
def test_every_format_label_writes(archive, tmp_path, name):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    out = tmp_path / name
    result = invoke(["label", str(archive), "--documents", "-o", str(out)])
    assert result.exit_code == 0, result.output
    import pandas as pd

    from factopinion.reports.files import read_scores

    frame = read_scores([str(out)])
    assert len(frame) == 5 and list(frame.columns)[:4] == ["path", "title", "byline", "date"]
    if name.endswith(".jsonl"):
        assert json.loads(out.read_text("utf-8").splitlines()[0])["language"] == "en"
    if name.endswith((".jsonl", ".parquet")):  # typed formats keep the numbers typed (CSV's reader keeps text)
        assert pd.api.types.is_numeric_dtype(frame["opinion_share"])
    assert frame["path"].str.endswith("e-german.txt").tolist() == [False] * 4 + [True]


def test_a_file_that_cannot_be_read_is_named_and_the_others_finish(archive, tmp_path):
    (archive / "f-broken.txt").write_bytes(b"\xff\xfe\x00 not text")
    (archive / "g-cut.txt.gz").write_bytes(gzip.compress(REPORT.encode())[:20])
    out = tmp_path / "scores.csv"
    result = invoke(["label", str(archive), "-o", str(out)])
    assert result.exit_code == 1
    assert f"{archive / 'f-broken.txt'} is not UTF-8" in result.stderr
    assert str(archive / "g-cut.txt.gz") in result.stderr
    assert len(rows_of(out.read_text("utf-8"))) == 5  # the others are written
    assert "2 failed" in result.stderr


def test_articles_have_no_columns_and_json_is_refused(archive, tmp_path):
    result = invoke(["label", str(archive), "--text-column", "body"])
    assert result.exit_code == 2 and "--text-column is for tables; articles have no columns" in result.stderr
    result = invoke(["label", str(archive), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2 and "name it for JSON Lines (.jsonl)" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_find_articles_in_folders_and_globs(archive):
    found = find_articles([archive, archive / "*.txt"])
    assert [p.name for p in found] == ["a-report.txt", "b-oped.md", "c-news.html", "d-oped.html.gz", "e-german.txt"]


def test_score_html_dir_writes_a_page_per_article_and_an_index_by_opinion_share(archive, tmp_path):
    out = tmp_path / "pages"
    result = invoke(["score", "--html-dir", str(out), str(archive / "a-report.txt"), str(archive / "b-oped.md"),
                     str(archive / "*.html*")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a-report.html", "b-oped.html", "c-news.html", "d-oped.html",
                                                     "index.html"]  # fmt: skip
    index = (out / "index.html").read_text("utf-8")
    import re

    listed = re.findall(r'<td class="num">([\d.]+)%</td>.*?<a href="([^"]+)">', index)
    shares = [float(share) for share, _ in listed]
    assert shares == sorted(shares, reverse=True) and len(listed) == 4
    assert listed[0][1] in ("b-oped.html", "d-oped.html") and listed[-1][1] in ("a-report.html", "c-news.html")
    page = (out / "b-oped.html").read_text("utf-8")
    assert "<h1>The bridge is a folly</h1>" in page and 'class="s opinion"' in page
    assert "<script" not in index and "http" not in index.replace("http-equiv", "")
    both = invoke(["score", "--html-dir", str(out), "--html", str(tmp_path / "x.html"), str(archive)])
    assert both.exit_code == 2 and "--html-dir takes articles as arguments, not --html" in both.stderr
