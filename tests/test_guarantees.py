"""Hostile inputs and faults (issue 15): one line and the right exit code, never a traceback; nothing at an output
path replaced unless it is a regular file; no row lost or merged silently; bounded time and memory.

Outputs are never pointed at the machine's real /dev nodes: devices are twins made with mknod inside tmp_path."""

from __future__ import annotations

import codecs
import csv
import errno
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import click
import joblib
import pytest
from click.testing import CliRunner

from factopinion import bundled as bundled_module
from factopinion.bundled import bundled_model_dir, bundled_pipeline, load_model
from factopinion.cli import cli
from factopinion.cli.core import Group, signals_as_exit
from factopinion.errors import DataError, FactopinionError, ModelError, OptionError, OutputError, OutputExists
from factopinion.model import DATA_FILE, METADATA_FILE, MODEL_FILE, Model

COMMAND = [sys.executable, "-m", "factopinion.cli"]
ROWS = "id,text\n1,The council said on Tuesday it would raise fares.\n2,This plan is a disgrace.\n"


def run(*args: str, input: bytes | str | None = None, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def one_line_error(result, code: int = 1, containing: str = "") -> str:
    """The result failed with ``code`` and exactly one line on standard error, without a traceback."""
    stderr = result.stderr if hasattr(result, "stderr") else ""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, (result.exit_code, stderr)
    lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert containing in lines[0], lines[0]
    return lines[0]


def process_error(done: subprocess.CompletedProcess, code: int = 1, containing: str = "") -> str:
    """A finished subprocess failed with ``code`` and one ``Error:`` line, no traceback."""
    stderr = done.stderr if isinstance(done.stderr, str) else done.stderr.decode("utf-8", "replace")
    assert done.returncode == code, (done.returncode, stderr)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, stderr
    assert containing in lines[0], lines[0]
    return lines[0]


def device_twin(path: Path, minor: int) -> Path:
    """A character device like /dev/null (minor 3), /dev/zero (5) or /dev/full (7), inside tmp_path."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("mknod needs privileges this test run does not have")
    return path


@pytest.fixture
def rows_csv(tmp_path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# -- the error hierarchy and the one place that turns errors into one line ----------------------------------------


def test_error_hierarchy_and_exit_codes():
    for cls in (DataError, ModelError, OutputError, OutputExists, OptionError):
        assert issubclass(cls, FactopinionError)
    assert issubclass(OutputExists, OutputError) and issubclass(OutputError, OSError)
    assert [c.exit_code for c in (DataError, ModelError, OutputError, OptionError)] == [1, 1, 1, 2]


def _raising_group(error: BaseException) -> click.Group:
    @click.group(cls=Group)
    def group():
        pass

    @group.command()
    def boom():
        raise error

    return group


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (DataError("bad data\nsecond line"), 1, "Error: bad data second line"),
        (ModelError("bad model"), 1, "Error: bad model"),
        (OptionError("bad option"), 2, "Error: bad option"),
        (OutputExists("out.csv"), 1, "Error: out.csv already exists (use --force to overwrite it)"),
        (OSError(errno.EIO, "Input/output error", "in.csv"), 1, "Error: Input/output error: in.csv"),
        (PermissionError(errno.EACCES, "Permission denied"), 1, "Error: Permission denied"),
        (BrokenPipeError(), 0, None),
        (KeyboardInterrupt(), 130, None),
    ],
)
def test_the_command_line_turns_errors_into_one_line(error, code, message):
    result = CliRunner().invoke(_raising_group(error), ["boom"])
    assert result.exit_code == code
    assert "Traceback" not in result.output
    if message is None:
        assert "Error" not in result.output
    else:
        assert [line for line in result.stderr.splitlines() if line.startswith("Error")][0] == message


# -- outputs: never replace what is not a regular file -------------------------------------------------------------


def special_outputs(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    null = device_twin(tmp_path / "null", 3)
    link = tmp_path / "link-to-null"
    link.symlink_to(null)
    return {"null": null, "fifo": fifo, "link": link}


@pytest.mark.parametrize("kind", ["null", "link"])
@pytest.mark.parametrize("command", ["label", "html"])
def test_a_device_or_a_link_to_one_is_written_into_never_replaced(tmp_path, rows_csv, kind, command):
    target = special_outputs(tmp_path)[kind]
    if command == "label":
        result = run("label", str(rows_csv), "-o", str(target), "--force", "-q")
    else:
        result = run("score", "The plan is bad.", "--html", str(target))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat(tmp_path / "null").st_mode)
    assert (tmp_path / "link-to-null").is_symlink()
    assert leftovers(tmp_path) == []


def test_a_fifo_is_written_into(tmp_path, rows_csv):
    fifo = special_outputs(tmp_path)["fifo"]
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    result = run("label", str(rows_csv), "-o", str(fifo), "--force", "-q")
    out, _ = reader.communicate(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert out.decode().startswith("id,text,label,opinion_probability,language\n1,")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_socket_is_refused_never_replaced(tmp_path, rows_csv):
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        one_line_error(run("label", str(rows_csv), "-o", str(tmp_path / "sock"), "--force"), 1, "cannot write")
        assert stat.S_ISSOCK(os.stat(tmp_path / "sock").st_mode)


def test_a_link_to_a_regular_file_replaces_its_target_and_keeps_its_mode(tmp_path, rows_csv):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run("label", str(rows_csv), "-o", str(link), "--force", "-q").exit_code == 0
    assert link.is_symlink() and target.read_text().startswith("id,text,label")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    page = tmp_path / "page.html"
    page.write_text("old")
    page.chmod(0o640)
    assert run("score", "The plan is bad.", "--html", str(page), "--force").exit_code == 0
    assert stat.S_IMODE(page.stat().st_mode) == 0o640 and page.read_text().startswith("<!DOCTYPE html>")


def test_an_output_name_ending_in_a_slash_is_refused(tmp_path, rows_csv):
    one_line_error(run("label", str(rows_csv), "-o", str(tmp_path / "x.csv") + "/"), 1, "ends with /")
    assert not (tmp_path / "x.csv").exists()


def test_standard_input_redirected_from_the_output_file_is_refused(rows_csv):
    before = rows_csv.read_bytes()
    with rows_csv.open("rb") as stdin:
        done = subprocess.run([*COMMAND, "label", "-", "-o", str(rows_csv), "--force"], stdin=stdin,
                              capture_output=True, text=True)  # fmt: skip
    process_error(done, 1, "over the input file")
    assert rows_csv.read_bytes() == before


# -- options ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["score", "label", "evaluate"])
def test_threshold_nan_is_refused(command, rows_csv):
    args = {
        "score": ["score", "It rained."],
        "label": ["label", str(rows_csv)],
        "evaluate": ["evaluate", str(rows_csv)],
    }
    result = run(*args[command], "--threshold", "nan")
    assert result.exit_code == 2 and "nan" in result.stderr


@pytest.mark.parametrize("seed", ["-1", str(2**40), "x"])
def test_train_seed_out_of_range_is_a_usage_error(tmp_path, seed):
    result = run("train", "--out", str(tmp_path / "m"), "--seed", seed)
    assert result.exit_code == 2 and "--seed" in result.stderr
    assert not (tmp_path / "m").exists()


def training_file(path: Path, extra: str = "") -> Path:
    rows = [f"sentence,label{extra and ',' + extra}"]
    for i in range(12):
        rows.append(f"The council approved budget number {i} on Tuesday.,fact{extra and ',x'}")
        rows.append(f"Budget number {i} is a shameful waste of money.,opinion{extra and ',y'}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_train_on_a_file_with_a_file_column(tmp_path):
    data = training_file(tmp_path / "with-file.csv", extra="file")
    result = run("train", "--data", str(data), "--out", str(tmp_path / "m"), "--cv-folds", "2")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "m" / MODEL_FILE).is_file()


# -- terminal escapes -----------------------------------------------------------------------------------------------

ESCAPE = "\x1b]0;owned\x07\x1b[31m"


def test_terminal_escapes_are_shown_escaped(tmp_path, rows_csv):
    table = run("score", f"The plan is bad {ESCAPE}. It rained.")
    assert table.exit_code == 0 and "\x1b" not in table.stdout and "\\x1b]0;owned\\x07" in table.stdout
    as_json = json.loads(run("score", "--json", f"The plan is bad {ESCAPE}.").stdout)  # machine formats stay exact
    assert ESCAPE in as_json["sentences"][0]["sentence"]
    error = one_line_error(run("label", str(rows_csv), "--text-column", ESCAPE), 1, "no column")
    assert "\x1b" not in error and "\\x1b" in error
    folder = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), folder)
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["sklearn_version"] = ESCAPE
    (folder / METADATA_FILE).write_text(json.dumps(meta))
    info = run("model", "info", "--model", str(folder), "--top", "1")
    assert info.exit_code == 0 and "\x1b" not in info.stdout and "\\x1b" in info.stdout


# -- signals --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"])
def test_signals_become_system_exit_while_the_run_lasts(name):
    signum = getattr(signal, name)
    with pytest.raises(SystemExit) as raised, signals_as_exit():
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler interrupts this
    assert raised.value.code == 128 + signum


# -- models and their metadata ------------------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [[], "text", 3, None, {"training_data": []}])
def test_a_model_tolerates_metadata_of_any_shape(model, metadata):
    assert Model(model.scorer, metadata).metadata == (metadata if isinstance(metadata, dict) else {})


def test_a_cached_model_with_list_metadata_still_loads(tmp_path, monkeypatch, model):
    monkeypatch.setattr(bundled_module, "bundled_model_dir", lambda: tmp_path / "nothing")
    monkeypatch.setenv("FACTOPINION_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("factopinion.training.pipeline.train_default", lambda *a, **k: model)
    said: list[str] = []
    load_model(notify=said.append)  # rebuilds, and caches
    (cached,) = (tmp_path / "cache").glob("model-*")
    (cached / METADATA_FILE).write_text("[]")
    said.clear()
    assert load_model(notify=said.append).predict(["What a shameful decision!"]) == ["opinion"]
    assert said == []  # the model is its model.json: metadata of another shape is ignored, not a reason to rebuild


@pytest.mark.parametrize("cache", ["under-a-file", "read-only"])
def test_an_unwritable_cache_does_not_stop_the_rebuild(tmp_path, monkeypatch, model, cache):
    monkeypatch.setattr(bundled_module, "bundled_model_dir", lambda: tmp_path / "nothing")
    monkeypatch.setattr("factopinion.training.pipeline.train_default", lambda *a, **k: model)
    if cache == "under-a-file":
        (tmp_path / "file").write_text("")
        monkeypatch.setenv("FACTOPINION_CACHE_DIR", str(tmp_path / "file" / "cache"))
    else:  # root ignores permission bits: a read-only file system is simulated
        monkeypatch.setenv("FACTOPINION_CACHE_DIR", str(tmp_path / "cache"))

        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr(Path, "mkdir", read_only)
    result = run("score", "What a shameful decision!", "--json")
    assert result.exit_code == 0, result.stderr
    assert "could not cache" in result.stderr
    assert json.loads(result.stdout)["sentences"][0]["label"] == "opinion"


# -- encodings ------------------------------------------------------------------------------------------------------

TSV = "id\ttext\n1\tIt rained on Monday.\n2\tThis plan is a disgrace.\n"


@pytest.mark.parametrize(
    ("asked", "codec", "mark"),
    [
        ("utf-16", "utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16", "utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-le", "utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", "utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-be", "utf-16-be", b""),
        ("utf-32", "utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-32-le", "utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-8", "utf-8", codecs.BOM_UTF8),
        ("utf-8-sig", "utf-8", b""),
    ],
)
def test_unicode_files_keep_their_byte_order_and_mark(tmp_path, asked, codec, mark):
    source = tmp_path / "in.tsv"
    source.write_bytes(mark + TSV.encode(codec))
    out = tmp_path / "out.tsv"
    result = run("label", str(source), "-o", str(out), "--encoding", asked, "-q")
    assert result.exit_code == 0, result.stderr
    written = out.read_bytes()
    assert written.startswith(mark + "id\ttext\tlabel\topinion_probability\tlanguage\n".encode(codec))
    rows = written[len(mark) :].decode(codec).splitlines()
    assert [row.split("\t")[:2] for row in rows[1:]] == [
        ["1", "It rained on Monday."],
        ["2", "This plan is a disgrace."],
    ]


def test_a_mark_of_the_other_byte_order_is_an_error(tmp_path):
    source = tmp_path / "in.tsv"
    source.write_bytes(codecs.BOM_UTF16_BE + TSV.encode("utf-16-be"))
    one_line_error(run("label", str(source), "--encoding", "utf-16-le"), 1, "UTF-16-BE byte-order mark")


@pytest.mark.parametrize(
    "encoding",
    ["rot13", "zlib", "base64", "hex", "bz2", "uu", "quopri", "unicode_escape", "raw_unicode_escape", "idna",
     "punycode", "utf-7", "undefined", "no-such-codec"],
)  # fmt: skip
def test_encodings_that_are_not_safe_text_codecs_get_one_line(rows_csv, encoding):
    one_line_error(run("label", str(rows_csv), "--encoding", encoding), 1, encoding)


def test_a_lone_utf16_surrogate_is_one_line_with_its_offset(tmp_path):
    source = tmp_path / "in.tsv"
    source.write_bytes("id\ttext\n1\tIt is".encode("utf-16-le") + b"\x00\xd8" + " bad.\n".encode("utf-16-le"))
    one_line_error(run("label", str(source), "--encoding", "utf-16-le"), 1, "byte offset 30")


# -- inputs that change, fail or never end -------------------------------------------------------------------------


def many_rows(path: Path, n: int = 2000) -> Path:
    path.write_text("id,text\n" + "".join(f"{i},It rained on day {i}.\n" for i in range(n)), encoding="utf-8")
    return path


def test_an_input_that_shrinks_while_read_is_an_error(tmp_path, monkeypatch, model):
    from factopinion.labeling.batch import BatchOptions, label_file
    from factopinion.tables import csvstream

    monkeypatch.setattr(csvstream, "BLOCK_BYTES", 1024)
    source = many_rows(tmp_path / "in.csv")
    out = tmp_path / "out.csv"
    # read whole at the default block size: the error below needs the patched one, small blocks, to take effect
    assert 4 * 1024 < source.stat().st_size < csvstream.BLOCK_BYTES * 1024

    def truncate(_read: int, _rows: int = 0) -> None:
        os.truncate(source, 4096)

    with pytest.raises(DataError, match=r"shrank while it was read: [\d,]+ bytes at the start, only 4,096"):
        label_file(source, out, model, BatchOptions(chunk_rows=10, jobs=1), progress=truncate)
    assert not out.exists() and leftovers(tmp_path) == []


class FailingStream(io.RawIOBase):
    """A readable stream that gives ``good`` bytes, then fails as a bad disk does."""

    def __init__(self, good: bytes):
        self._good = io.BytesIO(good)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._good.readinto(buffer)
        if n:
            return n
        raise OSError(errno.EIO, "Input/output error")


def test_an_input_read_error_is_one_line(tmp_path, monkeypatch):
    from factopinion.labeling import batch

    source = many_rows(tmp_path / "in.csv", 10)
    monkeypatch.setattr(batch, "open", lambda *a, **k: io.BufferedReader(FailingStream(b"id,text\n1,It rained.\n")),
                        raising=False)  # fmt: skip
    out = tmp_path / "out.csv"
    one_line_error(run("label", str(source), "-o", str(out)), 1, f"cannot read {source}: Input/output error")
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("source", ["/dev/zero", "long-line"])
def test_a_line_without_end_stops_at_the_limit(tmp_path, monkeypatch, source):
    from factopinion.tables import csvstream

    monkeypatch.setattr(csvstream, "LINE_LIMIT", 1 << 20)  # the message names it: the patch took effect
    if source == "long-line":
        path = tmp_path / "in.csv"
        path.write_text("id,text\n1," + "x" * (3 << 20) + "\n2,ok\n")
        source = str(path)
    started = time.monotonic()
    one_line_error(run("label", source, "-o", str(tmp_path / "out.csv")), 1, "no line break in 1,048,576 characters")
    assert time.monotonic() - started < 20


# -- quoting: CheckThat!-style TSV is never merged ----------------------------------------------------------------

OPENS = '"We will win this,\tSUBJ\n'  # a sentence that opens a quotation ...
CLOSES = 'they said."\tOBJ\n'  # ... and a later one that closes it: with quotes, the rows between would merge


def checkthat_tsv(path: Path, filler_rows: int = 0) -> Path:
    filler = "".join(f"The council met on day {i} and approved budget item {i} after a long debate.\tOBJ\n"
                     for i in range(filler_rows))  # fmt: skip
    middle = "The game was played on Sunday.\tOBJ\nIt is a disgrace and must stop.\tSUBJ\n"
    path.write_text("sentence\tlabel\n" + filler + OPENS + middle + CLOSES, encoding="utf-8")
    return path


def test_label_never_merges_a_quotation_across_rows(tmp_path):
    source = checkthat_tsv(tmp_path / "in.tsv")
    result = run("label", str(source), "--column", "label=predicted", "-q")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert len(rows) == 5 and rows[1].startswith('"We will win this,\tSUBJ\t') and rows[4].startswith(CLOSES[:-1])
    merged = run("label", str(source), "--column", "label=predicted", "-q", "--quoting", "csv")  # asked for
    assert merged.exit_code == 0 and len(list(csv.reader(io.StringIO(merged.stdout), delimiter="\t"))) == 2


def test_label_beyond_the_first_megabyte_stops_rather_than_merge(tmp_path):
    source = checkthat_tsv(tmp_path / "in.tsv", filler_rows=13_000)
    assert source.stat().st_size > 1 << 20 and '"' not in source.read_text()[: 1 << 20]
    out = tmp_path / "out.tsv"
    one_line_error(run("label", str(source), "-o", str(out), "--column", "label=predicted"), 1, "--quoting none")
    assert not out.exists() and leftovers(tmp_path) == []
    result = run("label", str(source), "-o", str(out), "--column", "label=predicted", "--quoting", "none", "-q")
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == 13_000 + 5


@pytest.mark.parametrize("filler_rows", [0, 13_000])
def test_labeled_files_never_merge_a_quotation_across_rows(tmp_path, filler_rows):
    from factopinion.training.datasets import read_labeled

    source = checkthat_tsv(tmp_path / "in.tsv", filler_rows)
    frame = read_labeled(source)
    assert len(frame) == filler_rows + 4 and frame["sentence"].iloc[-4] == OPENS.split("\t")[0]
    assert len(read_labeled(source, quoting="csv")) == filler_rows + 1  # merged only when asked


def test_evaluate_and_train_never_merge_a_quotation_across_rows(tmp_path):
    source = checkthat_tsv(tmp_path / "in.tsv")
    report = json.loads(run("evaluate", str(source), "--json").stdout)
    assert report["n"] == 4
    training = tmp_path / "train.tsv"
    rows = [f"The council approved budget number {i} on Tuesday.\tOBJ\nBudget number {i} is a shameful waste.\tSUBJ\n"
            for i in range(6)]  # fmt: skip
    training.write_text("sentence\tlabel\n" + OPENS + "".join(rows) + CLOSES, encoding="utf-8")
    result = run("train", "--data", str(training), "--out", str(tmp_path / "m"), "--cv-folds", "0")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "m" / METADATA_FILE).read_text())["training_data"]["rows"] == 14


@pytest.mark.parametrize(
    ("sample", "quoting"),
    [
        ('id\ttext\n1\t"two\n2\tlines"\n', csv.QUOTE_NONE),  # each line would be a row
        ('id\ttext\tn\n1\t"two\nlines"\t3\n', csv.QUOTE_MINIMAL),  # a real multi-line cell
        ('id\ttext\n1\t"a ""quoted"" word"\n', csv.QUOTE_MINIMAL),
        ('id\ttext\n1\tHe said "no"\n2\t"a"\n', csv.QUOTE_NONE),  # a quote outside a quoted field
        ('id\ttext\n1\t"a"b\n', csv.QUOTE_NONE),
        ("id\ttext\n1\tplain\n", csv.QUOTE_MINIMAL),
        ('id,text\n1,"a\n2,b"\n', csv.QUOTE_MINIMAL),  # CSV is CSV
    ],
)
def test_detect_quoting_takes_only_evidence_that_cannot_mislead(sample, quoting):
    from factopinion.tables.csvstream import detect_quoting

    assert detect_quoting(sample, "," if sample.startswith("id,") else "\t") == quoting


def test_detect_quoting_is_linear(tmp_path):
    from factopinion.tables.csvstream import detect_quoting

    sample = "id\ttext\n" + '1\t"' + "a" * 2_000_000  # an open quote cut by the sample's end
    started = time.perf_counter()
    assert detect_quoting(sample, "\t", complete=False) == csv.QUOTE_MINIMAL
    assert detect_quoting(sample, "\t") == csv.QUOTE_NONE
    assert time.perf_counter() - started < 2


# -- delimiters that could collide with the added values ----------------------------------------------------------


@pytest.mark.parametrize("delimiter", [".", "-", "a", "Z", "é", "1", "0", "٣", " ", "\u00a0", "\x0b", ";;", '"', "\n"])
def test_delimiters_that_could_collide_with_added_values_are_refused(tmp_path, delimiter):
    source = tmp_path / "in.txt"
    source.write_text(f"id{delimiter}text\n1{delimiter}It rained.\n")
    result = run("label", str(source), "--delimiter", delimiter)
    assert result.exit_code == 2 and "delimiter" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("delimiter", [";", "|", ":", "\t", "/", "\x1f"])
def test_other_delimiters_round_trip_with_every_added_cell(tmp_path, delimiter):
    source = tmp_path / "in.txt"
    source.write_text(f'id{delimiter}text\n1{delimiter}"It rained {delimiter} hard. It is a disgrace!"\n')
    result = run("label", str(source), "--delimiter", delimiter, "--sentences", "-q")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout, newline=""), delimiter=delimiter))
    assert [len(row) for row in rows] == [10, 10, 10]
    assert rows[1][6] == f"It rained {delimiter} hard." and float(rows[1][8]) <= 1 and rows[2][7] == "opinion"


# -- bad records: resynchronised on a record boundary, every line named; cells over the limit ---------------------


@pytest.fixture
def small_cell_limit(monkeypatch):
    from factopinion.tables import csvstream

    before = csv.field_size_limit()
    monkeypatch.setattr(csvstream, "FIELD_LIMIT", 1000)
    probe = csvstream.RecordReader(io.BytesIO(b'id,text\n1,"' + b"x" * 1001 + b'"\n'), name="probe")
    with pytest.raises(DataError, match="a cell longer than the limit of 1,000 characters"):  # the limit took effect
        list(probe.chunks(1, 10))
    yield 1000
    csv.field_size_limit(before)


@pytest.mark.parametrize(
    ("bad", "lines", "reason"),
    [
        ('1,"He said "stop\nnow",x,5\n', "3-4", "malformed quoting"),  # the continuation has the header's width
        ('1,"a\nb"c,"d\ne",5\n', "3-5", "malformed quoting"),  # the fault on the second line, one more to go
        ('1,"a"b,"c\nx,y,z\ne",5\n', "3-5", "malformed quoting"),  # a continuation without quotes
        ('1,"ab"c,d\n', "3", "malformed quoting"),
        ('1,"' + "x" * 1500 + '",5\n', "3", "a cell longer than the limit of 1,000 characters"),
        ('1,"' + "x\n" * 800 + 'y",z,5\n', "3-803", "a cell longer than the limit of 1,000 characters"),
    ],
)
def test_skip_bad_rows_resynchronises_on_a_record_boundary(tmp_path, small_cell_limit, bad, lines, reason):
    source = tmp_path / "in.csv"
    source.write_text("id,text,n\n0,It rained.,1\n" + bad + "2,We should go.,6\n")
    result = run("label", str(source), "--skip-bad-rows")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert [row[:3] for row in rows[1:]] == [["0", "It rained.", "1"], ["2", "We should go.", "6"]]
    plural = "row at line" if "-" not in lines else "rows at lines"
    assert f"skipped 1 bad {plural} {lines} ({reason})" in result.stderr
    stopped = run("label", str(source))
    one_line_error(stopped, 1, f"line 3: {reason}")


def test_a_quote_that_never_closes_is_named_as_such(tmp_path, small_cell_limit):
    source = tmp_path / "in.csv"
    source.write_text('id,text\n1,"' + "never closed\n" * 200 + "2,ok\n")
    one_line_error(run("label", str(source)), 1, "line 2: unbalanced quote: a quoted field opens here and never closes")


# -- bounded time: the splitter is linear -------------------------------------------------------------------------


def _split_seconds(text: str) -> float:
    import gc

    from factopinion.text import split_sentences

    best = float("inf")
    gc.disable()  # the collector's passes over a growing heap are not the splitter's
    try:
        for _ in range(5):  # the best of five: on a busy machine one run in three can be twice as slow
            started = time.perf_counter()
            split_sentences(text)
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "It rose. (see " * n,  # a bracket opened after every sentence, never closed
        lambda n: "It rose. (see " * n + " " * n + ")",  # ... closed once, after a long run of spaces
        lambda n: "Mr. U.S. (a. " * n,
    ],
    ids=["unclosed-brackets", "one-late-bracket", "abbreviations"],
)
def test_the_splitter_is_linear(make):
    n = 5_000
    small, large = _split_seconds(make(n)), _split_seconds(make(8 * n))
    assert large < 16 * max(small, 1e-3), (small, large)  # linear: about 8x; quadratic: about 64x


# -- bounded memory: label --sentences ----------------------------------------------------------------------------


class CountingSink(io.RawIOBase):
    """A binary sink that keeps only the number of bytes written (and a digest, to compare outputs)."""

    def __init__(self):
        import hashlib

        self.bytes, self.digest = 0, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.bytes += len(data)
        self.digest.update(data)
        return len(data)


def sentence_rows_peak(model, data: bytes, trace: bool = True, **options) -> tuple[int, int, str]:
    """Peak traced memory of labeling ``data`` with --sentences, the output's size and digest."""
    import tracemalloc

    from factopinion.labeling.batch import BatchOptions, label_stream

    sink = CountingSink()
    if trace:
        tracemalloc.start()
    try:
        label_stream(io.BytesIO(data), sink, model, BatchOptions(sentences=True, **options))
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
    finally:
        tracemalloc.stop()
    return peak, sink.bytes, sink.digest.hexdigest()


@pytest.mark.parametrize(
    ("rows", "sentences_per_cell", "note"),
    [(1, 1_000, 0), (50, 40, 20_000)],
    ids=["one-cell-of-1000-sentences", "50-wide-articles"],
)
def test_sentence_rows_are_formatted_a_budget_at_a_time(model, monkeypatch, rows, sentences_per_cell, note):
    from factopinion.labeling import batch

    cell = "Prices rose by 3 percent on Monday, officials said. " * sentences_per_cell
    data = ("id,text,note\n" + "".join(f'{i},"{cell}",{"n" * note}\n' for i in range(rows))).encode()
    monkeypatch.setattr(batch, "OUTPUT_BUDGET", 1 << 20)
    peak, size, digest = sentence_rows_peak(model, data, jobs=1)
    assert size > 20 << 20  # the output is sentences x row width
    assert peak < 12 << 20, f"peak {peak:,} bytes for an output of {size:,}"
    monkeypatch.setattr(batch, "OUTPUT_BUDGET", 1 << 30)  # unbounded, as before: the same bytes
    assert sentence_rows_peak(model, data, trace=False, jobs=1)[1:] == (size, digest)


def test_sentence_rows_past_the_budget_are_the_same_bytes_on_a_pool(tmp_path, monkeypatch, model):
    from factopinion.labeling import batch

    cell = "It rained. The plan is a disgrace! " * 40
    source = tmp_path / "in.csv"
    source.write_text("id,text\n" + "".join(f'{i},"{cell}"\n' for i in range(30)) + "30,\n31,Short one.\n")
    unformatted: list[int] = []  # sentence rows the workers left to the writer, past the budget
    formatted = batch._formatted

    def count(task, pieces):
        unformatted.append(sum(isinstance(piece, batch._SentenceRows) for piece in pieces))
        return formatted(task, pieces)

    monkeypatch.setattr(batch, "_formatted", count)
    monkeypatch.setattr(batch, "OUTPUT_BUDGET", 10_000)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.csv"
        result = run("label", str(source), "--sentences", "-o", str(out), "--jobs", jobs, "--chunk-size", "4", "-q")
        assert result.exit_code == 0, result.stderr
        outputs.append(out.read_bytes())
        assert sum(unformatted) > 0  # the small budget took effect, in the workers too
        unformatted.clear()
    monkeypatch.setattr(batch, "OUTPUT_BUDGET", 1 << 24)
    unbounded = tmp_path / "unbounded.csv"
    assert run("label", str(source), "--sentences", "-o", str(unbounded), "--jobs", "1", "-q").exit_code == 0
    assert sum(unformatted) == 0  # and the large one
    assert outputs[0] == outputs[1] == unbounded.read_bytes()
    assert len(outputs[0].splitlines()) == 1 + 30 * 80 + 2


# -- one line, never a traceback: outputs that fail -----------------------------------------------------------------


def test_a_full_disk_under_label_output_is_one_line(tmp_path, rows_csv):
    full = device_twin(tmp_path / "full", 7)
    one_line_error(run("label", str(rows_csv), "-o", str(full), "--force"), 1, f"cannot write {full}: No space left")
    one_line_error(run("score", "The plan is bad.", "--html", str(full)), 1, "No space left on device")
    assert stat.S_ISCHR(full.stat().st_mode) and leftovers(tmp_path) == []


def test_a_full_disk_under_train_out_is_one_line(tmp_path):
    data = training_file(tmp_path / "data.csv")
    out = tmp_path / "m"
    out.mkdir()
    device_twin(out / MODEL_FILE, 7)
    result = run("train", "--data", str(data), "--out", str(out), "--cv-folds", "0", "--force")
    one_line_error(result, 1, f"cannot write {out / MODEL_FILE}: No space left on device")
    assert leftovers(out) == []


def test_train_out_under_a_file_or_in_a_read_only_folder_is_one_line(tmp_path, monkeypatch):
    data = training_file(tmp_path / "data.csv")
    (tmp_path / "file").write_text("")
    one_line_error(run("train", "--data", str(data), "--out", str(tmp_path / "file" / "m")), 1, "Not a directory")
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if str(path) == str(read_only) else real_access(path, mode)
    )
    one_line_error(run("train", "--data", str(data), "--out", str(read_only / "m")), 1, "read-only or not writable")
    monkeypatch.setattr(os, "access", real_access)

    def read_only_file_system(*args, **kwargs):  # root ignores permission bits: EROFS as a read-only mount gives it
        raise OSError(errno.EROFS, "Read-only file system")

    import tempfile

    monkeypatch.setattr(tempfile, "mkstemp", read_only_file_system)
    result = run("train", "--data", str(data), "--out", str(read_only), "--cv-folds", "0")
    one_line_error(result, 1, "Read-only file system")
    assert list(read_only.iterdir()) == []


def _kill_this_worker(chunk):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_mid_run_is_one_line_and_leaves_no_file(tmp_path, monkeypatch):
    from factopinion.labeling import batch

    monkeypatch.setattr(batch, "_label_in_worker", _kill_this_worker)
    source = many_rows(tmp_path / "in.csv", 50)
    out = tmp_path / "out.csv"
    result = run("label", str(source), "-o", str(out), "--jobs", "2", "--chunk-size", "5")
    assert one_line_error(result, 1) == "Error: a worker process died (out of memory?)"
    assert not out.exists() and leftovers(tmp_path) == []


# -- one line: models and metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [[], "text", 7, None, {"training_data": []}, {"training_data": {"files": 3, "rows": [], "class_counts": [1]}},
     {"cross_validation": {"folds": "x", "accuracy": "high", "macro_f1": None}}, {"seed": {"a": 1}},
     {"sklearn_version": ["1"], "factopinion_version": {"x": ESCAPE}}],
)  # fmt: skip
def test_model_info_on_metadata_of_an_unexpected_shape(model, metadata):
    from factopinion.cli.render import format_model_info

    report = Model(model.scorer, metadata).describe(source="m", top=2)
    table = format_model_info(report)
    assert "strongest terms toward opinion" in table and "\x1b" not in table
    json.dumps(report)


def test_model_info_on_list_metadata_from_the_command_line(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(bundled_model_dir() / DATA_FILE, folder / DATA_FILE)
    (folder / METADATA_FILE).write_text("[]")
    for fmt in ("--table", "--json"):
        result = run("model", "info", "--model", str(folder), "--top", "2", fmt)
        assert result.exit_code == 0 and "strongest" in result.stdout, result.stderr


def test_a_model_whose_probabilities_are_nan_is_refused_at_load(tmp_path, model):
    import copy

    import numpy as np

    pipeline = copy.deepcopy(bundled_pipeline())
    pipeline.named_steps["classifier"].coef_[:] = np.nan
    path = tmp_path / "nan.joblib"
    joblib.dump(pipeline, path)
    for args in (["score", "It rained."], ["model", "info"], ["evaluate", str(training_file(tmp_path / "d.csv"))]):
        one_line_error(
            run(*args, "--model", str(path), "--trust-model-code"), 1, "probabilities are not numbers between 0 and 1"
        )


# -- one line: odd input ------------------------------------------------------------------------------------------


def test_replace_columns_on_a_one_column_file_with_a_blank_line(tmp_path):
    source = tmp_path / "one.csv"
    source.write_text("text\nIt rained.\n\nThe plan is a disgrace!\n")
    for args in ([], ["--sentences"]):
        result = run("label", str(source), "--replace-columns", "--column", "label=text", *args, "-q")
        assert result.exit_code == 0, result.stderr
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert len(rows) == 4 and rows[2][0] == ""  # the blank line keeps its (empty) row


def test_an_argument_that_is_not_utf8_is_one_line(tmp_path):
    result = run("score", "It rained.", "caf\udce9 au lait")  # what Python makes of the bytes caf\xe9
    one_line_error(result, 1, "argument 2 is not UTF-8: undecodable byte 0xe9 at byte offset 3")


# -- one line: standard output that fails, signals (in subprocesses, started together) ----------------------------


def run_together(*runs: tuple[list[str], dict]) -> list[subprocess.CompletedProcess]:
    """Start every (arguments, Popen keywords) run at once, then wait for each: the model loads in parallel."""
    started = [(args, subprocess.Popen(args, stderr=subprocess.PIPE, text=True, **kwargs)) for args, kwargs in runs]
    done = []
    for args, process in started:
        _, stderr = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(args, process.returncode, None, stderr))
    return done


@pytest.mark.slow
def test_standard_output_closed_or_full_is_one_line(tmp_path, rows_csv):
    full = device_twin(tmp_path / "full", 7)
    closed = [["label", str(rows_csv), "-q"], ["--help"]]
    filled = [["label", str(rows_csv), "-q"], ["--help"]]
    runs = [(["bash", "-c", '"$@" >&-', "bash", *COMMAND, *command], {}) for command in closed]  # stdout closed
    runs += [([*COMMAND, *command], {"stdout": full.open("wb")}) for command in filled]
    strict = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    runs.append(([*COMMAND, "score", os.fsdecode(b"caf\xe9 au lait")], {"env": strict, "stdout": subprocess.PIPE}))
    *outputs, argument = run_together(*runs)
    for done, reason in zip(outputs, ["it is closed"] * len(closed) + ["No space left on device"] * 2, strict=True):
        process_error(done, 1, f"cannot write standard output: {reason}")
    process_error(argument, 1, "argument 1 is not UTF-8: undecodable byte 0xe9 at byte offset 3")
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_sigquit_and_sigusr1_leave_no_part_file(tmp_path):
    folders = []
    for name in ("SIGQUIT", "SIGUSR1"):
        folder = tmp_path / name
        folder.mkdir()
        folders.append((folder, getattr(signal, name)))
    processes = []
    for folder, signum in folders:
        process = subprocess.Popen([*COMMAND, "label", "-", "-o", str(folder / "out.csv"), "--jobs", "1"],
                                   stdin=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        process.stdin.write(b"id,text\n1,It rained.\n")  # and the input stays open: the run waits for more
        process.stdin.flush()
        processes.append((folder, signum, process))
    for folder, signum, process in processes:
        deadline = time.monotonic() + 60
        while not [p for p in folder.iterdir() if p.name.endswith(".part")]:
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.05)
        process.send_signal(signum)
    for folder, signum, process in processes:
        process.wait(timeout=60)
        stderr = process.stderr.read().decode()
        process.stdin.close()
        assert process.returncode == 128 + signum and "Traceback" not in stderr, stderr
        assert list(folder.iterdir()) == []


def test_text_an_output_cannot_encode_is_one_line(tmp_path, rows_csv):
    page = tmp_path / "page.html"
    one_line_error(
        run("score", "It is bad.", "--html", str(page), "--title", "caf\udce9"), 1, "\\xe9 cannot be encoded"
    )
    one_line_error(run("label", str(rows_csv), "--column", "label=caf\udce9"), 1, "cannot write the output")
    assert leftovers(tmp_path) == [] and not page.exists()


def test_a_signal_just_after_the_temporary_file_is_made_leaves_nothing(tmp_path, monkeypatch):
    import tempfile

    from factopinion.atomic import atomic_output

    made = tempfile.mkstemp

    def make_then_signal(*args, **kwargs):
        made_file = made(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGUSR1)  # before atomic_output knows the file's name
        return made_file

    monkeypatch.setattr(tempfile, "mkstemp", make_then_signal)
    with pytest.raises(SystemExit), signals_as_exit(), atomic_output(tmp_path / "out.csv") as file:
        file.write(b"x")
        time.sleep(5)
    assert list(tmp_path.iterdir()) == []
