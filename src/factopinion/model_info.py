"""What a model is: its metadata, features and the terms it weighs most toward fact and toward opinion."""

from __future__ import annotations

from .explain import Explainer
from .model import Model

__all__ = ["describe_model", "format_model_info"]


def describe_model(model: Model, *, source: str, top: int = 15) -> dict:
    """A JSON-ready description of ``model`` (loaded from ``source``) with its ``top`` strongest terms per label."""
    explainer = Explainer(model)
    strongest = explainer.strongest_terms(top)
    words = sum(1 for name in explainer.names if not str(name).startswith("["))
    return {
        "source": source,
        "classes": [str(c) for c in model.pipeline.classes_],
        "features": {
            "total": int(explainer.coef.size),
            "terms": words,
            "signals": [str(name) for name in explainer.names if str(name).startswith("[")],
        },
        "intercept": round(explainer.intercept, 6),
        "strongest": {
            label: [{"term": term, "coefficient": round(weight, 6)} for term, weight in items]
            for label, items in strongest.items()
        },
        "metadata": model.metadata,
    }


def format_model_info(report: dict) -> str:
    """``describe_model``'s report as readable text."""
    meta = report["metadata"]
    lines = [f"model: {report['source']}"]
    versions = [
        f"{name} {meta[key]}"
        for name, key in (("factopinion", "factopinion_version"), ("scikit-learn", "sklearn_version"))
        if key in meta
    ]
    if "seed" in meta:
        versions.append(f"seed {meta['seed']}")
    if versions:
        lines.append("built with " + ", ".join(versions))
    data = meta.get("training_data")
    if data:
        counts = data.get("class_counts", {})
        files = data.get("files", [])
        lines.append(
            f"trained on {data.get('rows', '?')} sentences ({counts.get('fact', '?')} fact, "
            f"{counts.get('opinion', '?')} opinion) from {len(files)} file{'s' if len(files) != 1 else ''}"
        )
    cv = meta.get("cross_validation")
    if cv:
        lines.append(
            f"{cv['folds']}-fold cross-validation: accuracy {cv['accuracy']:.3f}, macro-F1 {cv['macro_f1']:.3f}"
        )
    features = report["features"]
    signals = ", ".join(features["signals"]) or "none"
    lines.append(f"features: {features['terms']} terms, stylistic signals: {signals}")
    lines.append(f"intercept (log-odds of opinion before any term): {report['intercept']:+.3f}")
    for label in ("opinion", "fact"):
        lines.append(f"\nstrongest terms toward {label} (coefficient):")
        lines.extend(f"  {item['coefficient']:+8.3f}  {item['term']}" for item in report["strongest"][label])
    return "\n".join(lines) + "\n"
