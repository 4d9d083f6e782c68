"""Print the corpus statistics tables that data/README.md carries (a test checks they are current).

python scripts/corpus_stats.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from factopinion.training.datasets import data_files, read_labeled_files  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"


def load() -> pd.DataFrame:
    return read_labeled_files(data_files(DATA))


def tables(frame: pd.DataFrame) -> str:
    """Markdown tables: totals, cases, registers and topics."""
    n = len(frame)
    opinion = int((frame["label"] == "opinion").sum())
    pairs = frame.loc[frame["pair_id"] != "", "pair_id"].nunique()
    lines = [
        f"- sentences: **{n:,}** ({n - opinion:,} fact, {opinion:,} opinion; {opinion / n:.1%} opinion)",
        f"- minimal pairs: **{pairs:,}** ({2 * pairs:,} sentences)",
        f"- topics: **{frame['topic'].nunique()}**, registers: **{frame['register'].nunique()}**",
        f"- words per sentence: median {frame['sentence'].str.split().str.len().median():.0f}, "
        f"range {frame['sentence'].str.split().str.len().min()}–{frame['sentence'].str.split().str.len().max()}",
        "",
        "| label | case | sentences |",
        "|---|---|---:|",
    ]
    for (label, case), count in frame.groupby(["label", "case"]).size().items():
        lines.append(f"| {label} | {case} | {count:,} |")
    lines += ["", "| register | fact | opinion |", "|---|---:|---:|"]
    for register, row in pd.crosstab(frame["register"], frame["label"]).iterrows():
        lines.append(f"| {register} | {row.get('fact', 0):,} | {row.get('opinion', 0):,} |")
    lines += ["", "| topic | fact | opinion |", "|---|---:|---:|"]
    for topic, row in pd.crosstab(frame["topic"], frame["label"]).iterrows():
        lines.append(f"| {topic} | {row.get('fact', 0):,} | {row.get('opinion', 0):,} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(tables(load()), end="")
