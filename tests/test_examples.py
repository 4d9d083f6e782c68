"""The examples/ folder, re-run: the news report and the op-ed scored, the archive labeled and reported by month
through the example script, as a reader would run them."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, invoke

from factopinion import load_model

EXAMPLES = ROOT / "examples"


def test_the_news_report_reads_as_fact_and_the_op_ed_as_more_opinion():
    model = load_model()
    news = model.score((EXAMPLES / "news-report.txt").read_text("utf-8"))
    oped = model.score((EXAMPLES / "op-ed.md").read_text("utf-8"))
    assert news.summary["opinion_share"] <= 0.15
    assert oped.summary["opinion_share"] >= news.summary["opinion_share"] + 0.3
    result = invoke(["score", "--file", str(EXAMPLES / "op-ed.md"), "--csv"])
    assert result.exit_code == 0 and result.stdout.startswith("index,start,end,sentence,label,opinion_probability")


def test_the_folder_of_examples_is_a_folder_of_articles(tmp_path):
    result = invoke(["label", str(EXAMPLES / "*.md"), str(EXAMPLES / "*.txt"), "-o", str(tmp_path / "s.csv")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text("utf-8"))))
    assert [Path(row["path"]).name for row in rows] == ["op-ed.md", "news-report.txt"]
    assert rows[0]["title"] == "The ferry plan is a fare rise dressed up as progress"


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_script_labels_the_archive_and_reports_opinion_share_by_month(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    if shutil.which("factopinion", path=env["PATH"]) is None:
        pytest.skip("the factopinion command is not installed beside this Python")
    run = subprocess.run(["sh", str(EXAMPLES / "opinion_by_month.sh"), str(tmp_path)], capture_output=True,
                         text=True, env=env, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    scores = list(csv.DictReader(io.StringIO((tmp_path / "archive-scores.csv").read_text("utf-8"))))
    assert len(scores) == 18 and list(scores[0])[:3] == ["id", "date", "section"]
    lines = run.stdout.splitlines()
    months = sorted({line.split()[0] for line in lines[1:]})
    assert months == [f"2026-0{m}" for m in range(1, 7)]
    share = {
        section: sum(int(r["opinion_sentences"]) for r in scores if r["section"] == section)
        / sum(int(r["sentences"]) for r in scores if r["section"] == section)
        for section in ("news", "opinion")
    }
    assert share["news"] < 0.1 and share["opinion"] > 0.6
    page = (tmp_path / "opinion-by-month.html").read_text("utf-8")
    assert "<svg" in page and "<script" not in page
