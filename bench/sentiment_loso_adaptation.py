"""Leave one source out: three ways to make sentiment transfer that need no label of the left-out source.

    PYTHONPATH=src BRIGHTLINE_SENTIMENT_EXTRA_DATA=/path/to/extra OPENBLAS_NUM_THREADS=1 \\
      nice -n 10 .venv/bin/python bench/sentiment_loso_adaptation.py --cache-dir /tmp/loso-adaptation --markdown

``bench/sentiment_loso.py`` prints the plain table. The five labelled sources disagree on what "negative" is
(``docs/models.md``, sentiment card), and they differ in length: PREMO's pull-request comments have four
sentences on average, Lin et al.'s rows one. Measured here, each against the shipped recipe
(``tools/nlp/train_classifiers.py``: same features, C and class weights):

Training (which rows, which weights):

- **shipped**: every other source, one set of weights;
- **without Lin et al.**: the product's "negative" is a negative emotion or attitude, and Lin et al. call plain
  problem reports negative (163 of their 178 negatives, ``tools/nlp/sentiment_label_alignment.csv``), so the
  set whose definition is known to differ is left out of training (its own fold is unchanged);
- **source intercepts**: one bias per class per training source (a one-hot column of the source, scaled by
  ``INTERCEPT_SCALE`` so it is barely penalised) absorbs each source's share of negatives; an unseen source
  gets the average bias;
- **shared + per-source** (Daumé III, "Frustratingly easy domain adaptation", ACL 2007): the source intercepts
  and every feature twice, once shared and once for its own source only, so what only one source calls
  negative can go to that source's copy; a text from an unseen source is scored with the shared weights.
  Slow (five times the features): a fold takes ~20 minutes on the shared machine; ``--variants`` picks.

Reading a comment (the same fitted model):

- **whole text**: as shipped;
- **with its most negative sentence**: the comment is also split into sentences (the themes' splitter) and
  its probability of ``negative`` becomes the larger of the whole text's and the midpoint between the whole
  text's and its most negative sentence's (``SENTENCE_MIX``, fixed at 0.5 before any left-out score was read;
  the table shows the other mixes too); the three probabilities are renormalised. A negative remark inside a
  long, otherwise friendly comment is diluted in the whole text's features.

Scored on every row of the left-out source, never tuned on it; PREMO also against its first-pass labels (the
annotators saw the text only; the final label was set with the pull request open). In domain: the shipped model
(or the variant fitted on every source's training split) on each test split.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
sys.path.insert(0, str(REPOSITORY / "tools" / "nlp"))
sys.path.insert(0, str(REPOSITORY / "bench"))

from sentiment_loso import scores  # noqa: E402
from train_classifiers import DEFAULT_DATA, SENTIMENT_RECIPE, FeatureBuilder, piece_grams  # noqa: E402

from brightline.core.insights.themes import comment_sentences  # noqa: E402
from brightline.core.nlp.classifiers import bundled_classifier  # noqa: E402
from brightline.core.nlp.sentiment_sources import LabelledRow, default_extra_data_dir, load_sources  # noqa: E402
from brightline.core.nlp.tokens import tokenize  # noqa: E402

LABELS = np.array(["negative", "neutral", "positive"])
VARIANTS = ("shipped", "without Lin et al.", "source intercepts", "shared + per-source")
DEFAULT_VARIANTS = ("shipped", "without Lin et al.")
#: The source one-hot columns are multiplied by this, so their weights are barely penalised.
INTERCEPT_SCALE = 10.0
#: How far a comment's negative probability moves towards its most negative sentence's (fixed beforehand).
SENTENCE_MIX = 0.5
MIXES = (0.25, 0.5, 0.75, 1.0)


def design(features: sparse.csr_matrix, source_index: np.ndarray, sources: int, variant: str) -> sparse.csr_matrix:
    """The variant's design matrix; ``source_index`` -1 marks a text from no training source (unseen)."""
    if variant not in ("source intercepts", "shared + per-source"):
        return features
    rows = np.arange(features.shape[0])
    seen = source_index >= 0
    onehot = sparse.csr_matrix((np.full(int(seen.sum()), INTERCEPT_SCALE), (rows[seen], source_index[seen])),
                               shape=(features.shape[0], sources))
    if not seen.all():
        unseen = rows[~seen]
        onehot = onehot + sparse.csr_matrix(
            (np.full(len(unseen) * sources, INTERCEPT_SCALE / sources),
             (np.repeat(unseen, sources), np.tile(np.arange(sources), len(unseen)))),
            shape=onehot.shape)
    blocks = [features, onehot]
    if variant == "shared + per-source":
        for source in range(sources):
            blocks.append(sparse.csr_matrix(sparse.diags((source_index == source).astype(float)) @ features))
    return sparse.csr_matrix(sparse.hstack(blocks))


def sentences_of(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Every text's sentences, flattened, and the text each belongs to (a text without a split is one sentence)."""
    split = [[sentence for sentence, _, _ in comment_sentences(text)] or [text] for text in texts]
    return [s for group in split for s in group], np.array([i for i, group in enumerate(split) for _ in group])


def fit_predict(train: list[LabelledRow], train_source: np.ndarray, sources: int, test_texts: list[str],
                test_source: np.ndarray, variant: str, grams: sparse.csr_matrix) -> np.ndarray:
    """Probabilities of the test texts, then of their sentences (rows of :func:`sentences_of`)."""
    train_tokens = tokenize([row.text for row in train])
    builder = FeatureBuilder(str(SENTIMENT_RECIPE["candidate"]), grams).fit(train_tokens)
    model = LogisticRegression(C=float(SENTIMENT_RECIPE["C"]), max_iter=3000, class_weight="balanced")
    labels = np.array([row.label for row in train])
    model.fit(design(builder.transform(train_tokens), train_source, sources, variant), labels)
    assert list(model.classes_) == list(LABELS)
    flat, owner = sentences_of(test_texts)
    texts = [*test_texts, *flat]
    source = np.concatenate([test_source, test_source[owner]])
    return np.asarray(model.predict_proba(design(builder.transform(tokenize(texts)), source, sources, variant)))


def shipped_probabilities(test_texts: list[str]) -> np.ndarray:
    flat, _ = sentences_of(test_texts)
    return np.asarray(bundled_classifier("sentiment").probabilities([*test_texts, *flat]))


def with_worst_sentence(probabilities: np.ndarray, owner: np.ndarray, mix: float) -> np.ndarray:
    """Probabilities of the texts (the first rows of ``probabilities``, their sentences' after them): each
    text's ``negative`` moved ``mix`` of the way towards its most negative sentence's, never down."""
    count = len(probabilities) - len(owner)
    whole, sentence = probabilities[:count].copy(), probabilities[count:]
    if mix:
        worst = np.zeros(count)
        np.maximum.at(worst, owner, sentence[:, 0])
        whole[:, 0] = np.maximum(whole[:, 0], (1 - mix) * whole[:, 0] + mix * worst)
        whole /= whole.sum(axis=1, keepdims=True)
    return whole


def read(probabilities: np.ndarray, owner: np.ndarray, mix: float) -> np.ndarray:
    """Labels of the texts: whole text (``mix`` 0) or with the most negative sentence mixed in."""
    return np.asarray(LABELS[with_worst_sentence(probabilities, owner, mix).argmax(axis=1)])


def cached(cache: Path | None, key: dict[str, Any], compute: Callable[[], np.ndarray]) -> np.ndarray:
    if cache is None:
        return np.asarray(compute())
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    path = cache / f"{digest}.npy"
    if path.is_file():
        return np.asarray(np.load(path))
    cache.mkdir(parents=True, exist_ok=True)
    value = np.asarray(compute())
    np.save(path, value)
    return value


def premo_text_only_labels(shared: Path) -> list[str]:
    """PREMO's first-pass polarity per row (text only; ``undefined`` when the annotators disagreed), CSV order."""
    with (shared / "premo_pr_emotions" / "premo_pr_comments.csv").open(encoding="utf-8", newline="") as handle:
        return [row["part1_polarity"] for row in csv.DictReader(handle)]


def data_digest(rows: list[LabelledRow]) -> str:
    return hashlib.sha256("\n".join(f"{row.label}\t{row.split}\t{row.text}" for row in rows).encode()).hexdigest()


def cells(truth: list[str], probabilities: np.ndarray, owner: np.ndarray,
          keep: list[int] | None = None) -> dict[str, Any]:
    out = {}
    for mix in (0.0, *MIXES):
        predicted = read(probabilities, owner, mix).tolist()
        if keep is not None:
            truth_kept, predicted = [truth[i] for i in keep], [predicted[i] for i in keep]
        else:
            truth_kept = truth
        out["whole text" if not mix else f"sentence mix {mix}"] = scores(truth_kept, predicted)
    return out


def evaluate(shared: Path, extra: Path | None, cache: Path | None, variants: tuple[str, ...],
             folds: tuple[str, ...] | None = None) -> dict[str, Any]:
    sources = load_sources(shared, extra)
    keys = list(sources)
    grams = piece_grams()
    digests = [data_digest(rows) for rows in sources.values()]
    result: dict[str, Any] = {"recipe": dict(SENTIMENT_RECIPE), "sentence_mix": SENTENCE_MIX, "rows": {}}
    for held_out in folds or (*keys, "in-domain"):
        if held_out == "in-domain":
            continue
        texts = [row.text for row in sources[held_out]]
        truth = [row.label for row in sources[held_out]]
        _, owner = sentences_of(texts)
        for variant in variants:
            training = [key for key in keys if key != held_out and not (variant == "without Lin et al." and
                                                                         key == "lin_so")]
            train_rows = [row for key in training for row in sources[key]]
            train_source = np.concatenate([np.full(len(sources[key]), i) for i, key in enumerate(training)])
            started = time.perf_counter()
            same = variant == "without Lin et al." and held_out == "lin_so"  # the shipped recipe's own fold
            probabilities = cached(
                cache, {"fold": held_out, "variant": "shipped" if same else variant, "data": digests,
                        "recipe": SENTIMENT_RECIPE, "scale": INTERCEPT_SCALE, "sentences": True},
                partial(fit_predict, train_rows, train_source, len(training), texts, np.full(len(texts), -1),
                        variant, grams))
            result["rows"].setdefault(f"{held_out} left out", {})[variant] = cells(truth, probabilities, owner)
            if held_out == "premo":
                text_only = premo_text_only_labels(shared)
                keep = [i for i, label in enumerate(text_only) if label in LABELS]
                result["rows"].setdefault("premo left out, against its text-only labels", {})[variant] = cells(
                    text_only, probabilities, owner, keep)
            print(f"{held_out} left out, {variant} ({time.perf_counter() - started:.0f}s)", file=sys.stderr,
                  flush=True)
    if folds is not None and "in-domain" not in folds:
        return result
    test_rows = [row for key in keys for row in sources[key] if row.split == "test"]
    test_source = np.array([i for i, key in enumerate(keys) for row in sources[key] if row.split == "test"])
    texts = [row.text for row in test_rows]
    _, owner = sentences_of(texts)
    for variant in variants:
        started = time.perf_counter()
        if variant == "shipped":
            probabilities = shipped_probabilities(texts)
        else:
            training = [key for key in keys if not (variant == "without Lin et al." and key == "lin_so")]
            train_rows = [row for key in training for row in sources[key] if row.split == "train"]
            train_source = np.array([i for i, key in enumerate(training) for row in sources[key]
                                     if row.split == "train"])
            probabilities = cached(
                cache, {"fold": "in-domain", "variant": variant, "data": digests, "recipe": SENTIMENT_RECIPE,
                        "scale": INTERCEPT_SCALE, "sentences": True},
                partial(fit_predict, train_rows, train_source, len(training), texts, np.full(len(texts), -1),
                        variant, grams))
        count = len(texts)
        for index, key in enumerate(keys):
            mask = np.flatnonzero(test_source == index)
            sentence_rows = np.flatnonzero(np.isin(owner, mask))
            local = {int(text): position for position, text in enumerate(mask)}
            subset = np.vstack([probabilities[mask], probabilities[count + sentence_rows]])
            result["rows"].setdefault(f"{key}, in domain (test split)", {})[variant] = cells(
                [test_rows[i].label for i in mask], subset, np.array([local[int(t)] for t in owner[sentence_rows]]))
        print(f"in domain, {variant} ({time.perf_counter() - started:.0f}s)", file=sys.stderr, flush=True)
    return result


def markdown(result: dict[str, Any]) -> str:
    variants = list(dict.fromkeys(name for row in result["rows"].values() for name in row))
    chosen = f"sentence mix {result['sentence_mix']}"
    header = [f"{variant}, {reading}" for variant in variants for reading in ("whole text", "with worst sentence")]
    lines = ["| rows | " + " | ".join(header) + " |", "| --- |" + " --- |" * len(header)]
    for row, by_variant in result["rows"].items():
        values = []
        for variant in variants:
            for reading in ("whole text", chosen):
                block = by_variant.get(variant, {}).get(reading)
                values.append("–" if block is None else f"{block['macro_f1']:.3f} / {block['negative_f1']:.3f}")
        lines.append(f"| {row} | " + " | ".join(values) + " |")
    lines += ["", f"Each cell: macro-F1 / F1 of `negative`. Recipe: {result['recipe']}; with worst sentence: mix "
                  f"{result['sentence_mix']}. Negative F1 at the other mixes ({', '.join(map(str, MIXES))}):", ""]
    for row, by_variant in result["rows"].items():
        for variant, block in by_variant.items():
            lines.append(f"- {row}, {variant}: " + ", ".join(
                f"{block[f'sentence mix {mix}']['negative_f1']:.3f}" for mix in MIXES))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--extra-data-dir", type=Path, default=default_extra_data_dir())
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                        help="comma-separated: " + ", ".join(VARIANTS))
    parser.add_argument("--folds", help="comma-separated left-out source keys and/or in-domain (default: all)")
    parser.add_argument("--markdown", action="store_true")
    arguments = parser.parse_args()
    variants = tuple(arguments.variants.split(","))
    if not set(variants) <= set(VARIANTS):
        raise SystemExit(f"unknown variant; choose from {', '.join(VARIANTS)}")
    folds = tuple(arguments.folds.split(",")) if arguments.folds else None
    result = evaluate(arguments.data_dir, arguments.extra_data_dir, arguments.cache_dir, variants, folds)
    print(markdown(result) if arguments.markdown else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
