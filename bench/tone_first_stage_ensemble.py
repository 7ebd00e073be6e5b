"""Do several fine-tuned tone first stages, averaged, beat one? Chosen on development rows; test scored on request.

    PYTHONPATH=src nice -n 10 .venv/bin/python bench/tone_first_stage_ensemble.py --cache-dir /tmp/tone-ft \
        /tmp/tone-ft/s1/probabilities.npz /tmp/tone-ft/s2/probabilities.npz [--char] [--score-test]

Each member is a run of ``tools/nlp/train_tone_contextual.py --score-test --save-probabilities FILE``: its P(toxic) of
the development rows it did not train on and of the ToxiCR test rows. The ensemble averages the members' toxic
log-odds; a cross-fitted pair (``--development-half 0`` and ``1``) each scored the half of the development part the
other trained on, so on a development row the ensemble averages only the members that did not train on it. Beside
the average stand, as in the runtime's blend, the static first stage's log-odds (the shipped recipe refitted without
the development part, as ``--blend-only`` does) and, with ``--char``, a logistic regression over character 2–5-gram
TF-IDF (scikit-learn, fitted on the training rows outside the development part; a different inductive bias). Their
weights (0, 0.1, …) and the threshold are chosen by toxic F1 on the development rows; the test rows choose nothing and
are read only with ``--score-test``, once the members and options are fixed (the static part then is the shipped
static first stage, as at run time).

It reuses the training tool's rows and static refit, so it needs what that tool needs (PyTorch, training only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

from train_classifiers import DEFAULT_DATA  # noqa: E402
from train_tone_contextual import best_threshold, logit, static_log_odds, toxic_scores, toxicr_rows  # noqa: E402

WEIGHTS = np.round(np.arange(0.0, 0.61, 0.1), 1)
CHAR_C = 10.0  # the best of 1, 3, 10, 30 for the character model alone on the development rows


def member_log_odds(paths: list[Path], rows: NDArray[np.int64], part: str) -> NDArray[np.float64]:
    """Mean toxic log-odds of the members on ``rows`` (``part`` = validation or test), over the members that
    scored each row; a development row no member held out is an error."""
    total, count = np.zeros(len(rows)), np.zeros(len(rows))
    position = {int(row): index for index, row in enumerate(rows)}
    for path in paths:
        saved = np.load(path)
        for row, probability in zip(saved[f"{part}_rows"], saved[part], strict=True):
            total[position[int(row)]] += float(logit(np.array([probability]))[0])
            count[position[int(row)]] += 1
    if (count == 0).any():
        raise SystemExit(f"{int((count == 0).sum())} {part} rows have no held-out score in the members given")
    return total / count


def char_model(texts: list[str], toxic: NDArray[np.bool_], fitting: NDArray[np.int64]) -> object:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
                          LogisticRegression(C=CHAR_C, max_iter=3000, class_weight="balanced"))
    return model.fit([texts[index] for index in fitting], toxic[fitting])


def choose(truth: NDArray[np.bool_], tuned: NDArray[np.float64], others: list[NDArray[np.float64]],
           ) -> tuple[tuple[float, ...], float, float]:
    """``(weights of others, threshold, F1)`` with the best development F1; the tuned log-odds weigh the rest."""
    grids = np.array(np.meshgrid(*[WEIGHTS] * len(others))).reshape(len(others), -1).T if others else np.zeros((1, 0))
    best: tuple[tuple[float, ...], float, float] = ((), 0.5, -1.0)
    for weights in grids:
        if weights.sum() > 0.9:
            continue
        odds = (1 - weights.sum()) * tuned + sum((w * o for w, o in zip(weights, others, strict=True)),
                                                 np.zeros_like(tuned))
        threshold, f1 = best_threshold(truth, 1 / (1 + np.exp(-odds)))
        if f1 > best[2] + 1e-9:
            best = (tuple(float(w) for w in weights), threshold, f1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("members", type=Path, nargs="+", help="--save-probabilities files of the training tool")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache-dir", type=Path, required=True, help="the training tool's cache (static refit)")
    parser.add_argument("--char", action="store_true", help="add the character n-gram model to the blend")
    parser.add_argument("--score-test", action="store_true", help="score the test rows (once the choice is fixed)")
    arguments = parser.parse_args()
    texts, toxic, (fitting, validation, test), _ = toxicr_rows(arguments.data_dir)
    truth = toxic[validation]
    tuned = member_log_odds(arguments.members, validation, "validation")
    others = [static_log_odds(arguments.cache_dir, texts, toxic, np.asarray(fitting), np.asarray(validation))]
    names = ["static"]
    model = None
    if arguments.char:
        model = char_model(texts, toxic, fitting)
        others.append(logit(model.predict_proba([texts[index] for index in validation])[:, 1]))  # type: ignore[attr-defined]
        names.append("char")
    report: dict[str, object] = {"members": [str(path) for path in arguments.members]}
    for path in arguments.members:
        single = member_log_odds([path], np.load(path)["validation_rows"], "validation")
        rows = np.load(path)["validation_rows"]
        report.setdefault("development_alone", {})[path.parent.name or str(path)] = (  # type: ignore[index]
            best_threshold(toxic[rows], 1 / (1 + np.exp(-single))))
    report["development_average"] = best_threshold(truth, 1 / (1 + np.exp(-tuned)))
    weights, threshold, f1 = choose(truth, tuned, others)
    report["chosen"] = {"weights": dict(zip(names, weights, strict=True)), "threshold": threshold,
                        "development_f1": f1}
    if arguments.score_test:
        from brightline.core.nlp.classifiers import bundled_classifier

        test_texts = [texts[index] for index in test]
        test_others = [logit(bundled_classifier("tone").probabilities(test_texts)[:, 1])]
        if model is not None:
            test_others.append(logit(model.predict_proba(test_texts)[:, 1]))  # type: ignore[attr-defined]
        tuned_test = member_log_odds(arguments.members, test, "test")
        odds = (1 - sum(weights)) * tuned_test + sum((w * o for w, o in zip(weights, test_others, strict=True)),
                                                     np.zeros_like(tuned_test))
        report["test"] = toxic_scores(toxic[test], odds >= np.log(threshold / (1 - threshold)))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
