"""``factopinion label`` beyond one machine: many files labeled on a Dask cluster, one task per file, with the same
output as a single-machine run, byte for byte; and the model applied to a dask DataFrame.

Needs the optional extra: ``pip install "factopinion[dask]"``; importing this module without it raises
``MissingExtra`` (an ``ImportError``) naming that command.

The module is ``factopinion.dask``, named after what it integrates, as ``tqdm.dask`` is. Inside it ``import dask``
is an absolute import and means the Dask package (Python 3 has no implicit relative imports), so the name does
not shadow Dask for this module or for anyone else. It would only if this file were run as a script or the
package's own folder were put on ``sys.path``: do neither.

Why a whole file is one task, never byte ranges of one CSV: a quoted CSV field may contain line breaks, so a
reader that starts at an arbitrary byte cannot tell whether a newline ends a record or sits inside a cell (Dask's
own ``read_csv`` warns of this for ``blocksize``); splitting would lose the byte-for-byte contract and the exact
line numbers of errors. The files researchers keep (days of wires, crawl shards, a few GB each) are the natural
unit; a corpus kept as one huge file should be split into files first, on record boundaries.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..bundled import load_model
from ..document import UNITS as ALL_UNITS
from ..document import check_threshold, unit_named
from ..errors import ClusterError, DataError, FactopinionError, MissingExtra, OptionError
from ..model import Model
from .files import (
    FileFailure,
    FileJob,
    FileResult,
    RunSummary,
    batch_options,
    failure_message,
    label_job,
    model_fingerprint,
    plan_jobs,
    remove_stale_parts,
)

INSTALL = 'pip install "factopinion[dask]"'

try:
    import dask  # the Dask package (an absolute import), never this module
    import distributed
except ImportError:  # tests/labeling/test_files.py hides Dask to check this
    raise MissingExtra(f"Dask is not installed: {INSTALL}") from None

if TYPE_CHECKING:
    import pandas as pd

    from .batch import BatchOptions

__all__ = [
    "DOCUMENT_COLUMNS",
    "SENTENCE_UNIT_COLUMNS",
    "UNITS",
    "label_dataframe",
    "label_files",
    "label_partition",
    "local_cluster",
]

# The units and the columns each adds to a frame (``document.UNITS``).
UNITS = tuple(ALL_UNITS)
SENTENCE_UNIT_COLUMNS = ALL_UNITS["sentence"].series_columns
DOCUMENT_COLUMNS = ALL_UNITS["document"].series_columns


# -- many files ------------------------------------------------------------------------------------------------------


class ModelPlugin(distributed.WorkerPlugin):
    """Holds the model on every worker. The scheduler keeps the plugin (pickled once) and gives it to each worker,
    those that join or restart later included: the model crosses the network once per worker, never per task."""

    idempotent = False

    def __init__(self, model: Model):
        self.model = model

    def setup(self, worker: distributed.Worker) -> None:
        pass


def _label_task(job: FileJob, plugin: str) -> FileResult | FileFailure:
    """One Dask task: label one file with the model this worker holds, in the worker's own process.

    An error factopinion reports about the file itself (malformed input, an unusable column, an output that
    cannot be replaced) is final, so it is returned, not raised: retrying cannot change it, and a worker would log
    its traceback each time. Anything else (an I/O error, memory, a bug) is raised, and Dask retries the task.
    """
    model = distributed.get_worker().plugins[plugin].model  # type: ignore[attr-defined]
    try:
        return label_job(job, model)
    except FactopinionError as err:
        return FileFailure(job, failure_message(job, err))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Dask's nannies start their workers with MALLOC_TRIM_THRESHOLD_=65536, so that a long-lived worker gives freed memory
# back to the system; a set threshold also turns off glibc's adaptive mmap threshold, and every large array is then
# mapped and faulted in anew: the scorer's NumPy work took some 30% more CPU per row in a Dask worker than in the
# local pool (bench/dask_scale.py). A local cluster lives for one run, as the local pool's processes do: its workers
# get the system's allocator settings (a value the user set in the environment is still inherited).
LOCAL_WORKER_ENVIRONMENT = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def local_cluster(workers: int | None = None) -> distributed.LocalCluster:
    """A LocalCluster of ``workers`` processes (default: one per core), one thread each, listening on 127.0.0.1
    only."""
    if workers is not None and workers < 1:
        raise OptionError(f"a local cluster needs at least 1 worker, not {workers}")
    from distributed.deploy.spec import SpecCluster

    before = set(SpecCluster._instances)
    try:
        with dask.config.set(LOCAL_WORKER_ENVIRONMENT):
            return distributed.LocalCluster(
                n_workers=workers or _cores(),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # the HTTP server (and the dashboard, with bokeh): local only
            )
    except BaseException as err:
        # A cluster stopped while it starts (Ctrl-C) cannot be closed: Dask's exit handler would fail on its
        # workers still starting and print that. Its worker processes end with this one (they are daemons).
        for cluster in set(SpecCluster._instances) - before:
            cluster.shutdown_on_close = False
        _quiet_logs()  # and the tasks of its start that no one will wait for now
        if isinstance(err, OSError | RuntimeError | TimeoutError):
            raise ClusterError(f"cannot start a local Dask cluster: {err}") from None
        raise


def _quiet_logs() -> None:
    """Dask's logging kept to critical, and asyncio's: a cluster stopped mid-run leaves futures that failed as their
    connections closed, and asyncio logs each one it collects unretrieved, traceback and all."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)


@contextlib.contextmanager
def _scheduler_quiet() -> Iterator[None]:
    """Dask's own logging in this process (the local cluster's scheduler and nannies run here) kept to errors
    while the run lasts: on a loaded machine the scheduler warns of late heartbeats ("Received heartbeat from
    unregistered worker"), which is worker noise; a worker's real failure reaches this process as an exception, and
    is reported as one line."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _workers_without_stderr() -> Iterator[None]:
    """Standard error pointed at the null device while the local cluster starts its worker processes, which inherit
    it. Ctrl-C reaches every process of the terminal's foreground group, and each worker would print its
    KeyboardInterrupt and Dask's logging of its shutdown; this process reports every failure of theirs (a task's
    error comes back with its result, a worker's death from the nanny, which runs here) and stops them."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


@contextlib.contextmanager
def _connect(client: distributed.Client | str | None, workers: int | None) -> Iterator[distributed.Client]:
    """The client to run on: the one given; a new LocalCluster for ``"local"`` (closed afterwards); a connection
    to the scheduler at an address; for None the current client, else a LocalCluster."""
    if client is None:
        try:
            client = distributed.Client.current()
        except ValueError:
            client = "local"
    if workers is not None and client != "local":
        raise OptionError("the number of workers is only for a local cluster (--dask local)")
    if isinstance(client, distributed.Client):
        yield client
    elif client == "local":
        with _workers_without_stderr():
            cluster = local_cluster(workers)
        try:
            with _scheduler_quiet(), cluster, distributed.Client(cluster) as local:
                try:
                    yield local
                except BaseException:  # Ctrl-C or a signal: the cluster closes, and its logging of that is noise
                    _quiet_logs()
                    raise
                # The run is over: keep the workers of this cluster from logging the heartbeat errors of a shutdown
                # race in Dask (dask/distributed#7105) as they close.
                with contextlib.suppress(Exception):
                    local.run(_quiet_logs)
        except BaseException:  # (again once closed, and for a stop while the client connects)
            _quiet_logs()
            raise
    else:
        with _remote(client) as remote:
            yield remote


@contextlib.contextmanager
def _remote(address: str) -> Iterator[distributed.Client]:
    """A client of the scheduler at ``address``, connected within Dask's connect timeout (``distributed.comm.
    timeouts.connect``, 30 s unless configured) for the whole handshake: Dask's own bounds only the TCP connection,
    and a server that accepts it and never answers would hold the run for ever. Any failure (an unknown protocol,
    TLS without its settings, a server that does not speak Dask's protocol) is one ``ClusterError``."""
    from dask.utils import parse_timedelta

    limit = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="s") or 30.0
    made: list[distributed.Client] = []
    failed: list[BaseException] = []

    def connect() -> None:
        try:
            made.append(distributed.Client(address, timeout=limit, set_as_default=False))
        except BaseException as err:  # noqa: BLE001 - reported by the caller's thread
            failed.append(err)
            _mark_closed(err)

    thread = threading.Thread(target=connect, name="factopinion-dask-connect", daemon=True)
    thread.start()
    thread.join(limit + 1)
    if thread.is_alive():  # left behind: a daemon thread, blocked on a server that never answers
        raise ClusterError(f"the Dask scheduler at {address} accepted the connection but did not answer within "
                           f"{limit:g} s (distributed.comm.timeouts.connect)")  # fmt: skip
    if failed:
        err = failed[0]
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {_first_line(err)}") from None
    with made[0] as remote:
        yield remote


def _mark_closed(err: BaseException) -> None:
    """Mark the client that ``err`` left half made as closed: its ``__del__`` would otherwise try to close it on an
    event loop already stopped, and print a traceback when that times out, as the program ends."""
    frame = err.__traceback__
    while frame is not None:
        made = frame.tb_frame.f_locals.get("self")
        if isinstance(made, distributed.Client):
            made.status = "closed"
        frame = frame.tb_next


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def label_files(
    inputs: Iterable[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    client: distributed.Client | str | None = None,
    *,
    model: Model | str | os.PathLike[str] | None = None,
    workers: int | None = None,
    retries: int = 2,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    options: BatchOptions | None = None,
    **fields: Any,
) -> RunSummary:
    """Label ``inputs`` (files, globs, folders: ``fileset.find_inputs``) into ``output_dir`` on a Dask cluster,
    one task per file; every output is what ``label INPUT -o output_dir/NAME`` writes on one machine.

    ``client``: a ``distributed.Client``; ``"local"`` for a new LocalCluster of ``workers`` processes; a scheduler
    address (``"tcp://host:8786"``); None for the current client, else a LocalCluster. Every machine must see
    the inputs and ``output_dir`` at the same paths. ``model``: a ``Model``, a model path, or None for the bundled
    one; it is sent once to each worker. A task that raises is retried ``retries`` times (a task whose worker
    dies is rescheduled by Dask, up to ``distributed.scheduler.allowed-failures`` times); a file that still
    fails is reported in the summary's ``failed`` and the other files finish. An error about the file itself
    (malformed input, say) is not retried: it would only recur. ``progress`` shows Dask's progress
    bar on standard error. ``resume`` and ``force`` are ``files.plan_jobs``'s; ``options`` (a ``BatchOptions``),
    or ``BatchOptions``' fields as keywords, are the same for every file (``jobs`` must be 1 or left out: each
    file is labeled in its worker's process).
    """
    if retries < 0:
        raise OptionError(f"retries must be at least 0, not {retries}")
    if (options.jobs if options is not None else fields.pop("jobs", None)) not in (None, 0, 1):
        raise OptionError("on Dask each file is labeled in its worker's own process: add workers instead of jobs")
    batch = batch_options(options, jobs=1, **fields)
    model = model if isinstance(model, Model) else load_model(None if model is None else os.fspath(model))
    plan = plan_jobs(inputs, output_dir, batch, model_fingerprint(model), resume=resume, force=force)
    started = time.perf_counter()
    summary = RunSummary(sentences_mode=batch.mode != "cell", complete=list(plan.complete))
    if plan.jobs:
        with _connect(client, workers) as connected:
            outcomes = _run(connected, plan.jobs, model, retries, progress)
        remove_stale_parts(job.destination for job in plan.jobs)
        summary.done = [o for o in outcomes if isinstance(o, FileResult)]
        summary.failed = [o for o in outcomes if isinstance(o, FileFailure)]
    summary.seconds = time.perf_counter() - started
    return summary


def _run(
    client: distributed.Client, jobs: Sequence[FileJob], model: Model, retries: int, progress: bool
) -> list[FileResult | FileFailure]:
    """Submit one task per job, wait for all, and return each job's outcome in the jobs' order."""
    run = uuid.uuid4().hex[:12]
    plugin = f"factopinion-model-{run}"
    try:
        client.register_plugin(ModelPlugin(model), name=plugin)
    except Exception as err:  # a worker could not unpickle it: factopinion missing, other versions
        raise ClusterError(
            f"the Dask workers cannot take the model ({type(err).__name__}: {err}); install the same "
            f"factopinion, scikit-learn and Dask on every worker ({INSTALL})"
        ) from None
    futures: list[distributed.Future] = []
    try:
        futures = [
            client.submit(_label_task, job, plugin, key=f"factopinion-label-{run}-{n}", retries=retries, pure=False)
            for n, job in enumerate(jobs)
        ]
        if progress:
            with contextlib.redirect_stdout(sys.stderr):  # Dask's text bar writes to sys.stdout
                distributed.progress(futures, multi=False)
        outcomes: list[FileResult | FileFailure] = []
        for job, future in zip(jobs, futures, strict=True):
            try:
                outcomes.append(future.result())
            except Exception as err:  # a failed task re-raises its error here, after its retries
                outcomes.append(FileFailure(job, failure_message(job, err)))
        return outcomes
    finally:
        unfinished = [f for f in futures if not f.done()]
        if unfinished:  # stopped early (Ctrl-C): the cluster need not finish them, nor log that it did not
            _quiet_logs()
            with contextlib.suppress(Exception):
                client.run(_quiet_logs)
            client.cancel(unfinished)
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin)


# -- a dask DataFrame ------------------------------------------------------------------------------------------------


def _output_names(columns: Sequence[str], unit: str, column_names: Mapping[str, str] | None) -> dict[str, str]:
    """Each added field's output name; an unknown unit or field, two fields with one name, or a name the frame
    already has are errors."""
    chosen = unit_named(unit)
    names = dict(zip(chosen.series_columns, chosen.output_names(column_names or {}, f"for unit {unit!r}", frame=True),
                     strict=True))  # fmt: skip
    taken = next((n for n in names.values() if n in columns), None)
    if taken is not None:
        raise DataError(f"the frame already has a column {taken!r}; name the added one otherwise (column_names)")
    return names


def label_partition(
    frame: pd.DataFrame,
    model: Model,
    text_column: str,
    unit: str = "cell",
    threshold: float = 0.5,
    column_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Label one pandas DataFrame: what ``label_dataframe`` does to each partition, ``Model.label_series``'s
    columns joined to the frame's.

    ``cell``: the frame with ``label`` and ``opinion_probability`` added. ``sentence``: one row per sentence of each
    cell (the input row, its index included, repeated), with ``sentence_index``, ``start``, ``end`` (offsets into
    the cell), ``sentence``, ``label`` and ``opinion_probability``. ``document``: one row per input row with
    ``sentences``, ``opinion_sentences``, ``opinion_share`` and ``mean_opinion_probability``, the columns of
    ``label --documents``. Sentences are split as ``score`` splits them (headings are not sentences). A missing or
    blank cell keeps its row, with missing values in the added columns. The added text columns take the text
    column's dtype where it is a pandas string dtype (as Dask makes it), so the frame's strings stay uniform.
    """
    import pandas as pd

    names = _output_names(list(frame.columns), unit, column_names)
    column = frame[text_column]
    added = model.label_series(column.reset_index(drop=True), unit=unit, threshold=threshold)  # type: ignore[arg-type]
    rows = frame.iloc[added.index.to_numpy()]  # by position: the frame's index may repeat
    added.index = rows.index
    if isinstance(column.dtype, pd.StringDtype):
        for name in ("label", "sentence"):
            if name in added:
                added[name] = added[name].astype(column.dtype)
    return pd.concat([rows, added.rename(columns=names)], axis=1)


def label_dataframe(
    ddf: Any,
    text_column: str,
    unit: str = "cell",
    model: Model | str | os.PathLike[str] | None = None,
    *,
    threshold: float = 0.5,
    column_names: Mapping[str, str] | None = None,
) -> Any:
    """Label the text column of a dask DataFrame: a lazy dask DataFrame, each partition labeled by
    ``label_partition`` (see it for the units and the added columns), with its ``meta`` (the exact columns and
    dtypes) computed from the input's. ``model`` (a ``Model``, a model path, or None for the bundled one) is one
    object in the graph: each worker receives it once, however many partitions it labels. ``column_names``
    renames added columns (``{"label": "verdict"}``)."""
    import dask.dataframe as dd

    if not isinstance(ddf, dd.DataFrame):
        raise DataError(f"expected a dask DataFrame, not {type(ddf).__name__}")
    if text_column not in ddf.columns:
        raise DataError(f"no column {text_column!r}; the columns are: {', '.join(map(str, ddf.columns))}")
    check_threshold(threshold)
    _output_names(list(ddf.columns), unit, column_names)
    model = model if isinstance(model, Model) else load_model(None if model is None else os.fspath(model))
    meta = label_partition(ddf._meta, model, text_column, unit, threshold, column_names)
    shipped = dask.delayed(model, name=f"factopinion-model-{uuid.uuid4().hex[:12]}")
    return ddf.map_partitions(label_partition, shipped, text_column, unit, threshold, column_names, meta=meta)
