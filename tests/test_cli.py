import csv
import io
import json

import pytest
from conftest import invoke

from factopinion.bundled import bundled_data_dir
from factopinion.training.datasets import data_files, read_labeled_files

TEXT = "The council voted 7-2 on Tuesday to close the library. This is a shameful decision. Who benefits?"


def test_score_table():
    result = invoke(["score", TEXT])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["#", "label", "opinion", "sentence"]
    assert lines[1].split()[:2] == ["0", "fact"] and lines[1].endswith("close the library.")
    assert lines[2].split()[:2] == ["1", "opinion"]
    assert lines[-1].startswith("3 sentences: 1 fact, 2 opinion (66.7% opinion")


def test_score_json_schema():
    result = invoke(["score", "--json", TEXT])
    document = json.loads(result.output)
    assert set(document) == {"threshold", "summary", "sentences"}
    assert document["summary"] == {"sentences": 3, "opinion": 2, "fact": 1, "opinion_share": 0.6667}
    for i, s in enumerate(document["sentences"]):
        assert set(s) == {"index", "start", "end", "sentence", "label", "opinion_probability"}
        assert s["index"] == i and TEXT[s["start"] : s["end"]] == s["sentence"]
        assert s["label"] in ("fact", "opinion") and 0 <= s["opinion_probability"] <= 1


def test_score_nl_csv_tsv_agree():
    nl = [json.loads(line) for line in invoke(["score", "--nl", TEXT]).output.splitlines()]
    as_csv = list(csv.DictReader(io.StringIO(invoke(["score", "--csv", TEXT]).output)))
    as_tsv = list(csv.DictReader(io.StringIO(invoke(["score", "--tsv", TEXT]).output), delimiter="\t"))
    assert len(nl) == len(as_csv) == len(as_tsv) == 3
    for a, b, c in zip(nl, as_csv, as_tsv, strict=True):
        assert str(a["start"]) == b["start"] == c["start"]
        assert a["sentence"] == b["sentence"] == c["sentence"]
        assert a["label"] == b["label"] == c["label"]
        assert float(b["opinion_probability"]) == pytest.approx(a["opinion_probability"])


def test_score_reads_stdin_dash_and_file_with_bom(tmp_path):
    from_stdin = invoke(["score", "--json"], input=TEXT).output
    assert invoke(["score", "--json", "-"], input=TEXT).output == from_stdin
    path = tmp_path / "article.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    from_file = invoke(["score", "--json", "--file", str(path)]).output
    assert json.loads(from_file) == json.loads(from_stdin)
    assert invoke(["score", "--json", "--file", "-"], input=TEXT).output == from_stdin


def test_several_arguments_are_one_document():
    document = json.loads(invoke(["score", "--json", "It rained.", "It was awful."]).output)
    assert [s["start"] for s in document["sentences"]] == [0, 12]


def test_threshold():
    low = json.loads(invoke(["score", "--json", "--threshold", "0", TEXT]).output)
    high = json.loads(invoke(["score", "--json", "--threshold", "1", TEXT]).output)
    assert low["summary"]["opinion"] == 3 and low["threshold"] == 0
    assert high["summary"]["opinion"] == sum(s["opinion_probability"] >= 1 for s in high["sentences"])


@pytest.mark.parametrize("value", ["1.5", "-0.1", "half"])
def test_bad_threshold_is_a_usage_error(value):
    result = invoke(["score", "--threshold", value, TEXT])
    assert result.exit_code == 2 and "--threshold" in result.output


def test_model_option_uses_another_model(tmp_path):
    data = tmp_path / "tiny.csv"
    rows = [
        "The sky is lovely.,opinion",
        "The sky is wonderful.,opinion",
        "The grass grew.,fact",
        "The grass died.,fact",
    ]
    data.write_text("sentence,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "tiny-model"
    result = invoke(["train", "--data", str(data), "--out", str(out), "--cv-folds", "0"])
    assert result.exit_code == 0 and "trained on 4 sentences (2 fact, 2 opinion)" in result.output
    document = json.loads(
        # the pipeline's news calibration (temperature 2.25, prior 35% opinion) keeps four sentences' evidence mild
        invoke(
            ["score", "--json", "--model", str(out), "--threshold", "0.35", "The sky is blue. The grass grew."]
        ).output
    )
    assert [s["label"] for s in document["sentences"]] == ["opinion", "fact"]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["score"], "", 1, "Error: no text to score: the input is empty"),
        (["score", "-"], "  \n\n ", 1, "Error: no text to score: the input is empty"),
        (["score"], b"ok \xff", 1, "undecodable byte 0xff at byte offset 3"),
        (["score"], b"\xef\xbb\xbfok \xfe", 1, "undecodable byte 0xfe at byte offset 6"),
        (["score", "--file", "/no/such/file.txt"], None, 2, "does not exist"),
        (["score", "--file", "-", "text"], "x", 2, "not both"),
        (["score", "--json", "--nope"], None, 2, "No such option"),
        (["score", "###"], None, 1, "no sentences to score"),
    ],
)
def test_score_errors_are_one_line(args, stdin, code, message):
    result = invoke(args, input=stdin)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unreadable_and_corrupt_inputs(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    result = invoke(["score", "--file", str(folder)])
    assert result.exit_code == 2 and "is a directory" in result.output
    bad_model = tmp_path / "model.joblib"
    bad_model.write_bytes(b"\x80\x04garbage")
    result = invoke(["score", "--model", str(bad_model), TEXT])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "refusing to unpickle" in result.output
    result = invoke(["score", "--model", str(bad_model), "--trust-model-code", TEXT])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "not a loadable model" in result.output
    assert len(result.output.strip().splitlines()) == 1
    bad_data = tmp_path / "model.json"
    bad_data.write_text('{"format": "factopinion-model", "format_version": 1, "sha256": "00", "model": {}}')
    result = invoke(["score", "--model", str(tmp_path), TEXT])
    assert result.exit_code == 1 and "does not match the SHA-256 it records" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_ten_megabyte_single_line():
    text = "The board met on Monday and approved the plan. " * 213_000
    assert len(text) > 10_000_000
    result = invoke(["score", "--nl"], input=text)
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 213_000


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


@pytest.mark.slow
def test_train_default_data(tmp_path):
    result = invoke(["train", "--out", str(tmp_path / "m"), "--cv-folds", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    assert meta["seed"] == 3 and meta["cross_validation"]["folds"] == 2
    assert any(f["name"] == "seed.csv" for f in meta["training_data"]["files"])
    data = json.loads((tmp_path / "m" / "model.json").read_bytes())
    assert data["format"] == "factopinion-model" and data["model"]["about"]["training_data_sha256"]
    scored = invoke(["score", "--model", str(tmp_path / "m" / "model.json"), "--json", "It rained on Monday."])
    assert scored.exit_code == 0 and json.loads(scored.output)["summary"]["sentences"] == 1


@pytest.mark.slow
def test_train_with_default_data_adds_the_bundled_corpus(tmp_path):
    data = tmp_path / "mine.csv"
    data.write_text("sentence,label\nThe mill reopened on Monday.,fact\nThe mill is a treasure.,opinion\n", "utf-8")
    out = tmp_path / "m"
    invoke(["train", "--data", str(data), "--with-default-data", "--out", str(out), "--cv-folds", "0"])
    assert sorted(p.name for p in out.iterdir()) == ["metadata.json", "model.joblib", "model.json"]
    files = json.loads((out / "metadata.json").read_text())["training_data"]["files"]
    corpus = data_files(bundled_data_dir())
    assert [f["name"] for f in files] == ["mine.csv", *(p.name for p in corpus)]
    assert sum(f["rows"] for f in files) == 2 + len(read_labeled_files(corpus))


def test_train_rejects_one_class_and_one_fold(tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("sentence,label\nA thing happened.,fact\n", encoding="utf-8")
    result = invoke(["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "needs both fact and opinion" in result.output
    result = invoke(["train", "--data", str(data), "--cv-folds", "1"])
    assert result.exit_code == 2 and "--cv-folds" in result.output


@pytest.mark.parametrize(
    ("rows", "folds", "message"),
    [
        (["The sky is blue.,opinion", "The grass grew.,fact"], "5", "5-fold cross-validation needs at least 5"),
        (["Sky blue.,opinion", "Grass grew.,fact"], "0", "too few words occur in at least 2 sentences"),
    ],
)
def test_train_on_too_little_data_is_a_clear_error(tmp_path, rows, folds, message):
    data = tmp_path / "small.csv"
    data.write_text("sentence,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = invoke(["train", "--data", str(data), "--cv-folds", folds, "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_version_and_help():
    assert invoke(["--version"]).output.startswith("factopinion, version ")
    assert "fact or opinion" in invoke(["score", "--help"]).output


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
