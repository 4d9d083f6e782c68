"""Static word vectors: a vocabulary of words with one dense vector each, distilled offline from a sentence encoder
(``scripts/distill_vectors.py``), kept as plain data, and the one definition of a sentence's dense features, which
training (``training.vectors.StaticVectorFeatures``) and scoring (the scorer's ``static_vectors`` block) compute.

A vector set is two files side by side, NAME being the set's name (``minilm-l6-static-256``):

- ``NAME.npy``: the vectors, one row per word, little-endian float16, in NumPy's ``.npy`` format (read with
  ``allow_pickle=False``: numbers only);
- ``NAME.json``: ``{"format": "factopinion-static-vectors", "format_version": 1, "name", "dims", "words",
  "vectors_file", "vectors_sha256", "about"}``: the vocabulary in row order, the SHA-256 of ``NAME.npy``, and where
  the vectors came from (the encoder's package and licence, the recipe).

The sets that ship with factopinion are in the package's ``vectors/`` folder. A model that uses a set records the
SHA-256 of both files in its ``model.json`` and finds them beside it, or else among the shipped sets; reading checks
both digests and refuses any mismatch.

A sentence's dense features: the vectors of its words (lowercased ``\\w+`` runs, as the style and lexicon signals
read them) that are in the vocabulary, summed (in float64) and divided by the square root of their number; all zero
for a sentence without a known word. (The square root keeps a long sentence's features about as long as a short
one's when its words point different ways, as they mostly do; unlike a division by the sum's own length, it keeps
the features linear in the word vectors, so scoring needs one number per word: see ``word_scores``.)
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

__all__ = [
    "VectorSet",
    "sentence_vectors",
    "sentence_sums",
    "SHIPPED_DIR",
    "shipped",
    "FORMAT",
    "FORMAT_VERSION",
]

FORMAT = "factopinion-static-vectors"
FORMAT_VERSION = 1
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "vectors"  # the vector sets that ship with the package
_WORD = re.compile(r"\w+")
_WORDS = re.compile(r"\w+(?:\n\w+)*")  # words joined by line breaks
_DTYPE = np.dtype("<f2")


@functools.cache
def _float16_values() -> np.ndarray:
    """Every float16 bit pattern's value in float64: widening by table lookup is several times quicker than
    NumPy's float16 conversion, and gives the very same numbers (the table is that conversion)."""
    return np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float64)


def _widen(vectors: np.ndarray) -> np.ndarray:
    return _float16_values()[vectors.view(np.uint16)]


def _scale(rows: np.ndarray, size: int) -> np.ndarray:
    """One over the square root of each sentence's number of known words (0 where it has none)."""
    counts = np.bincount(rows, minlength=size).astype(np.float64)
    return np.divide(1.0, np.sqrt(counts), out=np.zeros(size), where=counts > 0)


def sentence_vectors(rows: np.ndarray, entries: np.ndarray, size: int, matrix: np.ndarray) -> np.ndarray:
    """The dense features of ``size`` sentences: ``entries`` are the vocabulary rows of their known words, in
    order, ``rows`` says whose each is, ``matrix`` is the vectors in float64 (see the module's docstring)."""
    sums = np.zeros((size, matrix.shape[1]))
    np.add.at(sums, rows, matrix[entries])
    return sums * _scale(rows, size)[:, None]


def sentence_sums(rows: np.ndarray, entries: np.ndarray, size: int, scores: np.ndarray) -> np.ndarray:
    """``sentence_vectors(rows, entries, size, matrix) @ coef`` computed from ``scores = matrix @ coef`` (one
    number per word), as the scorer does: the same value without building the vectors."""
    return np.bincount(rows, scores[entries], minlength=size) * _scale(rows, size)


class VectorSet:
    """A vocabulary of distinct lowercase words (``\\w+`` runs) and one float16 vector per word, with a name and
    an ``about`` record of where it came from. A set read for a model that records each word's score (``read`` with
    ``defer``) reads its ``.npy`` only when the vectors themselves are needed, and checks it then."""

    def __init__(self, name: str, words: Sequence[str], vectors: np.ndarray, about: Mapping[str, Any] | None = None):
        vectors = np.asarray(vectors)
        if vectors.dtype != np.float16 or vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ModelError(f"vector set {name!r}: expected one float16 vector per word ({len(words)} rows)")
        self._describe(name, words, int(vectors.shape[1]), about)
        self._vectors: np.ndarray | None = np.ascontiguousarray(vectors, dtype=_DTYPE)

    def _describe(self, name: str, words: Sequence[str], dims: int, about: Mapping[str, Any] | None) -> None:
        where = f"vector set {name!r}"
        if not re.fullmatch(r"[\w.-]+", name, re.ASCII) or name.startswith("."):
            raise ModelError(f"{where}: a name holds only letters, digits, '.', '_' and '-'")
        joined = "\n".join(words)
        if len(set(words)) != len(words) or not _WORDS.fullmatch(joined) or joined != joined.lower():
            raise ModelError(f"{where}: the words must be distinct lowercase \\w+ runs")
        self.name, self.words, self.dims, self.about = name, list(words), dims, dict(about or {})
        self._load: Callable[[], np.ndarray] | None = None

    @property
    def vectors(self) -> np.ndarray:
        """One float16 vector per word (a deferred ``.npy`` is read and checked now)."""
        if self._vectors is None:
            assert self._load is not None
            self._vectors, self._load = self._load(), None
        return self._vectors

    def __repr__(self) -> str:
        return f"VectorSet({self.name!r}, {len(self.words)} words x {self.dims})"

    def __reduce__(self):
        """A shipped set pickles as its name and digests (a pipeline's pickle stays small), read back from the
        shipped files of the factopinion that unpickles it, wherever it is installed; any other set pickles whole."""
        if self.is_shipped:
            return (_shipped_set, (self.name, self.sha256))
        return (VectorSet, (self.name, self.words, self.vectors, self.about))

    @property
    def is_shipped(self) -> bool:
        """Whether this very set (the same bytes) ships with factopinion."""
        return _shipped_digests(self.name) == self.sha256

    @functools.cached_property
    def matrix(self) -> np.ndarray:
        """The vectors in float64, as the features are computed; a ``ModelError`` where one is not finite."""
        return self._finite(_widen(self.vectors))

    def dot(self, coef: np.ndarray, chunk: int = 512) -> np.ndarray:
        """``matrix @ coef``, one number per word, widened a few hundred rows at a time (they stay in the cache),
        without keeping the float64 matrix; a ``ModelError`` where a vector is not finite (a NaN or an infinity in
        a vector makes its product NaN or infinite)."""
        if "matrix" in self.__dict__:
            return self.matrix @ coef
        parts = [_widen(self.vectors[i : i + chunk]) @ coef for i in range(0, len(self.words), chunk)]
        return self._finite(np.concatenate(parts) if parts else np.zeros(0))

    def take(self, entries: np.ndarray) -> np.ndarray:
        """``matrix[entries]``: the rows widened where the float64 matrix (8 bytes a number) has not been made."""
        if "matrix" in self.__dict__:
            return self.matrix[entries]
        return self._finite(_widen(self.vectors[entries]))

    def _finite(self, values: np.ndarray) -> np.ndarray:
        if not np.isfinite(values).all():
            raise ModelError(f"vector set {self.name!r}: the vectors must be finite numbers")
        return values

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """word -> its row."""
        return dict(zip(self.words, range(len(self.words)), strict=True))

    # the files

    @functools.cached_property
    def files(self) -> dict[str, bytes]:
        """The set's two files, name -> bytes (the same bytes for the same set)."""
        buffer = io.BytesIO()
        np.save(buffer, self.vectors, allow_pickle=False)
        vectors = buffer.getvalue()
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "dims": self.dims,
            "words": self.words,
            "vectors_file": f"{self.name}.npy",
            "vectors_sha256": hashlib.sha256(vectors).hexdigest(),
            "about": self.about,
        }
        text = json.dumps(header, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
        return {f"{self.name}.json": text.encode("utf-8"), f"{self.name}.npy": vectors}

    @functools.cached_property
    def sha256(self) -> dict[str, str]:
        """Each file's SHA-256, as a model records them."""
        return {name: hashlib.sha256(data).hexdigest() for name, data in self.files.items()}

    @classmethod
    def read(
        cls, folder: str | Path, name: str, sha256: Mapping[str, str] | None = None, *, defer: bool = False
    ) -> VectorSet:
        """The set ``name`` in ``folder``; a ``ModelError`` where a file is missing or malformed, or (given
        ``sha256``: file name -> hex digest, as a model records them) does not match its recorded SHA-256. With
        ``defer`` (and ``sha256``), the ``.npy`` file is read, and checked, only when the vectors are first needed
        (scoring with each word's score recorded needs only the words): the check comes before any use."""
        folder = Path(folder)
        where, npy = folder / f"{name}.json", folder / f"{name}.npy"
        header, json_digest = _header(where, name, sha256)
        recorded = None if sha256 is None else sha256.get(npy.name)
        load = functools.partial(
            _vectors_file, npy, (len(header["words"]), header["dims"]), header["vectors_sha256"], where.name, recorded
        )
        if not (defer and recorded is not None):
            return cls(name, header["words"], load(), header["about"])
        if recorded != header["vectors_sha256"]:  # the set's .json names another .npy than the model's
            raise ModelError(f"{npy} does not match the SHA-256 the model records for it (damaged or replaced)")
        deferred = cls.__new__(cls)
        deferred._describe(name, header["words"], header["dims"], header["about"])
        deferred._vectors, deferred._load = None, load
        deferred.__dict__["sha256"] = {where.name: json_digest, npy.name: recorded}
        return deferred

    @classmethod
    def find(
        cls, name: str, sha256: Mapping[str, str], folder: Path | None = None, *, defer: bool = False
    ) -> VectorSet:
        """The set ``name`` whose files have the digests ``sha256``: beside a model (in ``folder``) if its files are
        there, else among the shipped sets; a ``ModelError`` where neither has it, or its files differ (``defer``:
        see ``read``)."""
        if folder is not None and (folder / f"{name}.json").exists():
            return cls.read(folder, name, sha256, defer=defer)
        if (SHIPPED_DIR / f"{name}.json").is_file():
            return cls.read(SHIPPED_DIR, name, sha256, defer=defer)
        beside = f"beside {folder} or " if folder is not None else ""
        raise ModelError(f"the model's word vectors {name!r} are not {beside}among this factopinion's vector sets")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ModelError(f"{path}: cannot read these word vectors ({err.strerror or err})") from None


def _header(where: Path, name: str, sha256: Mapping[str, str] | None) -> tuple[dict[str, Any], str]:
    """A set's ``.json`` file, checked (against ``sha256`` where given) and validated, and its SHA-256."""
    raw = _read(where)
    digest = hashlib.sha256(raw).hexdigest()
    if sha256 is not None and digest != sha256.get(where.name):
        raise ModelError(f"{where} does not match the SHA-256 the model records for it (damaged or replaced)")
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise ModelError(f"{where}: not a vector set file (not JSON: {err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelError(f"{where}: not a factopinion vector set file")
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{where}: vector set format version {header.get('format_version')!r}; "
            f"this factopinion reads version {FORMAT_VERSION}"
        )
    if header.get("name") != name or header.get("vectors_file") != f"{name}.npy":
        raise ModelError(f"{where}: the file describes another vector set")
    words, dims = header.get("words"), header.get("dims")
    if not isinstance(words, list) or not set(map(type, words)) <= {str}:
        raise ModelError(f"{where}: 'words' must be a list of strings")
    if type(dims) is not int or dims < 0 or not isinstance(header.get("vectors_sha256"), str):
        raise ModelError(f"{where}: 'dims' must be a whole number of columns, 'vectors_sha256' a digest")
    if not isinstance(header.get("about"), dict):
        header["about"] = {}
    return header, digest


def _vectors_file(path: Path, shape: tuple[int, int], sha256: str, header: str, recorded: str | None) -> np.ndarray:
    """The ``shape`` float16 vectors of a set's ``.npy`` file, whose SHA-256 its ``.json`` file (``header``)
    records as ``sha256`` (and a model as ``recorded``, where given)."""
    raw = _read(path)
    digest = hashlib.sha256(raw).hexdigest()
    if recorded is not None and digest != recorded:
        raise ModelError(f"{path} does not match the SHA-256 the model records for it (damaged or replaced)")
    if digest != sha256:
        raise ModelError(f"{path} does not match the SHA-256 in {header} (damaged)")
    try:
        vectors = _npy_array(raw)
    except (ValueError, OSError, EOFError) as err:
        raise ModelError(f"{path}: not a .npy array of numbers ({err})") from None
    if vectors.dtype != _DTYPE or vectors.shape != shape:
        raise ModelError(f"{path}: expected a little-endian float16 matrix of {shape[0]} rows and {shape[1]} columns")
    return vectors


def _npy_array(raw: bytes) -> np.ndarray:
    """The array of a ``.npy`` file's bytes, without copying them; a ``ValueError`` for a file that is not a
    ``.npy`` array of a plain numeric type (an object array would need unpickling: refused)."""
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f"unsupported .npy version {version}")
    shape, fortran, dtype = readers[version](stream)  # the header's checks, as np.load makes them
    if dtype.hasobject or fortran:
        raise ValueError("an object or Fortran-ordered array")
    count = int(np.prod(shape))
    if len(raw) - stream.tell() != count * dtype.itemsize:
        raise ValueError("the file's size does not match its shape")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=stream.tell()).reshape(shape)


@functools.cache
def _shipped_digests(name: str) -> dict[str, str] | None:
    """The SHA-256 of a shipped set's files, or None where no set of that name ships."""
    files = [SHIPPED_DIR / f"{name}.json", SHIPPED_DIR / f"{name}.npy"]
    if not all(path.is_file() for path in files):
        return None
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def _shipped_set(name: str, sha256: Mapping[str, str]) -> VectorSet:
    """The shipped set ``name`` whose files have the digests ``sha256`` (a pickled shipped set, as a model sent to a
    worker process holds it): its vectors read, and checked, where they are first used."""
    return VectorSet.read(SHIPPED_DIR, name, sha256, defer=True)


@functools.lru_cache(maxsize=4)
def shipped(name: str) -> VectorSet:
    """A set that ships with factopinion (read once per process); a ``ModelError`` where none has that name."""
    if _shipped_digests(name) is None:
        raise ModelError(f"no vector set {name!r} ships with this factopinion (see {SHIPPED_DIR})")
    return VectorSet.read(SHIPPED_DIR, name, _shipped_digests(name))
