"""Writing results as a table, JSON, newline-delimited JSON, CSV or TSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from .explain import format_cues
from .model import Document

__all__ = ["FORMATS", "write_document", "write_rows", "SENTENCE_FIELDS"]

FORMATS = ("table", "json", "nl", "csv", "tsv")
SENTENCE_FIELDS = ("index", "start", "end", "sentence", "label", "opinion_probability")


def write_rows(rows: Iterable[dict], fields: Iterable[str], fmt: str, out: TextIO) -> None:
    """Write dict rows as newline-delimited JSON, CSV or TSV."""
    fields = list(fields)
    if fmt == "nl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(
        out, fields, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)


def write_document(document: Document, fmt: str, out: TextIO) -> None:
    """Write a scored document in one of ``FORMATS``."""
    if fmt == "json":
        out.write(json.dumps(document.to_dict(), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "table":
        out.write(_table(document))
    else:
        rows = document.to_dict()["sentences"]
        fields = [*SENTENCE_FIELDS, *(k for k in (rows[0] if rows else {}) if k not in SENTENCE_FIELDS)]
        if fmt != "nl":
            rows = [{k: format_cues(v) if k == "cues" else _flat(v) for k, v in row.items()} for row in rows]
        write_rows(rows, fields, fmt, out)


def _flat(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def _table(document: Document) -> str:
    lines = [f"{'#':>4}  {'label':<7}  {'opinion':>7}  sentence"]
    for s in document.sentences:
        lines.append(f"{s.index:>4}  {s.label:<7}  {s.opinion_probability:>7.3f}  {' '.join(s.sentence.split())}")
        if "cues" in s.extras:
            lines.append(f"{'':>24}{format_cues(s.extras['cues'])}")
    summary = document.summary
    lines.append(
        f"{summary['sentences']} sentences: {summary['fact']} fact, {summary['opinion']} opinion "
        f"({summary['opinion_share']:.1%} opinion, threshold {document.threshold:g})"
    )
    return "\n".join(lines) + "\n"
