"""The per-comment pass of ``insights run``: themes and sentiment, tokenising each text once.

Each comment is split into sentences (:func:`.themes.split_comments`) and the sentences, plus any
non-blank text between them (list bullets), are tokenised in one batch. A sentence's tokens give
its embedding (for themes and their spans); a comment's tokens are its pieces' tokens put back
together, which are exactly the tokens of the whole text because the tokenizer never joins
characters across the whitespace and punctuation where sentences meet. Comments long enough to be
truncated (over ``MAX_TOKENS`` tokens, or cut in characters first) are tokenised whole instead.
From a comment's tokens come its embedding (returned, for org-wide clustering) and the sentiment
classifier's features, so :func:`analyse_comments` gives exactly the predictions of
:func:`brightline.core.nlp.classify_sentiment` (a test checks this).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

import brightline.core.nlp as nlp
from brightline.core.insights.sentiment import SentimentScore
from brightline.core.insights.signals import Comment
from brightline.core.insights.themes import (
    DEFAULT_CLASSIFIER_PATH,
    CommentThemes,
    ThemeIndex,
    seed_similarities,
    split_comments,
    theme_classifier_in_use,
    themes_from_similarities,
)
from brightline.core.nlp.classifiers import LinearTextClassifier, bundled_classifier
from brightline.core.nlp.contextual import contextual_model_folder
from brightline.core.nlp.embeddings import normalise_rows, row_norms, token_vector_sums
from brightline.core.nlp.tokens import MAX_TOKENS, TokenBatch, computed_ahead, static_vocabulary, tokenize

__all__ = ["NLP_MODELS_PATH", "CommentAnalysis", "analyse_comments", "model_versions", "sentiment_from_embeddings"]

NLP_MODELS_PATH = Path(nlp.__file__).resolve().parent / "models"
_FINGERPRINT_BYTES = 1 << 20


class CommentAnalysis(NamedTuple):
    comment_id: str
    themes: CommentThemes
    sentiment: SentimentScore


@cache
def _file_fingerprint(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.sha256(handle.read(_FINGERPRINT_BYTES)).hexdigest()[:12]


def model_versions() -> dict[str, str]:
    """``{"embeddings": "minilm-static@<hash>", "sentiment": "sentiment@<hash>", "themes": "themes@<hash>"}``:
    the SHA-256 of the first MiB of each weights file (``themes``: the theme classifier in use, named
    ``themes-contextual@<hash>`` when the contextual model is installed), so a retrained or newly
    installed model shows up as a new version."""
    return {
        "embeddings": f"minilm-static@{_file_fingerprint(NLP_MODELS_PATH / 'minilm-static' / 'model.safetensors')}",
        "sentiment": _sentiment_version(),
        "themes": _theme_version(),
    }


def _sentiment_version() -> str:
    """The fast model's fingerprint; with the second opinion in use, ``sentiment-contextual@<fast>+<second>``."""
    fast = _file_fingerprint(NLP_MODELS_PATH / "sentiment" / "weights.safetensors")
    model = bundled_classifier("sentiment")
    if model.second_opinion_path is None or contextual_model_folder() is None:
        return f"sentiment@{fast}"
    return f"sentiment-contextual@{fast}+{_file_fingerprint(model.second_opinion_path)}"


def _theme_version() -> str:
    path = theme_classifier_in_use()
    name = "themes" if path == DEFAULT_CLASSIFIER_PATH else "themes-contextual"
    return f"{name}@{_file_fingerprint(path)}"


def sentiment_from_embeddings(texts: Sequence[str], vectors: NDArray[np.float32]) -> list[SentimentScore]:
    """The shipped sentiment classifier's decision for ``texts`` given their static embeddings.

    ``vectors`` must be ``embed(texts, backend="static")``; they stand in for the classifier's
    embedding block, and the texts are tokenised for its sub-word features. The result equals
    :func:`brightline.core.nlp.classify_sentiment`.
    """
    return _sentiment_scores(bundled_classifier("sentiment"), tokenize(list(texts)), vectors, texts)


def _sentiment_scores(model: LinearTextClassifier, tokens: TokenBatch, vectors: NDArray[np.float32],
                      texts: Sequence[str]) -> list[SentimentScore]:
    # The fast model's probabilities; with the fine-tuned second opinion installed, it reads the unsure texts.
    labels, confidences = model.decide(model.with_second_opinion(model.probabilities_of_tokens(tokens, vectors),
                                                                 texts))
    return [SentimentScore(label, confidence) for label, confidence in zip(labels, confidences, strict=True)]


@dataclass(frozen=True, slots=True)
class _Pieces:
    """Every comment's sentences and in-between text, flattened, and where each comment's run is."""

    texts: list[str]
    sentence_rows: NDArray[np.int64]
    first: NDArray[np.int64]
    stop: NDArray[np.int64]


def _comment_pieces(texts: Sequence[str], sentences: Sequence[Sequence[tuple[str, int, int]]]) -> _Pieces:
    pieces: list[str] = []
    sentence_rows: list[int] = []
    first = np.empty(len(texts), dtype=np.int64)
    stop = np.empty(len(texts), dtype=np.int64)
    for position, (text, spans) in enumerate(zip(texts, sentences, strict=True)):
        first[position] = len(pieces)
        cursor = 0
        for sentence, start, end in spans:
            # Between sentences there is whitespace (no token) or a list bullet, which the
            # whole text's tokens include.
            between = text[cursor:start]
            if between and not between.isspace():
                pieces.append(between)
            sentence_rows.append(len(pieces))
            pieces.append(sentence)
            cursor = end
        rest = text[cursor:]
        if rest and not rest.isspace():
            pieces.append(rest)
        stop[position] = len(pieces)
    return _Pieces(pieces, np.asarray(sentence_rows, dtype=np.int64), first, stop)


def _comment_tokens(texts: Sequence[str], pieces: _Pieces,
                    piece_tokens: TokenBatch) -> tuple[TokenBatch, NDArray[np.bool_]]:
    """Each comment's tokens: its pieces' tokens in order, or the whole text's when it was truncated.

    Also says which comments are exactly one piece, whose tokens (and so embedding) are that piece's.
    """
    first, stop = pieces.first, pieces.stop
    lengths = piece_tokens.starts[stop] - piece_tokens.starts[first]
    limit = static_vocabulary().character_limit
    characters = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    whole = (lengths > MAX_TOKENS) | (characters > limit)
    one_piece = (stop - first == 1) & ~whole
    if whole.any():
        rows = np.flatnonzero(whole)
        piece_tokens = piece_tokens.concatenate(tokenize([texts[int(position)] for position in rows]))
        first, stop = first.copy(), stop.copy()
        first[rows] = len(pieces.texts) + np.arange(len(rows))
        stop[rows] = first[rows] + 1
    return piece_tokens.join_rows(first, stop), one_piece


#: Comments analysed per step: big enough for the tokenizer's threads, small enough to overlap.
ANALYSIS_CHUNK_SIZE = 16384


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One chunk split into sentences and pieces and tokenised: the tokenizer's part of the work."""

    sentences: list[list[tuple[str, int, int]]]
    pieces: _Pieces
    piece_tokens: TokenBatch


def _prepare(texts: list[str]) -> _Prepared:
    sentences = split_comments(texts)
    pieces = _comment_pieces(texts, sentences)
    return _Prepared(sentences, pieces, tokenize(pieces.texts))


def analyse_comments(comments: Sequence[Comment], *, index: ThemeIndex,
                     threshold: float | None = None,
                     with_sentiment: bool = True) -> tuple[list[CommentAnalysis], NDArray[np.float32]]:
    """Themes and sentiment of every comment, plus the whole-comment embeddings (for clustering).

    The embeddings equal ``embed(texts, backend="static")`` and the sentiment equals
    ``classify_sentiment(texts)``; each text is tokenised once for all three, and each token
    vector is summed once (a one-sentence comment's sums are its sentence's).

    Comments are analysed in chunks of :data:`ANALYSIS_CHUNK_SIZE`; while one chunk is scored, the
    next is split and tokenised (:func:`.tokens.computed_ahead`). Results do not depend on the
    chunking (every step is per comment), and the intermediate arrays (token features, seed
    similarities) are those of one chunk.
    """
    texts = [comment.text for comment in comments]
    if len(texts) <= ANALYSIS_CHUNK_SIZE:
        return _analyse_prepared(comments, texts, _prepare(texts), index=index, threshold=threshold,
                                 with_sentiment=with_sentiment)
    analyses: list[CommentAnalysis] = []
    vectors: list[NDArray[np.float32]] = []
    chunks = (slice(start, start + ANALYSIS_CHUNK_SIZE) for start in range(0, len(texts), ANALYSIS_CHUNK_SIZE))
    for chunk, prepared in computed_ahead(lambda part: _prepare(texts[part]), chunks):
        found, chunk_vectors = _analyse_prepared(comments[chunk], texts[chunk], prepared, index=index,
                                                 threshold=threshold, with_sentiment=with_sentiment)
        analyses.extend(found)
        vectors.append(chunk_vectors)
    return analyses, np.concatenate(vectors)


def _analyse_prepared(comments: Sequence[Comment], texts: list[str], prepared: _Prepared, *, index: ThemeIndex,
                      threshold: float | None,
                      with_sentiment: bool) -> tuple[list[CommentAnalysis], NDArray[np.float32]]:
    sentences, pieces, piece_tokens = prepared.sentences, prepared.pieces, prepared.piece_tokens
    piece_sums = token_vector_sums(piece_tokens)
    # Normalised first, exactly as embed() does, so the scores equal assign_themes' to the last bit.
    sentence_vectors = normalise_rows(piece_sums[pieces.sentence_rows])
    dimensions = piece_sums.shape[1]
    del piece_sums
    # Both classifiers read the static embeddings; with the contextual model, the tuned network reads the text.
    similarities = seed_similarities(sentence_vectors, row_norms(sentence_vectors), index)
    themes = themes_from_similarities(comments, sentences, similarities, index, threshold=threshold,
                                      vectors=sentence_vectors)
    del similarities
    comment_tokens, one_piece = _comment_tokens(texts, pieces, piece_tokens)
    # Most comments are one sentence: their embedding is that sentence's, already computed (a
    # one-piece comment's piece is its sentence).
    vectors = np.empty((len(texts), dimensions), dtype=np.float32)
    vectors[one_piece] = sentence_vectors[np.searchsorted(pieces.sentence_rows, pieces.first[one_piece])]
    del sentence_vectors
    others = np.flatnonzero(~one_piece)
    if len(others):
        vectors[others] = normalise_rows(token_vector_sums(comment_tokens.join_rows(others, others + 1)))
    sentiments = (_sentiment_scores(bundled_classifier("sentiment"), comment_tokens, vectors, texts) if with_sentiment
                  else [SentimentScore("neutral", 0.0)] * len(texts))
    return ([CommentAnalysis(c.id, t, s) for c, t, s in zip(comments, themes, sentiments, strict=True)], vectors)
