"""``factopinion report``: opinion share by group and period, with bootstrap intervals, from ``label`` output."""

from __future__ import annotations

import json
import math

import click

from .core import Command
from .options import force_option, output_options

PERIODS = ("week", "month", "year")  # as reports.shares.PERIODS, which imports pandas
INPUT_FORMATS = ("csv", "tsv", "jsonl", "parquet")
DECIMALS = 6  # figures in files and JSON, as label writes its shares


@click.command(cls=Command)
@click.argument("scores", metavar="SCORES...", nargs=-1, required=True)
@click.option("--by", multiple=True, metavar="COLUMN", help="Group by this column (repeat for several).")
@click.option("--period", type=click.Choice(PERIODS), help="Also group by the week, month or year of each article.")
@click.option("--date-column", default="date", show_default=True, help="The column --period reads dates from.")
@click.option(
    "--article-column",
    multiple=True,
    default=("row",),
    show_default=True,
    help="In sentence rows (label --sentences output), the column(s) naming the article a sentence belongs to.",
)
@click.option(
    "--cutoff",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Count the articles whose own opinion share is above this.",
)
@click.option(
    "--compare",
    nargs=2,
    metavar="A B",
    help="Also report the difference A − B between two groups of --by, with its interval.",
)
@click.option(
    "--resamples", type=click.IntRange(min=1), default=1000, show_default=True, help="Bootstrap resamples of articles."
)
@click.option("--seed", type=int, default=0, show_default=True, help="The bootstrap's seed: same seed, same intervals.")
@click.option(
    "--format",
    "table_format",
    type=click.Choice(INPUT_FORMATS),
    help="The input format (default: from each file name; standard input: CSV).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Also write the figures to FILE: CSV, TSV, JSON Lines or Parquet, by its extension (.gz compresses).",
)
@click.option("--html", "html_path", metavar="FILE", help="Also write a self-contained HTML report with a chart.")
@click.option("--title", default="Opinion share", show_default=True, help="The HTML report's title.")
@click.option("-q", "--quiet", is_flag=True, help="Print no table (with -o or --html) and no notes on standard error.")
@force_option
@output_options("table", "json", "csv")
def report(
    scores, by, period, date_column, article_column, cutoff, compare, resamples, seed, table_format, output,
    html_path, title, quiet, force, fmt,
):  # fmt: skip
    """Opinion share per group of articles, from what `label --documents` or `label --sentences` wrote.

    For each group (each value of the --by columns, and each --period): the articles and sentences, the opinion
    share by sentence (`opinion_share`) and by article (`article_opinion_share`), and the share of articles above
    --cutoff (`articles_over_cutoff`), each with a 95% bootstrap interval (`*_low`, `*_high`) from resampling
    articles. SCORES may be several files, or - for standard input.

    \b
    factopinion label archive.csv --documents -o scores.csv
    factopinion report scores.csv --by section --period month --html report.html
    factopinion report scores.csv --by section --compare opinion news
    """
    from ..atomic import check_writable
    from ..reports.files import read_scores, write_table
    from ..reports.shares import ReportSettings, articles_of, compare_groups, group_shares

    if scores.count("-") > 1:
        raise click.UsageError("standard input (-) can be read only once")
    for path in (output, html_path):
        if path is not None and path != "-":
            check_writable(path, overwrite=force)
    settings = ReportSettings(
        by=tuple(by),
        period=period,
        date_column=date_column,
        article_columns=tuple(article_column),
        cutoff=cutoff,
        resamples=resamples,
        seed=seed,
    )
    names = ", ".join("standard input" if s == "-" else s for s in scores)
    articles = articles_of(
        read_scores(scores, table_format=table_format),
        settings,
        name=names,
        notify=None if quiet else lambda message: click.echo(f"factopinion: {message}", err=True),
    )
    shares = group_shares(articles, settings).round(DECIMALS)
    comparison = compare_groups(articles, settings, *compare).round(DECIMALS) if compare else None
    if output is not None:
        write_table(shares, output, overwrite=force)
    if html_path is not None:
        from ..html import save_html
        from ..reports.page import render_report

        save_html(render_report(shares, settings, title=title, comparison=comparison), html_path, overwrite=force)
    if quiet and (output is not None or html_path is not None):
        return
    if fmt == "json":
        document = {
            "settings": {"by": list(by), "period": period, "cutoff": cutoff, "resamples": resamples, "seed": seed},
            "groups": _records(shares),
            **({"comparison": _records(comparison)} if comparison is not None else {}),
        }
        click.echo(json.dumps(document, indent=2, allow_nan=False))
    elif fmt == "csv":
        click.echo(shares.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        click.echo(_table(shares, settings.keys, cutoff))
        if comparison is not None:
            click.echo(_comparison(comparison))


def _records(frame) -> list[dict]:
    """Rows as JSON-ready dicts: NaN (a group with no articles to compare) as null."""
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in json.loads(frame.to_json(orient="records"))
    ]


def _table(shares, keys: list[str], cutoff: float) -> str:
    from .render import terminal_safe

    head = [*keys, "articles", "sentences", "opinion share [95% interval]", "by article", f"over {cutoff:g}"]
    rows = [
        [
            *(terminal_safe(str(row[k])) for k in keys),
            f"{row['articles']:,}",
            f"{row['sentences']:,}",
            _share(row, "opinion_share"),
            _share(row, "article_opinion_share"),
            _share(row, "articles_over_cutoff"),
        ]
        for _, row in shares.iterrows()
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(head, *rows, strict=True)]
    right = len(keys)  # the figures are right-aligned, the group names left-aligned
    lines = [
        "  ".join(
            cell.ljust(w) if i < right else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in (head, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines)


def _share(row, measure: str) -> str:
    return f"{row[measure]:.1%} [{row[measure + '_low']:.1%}, {row[measure + '_high']:.1%}]"


def _comparison(comparison) -> str:
    from .render import terminal_safe

    lines = []
    for _, row in comparison.iterrows():
        when = f"{row['period']}: " if "period" in row else ""
        lines.append(
            terminal_safe(
                f"{when}{row['group_a']} − {row['group_b']}: opinion share {row['opinion_share_difference']:+.1%} "
                f"[{row['opinion_share_difference_low']:+.1%}, {row['opinion_share_difference_high']:+.1%}]"
            )
        )
    return "\n".join(lines)
