"""Shared fixtures: the bundled model, and where the read-only shared material lives (if it does)."""

from pathlib import Path

import pytest

from factopinion import load_model

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SEED_ARTICLE = SHARED / "seed" / "article.txt"
CHECKTHAT = SHARED / "data" / "checkthat-en"


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture
def seed_article() -> str:
    if not SEED_ARTICLE.is_file():
        pytest.skip(f"{SEED_ARTICLE} is not on this machine")
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture
def checkthat_dir() -> Path:
    if not CHECKTHAT.is_dir():
        pytest.skip(f"{CHECKTHAT} is not on this machine")
    return CHECKTHAT
