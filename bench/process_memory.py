"""Benchmark what one scoring process holds in memory: the resident memory of a fresh process after importing
factopinion, after loading the default model, after scoring a batch of news sentences, and after the language check
has loaded py3langid's model (as a ``label`` worker does when a text does not look English), with the peak.

    python bench/process_memory.py               # a batch of 10,000 corpus sentences, median of 3 processes
    python bench/process_memory.py --repeat 5

Each ``label`` worker process loads the model, so this is what every worker costs beside the data it labels.
Resident memory (RSS) counts the pages the process has touched, shared ones (NumPy's libraries, say) included; USS
counts the pages only this process holds. Each figure is the median over ``--repeat`` fresh processes, measured
in turn.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys

from recording import add_record_option, recorded

STAGES = ("imported", "model loaded", "batch scored", "language model loaded")
# German news prose: not English by the function-word test, so the language check asks py3langid
GERMAN = "Die Regierung hat am Montag neue Regeln für den Verkehr in der Stadt vorgestellt, sagte ein Sprecher."


def child(batch: int) -> None:
    """Measure the stages in this process and print them as JSON (MiB)."""
    import psutil

    process = psutil.Process()
    figures: dict[str, list[float]] = {}

    def note(stage: str) -> None:
        info = process.memory_full_info()
        figures[stage] = [info.rss / 2**20, info.uss / 2**20]

    from corpus import Texts

    texts = Texts(seed=5)
    sentences = [texts.sentence() for _ in range(batch)]
    import factopinion.bundled
    import factopinion.language

    note("imported")
    model = factopinion.bundled.load_model()
    note("model loaded")
    model.opinion_probability(sentences)
    note("batch scored")
    factopinion.language.identify(GERMAN)
    note("language model loaded")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(json.dumps({"stages": figures, "peak": peak}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=10_000, help="sentences scored in one call (default 10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes measured (default 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    add_record_option(parser)
    args = parser.parse_args()
    if args.child:
        child(args.batch)
        return 0
    runs = []
    for _ in range(args.repeat):
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--batch", str(args.batch)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"the measuring process failed: {done.stderr.strip()[-2000:]}")
        runs.append(json.loads(done.stdout))
    print(f"one process, {args.batch:,} corpus sentences scored in one call; median of {args.repeat} processes")
    print(f"{'after':24} {'RSS MiB':>8} {'USS MiB':>8}")
    for stage in STAGES:
        rss = statistics.median(run["stages"][stage][0] for run in runs)
        uss = statistics.median(run["stages"][stage][1] for run in runs)
        print(f"{stage:24} {rss:8.1f} {uss:8.1f}")
    print(f"{'peak (ru_maxrss)':24} {statistics.median(run['peak'] for run in runs):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(recorded("process_memory", main))
