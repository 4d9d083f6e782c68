"""Remake docs/seed.png: the seed article's `score --html` page in headless Chromium, one opinion sentence focused.

    python docs/screenshot.py [ARTICLE] [OUT.png]

Needs the Debian packages chromium and chromium-driver and the test extras (selenium). No network is used. The page
is made with the current model; the summary it shows ("38 sentences: 28 fact, 10 opinion ...") is written into the
PNG as a text chunk (keyword ``factopinion``), where a test compares it with what ``factopinion score`` finds now.
"""

from __future__ import annotations

import re
import shutil
import struct
import sys
import tempfile
import zlib
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from factopinion import load_model
from factopinion.engine.explain import explain_document
from factopinion.html import render_html, save_html

ROOT = Path(__file__).resolve().parent.parent
KEYWORD = b"factopinion"


def with_text(png: bytes, text: str) -> bytes:
    """The PNG with a ``tEXt`` chunk (keyword ``factopinion``) holding ``text``, placed just before ``IEND``."""
    data = KEYWORD + b"\0" + text.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def shown_text(png: bytes) -> str | None:
    """The text :func:`with_text` wrote into a PNG, or None."""
    at = 8
    while at < len(png):
        (length,), kind = struct.unpack(">I", png[at : at + 4]), png[at + 4 : at + 8]
        data = png[at + 8 : at + 8 + length]
        if kind == b"tEXt" and data.startswith(KEYWORD + b"\0"):
            return data[len(KEYWORD) + 1 :].decode("latin-1")
        at += 12 + length
    return None


def shown_counts(text: str) -> tuple[int, int, int]:
    """(sentences, fact, opinion) from a page summary such as "38 sentences: 28 fact, 10 opinion (...)"."""
    found = re.match(r"(\d+) sentences?: (\d+) fact, (\d+) opinion", text)
    if found is None:
        raise ValueError(f"not a page summary: {text!r}")
    sentences, fact, opinion = map(int, found.groups())
    return sentences, fact, opinion


def main(article: Path, out: Path, focus: str = "It should also promote") -> str:
    """Write the screenshot to OUT and return the summary the page shows."""
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
            summary = driver.execute_script("return document.querySelector('.summary p').textContent")
            out.write_bytes(with_text(driver.get_screenshot_as_png(), summary))
        finally:
            driver.quit()
    return summary


if __name__ == "__main__":
    args = sys.argv[1:]
    out = Path(args[1]) if len(args) > 1 else ROOT / "docs" / "seed.png"
    shown = main(Path(args[0]) if args else ROOT.parent / "shared" / "seed" / "article.txt", out)
    print(f"wrote {out}: {shown}")
