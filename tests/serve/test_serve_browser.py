"""The web app of `factopinion serve` in a real browser: headless Chromium (Selenium, the system chromedriver)
against a real server on 127.0.0.1. A person types an article, presses Score, and sees the opinion sentences
highlighted and listed, and downloads the result; with the keyboard alone, and at phone width too.

Skipped, with the reason, where Chromium, chromedriver, Selenium or the serve extra is missing. Screenshots are
saved in the test's temporary folder (their paths are printed)."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from helpers import invoke
from serving import Server, needs_extra
from test_html_browser import BROWSER, DRIVER, SKIP_REASON, assert_png, start_chromium, webdriver

from factopinion.html import shade

pytestmark = [
    needs_extra,
    pytest.mark.slow,
    pytest.mark.skipif(BROWSER is None or DRIVER is None or webdriver is None, reason=SKIP_REASON),
]

ARTICLE = (
    "Council votes on budget\n\n"
    'The council said on Tuesday that it would cut the library budget by 4%. "We had no choice," the mayor told '
    "reporters.\n\n"
    "This is a disgrace. <b>Bold</b> & <script>alert(1)</script> The council should resign at once! Who will stand "
    "up for readers?\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("serve-browser"))
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"), downloads)
    yield driver
    driver.quit()


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def score_in_page(browser, server, text: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/")
    area = browser.find_element(By.ID, "text")
    area.clear()
    area.send_keys(text)
    browser.find_element(By.ID, "score").click()
    wait_for(lambda: browser.find_element(By.ID, "result").is_displayed())


def expected_document(text: str) -> dict:
    return json.loads(invoke(["score", "--json", "--explain", text]).stdout)


def test_typing_an_article_and_pressing_score_highlights_the_opinions(browser, server, tmp_path):
    from selenium.webdriver.common.by import By

    score_in_page(browser, server, ARTICLE)
    document = expected_document(ARTICLE)
    shown = browser.execute_script(
        """return [...document.querySelectorAll('#view .s')].map(e => ({id: e.id, label: e.dataset.label,
            text: e.querySelector('.st').textContent, background: getComputedStyle(e).backgroundColor,
            underline: getComputedStyle(e).borderBottomStyle}));"""
    )
    sentences = document["sentences"]
    assert [s["text"] for s in shown] == [s["sentence"] for s in sentences]
    assert [s["label"] for s in shown] == [s["label"] for s in sentences]
    assert {s["label"] for s in shown} == {"fact", "opinion"}
    assert any("<script>alert(1)</script>" in s["text"] for s in shown)  # shown as text, never run
    for element, sentence in zip(shown, sentences, strict=True):
        colour = shade(sentence["opinion_probability"], document["threshold"])
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert element["background"] == f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})"
        assert (element["underline"] == "solid") == (sentence["label"] == "opinion")
    summary = browser.find_element(By.CSS_SELECTOR, "#view .summary").text
    counts = document["summary"]
    assert f"{counts['fact']} fact, {counts['opinion']} opinion" in summary
    assert f"{counts['opinion_share']:.1%} opinion" in summary
    assert browser.find_element(By.ID, "status").text == f"Scored {counts['sentences']} sentences."
    screenshot = tmp_path / "serve-page.png"
    browser.save_screenshot(str(screenshot))
    print(f"screenshot: {screenshot}")
    assert_png(screenshot, 1000)


def test_the_opinion_list_links_to_each_opinion_sentence(browser, server):
    from selenium.webdriver.common.by import By

    score_in_page(browser, server, ARTICLE)
    opinions = [s for s in expected_document(ARTICLE)["sentences"] if s["label"] == "opinion"]
    links = browser.find_elements(By.CSS_SELECTOR, "#opinions a")
    assert [link.text for link in links] == [s["sentence"] for s in opinions]
    assert browser.find_element(By.ID, "opinion-count").text == str(len(opinions))
    for link, sentence in zip(links, opinions, strict=True):
        assert link.get_attribute("href").endswith(f"#s-{sentence['index']}")
        link.click()
        focused = browser.switch_to.active_element
        assert focused.get_attribute("id") == f"s-{sentence['index']}"
        assert focused.find_element(By.CSS_SELECTOR, ".tip").is_displayed()  # its cue words, on focus
        assert browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight;", focused
        )


def test_the_downloads_hold_every_sentence(browser, server, downloads):
    from selenium.webdriver.common.by import By

    score_in_page(browser, server, ARTICLE)
    for name in ("factopinion-scores.csv", "factopinion-scores.json"):
        (downloads / name).unlink(missing_ok=True)
    browser.find_element(By.ID, "download-csv").click()
    browser.find_element(By.ID, "download-json").click()
    csv_file = wait_for(
        lambda: (downloads / "factopinion-scores.csv").is_file() and downloads / "factopinion-scores.csv"
    )
    json_file = wait_for(
        lambda: (downloads / "factopinion-scores.json").is_file() and downloads / "factopinion-scores.json"
    )  # noqa: E501
    time.sleep(0.2)
    document = expected_document(ARTICLE)
    rows = list(csv.DictReader(io.StringIO(csv_file.read_text("utf-8"))))
    assert [row["sentence"] for row in rows] == [s["sentence"] for s in document["sentences"]]
    assert [row["label"] for row in rows] == [s["label"] for s in document["sentences"]]
    assert csv_file.read_text("utf-8") == invoke(["score", "--csv", "--explain", ARTICLE]).stdout
    assert json.loads(json_file.read_text("utf-8")) == document


def test_with_the_keyboard_alone(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server.url + "/")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "text"
    focused.send_keys("The minister said the plan would cost 2 billion. It is a reckless gamble.")
    focused.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "threshold"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "score"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(lambda: browser.find_element(By.ID, "result").is_displayed())
    assert browser.switch_to.active_element.get_attribute("id") == "result-heading"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#view .s")) == 2


def test_an_error_is_shown_in_one_line(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/")
    browser.find_element(By.ID, "score").click()  # nothing typed
    # the page says "Scoring…" while the request is out, then the answer: wait for that
    status = wait_for(lambda: (text := browser.find_element(By.ID, "status").text) != "Scoring…" and text)
    assert status == "text is empty: there is nothing to score"
    assert "error" in browser.find_element(By.ID, "status").get_attribute("class")


def test_at_phone_width_nothing_overflows_and_nothing_is_loaded_from_elsewhere(browser, server, tmp_path):
    browser.set_window_size(390, 844)
    browser.get_log("browser")  # what earlier tests logged
    try:
        score_in_page(browser, server, ARTICLE * 2)
        assert browser.execute_script("return document.documentElement.scrollWidth <= innerWidth")
        resources = browser.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
        assert resources and all(url.startswith(server.url + "/") for url in resources), resources
        screenshot = tmp_path / "serve-phone.png"
        browser.save_screenshot(str(screenshot))
        print(f"screenshot: {screenshot}")
        assert_png(screenshot, 390)
        logs = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert not logs, logs  # no script or resource refused by the Content-Security-Policy, no error
    finally:
        browser.set_window_size(1000, 1400)


def test_text_that_does_not_look_english_is_flagged(browser, server):
    from selenium.webdriver.common.by import By

    score_in_page(
        browser, server, "Der Stadtrat hat am Dienstag beschlossen, die Bibliothek zu schließen. Das ist eine Schande."
    )
    status = browser.find_element(By.ID, "status").text
    assert status == (
        "Scored 2 sentences. Note: this text does not look like English: the model is trained on English news only."
    )
