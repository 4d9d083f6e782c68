"""``factopinion score``: text, files, standard input; output formats, thresholds, names given as text, a
terminal on standard input, languages, plurals, page titles, errors as one line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import invoke

TEXT = "The council voted 7-2 on Tuesday to close the library. This is a shameful decision. Who benefits?"


ENGLISH = "The council voted on Tuesday to close the library. The decision is a disgrace and should be reversed."


GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, die Bibliothek zu schließen. Die Entscheidung ist eine Schande, "
    "und der Rat sollte sie sofort rückgängig machen, sagen viele Bürger der Stadt."
)


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


def test_an_existing_file_given_as_text_is_a_usage_error_naming_file(tmp_path, monkeypatch):
    (tmp_path / "news").write_text("It rained.", "utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke(["score", "news"])
    assert result.exit_code == 2
    assert "'news' looks like a file name, not text: use --file news" in result.stderr


@pytest.mark.parametrize("name", ["news.txt", "./story.md", "~/articles/today.html", "C:\\news\\a.txt"])
def test_a_path_given_as_text_is_a_usage_error_even_if_missing(name):
    result = invoke(["score", name])
    assert result.exit_code == 2 and f"use --file {name}" in result.stderr


def test_a_url_given_as_text_suggests_fetching_it():
    result = invoke(["score", "https://example.com/story"])
    assert result.exit_code == 2
    assert "is a web address, not text" in result.stderr
    assert "use --url https://example.com/story" in result.stderr


def test_a_word_or_a_sentence_is_still_text():
    assert invoke(["score", "--json", "Disgraceful"]).exit_code == 0
    assert invoke(["score", "--json", "See news.txt for details."]).exit_code == 0


def test_reading_a_terminal_stdin_says_so_on_stderr(terminal):
    result = invoke(["score", "--json"], input="It rained on Tuesday.")
    assert result.exit_code == 0
    assert result.stderr == "factopinion: reading standard input (end it with Ctrl-D)\n"
    assert json.loads(result.stdout)["summary"]["sentences"] == 1


def test_a_piped_stdin_gets_no_hint():
    assert invoke(["score", "--json"], input="It rained on Tuesday.").stderr == ""


@pytest.mark.parametrize("text", ["Great service", "Terrible food, slow staff"])
def test_a_short_unpunctuated_text_alone_is_a_sentence(text):
    result = invoke(["score", "--json", text])
    assert result.exit_code == 0, result.stderr
    assert [s["sentence"] for s in json.loads(result.stdout)["sentences"]] == [text]


def test_repeated_file_is_refused(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("It rained.", "utf-8")
    b.write_text("It snowed.", "utf-8")
    result = invoke(["score", "-f", str(a), "-f", str(b)])
    assert result.exit_code == 2 and "give --file once" in result.stderr


def test_score_warns_once_about_text_that_is_not_english():
    result = invoke(["score", "--json", GERMAN])
    assert result.exit_code == 0
    assert result.stderr.count("does not look like English") == 1
    assert invoke(["score", "--json", ENGLISH]).stderr == ""
    chinese = invoke(["score", "--json", "市议会周二投票决定关闭图书馆。这个决定是一种耻辱。"])
    assert "does not look like English" in chinese.stderr


def test_score_html_refuses_to_replace_a_file_without_force(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("mine", "utf-8")
    result = invoke(["score", "--html", str(page), ENGLISH])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {page} already exists (use --force to overwrite it)\n"
    assert page.read_text("utf-8") == "mine"
    assert invoke(["score", "--html", str(page), "--force", ENGLISH]).exit_code == 0
    assert page.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_one_sentence_is_singular_in_the_table_and_the_page(tmp_path):
    assert invoke(["score", "It rained on Tuesday."]).stdout.splitlines()[-1].startswith("1 sentence: ")
    page = invoke(["score", "--html", "-", "It rained on Tuesday."]).stdout
    assert "<strong>1</strong> sentence:" in page and "1</strong> sentences" not in page
    result = invoke(["score", "--html", str(tmp_path / "p.html"), "It rained on Tuesday."])
    assert "(1 sentence, " in result.stderr


def test_title_sets_the_page_title_and_needs_html():
    page = invoke(["score", "--html", "-", "--title", "Budget <story>", ENGLISH]).stdout
    assert "<title>Budget &lt;story&gt;: fact and opinion</title>" in page
    result = invoke(["score", "--title", "x", ENGLISH])
    assert result.exit_code == 2 and "--title needs --html" in result.stderr


def test_score_output_writes_the_chosen_format_to_a_file(tmp_path):
    out = tmp_path / "scores.csv"
    result = invoke(["score", "The council met on Tuesday. It should resign.", "--csv", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text("utf-8").startswith("index,start,end,sentence,label,opinion_probability\n0,0,")
    again = invoke(["score", "It rained.", "-o", str(out)])
    assert again.exit_code == 1 and "already exists (use --force" in again.stderr
    assert invoke(["score", "It rained.", "-o", str(out), "--force"]).exit_code == 0
    assert out.read_text("utf-8").startswith("   #  label")


def test_score_encoding_reads_a_file_in_another_encoding(tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("The mayor of Besançon resigned on Monday. It was a disgrace.".encode("latin-1"))
    refused = invoke(["score", "--file", str(latin)])
    assert refused.exit_code == 1 and "is not UTF-8: undecodable byte 0xe7" in refused.stderr
    result = invoke(["score", "--file", str(latin), "--encoding", "latin-1", "--json"])
    assert result.exit_code == 0 and "Besançon" in json.loads(result.stdout)["sentences"][0]["sentence"]
    unknown = invoke(["score", "--file", str(latin), "--encoding", "klingon"])
    assert unknown.exit_code == 1 and "unknown encoding 'klingon'" in unknown.stderr


LONG = (
    "The council said on Tuesday that it would cut the library budget by four percent next year, officials told "
    "reporters. This is a disgrace and the council should resign at once!"
)


def test_on_a_terminal_opinion_rows_are_coloured_and_long_sentences_wrapped_under_their_column(terminal):
    result = invoke(["score", LONG], env={"COLUMNS": "70", "NO_COLOR": ""})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 70 for line in lines if "\x1b" not in line)
    first = lines[1:3]
    assert first[0].startswith("   0  fact") and first[1].startswith(" " * 24) and first[1].strip()
    opinion = [line for line in lines if "\x1b[1;33m" in line]
    assert opinion and all(line.endswith("\x1b[0m") for line in opinion) and "disgrace" in "".join(opinion)
    plain = invoke(["score", LONG], env={"COLUMNS": "70", "NO_COLOR": "1"})
    assert "\x1b" not in plain.stdout and plain.stdout.splitlines()[1:3] == first


def test_piped_output_is_neither_coloured_nor_wrapped():
    result = invoke(["score", LONG], env={"COLUMNS": "70"})
    assert "\x1b" not in result.stdout and any(len(line) > 70 for line in result.stdout.splitlines())
