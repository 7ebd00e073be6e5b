"""Would a small stacked head beat the contextual first stage's two-number blend? Development rows only.

    PYTHONPATH=src nice -n 10 .venv/bin/python bench/tone_first_stage_stack.py --cache-dir /tmp/tone-ft

The contextual first stage of the tone check weighs the tuned layers' toxic log-odds against the static first
stage's with one weight (``tools/nlp/train_tone_contextual.py --blend-only``). This bench asks whether a logistic
regression over more inputs does better: the tuned log-odds, the static log-odds and the seven tone lexicon
features (``tone.LEXICON_FEATURES``), optionally the who-is-judged features (``tone.TARGET_FEATURES``).

Everything is measured on the development part of the ToxiCR training rows (``splits.toxicr_development_part``,
which the tuned layers never trained on), with the static recipe refitted without it, as the blend was chosen.
Each candidate is scored by nested cross-validation (5 stratified folds, 3 shuffles): its weights and its threshold
(or, for the blend, its weight and threshold) are chosen on four folds and judged on the fifth. The ToxiCR test
rows and the independent evaluation set are never read. It reuses the training tool's rows and static refit, so it
needs what that tool needs (PyTorch, training only, and the contextual model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))
sys.path.insert(0, str(ROOT / "bench"))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: E402
from train_classifiers import DEFAULT_DATA  # noqa: E402

from brightline.core.nlp.classifiers import MODELS_PATH  # noqa: E402
from brightline.core.nlp.tone import lexicon_features, target_features  # noqa: E402

THRESHOLDS = np.round(np.arange(0.10, 0.91, 0.01), 2)
WEIGHTS = np.round(np.arange(0.0, 0.91, 0.1), 1)
FOLDS, SHUFFLES = 5, 3


def f1(truth: NDArray[np.bool_], flagged: NDArray[np.bool_]) -> float:
    hits = int((truth & flagged).sum())
    precision, recall = hits / max(int(flagged.sum()), 1), hits / max(int(truth.sum()), 1)
    return 2 * precision * recall / max(precision + recall, 1e-12)


def threshold_for(truth: NDArray[np.bool_], probabilities: NDArray[np.float64]) -> float:
    return float(max(THRESHOLDS, key=lambda value: (f1(truth, probabilities >= value), -abs(value - 0.5))))


def blend_flags(train: NDArray[np.int64], scored: NDArray[np.int64], truth: NDArray[np.bool_],
                tuned: NDArray[np.float64], static: NDArray[np.float64]) -> NDArray[np.bool_]:
    """The blend of the runtime: weight and threshold chosen on ``train``, applied to ``scored``."""
    best = (-1.0, 0.0, 0.5)
    for weight in WEIGHTS:
        probabilities = 1 / (1 + np.exp(-((1 - weight) * tuned[train] + weight * static[train])))
        threshold = threshold_for(truth[train], probabilities)
        score = f1(truth[train], probabilities >= threshold)
        if score > best[0] + 1e-9:
            best = (score, float(weight), threshold)
    _, weight, threshold = best
    return np.asarray(1 / (1 + np.exp(-((1 - weight) * tuned[scored] + weight * static[scored]))) >= threshold)


def stack_flags(train: NDArray[np.int64], scored: NDArray[np.int64], truth: NDArray[np.bool_],
                inputs: NDArray[np.float64], C: float) -> NDArray[np.bool_]:
    """A logistic regression over ``inputs``; its threshold chosen on out-of-fold scores of ``train``."""
    inner = cross_val_predict(LogisticRegression(C=C, max_iter=2000), inputs[train], truth[train], cv=4,
                              method="predict_proba")[:, 1]
    threshold = threshold_for(truth[train], inner)
    model = LogisticRegression(C=C, max_iter=2000).fit(inputs[train], truth[train])
    return np.asarray(model.predict_proba(inputs[scored])[:, 1] >= threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache-dir", type=Path, required=True, help="the training tool's cache (static refit)")
    parser.add_argument("--tuned", type=Path, default=MODELS_PATH / "tone" / "contextual.safetensors",
                        help="the tuned layers to score (default: the shipped ones)")
    arguments = parser.parse_args()
    from train_tone_contextual import static_log_odds, toxicr_rows

    from brightline.core.nlp.contextual import TunedToneModel, bundled_encoder

    encoder = bundled_encoder()
    if encoder is None:
        raise SystemExit("The contextual model is not installed (scripts/setup.sh --contextual-model).")
    # The same rows as the training tool: the static recipe is refitted on the tuned layers' training rows.
    texts, toxic, (fitting, validation, _test), _left_out = toxicr_rows(arguments.data_dir)
    arguments.cache_dir.mkdir(parents=True, exist_ok=True)
    static = static_log_odds(arguments.cache_dir, texts, toxic, fitting, validation)
    scored_texts = [texts[index] for index in validation]
    tuned = TunedToneModel(encoder, arguments.tuned).toxic_log_odds(scored_texts)
    lexicon = lexicon_features(scored_texts).astype(np.float64)
    targets = target_features(scored_texts).astype(np.float64)
    truth = toxic[validation]
    candidates = {
        "blend (shipped form)": None,
        "stack: tuned + static": np.column_stack([tuned, static]),
        "stack: tuned + static + lexicon": np.column_stack([tuned, static, lexicon]),
        "stack: tuned + static + lexicon + who-is-judged": np.column_stack([tuned, static, lexicon, targets]),
    }
    print(f"{len(validation):,} development rows ({int(truth.sum())} toxic); nested {FOLDS}-fold cross-validation, "
          f"{SHUFFLES} shuffles; toxic F1")
    for name, inputs in candidates.items():
        for C in ((None,) if inputs is None else (0.1, 1.0)):
            found = []
            for shuffle in range(SHUFFLES):
                flags = np.zeros(len(truth), dtype=bool)
                for train, scored in StratifiedKFold(FOLDS, shuffle=True, random_state=shuffle).split(truth, truth):
                    flags[scored] = (blend_flags(train, scored, truth, tuned, static) if inputs is None
                                     else stack_flags(train, scored, truth, inputs, float(C or 1.0)))
                found.append(f1(truth, flags))
            label = name if C is None else f"{name}, C={C}"
            print(f"  {label:<58} {np.mean(found):.4f} (shuffles {', '.join(f'{value:.4f}' for value in found)})")


if __name__ == "__main__":
    main()
