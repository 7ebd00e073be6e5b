"""Leave one source out: does re-estimating the class prior on the new source's unlabelled texts help?

    PYTHONPATH=src BRIGHTLINE_SENTIMENT_EXTRA_DATA=/path/to/extra OPENBLAS_NUM_THREADS=1 \\
      nice -n 10 .venv/bin/python bench/sentiment_loso_prior_shift.py --cache-dir /tmp/prior-shift --markdown

In production an organisation's own review and feedback comments are available without labels, so the
share of negative comments could be re-estimated per organisation and the model's posteriors moved to it.
This bench measures that, for every left-out source (``bench/sentiment_loso.py`` for the plain table):

- the shipped recipe (``tools/nlp/train_classifiers.py``) is fitted on every source but the left-out one
  (*outer* model) and on every source but the left-out one and one more (*inner* models, one per other
  source), so each training source also has predictions from a model that never saw it;
- **calibration** (bias-corrected temperature scaling: one temperature and a bias per class, fitted on the
  inner predictions with every training source weighted equally) never reads the left-out labels;
- **EM** (Saerens, Latinne & Decaestecker 2002) re-estimates the class prior from the outer model's
  posteriors on the left-out texts alone; **BBSE** (Lipton, Wang & Smola 2018) from the confusion matrix of
  the inner predictions and the share of each predicted label on the left-out texts;
- decisions: the adapted posterior's top label, the top label after half the prior correction, and the
  negative offset that maximises the negative F1 *expected* under the adapted posteriors (no labels).

Scored on the left-out labels only at the end. Beside it, in domain: the shipped model on each source's test
split, calibrated on the outer models' predictions, the prior estimated on the test split's texts. Two
oracle rows (they read the left-out labels, so they bound what any prior correction can do, they are not
methods): the true prior plugged in, and the best of every pair of class offsets. And two training variants
(outer models only): every training source the same total weight, and Lin et al.'s rows trained with the
aligned labels of ``tools/nlp/sentiment_label_alignment.csv``.

``--cache-dir`` keeps each fitted model's probabilities (keyed by the data, the recipe and the variant), so
a rerun only recomputes the tables.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
sys.path.insert(0, str(REPOSITORY / "tools" / "nlp"))
sys.path.insert(0, str(REPOSITORY / "bench"))

from sentiment_loso import aligned_labels, label_alignment  # noqa: E402
from train_classifiers import DEFAULT_DATA, SENTIMENT_RECIPE, FeatureBuilder, piece_grams  # noqa: E402

from brightline.core.nlp.classifiers import bundled_classifier  # noqa: E402
from brightline.core.nlp.sentiment_sources import LabelledRow, default_extra_data_dir, load_sources  # noqa: E402
from brightline.core.nlp.tokens import tokenize  # noqa: E402

LABELS = ("negative", "neutral", "positive")
NEGATIVE = 0
VARIANTS = ("shipped", "source-balanced", "aligned-lin")
OFFSETS = np.linspace(-3.0, 3.0, 121)


# --- prior-shift estimators (plain numpy; rows of ``probabilities`` sum to one, columns in LABELS order) ---

def em_prior(probabilities: np.ndarray, training_prior: np.ndarray, iterations: int = 500) -> np.ndarray:
    """Saerens et al. (2002): the class prior of the texts behind ``probabilities``, by expectation-maximisation."""
    prior = training_prior.astype(float).copy()
    for _ in range(iterations):
        adjusted = shift(probabilities, training_prior, prior)
        estimate = adjusted.mean(axis=0)
        if np.abs(estimate - prior).max() < 1e-8:
            return estimate
        prior = estimate
    return prior


def bbse_prior(target: np.ndarray, held_out: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Lipton et al. (2018): solve confusion · w = predicted-label shares; the prior is w times the held-out prior.

    ``held_out``: (probabilities, true label indices) of sources the model never saw, each weighted equally.
    """
    confusion = np.zeros((len(LABELS), len(LABELS)))
    for probabilities, truth in held_out:
        block = np.zeros_like(confusion)
        np.add.at(block, (probabilities.argmax(axis=1), truth), 1.0)
        confusion += block / len(truth) / len(held_out)
    shares = np.bincount(target.argmax(axis=1), minlength=len(LABELS)) / len(target)
    weights = np.clip(np.linalg.lstsq(confusion, shares, rcond=None)[0], 0.0, None)
    prior = weights * confusion.sum(axis=0)
    return prior / prior.sum() if prior.sum() > 0 else confusion.sum(axis=0)


def shift(probabilities: np.ndarray, training_prior: np.ndarray, prior: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Posteriors moved from ``training_prior`` to ``prior`` (``power`` 0.5: half of the way, in log terms)."""
    moved = probabilities * (np.clip(prior, 1e-12, None) / training_prior) ** power
    return np.asarray(moved / moved.sum(axis=1, keepdims=True))


def fit_calibration(held_out: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, np.ndarray]:
    """Bias-corrected temperature scaling: temperature and class biases minimising the source-balanced log loss."""
    def loss(theta: np.ndarray) -> float:
        total = 0.0
        for probabilities, truth in held_out:
            logs = calibrated(probabilities, float(np.exp(theta[0])), np.r_[0.0, theta[1:]], log=True)
            total -= float(logs[np.arange(len(truth)), truth].mean()) / len(held_out)
        return total
    found = minimize(loss, np.zeros(len(LABELS)), method="Nelder-Mead",
                     options={"xatol": 1e-5, "fatol": 1e-8, "maxiter": 4000})
    return float(np.exp(found.x[0])), np.r_[0.0, found.x[1:]]


def calibrated(probabilities: np.ndarray, temperature: float, biases: np.ndarray, log: bool = False) -> np.ndarray:
    scores = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature + biases
    scores -= scores.max(axis=1, keepdims=True)
    logs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return logs if log else np.exp(logs)


def expected_f1_decision(probabilities: np.ndarray) -> np.ndarray:
    """Labels after the negative offset that maximises negative F1 *as expected under* ``probabilities``."""
    logs = np.log(np.clip(probabilities, 1e-12, 1.0))
    best, best_offset = -1.0, 0.0
    for offset in OFFSETS:
        negative = (logs + [offset, 0.0, 0.0]).argmax(axis=1) == NEGATIVE
        true_positive = probabilities[negative, NEGATIVE].sum()
        denominator = 2 * true_positive + (1 - probabilities[negative, NEGATIVE]).sum() + probabilities[
            ~negative, NEGATIVE].sum()
        expected = 2 * true_positive / denominator if denominator > 0 else 0.0
        if expected > best:
            best, best_offset = expected, offset
    return np.asarray((logs + [best_offset, 0.0, 0.0]).argmax(axis=1))


def adapted_predictions(target: np.ndarray, held_out: list[tuple[np.ndarray, np.ndarray]]
                        ) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Each method's labels (indices) for ``target`` and the prior it estimated; reads no label of ``target``."""
    uniform = np.full(len(LABELS), 1.0 / len(LABELS))  # class-balanced training: the model's prior is uniform
    temperature, biases = fit_calibration(held_out)
    held_out_prior = np.mean([np.bincount(truth, minlength=len(LABELS)) / len(truth) for _, truth in held_out], axis=0)
    scaled = calibrated(target, temperature, biases)
    methods: dict[str, tuple[np.ndarray, np.ndarray | None]] = {"shipped (top label)": (target.argmax(axis=1), None)}
    raw_em = em_prior(target, uniform)
    methods["EM"] = (shift(target, uniform, raw_em).argmax(axis=1), raw_em)
    methods["calibrated, no prior change"] = (scaled.argmax(axis=1), held_out_prior)
    calibrated_em = em_prior(scaled, held_out_prior)
    methods["calibrated + EM"] = (shift(scaled, held_out_prior, calibrated_em).argmax(axis=1), calibrated_em)
    methods["calibrated + EM, half"] = (shift(scaled, held_out_prior, calibrated_em, 0.5).argmax(axis=1),
                                        calibrated_em)
    methods["calibrated + EM, expected-F1 offset"] = (
        expected_f1_decision(shift(scaled, held_out_prior, calibrated_em)), calibrated_em)
    raw_bbse = bbse_prior(target, held_out)
    methods["BBSE"] = (shift(target, uniform, raw_bbse).argmax(axis=1), raw_bbse)
    calibrated_bbse = bbse_prior(scaled, [(calibrated(p, temperature, biases), t) for p, t in held_out])
    methods["calibrated + BBSE"] = (shift(scaled, held_out_prior, calibrated_bbse).argmax(axis=1), calibrated_bbse)
    methods["calibrated + BBSE, expected-F1 offset"] = (
        expected_f1_decision(shift(scaled, held_out_prior, calibrated_bbse)), calibrated_bbse)
    return methods


# --- fitting ---

def label_indices(labels: list[str]) -> np.ndarray:
    return np.array([LABELS.index(label) for label in labels])


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Macro-F1 over the three labels and the negative class's F1, as scikit-learn's ``f1_score`` with
    ``zero_division=0`` gives them (2·TP / (2·TP + FP + FN), 0 where that is 0 / 0), counted in numpy: the
    oracle below scores 961 offset pairs per source, which scikit-learn's checks made take minutes."""
    per_label = []
    for label in range(len(LABELS)):
        hit, said = truth == label, predicted == label
        true_positives = int(np.sum(hit & said))
        denominator = int(np.sum(hit)) + int(np.sum(said))
        per_label.append(2 * true_positives / denominator if denominator else 0.0)
    return {"macro_f1": round(float(np.mean(per_label)), 4), "negative_f1": round(float(per_label[NEGATIVE]), 4)}


def training_labels(key: str, rows: list[LabelledRow], variant: str,
                    alignment: dict[str, dict[str, tuple[str, str]]]) -> list[str]:
    if variant == "aligned-lin" and key in alignment:
        return aligned_labels(rows, alignment[key])
    return [row.label for row in rows]


def fit_and_predict(sources: dict[str, list[LabelledRow]], excluded: tuple[str, ...], variant: str,
                    cache: Path | None, grams: Any, alignment: dict[str, dict[str, tuple[str, str]]]
                    ) -> dict[str, np.ndarray]:
    """Probabilities on each excluded source from the recipe fitted on all rows of the others (cached)."""
    # Keyed by the training rows and the texts scored: a source's labels never reach a model that leaves it out.
    digest = hashlib.sha256(json.dumps([variant, SENTIMENT_RECIPE,
                                        {k: [(r.text, r.label) for r in v] for k, v in sources.items()
                                         if k not in excluded},
                                        {k: [r.text for r in sources[k]] for k in excluded}],
                                       sort_keys=True).encode("utf-8")).hexdigest()[:20]
    path = cache / f"{variant}-{'+'.join(excluded)}-{digest}.npz" if cache is not None else None
    if path is not None and path.is_file():
        with np.load(path) as stored:
            return {key: stored[key] for key in excluded}
    started = time.perf_counter()
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    for key, rows in sources.items():
        if key not in excluded:
            texts += [row.text for row in rows]
            labels += training_labels(key, rows, variant, alignment)
            weights += [1.0 / len(rows)] * len(rows)
    tokens = tokenize(texts)
    builder = FeatureBuilder(str(SENTIMENT_RECIPE["candidate"]), grams).fit(tokens)
    sample_weight = None
    if variant == "source-balanced":
        # every source the same total weight, then every class the same total weight
        sample_weight = np.array(weights) * len(weights) / sum(weights)
        target = np.array(labels)
        for label in set(labels):
            sample_weight[target == label] *= sample_weight.sum() / len(set(labels)) / sample_weight[
                target == label].sum()
    model = LogisticRegression(C=float(SENTIMENT_RECIPE["C"]), max_iter=3000,
                               class_weight=None if sample_weight is not None else "balanced")
    model.fit(builder.transform(tokens), np.array(labels), sample_weight=sample_weight)
    if tuple(model.classes_) != LABELS:
        raise SystemExit(f"the training rows do not carry all three labels: {list(model.classes_)}")
    result = {key: model.predict_proba(builder.transform(tokenize([row.text for row in sources[key]])))
              for key in excluded}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **result)
    print(f"fitted {variant} without {'+'.join(excluded)} ({time.perf_counter() - started:.0f}s)", file=sys.stderr,
          flush=True)
    return result


def best_pair_of_offsets(truth: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Oracle: the best negative F1 over every (negative, positive) offset pair, read off the true labels."""
    logs = np.log(np.clip(probabilities, 1e-12, 1.0))
    best = {"macro_f1": 0.0, "negative_f1": -1.0}
    for negative in np.linspace(-3, 3, 31):
        for positive in np.linspace(-3, 3, 31):
            found = scores(truth, (logs + [negative, 0.0, positive]).argmax(axis=1))
            if found["negative_f1"] > best["negative_f1"]:
                best = found
    return best


def evaluate(shared_data: Path, extra_data: Path | None, cache: Path | None) -> dict[str, Any]:
    sources = load_sources(shared_data, extra_data)
    if len(sources) < 3:
        raise SystemExit("fewer than three sentiment sources are present: no held-out source to calibrate on")
    grams, alignment = piece_grams(), label_alignment()
    keys = list(sources)
    truth = {key: label_indices([row.label for row in rows]) for key, rows in sources.items()}
    outer = {key: fit_and_predict(sources, (key,), "shipped", cache, grams, alignment)[key] for key in keys}
    inner: dict[tuple[str, str], np.ndarray] = {}
    for first, second in ((a, b) for i, a in enumerate(keys) for b in keys[i + 1:]):
        both = fit_and_predict(sources, (first, second), "shipped", cache, grams, alignment)
        inner[(first, second)], inner[(second, first)] = both[second], both[first]
    result: dict[str, Any] = {"recipe": dict(SENTIMENT_RECIPE), "left_out": {}, "in_domain": {}, "oracle": {},
                              "training_variants": {}}
    for key in keys:
        held_out = [(inner[(key, other)], truth[other]) for other in keys if other != key]
        methods = adapted_predictions(outer[key], held_out)
        result["left_out"][key] = {
            "negative_share": round(float(np.mean(truth[key] == NEGATIVE)), 4),
            "methods": {name: {**scores(truth[key], predicted),
                               "estimated_negative_share": None if prior is None else round(float(prior[0]), 4)}
                        for name, (predicted, prior) in methods.items()}}
        temperature, biases = fit_calibration(held_out)
        held_out_prior = np.mean([np.bincount(t, minlength=3) / len(t) for _, t in held_out], axis=0)
        true_prior = np.bincount(truth[key], minlength=3) / len(truth[key])
        result["oracle"][key] = {
            "calibrated + true prior": scores(truth[key], shift(calibrated(outer[key], temperature, biases),
                                                                held_out_prior, true_prior).argmax(axis=1)),
            "best pair of class offsets": best_pair_of_offsets(truth[key], outer[key])}
    shipped = bundled_classifier("sentiment")
    everywhere = [(outer[key], truth[key]) for key in keys]
    for key, rows in sources.items():
        test = np.array([row.split == "test" for row in rows])
        methods = adapted_predictions(shipped.probabilities([row.text for row in rows if row.split == "test"]),
                                      everywhere)
        result["in_domain"][key] = {
            "negative_share": round(float(np.mean(truth[key][test] == NEGATIVE)), 4),
            "methods": {name: {**scores(truth[key][test], predicted),
                               "estimated_negative_share": None if prior is None else round(float(prior[0]), 4)}
                        for name, (predicted, prior) in methods.items()}}
    for variant in VARIANTS[1:]:
        result["training_variants"][variant] = {}
        for key in keys:
            if variant == "aligned-lin" and (key in alignment or not alignment.keys() & set(keys) - {key}):
                continue  # the aligned labels change nothing when no aligned source is among the training rows
            predicted = fit_and_predict(sources, (key,), variant, cache, grams, alignment)[key].argmax(axis=1)
            result["training_variants"][variant][key] = scores(truth[key], predicted)
    return result


def cell(block: dict[str, Any]) -> str:
    share = block.get("estimated_negative_share")
    return f"{block['macro_f1']:.3f} / {block['negative_f1']:.3f}" + (f" ({share:.2f})" if share is not None else "")


def markdown(result: dict[str, Any]) -> str:
    keys = list(result["left_out"])
    lines: list[str] = []
    for part, title in (("left_out", "left out (outer model on the left-out source)"),
                        ("in_domain", "in domain (shipped model on each test split)")):
        lines += [f"**{title}**", "", "| method | " + " | ".join(keys) + " |", "| --- " * (len(keys) + 1) + "|"]
        for name in result[part][keys[0]]["methods"]:
            lines.append(f"| {name} | " + " | ".join(cell(result[part][key]["methods"][name]) for key in keys) + " |")
        lines += ["| true negative share | " + " | ".join(f"{result[part][key]['negative_share']:.2f}"
                                                       for key in keys) + " |", ""]
    lines += ["**oracle (reads the left-out labels: a bound, not a method)**", "",
              "| oracle | " + " | ".join(keys) + " |", "| --- " * (len(keys) + 1) + "|"]
    for name in next(iter(result["oracle"].values())):
        lines.append(f"| {name} | " + " | ".join(cell(result["oracle"][key][name]) for key in keys) + " |")
    lines += ["", "**training variants (left out, top label)**", "",
              "| training | " + " | ".join(keys) + " |", "| --- " * (len(keys) + 1) + "|",
              "| shipped | " + " | ".join(cell(result["left_out"][key]["methods"]["shipped (top label)"])
                                          for key in keys) + " |"]
    for variant, rows in result["training_variants"].items():
        lines.append(f"| {variant} | " + " | ".join(cell(rows[key]) if key in rows else "–" for key in keys) + " |")
    lines += ["", "Each cell: macro-F1 / negative F1 (estimated share of negative texts, where the method estimates "
              f"one). Recipe: {result['recipe']}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--extra-data-dir", type=Path, default=default_extra_data_dir(),
                        help="folder of the sets outside shared/data (default: $BRIGHTLINE_SENTIMENT_EXTRA_DATA)")
    parser.add_argument("--cache-dir", type=Path, help="keep each fitted model's probabilities here")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown (default: JSON)")
    arguments = parser.parse_args()
    result = evaluate(arguments.data_dir, arguments.extra_data_dir, arguments.cache_dir)
    print(markdown(result) if arguments.markdown else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
