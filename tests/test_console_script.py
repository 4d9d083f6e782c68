"""End-to-end runs of the installed ``factopinion`` console script."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = shutil.which("factopinion", path=str(Path(sys.executable).parent)) or shutil.which("factopinion")
pytestmark = pytest.mark.skipif(SCRIPT is None, reason="the factopinion console script is not installed")


@pytest.mark.slow
def test_installed_script_scores_the_seed_article(seed_article, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(seed_article, encoding="utf-8")
    done = subprocess.run(
        [SCRIPT, "score", "--file", str(path), "--json"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["summary"]["sentences"] == 38
    for s in document["sentences"]:
        assert seed_article[s["start"] : s["end"]] == s["sentence"]
    labels = [s["label"] for s in document["sentences"]]
    heading = seed_article.index("\nStrategic Alliance\n")
    gold = ["opinion" if s["start"] > heading else "fact" for s in document["sentences"]]
    # 31 of 38 with the model of issue 19 (its hedged opinion sentences sit at 0.40-0.48); 0.85 before it
    assert sum(a == b for a, b in zip(labels, gold, strict=True)) / len(gold) >= 0.8


@pytest.mark.slow
def test_installed_script_works_from_any_directory(tmp_path):
    done = subprocess.run(
        [SCRIPT, "score", "--nl", "Officials said the bridge would reopen in May."],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["label"] == "fact"


@pytest.mark.slow
def test_closed_pipe_ends_quietly(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("The board met on Monday and approved the plan. " * 50_000, encoding="utf-8")
    done = subprocess.run(
        f"'{SCRIPT}' score --file '{big}' | head -1", shell=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.stdout.split() == ["#", "label", "opinion", "sentence"]
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_errors_exit_without_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Fine text. \xc3\x28 broken")
    done = subprocess.run([SCRIPT, "score", "--file", str(bad)], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: {bad} is not UTF-8: undecodable byte 0xc3 at byte offset 11"
