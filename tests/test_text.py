import pytest
from hypothesis import given
from hypothesis import strategies as st

from factopinion.text import split_paragraphs, split_sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith went to Washington. He arrived on Monday.",
            ["Mr. Smith went to Washington.", "He arrived on Monday."],
        ),
        ("Dr. Jane Okafor and Prof. Lee spoke. Both agreed.", ["Dr. Jane Okafor and Prof. Lee spoke.", "Both agreed."]),
        ("The U.S. Senate voted 52-48. It passed.", ["The U.S. Senate voted 52-48.", "It passed."]),
        ("Troops left the U.S. The war was over.", ["Troops left the U.S.", "The war was over."]),
        (
            "Inflation rose 3.5% to a 2.75 level. Prices climbed.",
            ["Inflation rose 3.5% to a 2.75 level.", "Prices climbed."],
        ),
        (
            "It cost $4.5 billion, i.e. more than planned. Nobody was surprised.",
            ["It cost $4.5 billion, i.e. more than planned.", "Nobody was surprised."],
        ),
        ("He said, “Stop.” Then he left.", ["He said, “Stop.”", "Then he left."]),
        ("“Is it over?” she asked. No one answered.", ["“Is it over?” she asked.", "No one answered."]),
        (
            "Wait... what happened? It rained… Then it stopped.",
            ["Wait... what happened?", "It rained…", "Then it stopped."],
        ),
        (
            "The book by J. K. Rowling sold well. Critics agreed.",
            ["The book by J. K. Rowling sold well.", "Critics agreed."],
        ),
        (
            "It was ranked No. 1 in the U.K. market. Sales rose.",
            ["It was ranked No. 1 in the U.K. market.", "Sales rose."],
        ),
        ("Really?! Yes. Truly!", ["Really?!", "Yes.", "Truly!"]),
        ("Shares of Acme Inc. rose. The firm gained.", ["Shares of Acme Inc. rose.", "The firm gained."]),
        (
            "The talks ended. (Both sides left.) A deal was near.",
            ["The talks ended.", "(Both sides left.)", "A deal was near."],
        ),
        ("Putin met Xi. (Source: Kremlin)", ["Putin met Xi. (Source: Kremlin)"]),
        ("no capital after this. it continues.", ["no capital after this. it continues."]),
    ],
)
def test_splits_news_prose(text, expected):
    assert texts(text) == expected


def test_headings_and_captions_are_not_sentences():
    text = "NATO and Asia\n\nOn Tuesday, Kishida spoke.\n\nPutin and Xi\nPutin held talks in Beijing with Xi on Monday."
    assert texts(text) == ["On Tuesday, Kishida spoke.", "Putin held talks in Beijing with Xi on Monday."]
    with_headings = [s.text for s in split_sentences(text, headings=True)]
    assert with_headings[0] == "NATO and Asia" and "Putin and Xi" in with_headings


def test_hard_wrapped_lines_stay_one_sentence():
    text = "The city council voted on Tuesday to close two\nbranch libraries from March, officials said."
    assert texts(text) == [text]


def test_paragraphs():
    text = "  First one.\n\n\n Second\nline.\n \n"
    assert [text[s:e] for s, e in split_paragraphs(text)] == ["First one.", "Second\nline."]


PIECES = [*"ab .?!\n“”'\"()…", "\n\n", "U.S.", "Mr.", "3.5", "A", "The ", "Dr. "]


@given(st.lists(st.sampled_from(PIECES), max_size=120).map("".join))
def test_offsets_slice_back_to_the_sentence(text):
    previous_end = 0
    for span in split_sentences(text, headings=True):
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip() and span.text
        assert span.start >= previous_end
        previous_end = span.end


def test_only_whitespace_falls_between_sentences():
    text = "Headline here\n\nOne. Two? Three!\n\nFour “five.” Six… (Seven.) Mr. Eight."
    kept = "".join(s.text for s in split_sentences(text, headings=True))
    assert kept == "".join(text.split()) or "".join(kept.split()) == "".join(text.split())
    assert len(split_sentences(text, headings=True)) == 8


def test_long_single_line_is_linear():
    line = "Mr. Smith met Dr. Jones in the U.S. capital and said it was fine. " * 20_000
    assert len(split_sentences(line)) == 20_000


def test_seed_article_splits_into_the_seed_sentences(seed_article):
    import csv

    from factopinion.bundled import bundled_data_dir

    with open(bundled_data_dir() / "seed.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert texts(seed_article) == [r["sentence"] for r in rows]
