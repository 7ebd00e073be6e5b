"""Measure theme matching on a labelled set: precision and recall per theme, and the threshold.

The labelled set is a CSV with ``id,text,themes`` (themes separated by ``;``, empty for none).
Rows with ``sha256(id) mod 3 == 0`` are *test*, the others *dev*: the threshold is chosen on dev
(best micro-F1 over a grid) and the scores are reported on test, so the report is not tuned to
the rows it is measured on.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from brightline.core.insights.themes import (
    SECOND_THEME_MARGIN,
    Embedder,
    ThemeIndex,
    seed_similarities,
    select_themes,
    theme_scores,
)
from brightline.core.nlp.embeddings import row_norms

__all__ = [
    "THRESHOLD_GRID",
    "LabelledSentence",
    "ThemeEvaluation",
    "ThemeScore",
    "choose_threshold",
    "evaluate_themes",
    "labelled_split",
    "read_labelled_sentences",
]

Split = Literal["dev", "test"]
THRESHOLD_GRID = tuple(round(0.10 + 0.025 * step, 3) for step in range(30))


@dataclass(frozen=True, slots=True)
class LabelledSentence:
    id: str
    text: str
    themes: frozenset[str]


@dataclass(frozen=True, slots=True)
class ThemeScore:
    theme: str
    precision: float | None
    recall: float | None
    support: int
    predicted: int
    f1: float | None = None


@dataclass(frozen=True, slots=True)
class ThemeEvaluation:
    threshold: float
    split: str
    sentences: int
    micro_precision: float | None
    micro_recall: float | None
    micro_f1: float | None
    per_theme: tuple[ThemeScore, ...]

    def to_json(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "split": self.split, "sentences": self.sentences,
                "micro_precision": self.micro_precision, "micro_recall": self.micro_recall,
                "micro_f1": self.micro_f1,
                "per_theme": [{"theme": s.theme, "precision": s.precision, "recall": s.recall, "support": s.support,
                               "predicted": s.predicted, "f1": s.f1} for s in self.per_theme]}


def labelled_split(sentence_id: str) -> Split:
    return "test" if int(hashlib.sha256(sentence_id.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def read_labelled_sentences(path: Path) -> list[LabelledSentence]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [LabelledSentence(row["id"], row["text"],
                                 frozenset(t.strip() for t in (row["themes"] or "").split(";") if t.strip()))
                for row in csv.DictReader(handle)]


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _f1(true_positive: int, predicted: int, support: int) -> float | None:
    return round(2 * true_positive / (predicted + support), 4) if predicted + support else None


def evaluate_themes(sentences: Sequence[LabelledSentence], index: ThemeIndex, *, embedder: Embedder,
                    threshold: float | None = None, split: str = "all") -> ThemeEvaluation:
    """Score the sentence-level matcher on ``sentences`` at ``threshold`` (default: the index's)."""
    texts = [s.text for s in sentences]
    vectors = np.asarray(embedder(texts), dtype=np.float32)
    scores = theme_scores(texts, vectors, seed_similarities(vectors, row_norms(vectors), index), index)
    threshold = index.default_threshold if threshold is None else threshold
    kept = select_themes(scores, threshold=threshold,
                         margin=None if index.classifier is not None else SECOND_THEME_MARGIN)
    ids = [theme.id for theme in index.taxonomy.themes]
    predicted = [frozenset(ids[column] for column in row) for row in kept]
    per_theme = []
    true_positive_total = predicted_total = support_total = 0
    for theme in ids:
        true_positive = sum(1 for s, p in zip(sentences, predicted, strict=True) if theme in s.themes and theme in p)
        predicted_count = sum(1 for p in predicted if theme in p)
        support = sum(1 for s in sentences if theme in s.themes)
        per_theme.append(ThemeScore(theme, _ratio(true_positive, predicted_count), _ratio(true_positive, support),
                                    support, predicted_count, _f1(true_positive, predicted_count, support)))
        true_positive_total += true_positive
        predicted_total += predicted_count
        support_total += support
    precision = _ratio(true_positive_total, predicted_total)
    recall = _ratio(true_positive_total, support_total)
    f1 = (round(2 * precision * recall / (precision + recall), 4)
          if precision is not None and recall is not None and precision + recall else None)
    return ThemeEvaluation(threshold, split, len(sentences), precision, recall, f1, tuple(per_theme))


def choose_threshold(sentences: Sequence[LabelledSentence], index: ThemeIndex, *, embedder: Embedder,
                     grid: Sequence[float] = THRESHOLD_GRID) -> float:
    """The grid value with the best micro-F1 on ``sentences`` (ties: the higher, more precise one)."""
    best = max((evaluate_themes(sentences, index, embedder=embedder, threshold=t).micro_f1 or 0.0, t)
                for t in grid)
    return best[1]


def measure_theme_accuracy(path: Path, *, embedder: Embedder, index: ThemeIndex) -> dict[str, Any]:
    """The document committed as ``data/themes_metrics.json``: threshold chosen on dev, scores on test."""
    rows = read_labelled_sentences(path)
    dev = [row for row in rows if labelled_split(row.id) == "dev"]
    test = [row for row in rows if labelled_split(row.id) == "test"]
    classifier = index.classifier
    threshold = classifier.threshold if classifier is not None else choose_threshold(dev, index, embedder=embedder)
    return {
        "task": "themes",
        "dataset": "tests/fixtures/themes_labelled.csv (hand-written feedback sentences, Brightline)",
        "taxonomy_version": index.taxonomy.version,
        "sentences": len(rows),
        "split_rule": "sha256(id) mod 3 == 0 -> test, else dev",
        "threshold_chosen_on": ("5-fold cross-validation on the classifier's training rows (these dev rows and "
                                "1,371 crowd-written training sentences)" if classifier is not None else "dev"),
        "matcher": "classifier" if classifier is not None else "seed phrases",
        **({"training": dict(classifier.training)} if classifier is not None else {}),
        "dev": evaluate_themes(dev, index, embedder=embedder, threshold=threshold, split="dev").to_json(),
        "test": evaluate_themes(test, index, embedder=embedder, threshold=threshold, split="test").to_json(),
    }


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import json
    import sys

    from brightline.core.insights.themes import build_theme_index, load_taxonomy
    from brightline.core.nlp import embed

    document = measure_theme_accuracy(Path(sys.argv[1]), embedder=embed,
                                      index=build_theme_index(load_taxonomy(), embedder=embed))
    target = Path(__file__).resolve().parent / "data" / "themes_metrics.json"
    if target.is_file():  # the independent set's figures are recorded by bench/themes_eval.py --record
        previous = json.loads(target.read_text(encoding="utf-8"))
        if "independent" in previous:
            document["independent"] = previous["independent"]
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}: test micro-F1 {document['test']['micro_f1']} at threshold {document['test']['threshold']}")
