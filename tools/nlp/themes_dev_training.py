"""Does training the theme matcher on the independently labelled development sentences help, most of all on
developers' comments? Measured out of fold on those sentences, against the shipped matcher (issue 17).

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/nlp/themes_dev_training.py

Development sentences (two labellers each, labelled from the guide's definitions alone; the matchers shipped before
session 12 were trained on none of them):

* the first independent themes set (``tools/nlp/eval/themes_labels.csv``, 260 crowd-written review sentences,
  settled labels), development data since the second set replaced it as the held-out one. It is **never trained
  on**: most of its sentences come from reviews the second sets also draw from;
* the third development pool's agreed labels (``narrative_train/dev3_themes_labels.csv``, written by
  ``dev_pool3.py labels themes``): its review sentences and its sentences of pull-request comments (PRemo).

Each candidate is trained on the training rows of ``train_themes.py`` (the team's dev sentences and
``themes_train_labels.csv``) plus four fifths of the pool's sentences (``--dev-weight`` copies of each) and scores
the fifth (5 folds, ``--shuffles`` repetitions); the first set is scored by the candidate trained on the whole pool,
as it would be shipped. Printed, per part of the development data: micro precision / recall / F1 of

* the shipped contextual matcher (its regression averaged with the tuned network, threshold and cap as shipped),
* the same with the regression retrained with the pool, the shipped network unchanged (it is never trained here:
  its share stays out of fold by construction), at the shipped threshold and at one chosen on the other folds;
* the shipped static classifier (the default install), and the static recipe retrained on the relabelled rows
  with the pool; its threshold is chosen on the other four folds.

Then the contradiction rule on cases composed from these sentences with each candidate's themes, and per theme how
many labelled themes each finds. Nothing here reads a second or later held-out set. ``--record`` (after retraining:
``train_themes.py --with-development`` and ``train_themes_tuned.py --lora --regression-only --with-development
--development-copies 3 --weight 0.5 --threshold 0.5``) writes the first set's and the team's test rows' figures of the
shipped matchers to ``themes_metrics.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import train_themes  # noqa: E402

from brightline.core.insights import themes  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402
from brightline.core.nlp.embeddings import row_norms  # noqa: E402

STATIC_THRESHOLDS = tuple(round(0.30 + 0.05 * step, 2) for step in range(9))
GROUPS = train_themes.DEVELOPMENT_PARTS
#: The copies of each development sentence in the shipped recipes (``train_themes.DEVELOPMENT_COPIES``).
RECORDED_COPIES = train_themes.DEVELOPMENT_COPIES


def capped(scores: NDArray[np.float64], threshold: float, cap: int = themes.MAX_THEMES_PER_SENTENCE
           ) -> NDArray[np.int64]:
    """The runtime's decision: at or above ``threshold``, at most ``cap`` themes a sentence, best first."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :cap]
    kept = np.take_along_axis(scores, order, axis=1) >= threshold
    predicted = np.zeros(scores.shape, dtype=np.int64)
    np.put_along_axis(predicted, order, kept.astype(np.int64), axis=1)
    return predicted


def tally(y: NDArray[np.int64], predicted: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.array([int((y & predicted).sum()), int(predicted.sum()), int(y.sum())])


def prf(counts: NDArray[np.int64]) -> str:
    hit, predicted, support = (int(value) for value in counts)
    precision = hit / predicted if predicted else 0.0
    recall = hit / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  ({hit} of {support} found, {predicted} predicted)"


def composed_contradictions(y: NDArray[np.int64], predicted: NDArray[np.int64], *, cases: int = 600,
                            seed: int = 0) -> tuple[int, int, int, int, int]:
    """The contradiction rule on cases composed as ``bench/themes_eval.py`` composes them (3-5 growth comments, a
    theme from 3 or 2 writers, the last writer repeating the first in a fifth of the cases), from these sentences'
    labels (expected) and out-of-fold decisions (found): (right, found, expected, false-alarm cases, cases without
    one). The rule counts a theme raised by 3+ distinct writers."""
    rng = np.random.default_rng(seed)
    right = found_total = expected_total = alarms = negatives = 0
    for case in range(cases):
        theme = int(rng.integers(y.shape[1]))
        about = np.flatnonzero(y[:, theme])
        others = np.flatnonzero(y[:, theme] == 0)
        wanted = 3 if case % 2 == 0 else 2
        picked = list(about[rng.choice(len(about), size=min(wanted, len(about)), replace=False)])
        picked += list(others[rng.choice(len(others), size=int(rng.integers(1, 3)), replace=False)])
        writers = list(range(len(picked)))
        if rng.random() < 0.2:
            writers[-1] = writers[0]

        def raised(matrix: NDArray[np.int64], picked: list[int] = picked, writers: list[int] = writers) -> set[int]:
            return {t for t in range(matrix.shape[1])
                    if len({w for row, w in zip(picked, writers, strict=True) if matrix[row, t]}) >= 3}
        expected, found = raised(y), raised(predicted)
        right += len(expected & found)
        found_total += len(found)
        expected_total += len(expected)
        if not expected:
            negatives += 1
            alarms += bool(found)
    return right, found_total, expected_total, alarms, negatives


def evaluation_json(y: NDArray[np.int64], predicted: NDArray[np.int64], ids: list[str], threshold: float,
                    split: str) -> dict[str, object]:
    """The figures in the shape ``core.insights.evaluation.ThemeEvaluation.to_json`` gives."""
    def ratio(top: int, bottom: int) -> float | None:
        return round(top / bottom, 4) if bottom else None
    hit, guessed, support = (int(value) for value in tally(y, predicted))
    per_theme = []
    for column, theme in enumerate(ids):
        t_hit = int((y[:, column] & predicted[:, column]).sum())
        t_guessed, t_support = int(predicted[:, column].sum()), int(y[:, column].sum())
        per_theme.append({"theme": theme, "precision": ratio(t_hit, t_guessed), "recall": ratio(t_hit, t_support),
                          "support": t_support, "predicted": t_guessed,
                          "f1": ratio(2 * t_hit, t_guessed + t_support)})
    return {"threshold": threshold, "split": split, "sentences": len(y), "micro_precision": ratio(hit, guessed),
            "micro_recall": ratio(hit, support), "micro_f1": ratio(2 * hit, guessed + support),
            "per_theme": per_theme}


def record(y_dev: NDArray[np.int64], part: NDArray[np.str_], ids: list[str],
           static: tuple[NDArray[np.float64], float],
           contextual: tuple[NDArray[np.float64], float] | None) -> None:
    """Write the shipped matchers' figures to ``themes_metrics.json``: the first set's (never trained on), the team's
    test rows' (never trained on), the other blocks (the second set's) kept as they are."""
    from brightline.core.insights import evaluation
    from brightline.core.insights.transparency import THEME_METRICS_PATH

    metrics = json.loads(THEME_METRICS_PATH.read_text(encoding="utf-8"))
    first = part == GROUPS[0]
    taxonomy = themes.load_taxonomy()
    static_index = themes.build_theme_index(taxonomy, embedder=embed)
    measured = evaluation.measure_theme_accuracy(train_themes.FIXTURE, embedder=embed, index=static_index)
    measured["threshold_chosen_on"] = ("5-fold cross-validation on the classifier's training rows (these dev rows, "
                                       "the crowd-written training sentences and the third development pool's "
                                       "two-labeller sentences)")
    metrics.update(measured)
    for key, (scores, threshold), path in (
            ("independent", static, themes.DEFAULT_CLASSIFIER_PATH),
            ("independent_contextual", contextual or (None, 0.0), themes.CONTEXTUAL_CLASSIFIER_PATH)):
        if scores is None:
            continue
        block = dict(metrics.get(key, {}))
        fingerprint = hashlib.sha256(path.read_bytes()).hexdigest()
        if block.get("classifier_sha256") != fingerprint and "after" in block:
            block["before"] = block["after"]
        block["classifier_sha256"] = fingerprint
        block["after"] = {**evaluation_json(y_dev[first], capped(scores[first], threshold), ids, threshold,
                                            "independent"), "classifier": path.name}
        if key != "independent":
            runtime = themes.runtime_theme_index(taxonomy)
            team = [row for row in evaluation.read_labelled_sentences(train_themes.FIXTURE)
                    if evaluation.labelled_split(row.id) == "test"]
            block["test"] = evaluation.evaluate_themes(team, runtime, embedder=embed, split="test").to_json()
        metrics[key] = block
    THEME_METRICS_PATH.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"recorded the first set's figures and the team test rows' in {THEME_METRICS_PATH.name}")


def nested_threshold(y: NDArray[np.int64], scores: NDArray[np.float64], folds: list[NDArray[np.int64]]
                     ) -> NDArray[np.int64]:
    """Decisions where each fold's threshold is the best micro-F1 on the other folds' rows."""
    predicted = np.zeros(y.shape, dtype=np.int64)
    for test in folds:
        train = np.setdiff1d(np.arange(len(y)), test)

        def f1(threshold: float, train: NDArray[np.int64] = train) -> float:
            hit, guessed, support = tally(y[train], capped(scores[train], threshold))
            return 2 * hit / max(guessed + support, 1)
        best = max(STATIC_THRESHOLDS, key=f1)
        predicted[test] = capped(scores[test], best)
    return predicted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shuffles", type=int, default=1)
    parser.add_argument("--dev-weight", type=int, nargs="+", default=[1, 3],
                        help="copies of each development sentence in the regression's training rows")
    parser.add_argument("--save", type=Path, help="keep the out-of-fold probabilities in this .npz file")
    parser.add_argument("--record", action="store_true",
                        help="after retraining with the pool (train_themes.py --with-development and "
                             "train_themes_tuned.py --regression-only --with-development): record the shipped "
                             "matchers' figures on the first set and the team test rows in themes_metrics.json")
    arguments = parser.parse_args(argv)
    if arguments.record and RECORDED_COPIES not in arguments.dev_weight:
        parser.error(f"--record needs --dev-weight {RECORDED_COPIES}")
    taxonomy = themes.load_taxonomy()
    ids = [theme.id for theme in taxonomy.themes]
    base_texts, base_labels, _origin = train_themes.training_rows()
    dev_texts, dev_labels, parts = train_themes.development_rows()
    texts = base_texts + dev_texts
    y = np.array([[theme in found for theme in ids] for found in base_labels + dev_labels], dtype=np.int64)
    n_base = len(base_texts)
    dev = np.arange(n_base, len(texts))
    y_dev = y[dev]
    part = np.array(parts)
    print(f"{n_base} training rows; development sentences: "
          + ", ".join(f"{name} {int((part == name).sum())} ({int(y_dev[part == name].sum())} themes)"
                      for name in GROUPS))

    static_index = themes.build_theme_index(taxonomy, embedder=embed, classifier=None)
    dense = train_themes.dense_features(texts, static_index, embed)
    runtime = themes.runtime_theme_index(taxonomy)
    vectors = np.asarray(embed(dev_texts), dtype=np.float32)
    best = themes.best_per_theme(themes.seed_similarities(vectors, row_norms(vectors), static_index), static_index)
    shipped_static_classifier = themes.load_theme_classifier(taxonomy, themes.DEFAULT_CLASSIFIER_PATH)
    assert shipped_static_classifier is not None
    shipped_static = np.asarray(shipped_static_classifier.probabilities(dev_texts, vectors, best), dtype=np.float64)
    contextual = runtime.contextual and runtime.tuned is not None and runtime.classifier is not None
    results: dict[str, NDArray[np.float64]] = {"static, shipped": shipped_static}
    weight = threshold = 0.0
    if contextual:
        assert runtime.classifier is not None and runtime.tuned is not None
        weight, threshold = runtime.tuned_weight, runtime.default_threshold
        shipped_regression = np.asarray(runtime.classifier.probabilities(dev_texts, vectors, best), dtype=np.float64)
        network = 1.0 / (1.0 + np.exp(-np.asarray(runtime.tuned.logits(dev_texts), dtype=np.float64)))
        results["contextual, shipped"] = (1 - weight) * shipped_regression + weight * network
        results["network alone, shipped"] = network
    else:
        print("the contextual model is not installed: only the static classifier is compared")

    static_settings = json.loads(themes.DEFAULT_CLASSIFIER_PATH.read_text(encoding="utf-8"))["settings"]
    retrain: dict[str, tuple[float, float, int]] = {}  # name → (C, word weight, copies)
    for copies in arguments.dev_weight:
        retrain[f"regression (C 3, words 1.0) + dev x{copies}"] = (3.0, 1.0, copies)
    c_static = float(static_settings.get("C", 3.0))
    w_static = float(static_settings.get("word_weight", 1.0))
    if (c_static, w_static) != (3.0, 1.0):
        for copies in arguments.dev_weight:
            retrain[f"regression (C {c_static:g}, words {w_static:.1f}) + dev x{copies}"] = (c_static, w_static, copies)
    # Only the third pool is trained on: its sentences are scored out of fold; the first set, never trained on, is
    # scored by the recipe trained on the whole pool (as shipped).
    pool = np.flatnonzero(part != GROUPS[0])
    first = np.flatnonzero(part == GROUPS[0])
    fold_lists: list[list[NDArray[np.int64]]] = []
    for shuffle in range(arguments.shuffles):
        # Folds over all development sentences, for choosing a threshold on the other folds; training leaves out
        # the fold's pool sentences.
        folds = [test for _, test in KFold(5, shuffle=True, random_state=shuffle).split(dev)]
        fold_lists.append(folds)
        for name, (c, word_weight, copies) in retrain.items():
            out = np.zeros(y_dev.shape)
            for test in [*folds, None]:
                scored = first if test is None else np.intersect1d(test, pool)
                kept = pool if test is None else np.setdiff1d(pool, test)
                rows = np.concatenate([np.arange(n_base)] + [dev[kept]] * copies)
                vec, models = train_themes.fit(dense, texts, y, c=c, word_weight=word_weight, rows=rows)
                out[scored] = train_themes.predict(vec, models, dense[dev[scored]], [dev_texts[i] for i in scored],
                                                   word_weight)
            results[f"{name} [shuffle {shuffle}]"] = out
            print(f"  trained {name}, shuffle {shuffle}", file=sys.stderr, flush=True)
    if arguments.record:
        static_name = f"regression (C {c_static:g}, words {w_static:.1f}) + dev x{RECORDED_COPIES} [shuffle 0]"
        contextual_name = f"regression (C 3, words 1.0) + dev x{RECORDED_COPIES} [shuffle 0]"
        record(y_dev, part, ids, (results[static_name], float(shipped_static_classifier.threshold)),
               ((1 - weight) * results[contextual_name] + weight * results["network alone, shipped"], threshold)
               if contextual else None)
    if arguments.save:
        np.savez_compressed(arguments.save, y=y_dev, part=part, **{k: v for k, v in results.items()})

    def report(name: str, decide: Callable[[NDArray[np.int64]], NDArray[np.int64]]) -> NDArray[np.int64]:
        predicted = decide(np.arange(len(dev)))
        print(f"{name}")
        print(f"    all {len(dev):>4}: {prf(tally(y_dev, predicted))}")
        for group in GROUPS:
            mask = part == group
            print(f"    {group:<24}: {prf(tally(y_dev[mask], predicted[mask]))}")
        return predicted

    decisions: dict[str, NDArray[np.int64]] = {}
    print("\n== with the contextual model (threshold and weight as shipped) ==")
    if contextual:
        decisions["contextual, shipped"] = report("contextual, shipped", lambda _: capped(
            results["contextual, shipped"], threshold))
        for name in results:
            if name.startswith("regression"):
                blend = (1 - weight) * results[name] + weight * results["network alone, shipped"]
                decisions[f"contextual, {name}"] = report(f"shipped network + {name}", lambda _, b=blend: capped(
                    b, threshold))
                folds = fold_lists[int(name.rsplit(" ", 1)[1].rstrip("]"))]
                report(f"shipped network + {name}, threshold chosen on the other folds",
                       lambda _, b=blend, f=folds: nested_threshold(y_dev, b, f))
    print("\n== static classifier (the default install) ==")
    decisions["static, shipped"] = report(
        f"static, shipped (threshold {shipped_static_classifier.threshold})",
        lambda _: capped(shipped_static, shipped_static_classifier.threshold))
    report("static, shipped, threshold chosen on the other folds",
           lambda _: nested_threshold(y_dev, shipped_static, fold_lists[0]))
    for name in results:
        if name.startswith("regression"):
            folds = fold_lists[int(name.rsplit(" ", 1)[1].rstrip("]"))]
            decisions[f"static, {name}"] = report(f"static {name}, threshold chosen on the other folds",
                                                  lambda _, n=name, f=folds: nested_threshold(y_dev, results[n], f))
    print("\n== the contradiction rule on 600 cases composed from these sentences (out-of-fold themes) ==")
    for name, predicted in decisions.items():
        for label, mask in (("all", np.ones(len(dev), dtype=bool)), ("review sentences", part != GROUPS[2]),
                            ("PR comments", part == GROUPS[2])):
            right, found, expected, alarms, negatives = composed_contradictions(y_dev[mask], predicted[mask])
            print(f"  {name:<62} {label:<17} precision {right / max(found, 1):.3f} (n {found})  recall "
                  f"{right / max(expected, 1):.3f} (n {expected})  false alarms {alarms / max(negatives, 1):.3f} "
                  f"(n {negatives})")
    print("\n== per theme: labelled / found (predicted), by part ==")
    for group in GROUPS:
        mask = part == group
        print(f"  {group}")
        for column, theme in enumerate(ids):
            labelled = int(y_dev[mask, column].sum())
            row = []
            for predicted in decisions.values():
                hits = int((predicted[mask, column] & y_dev[mask, column]).sum())
                row.append(f"{hits}({int(predicted[mask, column].sum())})")
            if labelled or any(not cell.startswith("0(0)") for cell in row):
                print(f"    {theme:<16} {labelled:>3}: " + "  ".join(row))
        print("    columns: " + " | ".join(decisions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
