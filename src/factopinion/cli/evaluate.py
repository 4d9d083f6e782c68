"""``factopinion evaluate``: a model's quality against a labeled file."""

from __future__ import annotations

from pathlib import Path

import click

from .core import Command
from .options import get_model, label_column_option, model_options, output_options, quoting_option, text_column_option


@click.command(cls=Command)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@text_column_option
@label_column_option
@quoting_option
@model_options
@click.option(
    "--errors",
    type=click.IntRange(min=0),
    is_flag=False,
    flag_value=0,
    default=None,
    help="List the misclassified sentences with their probabilities, most confidently wrong first "
    "(--errors N: the first N; bare --errors: all).",
)
@click.option(
    "--by",
    metavar="COLUMN",
    help="Also report accuracy for each value of this column (a kind, topic or source column, say).",
)
@output_options("table", "json")
def evaluate(file, text_column, label_column, quoting, model_path, trust_model_code, threshold, fmt, errors, by):
    """Score a labeled CSV/TSV file and report accuracy, precision, recall, F1, the confusion matrix, calibration
    (AUC, ECE, Brier against the base-rate Brier) and macro-F1 at thresholds 0.1 to 0.9.

    Label values fact/opinion, OBJ/SUBJ and 0/1 are understood; CheckThat! TSV files are read as they are.

    Example: factopinion evaluate gold.csv --by topic --errors 20
    """
    from ..document import json_text, label_for
    from ..errors import DataError
    from ..training.datasets import read_labeled
    from ..training.evaluation import by_group, classification_report, misclassified, probability_report
    from .render import format_evaluation

    frame = read_labeled(file, text_column=text_column, label_column=label_column, quoting=quoting)
    if frame.empty:
        raise DataError(f"{file}: no labeled sentences")
    if by is not None and (by not in frame.columns or by == "sentence"):
        others = ", ".join(str(c) for c in frame.columns if c != "sentence")
        raise DataError(f"{file}: no column {by!r} to group by besides the text column; the others are: {others}")
    sentences, gold = frame["sentence"].tolist(), frame["label"].tolist()
    probabilities = get_model(model_path, trust_model_code).opinion_probability(sentences)
    predicted = [label_for(p, threshold) for p in probabilities]
    report = {"file": str(file), "threshold": threshold, **classification_report(gold, predicted)}
    report["calibration"] = probability_report(gold, probabilities, threshold)
    if by is not None:
        report["by"] = {"column": by, "groups": by_group(frame[by].tolist(), gold, probabilities, threshold)}
    if errors is not None:
        report["errors"] = misclassified(sentences, gold, probabilities, threshold)[: errors or None]
    click.echo(json_text(report, indent=2) + "\n" if fmt == "json" else format_evaluation(report), nl=False)
