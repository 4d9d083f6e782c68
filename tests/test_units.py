"""The units of a text that are not sentences (headings, bylines, datelines), short unpunctuated lines, and
``score`` and ``label --sentences`` finding the same sentences."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import invoke

from factopinion.text import segment, split_sentences

WIRE = """Council votes to close two libraries

By Maria Duarte

LONDON, March 3 (Reuters) — The city council voted on Tuesday to close two branch libraries. Critics called the
decision short-sighted.

The mayor said the savings would fund bus routes.
"""


def kinds(text: str) -> dict[str, list[str]]:
    parts = segment(text)
    return {
        "sentences": [s.text for s in parts.sentences],
        "headings": [s.text for s in parts.headings],
        "bylines": [s.text for s in parts.bylines],
        "datelines": [s.text for s in parts.datelines],
    }


def test_a_byline_and_a_dateline_are_their_own_units():
    found = kinds(WIRE)
    assert found["headings"] == ["Council votes to close two libraries"]
    assert found["bylines"] == ["By Maria Duarte"]
    assert found["datelines"] == ["LONDON, March 3 (Reuters) —"]
    assert found["sentences"][0] == "The city council voted on Tuesday to close two branch libraries."
    assert len(found["sentences"]) == 3


@pytest.mark.parametrize(
    ("text", "byline", "dateline", "first"),
    [
        (
            "By Maria Duarte\nLONDON, March 3 (Reuters) — The council met. It voted.",
            "By Maria Duarte",
            "LONDON, March 3 (Reuters) —",
            "The council met.",
        ),
        (
            "Council votes\nBY MARIA DUARTE AND TOM LEE\nWASHINGTON — The council met.",
            "BY MARIA DUARTE AND TOM LEE",
            "WASHINGTON —",
            "The council met.",
        ),
        ("NEW YORK, Jan. 5 (AP) - Shares fell sharply.", None, "NEW YORK, Jan. 5 (AP) -", "Shares fell sharply."),
        ("London (Reuters) -- Prices rose.", None, "London (Reuters) --", "Prices rose."),
        ("By Ana Lima in Lisbon\n\nThe talks ended.", "By Ana Lima in Lisbon", None, "The talks ended."),
        ("By the Associated Press\n\nThe talks ended.", "By the Associated Press", None, "The talks ended."),
    ],
)
def test_bylines_and_datelines(text, byline, dateline, first):
    found = kinds(text)
    assert found["bylines"] == ([byline] if byline else [])
    assert found["datelines"] == ([dateline] if dateline else [])
    assert found["sentences"][0] == first


@pytest.mark.parametrize(
    "text",
    [
        "By the time it ended, everyone had left.",
        "By Tuesday the council had voted to close the library.",
        "Apple (AAPL) — The company's shares fell.",
        "The mayor — Ms. Lee — said no.",
        "By noon\nthe protest had grown to a thousand people.",
    ],
)
def test_sentences_that_only_look_like_bylines_or_datelines_stay_whole(text):
    found = kinds(text)
    assert found["bylines"] == found["datelines"] == [] and found["sentences"] == [text]


def test_two_unpunctuated_lines_are_two_units():
    assert [s.text for s in split_sentences("Great service\nWill come again")] == ["Great service", "Will come again"]
    found = kinds("Great service\nFriendly staff\n\nThe food arrived quickly.")
    assert found["headings"] == ["Great service", "Friendly staff"]
    assert found["sentences"] == ["The food arrived quickly."]


def test_a_text_without_a_sentence_is_its_lines():
    assert [s.text for s in split_sentences("Great service")] == ["Great service"]
    assert [s.text for s in split_sentences("Mayor resigns\n\nFares rise")] == ["Mayor resigns", "Fares rise"]
    assert split_sentences("###\n\n***") == []


def test_hard_wrapped_prose_is_still_one_sentence():
    text = "The council said on Tuesday that it would\nclose the library, officials said"
    assert [s.text for s in split_sentences(text)] == [text]


def test_score_does_not_score_bylines_or_datelines():
    document = json.loads(invoke(["score", "--json", WIRE]).stdout)
    scored = [s["sentence"] for s in document["sentences"]]
    assert scored[0] == "The city council voted on Tuesday to close two branch libraries."
    assert not any("Duarte" in s or "Reuters" in s for s in scored)


def test_the_page_shows_bylines_and_datelines_as_such():
    page = invoke(["score", "--html", "-", WIRE]).stdout
    assert '<p class="byline">By Maria Duarte</p>' in page
    assert '<p><span class="dateline">LONDON, March 3 (Reuters) —</span> <span class="s ' in page
    assert "<title>Council votes to close two libraries: fact and opinion</title>" in page


# -- score and label --sentences agree ----------------------------------------------------------------------------


def label_sentences(text: str) -> list[str]:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["id", "text"], ["1", text]])
    result = invoke(["label", "-", "--sentences", "-q"], input=buffer.getvalue())
    assert result.exit_code == 0, result.stderr
    return [row["sentence"] for row in csv.DictReader(io.StringIO(result.stdout))]


def score_sentences(text: str) -> list[str]:
    return [s["sentence"] for s in json.loads(invoke(["score", "--json", text]).stdout)["sentences"]]


@pytest.mark.parametrize(
    "text", [WIRE, "Great service", "Great service\nWill come again", "Opinion\nIt is a disgrace. Resign!"]
)
def test_score_and_label_sentences_find_the_same_sentences(text):
    assert label_sentences(text) == score_sentences(text)


def test_the_seed_article_has_38_sentences_in_score_and_label(seed_article):
    assert len(label_sentences(seed_article)) == len(score_sentences(seed_article)) == 38


def test_the_page_title_is_the_opening_heading_else_the_file_name(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("It rained on Tuesday.\n\nLater\n\nIt stopped.", "utf-8")
    invoke(["score", "--file", str(story), "--html", str(tmp_path / "a.html")])
    assert "<title>story.txt: fact and opinion</title>" in (tmp_path / "a.html").read_text("utf-8")
    page = invoke(["score", "--html", "-", "It rained on Tuesday."]).stdout
    assert "<title>Scored text: fact and opinion</title>" in page
    page = invoke(["score", "--html", "-", "--title", "Mine", WIRE]).stdout
    assert "<title>Mine: fact and opinion</title>" in page
