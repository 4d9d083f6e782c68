"""Compare factopinion's sentence splitter with pysbd and syntok (if installed) on the seed article.

    python bench/splitter.py [--article PATH] [--repeat N]

Prints each splitter's sentence count on the article and its throughput, with the ratio to factopinion's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from recording import add_record_option, recorded

from factopinion.text import split_sentences

ARTICLE = Path(__file__).resolve().parent.parent.parent / "shared" / "seed" / "article.txt"


def splitters() -> dict:
    found = {"factopinion": lambda text: [s.text for s in split_sentences(text)]}
    try:
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False)
        found["pysbd"] = segmenter.segment
    except ImportError:
        pass
    try:
        from syntok import segmenter as syntok

        found["syntok"] = lambda text: [s for p in syntok.analyze(text) for s in p]
    except ImportError:
        pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--article", type=Path, default=ARTICLE)
    parser.add_argument("--repeat", type=int, default=100, help="copies of the article to time on")
    add_record_option(parser)
    args = parser.parse_args()
    if not args.article.is_file():
        print(f"skipped: {args.article} is not on this machine")
        return
    text = args.article.read_text(encoding="utf-8")
    big = "\n\n".join([text] * args.repeat)
    speeds = {}
    print(f"{'splitter':<12}{'sentences':>10}{'MB/s':>8}{'ratio':>8}")
    for name, split in splitters().items():
        count = len(split(text))
        start = time.perf_counter()
        split(big)
        speeds[name] = len(big.encode()) / 1e6 / (time.perf_counter() - start)
        print(f"{name:<12}{count:>10}{speeds[name]:>8.2f}{speeds[name] / speeds['factopinion']:>8.3f}")


if __name__ == "__main__":
    sys.exit(recorded("splitter", main))
