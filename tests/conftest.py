"""Shared fixtures: the bundled model, one way to invoke the command line, and where the read-only shared material
lives (if it does: tests that need it skip without it)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from factopinion import load_model
from factopinion.cli import cli

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SEED_ARTICLE = SHARED / "seed" / "article.txt"
CHECKTHAT = SHARED / "data" / "checkthat-en"


def invoke(args: list[str], input: bytes | str | None = None, **kwargs) -> Result:
    """Run ``factopinion ARGS`` through Click's runner (standard output and error kept apart); an exception that
    escapes the command is re-raised, as it would be a traceback for a user."""
    kwargs.setdefault("catch_exceptions", False)
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, **kwargs)


@pytest.fixture(name="invoke")
def invoke_fixture():
    return invoke


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture
def seed_article() -> str:
    if not SEED_ARTICLE.is_file():
        pytest.skip(f"{SEED_ARTICLE} is not on this machine")
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture
def seed_path() -> Path:
    if not SEED_ARTICLE.is_file():
        pytest.skip(f"{SEED_ARTICLE} is not on this machine")
    return SEED_ARTICLE


@pytest.fixture
def checkthat_dir() -> Path:
    if not CHECKTHAT.is_dir():
        pytest.skip(f"{CHECKTHAT} is not on this machine")
    return CHECKTHAT


@pytest.fixture
def checkthat_sentences(checkthat_dir: Path) -> list[str]:
    """Every sentence of the CheckThat! TSV files, read as they are written (quotes taken literally)."""
    sentences = []
    for path in sorted(checkthat_dir.glob("*.tsv")):
        with open(path, encoding="utf-8", newline="") as f:
            sentences += [row["sentence"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    return sentences
