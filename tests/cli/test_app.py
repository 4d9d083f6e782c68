"""The command line as a whole: --version and --help, format flags, Ctrl-C, shell completion."""

from __future__ import annotations

import json

import pytest
from helpers import ROOT, invoke

ENGLISH = "The council voted on Tuesday to close the library. The decision is a disgrace and should be reversed."


def test_version_and_help():
    assert invoke(["--version"]).output.startswith("factopinion, version ")
    assert "fact or opinion" in invoke(["score", "--help"]).output


@pytest.mark.parametrize(
    "args",
    [
        ["score", "--json", "--csv", ENGLISH],
        ["score", "--nl", "--tsv", ENGLISH],
        ["model", "info", "--json", "--table"],
    ],
)
def test_two_format_flags_are_a_usage_error(args):
    result = invoke(args)
    assert result.exit_code == 2 and "choose one output format, not --" in result.stderr


def test_top_0_and_cues_0_both_mean_all():
    info = json.loads(invoke(["model", "info", "--json", "--top", "0"]).stdout)
    every = json.loads(invoke(["model", "info", "--json", "--top", str(info["features"]["total"])]).stdout)
    assert info["strongest"] == every["strongest"]  # every term (the dense features' dimensions are not terms)
    assert len(info["strongest"]["opinion"]) + len(info["strongest"]["fact"]) > 1000
    explained = json.loads(invoke(["score", "--json", "--explain", "--cues", "0", ENGLISH]).stdout)
    assert explained["explain"]["cues_per_label"] == "all"
    five = json.loads(invoke(["score", "--json", "--explain", ENGLISH]).stdout)
    assert sum(map(len, explained["sentences"][1]["cues"].values())) > sum(
        map(len, five["sentences"][1]["cues"].values())
    )


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("factopinion.cli.score.get_model", interrupted)
    result = invoke(["score", ENGLISH])
    assert result.exit_code == 130 and "Traceback" not in result.output


def test_shell_completion_works_and_is_documented():
    script = invoke([], env={"_FACTOPINION_COMPLETE": "bash_source"}, prog_name="factopinion")
    assert "_factopinion_completion" in script.stdout and "complete " in script.stdout
    words = invoke(
        [],
        env={"_FACTOPINION_COMPLETE": "bash_complete", "COMP_WORDS": "factopinion score --ht", "COMP_CWORD": "2"},
        prog_name="factopinion",
    )
    assert words.stdout.split() == ["plain,--html", "plain,--html-dir"]
    reference = (ROOT / "docs" / "cli.md").read_text("utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_FACTOPINION_COMPLETE={shell}_source factopinion" in reference


def test_ctrl_c_says_in_one_line_what_was_left(monkeypatch, tmp_path):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("factopinion.cli.score.get_model", interrupted)
    result = invoke(["score", ENGLISH, "-o", str(tmp_path / "out.txt")])
    assert result.exit_code == 130 and result.stderr == "factopinion: interrupted: nothing written\n"
    assert not (tmp_path / "out.txt").exists()


def test_ctrl_c_during_output_dir_counts_the_complete_files(monkeypatch, tmp_path):
    from factopinion.labeling import files

    for n in range(3):
        (tmp_path / f"in{n}.csv").write_text("text\nIt rained on Monday.\n", "utf-8")
    real = files.label_job
    done = []

    def label_two_then_stop(job, model, **kwargs):
        if len(done) == 2:
            raise KeyboardInterrupt
        done.append(job)
        return real(job, model, **kwargs)

    monkeypatch.setattr(files, "label_job", label_two_then_stop)
    inputs = [str(tmp_path / f"in{n}.csv") for n in range(3)]
    result = invoke(["label", *inputs, "--output-dir", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "factopinion: interrupted: 2 of 3 files complete; rerun with --resume"


@pytest.mark.parametrize(("asked", "used"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_the_command_gives_arrow_the_systems_allocator_unless_told_otherwise(asked, used):
    """Arrow's memory goes back to the system as it is freed in the command (70 MiB less on Parquet); a pool the
    user names in ARROW_DEFAULT_MEMORY_POOL is kept."""
    import os
    import subprocess
    import sys

    pytest.importorskip("pyarrow")
    code = (
        "from factopinion.cli.app import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "import pyarrow\nprint(pyarrow.default_memory_pool().backend_name)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if asked:
        env["ARROW_DEFAULT_MEMORY_POOL"] = asked
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split()[-1] == used
