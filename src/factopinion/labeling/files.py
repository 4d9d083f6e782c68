"""Label many input files into one output folder: which files a list of paths, globs and folders names, where
each output goes (the folder, the input's own name), how a finished output is recorded so that ``--resume`` can
skip it, and the local run (files one after another, each on the local worker pool). ``factopinion.dask`` runs the
same per-file unit, ``label_job``, as one Dask task per file.

Completeness: an output is written atomically (``atomic``: it takes its name only when whole), then a manifest
``.NAME.done`` (hidden, beside it, also written atomically) records the input's size, modification time and
SHA-256, the output's size, and a fingerprint of everything that decides the output's bytes (the options that
change them, the model, the factopinion version). An output counts as complete when its manifest is there, the
fingerprint is the same, the output still has the recorded size, and the input still has the recorded size and
either the recorded modification time or the recorded SHA-256 (a copied file keeps its content, not its time).
The manifest of an output is removed before the output is replaced, so a run stopped at any point leaves either
a complete output with its manifest, or an output without a manifest, which ``--resume`` labels again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import signal
import socket
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..atomic import (
    Publication,
    atomic_output,
    check_writable,
    hidden_name,
    part_prefix,
    part_prefix_of,
    same_file,
)
from ..errors import DataError, FactopinionError, OptionError, OutputError, WorkerDied
from ..model import Model
from ..tables import registry as tables
from ..tables.csvstream import CHUNK_BYTES, BadRecord
from .batch import (
    BatchOptions,
    BatchSummary,
    ChunkCounts,
    Progress,
    exit_with_parent,
    job_count,
    label_file,
    lean_memory,
)

__all__ = [
    "INPUT_SUFFIXES",
    "MANIFEST_SUFFIX",
    "FileFailure",
    "FileJob",
    "FileResult",
    "Plan",
    "RunSummary",
    "batch_options",
    "failure_message",
    "find_inputs",
    "is_complete",
    "is_input_name",
    "label_files",
    "label_job",
    "manifest_path",
    "model_fingerprint",
    "plan_jobs",
    "remove_stale_parts",
    "run_local",
    "total_bytes",
    "worker_name",
]

# What a folder given as an input contributes: its files whose names end (in any case) with one of these: every
# extension ``tables`` reads, and the text formats gzipped. Names are matched with ``endswith``, so compound
# suffixes work. Files named explicitly, or matched by a glob, are taken whatever their extension.
INPUT_SUFFIXES = tuple(tables.SUFFIXES) + tuple(
    f"{s}.gz" for s, kind in tables.SUFFIXES.items() if tables.FORMATS[kind].text
)
MANIFEST_SUFFIX = ".done"
MANIFEST_FORMAT = 1
MAX_MANIFEST_BYTES = 1 << 20  # a manifest is about a kilobyte
# Options that do not change an output's bytes, left out of the fingerprint.
_NOT_IN_FINGERPRINT = frozenset({"jobs", "chunk_rows", "chunk_bytes", "advise"})


def is_input_name(name: str) -> bool:
    """Whether a file in an input folder is labeled: not hidden, and with one of ``INPUT_SUFFIXES``."""
    return not name.startswith(".") and name.lower().endswith(INPUT_SUFFIXES)


def _suffixes_text() -> str:
    *rest, last = tables.SUFFIXES
    return f"{', '.join(rest)} or {last} file (gzipped or not)"


def find_inputs(
    items: Iterable[str | os.PathLike[str]],
    accepts: Callable[[str], bool] = is_input_name,
    described: Callable[[], str] = _suffixes_text,
) -> list[Path]:
    """The input files that ``items`` name, in order, each once: a file as it is; a folder, every file in it
    (not in its subfolders) that ``accepts`` (by name; ``described`` says what for the error), sorted by name; a
    glob (``*``, ``?``, ``[...]``, ``**`` for any depth), the files it matches, sorted, hidden ones excepted, as a
    shell would. Raises ``DataError`` for a name that is none of these, a folder without inputs or a glob without
    matches."""
    found: dict[str, Path] = {}
    for item in items:
        name = os.fspath(item)
        if name == "-":
            raise OptionError("standard input ('-') has no file name to write into the output folder: name files")
        path = Path(name)
        if path.is_dir():
            try:
                entries = sorted(path.iterdir())
            except OSError as err:
                raise DataError(f"cannot read the folder {name}: {err.strerror or err}") from None
            matches = [p for p in entries if accepts(p.name) and p.is_file()]
            if not matches:
                raise DataError(f"{name}: no {described()} in this folder")
        elif path.exists():
            matches = [path]
        elif any(c in name for c in "*?["):
            matches = [Path(p) for p in sorted(_glob(name)) if os.path.isfile(p)]
            if not matches:
                raise DataError(f"no file matches {name}")
        else:
            raise DataError(f"{name}: no such file or folder")
        for match in matches:
            found.setdefault(os.path.realpath(match), match)
    return list(found.values())


def _glob(pattern: str) -> list[str]:
    """The paths ``pattern`` matches, as ``glob.glob(pattern, recursive=True)``, except that ``**`` does not go
    into links to folders (as bash's globstar): two links to ``.`` would make its paths double at every level."""
    import fnmatch
    import glob

    if "**" not in pattern:
        return glob.glob(pattern)
    parts = pattern.split(os.sep)
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    root = os.sep.join(parts[:fixed]) or ("/" if pattern.startswith(os.sep) else "")
    rest = parts[fixed:]

    def matches(names: list[str], wanted: list[str]) -> bool:
        if not wanted:
            return not names
        if wanted[0] == "**":
            return matches(names, wanted[1:]) or (bool(names) and not names[0].startswith(".") and matches(
                names[1:], wanted))  # fmt: skip
        return (
            bool(names)
            and (not names[0].startswith(".") or wanted[0].startswith("."))
            and fnmatch.fnmatchcase(names[0], wanted[0])
            and matches(names[1:], wanted[1:])
        )

    found = []
    for folder, folders, files in os.walk(root or ".", followlinks=False):
        relative = os.path.relpath(folder, root or ".")
        prefix = [] if relative == os.curdir else relative.split(os.sep)
        for entry in files + folders:
            if matches([*prefix, entry], rest):
                found.append(os.path.join(folder, entry) if root else os.path.join(*prefix, entry))
    return found


def batch_options(options: BatchOptions | None = None, **fields) -> BatchOptions:
    """``options`` with ``fields`` (``BatchOptions``' fields as keywords) replaced, or ``BatchOptions`` from
    ``fields`` alone; an unknown field is named in an ``OptionError``."""
    known = {f.name for f in dataclasses.fields(BatchOptions)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise OptionError(f"unknown option {unknown[0]!r}; the options are: {', '.join(sorted(known))}")
    return BatchOptions(**fields) if options is None else dataclasses.replace(options, **fields)


def model_fingerprint(model: Model) -> str:
    """A hash of what decides the model's predictions: the same for the same model in any process or on any machine.

    For a model with a data form (any model ``label`` can explain or save), the SHA-256 of that data as its model
    file would hold it, less the ``about`` notes. For a pipeline without one, each estimator as its class and its
    attributes, less those that hold process-specific values (a scikit-learn vectorizer keeps the ``id()`` of its
    stop-word list), which hashing the pickled pipeline as it is would include."""
    if model.scorer is not None:
        return hashlib.sha256(model.scorer.to_json(about={})).hexdigest()
    import joblib

    return str(joblib.hash(_estimator_state(model.pipeline)))


_PROCESS_SPECIFIC = frozenset({"_stop_words_id"})


def _estimator_state(value: object) -> object:
    from sklearn.base import BaseEstimator

    if isinstance(value, BaseEstimator):
        kind = f"{type(value).__module__}.{type(value).__qualname__}"
        state = {k: v for k, v in vars(value).items() if k not in _PROCESS_SPECIFIC}
        return [kind, _estimator_state(state)]
    if isinstance(value, dict):
        return {key: _estimator_state(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_estimator_state(item) for item in value]
    return value


def manifest_path(destination: Path) -> Path:
    """Where the manifest of an output lives: ``.NAME.done`` beside it (hidden, so globs and folder inputs skip
    it)."""
    return destination.with_name(hidden_name(destination.name, MANIFEST_SUFFIX))


@dataclass(frozen=True)
class FileJob:
    """One input file to label into one output file: the unit of work, locally or as one Dask task."""

    source: Path
    destination: Path
    options: BatchOptions
    fingerprint: str
    overwrite: bool = False


@dataclass(frozen=True)
class FileResult:
    """A labeled file: its job, what labeling it counted, and where it ran (``host:pid``)."""

    job: FileJob
    summary: BatchSummary
    worker: str = ""


@dataclass(frozen=True)
class FileFailure:
    """A file that could not be labeled, with the reason (one line); its output was not written."""

    job: FileJob
    message: str


@dataclass(frozen=True)
class Plan:
    """The files to label, and those skipped because their outputs are complete (``resume``)."""

    jobs: list[FileJob]
    complete: list[FileJob]


def _fingerprint(options: BatchOptions, model_hash: str) -> str:
    decisive = {k: v for k, v in dataclasses.asdict(options).items() if k not in _NOT_IN_FINGERPRINT}
    text = json.dumps([__version__, model_hash, decisive], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_jobs(
    inputs: Iterable[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    options: BatchOptions,
    model_hash: str,
    *,
    resume: bool = False,
    force: bool = False,
) -> Plan:
    """One job per input file (``find_inputs``), writing ``output_dir/NAME``; with ``resume``, inputs whose output
    is complete are set aside. Checked before any work: every name resolves, no two inputs share an output name,
    no output is its own input, and an existing output is refused without ``force`` or ``resume`` (which replace
    it; ``resume`` only where it is not complete). Creates ``output_dir``."""
    folder = Path(output_dir)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is not a folder")
    sources = find_inputs(inputs)
    owners: dict[str, Path] = {}
    for source in sources:
        other = owners.setdefault(source.name, source)
        if other is not source:
            raise OptionError(
                f"{other} and {source} would both be written to {folder / source.name}: label them separately"
            )
    # an output named as another's manifest or temporary file would be replaced by it: each input's companions'
    # names, to look each output name up in (not to compare every name with every other: thousands of daily files)
    manifests = {hidden_name(name, MANIFEST_SUFFIX): owner for name, owner in owners.items()}
    parts = {part_prefix(name): owner for name, owner in owners.items()}
    for source in sources:
        owner = manifests.get(source.name) or parts.get(part_prefix_of(source.name) or "")
        if owner is not None:
            raise OptionError(
                f"{source}'s output would take the name of a file that labeling {owner} writes beside its output "
                f"({folder / source.name}): rename it, or label them into separate folders"
            )
    jobs, complete = [], []
    for source in sources:
        destination = folder / source.name
        if same_file(source, destination):
            raise OptionError(f"{source} is in the output folder: its output would replace it")
        job = FileJob(source, destination, options, _fingerprint(options, model_hash), force or resume)
        if resume and is_complete(job):
            complete.append(job)
            continue
        check_writable(destination, overwrite=force or resume)
        jobs.append(job)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {folder}: {err.strerror or err}") from None
    return Plan(jobs, complete)


# -- completeness ----------------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _read_manifest(job: FileJob) -> dict | None:
    """The manifest of ``job``'s output, if it is a regular file of at most ``MAX_MANIFEST_BYTES`` holding one of
    this format, with an object for its input and its output; None otherwise (the output is then not complete)."""
    path = manifest_path(job.destination)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a device or FIFO would never end, or never answer
            return None
        with open(path, "rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
        manifest = json.loads(raw) if len(raw) <= MAX_MANIFEST_BYTES else None
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return None
    if not all(isinstance(manifest.get(part), dict) for part in ("input", "output")):
        return None
    return manifest


def is_complete(job: FileJob) -> bool:
    """Whether ``job``'s output is complete for its input and options (see the module's docstring)."""
    manifest = _read_manifest(job)
    if manifest is None or manifest.get("fingerprint") != job.fingerprint:
        return False
    recorded_input, recorded_output = manifest["input"], manifest["output"]
    try:
        output, source = os.stat(job.destination), os.stat(job.source)
    except OSError:
        return False
    if output.st_size != recorded_output.get("size") or source.st_size != recorded_input.get("size"):
        return False
    if source.st_mtime_ns == recorded_input.get("mtime_ns"):
        return True
    try:
        return _sha256(job.source) == recorded_input.get("sha256")
    except OSError:
        return False


def _completed(job: FileJob) -> FileResult | None:
    """The result recorded for ``job`` where its output is complete for it (``is_complete``), else None."""
    if not is_complete(job) or (manifest := _read_manifest(job)) is None:
        return None
    counts = manifest.get("counts")
    counts = counts if isinstance(counts, dict) else {}
    number = {k: v for k, v in counts.items() if type(v) is int}
    skipped = manifest.get("skipped")
    summary = BatchSummary(
        sentences_mode=job.options.mode != "cell",
        rows=number.get("rows", 0),
        labeled=number.get("labeled", 0),
        empty=number.get("empty", 0),
        sentences=number.get("sentences", 0),
        opinion=number.get("opinion", 0),
        blank_lines=number.get("blank_lines", 0),
        skipped=[
            BadRecord(item[0], item[1], item[2])
            for item in (skipped if isinstance(skipped, list) else [])
            if isinstance(item, list) and len(item) == 3 and [type(x) for x in item] == [int, int, str]
        ],
    )
    worker = manifest.get("worker")
    return FileResult(job, summary, worker if isinstance(worker, str) else "")


def _write_manifest(job: FileJob, summary: BatchSummary, source: os.stat_result, sha256: str, worker: str) -> None:
    output = os.stat(job.destination)
    manifest = {
        "format": MANIFEST_FORMAT,
        "fingerprint": job.fingerprint,
        "factopinion_version": __version__,
        "input": {"path": str(job.source), "size": source.st_size, "mtime_ns": source.st_mtime_ns, "sha256": sha256},
        "output": {"path": str(job.destination), "size": output.st_size},
        "counts": {
            "rows": summary.rows,
            "labeled": summary.labeled,
            "empty": summary.empty,
            "sentences": summary.sentences,
            "opinion": summary.opinion,
            "blank_lines": summary.blank_lines,
            "skipped_rows": len(summary.skipped),
        },
        "skipped": [[r.first_line, r.last_line, r.reason] for r in summary.skipped],
        "seconds": round(summary.seconds, 3),
        "worker": worker,
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    # Not synced: the output it describes was (``atomic``); a manifest lost to a crash only means --resume
    # labels that file again. One fsync per file, not two.
    with atomic_output(manifest_path(job.destination), overwrite=True, durable=False) as f:
        f.write((json.dumps(manifest, indent=2) + "\n").encode("utf-8"))


def remove_stale_parts(destinations: Iterable[Path]) -> None:
    """Remove the temporary files of ``destinations`` that writers killed mid-file (``kill -9``, a lost Dask
    worker) left behind: ``atomic`` names them ``.NAME.<random>.part``. Called once a run is over, so any that remain
    belong to no live writer of this run; one listing per output folder (a folder of many daily files would
    otherwise be listed once per file)."""
    by_folder: dict[Path, set[str]] = {}
    for destination in destinations:
        by_folder.setdefault(destination.parent, set()).add(destination.name)
    for folder, names in by_folder.items():
        prefixes = {part_prefix(name) for name in names}  # an entry is one of theirs where it has one
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                if part_prefix_of(entry.name) in prefixes and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def worker_name() -> str:
    """``host:pid`` of this process: where a file was labeled."""
    return f"{socket.gethostname()}:{os.getpid()}"


def label_job(job: FileJob, model: Model, *, progress: Progress | None = None) -> FileResult:
    """Label one file: its output written atomically, then its manifest. Raises ``DataError`` for an input that
    cannot be used or that changed while it was labeled (its output is then removed).

    Idempotent: a job that may not replace its output, whose output is complete for it (the same job run again, as
    Dask reruns a task whose worker died after it finished), returns what its manifest records and writes nothing.
    """
    labeled = _label_output(job, model, progress)
    if isinstance(labeled, _Labeled):
        _write_manifest(job, labeled.result.summary, labeled.source, labeled.sha256, labeled.result.worker)
        return labeled.result
    return labeled


def label_jobs_together(jobs: Sequence[FileJob], model: Model) -> list[FileResult | FileFailure]:
    """Label small files one after another, as ``label_job`` does, their outputs named together at the end: one
    sync of the file system for all of them, not one per file (``atomic.Publication``); each manifest is written
    once its output has its name. A file that fails is reported and the others go on. The first file alone is
    looked at for the cell-mode advice (``BatchOptions.advise``): a group is files of one archive, a few MiB."""
    later = Publication()
    outcomes: list[FileResult | FileFailure | None] = [None] * len(jobs)
    labeled: list[tuple[int, _Labeled]] = []
    try:
        for index, job in enumerate(jobs):
            if index:
                job = dataclasses.replace(job, options=dataclasses.replace(job.options, advise=False))
            try:
                done = _label_output(job, model, None, later)
            except (FactopinionError, OSError) as err:
                outcomes[index] = FileFailure(job, failure_message(job, err))
                continue
            if isinstance(done, _Labeled):
                labeled.append((index, done))
            else:
                outcomes[index] = done
        failed = later.publish()
    finally:
        later.abandon()  # on an error or an interruption: no output of the group is named
    for index, done in labeled:
        job = done.result.job
        try:
            if (error := failed.get(os.fspath(job.destination))) is not None:
                raise error
            _write_manifest(job, done.result.summary, done.source, done.sha256, done.result.worker)
            outcomes[index] = done.result
        except (FactopinionError, OSError) as err:
            outcomes[index] = FileFailure(job, failure_message(job, err))
    return [outcome for outcome in outcomes if outcome is not None]


@dataclass(frozen=True)
class _Labeled:
    """A file just labeled: its result, and what its manifest records of its input (``stat`` before, SHA-256)."""

    result: FileResult
    source: os.stat_result
    sha256: str


def _label_output(
    job: FileJob, model: Model, progress: Progress | None = None, later: Publication | None = None
) -> FileResult | _Labeled:
    """Label ``job``'s file into its output (named now, or by ``later``), manifest aside; or, for a job that may
    not replace a complete output, what its manifest records."""
    if not job.overwrite and (recorded := _completed(job)) is not None:
        return recorded
    with contextlib.suppress(FileNotFoundError):
        os.unlink(manifest_path(job.destination))  # no claim of completeness while the output is replaced
    try:
        before = os.stat(job.source)
    except OSError as err:
        raise DataError(f"cannot read {job.source}: {err.strerror or err}") from None
    summary = label_file(job.source, job.destination, model, job.options, overwrite=job.overwrite, progress=progress,
                         later=later)  # fmt: skip
    try:
        sha256 = _sha256(job.source)
        after = os.stat(job.source)
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            raise DataError(f"{job.source} changed while it was labeled; its output was removed")
    except BaseException as err:
        if later is not None:
            later.withdraw(job.destination)
        elif isinstance(err, DataError):
            with contextlib.suppress(OSError):
                os.unlink(job.destination)
        if isinstance(err, OSError):
            raise DataError(f"cannot read {job.source}: {err.strerror or err}") from None
        raise
    return _Labeled(FileResult(job, summary, worker_name()), before, sha256)


# -- a run -----------------------------------------------------------------------------------------------------------


@dataclass
class RunSummary:
    """What a run over many files did: the files labeled, those that failed, those skipped as complete."""

    sentences_mode: bool = False
    done: list[FileResult] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    complete: list[FileJob] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> BatchSummary:
        """The labeled files' counts added up, with the run's wall-clock time."""
        total = BatchSummary(sentences_mode=self.sentences_mode, seconds=self.seconds)
        counted = [f.name for f in dataclasses.fields(ChunkCounts)]  # what a summary adds up, by name
        for result in self.done:
            total.add(ChunkCounts(**{name: getattr(result.summary, name) for name in counted}))
            total.blank_lines += result.summary.blank_lines
        return total

    def line(self) -> str:
        """The one-line summary of the run."""
        files = len(self.done)
        if not files and not self.failed:
            return f"nothing to label: {_files(len(self.complete))} already complete"
        text = f"{_files(files)}, {self.total.line()}"
        if self.failed:
            text += f"; {len(self.failed):,} failed"
        if self.complete:
            text += f"; {len(self.complete):,} already complete, skipped"
        return text

    def notes(self) -> list[str]:
        """The lines for standard error: each distinct warning once (with the first file that gave it), one line
        per file with skipped bad rows, the rows that do not look like English, one line per failed file."""
        warnings: dict[str, Path] = {}
        for result in self.done:
            for warning in result.summary.warnings:
                warnings.setdefault(warning, result.job.source)
        lines = [f"{source}: {warning}" for warning, source in warnings.items()]
        lines += [f"{r.job.source}: {r.summary.skipped_line()}" for r in self.done if r.summary.skipped]
        foreign = self.total.not_english_line()  # once for the run, as a single file's run says it
        lines += [foreign] if foreign else []
        return lines + [f"failed: {f.message}" for f in self.failed]


def _files(count: int) -> str:
    return f"{count:,} file{'' if count == 1 else 's'}"


def failure_message(job: FileJob, err: BaseException) -> str:
    """One line for a file that failed: a factopinion error names the file itself; anything else is named."""
    if isinstance(err, FactopinionError):
        text = str(err)
        return text if str(job.source) in text else f"{job.source}: {text}"
    if isinstance(err, OSError) and err.strerror:
        return f"{job.source}: {err.strerror}{f': {err.filename}' if err.filename else ''}"
    return f"{job.source}: {type(err).__name__}: {err}"


def run_local(
    plan: Plan,
    model: Model,
    *,
    progress: Progress | None = None,
    on_result: Callable[[FileResult | FileFailure], None] | None = None,
) -> RunSummary:
    """Label ``plan``'s files on this machine; a file that fails is reported and the others go on.

    Small files (under ``SMALL_FILE`` bytes, too small to split into chunks for a pool) are the unit of
    parallelism: each is labeled whole by one of a pool of ``jobs`` worker processes (the model sent once to
    each), so a folder of many daily files uses every core. Larger files then follow one after another, each on
    the local worker pool of its options' ``jobs``. The summary lists the files in the plan's order."""
    started = time.perf_counter()
    summary = RunSummary(sentences_mode=_sentences_mode(plan), complete=list(plan.complete))
    outcomes: dict[int, FileResult | FileFailure] = {}

    def record(index: int, outcome: FileResult | FileFailure) -> None:
        outcomes[index] = outcome
        if on_result is not None:
            on_result(outcome)

    jobs = job_count(plan.jobs[0].options.jobs) if plan.jobs else 1
    small = [i for i, job in enumerate(plan.jobs) if _size(job.source) < SMALL_FILE]
    if jobs > 1 and len(small) > 1:
        _label_small_files([(i, plan.jobs[i]) for i in small], model, jobs, progress, record)
    else:
        small = []
    for index in sorted(set(range(len(plan.jobs))) - set(small)):
        record(index, _outcome(plan.jobs[index], model, progress))
    remove_stale_parts(job.destination for job in plan.jobs)
    for index in range(len(plan.jobs)):
        outcome = outcomes[index]
        (summary.done if isinstance(outcome, FileResult) else summary.failed).append(outcome)  # type: ignore[arg-type]
    summary.seconds = time.perf_counter() - started
    return summary


# Files smaller than this are labeled whole, several at once, one per worker process (``run_local``): they fit in
# about two chunks, which a file's own run would label in one process anyway.
SMALL_FILE = 2 * CHUNK_BYTES


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # labeling it reports why


def _outcome(job: FileJob, model: Model, progress: Progress | None = None) -> FileResult | FileFailure:
    try:
        return label_job(job, model, progress=progress)
    except (FactopinionError, OSError) as err:
        return FileFailure(job, failure_message(job, err))


_file_model: Model | None = None


def _init_file_worker(model: Model) -> None:
    global _file_model
    _file_model = model
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    exit_with_parent()
    lean_memory()


def _label_in_file_worker(jobs: list[FileJob]) -> list[FileResult | FileFailure]:
    assert _file_model is not None, "the worker was not initialised"
    return label_jobs_together(jobs, _file_model)


# Small files go to the workers in groups of about this many bytes (and at most ``GROUP_FILES`` files): each group's
# outputs are synced to disk at once (``label_jobs_together``), and there are still many groups to share out.
GROUP_BYTES = 4 * CHUNK_BYTES
GROUP_FILES = 32


def _groups(jobs: list[tuple[int, FileJob]]) -> Iterator[list[tuple[int, FileJob]]]:
    group: list[tuple[int, FileJob]] = []
    size = 0
    for index, job in jobs:
        group.append((index, job))
        size += _size(job.source)
        if size >= GROUP_BYTES or len(group) >= GROUP_FILES:
            yield group
            group, size = [], 0
    if group:
        yield group


def _label_small_files(
    jobs: list[tuple[int, FileJob]],
    model: Model,
    workers: int,
    progress: Progress | None,
    record: Callable[[int, FileResult | FileFailure], None],
) -> None:
    """Label each small file whole in one of ``workers`` processes (its own run in-process: ``jobs`` 1), a group of
    files at a time (``label_jobs_together``); progress counts each file's bytes and rows as its group is done."""
    lean_memory()  # what this process frees before the workers are forked, they do not inherit
    with ProcessPoolExecutor(workers, initializer=_init_file_worker, initargs=(model,)) as pool:
        try:
            futures = {
                pool.submit(_label_in_file_worker, [_one_job(job) for _, job in group]): group
                for group in _groups(jobs)
            }
            for future in as_completed(futures):
                for (index, job), outcome in zip(futures[future], future.result(), strict=True):
                    outcome = dataclasses.replace(outcome, job=job)  # the job as planned (its own jobs)
                    if progress is not None:
                        progress(_size(job.source), outcome.summary.rows if isinstance(outcome, FileResult) else 0)
                    record(index, outcome)
        except BrokenProcessPool:
            raise WorkerDied() from None
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _one_job(job: FileJob) -> FileJob:
    return dataclasses.replace(job, options=dataclasses.replace(job.options, jobs=1))


def _sentences_mode(plan: Plan) -> bool:
    jobs = plan.jobs or plan.complete
    return bool(jobs) and jobs[0].options.mode != "cell"


def label_files(
    inputs: Iterable[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    model: Model,
    *,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    progress_bar: Callable[[int], AbstractContextManager[Progress | None]] | None = None,
    options: BatchOptions | None = None,
    **fields,
) -> RunSummary:
    """Label ``inputs`` (paths, globs, folders: see ``find_inputs``) into ``output_dir``, one output per input with
    the same name (and so the same format), one file after another on this machine. ``options`` (a
    ``BatchOptions``), or ``BatchOptions``' fields as keywords, are the same for every file (each file's format
    and delimiter come from its name unless given). See ``plan_jobs`` for ``resume`` and ``force``. ``progress``
    is told the bytes and rows of each chunk written; or ``progress_bar``, given the bytes of the inputs still to
    label, opens the context that gives it (a bar on a terminal, say)."""
    plan = plan_jobs(
        inputs, output_dir, batch_options(options, **fields), model_fingerprint(model), resume=resume, force=force
    )
    if progress_bar is None:
        return run_local(plan, model, progress=progress)
    with progress_bar(total_bytes(plan.jobs)) as bar:
        return run_local(plan, model, progress=bar)


def total_bytes(jobs: Iterable[FileJob]) -> int:
    """The summed size of the jobs' inputs (for a progress bar)."""
    size = 0
    for job in jobs:
        with contextlib.suppress(OSError):
            size += os.stat(job.source).st_size
    return size
