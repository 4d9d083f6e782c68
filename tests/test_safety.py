"""Loading a model cannot run code: the default model, the cache and ``--model`` read ``model.json``; a pickle is
unpickled only with ``--trust-model-code``, and never when it differs from the SHA-256 recorded for it. Scoring does
not import scikit-learn."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import joblib
import pytest
from helpers import invoke

from factopinion import ModelError, load_model
from factopinion import bundled as bundled_module
from factopinion.bundled import bundled_data_dir, bundled_model_dir, bundled_pipeline
from factopinion.engine.scorer import DATA_FILE, FORMAT_VERSION
from factopinion.model import METADATA_FILE, MODEL_FILE, read_pipeline
from factopinion.training.datasets import data_files, files_sha256

TEXT = "The council met on Tuesday. It should resign at once."


class Planted:
    """A pickle that creates a file when it is loaded: what a malicious model could do instead."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _plant(path, marker) -> None:
    joblib.dump(Planted(marker), path)


def test_a_pickle_given_to_model_is_refused_without_the_opt_in(tmp_path):
    marker = tmp_path / "ran"
    _plant(tmp_path / "evil.joblib", marker)
    for target in (tmp_path / "evil.joblib", tmp_path):
        if target == tmp_path:
            shutil.move(tmp_path / "evil.joblib", tmp_path / MODEL_FILE)
        result = invoke(["score", "--model", str(target), TEXT])
        assert result.exit_code == 1
        assert "refusing to unpickle" in result.output and "--trust-model-code" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not marker.exists()


def test_the_opt_in_runs_the_pickle_and_its_help_says_so(tmp_path):
    marker = tmp_path / "ran"
    _plant(tmp_path / "evil.joblib", marker)
    result = invoke(["score", "--model", str(tmp_path / "evil.joblib"), "--trust-model-code", TEXT])
    assert result.exit_code == 1 and "not a scikit-learn Pipeline" in result.output
    assert marker.exists()  # exactly the risk the option's help describes
    help_text = " ".join(invoke(["score", "--help"]).output.split())
    assert "Unpickling runs any code the file holds" in help_text


def test_a_trusted_pickle_that_differs_from_its_record_is_refused(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), folder)
    marker = tmp_path / "ran"
    _plant(folder / MODEL_FILE, marker)
    for run in (
        lambda: load_model(folder / MODEL_FILE, trust_code=True),
        lambda: read_pipeline(folder),
    ):
        with pytest.raises(ModelError, match="does not match the SHA-256 recorded in model.json"):
            run()
    # the folder itself is read from its data, with or without the opt-in
    assert load_model(folder, trust_code=True).pipeline is None
    assert not marker.exists()


def test_the_bundled_pickle_matches_its_record():
    record = json.loads((bundled_model_dir() / DATA_FILE).read_bytes())["model"]["about"]["pipeline"]
    assert record["file"] == MODEL_FILE
    assert bundled_pipeline().predict_proba(["It rained."]).shape == (1, 2)


def test_a_pickle_without_a_record_is_never_loaded_as_the_reference(tmp_path):
    (tmp_path / MODEL_FILE).write_bytes((bundled_model_dir() / MODEL_FILE).read_bytes())
    with pytest.raises(ModelError, match="records no SHA-256"):
        read_pipeline(tmp_path)


def test_a_pickle_planted_in_the_cache_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled_module, "bundled_model_dir", lambda: tmp_path / "missing")
    monkeypatch.setenv("FACTOPINION_CACHE_DIR", str(tmp_path / "cache"))
    data_dir = bundled_data_dir()
    cached = tmp_path / "cache" / f"model-v{FORMAT_VERSION}-{files_sha256(data_files(data_dir), data_dir)[:12]}"
    cached.mkdir(parents=True)
    for name in (DATA_FILE, METADATA_FILE):
        shutil.copy(bundled_model_dir() / name, cached / name)
    marker = tmp_path / "ran"
    _plant(cached / MODEL_FILE, marker)
    said = []
    model = load_model(notify=said.append)
    assert said == [] and model.pipeline is None and not marker.exists()


def _imports_after(*args: str) -> set[str]:
    code = (
        "import sys\n"
        "from factopinion.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sklearn', 'scipy', 'joblib', 'pandas')\n"
        "print('imported:', *sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return set(done.stderr.strip().splitlines()[-1].split()[1:])


@pytest.mark.slow
def test_scoring_explaining_and_model_info_do_not_import_scikit_learn():
    assert _imports_after("score", TEXT) == set()
    assert _imports_after("score", "--explain", "--json", TEXT) == set()
    assert _imports_after("model", "info") == set()
