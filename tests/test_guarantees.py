"""Hostile inputs and faults (issue 15): one line and the right exit code, never a traceback; nothing at an output
path replaced unless it is a regular file; no row lost or merged silently; bounded time and memory.

Outputs are never pointed at the machine's real /dev nodes: devices are twins made with mknod inside tmp_path."""

from __future__ import annotations

import codecs
import contextlib
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
from helpers import as_in_the_foreground

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


def test_outputs_published_together_take_their_names_only_at_publish(tmp_path, monkeypatch):
    """``atomic.Publication``: complete files wait, hidden, for ``publish``, which syncs their file system once and
    names them all; a withdrawn or abandoned file never takes its name, and what was there stays."""
    from factopinion import atomic
    from factopinion.atomic import Publication, atomic_output

    synced, fsyncs = [], []
    real_sync = atomic._sync
    monkeypatch.setattr(atomic, "_sync", lambda folders: synced.append(sorted(folders)) or real_sync(folders))
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: fsyncs.append(fd))
    (tmp_path / "c.csv").write_text("old\n")
    later = Publication()
    for name in ("a.csv", "b.csv", "c.csv"):
        with atomic_output(tmp_path / name, overwrite=True, later=later) as out:
            out.write(f"{name}\n".encode())
    later.withdraw(tmp_path / "b.csv")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["c.csv"]
    assert (tmp_path / "c.csv").read_text() == "old\n" and len(leftovers(tmp_path)) == 2  # a and c, waiting
    assert later.publish() == {}
    assert synced == [[str(tmp_path)]] and fsyncs == []  # one sync for the three files, no fsync each
    assert (tmp_path / "a.csv").read_text() == "a.csv\n" and (tmp_path / "c.csv").read_text() == "c.csv\n"
    assert not (tmp_path / "b.csv").exists() and leftovers(tmp_path) == []

    with atomic_output(tmp_path / "d.csv", later=later) as out:  # may not replace a file...
        out.write(b"new\n")
    (tmp_path / "d.csv").write_text("mine\n")  # ...that appears before it is named: it is refused then
    with atomic_output(tmp_path / "e.csv", later=later) as out:
        out.write(b"e\n")
    failed = later.publish()
    assert list(failed) == [str(tmp_path / "d.csv")] and isinstance(failed[str(tmp_path / "d.csv")], OutputExists)
    assert (tmp_path / "d.csv").read_text() == "mine\n" and (tmp_path / "e.csv").read_text() == "e\n"

    with atomic_output(tmp_path / "f.csv", later=later) as out:
        out.write(b"f\n")
    later.abandon()  # as after an error: nothing named, nothing left behind
    assert not (tmp_path / "f.csv").exists() and leftovers(tmp_path) == []


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
    result = run("label", str(source), "--delimiter", delimiter, "--sentences", "--keep", "id,text", "-q")
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
    with pytest.raises(
        DataError, match="a cell over the --max-cell limit of 1,000 characters"
    ):  # the limit took effect
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
        ('1,"' + "x" * 1500 + '",5\n', "3", "a cell over the --max-cell limit of 1,000 characters"),
        ('1,"' + "x\n" * 800 + 'y",z,5\n', "3-803", "a cell over the --max-cell limit of 1,000 characters"),
    ],
)
def test_skip_bad_rows_resynchronises_on_a_record_boundary(tmp_path, small_cell_limit, bad, lines, reason):
    source = tmp_path / "in.csv"
    source.write_text("id,text,n\n0,It rained.,1\n" + bad + "2,We should go.,6\n")
    result = run("label", str(source), "--skip-bad-rows")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert [row[:3] for row in rows[1:]] == [["0", "It rained.", "1"], ["2", "We should go.", "6"]]
    where = "row at line" if "-" not in lines else "row at lines"  # one record, on one line or several
    assert f"skipped 1 bad {where} {lines} ({reason})" in result.stderr
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
        for _ in range(5):  # the best of five, in CPU time: other processes on a busy machine do not count
            started = time.thread_time()
            split_sentences(text)
            best = min(best, time.thread_time() - started)
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
    wide = ("id", "text", "note")  # each sentence row repeats the whole input row: the widest output
    peak, size, digest = sentence_rows_peak(model, data, jobs=1, keep=wide)
    assert size > 20 << 20  # the output is sentences x row width
    assert peak < 12 << 20, f"peak {peak:,} bytes for an output of {size:,}"
    monkeypatch.setattr(batch, "OUTPUT_BUDGET", 1 << 30)  # unbounded, as before: the same bytes
    assert sentence_rows_peak(model, data, trace=False, jobs=1, keep=wide)[1:] == (size, digest)


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
    for args in ([], ["--sentences", "--keep", "text"]):
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


# -- Round two (issue 20): web pages, URLs, JSON Lines, Parquet, many files, resume, Dask, model files ----------------


PAGE = (
    b"<html><head><title>Fares</title></head><body><article>"
    + b"<p>The council said on Tuesday it would raise fares.</p>" * 40
    + b"</article></body></html>"
)


@pytest.fixture
def raw_server():
    """A TCP server on 127.0.0.1 whose every connection is handed to ``serve(conn)``, in a thread of its own."""
    import socketserver
    import threading

    handlers: list = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            with contextlib.suppress(OSError):
                handlers[0](self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            pass

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def start(serve) -> str:
        handlers.append(serve)
        return f"http://127.0.0.1:{server.server_address[1]}/page.html"

    yield start
    server.shutdown()
    server.server_close()


@pytest.fixture
def direct(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_download_cut_short_is_an_error_not_a_page(raw_server, direct, framing):
    """Item 1: an early close is never scored as the whole page."""

    def serve(conn):
        if framing == "content-length":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % (len(PAGE) * 2))
            conn.sendall(PAGE)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
            conn.sendall(b"%x\r\n%s\r\n" % (len(PAGE), PAGE))  # no terminating zero-length chunk

    result = run("score", "--url", raw_server(serve))
    one_line_error(result, 1, "incomplete" if framing == "content-length" else "closed the connection")


@pytest.mark.parametrize("where", ["headers", "body"])
def test_timeout_bounds_a_server_that_trickles(raw_server, direct, where):
    """Item 6: --timeout bounds the whole exchange, however slowly a server sends its headers or its body."""

    def serve(conn):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(PAGE)
        if where == "body":
            conn.sendall(head)
        for byte in (head if where == "headers" else b"") + PAGE:
            conn.sendall(bytes([byte]))
            time.sleep(0.05)

    started = time.monotonic()
    result = run("score", "--url", raw_server(serve), "--timeout", "1")
    one_line_error(result, 1, "1 s")
    assert time.monotonic() - started < 20  # the page takes minutes at that pace


def test_a_page_over_the_limit_is_refused_from_a_file_standard_input_or_a_cell(tmp_path, monkeypatch):
    """Item 7: files, standard input and --html-column cells have the page size limit --url has."""
    from factopinion import sources as web

    monkeypatch.setattr(web, "MAX_BYTES", 100_000)
    page = PAGE.replace(b"</article>", b"<p>" + b"x" * 100_000 + b"</p></article>")
    (tmp_path / "big.html").write_bytes(page)
    one_line_error(run("score", "--file", str(tmp_path / "big.html")), 1, "over the limit of 100,000")
    one_line_error(run("score", "--format", "html", input=page), 1, "over the limit of 100,000")
    cells = tmp_path / "pages.csv"
    cells.write_text("id,html\n1," + json.dumps(page.decode()).replace("\\", "") + "\n")
    one_line_error(run("label", str(cells), "--documents", "--html-column", "html"), 1, "over the limit of 100,000")


# An extraction that holds Python in one C call for seconds, as libxml2 does on a large page: signals wait for it.
STUCK_EXTRACTION = (
    "import os, sys, trafilatura; "
    "trafilatura.bare_extraction = lambda *a, **k: os.system('exec sleep 30 </dev/null >/dev/null 2>&1'); "
    "from factopinion.cli import main; sys.argv[0] = 'factopinion'; main()"
)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "code"), [("SIGTERM", 128 + signal.SIGTERM), ("SIGINT", 130)])
def test_a_signal_stops_a_page_extraction_at_once(tmp_path, name, code):
    """Item 7: a signal during a long extraction ends the run at once (the extraction is in a child process)."""
    (tmp_path / "page.html").write_bytes(PAGE)
    with open(tmp_path / "stderr", "wb") as stderr:  # a file: the stuck call's own child may hold a pipe open
        process = subprocess.Popen([sys.executable, "-c", STUCK_EXTRACTION, "score", "--file", str(tmp_path / "page.html")],
                                   stdout=subprocess.DEVNULL, stderr=stderr,
                                   preexec_fn=as_in_the_foreground)  # fmt: skip
        time.sleep(2.5)  # the imports take about a second; then the extraction is stuck for thirty
        sent = time.monotonic()
        process.send_signal(getattr(signal, name))
        try:
            process.wait(timeout=20)
        finally:
            process.kill()
    assert time.monotonic() - sent < 10, name  # not the thirty seconds of the stuck call
    errors = (tmp_path / "stderr").read_text()
    assert process.returncode == code and "Traceback" not in errors, (process.returncode, errors)


@pytest.mark.parametrize("charset", ["undefined", "punycode", "rot13", "no-such-codec"])
def test_a_page_naming_a_charset_that_is_not_a_text_encoding_is_read(tmp_path, raw_server, direct, charset):
    """Item 15: a <meta charset> or a Content-Type naming a codec that decodes nothing, or not text, is passed over."""
    page = PAGE.replace(b"<head>", f'<head><meta charset="{charset}">'.encode())
    (tmp_path / "page.html").write_bytes(page)
    for result in (
        run("score", "--file", str(tmp_path / "page.html")),
        run("score", "--format", "html", input=page),
        run("score", "--url", raw_server(lambda conn: conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=%s\r\nContent-Length: %d\r\n\r\n%s" % (charset.encode(), len(page), page)))),
    ):  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "raise fares" in result.stdout


@pytest.mark.parametrize("name", [MODEL_FILE, DATA_FILE, METADATA_FILE])
def test_train_never_writes_the_model_over_its_training_data(tmp_path, name):
    """Item 3: a file of --out that is a link to a --data file is refused, whichever of the model's files it is."""
    data = training_file(tmp_path / "data.csv")
    before = data.read_bytes()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / name).symlink_to(data)
    result = run("train", "--data", str(data), "--out", str(tmp_path / "m"), "--force", "--cv-folds", "0")
    one_line_error(result, 1, "over its training data")
    assert data.read_bytes() == before


def test_train_counts_the_rows_of_files_that_share_a_name(tmp_path):
    """Item 24: the row count of each --data file is its own, not that of every file with its base name."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    training_file(tmp_path / "a" / "x.csv")
    lines = training_file(tmp_path / "b" / "x.csv").read_text().splitlines()
    (tmp_path / "b" / "x.csv").write_text("\n".join(lines[:11]) + "\n")
    result = run("train", "--data", str(tmp_path / "a" / "x.csv"), "--data", str(tmp_path / "b" / "x.csv"),
                 "--out", str(tmp_path / "m"), "--cv-folds", "0")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    files = json.loads((tmp_path / "m" / METADATA_FILE).read_text())["training_data"]["files"]
    assert [f["rows"] for f in files] == [24, 10]


def model_with(folder: Path, change) -> Path:
    """A copy of the shipped model folder with its model.json's model changed by ``change`` (the SHA-256 redone)."""
    import hashlib

    from factopinion.engine.scorer import FORMAT, FORMAT_VERSION

    folder.mkdir()
    shutil.copy(bundled_model_dir() / METADATA_FILE, folder / METADATA_FILE)
    document = json.loads((bundled_model_dir() / DATA_FILE).read_bytes())
    change(document["model"])
    encoded = json.dumps(document["model"], ensure_ascii=False, separators=(",", ":")).encode()
    digest = hashlib.sha256(encoded).hexdigest()
    header = f'{{"format":"{FORMAT}","format_version":{FORMAT_VERSION},"sha256":"{digest}","model":'
    (folder / DATA_FILE).write_bytes(header.encode() + encoded + b"}\n")
    return folder


def test_a_huge_ngram_range_in_a_model_file_does_not_loop(tmp_path):
    """Item 14: the n-gram loops are bounded by the sentence, not by the model file's numbers."""
    model = model_with(tmp_path / "m", lambda m: m["blocks"][0].update(ngram_range=[1, 2**70]))
    done = subprocess.run([*COMMAND, "score", "--model", str(model), "--explain", "The plan is a disgrace."],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "disgrace" in done.stdout


MEASURED = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print('peak-rss-kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)"
)


@pytest.mark.slow
def test_a_large_file_that_is_not_a_model_is_refused_before_it_is_parsed(tmp_path):
    """Item 14: a model file's header is checked before the rest is read."""
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.write(b'{"items": [')
        for _ in range(100):
            f.write(b"1," * 500_000)
        f.write(b"1]}")
    done = subprocess.run([sys.executable, "-c", MEASURED, *COMMAND, "score", "--model", str(big), "It rained."],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    process_error(done, 1, "not a factopinion model file")
    peak_mib = int(done.stderr.rsplit("peak-rss-kib ", 1)[1].split()[0]) / 1024
    assert peak_mib < 500, peak_mib


def test_a_model_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    """Item 14: sizes are checked on load."""
    from factopinion.engine import scorer

    monkeypatch.setattr(scorer, "MAX_MODEL_BYTES", 100_000)
    one_line_error(run("score", "--model", str(bundled_model_dir()), "It rained."), 1, "over 100,000 bytes")


@pytest.mark.parametrize("command", [["score", "It rained."], ["model", "info"], ["label", "-"]])
def test_a_model_whose_intercept_overflows_a_float_is_one_line(tmp_path, command):
    """Item 19: a 401-digit intercept is a bad model, not an OverflowError."""
    model = model_with(tmp_path / "m", lambda m: m.update(intercept=10**400))
    one_line_error(run(*command, "--model", str(model), input=ROWS), 1, "intercept")


def test_evaluate_json_on_one_class_writes_null_not_nan(tmp_path):
    """Item 20: JSON output is strict JSON: a figure that is not a number (the AUC of one class) is null."""
    path = tmp_path / "one-class.csv"
    path.write_text("sentence,label\nThe council met on Tuesday.,fact\nThe bus fare rose by ten cents.,fact\n")
    result = run("evaluate", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert report["calibration"]["auc"] is None


@pytest.mark.slow
def test_the_ctrl_c_tests_pass_in_a_background_job():
    """Item 26: the suite passes when it runs as ``python -m pytest &``, which starts it with SIGINT ignored."""
    test = Path(__file__).parent / "labeling" / "test_workers.py"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"{test}::test_an_interrupted_run_leaves_no_output_file[2]"],
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN), capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]


def test_an_output_never_takes_the_name_of_another_outputs_manifest(tmp_path):
    """Item 4: label .x.csv.done x.csv --output-dir out would replace the first output by the second's manifest."""
    (tmp_path / ".x.csv.done").write_text(ROWS)
    (tmp_path / "x.csv").write_text(ROWS)
    result = run("label", str(tmp_path / ".x.csv.done"), str(tmp_path / "x.csv"), "--output-dir", str(tmp_path / "out"))
    one_line_error(result, 2, "rename it")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("length", [250, 255])
def test_an_output_with_a_long_name_is_written(tmp_path, rows_csv, length):
    """Item 23: the hidden temporary file and manifest of a name near the 255-byte limit fit within it."""
    out = tmp_path / ("o" * (length - 4) + ".csv")
    result = run("label", str(rows_csv), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_text().startswith("id,text,label")
    (tmp_path / "in").mkdir()
    shutil.copy(rows_csv, tmp_path / "in" / out.name)
    result = run("label", str(tmp_path / "in" / out.name), "--output-dir", str(tmp_path / "many"))
    assert result.exit_code == 0, result.stderr
    result = run("label", str(tmp_path / "in" / out.name), "--output-dir", str(tmp_path / "many"), "--resume")
    assert result.exit_code == 0 and "1 file already complete" in result.stderr, result.stderr
    assert sorted(p.name for p in (tmp_path / "many").iterdir() if not p.name.startswith(".")) == [out.name]


@pytest.mark.parametrize("manifest", ["device", "fifo", "huge", "list-fields", "deep"])
def test_resume_reads_any_manifest_within_bounds(tmp_path, rows_csv, manifest):
    """Item 9: a manifest is read only if it is a regular file within a size bound, and its fields are checked:
    any other is no manifest (the file is labeled again)."""
    out = tmp_path / "out"
    assert run("label", str(rows_csv), "--output-dir", str(out)).exit_code == 0
    done = out / ".in.csv.done"
    recorded = json.loads(done.read_text())
    done.unlink()
    if manifest == "device":
        device_twin(done, 5)  # /dev/zero
    elif manifest == "fifo":
        os.mkfifo(done)
    elif manifest == "huge":
        done.write_bytes(b" " * (2 << 20) + json.dumps(recorded).encode())
    elif manifest == "list-fields":
        done.write_text(json.dumps({**recorded, "input": [0], "output": "x"}))
    else:
        done.write_text("[" * 100_000 + "]" * 100_000)
    done_run = subprocess.run([*COMMAND, "label", str(rows_csv), "--output-dir", str(out), "--resume"],
                              capture_output=True, text=True, timeout=60, preexec_fn=memory_limit(2 << 30))  # fmt: skip
    assert done_run.returncode == 0 and "Traceback" not in done_run.stderr, done_run.stderr
    assert json.loads(done.read_text())["input"]["size"] == rows_csv.stat().st_size  # labeled again


def memory_limit(size: int):
    """A ``preexec_fn`` that bounds the child's address space."""
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_AS, (size, size))


def test_glob_does_not_follow_links_into_loops(tmp_path):
    """Item 10: ** does not go into links to folders, so two links to . cannot make 2**depth paths."""
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.csv").write_text(ROWS)
    (tmp_path / "in" / "sub" / "b.csv").write_text(ROWS)
    (tmp_path / "in" / "one").symlink_to(".")
    (tmp_path / "in" / "two").symlink_to(".")
    done = subprocess.run([*COMMAND, "label", str(tmp_path / "in" / "**" / "*.csv"), "--output-dir", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["a.csv", "b.csv"]


def dask_label(tmp_path: Path, address: str, env: dict | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "in.csv").write_text(ROWS)
    return subprocess.run([*COMMAND, "label", str(tmp_path / "in.csv"), "--output-dir", str(tmp_path / "out"),
                           "--dask", address], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})  # fmt: skip


@pytest.mark.slow
def test_a_dask_scheduler_that_never_answers_is_given_up_on(tmp_path, raw_server):
    """Item 11: the connect timeout bounds the whole handshake, not only the TCP connection."""
    pytest.importorskip("distributed")
    address = raw_server(lambda conn: time.sleep(60)).replace("http://", "tcp://").removesuffix("/page.html")
    started = time.monotonic()
    done = dask_label(tmp_path, address, {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    process_error(done, 1, "did not answer within 2 s")
    assert time.monotonic() - started < 30


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["tls", "ucx", "garbage"])
def test_a_dask_address_that_cannot_work_is_one_line(tmp_path, raw_server, scheme):
    """Item 18: tls:// without its settings, ucx:// without its package, a server sending garbage: one line."""
    pytest.importorskip("distributed")
    address = raw_server(lambda conn: conn.sendall(b"\xff" * 64 + b"garbage\r\n" * 100))
    address = address.replace("http", "tcp" if scheme == "garbage" else scheme).removesuffix("/page.html")
    done = dask_label(tmp_path, address, {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s"})
    process_error(done, 1, "Dask scheduler")


def test_a_file_job_run_again_after_it_finished_is_idempotent(tmp_path, rows_csv, model):
    """Item 12: Dask reruns a task whose worker died after it finished; the rerun keeps the output and manifest."""
    from factopinion.labeling.files import batch_options, label_job, manifest_path, model_fingerprint, plan_jobs

    plan = plan_jobs([rows_csv], tmp_path / "out", batch_options(), model_fingerprint(model))
    (job,) = plan.jobs
    first = label_job(job, model)
    output, manifest = job.destination.read_bytes(), manifest_path(job.destination).read_bytes()
    again = label_job(job, model)  # the same task, run a second time
    assert (again.summary.rows, again.summary.labeled) == (first.summary.rows, first.summary.labeled) == (2, 2)
    assert job.destination.read_bytes() == output and manifest_path(job.destination).read_bytes() == manifest


@pytest.mark.slow
@pytest.mark.parametrize("when", ["starting", "labeling"])
def test_ctrl_c_during_dask_local_is_quiet(tmp_path, when):
    """Item 13: Ctrl-C (SIGINT to the whole foreground group, workers included) during --dask local: exit 130 and
    no Dask logging or tracebacks."""
    pytest.importorskip("distributed")
    big = tmp_path / "big.csv"  # several seconds' labeling, however fast the machine: the signal comes mid-run
    big.write_text("id,text\n" + "".join(f"{i},The mayor said on day {i} it would go ahead. It is a disgrace!\n"
                                         for i in range(600_000)))  # fmt: skip
    with open(tmp_path / "stderr", "wb") as stderr:
        process = subprocess.Popen([*COMMAND, "label", str(big), "--output-dir", str(tmp_path / "out"), "--dask",
                                    "local", "--dask-workers", "2"], stdout=subprocess.DEVNULL, stderr=stderr,
                                   preexec_fn=as_in_the_foreground, start_new_session=True)  # fmt: skip
        try:
            if when == "starting":
                time.sleep(1.0)  # the cluster takes 1-2 s to start
            else:
                deadline = time.monotonic() + 90
                while not list((tmp_path / "out").glob(".big.csv.*.part")) and time.monotonic() < deadline:
                    time.sleep(0.1)
            os.killpg(process.pid, signal.SIGINT)  # as the terminal does
            process.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    errors = (tmp_path / "stderr").read_text()
    assert process.returncode == 130, errors
    assert len(errors.splitlines()) <= 1 and "Traceback" not in errors, errors


@pytest.mark.parametrize("trailer", ["\r \n", "\r\t\n", " \r\n", "\t \r \n", "\n"])
def test_json_lines_with_any_trailing_white_space_keep_their_bytes(tmp_path, trailer):
    """Item 2: the closing brace is the last character before the trailing JSON white space, whatever it is."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(f'{{"id": 1, "text": "It rained."}}{trailer}'.encode())
    result = run("label", str(source))
    assert result.exit_code == 0, result.stderr
    line = result.stdout_bytes.decode()
    assert line.startswith('{"id": 1, "text": "It rained.", "label": "fact"') and line.endswith("}" + trailer)
    json.loads(line)


@pytest.mark.parametrize("source", ["zero-twin", "long-line"])
def test_a_json_lines_line_without_end_stops_at_the_limit(tmp_path, monkeypatch, source):
    """Item 8: JSON Lines has the CSV limits: a line past LINE_LIMIT stops the run, a row past FIELD_LIMIT is bad."""
    from factopinion.tables import csvstream, jsonl

    monkeypatch.setattr(jsonl, "LINE_LIMIT", 1 << 20)
    path = device_twin(tmp_path / "zero", 5) if source == "zero-twin" else tmp_path / "long.jsonl"
    if source == "long-line":
        path.write_bytes(b'{"text": "' + b"x" * (3 << 20))
    one_line_error(run("label", str(path), "--format", "jsonl"), 1, "no line break in 1,048,576 bytes")
    monkeypatch.setattr(jsonl, "FIELD_LIMIT", 1000)
    assert csvstream.FIELD_LIMIT > 1000
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "It rained."}\n{"text": "' + "x" * 2000 + '"}\n{"text": "It is bad."}\n')
    one_line_error(run("label", str(rows)), 1, "line 2: a row over the --max-cell limit of 1,000 characters")
    result = run("label", str(rows), "--skip-bad-rows")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2, result.stderr


@pytest.mark.slow
def test_a_long_json_lines_line_is_read_in_linear_time(tmp_path):
    """Item 8: 64 MiB without a line break is gathered in linear time (it was quadratic)."""
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"text": "' + b"x" * (64 << 20) + b'"}')
    started = time.monotonic()
    done = subprocess.run([*COMMAND, "label", str(path), "-o", str(tmp_path / "out.jsonl")], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    process_error(done, 1, "a row over the --max-cell limit")
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("skip", [False, True])
def test_json_lines_nested_deeply_or_with_huge_integers(tmp_path, skip):
    """Item 16: 100,000 nested arrays are a bad row, not a RecursionError; a 5,000-digit integer is valid JSON,
    kept as written."""
    big = "9" * 5000
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "It rained.", "n": ' + big + "}\n" + '{"text": "x", "deep": ' + "[" * 100_000
                      + "]" * 100_000 + "}\n" + '{"text": "It is bad.", "n": 1}\n')  # fmt: skip
    result = run("label", str(source), *(["--skip-bad-rows"] if skip else []))
    if not skip:
        one_line_error(result, 1, "line 2: nested too deeply")
        return
    assert result.exit_code == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith('{"text": "It rained.", "n": ' + big + ', "label": "fact"')
    assert second.startswith('{"text": "It is bad."')
    csv_out = run("label", str(source), "--skip-bad-rows", "-o", str(tmp_path / "out.csv"))
    assert csv_out.exit_code == 0, csv_out.stderr
    assert big in (tmp_path / "out.csv").read_text()


@pytest.mark.parametrize("column", ["text", "other"])
def test_parquet_strings_that_are_not_utf8_are_one_line(tmp_path, column):
    """Item 17: a Parquet string column holding invalid UTF-8 (the text column, or another one converted to CSV)."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    raw = pa.array([b"It rained.", b"caf\xe9 au lait", b"It is bad."], type=pa.binary())
    broken = pa.Array.from_buffers(pa.string(), 3, raw.buffers())  # Arrow does not check; some writers do not
    good = pa.array(["It rained.", "The fare rose.", "It is bad."])
    pq.write_table(pa.table({"text": broken if column == "text" else good, "other": broken}), tmp_path / "in.parquet")
    result = run("label", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.csv"))
    one_line_error(result, 1, f"row 2: the column {column!r} holds bytes that are not UTF-8")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("blank", ["\n", "\r\n"])
def test_a_file_that_starts_with_a_megabyte_of_blank_lines_has_a_header(tmp_path, blank):
    """Item 21: blank lines before the header, however many, are not an empty file."""
    source = tmp_path / "in.csv"
    source.write_text(blank * ((1 << 20) // len(blank) + 10) + ROWS, newline="")
    result = run("label", str(source))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "id,text,label,opinion_probability,language"
    assert len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_replace_columns_replaces_every_column_of_that_name(tmp_path, fmt):
    """Item 22: --replace-columns with two columns (or keys) named label replaces both."""
    source = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        source.write_text("label,text,label\nx,It rained.,y\n")
    else:
        source.write_text('{"label": "x", "text": "It rained.", "label": "y"}\r \n')
    result = run("label", str(source), "--replace-columns")
    assert result.exit_code == 0, result.stderr
    assert "x" not in result.stdout.replace("text", "") and '"y"' not in result.stdout and ",y" not in result.stdout
    assert result.stdout.count("fact") == 2, result.stdout
    if fmt == "jsonl":
        assert result.stdout.endswith("}\r \n")


@pytest.mark.parametrize("to", [".tsv", ".jsonl"])
def test_short_rows_are_read_with_pad_short_rows_and_named_without(tmp_path, to):
    """Item 25: rows short of trailing fields (as in dev_en.tsv, which evaluate reads) are refused with an error that
    names --pad-short-rows, and read with it: the missing cells empty, the input's bytes kept."""
    source = tmp_path / "in.tsv"
    source.write_text('sentence\tgold\tx\tnote\nIt rained.\tOBJ\t1\n"We will win"\tSUBJ\t2\tn\n')
    one_line_error(run("label", str(source)), 1, "line 2: 3 fields where the header has 4; --pad-short-rows")
    result = run("label", str(source), "--pad-short-rows", "-o", str(tmp_path / f"out{to}"))
    assert result.exit_code == 0, result.stderr
    out = (tmp_path / f"out{to}").read_text()
    if to == ".tsv":
        lines = out.splitlines()
        assert lines[1].startswith("It rained.\tOBJ\t1\t\tfact\t") and lines[2].startswith(
            '"We will win"\tSUBJ\t2\tn\t'
        )
    else:
        assert json.loads(out.splitlines()[0])["note"] == ""
