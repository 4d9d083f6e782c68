"""The package's modules form layers: each imports (at the top or inside a function) only modules of lower
layers, so there is no import circle and a newcomer can read the package from the bottom up."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "factopinion"
LAYERS = [
    {"errors", "text", "naming"},
    {"encoding", "language", "document", "features", "lexicon", "calibration", "scorer"},
    {"explain", "export", "csvstream", "atomic", "evaluation", "web"},
    {"model", "datasets", "formats", "html", "tables"},
    {"training", "batch"},
    {"bundled", "fileset"},
    {"dask"},
    {"cli"},
]
LAYER_OF = {module: n for n, modules in enumerate(LAYERS) for module in modules}


def imported_modules(path: Path) -> set[str]:
    """The package's own modules that ``path`` imports anywhere in its code (``from . import __version__`` is the
    package's facade, not a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [alias.name for alias in node.names]
            found |= {name.split(".")[0] for name in names if name != "__version__"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("factopinion."):
            found.add(node.module.split(".")[1])
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert modules == set(LAYER_OF), "add the new module to LAYERS (and to CONTRIBUTING.md)"


def test_no_module_imports_its_own_or_a_higher_layer():
    upward = [
        f"{path.stem} (layer {LAYER_OF[path.stem]}) imports {name} (layer {LAYER_OF[name]})"
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem in LAYER_OF
        for name in sorted(imported_modules(path))
        if name in LAYER_OF and LAYER_OF[name] >= LAYER_OF[path.stem] and name != path.stem
    ]
    assert upward == []
