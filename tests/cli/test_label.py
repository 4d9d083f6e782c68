"""The ``label`` command through Click's CliRunner: every option, TSV, stdin/stdout and every error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import ROWS, FakeTerminal, invoke, read_csv, write_csv

from factopinion.bundled import bundled_model_dir, load_model
from factopinion.cli.progress import batch_progress

ARTICLES = ROWS[:5]  # a header and four rows: a fact, opinions, an empty cell, quotes and newlines


@pytest.fixture
def articles(tmp_path) -> Path:
    return write_csv(tmp_path / "articles.csv", ARTICLES)


def run(*args: str, input: bytes | str | None = None):
    return invoke(["label", *args], input=input)


def test_labels_every_row_to_stdout_keeping_every_cell(articles):
    result = run(str(articles))
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout)
    assert rows[0] == [*ARTICLES[0], "label", "opinion_probability", "language"]
    assert [row[:4] for row in rows] == ARTICLES
    labels = [row[4] for row in rows[1:]]
    assert labels == ["fact", "opinion", "", "fact"]
    assert rows[3][5] == ""  # the empty text keeps its row, unlabeled
    assert float(rows[2][5]) >= 0.5 > float(rows[1][5])
    assert "4 rows: 3 labeled, 1 empty, 33.3% opinion" in result.stderr


def test_output_file_and_existing_output(articles, tmp_path):
    out = tmp_path / "out.csv"
    assert run(str(articles), "-o", str(out)).exit_code == 0
    first = out.read_bytes()
    assert read_csv(first.decode())[1][:4] == ARTICLES[1]
    out.write_text("keep me")
    result = run(str(articles), "-o", str(out))
    assert result.exit_code == 1
    assert "already exists (use --force" in result.stderr
    assert out.read_text() == "keep me"
    assert run(str(articles), "-o", str(out), "--force").exit_code == 0
    assert out.read_bytes() == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_output_equal_to_input_is_refused_even_with_force(articles, tmp_path):
    before = articles.read_bytes()
    for target in (str(articles), str(tmp_path / "." / "articles.csv")):
        result = run(str(articles), "-o", target, "--force")
        assert result.exit_code == 1
        assert "over the input file" in result.stderr
    assert articles.read_bytes() == before


def test_text_column_choice_and_errors(tmp_path):
    path = write_csv(tmp_path / "answers.csv", [["id", "answer", "sentence"], ["1", "It is awful.", "x"]])
    model = load_model()
    result = run(str(path))  # no text column: sentence is used
    assert result.exit_code == 0
    assert float(read_csv(result.stdout)[1][4]) == pytest.approx(model.opinion_probability(["x"])[0], abs=1e-6)
    result = run(str(path), "--text-column", "answer")
    awful = model.opinion_probability(["It is awful."])[0]
    assert float(read_csv(result.stdout)[1][4]) == pytest.approx(awful, abs=1e-6)
    result = run(str(path), "--text-column", "missing")
    assert result.exit_code == 1
    assert "no column 'missing'; the columns are: id, answer, sentence" in result.stderr
    other = write_csv(tmp_path / "other.csv", [["id", "answer"], ["1", "x"]])
    result = run(str(other))
    assert result.exit_code == 1
    assert "give --text-column, one of: id, answer" in result.stderr
    assert "Traceback" not in result.output


def test_sentences_one_row_per_sentence(articles):
    result = run(str(articles), "--sentences")
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout)
    assert rows[0] == [
        "id",
        "score",
        "note",  # every input column but the text: the sentence and its row number stand in for it
        "row",
        "sentence_index",
        "start",
        "end",
        "sentence",
        "label",
        "opinion_probability",
        "language",
    ]
    body = rows[1:]
    assert [r[3] for r in body] == ["1", "2", "2", "3", "4"]
    assert [r[4] for r in body] == ["0", "0", "1", "", "0"]
    for row in body:
        if row[4]:
            assert ARTICLES[int(row[3])][1][int(row[5]) : int(row[6])] == row[7]
            assert row[8] in ("fact", "opinion")
    assert body[3][4:] == ["", "", "", "", "", "", ""]  # the empty cell keeps its row
    assert [r[:3] for r in body] == [[a[0], *a[2:]] for a in (ARTICLES[i] for i in (1, 2, 2, 3, 4))]
    assert "4 rows, 4 sentences: 3 labeled, 1 empty" in result.stderr


def test_sentences_keep_the_text_column_when_asked(articles):
    result = run(str(articles), "--sentences", "--keep", "id,text,score,note")
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout)
    assert rows[0][:4] == ARTICLES[0]
    assert [r[:4] for r in rows[1:]] == [ARTICLES[1], ARTICLES[2], ARTICLES[2], ARTICLES[3], ARTICLES[4]]
    for row in rows[1:]:
        if row[5]:
            assert row[1][int(row[6]) : int(row[7])] == row[8]
            assert row[9] in ("fact", "opinion")


def test_column_names_and_conflicts(tmp_path, articles):
    result = run(str(articles), "--column", "label=verdict", "--column", "opinion_probability=p")
    assert read_csv(result.stdout)[0] == [*ARTICLES[0], "verdict", "p", "language"]
    result = run(str(articles), "--column", "nope=x")
    assert result.exit_code == 2
    assert "the added columns are: label, opinion_probability" in result.stderr
    result = run(str(articles), "--column", "label")
    assert result.exit_code == 2 and "FIELD=NAME" in result.stderr
    result = run(str(articles), "--column", "label=note")
    assert result.exit_code == 1
    assert "already has a column 'note'" in result.stderr and "--replace-columns" in result.stderr
    result = run(str(articles), "--column", "label=x", "--column", "opinion_probability=x")
    assert result.exit_code == 2 and "both be named 'x'" in result.stderr
    result = run(str(articles), "--column", "row=r")  # a --sentences column, without --sentences: the same error
    assert result.exit_code == 2 and "without --sentences" in result.stderr
    result = run(str(articles), "--sentences", "--column", "row=r")
    assert result.exit_code == 0 and read_csv(result.stdout)[0][len(ARTICLES[0]) - 1] == "r"  # the text left out
    result = run(str(articles), "--sentences")  # text column named 'text': no conflict
    assert result.exit_code == 0
    sentences = write_csv(tmp_path / "s.csv", [["sentence"], ["It rained. We loved it!"]])
    result = run(str(sentences), "--sentences")  # the text column is not written: no conflict either
    assert result.exit_code == 0 and read_csv(result.stdout)[0][0] == "row"
    result = run(str(sentences), "--sentences", "--keep", "sentence")
    assert result.exit_code == 1 and "already has a column 'sentence'" in result.stderr


def test_replace_columns_overwrites_in_place(tmp_path):
    path = write_csv(tmp_path / "old.csv", [["text", "label", "n"], ["It is awful, truly.", "old", "007"]])
    result = run(str(path), "--replace-columns")
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout)
    assert rows[0] == ["text", "label", "n", "opinion_probability", "language"]
    assert rows[1][0] == "It is awful, truly." and rows[1][1] == "opinion" and rows[1][2] == "007"


def test_threshold_and_model(articles):
    low = read_csv(run(str(articles), "--threshold", "0").stdout)
    high = read_csv(run(str(articles), "--threshold", "1").stdout)
    assert {r[4] for r in low[1:] if r[1]} == {"opinion"}
    assert {r[4] for r in high[1:] if r[1]} == {"fact"}
    result = run(str(articles), "--model", str(bundled_model_dir()))
    assert result.exit_code == 0
    assert result.stdout == run(str(articles)).stdout
    assert run(str(articles), "--threshold", "2").exit_code == 2


def test_tsv_by_extension_delimiter_option_and_stdin_stdout(tmp_path):
    rows = [["id", "text"], ["1", 'He said, "fine"\tthen left.'], ["2", "We must act now!"]]
    tsv = write_csv(tmp_path / "a.tsv", rows, delimiter="\t")
    result = run(str(tsv))
    assert result.exit_code == 0, result.output
    out = read_csv(result.stdout, "\t")
    assert [r[:2] for r in out] == rows and out[0][2:] == ["label", "opinion_probability", "language"]
    data = tsv.read_bytes()
    piped = run("-", "--delimiter", "tab", input=data)
    assert piped.exit_code == 0 and piped.stdout == result.stdout
    semi = write_csv(tmp_path / "a.txt", rows, delimiter=";")
    result = run(str(semi), "--delimiter", ";")
    assert [r[:2] for r in read_csv(result.stdout, ";")] == rows
    assert run("-", input=b"").exit_code == 1
    assert "standard input is empty" in run("-", input=b"").stderr
    result = run(str(semi), "--delimiter", ";;")
    assert result.exit_code == 2 and "one character" in result.stderr


def test_checkthat_style_tsv_with_literal_quotes(tmp_path):
    path = tmp_path / "checkthat.tsv"
    path.write_bytes(b'sentence_id\tsentence\tlabel\n1\t"Hello," he said, "it is over."\tSUBJ\n2\tIt rained.\tOBJ\n')
    result = run(str(path), "--column", "label=predicted")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].startswith('1\t"Hello," he said, "it is over."\tSUBJ\t')
    assert len(lines) == 3


def test_max_cell_bounds_the_cells_read(tmp_path):
    """A cell over --max-cell characters is a bad row: the run stops naming its line and the option, or with
    --skip-bad-rows goes on without it; the default is ``FIELD_LIMIT`` (1 Mi), the size that keeps memory bounded."""
    from factopinion.tables.csvstream import FIELD_LIMIT

    source = tmp_path / "in.csv"
    long = "The council met. " * 10  # 170 characters
    write_csv(source, [["id", "text"], ["1", "It rained."], ["2", long], ["3", "We should go."]])
    stopped = run(str(source), "--max-cell", "100")
    assert stopped.exit_code == 1
    assert stopped.stderr.strip().splitlines() == [
        f"Error: {source}: line 3: a cell over the --max-cell limit of 100 characters"
    ]
    skipped = run(str(source), "--max-cell", "100", "--skip-bad-rows")
    assert skipped.exit_code == 0, skipped.stderr
    assert [row[0] for row in read_csv(skipped.stdout)[1:]] == ["1", "3"]
    assert "skipped 1 bad row at line 3 (a cell over the --max-cell limit of 100 characters)" in skipped.stderr
    whole = run(str(source), "--max-cell", "170")
    assert whole.exit_code == 0 and [row[0] for row in read_csv(whole.stdout)[1:]] == ["1", "2", "3"]
    assert FIELD_LIMIT == 1 << 20 and "Default 1,048,576:" in " ".join(run("--help").stdout.split())
    assert run(str(source), "--max-cell", "0").exit_code == 2
    from factopinion.errors import OptionError
    from factopinion.labeling.batch import BatchOptions

    with pytest.raises(OptionError, match="max_cell must be at least 1"):
        BatchOptions(max_cell=0)


def test_encoding_and_bom(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,city\nLe maire a dit lundi qu'il partira.,Besançon\n".encode("latin-1"))
    result = run(str(latin))
    assert result.exit_code == 1
    assert "line 2: undecodable byte 0xe7 (not utf-8; see --encoding)" in result.stderr
    out = tmp_path / "out.csv"
    result = run(str(latin), "--encoding", "latin-1", "-o", str(out), "--score-any-language")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(
        b"text,city,label,opinion_probability,language\nLe maire a dit lundi qu'il partira.,Besan\xe7on,"
    )
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbftext\nIt rained.\n")
    result = invoke(["label", str(bom)])
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbftext,label,opinion_probability,language\nIt rained.,")
    assert run(str(bom), "--encoding", "klingon").exit_code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'text,n\n"unclosed,1\nmore,2\n', "line 2: unbalanced quote"),
        (b"text,n\nok,1\ntoo,many,fields\n", "line 3: 3 fields where the header has 2"),
        (b'text,n\nok,1\n"a"b,2\n', "line 3: malformed quoting"),
        (b"text,n\nok,1\n\xff,2\n", "line 3: undecodable byte 0xff"),
        (b"", "is empty: there is no header row"),
    ],
)
def test_malformed_input_stops_with_one_line_and_leaves_no_output(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    out = tmp_path / "out.csv"
    result = run(str(path), "-o", str(out))
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no temporary file either
    assert path.read_bytes() == content


def test_skip_bad_rows_counts_a_record_over_several_lines_as_one_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b'text,n\nIt rained.,1\n"a long\nquoted\ncell",2,extra\nWe should go.,4\n')
    result = run(str(path), "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert "skipped 1 bad row at lines 3-5 (3 fields where the header has 2)" in result.stderr


def test_skip_bad_rows_reports_count_and_lines(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b'text,n\nIt rained.,1\ntoo,many,fields\n"a"b,2\n\xff,3\nWe should go.,4\n"tail,5\n')
    result = run(str(path), "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert "skipped 4 bad rows at lines 3, 4, 5, 7" in result.stderr
    rows = read_csv(result.stdout)
    assert [r[:2] for r in rows] == [["text", "n"], ["It rained.", "1"], ["We should go.", "4"]]
    assert "2 rows: 2 labeled" in result.stderr


def test_blank_lines_and_one_column_files(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"text,n\nIt rained.,1\n\nWe should go.,2\n")
    result = run(str(path))
    assert [r[:2] for r in read_csv(result.stdout)[1:]] == [["It rained.", "1"], ["We should go.", "2"]]
    assert "1 blank lines dropped" in result.stderr
    one = tmp_path / "one.csv"
    one.write_bytes(b"text\nIt rained.\n\nWe should go.\n")
    rows = read_csv(run(str(one)).stdout)
    assert [r[0] for r in rows] == ["text", "It rained.", "", "We should go."]  # a blank line is an empty cell
    assert rows[2][1:] == ["", "", ""]


def test_header_only_and_no_final_line_break(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"id,text")
    result = run(str(path))
    assert result.exit_code == 0 and result.stdout == "id,text,label,opinion_probability,language\n"
    assert "0 rows" in result.stderr
    path.write_bytes(b"id,text\r\n1,It rained.")
    written = run(str(path)).stdout_bytes  # (CliRunner's .stdout turns \r\n into \n)
    assert re.fullmatch(
        rb"id,text,label,opinion_probability,language\r\n1,It rained\.,(fact|opinion),[01]\.\d{6},unknown\r\n", written
    )


def test_jobs_1_and_2_give_identical_bytes(tmp_path):
    rows = [["id", "text"]] + [[str(i), f"Sentence {i} said the mayor. It is awful!" * (i % 3)] for i in range(300)]
    path = write_csv(tmp_path / "many.csv", rows)
    outputs = {}
    for jobs in ("1", "2"):
        for mode in ((), ("--sentences",)):
            result = run(str(path), "--jobs", jobs, "--chunk-size", "7", *mode)
            assert result.exit_code == 0, result.output
            outputs[jobs, mode] = result.stdout_bytes
    assert outputs["1", ()] == outputs["2", ()]
    assert outputs["1", ("--sentences",)] == outputs["2", ("--sentences",)]
    assert len(read_csv(outputs["2", ()].decode())) == 301
    assert run(str(path), "--jobs", "0").exit_code == 2


def test_quiet_silences_the_summary(articles):
    result = run(str(articles), "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    assert "rows" in run(str(articles)).stderr


def test_progress_bar_only_on_a_terminal(articles, monkeypatch):
    with batch_progress(articles, quiet=False) as progress:
        assert progress is None  # the test's stderr is not a terminal
    monkeypatch.setattr("sys.stderr", FakeTerminal())
    with batch_progress(articles, quiet=True) as progress:
        assert progress is None
    with batch_progress(articles, quiet=False) as progress:
        progress(articles.stat().st_size, 4)
    assert "100%" in FakeTerminal.written and "4 rows" in FakeTerminal.written


def news_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("id,text\n")
        for i in range(rows):
            f.write(
                f'{i},"The mayor said on day {i} that the plan would go ahead, and critics called it a disgrace."\n'
            )
    return path


GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, die Bibliothek zu schließen. Die Entscheidung ist eine Schande, "
    "und der Rat sollte sie sofort rückgängig machen, sagen viele Bürger der Stadt."
)


ENGLISH = "The council voted on Tuesday to close the library. The decision is a disgrace and should be reversed."


def test_label_refuses_to_replace_an_output_without_force(tmp_path):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("text\nIt rained.\n", "utf-8")
    out.write_text("mine", "utf-8")
    result = invoke(["label", str(source), "-o", str(out)])
    assert result.exit_code == 1 and "already exists (use --force to overwrite it)" in result.stderr
    assert invoke(["label", str(source), "-o", str(out), "--force", "-q"]).exit_code == 0


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
    assert fixed.exit_code == 0 and fixed.stdout.startswith("id;text;score;label;opinion_probability;language\n")


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


def test_rows_in_other_languages_are_left_unscored_counted_and_warned_about_once(tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text(f'id,text\n1,"{GERMAN}"\n2,"{ENGLISH}"\n3,\n4,"{GERMAN}"\n5,Gut\n', "utf-8")
    result = invoke(["label", str(source), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0
    rows = read_csv((tmp_path / "out.csv").read_text("utf-8"))
    assert [row[2:] for row in rows[1:]] == [
        ["", "", "de"],
        [rows[2][2], rows[2][3], "en"],
        ["", "", ""],
        ["", "", "de"],
        [rows[5][2], rows[5][3], "unknown"],  # too short to tell: scored
    ]
    assert rows[2][2] in ("fact", "opinion") and rows[5][2] in ("fact", "opinion")
    warning, summary = result.stderr.splitlines()
    assert warning == (
        "factopinion: 2 rows are not in English and left unscored (their labels are empty; --score-any-language "
        "scores them): the model is trained on English news only"
    )
    assert summary.startswith("factopinion: 5 rows: 2 labeled, 1 empty, ")
    assert ", 2 not English (2 left unscored), " in summary
    quiet = invoke(["label", str(source), "-o", str(tmp_path / "quiet.csv"), "-q"])
    assert quiet.stderr.splitlines() == [warning]  # a warning, not progress: --quiet keeps it
    english = invoke(["label", "-", "-q"], input=f'text\n"{ENGLISH}"\n')
    assert english.stderr == ""


def test_score_any_language_scores_them_with_the_warning_and_languages_widens_the_policy(tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text(f'id,text\n1,"{GERMAN}"\n2,"{ENGLISH}"\n', "utf-8")
    anyway = invoke(["label", str(source), "--score-any-language"])
    assert [row[2] in ("fact", "opinion") for row in read_csv(anyway.stdout)[1:]] == [True, True]
    assert "factopinion: 1 row is not in English and was scored anyway: the model is trained on English news only" in (
        anyway.stderr.splitlines()
    )
    widened = invoke(["label", str(source), "--languages", "en,de", "-q"])
    assert [row[2:] for row in read_csv(widened.stdout)[1:]][0][2] == "de" and widened.stderr.splitlines() == [
        "factopinion: 1 row is not in English and was scored anyway: the model is trained on English news only"
    ]
    both = invoke(["label", str(source), "--languages", "de", "--score-any-language"])
    assert both.exit_code == 2 and "give --languages or --score-any-language, not both" in both.stderr
    bad = invoke(["label", str(source), "--languages", "english"])
    assert bad.exit_code != 0 and "ISO 639-1 codes" in bad.stderr


def test_every_row_is_identified_whatever_the_chunks(tmp_path, model):
    from factopinion.labeling.batch import BatchOptions, label_file

    source = tmp_path / "mixed.csv"
    with source.open("w", encoding="utf-8") as f:
        f.write("id,text\n")
        for n in range(1, 3001):
            f.write(f'{n},"{GERMAN if n % 3 == 0 else ENGLISH}"\n')
    for chunk_rows in (100, 4000):
        summary = label_file(source, tmp_path / f"out{chunk_rows}.csv", model, BatchOptions(chunk_rows=chunk_rows))
        assert summary.not_english == summary.unscored == 1000  # exact: every row identified, none sampled
        assert summary.labeled == 2000 and summary.empty == 0


def test_languages_counted_from_the_scorers_byte_scan_are_identifys(tmp_path, model, monkeypatch):
    """Cells scored whole get their language from the words the scorer's byte scan counted: the same language
    ``identify`` gives each, with only the rows it cannot settle (short, few function words, other scripts, over
    20,000 characters) read again; a row in another language keeps its language and loses its label."""
    import csv

    from factopinion import language
    from factopinion.labeling.batch import BatchOptions, label_file

    kinds = [
        ENGLISH,
        "“It is a disgrace,” she said — and the council’s vote on the library was the end of it.",
        "Antidepressant prescriptions reached 86 million items last year.",  # few function words: the vocabulary
        "Gut",
        GERMAN,
        "市议会周二投票决定关闭图书馆。这个决定是一种耻辱，应该被撤销，许多市民这样说。",
        "Городской совет во вторник проголосовал за закрытие библиотеки, и это решение позор.",
        "   ",
        "The\u3000council\x85voted to close the library\u2009and the decision is a disgrace of the year.",
        "\u212a the council voted to close the library and the decision is a disgrace of the year",
        "THE COUNCIL VOTED TO CLOSE THE LIBRARY ON TUESDAY AND THE MAYOR SAID IT WAS A SHAME.",
    ]
    # (and one over 20,000 characters, Spanish in the first 20,000 that identify counts; the scorer takes the byte
    # scan for a batch of 256 sentences or more, of up to 256 Ki characters)
    spanish = "El gobierno dijo que la ciudad cierra la biblioteca y que el plan sigue adelante este martes. "
    texts = [kinds[n % len(kinds)] for n in range(1_100)] + [spanish * 220 + " the" * 20_000]
    source = tmp_path / "mixed.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["id", "text"], *([n, text] for n, text in enumerate(texts))])
    counted: list[str] = []  # the texts whose words are split and counted again
    function_words = language._function_words
    monkeypatch.setattr(language, "_function_words", lambda text: counted.append(text) or function_words(text))
    label_file(source, tmp_path / "out.csv", model, BatchOptions(chunk_rows=4_000, jobs=1))
    # only the text longer than the 20,000 characters identify counts was counted again
    assert counted == [texts[-1]]
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    known = model.as_data().words
    assert [row[4] for row in rows] == [language.identify(text, known) for text in texts]
    assert {row[4] for row in rows} >= {"en", "de", "zh", "ru", "unknown", ""} and rows[-1][4] == "es"
    probabilities = model.opinion_probability(texts[:11]).tolist()
    for row, p in zip(rows[:11], probabilities, strict=True):
        assert row[3] == ("" if row[4] not in ("en", "unknown") else f"{p:.6f}")


def test_an_excel_workbook_gets_told_to_save_it_as_csv(tmp_path):
    import zipfile

    book = tmp_path / "export.xlsx"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(book.read_bytes())
    for path in (book, renamed):
        result = invoke(["label", str(path)])
        assert result.exit_code == 1
        assert result.stderr == f"Error: {path}: this looks like an Excel workbook: save it as CSV\n"


def test_an_output_named_json_is_refused_not_filled_with_csv(tmp_path, articles):
    result = invoke(["label", str(articles), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2 and "name it for JSON Lines (.jsonl)" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_no_progress_bar_over_the_output_on_the_same_terminal(terminal, tmp_path):
    source = news_csv(tmp_path / "news.csv", 50)
    result = invoke(["label", str(source)])
    assert result.exit_code == 0, result.stderr
    assert "100%" not in result.stderr and "labeling" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("factopinion: 50 rows: 50 labeled, 0 empty, ")
