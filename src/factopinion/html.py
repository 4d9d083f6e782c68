"""One self-contained HTML page of a scored text: its paragraphs, each sentence shaded by its opinion probability,
with its label, probability and cue words on hover or keyboard focus. No scripts, fonts or network requests."""

from __future__ import annotations

import html
from itertools import groupby
from pathlib import Path

from . import __version__
from .atomic import atomic_output
from .document import Cue, Cues, Document, ScoredSentence

__all__ = ["STYLE", "render_html", "render_view", "save_html", "shade"]

_WHITE = (255, 255, 255)
_COLOURS = {"fact": (76, 120, 168), "opinion": (245, 133, 24)}  # blue and orange, told apart with colour blindness
_STRONGEST = 0.5  # the share of the label's colour at probability 0 or 1
_MARK_FROM = 0.1  # cue words move the log-odds at least this much to be marked in the sentence (all are listed)


def render_html(document: Document, *, title: str | None = None) -> str:
    """The page for a scored ``document``. Sentences carry their cue words where the document was explained
    (``explain.explain_document``). The title is ``title``, else the web page's, else "Scored text"; a document
    from a web page shows its byline, date and address under it."""
    summary = document.summary
    body = "\n".join(_paragraphs(document))
    page = document.page
    title = title or (page.title if page is not None else None) or "Scored text"
    about = [page.byline and f"By {page.byline}", page.date, page.url] if page is not None else []
    byline = " · ".join(_escape(part) for part in about if part) or "Fact and opinion, sentence by sentence"
    return _PAGE.format(
        title=_escape(title),
        byline=byline,
        version=_escape(__version__),
        css=STYLE,
        summary=_summary(summary, document.threshold),
        legend=_legend(document.threshold),
        body=body,
    )


def render_view(document: Document) -> str:
    """What ``render_html`` shows of a scored ``document``, without the page around it (for a page that embeds it,
    styled by ``STYLE``): the counts and opinion share, the legend and the article, sentence by sentence."""
    summary = _summary(document.summary, document.threshold)
    body = "\n".join(_paragraphs(document))
    return f'<div class="view">\n{summary}\n{_legend(document.threshold)}\n<main>\n{body}\n</main>\n</div>'


def save_html(page: str, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``page`` to ``path`` atomically (a reader never sees half a page)."""
    with atomic_output(path, overwrite=overwrite) as f:
        f.write(page.encode("utf-8"))


def shade(probability: float, threshold: float = 0.5) -> str:
    """The background colour of a sentence: white at the threshold, deepening toward blue (fact, probability 0)
    or orange (opinion, probability 1)."""
    if probability >= threshold:
        strength = 1.0 if threshold >= 1 else (probability - threshold) / (1 - threshold)
        colour = _COLOURS["opinion"]
    else:
        strength = (threshold - probability) / threshold
        colour = _COLOURS["fact"]
    share = 0.12 + (_STRONGEST - 0.12) * min(max(strength, 0.0), 1.0)
    return "#" + "".join(f"{round(w + (c - w) * share):02x}" for w, c in zip(_WHITE, colour, strict=True))


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _paragraphs(document: Document):
    """Each paragraph of the document's text as HTML: headings as headings, bylines and datelines as such,
    sentences as focusable shaded spans, and any other text of the paragraph as it is."""
    text = document.text
    items: list[tuple[int, int, str, ScoredSentence | None]] = sorted(
        [(s.start, s.end, "sentence", s) for s in document.sentences]
        + [(h.start, h.end, "heading", None) for h in document.headings]
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
        if len(mine) == 1 and mine[0][2] in _WHOLE_PARAGRAPH and (mine[0][0], mine[0][1]) == (p_start, p_end):
            yield _WHOLE_PARAGRAPH[mine[0][2]].format(_escape(text[p_start:p_end]))
            cursor = p_end
            continue
        parts = []
        for item_start, item_end, kind, sentence in mine:
            parts.append(_escape(text[start:item_start]))
            if sentence is not None:
                parts.append(_sentence(sentence, document.threshold))
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


def _sentence(s: ScoredSentence, threshold: float) -> str:
    cues = s.cues or {}
    probability = f"{s.opinion_probability:.3f}"
    return (
        f'<span class="s {s.label}" id="s-{s.index}" tabindex="0" data-index="{s.index}" data-label="{s.label}" '
        f'data-probability="{probability}" style="background-color:{shade(s.opinion_probability, threshold)}" '
        f'aria-describedby="tip-{s.index}">'
        f'<span class="tip" role="tooltip" id="tip-{s.index}">{_tooltip(s, probability, cues)}</span>'
        f'<span class="st">{_marked(s.sentence, cues)}</span></span>'
    )


def _marked(sentence: str, cues: Cues) -> str:
    """The sentence, escaped, with the characters of its stronger cue words wrapped in ``cue-opinion``/``cue-fact``
    spans (where cues overlap, the stronger one wins)."""
    owner: list[str | None] = [None] * len(sentence)
    ranked: list[tuple[str, Cue]] = sorted(
        ((label, cue) for label, items in cues.items() for cue in items if abs(cue.contribution) >= _MARK_FROM),
        key=lambda lc: abs(lc[1].contribution),
    )
    for label, cue in ranked:
        for start, end in cue.spans:
            for i in range(start, min(end, len(sentence))):
                owner[i] = label
    for i, char in enumerate(sentence):  # a space is marked only inside one cue colour, never at a run's edge
        if char.isspace() and owner[i] and not (0 < i < len(sentence) - 1 and owner[i - 1] == owner[i] == owner[i + 1]):
            owner[i] = None
    parts: list[str] = []
    pos = 0
    for owned_by, run in groupby(owner):
        length = len(list(run))
        chunk = _escape(sentence[pos : pos + length])
        parts.append(f'<span class="cue cue-{owned_by}">{chunk}</span>' if owned_by else chunk)
        pos += length
    return "".join(parts)


def _tooltip(s: ScoredSentence, probability: str, cues: Cues) -> str:
    lines = [f'<strong class="tip-label">{s.label}</strong> · opinion probability {probability}']
    for label in (s.label, "fact" if s.label == "opinion" else "opinion"):
        items = cues.get(label)
        if items:
            shown = ", ".join(f"{_escape(cue.display)} <small>{cue.contribution:+.2f}</small>" for cue in items)
            lines.append(f'<span class="tip-cues">toward {label}: {shown}</span>')
    return "<br>".join(lines)


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
        f'aria-label="shading from blue (fact) through white (threshold {threshold:g}) to orange (opinion)"></span>'
        '<span class="swatch-label">opinion</span>'
        '<span class="legend-note">Shade: opinion probability (white at the threshold). Opinion sentences are '
        "also underlined. Hover over a sentence, or move to it with Tab, to see its label, probability and cue "
        'words; in it, <span class="cue-opinion cue-key">orange</span> words push toward opinion and '
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
.bar-fact { background: var(--fact); } .bar-opinion { background: var(--opinion); }
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
  .tip, .legend-note { display: none !important; }
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
</header>
<main>
{body}
</main>
<footer>"fact" is a reported, attributable statement (what happened, who said what), not necessarily a true
one; "opinion" is the author's own judgement, recommendation, prediction or rhetorical question. A cue's number
is its contribution to the sentence's log-odds of opinion. Made by factopinion {version}.</footer>
</body>
</html>
"""
