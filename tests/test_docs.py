"""The manual stays true: every console example re-run and compared, every relative link resolves, the README stays
short, docs/seed.png shows what the current model finds, and the benchmark figures are the scripts' own output."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINKED_PAGES = [*PAGES, ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md", ROOT / "data" / "README.md"]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (not - or _), spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.S | re.M)
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_console_example_prints_what_the_page_shows(page):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_examples.py"), "--check", str(page)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_factopinion_command_shown_is_a_checked_console_example(page):
    for info, body in fenced_blocks(page.read_text("utf-8")):
        commands = [line for line in body.splitlines() if line.startswith("$ ")]
        if info == "console":
            assert commands, f"a console block without a '$ ' command in {page.name}:\n{body}"
        else:
            assert not [c for c in commands if c.startswith("$ factopinion")], (
                f"{page.name}: a '$ factopinion' example outside a console block is never checked:\n{body}"
            )


@pytest.mark.parametrize("page", LINKED_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    text = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.S | re.M)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        missing_anchor = bool(anchor) and resolved.suffix == ".md" and anchor not in anchors(resolved)
        if not resolved.exists() or not resolved.is_relative_to(ROOT) or missing_anchor:
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)}: links to nothing: {broken}"


def test_the_readme_is_a_front_door_not_the_manual():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 300
    for title in ("Quick start", "How good it is", "Tests", "Documentation"):
        assert f"\n## {title}\n" in readme
    assert "docs/model-card.md" in readme


def test_no_page_names_this_machines_paths():
    for page in PAGES:
        text = page.read_text("utf-8")
        assert str(ROOT) not in text and "/work/" not in text, page.name


def test_the_example_files_are_where_the_examples_find_them():
    examples = ROOT / "docs" / "examples"
    for page in PAGES:
        for info, body in fenced_blocks(page.read_text("utf-8")):
            if info != "console":
                continue
            commands = re.findall(r"^\$ (.*)$", body, re.M)
            for i, command in enumerate(commands):
                shown = re.fullmatch(r"cat (\S+)", command)
                if shown and not any(shown.group(1) in earlier for earlier in commands[:i]):
                    name = shown.group(1)
                    assert (examples / name).is_file(), f"{page.name} shows {name}, which is not in docs/examples/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_name_the_page_gives_can_be_imported(page):
    names = set(re.findall(r"`[^`\n]*?\b(factopinion(?:\.\w+)+)", page.read_text("utf-8")))
    for name in names:
        parts = name.split(".")
        for split in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            for attribute in parts[split:]:
                assert hasattr(found, attribute), f"{page.name} names {name}, which does not exist"
                found = getattr(found, attribute)
            break


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_the_page_gives_exists(page):
    text = page.read_text("utf-8")
    paths = set(re.findall(r"`((?:src|tests|bench|scripts|docs|data|eval|model)/[\w./-]*)", text))
    assert [path for path in paths if not (ROOT / path).exists()] == [], page.name


# -- docs/seed.png ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshot():
    pytest.importorskip("selenium")
    return load(ROOT / "docs" / "screenshot.py", "docs_screenshot")


def test_seed_png_shows_what_score_finds_with_the_current_model(screenshot, model, seed_article):
    shown = screenshot.shown_text((ROOT / "docs" / "seed.png").read_bytes())
    assert shown is not None, "docs/seed.png was not made by docs/screenshot.py"
    summary = model.score(seed_article).summary
    assert screenshot.shown_counts(shown) == (summary["sentences"], summary["fact"], summary["opinion"]), (
        "docs/seed.png is stale: run python docs/screenshot.py"
    )


def test_the_png_text_chunk_round_trips(screenshot):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes(13)) + chunk(b"IEND", b"")
    assert screenshot.shown_text(png) is None
    marked = screenshot.with_text(png, "3 sentences: 2 fact, 1 opinion (33.3% opinion; threshold 0.5)")
    assert marked.endswith(chunk(b"IEND", b"")) and marked.startswith(png[:-12])
    assert screenshot.shown_counts(screenshot.shown_text(marked)) == (3, 2, 1)
    with pytest.raises(ValueError):
        screenshot.shown_counts("a picture")


@pytest.mark.slow
def test_the_screenshot_script_shows_what_score_finds(screenshot, tmp_path, model):
    import shutil

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    article = tmp_path / "article.txt"
    article.write_text(
        "Libraries to close\n\nThe council voted on Tuesday to close two libraries. It is a shameful "
        "decision, and it should be reversed. Officials said the move would save money.\n",
        "utf-8",
    )
    out = tmp_path / "shot.png"
    shown = screenshot.main(article, out, focus="It is a shameful")
    png = out.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and screenshot.shown_text(png) == shown
    summary = model.score(article.read_text("utf-8")).summary
    assert screenshot.shown_counts(shown) == (summary["sentences"], summary["fact"], summary["opinion"])


# -- docs/benchmarks.md ----------------------------------------------------------------------------------------------


def test_every_recording_benchmark_has_its_section_and_it_is_recorded():
    page = (ROOT / "docs" / "benchmarks.md").read_text("utf-8")
    scripts = [path for path in (ROOT / "bench").glob("*.py") if path.name != "recording.py"]
    names = {m for path in scripts for m in re.findall(r'recorded\("(\w+)"', path.read_text())}
    assert names >= {"quality", "engine", "batch", "startup"}
    for name in names:
        section = re.search(rf"<!-- bench: {name} -->\n(.*?)<!-- end bench: {name} -->", page, re.S)
        assert section, f"docs/benchmarks.md has no section for bench {name}"
        assert re.match(r"```text\n\$ python bench/\S+\.py", section.group(1)), f"bench {name} was never recorded"


def test_recording_replaces_only_its_own_section(tmp_path, monkeypatch, capsys):
    recording = load(ROOT / "bench" / "recording.py", "bench_recording")
    page = tmp_path / "benchmarks.md"
    page.write_text(
        "intro\n<!-- bench: a -->\nold\n<!-- end bench: a -->\nmiddle\n<!-- bench: b -->\n"
        "keep\n<!-- end bench: b -->\n",
        "utf-8",
    )
    monkeypatch.setattr(sys, "argv", ["bench/a.py", "--rows", "3", "--record"])
    assert recording.recorded("a", lambda: print("1,000 rows/s"), page) == 0
    text = page.read_text("utf-8")
    assert "old" not in text and "keep" in text and text.startswith("intro\n") and "\nmiddle\n" in text
    assert "```text\n$ python bench/a.py --rows 3\n1,000 rows/s\n```\n" in text
    assert "1,000 rows/s" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["bench/c.py", "--record"])
    with pytest.raises(SystemExit, match="needs one section"):
        recording.recorded("c", lambda: None, page)
    monkeypatch.setattr(sys, "argv", ["bench/a.py"])
    assert recording.recorded("a", lambda: print("not kept"), page) == 0
    assert "not kept" not in page.read_text("utf-8")


def test_a_run_that_misses_its_target_is_recorded_too(tmp_path, monkeypatch):
    recording = load(ROOT / "bench" / "recording.py", "bench_recording")
    page = tmp_path / "benchmarks.md"
    page.write_text("<!-- bench: a -->\nold\n<!-- end bench: a -->\n", "utf-8")
    monkeypatch.setattr(sys, "argv", ["bench/a.py", "--record"])
    assert recording.recorded("a", lambda: print("target: 2x, NOT MET") or 1, page) == 1
    assert "target: 2x, NOT MET" in page.read_text("utf-8")
    with pytest.raises(ZeroDivisionError):  # an error is no run: nothing recorded
        recording.recorded("a", lambda: print("half a run") or 1 / 0, page)
    assert "half a run" not in page.read_text("utf-8") and "NOT MET" in page.read_text("utf-8")
