"""docs/serve.md stays true: its curl examples (```sh blocks: the console blocks of every page are re-run by
scripts/readme_examples.py, which starts no server), re-run against a real server, print what the page shows; the
systemd unit it gives is the one in docs/, names only options `serve` has, and passes `systemd-analyze verify`."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from serving import ROOT, Server, needs_extra

DOCS = ROOT / "docs" / "serve.md"
UNIT = ROOT / "docs" / "factopinion-serve.service"
DOCUMENTED_URL = "http://127.0.0.1:8000"


def console_examples(text: str) -> list[tuple[str, str]]:
    """Each ```sh block's command and its output, as scripts/serve_examples.py reads them."""
    spec = importlib.util.spec_from_file_location("serve_examples", ROOT / "scripts" / "serve_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.examples(text)


def test_the_docs_have_examples_for_every_endpoint():
    commands = " ".join(command for command, _ in console_examples(DOCS.read_text("utf-8")))
    for path in ("/v1/score", "/v1/label", "/healthz"):
        assert f"{DOCUMENTED_URL}{path}" in commands


@needs_extra
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_curl_examples_print_what_the_docs_show(tmp_path):
    server = Server(tmp_path)
    try:
        for command, shown in console_examples(DOCS.read_text("utf-8")):
            done = subprocess.run(["bash", "-c", command.replace(DOCUMENTED_URL, server.url)], capture_output=True,
                                  text=True, timeout=60)  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert done.stdout == shown, command
    finally:
        assert server.stop() == 0


def test_the_docs_show_the_unit_file():
    (block,) = re.findall(r"```ini\n(.*?)```", DOCS.read_text("utf-8"), re.S)
    assert block == UNIT.read_text("utf-8")


def test_the_unit_file_runs_serve_with_options_it_has():
    from factopinion.cli import cli

    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text("utf-8"))
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    assert unit["Unit"]["Description"] and unit["Install"]["WantedBy"] == "multi-user.target"
    service = unit["Service"]
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    executable, command, *args = shlex.split(service["ExecStart"])
    assert executable.startswith("/") and executable.endswith("/factopinion") and command == "serve"
    serve = cli.commands["serve"]
    context = serve.make_context("serve", list(args))  # parses the options as the command would, runs nothing
    assert context.params["host"] == "127.0.0.1" and context.params["workers"] == 2


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_unit_file_passes_systemd_analyze_verify(tmp_path):
    unit = tmp_path / "factopinion-serve.service"
    # The installed command, here: this Python running the package (systemd checks that the program exists).
    text = UNIT.read_text("utf-8").replace("/opt/factopinion/.venv/bin/factopinion", f"{sys.executable} -m factopinion")
    unit.write_text(text, "utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    # It does find mistakes: an unknown key is reported.
    unit.write_text(text.replace("Type=exec", "Typ=exec"), "utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert "Unknown key" in done.stderr
