"""Feedback themes (C1) from a configurable taxonomy, matched sentence by sentence.

For the default taxonomy a small trained classifier decides (``data/themes_classifier.json``,
:class:`ThemeClassifier`): per theme, a logistic regression over the sentence's static embedding,
its seed-phrase similarities below and TF-IDF of its words and word pairs, trained by
``tools/nlp/train_themes.py`` on the team's dev sentences and on 1,371 crowd-written review
sentences; one probability threshold for all themes, chosen by cross-validation on those rows. A
sentence keeps the (at most two) themes at or above it, so general praise ("a great asset") gets none.
A taxonomy the classifier was not trained for (another version or other themes) falls back to the
seed-phrase matching described next.

When the contextual model is installed the product uses a second classifier instead
(``data/themes_classifier_contextual.json`` with ``data/themes_tuned.safetensors``, trained by
``tools/nlp/train_themes_tuned.py``): the same kind of regression over the static features, averaged with
all-MiniLM-L6-v2 adapted to the themes by low-rank changes to its six layers (``--lora``; one score per theme,
merged and run in numpy by :class:`brightline.core.nlp.contextual.TunedLayers`).

Every theme has a description and seed phrases (``data/taxonomy.json``). Seeds are embedded once;
each sentence of a comment is embedded and compared with every seed by cosine similarity after
both are centred on the mean seed vector (static embeddings share a common direction that makes
every pair of English sentences look somewhat alike; removing it raised test micro-F1 from 0.59 to 0.66
on the 130 sentences of taxonomy themes-v1). A sentence carries a theme when its best seed of that
theme scores at least the threshold, and at most :data:`MAX_THEMES_PER_SENTENCE` themes per
sentence are kept, a second one only when it scores within :data:`SECOND_THEME_MARGIN` of the
sentence's best theme (a sentence is rarely about two things). A match records the score, the
seed phrase that matched best and the sentence's span in the comment, so a reader sees why.

The threshold was chosen on the *dev* rows of ``tests/fixtures/themes_labelled.csv`` and is
reported on its *test* rows (``data/themes_metrics.json``, ``docs/signals.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from brightline.core.insights.confidence import (
    QUALITATIVE_RULE,
    count_distinct_authors,
    label_confidence,
    span_in_days,
)
from brightline.core.insights.signals import Agreement, Comment, SignalDraft, Subject
from brightline.core.narrative import split_sentences
from brightline.core.nlp.embeddings import row_norms

__all__ = [
    "DEFAULT_CLASSIFIER_PATH",
    "DEFAULT_TAXONOMY_PATH",
    "DEFAULT_THEME_THRESHOLD",
    "MAX_THEMES_PER_SENTENCE",
    "MIN_THEME_AUTHORS",
    "MIN_THEME_COMMENTS",
    "NOT_ENOUGH_DATA",
    "SECOND_THEME_MARGIN",
    "STRONG_EVIDENCE_ITEMS",
    "THEMES_CANNOT_INFER",
    "CommentThemes",
    "DistinctComments",
    "Embedder",
    "Taxonomy",
    "ThemeClassifier",
    "ThemeDefinition",
    "ThemeIndex",
    "ThemeMatch",
    "assign_themes",
    "build_theme_index",
    "contextual_theme_embedding",
    "deduplicate_comments",
    "load_taxonomy",
    "load_theme_classifier",
    "runtime_theme_index",
    "theme_classifier_in_use",
    "theme_scores",
    "split_comments",
    "summarise_themes",
]

Embedder = Callable[[Sequence[str]], NDArray[np.float32]]

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json"
DEFAULT_CLASSIFIER_PATH = Path(__file__).resolve().parent / "data" / "themes_classifier.json"
#: The classifier used when the contextual model is installed (``tools/nlp/train_themes_tuned.py``): a regression
#: over the static features whose probabilities are averaged with the tuned network's (:data:`TUNED_THEMES_PATH`).
CONTEXTUAL_CLASSIFIER_PATH = Path(__file__).resolve().parent / "data" / "themes_classifier_contextual.json"
#: Its second part: all-MiniLM-L6-v2's top layers fine-tuned for the themes, with one score per theme.
TUNED_THEMES_PATH = Path(__file__).resolve().parent / "data" / "themes_tuned.safetensors"
#: Words of the classifier's TF-IDF block (scikit-learn's default token pattern, on lower-cased text).
WORD_PATTERN = re.compile(r"(?u)\b\w\w+\b")
#: Cosine similarity a sentence needs with a theme's best seed phrase (chosen on the dev split).
DEFAULT_THEME_THRESHOLD = 0.4
MAX_THEMES_PER_SENTENCE = 2
#: A second theme of a sentence must score within this of the sentence's best theme (chosen on the dev split).
SECOND_THEME_MARGIN = 0.05
#: C1: a theme summary needs at least this many comments from at least this many distinct people.
MIN_THEME_COMMENTS = 5
MIN_THEME_AUTHORS = 3
#: Operational items of a theme's evidence kinds that count as "strong" evidence in the window.
STRONG_EVIDENCE_ITEMS = 5
#: A change of at least this share of writers between the two halves of the window draws an arrow.
TREND_SHARE_CHANGE = 0.2

NOT_ENOUGH_DATA = (
    "Not enough data: {comments} comments from {authors} people. A theme summary needs at least "
    f"{MIN_THEME_COMMENTS} comments from at least {MIN_THEME_AUTHORS} different people."
)
THEMES_CANNOT_INFER = (
    "How well someone does the work, or why. A theme says what people wrote about, not whether it is "
    "true, typical or important; people who write more are not counted more."
)
ERR_TAXONOMY_SHAPE = "The theme taxonomy in {path} is not valid: {problem}."
_SPACES = re.compile(r"\s+")
# Where brightline.core.narrative.split_sentences can cut a text: a sentence end followed by
# whitespace and a plausible sentence start (its _BOUNDARY), a line break (hard breaks and
# bullets), or a leading bullet. A text without any of these is one sentence. A superset is
# safe (the splitter decides); a test checks split_comments against comment_sentences.
_MAY_END_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*\s+[\"'“‘(\[]?[A-Z0-9#]")
_MAY_START_WITH_BULLET = re.compile(r"\s*(?:[-*•–]|\d)")


@dataclass(frozen=True, slots=True)
class ThemeDefinition:
    id: str
    label: str
    description: str
    dimension: str
    evidence_kinds: tuple[str, ...]
    seed_phrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: str
    themes: tuple[ThemeDefinition, ...]

    def theme(self, theme_id: str) -> ThemeDefinition:
        return next(theme for theme in self.themes if theme.id == theme_id)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a taxonomy file (``data/taxonomy.json`` by default). Raises ``ValueError`` when malformed."""
    source = path or DEFAULT_TAXONOMY_PATH
    raw = json.loads(source.read_text(encoding="utf-8"))
    try:
        themes = tuple(
            ThemeDefinition(id=str(entry["id"]), label=str(entry["label"]), description=str(entry["description"]),
                            dimension=str(entry.get("dimension", "")),
                            evidence_kinds=tuple(str(kind) for kind in entry.get("evidence_kinds", ())),
                            seed_phrases=tuple(str(phrase) for phrase in entry["seed_phrases"]))
            for entry in raw["themes"]
        )
        version = str(raw["version"])
    except (KeyError, TypeError) as error:
        raise ValueError(ERR_TAXONOMY_SHAPE.format(path=source, problem=f"missing {error}")) from error
    if not themes or any(not theme.seed_phrases for theme in themes):
        raise ValueError(ERR_TAXONOMY_SHAPE.format(path=source, problem="every theme needs seed phrases"))
    if len({theme.id for theme in themes}) != len(themes):
        raise ValueError(ERR_TAXONOMY_SHAPE.format(path=source, problem="theme ids must be unique"))
    return Taxonomy(version=version, themes=themes)


@dataclass(frozen=True, eq=False)
class ThemeClassifier:
    """Per theme, a logistic regression over [unit embedding, best seed similarity per theme, word TF-IDF].

    ``word_weights`` already carry the word block's weight; the TF-IDF is scikit-learn's
    (``sublinear_tf``, smoothed idf, L2 over the known terms), recomputed here without it.
    """

    taxonomy_version: str
    theme_ids: tuple[str, ...]
    threshold: float
    bias: NDArray[np.float64]
    embedding_weights: NDArray[np.float32]
    seed_weights: NDArray[np.float64]
    vocabulary: Mapping[str, int]
    idf: NDArray[np.float64]
    word_weights: NDArray[np.float64]
    training: Mapping[str, Any]

    def word_features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The TF-IDF rows of ``texts`` (words and adjacent word pairs), L2-normalised."""
        find_words, column_of = WORD_PATTERN.findall, self.vocabulary.get
        columns: list[int] = []
        lengths: list[int] = []
        for text in texts:
            words = find_words(text.lower())
            before = len(columns)
            columns.extend(column for column in map(column_of, words) if column is not None)
            columns.extend(column for column in map(column_of, map(" ".join, zip(words, words[1:], strict=False)))
                           if column is not None)
            lengths.append(len(columns) - before)
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        # Duplicates are summed: each (row, column) entry becomes its count.
        counts = sparse.csr_matrix((np.ones(len(columns), dtype=np.float64), (rows, np.asarray(columns, np.int64))),
                                   shape=(len(texts), len(self.idf)))
        counts.sum_duplicates()
        counts.data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ counts)

    def probabilities(self, texts: Sequence[str], vectors: NDArray[np.float32],
                      seed_scores: NDArray[np.float32]) -> NDArray[np.float32]:
        """``(sentences, themes)`` probabilities; ``vectors`` are the sentences' embeddings (any length)."""
        if not len(texts):
            return np.zeros((0, len(self.theme_ids)), dtype=np.float32)
        rows = np.asarray(vectors, dtype=np.float32)
        norms = row_norms(rows)
        # The unit embedding's block, scaled after the product: no normalised copy of the rows.
        logits = np.asarray(rows @ self.embedding_weights, dtype=np.float64)
        logits *= np.divide(1.0, norms, out=np.zeros(len(norms), dtype=np.float64), where=norms > 0)[:, None]
        logits += np.asarray(seed_scores, dtype=np.float64) @ self.seed_weights
        logits += np.asarray(self.word_features(texts) @ self.word_weights) + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)


def load_theme_classifier(taxonomy: Taxonomy, path: Path | None = None) -> ThemeClassifier | None:
    """The trained classifier for ``taxonomy``, or ``None`` when there is none for its version and themes."""
    source = path or DEFAULT_CLASSIFIER_PATH
    if not source.is_file():
        return None
    raw = json.loads(source.read_text(encoding="utf-8"))
    if raw.get("taxonomy_version") != taxonomy.version or tuple(raw.get("themes", ())) != tuple(
            theme.id for theme in taxonomy.themes):
        return None
    return ThemeClassifier(
        taxonomy_version=str(raw["taxonomy_version"]), theme_ids=tuple(raw["themes"]),
        threshold=float(raw["threshold"]),
        bias=np.asarray(raw["bias"], dtype=np.float64),
        embedding_weights=np.asarray(raw["embedding_weights"], dtype=np.float32),
        seed_weights=np.asarray(raw["seed_weights"], dtype=np.float64),
        vocabulary={term: column for column, term in enumerate(raw["vocabulary"])},
        idf=np.asarray(raw["idf"], dtype=np.float64), word_weights=np.asarray(raw["word_weights"], dtype=np.float64),
        training=dict(raw.get("training", {})))


_DEFAULT = object()


@dataclass(frozen=True)
class ThemeIndex:
    """A taxonomy with its seed phrases embedded once (rows grouped by theme, in taxonomy order)."""

    taxonomy: Taxonomy
    seed_vectors: NDArray[np.float32]
    center: NDArray[np.float32]
    seed_theme: NDArray[np.int64]
    seed_phrases: tuple[str, ...]
    group_starts: NDArray[np.int64]
    #: The trained classifier for this taxonomy, if one was shipped; otherwise seeds and a threshold decide.
    classifier: ThemeClassifier | None = None
    #: Whether the contextual model takes part: the tuned network (:attr:`tuned`) scores every sentence too.
    contextual: bool = False
    #: all-MiniLM-L6-v2 with its top layers tuned for the themes (``TunedLayers``, one score per theme, in taxonomy
    #: order); its probabilities count :attr:`tuned_weight` beside the classifier's.
    tuned: Any = None
    tuned_weight: float = 0.0

    def embed_sentences(self, texts: Sequence[str], static: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """The embeddings this index's classifier and seeds read: the static ones (``static`` when given)."""
        from brightline.core.nlp.embeddings import embed

        return embed(list(texts), backend="static") if static is None else static

    @property
    def default_threshold(self) -> float:
        return self.classifier.threshold if self.classifier is not None else DEFAULT_THEME_THRESHOLD

    @cached_property
    def projection(self) -> NDArray[np.float32]:
        """``(dim, seeds + 1)``: the centred seeds, then the centre, to score rows in one product."""
        return np.ascontiguousarray(np.column_stack([self.seed_vectors.T, self.center]), dtype=np.float32)

    @cached_property
    def center_dot_seed(self) -> NDArray[np.float32]:
        return np.asarray(self.seed_vectors @ self.center, dtype=np.float32)

    @cached_property
    def center_squared(self) -> np.float32:
        return np.float32(self.center @ self.center)


def contextual_theme_embedding(texts: Sequence[str]) -> NDArray[np.float32]:
    """The static and the contextual embedding of each text side by side, scaled by 1/sqrt(2) (unit rows): the
    features of the earlier contextual recipe, kept for the training tools (``train_themes_tuned.py --cross-validate``).

    Raises ``LookupError`` when the contextual model is not installed.
    """
    from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE, bundled_encoder
    from brightline.core.nlp.embeddings import embed

    encoder = bundled_encoder()
    if encoder is None:
        raise LookupError(CONTEXTUAL_MODEL_MISSING_NOTICE)
    joined = np.hstack([np.asarray(embed(list(texts), backend="static"), dtype=np.float32), encoder.encode(texts)])
    joined *= np.float32(1 / np.sqrt(2))
    return joined


def theme_classifier_in_use() -> Path:
    """The classifier file :func:`runtime_theme_index` uses: the contextual one when the model is installed."""
    from brightline.core.nlp.contextual import contextual_model_folder

    if contextual_model_folder() is not None and CONTEXTUAL_CLASSIFIER_PATH.is_file():
        return CONTEXTUAL_CLASSIFIER_PATH
    return DEFAULT_CLASSIFIER_PATH


def runtime_theme_index(taxonomy: Taxonomy) -> ThemeIndex:
    """The index the product uses: the contextual classifier and the tuned network when the contextual model is
    installed (``theme_classifier_in_use``), else the static classifier (the same as
    ``build_theme_index(taxonomy, embedder=embed)``)."""
    from brightline.core.nlp.contextual import tuned_layers
    from brightline.core.nlp.embeddings import embed

    path = theme_classifier_in_use()
    if path == CONTEXTUAL_CLASSIFIER_PATH:
        classifier = load_theme_classifier(taxonomy, path)
        tuned_file = json.loads(path.read_text(encoding="utf-8")).get("tuned") or {}
        tuned = tuned_layers(path.parent / str(tuned_file.get("file", ""))) if tuned_file.get("file") else None
        if classifier is not None and tuned is not None and tuned.labels == classifier.theme_ids:
            index = build_theme_index(taxonomy, embedder=embed, classifier=classifier)
            return replace(index, contextual=True, tuned=tuned, tuned_weight=float(tuned_file["weight"]))
    return build_theme_index(taxonomy, embedder=embed)


def build_theme_index(taxonomy: Taxonomy, *, embedder: Embedder, classifier: Any = _DEFAULT) -> ThemeIndex:
    """Embed every seed phrase of ``taxonomy`` with ``embedder`` (e.g. ``brightline.core.nlp.embed``).

    ``classifier`` defaults to the shipped one when it was trained for this taxonomy; pass ``None``
    for seed-phrase matching alone.
    """
    if classifier is _DEFAULT:
        classifier = load_theme_classifier(taxonomy)
    phrases: list[str] = []
    owners: list[int] = []
    starts: list[int] = []
    for position, theme in enumerate(taxonomy.themes):
        starts.append(len(phrases))
        phrases.extend(theme.seed_phrases)
        owners.extend([position] * len(theme.seed_phrases))
    raw = np.ascontiguousarray(embedder(phrases), dtype=np.float32)
    center = raw.mean(axis=0).astype(np.float32)
    return ThemeIndex(taxonomy, _centre(raw, center), center, np.asarray(owners, dtype=np.int64), tuple(phrases),
                      np.asarray(starts, dtype=np.int64), classifier)


class ThemeMatch(NamedTuple):
    """One theme found in one sentence: cosine ``score`` in [-1, 1], the best seed phrase, the span."""

    theme_id: str
    score: float
    seed_phrase: str
    sentence: str
    start: int
    end: int


class CommentThemes(NamedTuple):
    """The themes of one comment: its best-scoring sentence per theme, best first."""

    comment_id: str
    matches: tuple[ThemeMatch, ...]

    @property
    def theme_ids(self) -> frozenset[str]:
        return frozenset(match.theme_id for match in self.matches)


_NO_THEMES = CommentThemes("", ())


def _centre(vectors: NDArray[np.float32], center: NDArray[np.float32]) -> NDArray[np.float32]:
    shifted = vectors - center
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    np.maximum(norms, np.float32(1e-9), out=norms)
    return np.ascontiguousarray(shifted / norms, dtype=np.float32)


def score_sentences(vectors: NDArray[np.float32], index: ThemeIndex) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Per sentence and theme: the best centred cosine over that theme's seeds, and which seed it was.

    ``vectors`` are the embedder's raw rows; an all-zero row (empty text) scores low everywhere.
    """
    similarities = seed_similarities(vectors, row_norms(vectors), index)
    best = best_per_theme(similarities, index)
    best_seed = np.zeros(best.shape, dtype=np.int64)
    bounds = [*index.group_starts.tolist(), len(index.seed_phrases)]
    for column in range(len(index.group_starts)):
        low, high = bounds[column], bounds[column + 1]
        best_seed[:, column] = low + np.argmax(similarities[:, low:high], axis=1) if len(vectors) else 0
    return best, best_seed


def seed_similarities(sums: NDArray[np.float32], norms: NDArray[np.float32], index: ThemeIndex) -> NDArray[np.float32]:
    """Centred cosine of every row of ``sums`` with every seed, columns in ``index.seed_phrases`` order.

    A row may be any positive multiple of its embedding (e.g. the token-vector sums of
    :func:`brightline.core.nlp.embeddings.token_vector_sums`, of length ``norms``): the
    embedding is ``sums / norms``, or zero when ``norms`` is zero. For a unit vector ``s``, the
    centre ``c`` and a centred unit seed ``q``, the cosine is ``(s·q − c·q) / |s − c|`` with
    ``|s − c|² = 1 − 2 s·c + |c|²``: one matrix product against the seeds and the centre, without
    shifting or normalising the rows themselves.
    """
    seeds = len(index.seed_phrases)
    if not len(sums):
        return np.zeros((0, seeds), dtype=np.float32)
    products = np.asarray(sums, dtype=np.float32) @ index.projection
    inverse = np.divide(np.float32(1), norms, out=np.zeros(len(norms), dtype=np.float32), where=norms > 0)
    products *= inverse[:, None]
    unit = (norms > 0).astype(np.float32)
    squared = unit - 2 * products[:, seeds] + index.center_squared
    np.maximum(squared, np.float32(1e-18), out=squared)
    similarities = products[:, :seeds]
    similarities -= index.center_dot_seed
    similarities /= np.sqrt(squared)[:, None]
    return similarities


def best_per_theme(similarities: NDArray[np.float32], index: ThemeIndex) -> NDArray[np.float32]:
    """Per row, the best of :func:`seed_similarities` within each theme's seeds."""
    if not len(similarities):
        return np.zeros((0, len(index.group_starts)), dtype=np.float32)
    return np.asarray(np.maximum.reduceat(similarities, index.group_starts, axis=1), dtype=np.float32)


def _best_seeds(similarities: NDArray[np.float32], rows: NDArray[np.int64], columns: NDArray[np.int64],
                index: ThemeIndex) -> NDArray[np.int64]:
    """The seed behind each (row, theme column) pair: the theme's seed with the highest similarity."""
    seeds = np.zeros(len(rows), dtype=np.int64)
    bounds = [*index.group_starts.tolist(), len(index.seed_phrases)]
    for column in np.unique(columns).tolist():
        chosen = np.flatnonzero(columns == column)
        low, high = bounds[column], bounds[column + 1]
        seeds[chosen] = low + np.argmax(similarities[rows[chosen], low:high], axis=1)
    return seeds


def theme_scores(texts: Sequence[str], vectors: NDArray[np.float32], similarities: NDArray[np.float32],
                 index: ThemeIndex) -> NDArray[np.float32]:
    """Per sentence and theme, the score the threshold applies to: the classifier's probability, or
    without a classifier the best seed similarity (:func:`best_per_theme`)."""
    best = best_per_theme(similarities, index)
    if index.classifier is None:
        return best
    found = index.classifier.probabilities(texts, vectors, best)
    if index.tuned is not None and len(texts):
        tuned = 1.0 / (1.0 + np.exp(-index.tuned.logits(list(texts)).astype(np.float64)))
        weight = index.tuned_weight
        found = np.asarray((1.0 - weight) * found + weight * tuned, dtype=np.float32)
    return found


def _margin(index: ThemeIndex) -> float | None:
    return SECOND_THEME_MARGIN if index.classifier is None else None


def select_themes(scores: NDArray[np.float32], *, threshold: float,
                  margin: float | None = SECOND_THEME_MARGIN) -> list[list[int]]:
    """Theme columns kept per row: at or above ``threshold``, best first, at most two (the second
    within ``margin`` of the first, unless ``margin`` is ``None``)."""
    order, kept = _top_themes(scores, threshold=threshold, margin=margin)
    return [[int(column) for column, keep in zip(row, flags, strict=True) if keep]
            for row, flags in zip(order.tolist(), kept.tolist(), strict=True)]


def _top_themes(scores: NDArray[np.float32], *, threshold: float,
                margin: float | None) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Per row, the best :data:`MAX_THEMES_PER_SENTENCE` columns (ties in column order) and which pass.

    A column passes at or above ``threshold``; after the first, only within ``margin`` of the
    row's best score (the seed matcher's :data:`SECOND_THEME_MARGIN`; ``None``: no such rule).
    """
    order = np.argsort(-scores, axis=1, kind="stable")[:, :MAX_THEMES_PER_SENTENCE]
    best = np.take_along_axis(scores, order, axis=1)
    kept = best >= threshold
    if margin is not None:
        kept[:, 1:] &= best[:, 1:] >= best[:, :1] - np.float32(margin)
    return order, kept


def assign_themes(comments: Sequence[Comment], index: ThemeIndex, *, embedder: Embedder,
                  threshold: float | None = None,
                  sentence_vectors: NDArray[np.float32] | None = None,
                  sentences: Sequence[Sequence[tuple[str, int, int]]] | None = None) -> list[CommentThemes]:
    """Themes of each comment, in input order. All sentences are embedded in one call.

    ``sentences`` may pass :func:`split_comments` of the comments' texts and ``sentence_vectors``
    the embeddings of those sentences (flattened in that order), computed earlier, so a pipeline
    splits and embeds each sentence once. ``threshold`` defaults to the index's
    (:attr:`ThemeIndex.default_threshold`).
    """
    spans = sentences if sentences is not None else split_comments([comment.text for comment in comments])
    if sentence_vectors is None:
        texts = [text for sentence_spans in spans for text, _, _ in sentence_spans]
        sentence_vectors = index.embed_sentences(texts) if index.contextual else embedder(texts)
    vectors = np.asarray(sentence_vectors, dtype=np.float32)
    return themes_from_similarities(comments, spans, seed_similarities(vectors, row_norms(vectors), index), index,
                                    threshold=threshold, vectors=vectors)


def themes_from_similarities(comments: Sequence[Comment], spans: Sequence[Sequence[tuple[str, int, int]]],
                             similarities: NDArray[np.float32], index: ThemeIndex, *,
                             threshold: float | None = None,
                             vectors: NDArray[np.float32] | None = None) -> list[CommentThemes]:
    """:func:`assign_themes` given :func:`seed_similarities` of the comments' sentences (flattened).

    An index with a classifier also needs the sentences' embeddings (``vectors``, same order).
    """
    if index.classifier is not None and vectors is None:
        raise ValueError("The theme classifier needs the sentence embeddings (vectors).")
    texts = [text for sentence_spans in spans for text, _, _ in sentence_spans]
    scores = theme_scores(texts, vectors if vectors is not None else np.zeros((len(texts), 0), dtype=np.float32),
                          similarities, index)
    order, kept = _top_themes(scores, threshold=index.default_threshold if threshold is None else threshold,
                              margin=_margin(index))
    # One entry per (sentence, kept theme), sentence by sentence and best first within one: the
    # Python work is one ThemeMatch per entry and one CommentThemes per comment with a theme.
    rows, ranks = np.nonzero(kept)
    columns = order[rows, ranks]
    raw_scores = scores[rows, columns].tolist()
    seeds = _best_seeds(similarities, rows, columns, index).tolist()
    counts = np.fromiter(map(len, spans), dtype=np.int64, count=len(spans))
    first_rows = np.zeros(len(spans) + 1, dtype=np.int64)
    np.cumsum(counts, out=first_rows[1:])
    owners = np.searchsorted(first_rows, rows, side="right") - 1
    theme_ids = [theme.id for theme in index.taxonomy.themes]
    seed_phrases = index.seed_phrases
    flat_spans = [span for sentence_spans in spans for span in sentence_spans]
    matches = [ThemeMatch(theme_ids[column], round(score, 4), seed_phrases[seed], *flat_spans[row])
               for column, score, seed, row in zip(columns.tolist(), raw_scores, seeds, rows.tolist(), strict=True)]
    themes = [_NO_THEMES] * len(comments)
    group_starts = np.flatnonzero(np.diff(owners, prepend=-1)).tolist()
    group_stops = [*group_starts[1:], len(matches)] if matches else []
    multi_sentence = (counts > 1).tolist()
    for first, stop, owner in zip(group_starts, group_stops, owners[group_starts].tolist(), strict=True):
        if not multi_sentence[owner]:
            # One sentence: its kept themes, already best first, are the comment's.
            themes[owner] = CommentThemes(comments[owner].id, tuple(matches[first:stop]))
            continue
        best: dict[str, ThemeMatch] = {}
        for match, score in zip(matches[first:stop], raw_scores[first:stop], strict=True):
            # Compared unrounded against the kept match's rounded score, as always.
            if match.theme_id not in best or score > best[match.theme_id].score:
                best[match.theme_id] = match
        themes[owner] = CommentThemes(comments[owner].id, tuple(sorted(best.values(), key=lambda m: -m.score)))
    return [found if found is not _NO_THEMES else CommentThemes(comments[position].id, ())
            for position, found in enumerate(themes)]


def split_comments(texts: Sequence[str]) -> list[list[tuple[str, int, int]]]:
    """:func:`comment_sentences` of every text, in order.

    Most feedback is one sentence; a text that cannot be cut (see ``_MAY_END_SENTENCE``) skips
    the sentence splitter and is its own, stripped, single sentence.
    """
    may_end_sentence, may_start_with_bullet = _MAY_END_SENTENCE.search, _MAY_START_WITH_BULLET.match
    result: list[list[tuple[str, int, int]]] = []
    for text in texts:
        if may_end_sentence(text) or "\n" in text or may_start_with_bullet(text):
            result.append(comment_sentences(text))
            continue
        stripped = text.strip()
        if not stripped:
            result.append([])
            continue
        start = len(text) - len(text.lstrip())
        result.append([(stripped, start, start + len(stripped))])
    return result


def comment_sentences(text: str) -> list[tuple[str, int, int]]:
    """The sentences a comment is matched by: ``(text, start, end)``; the whole text if none split."""
    spans = [(span.text, span.start, span.end) for span in split_sentences(text) if span.text.strip()]
    if not spans and text.strip():
        spans = [(text.strip(), 0, len(text))]
    return spans


def _author_key(comment: Comment) -> str:
    if comment.author_id is not None and not comment.anonymous:
        return f"person:{comment.author_id}"
    return f"anonymous:{comment.anonymous_group or comment.id}"


class DistinctComments(tuple[Comment, ...]):
    """Comments without repeats, as :func:`deduplicate_comments` returns them.

    Every summary de-duplicates its input; handing them this (immutable) result instead of a
    plain sequence skips the repeat work when one subject's comments feed several summaries.
    """

    __slots__ = ()


def deduplicate_comments(comments: Sequence[Comment]) -> DistinctComments:
    """Drop repeats of the same text by the same writer (C11: volume must not make a signal).

    Texts are compared case-folded with whitespace collapsed; the first occurrence is kept.
    Comments that are a :class:`DistinctComments` already are returned as they are.
    """
    if isinstance(comments, DistinctComments):
        return comments
    seen: set[tuple[str, str]] = set()
    kept: list[Comment] = []
    for comment in comments:
        # str.split() splits on exactly the characters \s matches and drops the ends: the same
        # key as _SPACES.sub(" ", text).strip(), several times faster.
        key = (_author_key(comment), " ".join(comment.text.casefold().split()))
        if key in seen:
            continue
        seen.add(key)
        kept.append(comment)
    return DistinctComments(kept)


def _is_concern(comment: Comment, sentiment: str | None) -> bool:
    return comment.prompt == "growth" or sentiment == "negative"


def _trend(writers: tuple[set[str], set[str]], halves: Sequence[int], authors: Sequence[str],
           mentioning: Sequence[int]) -> str:
    """Compare the share of writers who mention the theme in each half of the window.

    ``writers`` are the writers of each half; ``halves`` and ``authors`` hold, per kept comment,
    its half (0 or 1) and writer key; ``mentioning`` the positions of the comments with the theme.
    """
    theme_writers: tuple[set[str], set[str]] = (set(), set())
    for position in mentioning:
        theme_writers[halves[position]].add(authors[position])
    (early_all, late_all), (early_theme, late_theme) = writers, theme_writers
    if len(early_all) < MIN_THEME_AUTHORS or len(late_all) < MIN_THEME_AUTHORS:
        return "unknown"
    change = len(late_theme) / len(late_all) - len(early_theme) / len(early_all)
    if change >= TREND_SHARE_CHANGE:
        return "up"
    if change <= -TREND_SHARE_CHANGE:
        return "down"
    return "flat"


def _agreement(theme: ThemeDefinition, concern_share: float, evidence_counts: Mapping[str, int]) -> Agreement:
    related = sum(evidence_counts.get(kind, 0) for kind in theme.evidence_kinds)
    if related == 0:
        return "single_layer"
    if concern_share > 0.5:
        return "conflicts" if related >= STRONG_EVIDENCE_ITEMS else "single_layer"
    return "agrees"


def _quote(comment: Comment, match: ThemeMatch, sentiment: str | None) -> dict[str, Any]:
    return {
        "ref": comment.ref.to_json(),
        "text": match.sentence if comment.quotable else "",
        "withheld": not comment.quotable,
        "start": match.start,
        "end": match.end,
        "seed_phrase": match.seed_phrase,
        "score": match.score,
        "prompt": comment.prompt,
        "sentiment": sentiment,
        "anonymous": comment.anonymous,
        "author_id": None if comment.anonymous else comment.author_id,
        "written_at": comment.written_at.date().isoformat(),
    }


def summarise_themes(
    subject: Subject,
    comments: Sequence[Comment],
    themes: Sequence[CommentThemes],
    *,
    taxonomy: Taxonomy,
    window_start: date,
    window_end: date,
    sentiments: Mapping[str, str] | None = None,
    evidence_counts: Mapping[str, int] | None = None,
) -> list[SignalDraft]:
    """One ``theme_summary`` signal for the subject, plus one ``theme`` signal per recurring theme.

    A theme recurs when it appears in at least :data:`MIN_THEME_COMMENTS` comments from at least
    :data:`MIN_THEME_AUTHORS` people, after repeats of the same text by the same writer are
    dropped. ``sentiments`` maps comment id → sentiment label (a negative comment or an answer to
    a growth prompt counts as a concern). ``evidence_counts`` maps evidence kind → items of the
    subject in the window, for agreement with the operational layer.

    For a **team** subject (comments about its members) the same rule applies, each theme also
    counts the members the comments are about (``members``), and no sentence is quoted: a
    sentence about one member belongs on that member's page, for them and their management chain.
    """
    team = subject.kind == "team"
    sentiments = sentiments or {}
    evidence_counts = evidence_counts or {}
    themes_by_comment = {entry.comment_id: entry for entry in themes}
    kept = [c for c in deduplicate_comments(comments) if window_start <= c.written_at.date() <= window_end]
    total_authors = count_distinct_authors(kept)
    total_items = len({c.ref for c in kept})
    signals: list[SignalDraft] = []
    counts: list[dict[str, Any]] = []
    # One pass over the comments, not one per theme: who mentions what, and each writer's half.
    middle = window_start + (window_end - window_start) / 2
    halves = [0 if c.written_at.date() < middle else 1 for c in kept]
    writer_keys = [_author_key(c) for c in kept]
    writers: tuple[set[str], set[str]] = (set(), set())
    for half, writer in zip(halves, writer_keys, strict=True):
        writers[half].add(writer)
    positions_by_theme: dict[str, list[int]] = {}
    for position, c in enumerate(kept):
        entry = themes_by_comment.get(c.id)
        if entry is not None:
            for theme_id in dict.fromkeys(match.theme_id for match in entry.matches):
                positions_by_theme.setdefault(theme_id, []).append(position)
    for theme in taxonomy.themes:
        positions = positions_by_theme.get(theme.id)
        if not positions:
            continue
        mentioning = [kept[position] for position in positions]
        items = len({c.ref for c in mentioning})
        authors = count_distinct_authors(mentioning)
        concerns = [c for c in mentioning if _is_concern(c, sentiments.get(c.id))]
        concern_authors = count_distinct_authors(concerns)
        trend = _trend(writers, halves, writer_keys, positions)
        enough = items >= MIN_THEME_COMMENTS and authors >= MIN_THEME_AUTHORS
        members = len({c.subject_id for c in mentioning})
        counts.append({"theme": theme.id, "label": theme.label, "comments": items, "authors": authors,
                       "concern_authors": concern_authors, "trend": trend, "enough_data": enough,
                       **({"members": members} if team else {})})
        if not enough:
            continue
        agreement = _agreement(theme, len(concerns) / len(mentioning), evidence_counts)
        confidence = label_confidence(items=items, authors=authors,
                                      span_days=span_in_days(c.written_at for c in mentioning),
                                      agreement=agreement, rule=QUALITATIVE_RULE)
        matches = {c.id: next(m for m in themes_by_comment[c.id].matches if m.theme_id == theme.id)
                   for c in mentioning}
        quotes = [] if team else [_quote(c, matches[c.id], sentiments.get(c.id)) for c in mentioning]
        about = f" about {members} team member{'s' if members != 1 else ''}," if team else ""
        statement = (f"{theme.label} comes up in feedback{about} from {authors} people ({items} comments). "
                     + (f"{concern_authors} of them {'raises' if concern_authors == 1 else 'raise'} it as something "
                        "to work on."
                        if concern_authors else "None of them raise it as something to work on."))
        signals.append(SignalDraft(
            kind="theme", key=f"theme:{theme.id}", subject=subject, window_start=window_start,
            window_end=window_end, statement=statement,
            rule=("A sentence carries a theme when the theme classifier (its words, its meaning and its closeness "
                  "to the theme's seed phrases) scores it at least the threshold; a theme is reported when "
                  f"{MIN_THEME_COMMENTS}+ comments from {MIN_THEME_AUTHORS}+ people carry it."),
            confidence=confidence, item_refs=tuple(dict.fromkeys(c.ref for c in mentioning)),
            cannot_infer=THEMES_CANNOT_INFER,
            detail={"theme": theme.id, "label": theme.label, "dimension": theme.dimension, "trend": trend,
                    "comments": items, "authors": authors, "concern_authors": concern_authors,
                    "praise_authors": authors - concern_authors if concern_authors <= authors else 0,
                    "quotes": quotes, "taxonomy_version": taxonomy.version,
                    **({"members": members} if team else {})},
        ))
    recurring = [entry["label"] for entry in counts if entry["enough_data"]]
    enough_overall = total_items >= MIN_THEME_COMMENTS and total_authors >= MIN_THEME_AUTHORS
    if not enough_overall:
        statement = NOT_ENOUGH_DATA.format(comments=total_items, authors=total_authors)
    elif recurring:
        statement = (f"Recurring themes in {total_items} comments from {total_authors} people: "
                     + ", ".join(recurring) + ".")
    else:
        statement = (f"No theme recurs yet in {total_items} comments from {total_authors} people "
                     f"(a theme needs {MIN_THEME_COMMENTS} comments from {MIN_THEME_AUTHORS} people).")
    signals.insert(0, SignalDraft(
        kind="theme_summary", key="theme_summary", subject=subject, window_start=window_start,
        window_end=window_end, statement=statement,
        rule=f"Themes are summarised only from {MIN_THEME_COMMENTS}+ comments by {MIN_THEME_AUTHORS}+ people.",
        confidence=label_confidence(items=total_items, authors=total_authors,
                                    span_days=span_in_days(c.written_at for c in kept), agreement="single_layer",
                                    rule=QUALITATIVE_RULE),
        item_refs=tuple(dict.fromkeys(c.ref for c in kept)), cannot_infer=THEMES_CANNOT_INFER,
        detail={"themes": counts, "comments": total_items, "authors": total_authors,
                "taxonomy_version": taxonomy.version,
                **({"members": len({c.subject_id for c in kept})} if team else {})},
        # Never a finding of its own: it lists the recurring themes, and each of them is a ``theme`` signal that is
        # accepted, dismissed and cited on its own. Reviewing the list as well would ask for the same decision twice.
        enough_data=enough_overall, is_finding=False,
    ))
    return signals
