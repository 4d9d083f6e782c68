"""factopinion on Dask: ``label --output-dir --dask`` on a real LocalCluster of two worker processes (outputs byte
for byte those of a single-machine ``label``, a worker killed mid-run, ``--resume``, a bad file among good ones,
the model sent once per worker) and ``label_dataframe`` against pandas and against ``label``'s own output.

Skipped where the ``dask`` extra is not installed. Every cluster listens on 127.0.0.1 only."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason='the dask extra is not installed: pip install ".[dask]"')

import dask  # noqa: E402
import pandas as pd  # noqa: E402
from helpers import (  # noqa: E402
    ROWS,
    SAMPLES,
    invoke,  # noqa: E402
    many_rows,
    single_label,
    write_inputs,
)

from factopinion import load_model  # noqa: E402
from factopinion.errors import DataError, OptionError  # noqa: E402
from factopinion.labeling.batch import DOCUMENT_COLUMNS  # noqa: E402
from factopinion.labeling.dask import (  # noqa: E402
    ModelPlugin,
    _connect,
    label_dataframe,
    label_files,
    label_partition,
    local_cluster,
)
from factopinion.labeling.files import label_files as label_here  # noqa: E402
from factopinion.labeling.files import manifest_path  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two worker processes (one thread each) and a client to it, for the module."""
    with local_cluster(2) as cluster, distributed.Client(cluster) as connected:
        yield connected


def assert_same_as_single_label(inputs: list[Path], out: Path, reference: Path, *args: str) -> None:
    for source in inputs:
        assert (out / source.name).read_bytes() == single_label(source, reference, *args), source.name


def plugins_on_workers(client) -> set[str]:
    names = client.run(lambda dask_worker: list(dask_worker.plugins))
    return {name for worker in names.values() for name in worker if name.startswith("factopinion-")}


# -- many files on the cluster -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_outputs_are_byte_identical_to_single_machine_label(client, tmp_path):
    inputs = write_inputs(tmp_path / "in", rows=300)  # every format a folder contributes
    address = client.scheduler.address
    result = invoke(
        ["label", tmp_path / "in", "--output-dir", tmp_path / "out", "--dask", address, "--chunk-size", "50"]
    )
    assert result.exit_code == 0, result.stderr
    rows = len(inputs) * (len(ROWS) - 1 + 300)
    assert re.search(rf"^factopinion: {len(inputs)} files, {rows:,} rows: .* opinion, [\d.]+ s$", result.stderr, re.M)
    assert_same_as_single_label(inputs, tmp_path / "out", tmp_path / "ref")
    assert all(manifest_path(tmp_path / "out" / p.name).is_file() for p in inputs)
    assert plugins_on_workers(client) == set()  # the model is dropped from the workers after the run


@pytest.mark.slow
def test_sentences_and_options_through_the_api(client, tmp_path):
    inputs = write_inputs(tmp_path / "in", 2, rows=100)
    summary = label_files(
        [str(tmp_path / "in" / "*")], tmp_path / "out", client, sentences=True, column_names={"label": "voice"}
    )
    assert not summary.failed and len(summary.done) == 2
    assert summary.total.sentences > summary.total.labeled
    assert_same_as_single_label(inputs, tmp_path / "out", tmp_path / "ref", "--sentences", "--column", "label=voice")


def _model_seen(plugin: str) -> tuple[int, int]:
    """Run on a worker: this process and the identity of the model object it holds."""
    time.sleep(0.05)
    return os.getpid(), id(distributed.get_worker().plugins[plugin].model)


@pytest.mark.slow
def test_the_model_is_sent_once_per_worker_not_per_task(client):
    client.register_plugin(ModelPlugin(load_model()), name="factopinion-model-test")
    try:
        futures = [client.submit(_model_seen, "factopinion-model-test", pure=False) for _ in range(12)]
        seen = client.gather(futures)
    finally:
        client.unregister_worker_plugin("factopinion-model-test")
    models_per_process: dict[int, set[int]] = {}
    for pid, model in seen:
        models_per_process.setdefault(pid, set()).add(model)
    assert len(models_per_process) == 2  # both workers ran tasks...
    assert all(len(models) == 1 for models in models_per_process.values())  # ...each with one copy of the model


def test_local_workers_keep_the_systems_allocator_settings(monkeypatch):
    """Dask's nannies start their workers with MALLOC_TRIM_THRESHOLD_ set (30% more CPU per row for the scorer's
    arrays, bench/dask_scale.py), putting it in this process's environment first; a local cluster's workers start
    without it, as the local pool's processes do."""
    import os

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with local_cluster(1) as cluster, distributed.Client(cluster) as connected:
        seen = connected.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(seen.values()) == [None]
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ


@pytest.mark.slow
def test_resume_on_the_cluster(client, tmp_path):
    inputs = write_inputs(tmp_path / "in", 4, rows=100)
    out, address = tmp_path / "out", client.scheduler.address
    assert invoke(["label", *inputs[:2], "--output-dir", out, "--dask", address, "-q"]).exit_code == 0
    times = {p.name: (out / p.name).stat().st_mtime_ns for p in inputs[:2]}
    result = invoke(["label", tmp_path / "in", "--output-dir", out, "--dask", address, "--resume"])
    assert result.exit_code == 0, result.stderr
    assert "factopinion: 2 files, " in result.stderr and "; 2 already complete, skipped" in result.stderr
    assert {name: (out / name).stat().st_mtime_ns for name in times} == times
    assert_same_as_single_label(inputs, out, tmp_path / "ref")


@pytest.mark.slow
def test_a_bad_file_is_reported_while_the_others_finish(client, tmp_path):
    inputs = write_inputs(tmp_path / "in", 3, rows=100)
    inputs[0].write_text('id,text\n1,"never closed\n', encoding="utf-8")
    result = invoke(["label", tmp_path / "in", "--output-dir", tmp_path / "out", "--dask", client.scheduler.address])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == f"factopinion: failed: {inputs[0]}: line 2: unbalanced quote: a quoted field opens here and never closes"
    )
    assert lines[1].startswith("factopinion: 2 files, ") and lines[1].endswith("; 1 failed")
    assert lines[2:] == ["Error: 1 of 3 files failed; their outputs were not written"]
    assert not (tmp_path / "out" / inputs[0].name).exists()
    assert_same_as_single_label(inputs[1:], tmp_path / "out", tmp_path / "ref")


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_the_output_is_the_same(tmp_path):
    inputs = write_inputs(tmp_path / "in", 4, rows=100_000)  # about a second of labeling each
    killed: dict[str, object] = {}

    def kill_a_busy_worker(connected) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            busy = {
                w: keys
                for w, keys in connected.processing().items()
                if any("factopinion-label" in str(k) for k in keys)
            }
            if busy:
                worker, keys = next(iter(busy.items()))
                pid = connected.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed.update(pid=pid, files={int(str(key).rsplit("-", 1)[1]) for key in keys})
                return
            time.sleep(0.02)

    with local_cluster(2) as cluster, distributed.Client(cluster) as connected:
        connected.run(lambda: None)  # both workers up
        killer = threading.Thread(target=kill_a_busy_worker, args=(connected,))
        killer.start()
        summary = label_files([tmp_path / "in"], tmp_path / "out", connected, model=load_model())
        killer.join()
    assert killed, "no worker was seen busy"
    assert not summary.failed and len(summary.done) == 4
    for n in killed["files"]:  # type: ignore[attr-defined]
        assert not summary.done[n].worker.endswith(f":{killed['pid']}")  # finished by another process
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]  # the dead one's, removed
    reference = tmp_path / "ref"
    label_here(inputs, reference, load_model(), jobs=2)  # the single-machine run, on the local pool
    for source in inputs:
        assert (tmp_path / "out" / source.name).read_bytes() == (reference / source.name).read_bytes()


@pytest.mark.slow
def test_the_schedulers_warnings_are_quiet_while_a_local_run_lasts():
    """A loaded machine makes the scheduler (it runs in this process) warn of late heartbeats: worker noise, which
    must not reach the user's standard error during ``--dask local``; Dask's logging is as it was afterwards."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    scheduler = logging.getLogger("distributed.scheduler")
    try:
        with _connect("local", 1):
            scheduler.addHandler(handler)  # Dask's own start-up logging is not this test's
            scheduler.warning("Received heartbeat from unregistered worker 'tcp://127.0.0.1:1'.")
            scheduler.error("a real error")
            scheduler.removeHandler(handler)
        scheduler.addHandler(handler)
        scheduler.warning("after the run")
    finally:
        scheduler.removeHandler(handler)
    assert [record.getMessage() for record in records] == ["a real error", "after the run"]


# -- errors of the API -------------------------------------------------------------------------------------------


def test_api_errors_before_any_work(tmp_path):
    write_inputs(tmp_path / "in", 1)
    with pytest.raises(OptionError, match="add workers instead of jobs"):
        label_files([tmp_path / "in"], tmp_path / "out", "local", jobs=2)
    with pytest.raises(OptionError, match="retries must be at least 0"):
        label_files([tmp_path / "in"], tmp_path / "out", "local", retries=-1)
    with pytest.raises(OptionError, match="unknown option 'sentence'"):
        label_files([tmp_path / "in"], tmp_path / "out", "local", sentence=True)
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    write_inputs(tmp_path / "in", 1)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = invoke(["label", tmp_path / "in", "--output-dir", tmp_path / "out", "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")


# -- a dask DataFrame ----------------------------------------------------------------------------------------------

TEXTS = [row[1] for row in many_rows(60)[1:]] + [
    None,
    "   ",
    float("nan"),
    "COUNCIL VOTE\n\nThe vote was 7-2. A farce.",
]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": range(len(TEXTS)), "text": TEXTS, "n": [i * 0.5 for i in range(len(TEXTS))]})


def labeled_by_label_command(tmp_path: Path, *args: str) -> list[list[str]]:
    """The rows ``factopinion label`` writes for frame()'s texts (missing values as empty cells)."""
    source = tmp_path / "texts.csv"
    texts = ["" if not isinstance(t, str) else t for t in TEXTS]
    SAMPLES[".csv"](source, [["id", "text"], *[[str(i), t] for i, t in enumerate(texts)]])
    output = single_label(source, tmp_path / "labeled", *args).decode("utf-8")
    return list(csv.reader(io.StringIO(output, newline="")))[1:]


def as_text(value) -> str:
    """A value as ``label`` writes it: empty for missing, floats to six decimals."""
    return "" if pd.isna(value) else f"{value:.6f}" if isinstance(value, float) else str(value)


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module", name="dd")
def dask_dataframe():
    """dask.dataframe, which label_dataframe's users have (it takes a dask DataFrame); not part of the extra."""
    return pytest.importorskip("dask.dataframe")


@pytest.mark.parametrize("unit", ["cell", "sentence", "document"])
def test_label_dataframe_matches_pandas_and_meta(dd, model, unit):
    ddf = dd.from_pandas(frame(), npartitions=4)
    lazy = label_dataframe(ddf, "text", unit, model=model)
    with dask.config.set(scheduler="sync"):
        result = lazy.compute()
    rows = ddf.compute()  # the same rows as one pandas frame (with Dask's dtypes)
    pd.testing.assert_frame_equal(result, label_partition(rows, model, "text", unit))
    assert list(result.columns) == list(lazy.columns) and (result.dtypes == lazy.dtypes).all()  # meta is right
    added = model.label_series(rows["text"], unit=unit)  # pandas' own answer for the same rows
    pd.testing.assert_frame_equal(result[list(added.columns)], added, check_dtype=False)
    pd.testing.assert_frame_equal(result[list(rows.columns)], rows.loc[result.index])


def test_label_dataframe_cells_are_what_label_writes(dd, model, tmp_path):
    with dask.config.set(scheduler="sync"):
        result = label_dataframe(dd.from_pandas(frame(), npartitions=3), "text", model=model).compute()
    rows = labeled_by_label_command(tmp_path)
    pairs = zip(result["label"], result["opinion_probability"], strict=True)
    assert [[as_text(v) for v in pair] for pair in pairs] == [row[2:-1] for row in rows]  # (label adds language)


def test_label_dataframe_documents_are_what_label_documents_writes(dd, model, tmp_path):
    with dask.config.set(scheduler="sync"):
        result = label_dataframe(dd.from_pandas(frame(), npartitions=3), "text", "document", model=model).compute()
    rows = labeled_by_label_command(tmp_path, "--documents")  # id, text, then the four document columns
    columns = [column for column in DOCUMENT_COLUMNS if column != "language"]  # label identifies languages
    got = [[as_text(v) for v in values] for values in result[columns].itertuples(index=False)]
    assert got == [row[2:-1] for row in rows]


def test_label_dataframe_sentences_are_what_score_finds(dd, model):
    with dask.config.set(scheduler="sync"):
        sentences = label_dataframe(dd.from_pandas(frame(), npartitions=3), "text", "sentence", model=model).compute()
    expected = []
    for index, text in enumerate(TEXTS):
        scored = model.score(text).sentences if isinstance(text, str) and text.strip() else []
        expected += [[index, s.index, s.start, s.end, s.sentence, s.label, s.opinion_probability] for s in scored]
        expected += [] if scored else [[index, None, None, None, None, None, None]]
    columns = sentences[["sentence_index", "start", "end", "sentence", "label", "opinion_probability"]]
    got = [
        [i, *(None if pd.isna(v) else v for v in values)]
        for i, values in zip(sentences.index, columns.itertuples(index=False), strict=True)
    ]
    assert got == expected  # headings are not sentences, as in score


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["cell", "sentence"])
def test_label_dataframe_on_the_cluster(client, dd, model, unit):
    ddf = dd.from_pandas(frame(), npartitions=6)
    result = label_dataframe(ddf, "text", unit, model=model).compute()  # on the cluster: the client is the default
    pd.testing.assert_frame_equal(result, label_partition(ddf.compute(), model, "text", unit))


def test_label_dataframe_puts_the_model_in_the_graph_once(dd, model):
    import cloudpickle

    def graph_bytes(partitions: int) -> int:
        lazy = label_dataframe(dd.from_pandas(frame(), npartitions=partitions), "text", model=model)
        return len(cloudpickle.dumps(dict(lazy.__dask_graph__())))

    model_bytes = len(cloudpickle.dumps(model))
    assert graph_bytes(2) > model_bytes  # the model is in it...
    assert graph_bytes(12) - graph_bytes(2) < model_bytes / 10  # ...once, however many partitions read it


def test_label_dataframe_errors(dd, model):
    ddf = dd.from_pandas(frame(), npartitions=2)
    with pytest.raises(DataError, match="no column 'body'; the columns are: id, text, n"):
        label_dataframe(ddf, "body", model=model)
    with pytest.raises(OptionError, match="unit must be one of cell, sentence, document"):
        label_dataframe(ddf, "text", "paragraph", model=model)
    with pytest.raises(DataError, match="already has a column 'n'"):
        label_dataframe(ddf, "text", "document", model=model, column_names={"sentences": "n"})
    with pytest.raises(OptionError, match="no added column 'row'"):
        label_dataframe(ddf, "text", "sentence", model=model, column_names={"row": "r"})
    renamed = label_dataframe(ddf, "text", model=model, column_names={"label": "voice"})
    assert list(renamed.columns) == ["id", "text", "n", "voice", "opinion_probability"]
