"""Opinion share by group and period, with bootstrap intervals.

The input is what ``label --documents`` writes (one row per article: ``sentences``, ``opinion_sentences``) or what
``label --sentences`` writes (one row per sentence: ``label``, and ``row``, the article it came from). Per group the
report gives the number of articles and sentences, the opinion share weighted by sentence (opinion sentences over
sentences) and by article (the mean of the articles' shares), and the share of articles whose own share exceeds a
cut-off — each with a percentile bootstrap interval that resamples articles, the unit a newsroom publishes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, OptionError

__all__ = ["PERIODS", "ReportSettings", "articles_of", "compare_groups", "group_shares"]

PERIODS = ("week", "month", "year")
DOCUMENT_COLUMNS = ("sentences", "opinion_sentences")
SENTENCE_COLUMNS = ("label",)
_DRAWS_PER_STEP = 4_000_000  # bootstrap indices drawn at once: bounds memory whatever the group's size


@dataclass(frozen=True)
class ReportSettings:
    """What to group by and how to measure. ``date_column`` defaults to ``date`` when a period is asked for;
    ``article_columns`` name an article in sentence-level input (``label --sentences`` numbers rows in ``row``)."""

    by: tuple[str, ...] = ()
    period: str | None = None
    date_column: str | None = None
    article_columns: tuple[str, ...] = ("row",)
    cutoff: float = 0.5
    resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.period is not None and self.period not in PERIODS:
            raise OptionError(f"unknown period {self.period!r}: use {', '.join(PERIODS)}")
        if not 0 <= self.cutoff <= 1:
            raise OptionError(f"the cut-off must be between 0 and 1, not {self.cutoff}")
        if not 0 < self.confidence < 1:
            raise OptionError(f"the confidence must be between 0 and 1, not {self.confidence}")
        if self.resamples < 1:
            raise OptionError("the number of bootstrap resamples must be at least 1")

    @property
    def dates(self) -> str:
        return self.date_column or "date"

    @property
    def keys(self) -> list[str]:
        """The output's group columns: the period first, then the ``by`` columns."""
        return (["period"] if self.period else []) + list(self.by)


def articles_of(
    table: pd.DataFrame, settings: ReportSettings, *, name: str = "input", notify: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """One row per article with its group columns, ``sentences`` and ``opinion_sentences`` (scored sentences only),
    from document-level or sentence-level ``label`` output. Articles with no scored sentence, and, with a period,
    articles without a readable date, are left out (and counted through ``notify``)."""
    needed = list(settings.by) + ([settings.dates] if settings.period else [])
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise DataError(f"{name}: no column {missing[0]!r} (columns: {_listing(table.columns)})")
    if all(column in table.columns for column in DOCUMENT_COLUMNS):
        articles = table[needed].copy()
        for column in DOCUMENT_COLUMNS:
            articles[column] = _counts(table[column], column, name)
    elif all(column in table.columns for column in SENTENCE_COLUMNS):
        keys = [column for column in settings.article_columns if column in table.columns]
        if not keys:
            raise DataError(f"{name}: sentence rows need the article column {settings.article_columns[0]!r}")
        labels = table["label"].astype("string").fillna("")
        rows = table[list(dict.fromkeys(keys + needed))].copy()
        rows["sentences"] = labels.isin(["fact", "opinion"]).astype(int)
        rows["opinion_sentences"] = (labels == "opinion").astype(int)
        aggregations = {column: "first" for column in needed if column not in keys}
        aggregations |= {"sentences": "sum", "opinion_sentences": "sum"}
        articles = (
            rows.groupby(keys, sort=False, dropna=False)
            .agg(aggregations)
            .reset_index()[needed + list(DOCUMENT_COLUMNS)]
        )
    else:
        raise DataError(
            f"{name}: not the output of label --documents (sentences, opinion_sentences) "
            f"or label --sentences (label, row)"
        )
    empty = articles["sentences"] <= 0
    if empty.any() and notify is not None:
        notify(f"{_articles(int(empty.sum()))} without a scored sentence left out")
    articles = articles[~empty]
    if settings.period:
        articles = articles.assign(period=_periods(articles[settings.dates], settings.period))
        undated = articles["period"].isna()
        if undated.any() and notify is not None:
            notify(f"{_articles(int(undated.sum()))} without a readable {settings.dates!r} left out")
        articles = articles[~undated]
    for column in settings.by:
        articles[column] = articles[column].astype("string").fillna("")
    return articles.reset_index(drop=True)


def group_shares(articles: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    """Per group (period, then the ``by`` columns, in sorted order): articles, sentences, opinion sentences, the
    opinion share by sentence and by article, the share of articles over the cut-off, each with its interval."""
    rows = []
    for key, group in _groups(articles, settings):
        sentences = group["sentences"].to_numpy(dtype=np.float64)
        opinions = group["opinion_sentences"].to_numpy(dtype=np.float64)
        estimates = _Estimates(sentences, opinions, settings.cutoff)
        draws = estimates.resampled(_generator(settings.seed, key), settings.resamples)
        row: dict[str, object] = dict(zip(settings.keys, key, strict=True))
        row |= {"articles": len(group), "sentences": int(sentences.sum()), "opinion_sentences": int(opinions.sum())}
        for measure, value in estimates.values().items():
            low, high = _interval(draws[measure], settings.confidence)
            row |= {measure: value, f"{measure}_low": low, f"{measure}_high": high}
        rows.append(row)
    columns = settings.keys + ["articles", "sentences", "opinion_sentences"]
    columns += [f"{m}{end}" for m in _Estimates.MEASURES for end in ("", "_low", "_high")]
    return pd.DataFrame(rows, columns=columns)


def compare_groups(articles: pd.DataFrame, settings: ReportSettings, first: str, second: str) -> pd.DataFrame:
    """The difference ``first`` − ``second`` of each measure between two groups (named as ``group_name`` names
    them), with a bootstrap interval from resampling each group's articles independently; one row per period
    when a period is asked for."""
    if not settings.by:
        raise OptionError("--compare needs --by: it compares two groups of the --by column(s)")
    names = articles[list(settings.by)].astype(str).agg(" / ".join, axis=1)
    known = sorted(set(names))
    for wanted in (first, second):
        if wanted not in known:
            raise OptionError(f"no group {wanted!r} to compare (groups: {_listing(known)})")
    periods = sorted(set(articles["period"])) if settings.period else [None]
    rows = []
    for period in periods:
        here = articles["period"] == period if period is not None else pd.Series(True, index=articles.index)
        sides = []
        for wanted in (first, second):
            group = articles[here & (names == wanted)]
            estimates = _Estimates(
                group["sentences"].to_numpy(dtype=np.float64),
                group["opinion_sentences"].to_numpy(dtype=np.float64),
                settings.cutoff,
            )
            key = (period, wanted) if period is not None else (wanted,)
            sides.append((estimates, estimates.resampled(_generator(settings.seed, key), settings.resamples)))
        if any(len(estimates.sentences) == 0 for estimates, _ in sides):
            continue
        row: dict[str, object] = {"period": period} if period is not None else {}
        row |= {"group_a": first, "group_b": second, "articles_a": len(sides[0][0].sentences)}
        row["articles_b"] = len(sides[1][0].sentences)
        for measure in _Estimates.MEASURES:
            a, b = (estimates.values()[measure] for estimates, _ in sides)
            low, high = _interval(sides[0][1][measure] - sides[1][1][measure], settings.confidence)
            row |= {f"{measure}_a": a, f"{measure}_b": b}
            row |= {f"{measure}_difference": a - b, f"{measure}_difference_low": low}
            row[f"{measure}_difference_high"] = high
        rows.append(row)
    return pd.DataFrame(rows)


def group_name(row: pd.Series | dict, by: Sequence[str]) -> str:
    """How a group is named in charts and ``--compare``: its ``by`` values joined by " / "."""
    return " / ".join(str(row[column]) for column in by) or "all"


class _Estimates:
    """The three measures of one group's articles, and their bootstrap distributions."""

    MEASURES = ("opinion_share", "article_opinion_share", "articles_over_cutoff")

    def __init__(self, sentences: np.ndarray, opinions: np.ndarray, cutoff: float):
        self.sentences, self.opinions = sentences, opinions
        self.shares = opinions / np.where(sentences > 0, sentences, 1)
        self.over = (self.shares > cutoff).astype(np.float64)

    def values(self) -> dict[str, float]:
        if len(self.sentences) == 0:
            return dict.fromkeys(self.MEASURES, float("nan"))
        return {
            "opinion_share": float(self.opinions.sum()) / float(self.sentences.sum()),
            "article_opinion_share": float(self.shares.mean()),
            "articles_over_cutoff": float(self.over.mean()),
        }

    def resampled(self, rng: np.random.Generator, resamples: int) -> dict[str, np.ndarray]:
        n = len(self.sentences)
        out = {measure: np.empty(resamples) for measure in self.MEASURES}
        if n == 0:
            return {measure: np.full(resamples, np.nan) for measure in self.MEASURES}
        step = max(1, _DRAWS_PER_STEP // n)
        for start in range(0, resamples, step):
            stop = min(resamples, start + step)
            picks = rng.integers(0, n, size=(stop - start, n))
            out["opinion_share"][start:stop] = self.opinions[picks].sum(1) / self.sentences[picks].sum(1)
            out["article_opinion_share"][start:stop] = self.shares[picks].mean(1)
            out["articles_over_cutoff"][start:stop] = self.over[picks].mean(1)
        return out


def _groups(articles: pd.DataFrame, settings: ReportSettings):
    if not settings.keys:
        yield (), articles
        return
    yield from articles.groupby(settings.keys, sort=True, dropna=False)


def _generator(seed: int, key: Sequence[object]) -> np.random.Generator:
    """A generator for one group, from the seed and the group's own name: a group's interval does not change when
    other groups come or go."""
    return np.random.default_rng([seed, zlib.crc32(repr(tuple(str(part) for part in key)).encode("utf-8"))])


def _interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    if np.isnan(draws).all():
        return float("nan"), float("nan")
    low, high = np.nanpercentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def _counts(values: pd.Series, column: str, name: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers != numbers.round())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{name}: row {row + 1}: {column} is {values.iloc[row]!r}, not a count")
    return numbers.astype(np.int64)


def _periods(values: pd.Series, period: str) -> pd.Series:
    dates = pd.to_datetime(values.astype("string"), errors="coerce", utc=True, format="mixed")
    if period == "year":
        labels = dates.dt.strftime("%Y")
    elif period == "month":
        labels = dates.dt.strftime("%Y-%m")
    else:
        calendar = dates.dt.isocalendar()
        labels = calendar["year"].astype("string") + "-W" + calendar["week"].astype("string").str.zfill(2)
    return labels.where(dates.notna(), None)


def _articles(n: int) -> str:
    return f"{n:,} article" + ("" if n == 1 else "s")


def _listing(names) -> str:
    names = [str(name) for name in names]
    return ", ".join(names[:12]) + (f", … ({len(names)} in all)" if len(names) > 12 else "")
