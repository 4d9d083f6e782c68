"""One self-contained HTML page of a scored text: its paragraphs, each opinion sentence shaded by its opinion
probability (facts stay nearly white), a list of the opinion sentences linking to each, and each sentence's number
(as in ``score``'s table), label, probability and cue words (one net contribution per word) on hover or keyboard
focus; Tab moves from one opinion sentence to the next. No scripts, fonts or network requests."""

from __future__ import annotations

import html
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from . import __version__
from .atomic import atomic_output
from .document import Document, ScoredSentence
from .engine.explain import DEFAULT_CUES, WordCue, net_by_word
from .text import Span

__all__ = ["STYLE", "IndexEntry", "render_html", "render_index", "render_view", "save_html", "shade"]

_WHITE = (255, 255, 255)
_COLOURS = {"fact": (76, 120, 168), "opinion": (245, 133, 24)}  # blue and orange, told apart with colour blindness
# The share of the label's colour at the threshold and at probability 0 (fact) or 1 (opinion): opinion is the
# colour a reader looks for, clearly tinted from the threshold on; facts stay quiet, a faint blue at most.
_SHARES = {"fact": (0.0, 0.14), "opinion": (0.3, 0.7)}
_MARK_FROM = 0.1  # a word's net contribution to the log-odds, at least, for it to be marked in the sentence
_EXCERPT = 110  # characters of a sentence shown in the list of opinion sentences


def render_html(document: Document, *, title: str | None = None, cues: int = DEFAULT_CUES) -> str:
    """The page for a scored ``document``. Sentences carry their cue words where the document was explained
    (``explain.explain_document``; explained with every term, ``top=0``, each word's net contribution is exact),
    and the tooltips list the ``cues`` strongest words toward each label (0: all). The title is ``title``, else the
    web page's, else "Scored text"; a document from a web page shows its byline, date and address under it. The
    heading the text opens with is not repeated below a title that says the same."""
    summary = document.summary
    page = document.page
    title = title or (page.title if page is not None else None) or "Scored text"
    headline = _opening_heading(document, title)
    body = "\n".join(_paragraphs(document, cues, skip=headline))
    about = [page.byline and f"By {page.byline}", page.date, page.url] if page is not None else []
    byline = " · ".join(_escape(part) for part in about if part) or "Fact and opinion, sentence by sentence"
    return _PAGE.format(
        title=_escape(title),
        byline=byline,
        version=_escape(__version__),
        css=STYLE,
        summary=_summary(summary, document.threshold),
        legend=_legend(document.threshold),
        opinions=_opinion_list(document),
        body=body,
    )


@dataclass(frozen=True)
class IndexEntry:
    """One article of an index page: its page's file name (relative to the index), title, source path and
    counts."""

    href: str
    title: str
    source: str
    sentences: int
    opinion: int

    @property
    def share(self) -> float:
        return self.opinion / self.sentences if self.sentences else 0.0


def render_index(entries: list[IndexEntry], *, title: str = "Articles by opinion share") -> str:
    """A page listing articles by opinion share, highest first, each linking to its page (``score --html-dir``)."""
    ranked = sorted(entries, key=lambda e: (-e.share, e.source))
    rows = "\n".join(
        f'<tr><td class="num">{e.share:.1%}</td><td class="bar-cell"><span class="share" '
        f'style="width:{e.share * 100:.1f}%"></span></td><td><a href="{_escape(e.href)}">{_escape(e.title)}</a>'
        f'<br><small>{_escape(e.source)}</small></td><td class="num">{e.opinion} of {e.sentences}</td></tr>'
        for e in ranked
    )
    total = sum(e.sentences for e in entries)
    opinion = sum(e.opinion for e in entries)
    return _INDEX.format(
        title=_escape(title),
        version=_escape(__version__),
        css=STYLE + _INDEX_CSS,
        count=len(entries),
        share=f"{opinion / total:.1%}" if total else "0.0%",
        rows=rows,
    )


def _opening_heading(document: Document, title: str) -> Span | None:
    """The heading the text opens with, where it says what the page's title says (so it is shown once)."""
    if document.headline is None or _plain(document.headline) != _plain(title):
        return None
    return document.headings[0]


def _plain(text: str) -> str:
    return " ".join("".join(c for c in text.casefold() if c.isalnum() or c.isspace()).split())


def render_view(document: Document, *, cues: int = DEFAULT_CUES) -> str:
    """What ``render_html`` shows of a scored ``document``, without the page around it (for a page that embeds it,
    styled by ``STYLE``): the counts and opinion share, the legend, the list of opinion sentences and the article,
    sentence by sentence."""
    summary = _summary(document.summary, document.threshold)
    body = "\n".join(_paragraphs(document, cues))
    return (
        f'<div class="view">\n{summary}\n{_legend(document.threshold)}\n{_opinion_list(document)}\n<main>\n{body}'
        "\n</main>\n</div>"
    )


def save_html(page: str, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``page`` to ``path`` atomically (a reader never sees half a page)."""
    with atomic_output(path, overwrite=overwrite) as f:
        f.write(page.encode("utf-8"))


def shade(probability: float, threshold: float = 0.5) -> str:
    """The background colour of a sentence: for opinion (at or above the threshold) a clear orange from the
    threshold on, deepening toward probability 1; for fact white at the threshold, turning only faintly blue
    toward probability 0."""
    if probability >= threshold:
        label = "opinion"
        strength = 1.0 if threshold >= 1 else (probability - threshold) / (1 - threshold)
    else:
        label = "fact"
        strength = (threshold - probability) / threshold
    low, high = _SHARES[label]
    share = low + (high - low) * min(max(strength, 0.0), 1.0)
    colour = _COLOURS[label]
    return "#" + "".join(f"{round(w + (c - w) * share):02x}" for w, c in zip(_WHITE, colour, strict=True))


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _paragraphs(document: Document, cues: int, skip: Span | None = None):
    """Each paragraph of the document's text as HTML: headings as headings (but ``skip``), bylines and datelines as
    such, sentences as shaded spans, and any other text of the paragraph as it is."""
    text = document.text
    items: list[tuple[int, int, str, ScoredSentence | None]] = sorted(
        [(s.start, s.end, "sentence", s) for s in document.sentences]
        + [(h.start, h.end, "heading", None) for h in document.headings if h is not skip]
        + [(b.start, b.end, "byline", None) for b in document.bylines]
        + [(d.start, d.end, "dateline", None) for d in document.datelines],
        key=lambda item: (item[0], item[1]),
    )
    cursor, i = 0, 0
    for p_start, p_end in document.paragraphs:
        start = max(p_start, cursor)
        mine = []
        while i < len(items) and items[i][0] < p_end:
            mine.append(items[i])
            i += 1
        if not mine and skip is not None and (skip.start, skip.end) == (p_start, p_end):
            cursor = p_end
            continue
        if len(mine) == 1 and mine[0][2] in _WHOLE_PARAGRAPH and (mine[0][0], mine[0][1]) == (p_start, p_end):
            yield _WHOLE_PARAGRAPH[mine[0][2]].format(_escape(text[p_start:p_end]))
            cursor = p_end
            continue
        parts = []
        for item_start, item_end, kind, sentence in mine:
            parts.append(_escape(text[start:item_start]))
            if sentence is not None:
                parts.append(_sentence(sentence, document.threshold, cues))
            else:
                parts.append(_IN_PARAGRAPH[kind].format(_escape(text[item_start:item_end])))
            start = max(start, item_end)
        parts.append(_escape(text[start:p_end]))
        cursor = max(start, p_end)
        content = "".join(parts).strip()
        if content:
            yield f"<p>{content}</p>"


# How a unit that is not a sentence is shown: as a paragraph of its own, or within a paragraph.
_WHOLE_PARAGRAPH = {"heading": '<h2 class="heading">{}</h2>', "byline": '<p class="byline">{}</p>'}
_IN_PARAGRAPH = {
    "heading": '<strong class="heading">{}</strong>',
    "byline": '<span class="byline">{}</span>',
    "dateline": '<span class="dateline">{}</span>',
}


def _sentence(s: ScoredSentence, threshold: float, top: int) -> str:
    """A sentence as a shaded span: an opinion sentence is a Tab stop (Tab moves to the next one), a fact sentence
    is focusable by pointer only."""
    words = net_by_word(s.sentence, [cue for items in s.cues.values() for cue in items]) if s.cues else []
    probability = f"{s.opinion_probability:.3f}"
    tab = "0" if s.label == "opinion" else "-1"
    return (
        f'<span class="s {s.label}" id="s-{s.index}" tabindex="{tab}" data-index="{s.index}" data-label="{s.label}" '
        f'data-probability="{probability}" style="background-color:{shade(s.opinion_probability, threshold)}" '
        f'aria-describedby="tip-{s.index}">'
        f'<span class="tip" role="tooltip" id="tip-{s.index}">{_tooltip(s, probability, words, top)}</span>'
        f'<span class="st">{_marked(s.sentence, words)}</span></span>'
    )


def _marked(sentence: str, words: list[WordCue]) -> str:
    """The sentence, escaped, with its words of larger net contribution wrapped in ``cue-opinion``/``cue-fact``
    spans (each word has one net contribution, so one side)."""
    owner: list[str | None] = [None] * len(sentence)
    for word in words:
        if abs(word.contribution) >= _MARK_FROM:
            for start, end in word.spans:
                for i in range(start, min(end, len(sentence))):
                    owner[i] = word.label
    parts: list[str] = []
    pos = 0
    for owned_by, run in groupby(owner):
        length = len(list(run))
        chunk = _escape(sentence[pos : pos + length])
        parts.append(f'<span class="cue cue-{owned_by}">{chunk}</span>' if owned_by else chunk)
        pos += length
    return "".join(parts)


def _tooltip(s: ScoredSentence, probability: str, words: list[WordCue], top: int) -> str:
    lines = [
        f'<span class="tip-number">sentence {s.index}</span> · <strong class="tip-label">{s.label}</strong> · '
        f"opinion probability {probability}"
    ]
    toward = {"opinion": words, "fact": words[::-1]}
    for label in (s.label, "fact" if s.label == "opinion" else "opinion"):
        items = [word for word in toward[label] if word.label == label][: top or None]
        if items:
            shown = ", ".join(_word(word) for word in items)
            lines.append(f'<span class="tip-cues">toward {label}: {shown}</span>')
    return "<br>".join(lines)


def _word(word: WordCue) -> str:
    """A word as a tooltip lists it: the word, its net contribution, and the signals it triggered in plain words."""
    why = [name for name in word.signals if name != word.text]
    reasons = f" ({_escape(', '.join(why))})" if why else ""
    return f"{_escape(word.text)} <small>{word.contribution:+.2f}</small>{reasons}"


def _opinion_list(document: Document) -> str:
    """The opinion sentences, each a link to its place in the text, numbered as in ``score``'s table."""
    opinions = [s for s in document.sentences if s.label == "opinion"]
    if not opinions:
        return '<nav class="opinions"><p>No sentence is labeled opinion.</p></nav>'
    items = "\n".join(
        f'<li><span class="n">{s.index}</span><a href="#s-{s.index}">{_escape(_excerpt(s.sentence))}</a></li>'
        for s in opinions
    )
    state = " open" if len(opinions) <= 12 else ""
    return (
        f'<nav class="opinions" aria-label="opinion sentences"><details{state}><summary accesskey="o">'
        f"{len(opinions)} opinion sentence{'' if len(opinions) == 1 else 's'}</summary>"
        f'<ol class="opinion-list">\n{items}\n</ol></details></nav>'
    )


def _excerpt(sentence: str) -> str:
    text = " ".join(sentence.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1].rsplit(" ", 1)[0] + "…"


def _summary(summary: dict, threshold: float) -> str:
    n, opinion, fact = summary["sentences"], summary["opinion"], summary["fact"]
    share = summary["opinion_share"]
    return (
        f'<div class="summary"><p><strong>{n}</strong> sentence{"" if n == 1 else "s"}: <strong>{fact}</strong> fact, '
        f"<strong>{opinion}</strong> opinion (<strong>{share:.1%}</strong> opinion; threshold {threshold:g})</p>"
        f'<div class="bar" role="img" aria-label="{fact} fact and {opinion} opinion sentences">'
        f'<span class="bar-fact" style="width:{(1 - share) * 100:.2f}%"></span>'
        f'<span class="bar-opinion" style="width:{share * 100:.2f}%"></span></div></div>'
    )


def _legend(threshold: float) -> str:
    stops = ", ".join(shade(p / 10, threshold) for p in range(11))
    return (
        '<div class="legend"><span class="swatch-label">fact</span>'
        f'<span class="scale" style="background:linear-gradient(to right, {stops})" role="img" '
        f'aria-label="shading from faint blue (fact) through white to orange (opinion, from threshold {threshold:g})">'
        '</span><span class="swatch-label">opinion</span>'
        '<span class="legend-note">Orange marks opinion (deeper: more probable) and opinion sentences are '
        "underlined; facts stay nearly white. <strong>Tab</strong> moves from one opinion sentence to the next "
        "(Shift+Tab back), or follow the list's links. Hover over any sentence, or focus it, to see its number (as "
        "in <code>factopinion score</code>'s table), label, probability and the words that moved it: "
        '<span class="cue-opinion cue-key">orange</span> ones toward opinion, '
        '<span class="cue-fact cue-key">blue</span> ones toward fact.</span></div>'
    )


# The page's style sheet; a page that embeds ``render_view`` uses it too.
STYLE = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #555; --fact: rgb(76 120 168); --opinion: rgb(245 133 24); }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 46rem; padding: 1.5rem 1rem 4rem; color: var(--ink); background: #fff;
  font: 1.05rem/1.75 Georgia, "Times New Roman", serif; }
header { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: .95rem;
  border-bottom: 1px solid #ddd; margin-bottom: 1.5rem; padding-bottom: 1rem; }
h1 { font-size: 1.5rem; line-height: 1.3; margin: 0 0 .25rem; }
.subtitle { color: var(--muted); margin: 0 0 .75rem; }
.summary p { margin: 0 0 .4rem; }
.bar { display: flex; height: .9rem; border-radius: .45rem; overflow: hidden; border: 1px solid #bbb; }
.bar-fact { background: #dbe4ee; } .bar-opinion { background: var(--opinion); }
.legend { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem .6rem; margin-top: .8rem; }
.scale { display: inline-block; width: 12rem; height: .9rem; border: 1px solid #bbb; border-radius: .2rem; }
.legend-note { flex-basis: 100%; color: var(--muted); line-height: 1.5; }
.cue-key { font-weight: 700; }
main p { position: relative; margin: 0 0 1.1rem; }
h2.heading { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 1.2rem;
  margin: 2rem 0 .8rem; }
strong.heading { display: block; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.byline { display: block; color: var(--muted); font: italic .95rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto,
  Arial, sans-serif; }
p.byline { margin: 0 0 1.1rem; }
.dateline { font-variant: small-caps; font-weight: 700; color: var(--muted); }
.s { border-radius: .2rem; padding: .1rem 0; box-decoration-break: clone; -webkit-box-decoration-break: clone;
  cursor: help; }
.s.opinion { border-bottom: 2px solid #b65b00; }
.s::before { content: attr(data-index); font: .62rem/1 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #767676; vertical-align: super; margin: 0 .15rem 0 .1rem; }
.s:target { outline: 3px solid #b65b00; outline-offset: 2px; }
.opinions { margin-top: .9rem; }
.opinions summary { cursor: pointer; font-weight: 700; }
.opinion-list { margin: .4rem 0 0; padding-left: 0; list-style: none; max-height: 16rem; overflow-y: auto; }
.opinion-list li { margin: .15rem 0; line-height: 1.4; display: flex; }
.opinion-list a { color: var(--ink); text-decoration-color: #b65b00; }
.opinion-list .n { display: inline-block; min-width: 2.2em; color: #8a3f00; font-variant-numeric: tabular-nums; }
.tip-number { color: var(--muted); }
.s:hover, .s:focus { outline: 2px solid var(--ink); outline-offset: 1px; }
.s:focus-visible { outline: 3px solid #000; }
/* The tooltip sits above the sentence's first line, across the paragraph, so it hides neither the sentence nor
   the text after it: it comes first in the sentence's markup and is placed where it would be inline (the top of
   that line, across the paragraph, which is its positioned ancestor), then moved up by its own height. */
.s { scroll-margin-top: 9rem; }
.tip { display: none; position: absolute; left: 0; right: 0; z-index: 2; transform: translateY(calc(-100% - .35rem));
  padding: .5rem .7rem; background: #fff; color: var(--ink); border: 1px solid #888; border-radius: .35rem;
  box-shadow: 0 .2rem .8rem rgb(0 0 0 / .2); pointer-events: none;
  font: .9rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.s:hover > .tip, .s:focus > .tip { display: inline; }
.tip-label { text-transform: uppercase; letter-spacing: .04em; }
.tip small { color: var(--muted); }
.s:hover .cue-opinion, .s:focus .cue-opinion, .cue-key.cue-opinion { color: #8a3f00;
  text-decoration: underline 2px; }
.s:hover .cue-fact, .s:focus .cue-fact, .cue-key.cue-fact { color: #1f4e79; text-decoration: underline 2px; }
footer { margin-top: 2rem; border-top: 1px solid #ddd; padding-top: .6rem; color: var(--muted);
  font: .85rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  .tip, .legend-note, .opinions { display: none !important; }
  .s { outline: none !important; }
  .s.opinion::after { content: " [opinion " attr(data-probability) "]"; font: 8pt system-ui, Arial, sans-serif;
    color: #8a3f00; }
  main p { break-inside: avoid-page; }
}
@media (prefers-reduced-motion: no-preference) { .s { transition: outline-color .1s; } }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="factopinion {version}">
<title>{title}: fact and opinion</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="subtitle">{byline}</p>
{summary}
{legend}
{opinions}
</header>
<main>
{body}
</main>
<footer>"fact" is a reported, attributable statement (what happened, who said what), not necessarily a true
one; "opinion" is the author's own judgement, recommendation, prediction or rhetorical question. A word's number
is its net contribution to the sentence's log-odds of opinion (a phrase's shared among its words). Made by
factopinion {version}.</footer>
</body>
</html>
"""

_INDEX_CSS = """
table { width: 100%; border-collapse: collapse; font: .95rem/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial,
  sans-serif; }
th, td { text-align: left; padding: .45rem .4rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.bar-cell { width: 18%; } .share { display: block; height: .8rem; margin-top: .25rem; background: var(--opinion);
  border-radius: .2rem; }
td small { color: var(--muted); word-break: break-all; }
@media (max-width: 36rem) { td.bar-cell, th.bar-cell { display: none; } }
"""

_INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="factopinion {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="subtitle">{count} articles, {share} of their sentences opinion; highest opinion share first. Each title
links to the article's page.</p>
</header>
<main>
<table>
<thead><tr><th class="num">opinion</th><th class="bar-cell"></th><th>article</th><th class="num">sentences</th></tr>
</thead>
<tbody>
{rows}
</tbody>
</table>
</main>
<footer>Made by factopinion {version}. "Opinion share": the share of an article's sentences labeled opinion.</footer>
</body>
</html>
"""
