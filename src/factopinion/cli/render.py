"""Rendering every command's results as text: the scored sentences as a table, JSON, newline-delimited JSON, CSV
or TSV; the evaluation report; the model description; the training summary."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from typing import TextIO

from ..document import SCORED_FIELDS, Cues, Document

__all__ = [
    "OUTPUT_FORMATS",
    "format_cues",
    "format_evaluation",
    "format_model_info",
    "format_training",
    "training_warning",
    "page_lines",
    "terminal_safe",
    "write_document",
    "write_rows",
]

OUTPUT_FORMATS = ("table", "json", "nl", "csv", "tsv")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    """``text`` with control characters (ESC and the rest: terminal escape sequences) shown as ``\\x1b`` escapes,
    so data never drives the terminal it is shown on; an undecodable byte of a file name (a lone surrogate, which
    no UTF-8 output can hold) is shown as ``\\xff`` too."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # the byte that Python's surrogateescape decoding stood in for
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


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


def write_document(
    document: Document, fmt: str, out: TextIO, *, width: int | None = None, colour: bool = False
) -> None:
    """Write a scored document in one of ``OUTPUT_FORMATS``. The table's long sentences are wrapped under their
    column to ``width`` characters where it is given (a terminal's), and its opinion rows coloured with
    ``colour``."""
    if fmt == "json":
        out.write(json.dumps(document.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "table":
        out.write(_table(document, width, colour))
        return
    rows = [s.to_dict() for s in document.sentences]
    if fmt != "nl":
        rows = [
            {**row, **({"cues": format_cues(s.cues)} if s.cues is not None else {})}
            for row, s in zip(rows, document.sentences, strict=True)
        ]
    fields = [*SCORED_FIELDS, *(k for k in (rows[0] if rows else {}) if k not in SCORED_FIELDS)]
    write_rows(rows, fields, fmt, out)


def format_cues(cues: Cues) -> str:
    """A one-line form of a sentence's cues: ``opinion: must +1.234, should +0.900; fact: said -0.800``."""
    parts = []
    for label, items in cues.items():
        shown = ", ".join(f"{cue.display} {round(cue.contribution, 6):+.3f}" for cue in items)
        parts.append(f"{label}: {shown or '-'}")
    return "; ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def page_lines(document: Document) -> list[str]:
    """The title and the byline line (byline, date, address) of a document from a web page; none otherwise."""
    page = document.page
    if page is None:
        return []
    lines = [page.title] if page.title else []
    about = " · ".join(part for part in (page.byline and f"by {page.byline}", page.date, page.url) if part)
    return [terminal_safe(line) for line in (*lines, about) if line]


_OPINION_COLOUR = ("\x1b[1;33m", "\x1b[0m")  # bold yellow (orange on most terminals), then reset
_SENTENCE_COLUMN = 24  # where the sentence column starts


def _table(document: Document, width: int | None = None, colour: bool = False) -> str:
    import textwrap

    heading = page_lines(document)
    lines = [*heading, *([""] if heading else []), f"{'#':>4}  {'label':<7}  {'opinion':>7}  sentence"]
    room = max(20, width - _SENTENCE_COLUMN) if width else None
    for s in document.sentences:
        text = terminal_safe(" ".join(s.sentence.split()))
        parts = textwrap.wrap(text, room, break_on_hyphens=False) or [""] if room else [text]
        row = f"{s.index:>4}  {s.label:<7}  {s.opinion_probability:>7.3f}  {parts[0]}"
        row += "".join(f"\n{'':>{_SENTENCE_COLUMN}}{part}" for part in parts[1:])
        if colour and s.label == "opinion":
            row = "\n".join(f"{_OPINION_COLOUR[0]}{line}{_OPINION_COLOUR[1]}" for line in row.split("\n"))
        lines.append(row)
        if s.cues is not None:
            lines.append(f"{'':>24}{terminal_safe(format_cues(s.cues))}")
    summary = document.summary
    lines.append(
        f"{_plural(summary['sentences'], 'sentence')}: {summary['fact']} fact, {summary['opinion']} opinion "
        f"({summary['opinion_share']:.1%} opinion, threshold {document.threshold:g})"
    )
    return "\n".join(lines) + "\n"


def format_evaluation(report: dict) -> str:
    """``evaluate``'s report as readable text."""
    lines = [
        f"{terminal_safe(report['file'])}: {report['n']} sentences, threshold {report['threshold']:g}",
        f"accuracy  {report['accuracy']:.3f}",
        f"macro-F1  {report['macro_f1']:.3f}",
        "",
        f"{'':<9}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}",
    ]
    for label, m in report["per_class"].items():
        lines.append(f"{label:<9}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9}")
    (ff, fo), (of, oo) = report["confusion_matrix"]["matrix"]
    lines += [
        "",
        "confusion (rows gold, columns predicted)",
        f"{'':<9}{'fact':>8}{'opinion':>9}",
        f"{'fact':<9}{ff:>8}{fo:>9}",
        f"{'opinion':<9}{of:>8}{oo:>9}",
    ]
    calibration = report.get("calibration")
    if calibration:
        lines += [
            "",
            f"AUC       {calibration['auc']:.3f}",
            f"ECE       {calibration['ece']:.3f}  (10 bins)",
            f"Brier     {calibration['brier']:.3f}  (the base rate alone: {calibration['base_rate_brier']:.3f})",
            f"opinion   {calibration['predicted_opinion_share']:.1%} predicted, "
            f"{calibration['gold_opinion_share']:.1%} gold",
            "",
            "threshold  " + " ".join(f"{row['threshold']:>5.1f}" for row in calibration["threshold_sweep"]),
            "macro-F1   " + " ".join(f"{row['macro_f1']:>5.3f}" for row in calibration["threshold_sweep"]),
        ]
    if "by" in report:
        groups = [(terminal_safe(str(g["group"])) or "(empty)", g) for g in report["by"]["groups"]]
        width = max(len(name) for name, _ in [(f"by {terminal_safe(report['by']['column'])}", None), *groups])
        lines += ["", f"{'by ' + terminal_safe(report['by']['column']):<{width}}{'n':>7}{'fact':>7}{'opinion':>9}"
                  f"{'accuracy':>10}{'mean opinion':>14}"]  # fmt: skip
        lines += [
            f"{name:<{width}}{g['n']:>7}{g['gold']['fact']:>7}{g['gold']['opinion']:>9}{g['accuracy']:>10.3f}"
            f"{g['mean_opinion_probability']:>14.3f}"
            for name, g in groups
        ]
    if "errors" in report:
        lines += ["", f"misclassified ({len(report['errors'])} shown, most confidently wrong first):"]
        lines += [
            f"  {e['opinion_probability']:.3f}  gold {e['gold']:<7}  {terminal_safe(' '.join(e['sentence'].split()))}"
            for e in report["errors"]
        ]
    return "\n".join(lines) + "\n"


SMALL_TRAINING_SET = 500  # sentences: below this, a trained model's figures are mostly noise
ONE_SIDED = 0.15  # a label with less than this share of the sentences


def training_warning(metadata: dict) -> str | None:
    """A one-line warning where the training data is small or one-sided, else None."""
    data = metadata["training_data"]
    n, counts = data["rows"], data["class_counts"]
    smaller = min(counts["fact"], counts["opinion"])
    problems = []
    if n < SMALL_TRAINING_SET:
        problems.append(f"only {n:,} sentences")
    if n and smaller / n < ONE_SIDED:
        problems.append(f"one-sided ({counts['fact']:,} fact, {counts['opinion']:,} opinion)")
    if not problems:
        return None
    return (
        f"warning: {' and '.join(problems)}: the model will not generalise and the figures below are mostly noise; "
        "add your sentences to the bundled ones with --with-default-data"
    )


def format_training(metadata: dict, out: str) -> str:
    """``train``'s one-line summary of what it trained on and where it saved the model."""
    data = metadata["training_data"]
    counts = data["class_counts"]
    line = f"trained on {data['rows']} sentences ({counts['fact']} fact, {counts['opinion']} opinion)"
    if "cross_validation" in metadata:
        cv = metadata["cross_validation"]
        line += f"; {cv['folds']}-fold cross-validation: accuracy {cv['accuracy']:.3f}, macro-F1 {cv['macro_f1']:.3f}"
    return f"{line}; saved to {out}"


def _get(mapping: object, *keys: str) -> object:
    """``mapping[k1][k2]...``, or None where any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def format_model_info(report: dict) -> str:
    """``Model.describe``'s report as readable text; metadata of an unexpected shape shows as unknown."""
    meta = report["metadata"]
    lines = [f"model: {terminal_safe(report['source'])}"]
    versions = [
        f"{name} {_get(meta, key)}"
        for name, key in (("factopinion", "factopinion_version"), ("scikit-learn", "sklearn_version"))
        if _get(meta, key) is not None
    ]
    if _get(meta, "seed") is not None:
        versions.append(f"seed {_get(meta, 'seed')}")
    if versions:
        lines.append(terminal_safe("built with " + ", ".join(versions)))
    data = _get(meta, "training_data")
    if isinstance(data, dict):
        files = data["files"] if isinstance(data.get("files"), list) else []
        lines.append(
            f"trained on {_get(data, 'rows') or '?'} sentences ({_get(data, 'class_counts', 'fact') or '?'} fact, "
            f"{_get(data, 'class_counts', 'opinion') or '?'} opinion) from {_plural(len(files), 'file')}"
        )
    folds, accuracy, f1 = (_get(meta, "cross_validation", k) for k in ("folds", "accuracy", "macro_f1"))
    if isinstance(accuracy, float | int) and isinstance(f1, float | int):
        lines.append(f"{folds}-fold cross-validation: accuracy {accuracy:.3f}, macro-F1 {f1:.3f}")
    features = report["features"]
    signals = ", ".join(features["signals"]) or "none"
    lines.append(f"features: {features['terms']} terms, stylistic signals: {signals}")
    lines.append(f"intercept (log-odds of opinion before any term): {report['intercept']:+.3f}")
    for label in ("opinion", "fact"):
        lines.append(f"\nstrongest terms toward {label} (coefficient):")
        lines.extend(
            f"  {item['coefficient']:+8.3f}  {terminal_safe(item['term'])}" for item in report["strongest"][label]
        )
    return "\n".join(lines) + "\n"
