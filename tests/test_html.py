"""The HTML page of a scored text (`score --html`), read with the standard library's HTML parser."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from helpers import SEED_ARTICLE, invoke

from factopinion import load_model
from factopinion.engine.explain import explain, explain_document, net_by_word
from factopinion.html import render_html, save_html, shade

ARTICLE = """Council votes on budget

The council said on Tuesday that it would cut the library budget by 4%. "We had no choice," the mayor told reporters.

Opinion
This is a disgrace. The council should resign at once! Who will stand up for readers?
"""
HOSTILE = """<script>alert("x")</script> The mayor said "no" & left.

It's <b>outrageous</b> & the 'plan' must go; </span></p><img src=x onerror=alert(1)> Isn't it?
"""


class PageReader(HTMLParser):
    """Collects the sentence elements (``.s``) with their attributes, visible text (``.st``) and tooltip text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sentences: list[dict] = []
        self.tags: list[str] = []
        self.stack: list[tuple[str, str]] = []  # (tag, role in the page)
        self.headings: list[str] = []
        self.text: list[str] = []  # the article's visible text, tooltips left out

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        classes = (attrs.get("class") or "").split()
        role = next((r for r in ("s", "st", "tip", "heading") if r in classes), "")
        if role == "s":
            self.sentences.append({**attrs, "text": "", "tip": ""})
        self.stack.append((tag, role))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        roles = [role for _, role in self.stack]
        if "st" in roles:
            self.sentences[-1]["text"] += data
        if "tip" in roles:
            self.sentences[-1]["tip"] += data
        elif "heading" in roles:
            self.headings.append(data)
        if "main" in [tag for tag, _ in self.stack] and "tip" not in roles:
            self.text.append(data)


def read(page: str) -> PageReader:
    reader = PageReader()
    reader.feed(page)
    reader.close()
    return reader


@pytest.fixture(scope="module")
def model():
    return load_model(notify=lambda message: None)


def page_for(model, text: str, top: int = 5) -> tuple[str, object]:
    document = explain_document(model, model.score(text), top)
    return render_html(document, title='A <test> & "title"'), document


def test_every_sentence_is_present_with_its_label_and_probability(model):
    page, document = page_for(model, ARTICLE)
    reader = read(page)
    assert len(reader.sentences) == len(document.sentences) == 5
    for element, sentence in zip(reader.sentences, document.sentences, strict=True):
        assert element["data-label"] == sentence.label
        assert element["class"] == f"s {sentence.label}"
        assert float(element["data-probability"]) == pytest.approx(sentence.opinion_probability, abs=5e-4)
        assert element["text"] == sentence.sentence
        assert element["tabindex"] == ("0" if sentence.label == "opinion" else "-1")  # Tab: the next opinion
        assert element["aria-describedby"] == f"tip-{sentence.index}"
        assert element["id"] == f"s-{sentence.index}" and element["data-index"] == str(sentence.index)
        assert element["tip"].startswith(
            f"sentence {sentence.index} · {sentence.label} · opinion probability {sentence.opinion_probability:.3f}"
        )
        assert element["style"] == f"background-color:{shade(sentence.opinion_probability)}"


def test_tooltips_list_the_cue_words_strongest_label_first_with_plain_signal_names(model):
    page, document = page_for(model, ARTICLE, top=0)
    reader = read(page)
    resign = next(e for e in reader.sentences if "resign" in e["text"])
    assert resign["data-label"] == "opinion"
    toward_opinion = resign["tip"].index("toward opinion: ")
    assert toward_opinion < resign["tip"].index("should ") < resign["tip"].index("toward fact:")
    # the word carries its signals: "should +1.16 (should/must, author's voice, recommending word)"
    assert re.search(r"should \+\d\.\d\d \([^)]*recommending word\)", resign["tip"])
    said = reader.sentences[0]
    assert said["data-label"] == "fact"
    toward_fact = said["tip"].split("toward fact: ")[1].split("toward opinion: ")[0]
    assert toward_fact.startswith("said -") and "(attribution word)" in toward_fact
    assert "[" not in page.split("<main>")[1].split("</main>")[0]  # no bracketed feature names: plain words


def test_each_word_has_one_net_contribution_on_one_side(model):
    page, document = page_for(model, ARTICLE, top=0)
    for element in read(page).sentences:
        tip = re.sub(r" \([^)]*\)", "", element["tip"])  # the signals' plain names after a word
        sides = [part.split(": ", 1)[1] for part in tip.split("toward ")[1:]]
        words = [re.sub(r" [+-]\d+\.\d\d.*", "", item) for side in sides for item in side.split(", ")]
        assert len(words) == len(set(words)), words  # no word on both sides, nor twice on one
    explanation = explain(model, [document.sentences[3].sentence])[0]
    nets = net_by_word(explanation.sentence, explanation.terms)
    assert sum(w.contribution for w in nets) == pytest.approx(explanation.log_odds - explanation.intercept)
    assert len({w.text.lower() for w in nets}) == len(nets)


def test_a_list_of_the_opinion_sentences_links_to_each(model):
    page, document = page_for(model, ARTICLE)
    opinions = [s for s in document.sentences if s.label == "opinion"]
    assert len(opinions) >= 2
    listed = re.findall(r'<li><span class="n">(\d+)</span><a href="#s-(\d+)">([^<]*)</a></li>', page)
    assert [(int(n), int(target)) for n, target, _ in listed] == [(s.index, s.index) for s in opinions]
    assert all(text.startswith(s.sentence[:20]) for (_, _, text), s in zip(listed, opinions, strict=True))
    assert f"{len(opinions)} opinion sentences</summary>" in page
    none = render_html(model.score("The council met on Tuesday."))
    assert "No sentence is labeled opinion." in none


def test_the_headline_is_shown_once(model):
    document = explain_document(model, model.score(ARTICLE), 0)
    page = render_html(document, title="Council votes on budget")
    assert page.count("Council votes on budget") == 2  # <title> and <h1>, not again as the first heading
    assert "<h1>Council votes on budget</h1>" in page and '<h2 class="heading">' not in page
    assert read(page).headings == ["Opinion"]
    other = render_html(document, title="Budget cuts")
    assert '<h2 class="heading">Council votes on budget</h2>' in other


def test_cue_words_are_marked_inside_the_sentence(model):
    page, _ = page_for(model, "The council should resign.")
    assert '<span class="cue cue-opinion">should</span>' in page


def test_headings_and_paragraphs_are_kept_and_no_text_is_lost(model):
    page, _ = page_for(model, ARTICLE)
    reader = read(page)
    assert '<h2 class="heading">Council votes on budget</h2>' in page
    assert reader.headings == ["Council votes on budget", "Opinion"]
    assert page.count("<p>") == 3
    assert " ".join("".join(reader.text).split()) == " ".join(ARTICLE.split())


def test_all_text_is_escaped(model):
    page, document = page_for(model, HOSTILE)
    reader = read(page)
    assert reader.tags.count("script") == 0 and "img" not in reader.tags and "b" not in reader.tags
    assert "<script>" not in page and "onerror=alert(1)>" not in page
    assert [e["text"] for e in reader.sentences] == [s.sentence for s in document.sentences]
    assert "A &lt;test&gt; &amp; &quot;title&quot;" in page
    assert " ".join("".join(reader.text).split()) == " ".join(HOSTILE.split())


def test_the_page_is_self_contained(model):
    page, _ = page_for(model, ARTICLE)
    lowered = page.lower()
    for needle in ("http:", "https:", "//", "<script", "<link", "@import", "url(", "src=", "@font-face"):
        assert needle not in lowered.replace("<!doctype html>", ""), needle
    assert '<meta charset="utf-8">' in page and '<html lang="en">' in page


def test_the_summary_bar_and_legend(model):
    page, document = page_for(model, ARTICLE)
    summary = document.summary
    share = summary["opinion_share"]
    assert f"<strong>{summary['sentences']}</strong> sentences" in page
    assert f"<strong>{share:.1%}</strong> opinion" in page
    assert f'class="bar-opinion" style="width:{share * 100:.2f}%"' in page
    assert 'class="legend"' in page and "linear-gradient(to right, " in page
    assert "@media print" in page and ":focus" in page


def test_shade_makes_opinion_the_stronger_colour_and_keeps_facts_quiet():
    def whiteness(colour: str) -> int:
        return sum(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    assert whiteness(shade(0.5)) > whiteness(shade(0.7)) > whiteness(shade(1.0))
    assert whiteness(shade(0.49)) > whiteness(shade(0.3)) > whiteness(shade(0.0))
    # the palest opinion (at the threshold) is more coloured than the deepest fact (probability 0)
    assert whiteness(shade(0.5)) < whiteness(shade(0.0)) - 40
    assert whiteness(shade(0.0)) > 3 * 255 - 100 and whiteness(shade(0.49)) > 3 * 255 - 5
    assert shade(0.8, threshold=0.8) == shade(0.5)
    assert shade(1.0, threshold=1.0) == shade(1.0) and shade(0.0, threshold=0.0) == shade(0.5)
    assert re.fullmatch(r"#[0-9a-f]{6}", shade(0.123))


def test_a_document_without_cues_still_renders(model):
    document = model.score("It should resign.")
    reader = read(render_html(document))
    assert (
        reader.sentences[0]["tip"]
        == f"sentence 0 · opinion · opinion probability {document.sentences[0].opinion_probability:.3f}"
    )


def test_save_html_is_atomic_and_readable(tmp_path):
    target = tmp_path / "page.html"
    save_html("<p>é</p>", target)
    assert target.read_text("utf-8") == "<p>é</p>"
    assert target.stat().st_mode & 0o444 == 0o444 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


# The command line ------------------------------------------------------------------------------------------------


def test_score_html_writes_the_page_and_leaves_stdout_empty(tmp_path, model):
    source = tmp_path / "story.txt"
    source.write_text(ARTICLE, "utf-8")
    before = source.read_bytes()
    out = tmp_path / "story.html"
    result = invoke(["score", "--file", str(source), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    opinion = model.score(ARTICLE).opinion_count
    assert result.stderr == f"factopinion: wrote {out} (5 sentences, {opinion} opinion)\n"
    reader = read(out.read_text("utf-8"))
    assert len(reader.sentences) == 5
    assert "<title>Council votes on budget: fact and opinion</title>" in out.read_text("utf-8")  # its headline
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.html", "story.txt"]


def test_score_html_dash_writes_the_page_to_stdout():
    result = invoke(["score", "--html", "-", "--cues", "2"], input=ARTICLE)
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.rstrip().endswith("</html>")
    reader = read(result.stdout)
    assert len(reader.sentences) == 5
    assert "<title>Council votes on budget: fact and opinion</title>" in result.stdout
    for tip in (e["tip"] for e in reader.sentences if "toward" in e["tip"]):  # at most two cues toward each label
        for part in tip.split("toward ")[1:]:
            assert len(re.findall(r"[+-]\d+\.\d\d", part)) <= 2, tip


def test_score_html_with_an_explicit_format_writes_both(tmp_path):
    out = tmp_path / "page.html"
    result = invoke(["score", "It should resign.", "--html", str(out), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["sentences"][0]["cues"]["opinion"]
    assert out.is_file()


def test_score_html_dash_with_a_format_is_a_usage_error():
    result = invoke(["score", "It should resign.", "--html", "-", "--nl"])
    assert result.exit_code == 2
    assert "--html - writes the page to standard output: give it a file name, or drop --nl" in result.output


def test_score_html_will_not_overwrite_the_input(tmp_path):
    source = tmp_path / "story.txt"
    source.write_text(ARTICLE, "utf-8")
    result = invoke(["score", "--file", str(source), "--html", str(source)])
    assert result.exit_code == 2 and "Invalid value for --html: that is the input file" in result.output
    assert source.read_text("utf-8") == ARTICLE


def test_score_html_into_a_missing_folder_is_a_one_line_error(tmp_path):
    target = tmp_path / "missing" / "page.html"
    result = invoke(["score", "It should resign.", "--html", str(target)])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {target}: No such file or directory\n"


@pytest.mark.skipif(not SEED_ARTICLE.is_file(), reason=f"{SEED_ARTICLE} is not on this machine")
def test_the_seed_article_page(tmp_path):
    out = tmp_path / "seed.html"
    result = invoke(["score", "--file", str(SEED_ARTICLE), "--html", str(out)])
    assert result.exit_code == 0
    page = out.read_text("utf-8")
    reader = read(page)
    assert reader.headings == ["Vladimir Putin and Xi Jinping", "NATO and Asia", "Strategic Alliance"]
    alliance = page.index('<h2 class="heading">Strategic Alliance</h2>')
    after = read(page[alliance:]).sentences
    # probabilities calibrated for news (a prior of 35% opinion) leave some hedged opinion sentences just under 0.5
    # (0.40-0.48: "Or are we too late?", "This could create a balance of power..."), so: most of them, and every
    # one above the news section's mean (below)
    assert after and sum(e["data-label"] == "opinion" for e in after) > len(after) / 2
    before = read(page[:alliance]).sentences
    assert sum(e["data-label"] == "fact" for e in before) >= 0.9 * len(before)
    assert min(float(e["data-probability"]) for e in after) > sum(float(e["data-probability"]) for e in before) / len(
        before
    )


def test_marked_cue_words_never_start_or_end_with_a_space(model):
    page, _ = page_for(model, ARTICLE)
    marked = re.findall(r'<span class="cue cue-(?:opinion|fact)">(.*?)</span>', page)
    assert marked and all(text == text.strip() for text in marked)
