"""A newcomer's first ten minutes (issue 11), through the command line: names given as text, standard input on a
terminal, one overwrite policy, consistent options across commands, format flags, Ctrl-C, plurals, page titles,
delimiters, languages and shell completion."""

from __future__ import annotations

import json
from pathlib import Path

import click.testing
import pytest
from conftest import invoke

ROOT = Path(__file__).resolve().parent.parent
GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, die Bibliothek zu schließen. Die Entscheidung ist eine Schande, "
    "und der Rat sollte sie sofort rückgängig machen, sagen viele Bürger der Stadt."
)
ENGLISH = "The council voted on Tuesday to close the library. The decision is a disgrace and should be reversed."


@pytest.fixture
def terminal(monkeypatch):
    """Make the runner's standard streams (stdin, stdout, stderr) say they are a terminal."""
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)


# -- names given as text ------------------------------------------------------------------------------------------


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


# -- standard input, one sentence, repeated --file -----------------------------------------------------------------


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


# -- languages ------------------------------------------------------------------------------------------------------


def test_score_warns_once_about_text_that_is_not_english():
    result = invoke(["score", "--json", GERMAN])
    assert result.exit_code == 0
    assert result.stderr.count("does not look like English") == 1
    assert invoke(["score", "--json", ENGLISH]).stderr == ""
    chinese = invoke(["score", "--json", "市议会周二投票决定关闭图书馆。这个决定是一种耻辱。"])
    assert "does not look like English" in chinese.stderr


# -- one overwrite policy --------------------------------------------------------------------------------------------


def test_score_html_refuses_to_replace_a_file_without_force(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("mine", "utf-8")
    result = invoke(["score", "--html", str(page), ENGLISH])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {page} already exists (use --force to overwrite it)\n"
    assert page.read_text("utf-8") == "mine"
    assert invoke(["score", "--html", str(page), "--force", ENGLISH]).exit_code == 0
    assert page.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_train_refuses_to_replace_a_model_without_force(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "model.joblib").write_bytes(b"mine")
    result = invoke(["train", "--out", str(out), "--cv-folds", "0"])
    assert result.exit_code == 1
    assert "model.joblib already exists (use --force to overwrite it)" in result.stderr
    assert (out / "model.joblib").read_bytes() == b"mine"


def test_label_refuses_to_replace_an_output_without_force(tmp_path):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("text\nIt rained.\n", "utf-8")
    out.write_text("mine", "utf-8")
    result = invoke(["label", str(source), "-o", str(out)])
    assert result.exit_code == 1 and "already exists (use --force to overwrite it)" in result.stderr
    assert invoke(["label", str(source), "-o", str(out), "--force", "-q"]).exit_code == 0


# -- the same column options in train and evaluate --------------------------------------------------------------------

LABELED = "answer,verdict\n" + "".join(
    f"{s},{v}\n"
    for s, v in [
        ("The council met on Tuesday.", "fact"),
        ("Officials said fares would rise.", "fact"),
        ("This plan is a disgrace.", "opinion"),
        ("The mayor should resign.", "opinion"),
    ]
)


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


# -- format flags, --top 0 and --cues 0 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["score", "--json", "--csv", ENGLISH],
        ["score", "--nl", "--tsv", ENGLISH],
        ["model", "info", "--json", "--table"],
    ],
)
def test_two_format_flags_are_a_usage_error(args):
    result = invoke(args)
    assert result.exit_code == 2 and "choose one output format, not --" in result.stderr


def test_top_0_and_cues_0_both_mean_all():
    info = json.loads(invoke(["model", "info", "--json", "--top", "0"]).stdout)
    assert len(info["strongest"]["opinion"]) + len(info["strongest"]["fact"]) == info["features"]["total"]
    explained = json.loads(invoke(["score", "--json", "--explain", "--cues", "0", ENGLISH]).stdout)
    assert explained["explain"]["cues_per_label"] == "all"
    five = json.loads(invoke(["score", "--json", "--explain", ENGLISH]).stdout)
    assert sum(map(len, explained["sentences"][1]["cues"].values())) > sum(
        map(len, five["sentences"][1]["cues"].values())
    )


# -- Ctrl-C -----------------------------------------------------------------------------------------------------------


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("factopinion.cli.score.get_model", interrupted)
    result = invoke(["score", ENGLISH])
    assert result.exit_code == 130 and "Traceback" not in result.output


# -- one sentence, page titles ----------------------------------------------------------------------------------------


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


# -- shell completion -------------------------------------------------------------------------------------------------


def test_shell_completion_works_and_is_documented():
    script = invoke([], env={"_FACTOPINION_COMPLETE": "bash_source"}, prog_name="factopinion")
    assert "_factopinion_completion" in script.stdout and "complete " in script.stdout
    words = invoke(
        [],
        env={"_FACTOPINION_COMPLETE": "bash_complete", "COMP_WORDS": "factopinion score --ht", "COMP_CWORD": "2"},
        prog_name="factopinion",
    )
    assert words.stdout.split() == ["plain,--html"]
    readme = (ROOT / "README.md").read_text("utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_FACTOPINION_COMPLETE={shell}_source factopinion" in readme


# -- delimiters ----------------------------------------------------------------------------------------------------


def test_a_semicolon_csv_gets_an_error_suggesting_its_delimiter(tmp_path):
    source = tmp_path / "export.csv"
    source.write_text("id;text;score\n1;It rained on Tuesday.;3\n", "utf-8")
    result = invoke(["label", str(source)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {source}: the header is one column, 'id;text;score'; the delimiter seen most in it is ';': "
        "give --delimiter ';'\n"
    )
    fixed = invoke(["label", str(source), "--delimiter", ";", "-q"])
    assert fixed.exit_code == 0 and fixed.stdout.startswith("id;text;score;label;opinion_probability\n")


def test_a_tsv_on_stdin_gets_an_error_suggesting_tab():
    tsv = "id\ttext\n1\tIt rained on Tuesday.\n"
    for args in (["label", "-"], ["label", "-", "--text-column", "text"]):
        result = invoke(args, input=tsv)
        assert result.exit_code == 1
        assert result.stderr.endswith("the delimiter seen most in it is tab: give --delimiter tab\n")
    assert invoke(["label", "-", "--delimiter", "tab", "-q"], input=tsv).exit_code == 0


def test_a_one_column_file_without_other_delimiters_gets_the_usual_error(tmp_path):
    source = tmp_path / "notes.csv"
    source.write_text("notes\nIt rained.\n", "utf-8")
    result = invoke(["label", str(source)])
    assert result.exit_code == 1 and "no text or sentence column; give --text-column, one of: notes" in result.stderr


# -- label's progress ----------------------------------------------------------------------------------------------


def news_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("id,text\n")
        for i in range(rows):
            f.write(
                f'{i},"The mayor said on day {i} that the plan would go ahead, and critics called it a disgrace."\n'
            )
    return path


def test_label_shows_a_bar_with_rows_for_a_file_on_a_terminal(terminal, tmp_path):
    source = news_csv(tmp_path / "news.csv", 50)
    result = invoke(["label", str(source), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.stderr
    assert "labeling" in result.stderr and "100%" in result.stderr and "50 rows" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("factopinion: 50 rows: 50 labeled, 0 empty, ")


def test_label_counts_rows_and_bytes_read_from_a_pipe_on_a_terminal(terminal, tmp_path):
    source = news_csv(tmp_path / "news.csv", 50)
    result = invoke(["label", "-", "-o", str(tmp_path / "out.csv")], input=source.read_bytes())
    assert result.exit_code == 0, result.stderr
    progress = result.stderr.split("\n")[0]
    assert progress.startswith(f"\rlabeling: 50 rows, {source.stat().st_size / 1000:.1f} kB read, ")
    assert "%" not in progress and "eta" not in progress.lower()  # no end to estimate the time left against


def test_label_shows_no_progress_with_quiet_or_off_a_terminal(terminal, tmp_path, monkeypatch):
    source = news_csv(tmp_path / "news.csv", 5)
    assert invoke(["label", "-", "-o", str(tmp_path / "a.csv"), "-q"], input=source.read_bytes()).stderr == ""
    monkeypatch.undo()
    result = invoke(["label", "-", "-o", str(tmp_path / "b.csv")], input=source.read_bytes())
    assert result.stderr.startswith("factopinion: 5 rows: 5 labeled")


def test_progress_follows_the_rows_written_not_the_bytes_read_ahead(tmp_path, model):
    """The time left is estimated from progress: counting bytes as they are read (a megabyte ahead, before any
    row is labeled) made the first estimates far too low."""
    from factopinion.labeling.batch import BatchOptions, label_file
    from factopinion.tables.csvstream import BLOCK_BYTES

    source = news_csv(tmp_path / "news.csv", 30_000)
    calls: list[tuple[int, int]] = []
    options = BatchOptions(chunk_rows=1000, jobs=1)
    label_file(source, tmp_path / "out.csv", model, options, progress=lambda b, r: calls.append((b, r)))
    size = source.stat().st_size
    assert size > 2 * BLOCK_BYTES
    assert sum(b for b, _ in calls) == size and sum(r for _, r in calls) == 30_000
    lines = source.read_bytes().split(b"\n")
    assert calls[0] == (sum(len(line) + 1 for line in lines[1:1001]), 1000)  # the first chunk's rows, exactly
    assert calls[0][0] < BLOCK_BYTES / 10


# -- label and other languages -----------------------------------------------------------------------------------


def test_label_counts_rows_that_are_not_english_and_warns_once(tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text(f'id,text\n1,"{GERMAN}"\n2,"{ENGLISH}"\n3,\n4,"{GERMAN}"\n5,Gut\n', "utf-8")
    result = invoke(["label", str(source), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0
    warning, summary = result.stderr.splitlines()
    assert warning == "factopinion: 2 rows do not look like English: the model is trained on English news only"
    assert summary.startswith("factopinion: 5 rows: 4 labeled, 1 empty, ") and ", 2 not English, " in summary
    quiet = invoke(["label", str(source), "-o", str(tmp_path / "quiet.csv"), "-q"])
    assert quiet.stderr.splitlines() == [warning]  # a warning, not progress: --quiet keeps it
    english = invoke(["label", "-", "-q"], input=f'text\n"{ENGLISH}"\n')
    assert english.stderr == ""


def test_past_the_first_thousand_rows_the_count_is_estimated_from_a_sample(tmp_path, model):
    from factopinion.labeling.batch import LANGUAGE_ALL_ROWS, LANGUAGE_STRIDE, BatchOptions, label_file

    source = tmp_path / "mixed.csv"
    numbers = range(1, 3001)
    with source.open("w", encoding="utf-8") as f:
        f.write("id,text\n")
        for n in numbers:
            f.write(f'{n},"{GERMAN if n % 3 == 0 else ENGLISH}"\n')
    checked = [n for n in numbers if n <= LANGUAGE_ALL_ROWS or n % LANGUAGE_STRIDE == 0]
    expected = round(sum(n % 3 == 0 for n in checked) * 3000 / len(checked))
    for chunk_rows in (100, 4000):
        summary = label_file(source, tmp_path / f"out{chunk_rows}.csv", model, BatchOptions(chunk_rows=chunk_rows))
        assert summary.language_checked == len(checked)
        assert summary.not_english_rows == expected and abs(expected - 1000) < 30
        assert f", about {expected:,} not English, " in summary.line()
        assert summary.not_english_line() == (
            f"about {expected:,} rows do not look like English (from one row in 8 after the first 1,000): "
            "the model is trained on English news only"
        )
