"""``factopinion model``: inspect a trained model."""

from __future__ import annotations

import click

from .core import Group
from .options import get_model, model_path_option, output_options


@click.group(name="model", cls=Group)
def model_group():
    """Inspect a trained model."""


@model_group.command()
@model_path_option
@click.option(
    "--top", type=click.IntRange(min=0), default=15, show_default=True, help="Terms to list per label (0 for all)."
)
@output_options("table", "json")
def info(model_path, trust_model_code, top, fmt):
    """Show a model's metadata and the terms it weighs most toward fact and toward opinion."""
    from ..bundled import bundled_model_dir
    from ..document import json_text
    from .render import format_model_info

    report = get_model(model_path, trust_model_code).describe(source=str(model_path or bundled_model_dir()), top=top)
    click.echo(
        json_text(report, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else format_model_info(report),
        nl=False,
    )
