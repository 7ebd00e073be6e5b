"""Sentiment and tone classifiers over developer text.

Both are linear models trained by ``tools/nlp/train_classifiers.py`` and shipped as plain data
(``model.json`` + ``weights.safetensors``), never as pickled code. Their features are the
static sentence embedding from :mod:`.embeddings`, optionally next to TF-IDF word and character
n-grams, as recorded in each model's ``model.json``. They only label text; they never change it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from .embeddings import embed

SentimentLabel = Literal["positive", "neutral", "negative"]
ToneLabel = Literal["toxic", "ok"]
ClassificationTask = Literal["sentiment", "tone"]

MODELS_PATH = Path(__file__).resolve().parent / "models"
MODEL_FORMAT_VERSION = 1
# Texts featurised at once: bounds the sparse TF-IDF matrices (a few hundred MB per 100k texts)
# without costing throughput.
PREDICTION_CHUNK_SIZE = 4096

UNSUPPORTED_MODEL_FORMAT_ERROR = "The classifier in {path} has format {found}; this code reads format {expected}."
TEXTS_NOT_A_SEQUENCE_ERROR = "Classifiers take a sequence of strings, not a single string."

_load_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Prediction:
    """One classifier decision: the label and the model's probability for that label (0..1)."""

    label: str
    confidence: float


@dataclass(frozen=True, slots=True)
class _TfidfBlock:
    vectorizer: Any


@dataclass(frozen=True, slots=True)
class LinearTextClassifier:
    """A multinomial or binary logistic regression over the recorded feature blocks."""

    labels: tuple[str, ...]
    use_embeddings: bool
    tfidf_blocks: tuple[_TfidfBlock, ...]
    coefficients: NDArray[np.float32]
    intercepts: NDArray[np.float32]
    positive_label: str | None
    threshold: float | None

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Class probabilities, columns in ``labels`` order, for each text."""
        blocks: list[Any] = [block.vectorizer.transform(texts) for block in self.tfidf_blocks]
        if self.use_embeddings:
            blocks.append(sparse.csr_matrix(embed(texts, backend="static")))
        features = sparse.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]
        scores = np.asarray(features @ self.coefficients.T, dtype=np.float64) + self.intercepts
        if scores.shape[1] == 1:
            # Binary logistic regression: one score for the second class in ``labels``.
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True), dtype=np.float64)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One :class:`Prediction` per text, in input order."""
        if isinstance(texts, str):
            raise TypeError(TEXTS_NOT_A_SEQUENCE_ERROR)
        texts = list(texts)
        if not texts:
            return []
        probabilities = np.vstack(
            [self.probabilities(texts[start : start + PREDICTION_CHUNK_SIZE])
             for start in range(0, len(texts), PREDICTION_CHUNK_SIZE)]
        )
        if self.positive_label is not None and self.threshold is not None:
            column = self.labels.index(self.positive_label)
            other = self.labels[1 - column]
            flagged = probabilities[:, column] >= self.threshold
            return [
                Prediction(self.positive_label, float(row[column]))
                if is_flagged
                else Prediction(other, float(1.0 - row[column]))
                for row, is_flagged in zip(probabilities, flagged, strict=True)
            ]
        best = probabilities.argmax(axis=1)
        return [
            Prediction(self.labels[int(index)], float(row[int(index)]))
            for row, index in zip(probabilities, best, strict=True)
        ]


def load_linear_classifier(folder: Path) -> LinearTextClassifier:
    """Read a classifier written by ``tools/nlp/train_classifiers.py`` from ``folder``."""
    from safetensors.numpy import load_file
    from sklearn.feature_extraction.text import TfidfVectorizer

    description = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    if description.get("format_version") != MODEL_FORMAT_VERSION:
        raise ValueError(
            UNSUPPORTED_MODEL_FORMAT_ERROR.format(
                path=folder, found=description.get("format_version"), expected=MODEL_FORMAT_VERSION
            )
        )
    arrays = load_file(str(folder / "weights.safetensors"))
    blocks = []
    for index, settings in enumerate(description["tfidf_blocks"]):
        vectorizer = TfidfVectorizer(
            analyzer=settings["analyzer"],
            ngram_range=tuple(settings["ngram_range"]),
            lowercase=settings["lowercase"],
            sublinear_tf=settings["sublinear_tf"],
            token_pattern=settings["token_pattern"],
            vocabulary=settings["vocabulary"],
            dtype=np.float32,
        )
        vectorizer.idf_ = arrays[f"tfidf_{index}_idf"]
        blocks.append(_TfidfBlock(vectorizer))
    return LinearTextClassifier(
        labels=tuple(description["labels"]),
        use_embeddings=bool(description["use_embeddings"]),
        tfidf_blocks=tuple(blocks),
        coefficients=np.ascontiguousarray(arrays["coefficients"], dtype=np.float32),
        intercepts=np.ascontiguousarray(arrays["intercepts"], dtype=np.float32),
        positive_label=description.get("positive_label"),
        threshold=description.get("threshold"),
    )


@cache
def bundled_classifier(task: ClassificationTask) -> LinearTextClassifier:
    """The classifier shipped for ``task``, loaded once per process."""
    with _load_lock:
        return load_linear_classifier(MODELS_PATH / task)


def classify_sentiment(texts: Sequence[str]) -> list[Prediction]:
    """Label each text ``positive``, ``neutral`` or ``negative`` (software-engineering tuned).

    ``confidence`` is the model's probability for the returned label, in [0, 1]. An empty text
    is classified like any other (it usually comes out ``neutral``).
    """
    return bundled_classifier("sentiment").predict(texts)


def classify_tone(texts: Sequence[str]) -> list[Prediction]:
    """Flag each text ``toxic`` or ``ok``; the text itself is never changed.

    A text is ``toxic`` when the model's toxic probability reaches the threshold chosen on
    training data (see the model card); ``confidence`` is the probability of the returned label,
    so a ``toxic`` flag can carry a confidence below 0.5 when the threshold is below 0.5.
    """
    return bundled_classifier("tone").predict(texts)
