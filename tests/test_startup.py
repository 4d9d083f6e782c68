"""Start-up: what each command imports, in a fresh interpreter (``sys.modules`` after the command has run), and the
start-up benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

HEAVY = ("sklearn", "scipy", "pandas", "numpy", "joblib", "starlette", "uvicorn", "anyio")
# Runs the command line in this interpreter, then writes which heavy packages it imported, and whether pandas can
# still be imported afterwards, to the file named by $PROBE_OUT.
PROBE = f"""
import json, os, sys
from factopinion.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
import importlib.util
with open(os.environ["PROBE_OUT"], "w") as f:
    json.dump({{"loaded": loaded, "pandas_importable": importlib.util.find_spec("pandas") is not None}}, f)
"""
COMPLETION = {"_FACTOPINION_COMPLETE": "bash_complete", "COMP_WORDS": "factopinion sc", "COMP_CWORD": "1"}


def imported_by(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> dict:
    out = tmp_path / "probe.json"
    environment = {
        **os.environ,
        **(env or {}),
        "PROBE_OUT": str(out),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=environment, capture_output=True, text=True)
    assert out.exists(), done.stderr
    return {**json.loads(out.read_text()), "stdout": done.stdout, "stderr": done.stderr}


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], None),
        (["--version"], None),
        (["score", "--help"], None),
        (["label", "--help"], None),
        (["serve", "--help"], None),
        ([], COMPLETION),
    ],
    ids=["--help", "--version", "score --help", "label --help", "serve --help", "completion"],
)
def test_help_version_and_completion_import_nothing_heavy(args, env, tmp_path):
    probe = imported_by(args, tmp_path, env)
    assert probe["loaded"] == [], probe["stderr"]
    if env is COMPLETION:
        assert probe["stdout"].split() == ["plain,score"]


@pytest.mark.slow
def test_score_imports_neither_scikit_learn_nor_pandas(tmp_path):
    probe = imported_by(["score", "--json", "Officials said the bridge would reopen in May."], tmp_path)
    assert json.loads(probe["stdout"])["summary"]["sentences"] == 1
    assert "sklearn" not in probe["loaded"] and "pandas" not in probe["loaded"]  # the model is read as data


@pytest.mark.slow
def test_label_imports_no_pandas_either(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\nOfficials said the bridge would reopen in May.\n", "utf-8")
    probe = imported_by(["label", str(source), "-q"], tmp_path)
    assert probe["stdout"].startswith("text,label,opinion_probability,language\n")
    assert "sklearn" not in probe["loaded"] and "pandas" not in probe["loaded"]


def test_python_dash_m_factopinion_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "factopinion", "--version"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stdout.startswith("factopinion, version ")


@pytest.mark.slow
def test_the_startup_benchmark_reports_every_command_against_both_references():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "startup.py"), "--repeat", "1"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: a target missed on a busy machine, still a report
    lines = done.stdout.splitlines()
    names = [line[:30].strip() for line in lines[2:-1]]
    assert names == [
        "python -c pass",
        "import sklearn.linear_model",
        "factopinion --help",
        "factopinion --version",
        "factopinion label --help",
        "completion (bash)",
        "factopinion score SENTENCE",
    ]
    for line in lines[2:-1]:  # the median, its range, the two ratios, the CPU time
        seconds, spread, per_python, per_sklearn, cpu = line[30:].split()
        low, high = map(float, spread.split("-"))
        assert 0 < low <= float(seconds) <= high and float(cpu) > 0
        assert per_python.endswith("x") and per_sklearn.endswith("x")
    assert lines[-1].startswith("targets: --help ")
