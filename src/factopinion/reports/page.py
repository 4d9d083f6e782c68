"""The opinion-share report as one self-contained HTML page: a chart of each group's opinion share (over time
with a period, as lines with their interval band; otherwise as dots with interval whiskers), the comparison if
one was asked for, and the table. Inline SVG and CSS only: no script, font or network request."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from .. import __version__
from .shares import ReportSettings, group_name

__all__ = ["render_report"]

# Okabe–Ito: told apart with the common kinds of colour blindness.
_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000")
_WIDTH, _HEIGHT = 720, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 16, 56


def render_report(
    shares: pd.DataFrame, settings: ReportSettings, *, title: str, comparison: pd.DataFrame | None = None
) -> str:
    """The page for a table made by ``shares.group_shares`` (and, optionally, ``shares.compare_groups``)."""
    level = f"{settings.confidence:.0%}"
    chart = _time_chart(shares, settings) if settings.period else _dot_chart(shares, settings)
    parts = [
        f"<h1>{_e(title)}</h1>",
        "<p class=lead>Opinion share: the share of sentences labeled opinion, by "
        + (f"{_e(settings.period)} and " if settings.period else "")
        + (_e(", ".join(settings.by)) if settings.by else "the whole archive")
        + f". Shaded bands and whiskers are {level} bootstrap intervals (articles resampled "
        f"{settings.resamples:,} times, seed {settings.seed}).</p>",
        f'<figure role="img" aria-label="Opinion share chart">{chart}</figure>',
    ]
    if comparison is not None and len(comparison):
        parts.append(_comparison(comparison, level))
    parts.append(_table(shares, settings, level))
    return _PAGE.format(title=_e(title), body="\n".join(parts), version=_e(__version__), css=_CSS)


def _series(shares: pd.DataFrame, settings: ReportSettings) -> list[tuple[str, pd.DataFrame]]:
    names = shares.apply(lambda row: group_name(row, settings.by), axis=1) if len(shares) else pd.Series([])
    return [(name, shares[names == name]) for name in dict.fromkeys(names)]


def _y(value: float, top: float) -> float:
    return _TOP + (1 - value / top) * (_HEIGHT - _TOP - _BOTTOM)


def _top(shares: pd.DataFrame) -> float:
    """The top of the value axis: the highest interval's end rounded up to a tenth (at least 10%)."""
    highest = shares["opinion_share_high"].max() if len(shares) else 0.0
    highest = 0.0 if highest is None or math.isnan(highest) else float(highest)
    return min(1.0, max(0.1, math.ceil(highest * 10 + 1e-9) / 10))


def _axes(top: float) -> list[str]:
    out = []
    step = 0.1 if top <= 0.5 else 0.2
    for i in range(round(top / step) + 1):
        value = min(top, i * step)
        y = _y(value, top)
        out.append(f'<line class=grid x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class=tick x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor=end>{value:.0%}</text>')
    return out


def _time_chart(shares: pd.DataFrame, settings: ReportSettings) -> str:
    periods = sorted(set(shares["period"]))
    top = _top(shares)
    span = _WIDTH - _LEFT - _RIGHT
    x_of = {p: _LEFT + (span * (i + 0.5) / len(periods)) for i, p in enumerate(periods)}
    out = _axes(top)
    every = max(1, math.ceil(len(periods) / 12))
    for i, period in enumerate(periods):
        if i % every == 0:
            x = x_of[period]
            out.append(
                f'<text class=tick x="{x:.1f}" y="{_HEIGHT - _BOTTOM + 18}" text-anchor=middle>{_e(period)}</text>'
            )
    legend = []
    for n, (name, rows) in enumerate(_series(shares, settings)):
        colour = _PALETTE[n % len(_PALETTE)]
        rows = rows.sort_values("period")
        xs = [x_of[p] for p in rows["period"]]
        high = [_y(v, top) for v in rows["opinion_share_high"]]
        low = [_y(v, top) for v in rows["opinion_share_low"]]
        mid = [_y(v, top) for v in rows["opinion_share"]]
        outline = [*zip(xs, high, strict=True), *reversed(list(zip(xs, low, strict=True)))]
        band = " ".join(f"{x:.1f},{y:.1f}" for x, y in outline)
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, mid, strict=True))
        out.append(f'<polygon class=band points="{band}" fill="{colour}"><title>{_e(name)}</title></polygon>')
        out.append(f'<polyline class=line points="{line}" stroke="{colour}"/>')
        for (_, row), x, y in zip(rows.iterrows(), xs, mid, strict=True):
            tip = f"{name}, {row['period']}: {row['opinion_share']:.1%} ({row['articles']} articles)"
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{_e(tip)}</title></circle>')
        legend.append((name, colour))
    return _svg(out, legend)


def _dot_chart(shares: pd.DataFrame, settings: ReportSettings) -> str:
    series = _series(shares, settings)
    top = _top(shares)
    span = _WIDTH - _LEFT - _RIGHT
    out = _axes(top)
    for n, (name, rows) in enumerate(series):
        row = rows.iloc[0]
        colour = _PALETTE[n % len(_PALETTE)]
        x = _LEFT + span * (n + 0.5) / len(series)
        y, low, high = (_y(row[c], top) for c in ("opinion_share", "opinion_share_low", "opinion_share_high"))
        tip = f"{name}: {row['opinion_share']:.1%} [{row['opinion_share_low']:.1%}, {row['opinion_share_high']:.1%}]"
        out.append(f'<line class=whisker x1="{x:.1f}" x2="{x:.1f}" y1="{low:.1f}" y2="{high:.1f}" stroke="{colour}"/>')
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"><title>{_e(tip)}</title></circle>')
        out.append(
            f'<text class=tick x="{x:.1f}" y="{_HEIGHT - _BOTTOM + 18}" text-anchor=middle>{_e(name[:24])}</text>'
        )
    return _svg(out, [])


def _svg(parts: Sequence[str], legend: Sequence[tuple[str, str]]) -> str:
    keys = "".join(f'<li><span class=key style="background:{colour}"></span>{_e(name)}</li>' for name, colour in legend)
    return (
        f'<svg viewBox="0 0 {_WIDTH} {_HEIGHT}" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>' + (f"<ul class=legend>{keys}</ul>" if keys else "")
    )


def _comparison(comparison: pd.DataFrame, level: str) -> str:
    rows = []
    for _, row in comparison.iterrows():
        when = f"{_e(row['period'])}: " if "period" in row else ""
        rows.append(
            f"<li>{when}{_e(row['group_a'])} {row['opinion_share_a']:.1%} − {_e(row['group_b'])} "
            f"{row['opinion_share_b']:.1%} = <strong>{row['opinion_share_difference']:+.1%}</strong> "
            f"({level} interval {row['opinion_share_difference_low']:+.1%} to "
            f"{row['opinion_share_difference_high']:+.1%})</li>"
        )
    return f"<h2>Comparison</h2><ul class=comparison>{''.join(rows)}</ul>"


def _table(shares: pd.DataFrame, settings: ReportSettings, level: str) -> str:
    head = "".join(f"<th>{_e(k)}</th>" for k in settings.keys)
    head += "<th>articles</th><th>sentences</th>"
    head += f"<th>opinion share ({level} interval)</th><th>by article</th><th>articles over {settings.cutoff:g}</th>"
    body = []
    for _, row in shares.iterrows():
        cells = "".join(f"<td>{_e(row[k])}</td>" for k in settings.keys)
        cells += f"<td class=n>{row['articles']:,}</td><td class=n>{row['sentences']:,}</td>"
        for measure in ("opinion_share", "article_opinion_share", "articles_over_cutoff"):
            cells += (
                f"<td class=n>{row[measure]:.1%} <small>[{row[measure + '_low']:.1%}, "
                f"{row[measure + '_high']:.1%}]</small></td>"
            )
        body.append(f"<tr>{cells}</tr>")
    return f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


_CSS = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 60rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
.lead { color: #444; }
figure { margin: 1rem 0; }
svg { width: 100%; height: auto; display: block; }
.grid { stroke: #ddd; stroke-width: 1; }
.tick { font-size: 14px; fill: #555; }
.band { opacity: .18; stroke: none; }
.line { fill: none; stroke-width: 2.5; }
.whisker { stroke-width: 3; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.key { display: inline-block; width: .9rem; height: .9rem; border-radius: 2px; margin-right: .35rem;
  vertical-align: -.1rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid #e5e5e5; text-align: left; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
small { color: #666; }
footer { margin-top: 2rem; color: #666; font-size: .85rem; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
{body}
</main>
<footer>Made by factopinion {version}. Opinion share is the share of sentences the model labels opinion; it
measures the author's voice, not truth.</footer>
</body>
</html>
"""
