"""``factopinion train``: train a model on labeled files."""

from __future__ import annotations

from pathlib import Path

import click

from .core import Command
from .options import force_option, label_column_option, quoting_option, text_column_option


@click.command(cls=Command)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A labeled CSV/TSV file (columns sentence or text, and label); repeat for more. "
    "Default: every file in the bundled data/ folder.",
)
@click.option(
    "--with-default-data",
    is_flag=True,
    help="Train on the bundled data/ corpus as well as the --data files (adapts the default model to your domain).",
)
@text_column_option
@label_column_option
@quoting_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("model"),
    show_default=True,
    help="Folder to write model.json (the model as data), model.joblib (its scikit-learn pipeline) and "
    "metadata.json into.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=None,
    help="Random seed, 0 to 4294967295 (default: the project's fixed seed).",
)
@click.option(
    "--cv-folds",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Cross-validation folds for the figures in metadata.json (0 to skip).",
)
@force_option
def train(data, with_default_data, text_column, label_column, quoting, out, seed, cv_folds, force):
    """Train a model on labeled sentences and save it.

    Label values fact/opinion, OBJ/SUBJ and 0/1 are understood; CheckThat! TSV files are read as they are.
    """
    from ..atomic import check_writable, same_file
    from ..bundled import bundled_data_dir
    from ..errors import DataError
    from ..model import DATA_FILE, METADATA_FILE, MODEL_FILE
    from ..training.datasets import data_files
    from ..training.pipeline import DEFAULT_SEED, train_default
    from ..training.pipeline import train as train_files
    from .render import format_training, training_warning

    seed = DEFAULT_SEED if seed is None else seed
    if cv_folds == 1:
        raise click.BadParameter("use 0 (no cross-validation) or at least 2", param_hint="--cv-folds")
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    for name in (DATA_FILE, MODEL_FILE, METADATA_FILE):
        check_writable(out / name, overwrite=force)
    files = list(dict.fromkeys(p.resolve() for p in data))
    if with_default_data or not data:
        files += [p for p in data_files(bundled_data_dir()) if p.resolve() not in files]
    for name in (DATA_FILE, MODEL_FILE, METADATA_FILE):  # through any link: the model never overwrites its data
        if any(same_file(out / name, f) for f in files):
            raise DataError(f"refusing to write the model over its training data ({out / name} is that file)")
    if data:
        modes = dict.fromkeys(files, quoting)  # --quoting is for the --data files; the bundled ones are CSV
        model = train_files(
            files, seed=seed, cv_folds=cv_folds, text_column=text_column, label_column=label_column, quoting=modes
        )
    else:
        model = train_default(bundled_data_dir(), seed=seed, cv_folds=cv_folds)
    model.save(out, overwrite=force)
    if warning := training_warning(model.metadata):
        click.echo(f"factopinion: {warning}", err=True)
    click.echo(format_training(model.metadata, str(out)), err=True)
