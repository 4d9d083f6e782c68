"""The package is arranged in folders by concept, and its folders and modules form layers: each imports (at the
top or inside a function) only from lower layers, so there is no import circle and a newcomer can read the package
from the bottom up: the engine (the model as data), the model, tables, labeling, the command line."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest

from factopinion import MOVED

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "factopinion"
# A layer holds top-level modules, folders (every module in them) or modules of a folder; training straddles the
# model: its transformers and their export sit below it (a pipeline becomes a Model), training itself above.
LAYERS = [
    {"errors", "text", "naming", "interrupts"},
    {"encoding", "language", "document", "atomic"},
    {"engine"},
    {"training.signals"},
    {"training.features", "training.lexicon", "training.calibration", "training.vectors"},
    {"training.voice"},
    {"training.export"},
    {"model"},
    {"tables", "sources", "html"},
    {"training.datasets", "training.evaluation"},
    {"training.pipeline"},
    {"bundled"},
    {"labeling"},
    {"reports"},
    {"cli.render"},  # the results as text: for the command line and the server alike
    {"serve"},
    {"cli"},
]
# The layers inside a folder.
INSIDE = {
    "engine": [
        {"bytescan"},
        {"fields", "analysis", "vectors"},
        {"blocks.base"},
        {"blocks.tfidf", "blocks.style", "blocks.lexicon", "blocks.voice", "blocks.vectors"},
        {"scorer", "signals"},
        {"explain"},
    ],
    "tables": [{"registry", "csvstream"}, {"streams", "columns"}, {"delimited", "jsonl", "parquet"}],
    "labeling": [{"batch"}, {"files"}, {"dask", "articles"}],
    "reports": [{"shares", "files"}, {"page"}],
    "serve": [{"settings", "addresses", "schema"}, {"openapi", "page"}, {"app"}, {"server"}],
    "cli": [
        {"render"},
        {"core", "options", "progress"},
        {"score", "train", "evaluate", "label", "report", "model", "serve"},
        {"app"},
    ],
}
LAYER_OF = {unit: n for n, units in enumerate(LAYERS) for unit in units}
HEAVY = ("sklearn", "scipy", "pandas")


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name below the package (``labeling.batch``), facades
    (``__init__``, ``__main__``) left out."""
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.stem not in ("__init__", "__main__")
    }


def unit_of(module: str) -> str:
    return module if module in LAYER_OF else module.split(".")[0]


def imported_modules(module: str, path: Path) -> set[str]:
    """The package's own modules (dotted, as ``modules()`` names them) that ``module`` imports anywhere in its code
    (``from .. import __version__`` is the package's facade, not a module)."""
    known = set(modules()) | {p.relative_to(PACKAGE).as_posix().replace("/", ".") for p in PACKAGE.rglob("*/")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            parts = module.split(".")[: -node.level]
        elif (node.module or "").startswith("factopinion."):
            parts = []
        else:
            continue
        base = ".".join(parts + ([node.module.removeprefix("factopinion.")] if node.module else []))
        base = base.removeprefix("factopinion.") if not node.level else base
        candidates = {f"{base}.{alias.name}".strip(".") for alias in node.names}
        submodules = candidates & known
        found |= submodules or ({base} if base else set())
    return found


def layer(module: str) -> int:
    return LAYER_OF[unit_of(module)]


def test_every_module_has_a_layer():
    assert {unit_of(module) for module in modules()} == set(LAYER_OF), "add the new module to LAYERS"
    for folder, layers in INSIDE.items():
        inside = {module.split(".", 1)[1] for module in modules() if module.startswith(f"{folder}.")}
        assert inside == set().union(*layers), f"add the new module to INSIDE[{folder!r}] (and to CONTRIBUTING.md)"


def test_the_concepts_are_layered_engine_model_tables_labeling_cli():
    assert (
        layer("engine.scorer") < layer("model") < layer("tables.registry") < layer("labeling.batch") < layer("cli.app")
    )


def test_no_module_imports_its_own_or_a_higher_layer():
    upward = []
    for module, path in modules().items():
        for name in sorted(imported_modules(module, path)):
            if name == module or unit_of(name) not in LAYER_OF:
                continue
            if unit_of(name) == unit_of(module) and unit_of(module) in INSIDE:
                inner = {m: n for n, ms in enumerate(INSIDE[unit_of(module)]) for m in ms}
                mine, theirs = inner[module.split(".", 1)[1]], inner.get(name.split(".", 1)[-1], -1)
                if "." in name and theirs >= mine:
                    upward.append(f"{module} (layer {mine} of {unit_of(module)}) imports {name} (layer {theirs})")
            elif layer(name) >= layer(module):
                upward.append(f"{module} (layer {layer(module)}) imports {name} (layer {layer(name)})")
    assert upward == []


def test_the_engine_imports_no_scikit_learn_scipy_or_pandas():
    heavy = [
        f"{module} imports {name}"
        for module, path in modules().items()
        if module.startswith("engine.")
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
        if name.split(".")[0] in HEAVY
    ]
    assert heavy == []


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_import_path_is_the_moved_module_itself(old):
    """Modules that moved into folders keep their old paths, as the very same module: pickles name classes by the
    old paths (``factopinion.features.StyleFeatures``), documented imports use them, and a monkeypatch through an
    old path reaches the code that runs."""
    moved = importlib.import_module(f"factopinion.{old}")
    assert moved is importlib.import_module(f"factopinion.{MOVED[old]}")
    assert moved.__name__ == f"factopinion.{MOVED[old]}"


def test_a_pickle_which_names_the_old_paths_still_loads():
    """A pipeline pickled before the package had folders names its classes by the old paths
    (``factopinion.features.StyleFeatures``); it loads, as the classes at their new places. (Written here with
    pickle's text protocol, whose class references are plain lines, so the old paths can be put back in.)"""
    import pickle

    from factopinion.training.pipeline import build_pipeline

    sentences = ["The council met on Monday.", "The plan is a disgrace.", "Rates rose by 2%.", "We should act now."]
    pipeline = build_pipeline(voice=None, dense=None, max_df=1.0, min_df=1).fit(
        sentences, ["fact", "opinion", "fact", "opinion"]
    )
    pickled = pickle.dumps(pipeline, protocol=0)
    for old in ("features", "lexicon", "calibration"):
        pickled = pickled.replace(f"cfactopinion.training.{old}\n".encode(), f"cfactopinion.{old}\n".encode())
    old_paths = [b"factopinion.features", b"factopinion.lexicon", b"factopinion.calibration"]
    assert all(b"c" + path + b"\n" in pickled for path in old_paths) and b"factopinion.training" not in pickled
    loaded = pickle.loads(pickled)  # noqa: S301 - our own pickle
    union, classifier = (step for _, step in loaded.steps)
    kinds = [type(step) for _, step in union.transformer_list[1:]] + [type(classifier)]
    assert [f"{kind.__module__}.{kind.__name__}" for kind in kinds] == [
        "factopinion.training.features.StyleFeatures",
        "factopinion.training.lexicon.LexiconFeatures",
        "factopinion.training.calibration.NewsCalibratedLogisticRegression",
    ]
    assert np.array_equal(loaded.predict_proba(sentences), pipeline.predict_proba(sentences))
