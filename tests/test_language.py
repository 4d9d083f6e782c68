"""Language identification (language.py): English decided without py3langid where function words or the model's
vocabulary say so, other languages still asked of py3langid."""

from __future__ import annotations

import py3langid.langid
import pytest

from factopinion.bundled import load_model
from factopinion.language import identify

KNOWN = load_model().as_data().words
HEADLINES = [  # English, short of function words
    "Antidepressant prescriptions reached 86 million items last year.",
    "Supermarkets cut farmgate milk price by 2p a litre again",
]
FOREIGN = {
    "es": "El gobierno anunció nuevas medidas para la economía del país este martes.",
    "de": "Die Regierung hat am Dienstag neue Maßnahmen für die Wirtschaft angekündigt.",
    "nl": "De regering heeft dinsdag nieuwe maatregelen voor de economie aangekondigd.",
}


@pytest.fixture
def asked(monkeypatch):
    """The texts py3langid is asked about."""
    texts: list[str] = []
    classify = py3langid.langid.classify

    def recording(text):
        texts.append(text)
        return classify(text)

    monkeypatch.setattr(py3langid.langid, "classify", recording)
    return texts


def test_an_english_headline_the_vocabulary_knows_does_not_ask_py3langid(asked):
    for headline in HEADLINES:
        assert identify(headline, KNOWN) == "en"
    assert asked == []
    for headline in HEADLINES:  # without the vocabulary, only py3langid can tell
        identify(headline)
    assert len(asked) == len(HEADLINES)


def test_other_languages_are_still_asked_of_py3langid_with_the_vocabulary(asked):
    for code, sentence in FOREIGN.items():
        assert identify(sentence, KNOWN) == code
    assert len(asked) == len(FOREIGN)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The minister said “the plan is reckless” – and it’s a disgrace… «really», critics said\u00a0today.", "en"),
        ("Министр заявил во вторник, что план правительства будет пересмотрен в следующем году.", "ru"),
        ("The minister said on Tuesday that «Москва» would be the venue of the next summit of the bloc.", "en"),
    ],
)
def test_typography_is_not_a_script_but_letters_beyond_latin_are(text, code):
    """Quotation marks, dashes, ellipses and no-break spaces do not make English text look non-Latin; Cyrillic
    letters do, unless they are a small part of the text."""
    assert identify(text, KNOWN) == code


def test_identify_counted_gives_identifys_answers_from_counts_made_elsewhere():
    from factopinion.language import _function_words, identify_counted

    texts = [
        *HEADLINES,
        *FOREIGN.values(),
        "",
        "Gut",
        "The council said the plan would go ahead, and that it was the best of the options.",
        "Le gouvernement a annoncé que le plan est le meilleur pour le pays et pour la ville.",
        "Совет сказал, что the plan of the city is the best of all the plans and it is done.",
        "the " * 6_000 + FOREIGN["de"] * 10,
    ]
    counts = [_function_words(text)[:2] for text in texts]
    words, english = [n for n, _ in counts], [e for _, e in counts]
    expected = [identify(text, KNOWN) for text in texts]
    assert identify_counted(texts, words, english, KNOWN) == expected
    assert identify_counted(texts, [-1] * len(texts), [-1] * len(texts), KNOWN) == expected  # not counted
    assert {"en", "de", "unknown", ""} <= set(expected)
