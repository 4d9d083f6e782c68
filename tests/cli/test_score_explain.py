"""`factopinion score --explain/--cues` in every output format, and `factopinion model info`."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import invoke

from factopinion import load_model
from factopinion.bundled import bundled_model_dir

TEXT = "The council said on Tuesday that it met. It should resign at once! Will anyone care?"


@pytest.fixture()
def run():
    return lambda *args, input=None: invoke(list(args), input=input)


def test_explain_json_has_cues_toward_each_label(run):
    result = run("score", TEXT, "--explain", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["explain"]["cues_per_label"] == 5
    for row in data["sentences"]:
        assert set(row["cues"]) == {"opinion", "fact"}
        assert all(c["contribution"] > 0 for c in row["cues"]["opinion"])
        assert all(c["contribution"] < 0 for c in row["cues"]["fact"])
        for cue in row["cues"]["opinion"] + row["cues"]["fact"]:
            for start, end in cue["spans"]:
                assert row["sentence"][start:end]
        assert 1 / (1 + 2.718281828459045 ** -row["log_odds"]) == pytest.approx(row["opinion_probability"], abs=1e-5)
    toward_opinion = {cue["term"]: cue["text"] for cue in data["sentences"][1]["cues"]["opinion"]}
    assert toward_opinion["[modal]"] == "should"


def test_cues_limits_the_terms_and_zero_gives_all(run):
    two = json.loads(run("score", TEXT, "--explain", "--cues", "2", "--json").output)
    every = json.loads(run("score", TEXT, "--explain", "--cues", "0", "--json").output)
    assert every["explain"]["cues_per_label"] == "all"
    for few, many in zip(two["sentences"], every["sentences"], strict=True):
        for label in ("opinion", "fact"):
            assert few["cues"][label] == many["cues"][label][:2]
        total = every["explain"]["intercept"] + sum(c["contribution"] for cs in many["cues"].values() for c in cs)
        assert total == pytest.approx(many["log_odds"], abs=1e-4)


def test_explain_nl_has_cues_on_every_line(run):
    result = run("score", TEXT, "--explain", "--nl", "--cues", "3")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 3
    assert all(len(row["cues"]["opinion"]) <= 3 and "log_odds" in row for row in rows)


@pytest.mark.parametrize(("flag", "delimiter"), [("--csv", ","), ("--tsv", "\t")])
def test_explain_csv_and_tsv_have_a_compact_cues_column(run, flag, delimiter):
    result = run("score", TEXT, "--explain", flag)
    rows = list(csv.DictReader(io.StringIO(result.output), delimiter=delimiter))
    assert len(rows) == 3
    assert list(rows[0])[-2:] == ["log_odds", "cues"]
    assert rows[1]["cues"].startswith("opinion: ") and "[modal: should] +" in rows[1]["cues"].split("; fact: ")[0]
    assert "; fact: " in rows[1]["cues"] and "{" not in rows[1]["cues"]


def test_explain_table_has_an_indented_cue_line_under_each_sentence(run):
    lines = run("score", TEXT, "--explain").output.splitlines()
    assert lines[0].split()[:3] == ["#", "label", "opinion"]
    sentence_lines, cue_lines = lines[1:-1:2], lines[2:-1:2]
    assert len(sentence_lines) == len(cue_lines) == 3
    assert all(line.startswith(" " * 24 + "opinion: ") and "; fact: " in line for line in cue_lines)
    assert "[modal: should]" in cue_lines[1]
    assert lines[-1].startswith("3 sentences:")


def test_without_explain_there_are_no_cues(run):
    assert "cues" not in json.loads(run("score", TEXT, "--json").output)["sentences"][0]
    assert "opinion: " not in run("score", TEXT).output


def test_cues_without_explain_or_html_is_a_usage_error(run):
    result = invoke(["score", TEXT, "--cues", "3"])
    assert result.exit_code == 2
    assert "--cues needs --explain or --html" in result.output
    assert "Traceback" not in result.output


def test_cues_must_not_be_negative(run):
    result = invoke(["score", TEXT, "--explain", "--cues", "-1"])
    assert result.exit_code == 2 and "-1 is not in the range x>=0" in result.output


def test_explain_reads_standard_input(run):
    result = run("score", "--explain", "--nl", input="Prices rose 3% in May. That is a scandal.")
    assert [json.loads(line)["index"] for line in result.output.splitlines()] == [0, 1]


def test_model_info_table(run):
    result = run("model", "info", "--top", "3")
    assert result.exit_code == 0
    out = result.output
    assert f"model: {bundled_model_dir()}" in out
    assert "strongest terms toward opinion (coefficient):" in out
    assert "strongest terms toward fact (coefficient):" in out
    opinion_block = out.split("toward opinion (coefficient):\n")[1].split("\n\n")[0].splitlines()
    assert len(opinion_block) == 3 and all(line.split()[0].startswith("+") for line in opinion_block)
    metadata = load_model().metadata
    assert f"trained on {metadata['training_data']['rows']} sentences" in out


def test_model_info_json(run):
    data = json.loads(run("model", "info", "--json", "--top", "4").output)
    assert data["classes"] == ["fact", "opinion"]
    assert len(data["strongest"]["opinion"]) == len(data["strongest"]["fact"]) == 4
    assert data["strongest"]["opinion"][0]["coefficient"] > 0 > data["strongest"]["fact"][0]["coefficient"]
    assert "[question]" in data["features"]["signals"]
    assert data["features"]["total"] == data["features"]["terms"] + len(data["features"]["signals"])
    assert data["metadata"] == load_model().metadata


def test_model_info_with_a_model_path(run, tmp_path):
    load_model().save(tmp_path / "copy")
    data = json.loads(run("model", "info", "--model", str(tmp_path / "copy"), "--json").output)
    assert data["source"] == str(tmp_path / "copy")


def test_model_info_with_a_broken_model_is_a_one_line_error(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"not a model")
    result = invoke(["model", "info", "--model", str(tmp_path), "--trust-model-code"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "not a loadable model" in result.output
    assert len(result.output.strip().splitlines()) == 1
    (tmp_path / "model.json").write_text("{not json")
    result = invoke(["model", "info", "--model", str(tmp_path)])
    assert result.exit_code == 1 and "not a factopinion model file" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_model_info_top_zero_lists_every_term(run):
    report = json.loads(invoke(["model", "info", "--top", "0", "--json"]).output)
    listed = len(report["strongest"]["opinion"]) + len(report["strongest"]["fact"])
    assert listed > 1000 and listed <= report["features"]["total"]
    assert invoke(["model", "info", "--top", "-1"]).exit_code == 2
