"""The `score --html` page in a real browser: headless Chromium driven by Selenium through the system chromedriver.

Skipped, with the reason, where Chromium, chromedriver or Selenium is missing (`.ci/run` installs them). The browser
gets no network: the page is a local file and must load nothing else.
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest
from helpers import SEED_ARTICLE as SEED
from helpers import SKIP_REASON, invoke

from factopinion import load_model

BROWSER = next((p for name in ("chromium", "chromium-browser") if (p := shutil.which(name))), None)
DRIVER = shutil.which("chromedriver")

TEXT = """Council votes on budget

The council said on Tuesday that it would cut the library budget by 4%. "We had no choice," the mayor told reporters.

Opinion
This is a disgrace. <script>alert("x")</script> The council should resign at once! Who will stand up for readers?
These cuts are a shameful betrayal of every reader.
"""

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:  # pragma: no cover - depends on the machine
    webdriver = None

pytestmark = pytest.mark.skipif(BROWSER is None or DRIVER is None or webdriver is None, reason=SKIP_REASON)


def start_chromium(profile: Path, downloads: Path | None = None):
    """Headless Chromium through the system chromedriver, with a new profile, no network of its own and a
    1000x1400 window; downloads (if a folder is given) saved there without asking."""
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1000,1400",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    if downloads is not None:
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(30)
    if downloads is not None:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


def write_page(source: Path, out: Path) -> list:
    """Run `score --file SOURCE --html OUT` and return the sentences it scored."""
    result = invoke(["score", "--file", str(source), "--html", str(out)])
    assert result.exit_code == 0, result.output
    return load_model().score(source.read_text("utf-8")).sentences


def sentence_elements(browser) -> list[dict]:
    return browser.execute_script(
        """return [...document.querySelectorAll('.s')].map(e => ({
            index: Number(e.dataset.index), label: e.dataset.label, probability: Number(e.dataset.probability),
            text: e.querySelector('.st').textContent}));"""
    )


def assert_png(path: Path, width: int) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">I", data[16:20])[0] == width
    assert len(data) > 10_000  # a rendered page, not a blank image


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    (folder / "story.txt").write_text(TEXT, "utf-8")
    sentences = write_page(folder / "story.txt", folder / "story.html")
    browser.get((folder / "story.html").as_uri())
    return sentences


def test_every_sentence_is_rendered_with_its_label(browser, page):
    elements = sentence_elements(browser)
    assert [e["index"] for e in elements] == [s.index for s in page]
    assert [e["label"] for e in elements] == [s.label for s in page]
    assert [e["text"] for e in elements] == [s.sentence for s in page]
    assert [e["probability"] for e in elements] == [round(s.opinion_probability, 3) for s in page]
    assert "opinion" in {e["label"] for e in elements} and "fact" in {e["label"] for e in elements}


def test_the_page_runs_no_script_and_loads_nothing(browser, page):
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert any('<script>alert("x")</script>' in e["text"] for e in sentence_elements(browser))
    assert browser.title == "Council votes on budget: fact and opinion"  # the heading the text opens with
    h2 = browser.execute_script("return [...document.querySelectorAll('h1, h2')].map(h => h.textContent)")
    assert h2.count("Council votes on budget") == 1  # the headline once


def test_tab_moves_from_one_opinion_sentence_to_the_next_and_shows_their_tooltips(browser, page):
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    opinions = [s for s in page if s.label == "opinion"]
    assert len(opinions) >= 2
    links = browser.find_elements(By.CSS_SELECTOR, ".opinion-list a")
    assert [a.get_attribute("href").split("#")[1] for a in links] == [f"s-{s.index}" for s in opinions]
    links[-1].click()  # following a link moves Tab's starting point to its sentence
    assert browser.execute_script("return location.hash") == f"#s-{opinions[-1].index}"
    target = browser.find_element(By.ID, f"s-{opinions[-1].index}")
    assert target.value_of_css_property("outline-style") == "solid"  # :target
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    browser.find_element(By.CSS_SELECTOR, ".opinions summary").send_keys(Keys.TAB)  # past the list's links
    for _ in links:
        browser.switch_to.active_element.send_keys(Keys.TAB)
    for sentence in opinions:
        focused = browser.switch_to.active_element
        assert focused.get_attribute("id") == f"s-{sentence.index}"
        tip = focused.find_element(By.CSS_SELECTOR, ".tip")
        assert tip.is_displayed()
        assert tip.text.startswith(f"sentence {sentence.index} · OPINION · opinion probability")
        assert "toward opinion:" in tip.text
        others = browser.find_elements(By.CSS_SELECTOR, f".s:not(#s-{sentence.index}) .tip")
        assert not any(other.is_displayed() for other in others)
        if sentence is not opinions[-1]:  # (past the last one, focus would leave the page for the browser's own)
            focused.send_keys(Keys.TAB)  # the fact sentences between are skipped
    browser.execute_script("document.activeElement.blur()")


def test_sentence_numbers_are_shown_as_in_the_score_table(browser, page):
    numbers = browser.execute_script(
        "return [...document.querySelectorAll('.s')].map(e => getComputedStyle(e, '::before').content)"
    )
    assert numbers == [f'"{s.index}"' for s in page]


def test_opinion_is_the_stronger_colour(browser, page):
    def colour_strength(css: str) -> int:  # how far from white
        r, g, b = (int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
        return 3 * 255 - r - g - b

    strengths = {s.label: [] for s in page}
    for s in page:
        element = browser.find_element(By.ID, f"s-{s.index}")
        strengths[s.label].append(colour_strength(element.value_of_css_property("background-color")))
    assert min(strengths["opinion"]) > max(strengths["fact"])


def test_hovering_a_sentence_shows_its_tooltip_and_marks_its_cue_words(browser, page):
    browser.execute_script("document.activeElement.blur()")
    target = next(s for s in page if "resign" in s.sentence)
    element = browser.find_element(By.ID, f"s-{target.index}")
    tip = element.find_element(By.CSS_SELECTOR, ".tip")
    cue = next(c for c in element.find_elements(By.CSS_SELECTOR, ".cue-opinion") if c.text == "should")
    assert not tip.is_displayed()
    before_hover = cue.value_of_css_property("text-decoration-line")
    ActionChains(browser).move_to_element(element).perform()
    assert tip.is_displayed() and "toward opinion: " in tip.text
    assert re.search(r"should \+\d\.\d\d \([^)]*recommending word\)", tip.text)
    assert cue.value_of_css_property("text-decoration-line") == "underline"
    assert before_hover == "none"
    ActionChains(browser).move_by_offset(0, 0).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()


# For each sentence, focused in turn: whether its tooltip overlaps the sentence itself, or any text after it (the
# next line), and whether it stays inside the page's width.
TOOLTIP_PLACEMENT = """
const problems = [];
const width = document.documentElement.clientWidth;
const end = document.querySelector('main').lastChild;
for (const s of document.querySelectorAll('.s')) {
  s.focus();
  const tip = s.querySelector('.tip').getBoundingClientRect();
  const overlaps = (r) => r.width > 0 && r.height > 0 && r.right > tip.left && r.left < tip.right
    && r.bottom > tip.top && r.top < tip.bottom;
  const after = document.createRange();
  after.setStartAfter(s);
  after.setEndAfter(end);
  if ([...s.querySelector('.st').getClientRects()].some(overlaps)) problems.push(s.id + ' hides its sentence');
  if ([...after.getClientRects()].some(overlaps)) problems.push(s.id + ' hides the text after it');
  if (tip.left < 0 || tip.right > width || tip.height === 0) problems.push(s.id + ' is off the page');
  s.blur();
}
return problems;
"""
LONG_TEXT = "\n\n".join(
    " ".join(
        f"The council said on Tuesday that the {n}th plan to rebuild the old market hall by the river would cost "
        f"far more than the {m} million pounds it had set aside, officials told reporters."
        for m in range(4)
    )
    for n in range(3)
)


def test_in_print_tooltips_are_hidden_and_opinion_is_marked_in_words(browser, page):
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        opinion = next(s for s in page if s.label == "opinion")
        after = browser.execute_script(
            "return getComputedStyle(document.getElementById(arguments[0]), '::after').content", f"s-{opinion.index}"
        )
        assert after == f'" [opinion {opinion.opinion_probability:.3f}]"'
        fact = next(s for s in page if s.label == "fact")
        assert browser.execute_script(
            "return getComputedStyle(document.getElementById(arguments[0]), '::after').content", f"s-{fact.index}"
        ) in ("none", "normal")
        browser.execute_script("document.getElementById(arguments[0]).focus()", f"s-{opinion.index}")
        assert not browser.find_element(By.CSS_SELECTOR, f"#s-{opinion.index} .tip").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.parametrize("width", [1000, 390])
def test_screenshot_at_desktop_and_phone_widths(browser, page, tmp_path, width):
    browser.set_window_size(width, 1400)
    try:
        browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        opinion = next(s for s in page if s.label == "opinion")
        browser.execute_script("document.getElementById(arguments[0]).focus()", f"s-{opinion.index}")
        tip = browser.find_element(By.CSS_SELECTOR, f"#s-{opinion.index} .tip").rect
        assert tip["x"] >= 0 and tip["x"] + tip["width"] <= browser.execute_script("return window.innerWidth")
        shot = tmp_path / "story.png"
        assert browser.save_screenshot(str(shot))
        assert_png(shot, browser.execute_script("return window.innerWidth * window.devicePixelRatio"))
    finally:
        browser.set_window_size(1000, 1400)


# (after the tests of the `page` fixture's page: this one loads another)
def test_a_tooltip_hides_neither_its_sentence_nor_the_text_after_it(browser, tmp_path):
    (tmp_path / "long.txt").write_text(LONG_TEXT, "utf-8")
    write_page(tmp_path / "long.txt", tmp_path / "long.html")
    browser.get((tmp_path / "long.html").as_uri())
    assert len(sentence_elements(browser)) == 12
    assert browser.execute_script(TOOLTIP_PLACEMENT) == []


@pytest.mark.skipif(not SEED.is_file(), reason=f"{SEED} is not here (the project's shared/ folder)")
def test_the_seed_article_in_the_browser(browser, tmp_path):
    sentences = write_page(SEED, tmp_path / "seed.html")
    browser.get((tmp_path / "seed.html").as_uri())
    elements = sentence_elements(browser)
    assert [(e["text"], e["label"]) for e in elements] == [(s.sentence, s.label) for s in sentences]
    headings = browser.execute_script("return [...document.querySelectorAll('h2.heading')].map(h => h.textContent)")
    assert headings == ["NATO and Asia", "Strategic Alliance"]
    alliance_labels = browser.execute_script(
        """const h = [...document.querySelectorAll('h2.heading')].find(h => h.textContent === 'Strategic Alliance');
        return [...document.querySelectorAll('.s')]
            .filter(e => h.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING).map(e => e.dataset.label);"""
    )
    assert alliance_labels and alliance_labels.count("opinion") > len(alliance_labels) / 2  # as test_html.py
    assert browser.execute_script(TOOLTIP_PLACEMENT) == []
    shot = tmp_path / "seed.png"
    assert browser.save_screenshot(str(shot))
    assert_png(shot, browser.execute_script("return window.innerWidth * window.devicePixelRatio"))
