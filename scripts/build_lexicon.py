"""Build the vendored word lexicon, src/factopinion/lexicons/lexicon.tsv, from two permissively licensed sources.

    pip install textblob vaderSentiment   # for this script only; training and scoring need neither
    python scripts/build_lexicon.py [--check]

Sources (licences verified from the installed files, recorded in src/factopinion/lexicons/README.md):
- TextBlob's ``textblob/en/en-sentiment.xml``, the pattern.en adjective lexicon by Tom De Smedt and Walter
  Daelemans, licence="PDDL" in its root element: polarity -1..1 and subjectivity 0..1 per word sense. A word's
  scores are the mean over its senses, as pattern and TextBlob compute them.
- VADER's ``vaderSentiment/vader_lexicon.txt`` (C.J. Hutto, MIT licence): mean human valence rating -4..4 per
  token, written here divided by 4 (-1..1).

Only entries that are one lowercased ``\\w+`` token are kept (the transformer tokenises that way; emoticons and
"can't" cannot match). The output is sorted by word, scores rounded to 3 places, an empty cell where a source
lacks the word, so the same sources always give the same file. ``--check`` only compares with the vendored file.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "factopinion" / "lexicons" / "lexicon.tsv"
WORD = re.compile(r"\w+")
COLUMNS = ("word", "subjectivity", "polarity", "valence")


def package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{package} is not installed (pip install textblob vaderSentiment)")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.is_file():
        sys.exit(f"{path} not found")
    return path


def textblob_scores(path: Path) -> dict[str, tuple[float, float]]:
    """word -> (subjectivity, polarity), each the mean over the word's senses."""
    root = ElementTree.parse(path).getroot()
    if root.get("license") != "PDDL":
        sys.exit(f'{path}: expected license="PDDL", found {root.get("license")!r}')
    senses: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for element in root.iter("word"):
        form = element.get("form", "").lower()
        if WORD.fullmatch(form):
            senses[form].append((float(element.get("subjectivity", 0)), float(element.get("polarity", 0))))
    return {
        form: (sum(s for s, _ in values) / len(values), sum(p for _, p in values) / len(values))
        for form, values in senses.items()
    }


def vader_scores(path: Path) -> dict[str, float]:
    """token -> mean valence / 4."""
    scores = {}
    for line in path.read_text("utf-8").splitlines():
        token, mean, *_ = line.split("\t")
        token = token.lower()
        if WORD.fullmatch(token):
            scores[token] = float(mean) / 4
    return scores


def build() -> str:
    blob = textblob_scores(package_file("textblob", "en", "en-sentiment.xml"))
    vader = vader_scores(package_file("vaderSentiment", "vader_lexicon.txt"))

    def cell(value: float | None) -> str:
        if value is None:
            return ""
        text = f"{round(value, 3):.3f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    lines = ["\t".join(COLUMNS)]
    for word in sorted(set(blob) | set(vader)):
        subjectivity, polarity = blob.get(word, (None, None))
        lines.append("\t".join((word, cell(subjectivity), cell(polarity), cell(vader.get(word)))))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the vendored file; write nothing")
    args = parser.parse_args()
    text = build()
    if args.check:
        same = OUT.is_file() and OUT.read_text("utf-8") == text
        print(f"{OUT}: {'up to date' if same else 'differs from the sources'}")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}: {text.count(chr(10)) - 1} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
