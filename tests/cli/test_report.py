"""`factopinion report`: from `label` output to figures on the terminal, in files and in an HTML page."""

from __future__ import annotations

import csv
import json
import shutil

import pandas as pd
import pytest
from helpers import SKIP_REASON, TRUE_SHARES, invoke, opinion_archive

ARTICLES = [
    (
        "news",
        "2026-03-02",
        "The council voted 7-2 on Tuesday to close the library. Officials said it would save money.",
    ),
    ("news", "2026-04-11", "The minister announced a review of rail fares. The review will report in June."),
    ("opinion", "2026-03-09", "This is a shameful decision. The council should reverse it at once."),
    ("opinion", "2026-04-20", "The plan is reckless, and the minister should resign. Who will pay for this mess?"),
]


@pytest.fixture
def labeled(tmp_path):
    """A small archive run through `label --documents` and `label --sentences`."""
    source = tmp_path / "archive.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["section", "date", "text"])
        writer.writerows(ARTICLES)
    for mode in ("documents", "sentences"):
        result = invoke(["label", source, f"--{mode}", "-o", tmp_path / f"{mode}.csv", "--quiet"])
        assert result.exit_code == 0, result.output
    return tmp_path


def test_report_over_label_documents_output(labeled):
    documents = pd.read_csv(labeled / "documents.csv")
    result = invoke(["report", labeled / "documents.csv", "--by", "section", "--json", "--resamples", "200"])
    assert result.exit_code == 0, result.stderr
    groups = {g["section"]: g for g in json.loads(result.stdout)["groups"]}
    for section, rows in documents.groupby("section"):
        group = groups[section]
        assert group["articles"] == len(rows)
        assert group["sentences"] == rows["sentences"].sum()
        assert group["opinion_share"] == pytest.approx(rows["opinion_sentences"].sum() / rows["sentences"].sum())
        assert group["opinion_share_low"] <= group["opinion_share"] <= group["opinion_share_high"]
    assert groups["opinion"]["opinion_share"] > groups["news"]["opinion_share"]


def test_sentence_output_gives_the_same_figures(labeled):
    common = ["--by", "section", "--period", "month", "--csv", "--resamples", "100"]
    from_documents = invoke(["report", labeled / "documents.csv", *common])
    from_sentences = invoke(["report", labeled / "sentences.csv", *common])
    assert from_documents.exit_code == from_sentences.exit_code == 0
    assert from_documents.stdout == from_sentences.stdout
    assert from_documents.stdout.splitlines()[0].startswith("period,section,articles,sentences,opinion_sentences")


def test_table_on_the_terminal_with_a_comparison(tmp_path):
    opinion_archive().to_csv(tmp_path / "scores.csv", index=False)
    result = invoke(["report", tmp_path / "scores.csv", "--by", "section", "--compare", "opinion", "news"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["section", "articles", "sentences"]
    assert [line.split()[0] for line in lines[1:4]] == ["analysis", "news", "opinion"]
    low, high = (float(x.strip("[]%,+")) / 100 for x in lines[4].split()[-2:])
    assert low <= TRUE_SHARES["opinion"] - TRUE_SHARES["news"] <= high


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".csv.gz", ".parquet"])
def test_figures_to_a_file_in_the_format_its_name_says(tmp_path, suffix):
    opinion_archive(per_month=5).to_csv(tmp_path / "scores.csv", index=False)
    out = tmp_path / f"figures{suffix}"
    result = invoke(["report", tmp_path / "scores.csv", "--by", "section", "-o", out, "--resamples", "50"])
    assert result.exit_code == 0, result.stderr
    from factopinion.reports.files import read_scores

    figures = read_scores([str(out)])
    assert figures["section"].tolist() == ["analysis", "news", "opinion"]
    assert {"opinion_share_low", "opinion_share_high", "articles_over_cutoff"} <= set(figures.columns)
    again = invoke(["report", tmp_path / "scores.csv", "--by", "section", "-o", out])
    assert again.exit_code == 1 and "use --force" in again.stderr


def test_scores_from_standard_input(tmp_path):
    table = opinion_archive(per_month=3).to_csv(index=False)
    result = invoke(["report", "-", "--by", "section", "--csv", "--resamples", "20"], input=table)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "desk"], "no column 'desk'"),
        (["--compare", "a", "b"], "--compare needs --by"),
        (["--by", "section", "--compare", "sport", "news"], "no group 'sport'"),
    ],
)
def test_mistakes_are_one_line(tmp_path, args, message):
    opinion_archive(per_month=2).to_csv(tmp_path / "scores.csv", index=False)
    result = invoke(["report", tmp_path / "scores.csv", *args])
    assert result.exit_code == (1 if "column" in message else 2)  # a usage mistake is exit 2, as Click has it
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in result.stderr


def test_not_label_output_is_refused(tmp_path):
    (tmp_path / "plain.csv").write_text("text\nhello\n", encoding="utf-8")
    result = invoke(["report", tmp_path / "plain.csv"])
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(
        "not the output of label --documents (sentences, opinion_sentences) or label --sentences (label, row)"
    )


BROWSER = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")


@pytest.mark.slow
@pytest.mark.skipif(BROWSER is None or DRIVER is None, reason=SKIP_REASON)
def test_the_html_report_in_a_browser_at_phone_and_desktop_width(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    opinion_archive().to_csv(tmp_path / "scores.csv", index=False)
    page = tmp_path / "report.html"
    result = invoke(
        ["report", tmp_path / "scores.csv", "--by", "section", "--period", "month", "--html", page,
         "--compare", "opinion", "news", "--resamples", "100", "--title", "Desk report"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    try:
        for width in (1200, 390):
            driver.set_window_size(width, 900)
            driver.get(page.as_uri())
            assert driver.title == "Desk report"
            chart = driver.find_element(By.CSS_SELECTOR, "figure svg")
            viewport = driver.execute_script("return document.documentElement.clientWidth")
            assert 0 < chart.size["width"] <= viewport
            assert chart.size["height"] > 100
            # the page itself never scrolls sideways; the table scrolls in its own box
            assert driver.execute_script("return document.documentElement.scrollWidth") <= viewport
            assert len(driver.find_elements(By.CSS_SELECTOR, "figure svg polyline")) == 3
            assert len(driver.find_elements(By.CSS_SELECTOR, "tbody tr")) == 18
            assert "opinion" in driver.find_element(By.CSS_SELECTOR, ".comparison").text
            driver.save_screenshot(str(tmp_path / f"report-{width}.png"))
        print(f"screenshots in {tmp_path}")
    finally:
        driver.quit()


def test_quiet_writes_the_files_and_prints_nothing(tmp_path):
    scores = opinion_archive(per_month=3)
    scores.loc[0, "date"] = "someday"
    scores.to_csv(tmp_path / "scores.csv", index=False)
    args = ["report", tmp_path / "scores.csv", "--by", "section", "--period", "month", "--resamples", "20"]
    loud = invoke([*args, "-o", tmp_path / "a.csv"])
    assert (
        loud.stdout.startswith("period")
        and loud.stderr == "factopinion: 1 article without a readable 'date' left out\n"
    )
    quiet = invoke([*args, "-o", tmp_path / "b.csv", "--html", tmp_path / "b.html", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stdout == quiet.stderr == ""
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "b.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    # figures in files keep six decimals, as label writes its shares
    row = (tmp_path / "a.csv").read_text().splitlines()[1].split(",")
    decimals = [len(value.split(".")[1]) for value in row if "." in value]
    assert decimals and max(decimals) <= 6
