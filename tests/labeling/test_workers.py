"""``factopinion label`` as a process: interrupted runs leave no output file, a closed pipe ends quietly."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import as_in_the_foreground

COMMAND = [sys.executable, "-m", "factopinion.cli", "label"]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """Enough rows that labeling takes several seconds."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for i in range(300_000):
            writer.writerow([i, f"The mayor said on day {i} that the plan would go ahead. It is a disgrace!"])
    return path


def wait_for_partial_output(folder: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the run is writing its temporary file (and still running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = [p for p in folder.iterdir() if p.name.startswith(".out.csv.")]
        if parts and parts[0].stat().st_size > 0:
            return
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.02)
    pytest.fail("the run never started writing")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_run_leaves_no_output_file(big_csv, tmp_path, signum):
    out = tmp_path / "out.csv"
    process = subprocess.Popen([*COMMAND, str(big_csv), "-o", str(out)], stderr=subprocess.PIPE, text=True,
                               preexec_fn=as_in_the_foreground)  # fmt: skip
    try:
        wait_for_partial_output(tmp_path, process)
        process.send_signal(signum)
        sent = time.monotonic()
        process.wait(timeout=60)
        stopped_after = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    if signum == signal.SIGINT:  # Ctrl-C: the exit code shells expect, promptly
        assert process.returncode == 130
        assert stopped_after < 2.0, f"took {stopped_after:.2f} s to stop"
    assert not out.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    if signum != signal.SIGKILL:  # a SIGKILL cannot be cleaned up after: only the hidden temporary file may remain
        assert leftovers == []
        assert "Traceback" not in process.stderr.read()
    else:
        assert all(name.startswith(".out.csv.") for name in leftovers)


@pytest.mark.slow
def test_writing_into_a_closed_pipe_ends_quietly(big_csv):
    label = subprocess.Popen([*COMMAND, str(big_csv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = label.stdout.readline() + label.stdout.readline()
    label.stdout.close()  # as `| head -2` does
    stderr = label.stderr.read().decode()
    label.wait(timeout=60)
    assert head.startswith(b"id,text,label,opinion_probability,language\r\n0,")  # the input's \r\n line ends kept
    assert label.returncode == 0
    assert stderr == ""


@pytest.mark.slow
def test_the_console_script_labels_a_file(tmp_path):
    script = Path(sys.executable).parent / "factopinion"
    if not script.exists():
        pytest.skip("the console script is not installed beside this Python")
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,It rained on Tuesday.\n", encoding="utf-8")
    result = subprocess.run([str(script), "label", str(source), "-o", str(tmp_path / "out.csv")], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert (
        (tmp_path / "out.csv")
        .read_text()
        .startswith("id,text,label,opinion_probability,language\n1,It rained on Tuesday.,")
    )
    assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.csv"]
