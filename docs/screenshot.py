"""Remake docs/seed.png: the seed article's `score --html` page in headless Chromium, one opinion sentence focused.

    python docs/screenshot.py [ARTICLE] [OUT.png]

Needs the Debian packages chromium and chromium-driver and the test extras (selenium). No network is used.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from factopinion import load_model
from factopinion.engine.explain import explain_document
from factopinion.html import render_html, save_html

ROOT = Path(__file__).resolve().parent.parent


def main(article: Path, out: Path, focus: str = "It should also promote") -> None:
    text = article.read_text("utf-8")
    model = load_model()
    page = render_html(explain_document(model, model.score(text), 0), title=article.name)
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "seed.html"
        save_html(page, html)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
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
            "--window-size=900,1000",
            f"--user-data-dir={folder}/profile",
        ):
            options.add_argument(argument)
        driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "chromedriver"))
        try:
            driver.get(html.as_uri())
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(900, height + 200)
            driver.execute_script(
                "[...document.querySelectorAll('.s')]"
                ".find(e => e.querySelector('.st').textContent.startsWith(arguments[0])).focus()",
                focus,
            )
            driver.save_screenshot(str(out))
        finally:
            driver.quit()


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0]) if args else ROOT.parent / "shared" / "seed" / "article.txt",
        Path(args[1]) if len(args) > 1 else ROOT / "docs" / "seed.png",
    )
