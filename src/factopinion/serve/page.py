"""The web app: one self-contained page (its style and script inline, nothing loaded from elsewhere, so it works
offline) where a person pastes an article, presses one button and sees it scored as ``score --html`` shows it,
with the opinion sentences listed and the result to download as CSV or JSON.

The page's script asks ``POST /v1/view`` for the scored document, its rendering (``html.render_view``, escaped
on the server) and its CSV, and builds the rest with DOM calls that never parse text as HTML. Its
``Content-Security-Policy`` allows that one script, by its hash, and nothing from anywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import html

from .. import __version__
from ..html import STYLE

__all__ = ["CONTENT_SECURITY_POLICY", "render_page"]

_SCRIPT = r"""
"use strict";
const form = document.getElementById("form");
const statusLine = document.getElementById("status");
const result = document.getElementById("result");
const button = document.getElementById("score");
let downloads = {};

function show(message, isError) {
  statusLine.textContent = message;
  statusLine.className = isError ? "error" : "";
}

function download(kind) {
  const item = downloads[kind];
  if (!item) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([item.body], {type: item.type}));
  link.download = "factopinion-scores." + kind;
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

function listOpinions(doc) {
  const list = document.getElementById("opinions");
  list.replaceChildren();
  const opinions = doc.sentences.filter((s) => s.label === "opinion");
  document.getElementById("opinion-count").textContent = String(opinions.length);
  for (const s of opinions) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = "#s-" + s.index;
    link.textContent = s.sentence;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const target = document.getElementById("s-" + s.index);
      target.scrollIntoView({block: "center"});
      target.focus({preventScroll: true});
    });
    const probability = document.createElement("span");
    probability.className = "p";
    probability.textContent = " (" + s.opinion_probability.toFixed(2) + ")";
    item.append(link, probability);
    list.appendChild(item);
  }
  document.getElementById("no-opinions").hidden = opinions.length > 0;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const request = {explain: true, threshold: Number(document.getElementById("threshold").value)};
  const url = document.getElementById("url");
  if (url && url.value.trim()) request.url = url.value.trim();
  else request.text = document.getElementById("text").value;
  button.disabled = true;
  show("Scoring…", false);
  try {
    const response = await fetch("v1/view", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(request),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || ("HTTP " + response.status));
    const view = document.getElementById("view");
    const parsed = new DOMParser().parseFromString(answer.html, "text/html");  // escaped by the server; inert
    view.replaceChildren(...parsed.body.childNodes);
    listOpinions(answer.document);
    downloads = {
      csv: {body: answer.csv, type: "text/csv"},
      json: {body: JSON.stringify(answer.document, null, 2) + "\n", type: "application/json"},
    };
    result.hidden = false;
    const n = answer.document.summary.sentences;
    const warning = response.headers.get("X-Factopinion-Warning");
    show("Scored " + n + " sentence" + (n === 1 ? "" : "s") + "." + (warning ? " Note: " + warning + "." : ""), false);
    document.getElementById("result-heading").focus();
  } catch (error) {
    show(error.message, true);
  } finally {
    button.disabled = false;
  }
});
document.getElementById("download-csv").addEventListener("click", () => download("csv"));
document.getElementById("download-json").addEventListener("click", () => download("json"));
"""

_APP_STYLE = """
form { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; display: grid; gap: .6rem; }
label { font-weight: 600; }
textarea, input { width: 100%; font: inherit; padding: .5rem; border: 1px solid #888; border-radius: .3rem; }
textarea { min-height: 12rem; resize: vertical; font: 1rem/1.5 Georgia, "Times New Roman", serif; }
input#threshold { width: 6rem; }
.row { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; }
button { font: 600 1rem system-ui, sans-serif; padding: .55rem 1.2rem; border-radius: .3rem; border: 1px solid #333;
  background: #1b1b1b; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1b1b1b; }
button:focus-visible, a:focus-visible, textarea:focus-visible, input:focus-visible { outline: 3px solid #b65b00;
  outline-offset: 2px; }
button:disabled { opacity: .6; cursor: progress; }
#status { min-height: 1.5rem; font-family: system-ui, sans-serif; }
#status.error { color: #a00000; font-weight: 600; }
#result h2 { font: 600 1.2rem system-ui, sans-serif; margin: 2rem 0 .6rem; }
#opinions { font-family: system-ui, sans-serif; padding-left: 1.4rem; }
#opinions li { margin: .3rem 0; }
#opinions .p { color: var(--muted); }
.hint { color: var(--muted); font: .9rem/1.5 system-ui, sans-serif; margin: 0; }
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


# Inline styles stay allowed: the scored view shades each sentence with a style attribute.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src {_hash(_SCRIPT)}; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def render_page(*, allow_urls: bool) -> str:
    """The page; with ``allow_urls``, it offers a field for a web address too."""
    url_field = (
        '<label for="url">Or a web address</label>\n'
        '<input id="url" name="url" type="url" placeholder="https://…" autocomplete="url">\n'
        '<p class="hint">The server fetches the page and scores its article.</p>\n'
        if allow_urls
        else ""
    )
    return _PAGE.format(
        style=STYLE + _APP_STYLE,
        script=_SCRIPT,
        url_field=url_field,
        version=html.escape(__version__),
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>factopinion: fact and opinion, sentence by sentence</title>
<link rel="icon" href="data:,">
<style>{style}</style>
</head>
<body>
<header>
<h1>Fact or opinion?</h1>
<p class="subtitle">Paste an article and press <strong>Score</strong>: each sentence is shaded by how likely it is
to be the author's own opinion rather than reported fact.</p>
</header>
<form id="form">
<label for="text">Article text</label>
<textarea id="text" name="text" placeholder="Paste the article here…"></textarea>
{url_field}<div class="row"><label for="threshold">Opinion threshold</label>
<input id="threshold" name="threshold" type="number" min="0" max="1" step="0.05" value="0.5"></div>
<div class="row"><button id="score" type="submit">Score</button></div>
</form>
<noscript><p>This page needs JavaScript; without it, use the API: POST /v1/score.</p></noscript>
<p id="status" role="status" aria-live="polite"></p>
<section id="result" hidden>
<h2 id="result-heading" tabindex="-1">Result</h2>
<div class="row"><button id="download-csv" class="secondary" type="button">Download CSV</button>
<button id="download-json" class="secondary" type="button">Download JSON</button></div>
<div id="view"></div>
<h2>Opinion sentences (<span id="opinion-count">0</span>)</h2>
<p id="no-opinions" class="hint" hidden>None: every sentence reads as reported fact.</p>
<ol id="opinions"></ol>
</section>
<footer>"fact" is a reported, attributable statement (what happened, who said what), not necessarily a true
one; "opinion" is the author's own judgement, recommendation, prediction or rhetorical question. Hover over a
sentence, or move to it with Tab, for its cue words. factopinion {version}; the API is described at
<a href="openapi.json">openapi.json</a>.</footer>
<script>{script}</script>
</body>
</html>
"""
