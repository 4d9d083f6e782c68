"""Benchmark the model-as-data engine (``model.json``) against the scikit-learn pipeline it was exported from.

    python bench/engine.py                 # the bundled model
    python bench/engine.py --model DIR     # another model folder (model.json + model.joblib)

Prints, from one run on this machine (ratios against references measured in the same run):
- scoring throughput of the data file against ``Pipeline.predict_proba``, same model and sentences, one process
  (target >= 3x), wall and CPU time, best of interleaved repeats, and the largest difference in probability;
- ``factopinion score`` on one sentence, cold start, against a bare ``python -c "import sklearn.linear_model"``
  (targets <= 0.5 s and <= 0.3x), median of interleaved runs;
- the memory of the loaded model against the unpickled pipeline (Python heap held by the model, and the whole
  process after loading: the data model needs only NumPy).

Sentences: every sentence of data/, and the CheckThat! sets under ../shared when they are there (measurement only).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from recording import add_record_option, recorded  # noqa: E402

from factopinion.bundled import bundled_data_dir, bundled_model_dir  # noqa: E402
from factopinion.model import read_model, read_pipeline  # noqa: E402
from factopinion.training.datasets import data_files, read_labeled, read_labeled_files  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "checkthat-en"
SENTENCE = "The council said on Tuesday that the plan is a disgrace and must be dropped."


def sentences() -> list[str]:
    found = read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()
    for name in ("train_en.tsv", "dev_en.tsv"):
        if (SHARED / name).is_file():
            found += read_labeled(SHARED / name)["sentence"].tolist()
    return found


def best_of(functions: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Each function's best wall and best CPU time over ``repeats`` interleaved runs."""
    wall: dict[str, list[float]] = {name: [] for name in functions}
    cpu: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            w, c = time.perf_counter(), time.process_time()
            function()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    return {name: (min(wall[name]), min(cpu[name])) for name in functions}


def throughput(directory: Path, texts: list[str], repeats: int) -> None:
    model = read_model(directory)
    pipeline = read_pipeline(directory)
    difference = float(np.abs(model.opinion_probability(texts) - pipeline.predict_proba(texts)[:, 1]).max())
    times = best_of(
        {
            "pipeline": lambda: pipeline.predict_proba(texts),
            "data": lambda: model.opinion_probability(texts),
        },
        repeats,
    )
    (pw, pc), (dw, dc) = times["pipeline"], times["data"]
    n = len(texts)
    print(f"scoring {n:,} sentences in one process (best of {repeats}, interleaved):")
    print(f"  Pipeline.predict_proba:  {n / pw:9,.0f} sentences/s wall  {n / pc:9,.0f} /s CPU")
    print(f"  model.json scorer:       {n / dw:9,.0f} sentences/s wall  {n / dc:9,.0f} /s CPU")
    print(f"  scorer / pipeline:       {pw / dw:9.2f}x wall          {pc / dc:9.2f}x CPU   (target >= 3x)")
    print(f"  largest probability difference: {difference:.1e}  (must be <= 1e-9)")


def run(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.decode().strip()}")
    return time.perf_counter() - started


def cold_start(directory: Path, repeats: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    exe = shutil.which("factopinion", path=str(Path(sys.executable).parent))
    score = [exe] if exe else [sys.executable, "-m", "factopinion.cli"]
    score += ["score", SENTENCE] + ([] if directory == bundled_model_dir() else ["--model", str(directory)])
    sklearn = [sys.executable, "-c", "import sklearn.linear_model"]
    run(score, env), run(sklearn, env)  # warm the file cache
    timings: dict[str, list[float]] = {"score": [], "sklearn": []}
    for _ in range(repeats):
        timings["score"].append(run(score, env))
        timings["sklearn"].append(run(sklearn, env))
    s, k = statistics.median(timings["score"]), statistics.median(timings["sklearn"])
    print(f"cold start, median of {repeats} interleaved runs:")
    print(f"  factopinion score (one sentence):    {s:6.3f} s   (target <= 0.5 s)")
    print(f"  python -c 'import sklearn.linear_model': {k:6.3f} s")
    print(f"  score / import sklearn:              {s / k:6.2f}x  (target <= 0.3x)")


MEMORY = """
import gc, resource, sys, tracemalloc
kind, directory = sys.argv[1], sys.argv[2]
if kind == "data":
    import numpy
    from factopinion.model import read_model
    load = lambda: read_model(directory)
else:
    import numpy, sklearn.pipeline, joblib
    from factopinion.model import read_pipeline
    load = lambda: read_pipeline(directory)
gc.collect()
tracemalloc.start()
loaded = load()
gc.collect()
held = tracemalloc.get_traced_memory()[0]
tracemalloc.stop()
status = open("/proc/self/status").read() if sys.platform == "linux" else ""
peak = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
print(held, peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory(directory: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    figures = {}
    for kind in ("data", "pipeline"):
        done = subprocess.run(
            [sys.executable, "-c", MEMORY, kind, str(directory)], capture_output=True, text=True, env=env
        )
        if done.returncode != 0:
            sys.exit(f"memory measurement failed: {done.stderr.strip()}")
        held, peak_kb = map(int, done.stdout.split())
        figures[kind] = (held / 2**20, peak_kb / 1024)
    (dh, dp), (ph, pp) = figures["data"], figures["pipeline"]
    print("memory of the loaded model:")
    print(f"  model.json (data):   {dh:6.1f} MiB held  {dp:6.0f} MiB peak RSS of the process")
    print(f"  model.joblib:        {ph:6.1f} MiB held  {pp:6.0f} MiB peak RSS of the process")
    print(f"  data / pipeline:     {dh / ph:6.2f}x held   {dp / pp:6.2f}x RSS  (target <= 1x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=bundled_model_dir(), help="model folder (default: bundled)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (default 5)")
    add_record_option(parser)
    args = parser.parse_args()
    texts = sentences()
    print(f"model: {args.model}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    throughput(args.model, texts, args.repeats)
    cold_start(args.model, max(args.repeats, 5))
    memory(args.model)


if __name__ == "__main__":
    sys.exit(recorded("engine", main))
