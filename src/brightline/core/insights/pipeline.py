"""The per-comment pass of ``insights run``: themes and sentiment, embedding each text once.

Comments are embedded whole (for sentiment and org-wide clustering) and sentence by sentence (for
themes and their spans). The sentiment classifier's own features are TF-IDF n-grams plus the same
static embedding; :func:`analyse_comments` hands it the whole-comment embeddings already computed,
which gives exactly the predictions of :func:`brightline.core.nlp.classify_sentiment` (a test
checks this) without embedding the texts a second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

import brightline.core.nlp as nlp
from brightline.core.insights.sentiment import SentimentScore
from brightline.core.insights.signals import Comment
from brightline.core.insights.themes import (
    DEFAULT_THEME_THRESHOLD,
    CommentThemes,
    ThemeIndex,
    assign_themes,
    comment_sentences,
)

__all__ = ["NLP_MODELS_PATH", "CommentAnalysis", "analyse_comments", "model_versions", "sentiment_from_embeddings"]

NLP_MODELS_PATH = Path(nlp.__file__).resolve().parent / "models"
_FINGERPRINT_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class CommentAnalysis:
    comment_id: str
    themes: CommentThemes
    sentiment: SentimentScore


@cache
def _file_fingerprint(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.sha256(handle.read(_FINGERPRINT_BYTES)).hexdigest()[:12]


def model_versions() -> dict[str, str]:
    """``{"embeddings": "minilm-static@<hash>", "sentiment": "sentiment@<hash>"}``: the SHA-256 of
    the first MiB of each weights file, so a retrained model shows up as a new version."""
    return {
        "embeddings": f"minilm-static@{_file_fingerprint(NLP_MODELS_PATH / 'minilm-static' / 'model.safetensors')}",
        "sentiment": f"sentiment@{_file_fingerprint(NLP_MODELS_PATH / 'sentiment' / 'weights.safetensors')}",
    }


def sentiment_from_embeddings(texts: Sequence[str], vectors: NDArray[np.float32]) -> list[SentimentScore]:
    """The shipped sentiment classifier's decision for ``texts`` given their static embeddings.

    Falls back to :func:`brightline.core.nlp.classify_sentiment` when the shipped model is not
    the TF-IDF + embedding linear model this shortcut knows.
    """
    from brightline.core.nlp.classifiers import bundled_classifier

    model: Any = bundled_classifier("sentiment")
    if not getattr(model, "use_embeddings", False) or getattr(model, "positive_label", None) is not None:
        return [SentimentScore(p.label, p.confidence) for p in nlp.classify_sentiment(list(texts))]
    scores_out: list[SentimentScore] = []
    step = 4096
    for start in range(0, len(texts), step):
        chunk = list(texts[start:start + step])
        blocks: list[Any] = [block.vectorizer.transform(chunk) for block in model.tfidf_blocks]
        blocks.append(sparse.csr_matrix(vectors[start:start + step]))
        features = sparse.hstack(blocks, format="csr")
        scores = np.asarray(features @ model.coefficients.T, dtype=np.float64) + model.intercepts
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        best = probabilities.argmax(axis=1)
        scores_out.extend(SentimentScore(model.labels[int(i)], float(row[int(i)]))
                          for row, i in zip(probabilities, best, strict=True))
    return scores_out


def analyse_comments(comments: Sequence[Comment], *, index: ThemeIndex,
                     threshold: float = DEFAULT_THEME_THRESHOLD,
                     with_sentiment: bool = True) -> tuple[list[CommentAnalysis], NDArray[np.float32]]:
    """Themes and sentiment of every comment, plus the whole-comment embeddings (for clustering)."""
    texts = [comment.text for comment in comments]
    vectors = nlp.embed(texts, backend="static")
    sentences = [text for comment in comments for text, _, _ in comment_sentences(comment.text)]
    sentence_vectors = nlp.embed(sentences, backend="static")
    themes = assign_themes(comments, index, embedder=nlp.embed, threshold=threshold,
                           sentence_vectors=sentence_vectors)
    sentiments = (sentiment_from_embeddings(texts, vectors) if with_sentiment
                  else [SentimentScore("neutral", 0.0)] * len(texts))
    return ([CommentAnalysis(c.id, t, s) for c, t, s in zip(comments, themes, sentiments, strict=True)], vectors)
