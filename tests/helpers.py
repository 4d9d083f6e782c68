"""What many tests share: where things are, one way to invoke the command line, sample tables in every input
format, and a fake terminal. Fixtures live in conftest.py."""

from __future__ import annotations

import csv
import gzip
import io
import json
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from factopinion.cli import cli

ROOT = Path(__file__).resolve().parent.parent  # the checkout
PAGES = Path(__file__).resolve().parent / "pages"  # web pages the tests read or serve
SHARED = ROOT.parent / "shared"  # the read-only shared material, where it exists
SEED_ARTICLE = SHARED / "seed" / "article.txt"
CHECKTHAT = SHARED / "data" / "checkthat-en"


def as_in_the_foreground() -> None:
    """A ``preexec_fn`` for a child that a test interrupts with SIGINT: Ctrl-C's default action, as in a shell's
    foreground job. A job started with ``&`` ignores SIGINT, and its children inherit that: without this, a test
    of Ctrl-C passes in the foreground and fails in the background."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def invoke(args: list, input: bytes | str | None = None, **kwargs) -> Result:
    """Run ``factopinion ARGS`` through Click's runner (standard output and error kept apart); an exception that
    escapes the command is re-raised, as it would be a traceback for a user."""
    kwargs.setdefault("catch_exceptions", False)
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, **kwargs)


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", terminator: str = "\n") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=delimiter, lineterminator=terminator).writerows(rows)
    return path


def read_csv(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal and keeps what was written to any of them in ``written``."""

    written = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        FakeTerminal.written += text
        return len(text)


# -- sample tables in every input format ---------------------------------------------------------------------------

ROWS = [
    ["id", "text", "score", "note"],
    ["1", "The council said on Tuesday it would raise bus fares by 3 percent.", "007", "NA"],
    ["2", "This plan is a disgrace. The council should resign!", "1e5", ""],
    ["3", "", "null", 'multi\nline "quoted", cell'],
    ["4", "Police said 12 people were detained after the protest.", "-0", " x "],
    ["5", "Who could possibly defend this? Nobody, that's who.", "", "é ünïcödé 中文"],
]


def _write_delimited(delimiter: str, terminator: str):
    def write(path: Path, rows: list[list[str]]) -> Path:
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=delimiter, lineterminator=terminator).writerows(rows)
        return path

    return write


def _write_json_lines(path: Path, rows: list[list[str]]) -> Path:
    header, *records = rows
    with path.open("w", encoding="utf-8") as f:
        for record in records:  # a number, a null and a nested value among the strings, kept as they are
            obj = {**dict(zip(header, record, strict=True)), "id": int(record[0]), "extra": None, "tags": ["a", 1]}
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return path


def _write_parquet(path: Path, rows: list[list[str]]) -> Path:
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")

    header, *records = rows
    columns = {name: [record[k] for record in records] for k, name in enumerate(header)}
    parquet.write_table(pyarrow.table(columns), path)
    return path


def _gzipped(write):
    def write_gzip(path: Path, rows: list[list[str]]) -> Path:
        plain = write(path.with_name(path.name.removesuffix(".gz")), rows)
        path.write_bytes(gzip.compress(plain.read_bytes()))
        plain.unlink()
        return path

    return write_gzip


# A writer of sample input for every suffix in INPUT_SUFFIXES (what a folder contributes: every format ``tables``
# reads): a new format there makes test_every_input_suffix_has_a_sample fail until its writer is added here, and
# then every test that goes through write_inputs (in labeling/test_files.py, and in labeling/test_dask.py on the cluster) covers it too.
_PLAIN = {
    ".csv": _write_delimited(",", "\n"),
    ".tsv": _write_delimited("\t", "\r\n"),
    ".tab": _write_delimited("\t", "\n"),
    ".jsonl": _write_json_lines,
    ".ndjson": _write_json_lines,
    ".parquet": _write_parquet,
}
SAMPLES = {**_PLAIN, **{f"{suffix}.gz": _gzipped(w) for suffix, w in _PLAIN.items() if suffix != ".parquet"}}


def many_rows(n: int, start: int = 0) -> list[list[str]]:
    """ROWS' header and rows, then ``n`` more of mixed fact and opinion (every 9th one empty)."""
    texts = [
        "The ministry said exports rose {} percent in March.",
        "This is the worst budget in {} years, and everyone knows it.",
        'Officials told reporters that "{} homes" were affected.\nResidents were moved overnight.',
        "Surely nobody believes the {} figures?",
    ]
    extra = [
        [str(100 + i), "" if i % 9 == 0 else texts[i % 4].format(i), str(i), "NA"] for i in range(start, start + n)
    ]
    return ROWS + extra


def write_inputs(folder: Path, count: int = len(SAMPLES), rows: int = 40) -> list[Path]:
    """``count`` input files in ``folder``, cycling through the sample formats (by default one of each)."""
    folder.mkdir(parents=True, exist_ok=True)
    suffixes = list(SAMPLES)
    paths = []
    for n in range(count):
        suffix = suffixes[n % len(suffixes)]
        paths.append(SAMPLES[suffix](folder / f"part-{n:02}{suffix}", many_rows(rows, start=n * rows)))
    return paths


def single_label(source: Path, folder: Path, *args: str) -> bytes:
    """What one ``label INPUT -o FOLDER/NAME`` run writes (the same name, so the same format)."""
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / source.name
    result = invoke(["label", source, "-o", destination, "-q", "--force", *args])
    assert result.exit_code == 0, result.stderr
    output = destination.read_bytes()
    destination.unlink()
    return output


# -- an archive of scored articles with known opinion shares (the report command's tests) -----------------------

TRUE_SHARES = {"news": 0.08, "analysis": 0.3, "opinion": 0.65}


def opinion_archive(seed: int = 7, per_month: int = 60):
    """Articles of 5–30 sentences, each sentence opinion with its section's known probability, over six months
    (a DataFrame shaped as `label --documents` output: section, date, sentences, opinion_sentences)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for section, p in TRUE_SHARES.items():
        for month in range(1, 7):
            for _ in range(per_month):
                n = int(rng.integers(5, 31))
                rows.append(
                    {
                        "section": section,
                        "date": f"2026-{month:02d}-{int(rng.integers(1, 29)):02d}",
                        "sentences": n,
                        "opinion_sentences": int(rng.binomial(n, p)),
                    }
                )
    return pd.DataFrame(rows)


# -- the browser tests' requirements ---------------------------------------------------------------------------------

# The same install commands as the README's "## Tests" section (tests/test_readme.py checks it).
INSTALL_BROWSER = "apt-get install chromium chromium-driver"
INSTALL_SELENIUM = 'pip install ".[test]"'
SKIP_REASON = (
    f"headless browser test: needs Chromium and chromedriver ({INSTALL_BROWSER}) and selenium ({INSTALL_SELENIUM})"
)
