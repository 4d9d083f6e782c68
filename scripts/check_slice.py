"""Check one new corpus slice before it joins data/: schema, vocabularies, pairs, near-duplicates, leaks (into the
CheckThat! sets and the project's clear-cut evaluation set, eval/clearcut.csv).

    python scripts/check_slice.py data/authored/NEW.csv [--shared ../shared]

The same rules as tests/training/test_corpus.py, for one file, with every problem listed (exit 1 if any).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["id", "sentence", "label", "topic", "register", "source", "pair_id", "case"]
REGISTERS = {"wire", "feature", "analysis", "interview", "editorial", "column", "op-ed", "letter", "review"}
CASES = {
    "fact": {"event", "attributed_opinion", "emotive_fact", "heading", "reported_question"},
    "opinion": {"evaluation", "recommendation", "prediction", "rhetorical_question", "sarcasm_hyperbole"},
}


NEAR_EVALUATION = 0.5  # the token Jaccard similarity above which a corpus sentence is too close to an evaluation one


def tokens(sentence: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", sentence.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def rows_of(path: Path, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter, quoting=quoting))


def near(new: list[str], old: list[str], threshold: float) -> list[tuple[str, str]]:
    """Pairs (new, old) whose token Jaccard similarity exceeds ``threshold`` (an index keeps this fast)."""
    index: dict[str, list[int]] = {}
    old_sets = [tokens(s) for s in old]
    for i, t in enumerate(old_sets):
        for token in t:
            index.setdefault(token, []).append(i)
    found = []
    for sentence in new:
        t = tokens(sentence)
        counts: dict[int, int] = {}
        for token in t:
            for i in index.get(token, ()):
                counts[i] = counts.get(i, 0) + 1
        for i, shared in counts.items():
            if shared / (len(t) + len(old_sets[i]) - shared) > threshold and old[i] is not sentence:
                found.append((sentence, old[i]))
    return found


def check(path: Path, shared: Path) -> list[str]:
    problems = []
    with open(path, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    if header[: len(COLUMNS)] != COLUMNS:
        return [f"header must start with {','.join(COLUMNS)}; it is {','.join(header)}"]
    rows = rows_of(path)
    prefix = path.stem
    ids, sentences = set(), set()
    pairs: dict[str, list[dict]] = {}
    topics = set()
    for r in (ROOT / "data" / "authored").glob("*.csv"):
        if r.resolve() != path.resolve():
            topics |= {row["topic"] for row in rows_of(r)}
    for n, row in enumerate(rows, start=2):
        s = row["sentence"]
        where = f"line {n} ({row['id']})"
        if not re.fullmatch(rf"{re.escape(prefix)}-\d{{4}}", row["id"]):
            problems.append(f"{where}: id must be {prefix}-NNNN")
        if row["id"] in ids:
            problems.append(f"{where}: duplicate id")
        ids.add(row["id"])
        if s != s.strip() or not s or "\n" in s:
            problems.append(f"{where}: sentence empty, padded or multi-line")
        if s in sentences:
            problems.append(f"{where}: duplicate sentence")
        sentences.add(s)
        if row["label"] not in CASES:
            problems.append(f"{where}: label {row['label']!r}")
        elif row["case"] not in CASES[row["label"]]:
            problems.append(f"{where}: case {row['case']!r} is not a {row['label']} case")
        if row["register"] not in REGISTERS:
            problems.append(f"{where}: register {row['register']!r}")
        if topics and row["topic"] not in topics:
            problems.append(f"{where}: topic {row['topic']!r} is not one of the corpus's topics")
        if row["source"] != "authored":
            problems.append(f"{where}: source must be authored")
        if row["pair_id"]:
            pairs.setdefault(row["pair_id"], []).append(row)
    for pair_id, members in pairs.items():
        if not pair_id.startswith(f"{prefix}-p"):
            problems.append(f"pair {pair_id}: pair ids must be {prefix}-pNNN")
        if len(members) != 2 or sorted(m["label"] for m in members) != ["fact", "opinion"]:
            problems.append(f"pair {pair_id}: needs exactly one fact and one opinion sentence")
        elif members[0]["topic"] != members[1]["topic"]:
            problems.append(f"pair {pair_id}: the two sentences need the same topic")
    mine = [row["sentence"] for row in rows]
    pair_of = {row["sentence"]: row["pair_id"] for row in rows}
    for a, b in near(mine, mine, 0.8):
        if a < b and not (pair_of[a] and pair_of[a] == pair_of[b]):
            problems.append(f"near-duplicates inside the slice: {a!r} ~ {b!r}")
    others = [
        row["sentence"]
        for p in sorted((ROOT / "data").rglob("*.csv"))
        if p.resolve() != path.resolve()
        for row in rows_of(p)
    ]
    problems += [f"too close to an existing corpus sentence: {a!r} ~ {b!r}" for a, b in near(mine, others, 0.8)]
    checkthat = shared / "data" / "checkthat-en"
    external = [row["sentence"] for p in sorted(checkthat.glob("*.tsv")) for row in rows_of(p, "\t", csv.QUOTE_NONE)]
    problems += [
        f"too close to an external evaluation sentence (rewrite it): {a!r}"
        for a, _ in near(mine, external, NEAR_EVALUATION)
    ]
    clearcut = ROOT / "eval" / "clearcut.csv"
    held_out = [row["sentence"] for row in rows_of(clearcut)] if clearcut.is_file() else []
    problems += [
        f"too close to a clear-cut evaluation sentence (rewrite it): {a!r} ~ {b!r}"
        for a, b in near(mine, held_out, NEAR_EVALUATION)
    ]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slice", type=Path)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    problems = check(args.slice, args.shared)
    rows = rows_of(args.slice)
    labels = [r["label"] for r in rows]
    print(
        f"{args.slice}: {len(rows)} sentences, {labels.count('opinion')} opinion, "
        f"{len({r['pair_id'] for r in rows if r['pair_id']})} pairs; {len(problems)} problems"
    )
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
