"""``factopinion evaluate``: the quality figures of a model against a labeled file."""

from __future__ import annotations

import json

import pytest
from helpers import invoke

LABELED = "answer,verdict\n" + "".join(
    f"{s},{v}\n"
    for s, v in [
        ("The council met on Tuesday.", "fact"),
        ("Officials said fares would rise.", "fact"),
        ("This plan is a disgrace.", "opinion"),
        ("The mayor should resign.", "opinion"),
    ]
)


def test_evaluate_reports_metrics(tmp_path):
    path = tmp_path / "gold.csv"
    path.write_text(
        "text,label\n"
        "The council voted 7-2 on Tuesday.,fact\n"
        "Police arrested two men on Friday.,fact\n"
        "This decision is a disgrace.,opinion\n"
        "The mayor should resign at once.,opinion\n",
        encoding="utf-8",
    )
    report = json.loads(invoke(["evaluate", "--json", str(path)]).output)
    assert report["n"] == 4 and report["accuracy"] == 1.0 and report["macro_f1"] == 1.0
    assert report["confusion_matrix"] == {"labels": ["fact", "opinion"], "matrix": [[2, 0], [0, 2]]}
    table = invoke(["evaluate", str(path)]).output
    assert "accuracy  1.000" in table and "macro-F1  1.000" in table


def test_evaluate_reads_checkthat_style_tsv(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text(
        "sentence_id\tsentence\tlabel\tsolved_conflict\n"
        'a1\t"Stop," he said, and the hall fell silent.\tOBJ\tFalse\n'
        "a2\tThis is, frankly, the worst budget in living memory.\tSUBJ\tTrue\n",
        encoding="utf-8",
    )
    report = json.loads(invoke(["evaluate", "--json", str(path)]).output)
    assert report["n"] == 2
    assert report["per_class"]["fact"]["support"] == 1 and report["per_class"]["opinion"]["support"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sentence,verdict\nA.,fact\n", "no label column 'label'; the columns are: sentence, verdict"),
        ("sentence,label\nA.,maybe\n", "unknown label 'maybe'; expected one of fact/opinion, OBJ/SUBJ, 0/1"),
        ("sentence,label\n", "no labeled sentences"),
    ],
)
def test_evaluate_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = invoke(["evaluate", str(path)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_evaluate_reports_calibration_the_threshold_sweep_and_errors(tmp_path, model):
    rows = [("The council met on Tuesday.", "fact"), ("This plan is a disgrace.", "opinion"),
            ("Police said 12 people were detained.", "opinion"), ("What a shameful decision!", "fact")]  # fmt: skip
    path = tmp_path / "gold.csv"
    path.write_text("sentence,label\n" + "".join(f'"{s}",{label}\n' for s, label in rows), encoding="utf-8")
    report = json.loads(invoke(["evaluate", str(path), "--json", "--errors"]).output)
    calibration = report["calibration"]
    assert set(calibration) >= {"auc", "ece", "brier", "base_rate_brier", "threshold_sweep"}
    assert calibration["base_rate_brier"] == pytest.approx(0.25)
    assert [row["threshold"] for row in calibration["threshold_sweep"]] == pytest.approx([i / 10 for i in range(1, 10)])
    wrong = report["errors"]
    probabilities = model.opinion_probability([s for s, _ in rows])
    expected = [i for i, (_, gold) in enumerate(rows) if (probabilities[i] >= 0.5) != (gold == "opinion")]
    assert sorted(e["index"] for e in wrong) == expected
    assert all(e["opinion_probability"] == pytest.approx(probabilities[e["index"]]) for e in wrong)
    confidence = [abs(e["opinion_probability"] - 0.5) for e in wrong]
    assert confidence == sorted(confidence, reverse=True)
    table = invoke(["evaluate", str(path), "--errors", "1"]).output
    assert "AUC" in table and "base rate alone" in table and "macro-F1   " in table
    assert table.count("gold ") == 1


def test_train_and_evaluate_take_text_and_label_columns(tmp_path):
    data = tmp_path / "answers.csv"
    data.write_text(LABELED, "utf-8")
    out = tmp_path / "model"
    columns = ["--text-column", "answer", "--label-column", "verdict"]
    result = invoke(["train", "--data", str(data), *columns, "--out", str(out), "--cv-folds", "0"])
    assert result.exit_code == 0, result.stderr
    assert "trained on 4 sentences (2 fact, 2 opinion)" in result.stderr
    report = json.loads(invoke(["evaluate", str(data), *columns, "--model", str(out), "--json"]).stdout)
    assert report["file"] == str(data) and "accuracy" in report


def test_evaluate_refuses_the_label_column_as_the_text_column(tmp_path):
    data = tmp_path / "labeled.csv"
    data.write_text("sentence,label\nIt rained.,fact\nIt is awful.,opinion\n", "utf-8")
    result = invoke(["evaluate", str(data), "--text-column", "label"])
    assert result.exit_code == 1
    assert "'label' is the label column; give the text column with --text-column" in result.stderr


def test_evaluate_by_a_column(tmp_path, model):
    rows = [("The council met on Tuesday.", "fact", "event"), ("This plan is a disgrace.", "opinion", "verdict"),
            ("Police said 12 people were detained.", "fact", "event"), ("What a shameful decision!", "opinion", "verdict"),
            ("The bridge opens in May.", "fact", "")]  # fmt: skip
    path = tmp_path / "gold.csv"
    path.write_text("sentence,label,kind\n" + "".join(f'"{s}",{g},{k}\n' for s, g, k in rows), encoding="utf-8")
    report = json.loads(invoke(["evaluate", str(path), "--by", "kind", "--json"]).output)
    assert report["by"]["column"] == "kind"
    groups = report["by"]["groups"]
    assert [(g["group"], g["n"], g["gold"]) for g in groups] == [
        ("event", 2, {"fact": 2, "opinion": 0}),
        ("verdict", 2, {"fact": 0, "opinion": 2}),
        ("", 1, {"fact": 1, "opinion": 0}),
    ]
    p = model.opinion_probability([s for s, _, _ in rows])
    right = [int((p[i] >= 0.5) == (gold == "opinion")) for i, (_, gold, _) in enumerate(rows)]
    assert [g["accuracy"] for g in groups] == pytest.approx(
        [(right[0] + right[2]) / 2, (right[1] + right[3]) / 2, right[4]]
    )
    assert groups[1]["mean_opinion_probability"] == pytest.approx((p[1] + p[3]) / 2)
    table = invoke(["evaluate", str(path), "--by", "kind"]).output.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("by kind"))
    assert table[header].split() == "by kind n fact opinion accuracy mean opinion".split()
    assert [line.split()[:4] for line in table[header + 1 : header + 4]] == [
        ["event", "2", "2", "0"],
        ["verdict", "2", "0", "2"],
        ["(empty)", "1", "1", "0"],
    ]
    assert "by kind" not in invoke(["evaluate", str(path)]).output


@pytest.mark.parametrize("column", ["topic", "sentence"])
def test_evaluate_by_a_missing_column_is_a_clear_error(tmp_path, column):
    path = tmp_path / "gold.csv"
    path.write_text("sentence,label,kind\nIt rained.,fact,event\nIt is awful.,opinion,verdict\n", encoding="utf-8")
    result = invoke(["evaluate", str(path), "--by", column])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"no column '{column}' to group by besides the text column; the others are: label, kind" in result.output
