"""Shared fixtures: the bundled model, the command line, the read-only shared material (tests that need it skip
without it), a terminal. Shared helpers are in helpers.py."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click.testing
import pytest
from helpers import CHECKTHAT, SEED_ARTICLE, invoke

from factopinion import load_model


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
def terminal(monkeypatch):
    """Make the runner's standard streams (stdin, stdout, stderr) say they are a terminal."""
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    assert click.testing._NamedTextIOWrapper(io.BytesIO(), name="<test>", mode="r").isatty()


@pytest.fixture
def checkthat_sentences(checkthat_dir: Path) -> list[str]:
    """Every sentence of the CheckThat! TSV files, read as they are written (quotes taken literally)."""
    sentences = []
    for path in sorted(checkthat_dir.glob("*.tsv")):
        with open(path, encoding="utf-8", newline="") as f:
            sentences += [row["sentence"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    return sentences
