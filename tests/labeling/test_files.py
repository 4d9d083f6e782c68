"""``label INPUT... --output-dir DIR`` on one machine: which files the inputs name, one output per input identical
to a single ``label`` run, the completeness manifests behind ``--resume``, a bad file among good ones, and the
usage errors. The same runs on a Dask cluster are in test_dask.py."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROWS, SAMPLES, invoke, many_rows, single_label, write_inputs

from factopinion.errors import DataError, OutputExists
from factopinion.labeling.files import INPUT_SUFFIXES, find_inputs, manifest_path


def run(*args, input=None):
    return invoke(["label", *args], input=input)


def test_every_input_suffix_has_a_sample():
    assert set(INPUT_SUFFIXES) <= set(SAMPLES), "add a sample writer to SAMPLES for the new input suffix"


# -- which files -------------------------------------------------------------------------------------------------


def test_find_inputs_files_folders_and_globs(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    for name in ("b.csv", "a.TSV", "c.tab", "notes.txt", ".hidden.csv", "sub/deep.csv", "x.csv.done"):
        (data / name).write_text("id,text\n")
    (data / "dir.csv").mkdir()  # a folder with an input's name is not a file
    assert [p.name for p in find_inputs([data])] == ["a.TSV", "b.csv", "c.tab"]
    assert [p.name for p in find_inputs([str(data / "*.csv")])] == ["b.csv"]  # hidden files and folders skipped
    assert [p.name for p in find_inputs([str(data / "**" / "*.csv")])] == ["b.csv", "deep.csv"]
    # a file named explicitly is taken whatever its extension; each file once, in the order given
    named = find_inputs([data / "notes.txt", data, str(data / "b.*"), tmp_path / "data" / ".." / "data" / "b.csv"])
    assert [p.name for p in named] == ["notes.txt", "a.TSV", "b.csv", "c.tab"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("missing.csv", "missing.csv: no such file or folder"),
        ("empty", "empty: no .csv, .tsv, .tab, .jsonl, .ndjson or .parquet file (gzipped or not) in this folder"),
        ("*.nothing", "no file matches *.nothing"),
    ],
)
def test_find_inputs_errors(tmp_path, monkeypatch, item, message):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as raised:
        find_inputs([item])
    assert str(raised.value) == message


def test_every_sample_format_is_found_in_a_folder(tmp_path):
    paths = write_inputs(tmp_path / "in")
    assert {"." + p.name.split(".", 1)[1] for p in find_inputs([tmp_path / "in"])} == set(SAMPLES)
    assert sorted(paths) == find_inputs([tmp_path / "in"])


# -- the run -------------------------------------------------------------------------------------------------------


def test_output_dir_writes_what_single_label_writes(tmp_path):
    inputs = write_inputs(tmp_path / "in")  # one file of every format a folder contributes
    result = run(tmp_path / "in", "--output-dir", tmp_path / "out", "--chunk-size", "7")
    assert result.exit_code == 0, result.stderr
    for source in inputs:
        assert (tmp_path / "out" / source.name).read_bytes() == single_label(source, tmp_path / "ref"), source.name
    rows = len(inputs) * (len(ROWS) - 1 + 40)
    assert f"factopinion: {len(inputs)} files, {rows:,} rows: " in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [p.name for p in inputs] + [manifest_path(p).name for p in inputs]
    )


def test_options_apply_to_every_file(tmp_path):
    inputs = write_inputs(tmp_path / "in", 2)
    args = ["--sentences", "--column", "label=voice", "--threshold", "0.7"]
    assert run(*inputs, "--output-dir", tmp_path / "out", "-q", *args).exit_code == 0
    for source in inputs:
        assert (tmp_path / "out" / source.name).read_bytes() == single_label(source, tmp_path / "ref", *args)


def test_a_bad_file_is_reported_and_the_others_finish(tmp_path):
    inputs = write_inputs(tmp_path / "in", 3)
    bad = inputs[1]
    bad.write_text('id\ttext\n1\t"never closed\tx\n', encoding="utf-8")  # a row with more fields than the header
    result = run(tmp_path / "in", "--output-dir", tmp_path / "out", "--jobs", "1")
    assert result.exit_code == 1
    assert f"factopinion: failed: {bad}: line 2: " in result.stderr
    assert "factopinion: 2 files, " in result.stderr and "; 1 failed" in result.stderr
    assert result.stderr.rstrip().endswith("Error: 1 of 3 files failed; their outputs were not written")
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        inputs[0].name,
        inputs[2].name,
    ]


def test_small_files_are_spread_over_the_worker_pool(tmp_path, model):
    from factopinion.labeling.files import FileResult, label_files

    inputs = write_inputs(tmp_path / "in", 6)
    bad = inputs[2]
    bad.write_text('id\ttext\n1\t"never closed\tx\n', encoding="utf-8")
    seen = []
    run = label_files([tmp_path / "in"], tmp_path / "out", model, jobs=2, progress=lambda size, rows: seen.append(rows))
    assert [result.job.source for result in run.done] == [p for p in inputs if p != bad]  # the plan's order
    assert [failure.job.source for failure in run.failed] == [bad]
    assert {result.worker for result in run.done} != {f"{os.uname().nodename}:{os.getpid()}"}  # not this process
    assert all(isinstance(r, FileResult) and r.job.options.jobs == 2 for r in run.done)  # the jobs as planned
    assert sorted(seen) == sorted([0] + [r.summary.rows for r in run.done])
    for source in inputs:
        if source != bad:
            assert (tmp_path / "out" / source.name).read_bytes() == single_label(source, tmp_path / "ref"), source.name
            assert manifest_path(tmp_path / "out" / source.name).exists()


def test_the_temporary_files_killed_writers_left_are_removed_once_per_folder(tmp_path, model, monkeypatch):
    from factopinion.labeling import files

    inputs = write_inputs(tmp_path / "in", 3)
    out = tmp_path / "out"
    out.mkdir()
    ours = [out / f".{source.name}.k3j_x9q2.part" for source in inputs]  # as a writer killed mid-file left them
    others = [
        out / f".{inputs[0].name}.gz.k3j_x9q2.part",  # another file's (NAME.gz)
        out / ".elsewhere.csv.k3j_x9q2.part",  # a file this run does not write
        out / f".{inputs[1].name}.toolong99.part",  # not a name tempfile makes
    ]
    for path in ours + others:
        path.write_bytes(b"partial")
    listed = []

    class Listing:  # the os module as files.py sees it, its folder listings recorded (pathlib's own not included)
        def __getattr__(self, name):
            return getattr(os, name)

        def scandir(self, folder):
            listed.append(Path(folder))
            return os.scandir(folder)

    monkeypatch.setattr(files, "os", Listing())
    files.label_files([tmp_path / "in"], out, model, jobs=2)
    assert listed == [out]  # one listing for the run, not one per file
    assert not any(path.exists() for path in ours)
    assert all(path.exists() for path in others)


def _planned(tmp_path: Path, model, count: int):
    from factopinion.labeling.files import batch_options, model_fingerprint, plan_jobs

    inputs = write_inputs(tmp_path / "in", count)
    return inputs, plan_jobs([tmp_path / "in"], tmp_path / "out", batch_options(None), model_fingerprint(model)).jobs


def test_small_files_labeled_together_are_synced_once(tmp_path, model, monkeypatch):
    """A group of small files: each output is what label writes, a bad file is reported and the others go on, one
    sync of the file system for the group instead of an fsync per file, each manifest written after its output."""
    from factopinion import atomic
    from factopinion.labeling.files import FileFailure, FileResult, is_complete, label_jobs_together

    inputs, jobs = _planned(tmp_path, model, 4)
    inputs[1].write_text('id\ttext\n1\t"never closed\tx\n', encoding="utf-8")
    synced, fsyncs = [], []
    real_sync = atomic._sync
    monkeypatch.setattr(atomic, "_sync", lambda folders: synced.append(folders) or real_sync(folders))
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: fsyncs.append(fd))
    outcomes = label_jobs_together(jobs, model)
    assert [type(o) for o in outcomes] == [FileResult, FileFailure, FileResult, FileResult]
    assert len(synced) == 1 and fsyncs == []
    for job, source in zip(jobs, inputs, strict=True):
        if source != inputs[1]:
            assert job.destination.read_bytes() == single_label(source, tmp_path / "ref"), source.name
            assert is_complete(job)
    assert not (tmp_path / "out" / inputs[1].name).exists()
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]


def test_a_group_of_small_files_asks_its_first_file_for_the_cell_mode_advice(tmp_path, model, monkeypatch):
    from factopinion.labeling import batch, files

    paragraph = "The mayor spoke. It rained all day. The plan is a disgrace. Critics agreed."
    (tmp_path / "in").mkdir()
    inputs = [tmp_path / "in" / f"day-{n}.csv" for n in range(3)]
    for path in inputs:
        path.write_text("id,text\n" + "".join(f"{n},{paragraph}\n" for n in range(20)), encoding="utf-8")
    options, fingerprint = files.batch_options(None), files.model_fingerprint(model)
    jobs = files.plan_jobs([tmp_path / "in"], tmp_path / "out", options, fingerprint).jobs
    asked = []
    advice = batch.multi_sentence_advice
    monkeypatch.setattr(batch, "multi_sentence_advice", lambda texts: asked.append(texts) or advice(texts))
    outcomes = files.label_jobs_together(jobs, model)
    assert len(asked) == 1
    warnings = [outcome.summary.warnings for outcome in outcomes if isinstance(outcome, files.FileResult)]
    assert len(warnings) == 3 and "the cells hold 4 sentences each" in warnings[0][0] and warnings[1:] == [[], []]
    assert all(files.is_complete(job) for job in jobs)  # the manifests record the jobs as planned
    report = files.RunSummary(done=[o for o in outcomes if isinstance(o, files.FileResult)])  # said once
    assert [line for line in report.notes() if "sentences each" in line] == [f"{inputs[0]}: {warnings[0][0]}"]


def test_an_interrupted_group_names_none_of_its_outputs(tmp_path, model, monkeypatch):
    from factopinion.labeling import files

    inputs, jobs = _planned(tmp_path, model, 3)
    real = files.label_file
    calls = []

    def label_file(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(files, "label_file", label_file)
    with pytest.raises(KeyboardInterrupt):
        files.label_jobs_together(jobs, model)
    assert list((tmp_path / "out").iterdir()) == []  # two files were complete: neither named, no temporary left


def test_existing_outputs_are_refused_before_any_work(tmp_path):
    inputs = write_inputs(tmp_path / "in", 2)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / inputs[1].name).write_text("keep me")
    result = run(tmp_path / "in", "--output-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert "part-01.tsv already exists (use --resume to skip complete outputs, or --force to relabel" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [inputs[1].name]
    assert run(tmp_path / "in", "--output-dir", tmp_path / "out", "--force", "-q").exit_code == 0
    assert (tmp_path / "out" / inputs[1].name).read_bytes() == single_label(inputs[1], tmp_path / "ref")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.csv", "b.csv"], "several INPUTs need --output-dir DIR"),
        (["a.csv", "--resume"], "--resume needs --output-dir DIR"),
        (["a.csv", "--dask", "local"], "--dask needs --output-dir DIR"),
        (["a.csv", "--retries", "1"], "--retries needs --output-dir DIR"),
        (["a.csv", "--output-dir", "o", "-o", "x.csv"], "not both"),
        (["a.csv", "--output-dir", "o", "--force", "--resume"], "not both"),
        (["a.csv", "--output-dir", "o", "--dask-workers", "2"], "--dask-workers is for --dask local"),
        (["a.csv", "--output-dir", "o", "--dask", "local", "--jobs", "2"], "--jobs is for a run on this machine"),
        (["a.csv", "--output-dir", "o", "--retries", "1"], "--retries is for --dask"),
        (["-", "--output-dir", "o"], "standard input ('-') has no file name"),
    ],
)
def test_usage_errors(tmp_path, monkeypatch, args, message):
    SAMPLES[".csv"](tmp_path / "a.csv", ROWS)
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr


def test_two_inputs_with_one_name_and_an_input_in_the_output_dir_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = (SAMPLES[".csv"](tmp_path / folder / "x.csv", ROWS) for folder in ("a", "b"))
    result = run(a, b, "--output-dir", tmp_path / "out")
    assert result.exit_code == 2 and "would both be written to" in result.stderr
    result = run(a, "--output-dir", tmp_path / "a", "--force")
    assert result.exit_code == 2 and "is in the output folder" in result.stderr
    assert a.read_bytes() == b.read_bytes()  # untouched


@pytest.mark.parametrize("companion", [".a.csv.done", ".a.csv.k3j9x0qz.part"])
def test_an_input_named_as_another_outputs_manifest_or_temporary_file_is_refused(tmp_path, companion):
    (tmp_path / "in").mkdir()
    inputs = [SAMPLES[".csv"](tmp_path / "in" / name, ROWS) for name in ("a.csv", companion, "b.csv")]
    result = run(*inputs, "--output-dir", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{inputs[1]}'s output would take the name of a file that labeling {inputs[0]} writes beside" in (
        result.stderr
    )
    assert not (tmp_path / "out").exists()
    assert run(inputs[0], inputs[2], "--output-dir", tmp_path / "out").exit_code == 0  # not a companion of b.csv


def test_a_missing_single_input_is_still_a_usage_error(tmp_path):
    result = run(tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert f"Invalid value for 'INPUT...': File '{tmp_path / 'nope.csv'}' does not exist." in result.stderr


# -- completeness and --resume ---------------------------------------------------------------------------------


def labeled_times(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if not p.name.startswith(".")}


def test_resume_skips_complete_outputs_and_relabels_the_rest(tmp_path):
    inputs = write_inputs(tmp_path / "in", 4)
    out = tmp_path / "out"
    assert run(*inputs[:2], "--output-dir", out, "-q").exit_code == 0
    before = labeled_times(out)
    manifest = json.loads(manifest_path(out / inputs[0].name).read_text())
    assert manifest["input"]["size"] == inputs[0].stat().st_size
    assert manifest["output"]["size"] == (out / inputs[0].name).stat().st_size
    assert manifest["counts"]["rows"] == len(ROWS) - 1 + 40

    result = run(tmp_path / "in", "--output-dir", out, "--resume")
    assert result.exit_code == 0, result.stderr
    assert "factopinion: 2 files, " in result.stderr and "; 2 already complete, skipped" in result.stderr
    assert {k: v for k, v in labeled_times(out).items() if k in before} == before  # not rewritten
    for source in inputs:
        assert (out / source.name).read_bytes() == single_label(source, tmp_path / "ref")

    result = run(tmp_path / "in", "--output-dir", out, "--resume")
    assert result.exit_code == 0 and "nothing to label: 4 files already complete" in result.stderr


def test_resume_relabels_what_is_not_complete(tmp_path):
    inputs = write_inputs(tmp_path / "in", 6)
    out = tmp_path / "out"
    assert run(tmp_path / "in", "--output-dir", out, "-q").exit_code == 0
    expected = {p.name: (out / p.name).read_bytes() for p in inputs}
    SAMPLES[".csv"](inputs[0], many_rows(41))  # the input (part-00.csv) changed
    (out / inputs[1].name).write_bytes((out / inputs[1].name).read_bytes()[:-10])  # a truncated output
    manifest_path(out / inputs[2].name).unlink()  # labeled, but stopped before its manifest
    (out / inputs[3].name).unlink()  # the output is gone
    os.utime(inputs[4], ns=(1, 1))  # touched (or copied): a new time, the same content, so still complete
    result = run(tmp_path / "in", "--output-dir", out, "--resume")
    assert result.exit_code == 0, result.stderr
    assert "factopinion: 4 files, " in result.stderr and "; 2 already complete" in result.stderr
    assert (out / inputs[0].name).read_bytes() == single_label(inputs[0], tmp_path / "ref")
    for source in inputs[1:]:
        assert (out / source.name).read_bytes() == expected[source.name]


def test_resume_relabels_when_an_option_that_changes_the_output_changes(tmp_path):
    inputs = write_inputs(tmp_path / "in", 2)
    out = tmp_path / "out"
    assert run(tmp_path / "in", "--output-dir", out, "-q").exit_code == 0
    # --jobs and --chunk-size do not change the bytes: still complete
    result = run(tmp_path / "in", "--output-dir", out, "--resume", "--jobs", "1", "--chunk-size", "3")
    assert "nothing to label: 2 files already complete" in result.stderr
    result = run(tmp_path / "in", "--output-dir", out, "--resume", "--threshold", "0.9")
    assert result.exit_code == 0 and "factopinion: 2 files, " in result.stderr
    assert (out / inputs[0].name).read_bytes() == single_label(inputs[0], tmp_path / "ref", "--threshold", "0.9")


@pytest.mark.slow
def test_resume_knows_complete_outputs_from_another_process(tmp_path):
    write_inputs(tmp_path / "in", 2)
    command = [
        sys.executable,
        "-m",
        "factopinion.cli",
        "label",
        str(tmp_path / "in"),
        "--output-dir",
        str(tmp_path / "out"),
    ]
    first = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "1"})
    assert first.returncode == 0, first.stderr
    again = subprocess.run(
        [*command, "--resume"], capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "2"}
    )
    assert again.returncode == 0, again.stderr
    assert "factopinion: nothing to label: 2 files already complete" in again.stderr  # the same model fingerprint


def test_a_manifest_is_written_after_its_output_and_removed_before_it_is_replaced(tmp_path):
    from factopinion import load_model
    from factopinion.labeling.batch import BatchOptions
    from factopinion.labeling.files import FileJob, is_complete, label_job

    source = SAMPLES[".csv"](tmp_path / "a.csv", ROWS)
    job = FileJob(source, tmp_path / "out.csv", BatchOptions(), "f" * 64, overwrite=True)
    assert not is_complete(job)
    result = label_job(job, load_model())
    assert is_complete(job) and result.summary.rows == len(ROWS) - 1
    assert not is_complete(FileJob(source, tmp_path / "out.csv", BatchOptions(), "e" * 64))
    source.write_text('id,text\n1,"unclosed\n')
    with pytest.raises(Exception, match="unbalanced quote"):
        label_job(job, load_model())
    assert not manifest_path(job.destination).exists()  # no longer claimed complete
    assert job.destination.exists()  # the previous output is left as it was (atomic)


def test_output_exists_keeps_its_message_across_processes():
    err = pickle.loads(pickle.dumps(OutputExists("out/a.csv")))
    assert str(err) == "out/a.csv already exists" and err.path == "out/a.csv"


def test_dask_missing_is_one_line_naming_the_install_command(tmp_path, monkeypatch):
    SAMPLES[".csv"](tmp_path / "a.csv", ROWS)
    for name in [m for m in sys.modules if m == "factopinion.labeling.dask"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    result = run(tmp_path / "a.csv", "--output-dir", tmp_path / "out", "--dask", "local")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ['Error: Dask is not installed: pip install "factopinion[dask]"']
    assert not (tmp_path / "out").exists()
