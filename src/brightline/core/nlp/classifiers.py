"""Sentiment and tone classifiers over developer text.

Both are linear models trained by ``tools/nlp/train_classifiers.py`` and shipped as plain data
(``model.json`` + ``weights.safetensors``), never as pickled code. Their features come from the
static model's sub-word tokens (:mod:`.features`): sub-word n-grams, the character grams of the
sub-words and, when ``model.json`` says so, the static sentence embedding. Each text is tokenised
once; the n-gram blocks are stored as per-token weight tables, so scoring is a gather-and-sum.
They only label text; they never change it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .contextual import (
    TunedAttackModel,
    TunedLayers,
    TunedToneModel,
    contextual_model_folder,
    tuned_attack_model,
    tuned_layers,
    tuned_tone_model,
)
from .embeddings import embed_tokens
from .features import adjacent_pairs, continuation_mask, piece_variants
from .tokens import TokenBatch, computed_ahead, static_vocabulary, tokenize
from .tone import (
    LEXICON_FEATURES,
    TARGET_FEATURES,
    LexiconReading,
    ToneTrigger,
    character_words,
    contempt_spans,
    hostile_wording,
    insult_words,
    lexicon_features,
    name_calling,
    person_attacks,
    person_directed,
    person_judgement_words,
    person_reference_starts,
    read_texts,
    sarcasm_words,
    subject_words,
    swearing,
    target_features,
    word_spans,
)

SentimentLabel = Literal["positive", "neutral", "negative"]
ToneLabel = Literal["toxic", "ok"]
ClassificationTask = Literal["sentiment", "tone"]

__all__ = ["ClassificationTask", "LinearTextClassifier", "Prediction", "SentimentLabel", "ToneLabel", "ToneTrigger",
           "bundled_classifier", "classify_sentiment", "classify_tone", "load_linear_classifier",
           "sentiment_reader_in_use", "tone_attack_stage_in_use", "tone_first_stage_in_use"]

MODELS_PATH = Path(__file__).resolve().parent / "models"
#: 2: sub-word features and per-token weight tables (2026-11-23); 1 was TF-IDF word and char n-grams.
MODEL_FORMAT_VERSION = 2
# Texts tokenised and scored at once: bounds the per-chunk arrays without costing throughput.
PREDICTION_CHUNK_SIZE = 8192

UNSUPPORTED_MODEL_FORMAT_ERROR = (
    "The classifier in {path} has format {found}; this code reads format {expected}. "
    "Retrain it with tools/nlp/train_classifiers.py."
)
VOCABULARY_MISMATCH_ERROR = (
    "The classifier in {path} was trained on a tokenizer of {found} pieces, but the bundled static model has "
    "{expected}; retrain it with tools/nlp/train_classifiers.py."
)
MISSING_ARRAY_ERROR = (
    "The classifier in {path} lacks the array {name!r} in weights.safetensors, or it has the wrong shape."
)
TEXTS_NOT_A_SEQUENCE_ERROR = "Classifiers take a sequence of strings, not a single string."
TEXTS_NEEDED_ERROR = "This classifier reads the texts as well as their tokens; pass texts= alongside the tokens."
# A word is named as a model trigger when leaving it out lowers the log-odds of the flag by at least
# this much and by at least half as much as the strongest word; at most this many are named.
TRIGGER_MIN_DROP = 0.5
# When the rules or the insult list already name words, a model word must matter this much to be added.
TRIGGER_MIN_DROP_BESIDE_RULES = 1.0
TRIGGER_MAX_MODEL_WORDS = 3
# Longer texts are explained by their first words only (the flag itself reads the whole text).
TRIGGER_MAX_WORDS = 80
MODEL_TRIGGER_REASON = "the model weighs it as hostile"
CONTEXTUAL_FILE = "contextual.safetensors"
CONTEXTUAL_SECOND_STAGE_FILE = "second_stage_contextual.safetensors"
#: Which first stage scores a text for the tone check, in words (model card, transparency report).
CONTEXTUAL_FIRST_STAGE = ("the fine-tuned contextual model (all-MiniLM-L6-v2 with its top layers trained for "
                          "toxic code-review comments), weighed together with the fast static model")
STATIC_FIRST_STAGE = "the fast static model (sub-words, static embeddings and the tone lexicon)"
#: The tuned contextual first stage is opt-in: it flags one more direct attack of the independent set (20 of 22
#: against 19) but also one more critique of the work (10.1 % against 9.0 %), a third more critique on the
#: development review sentences, and costs ~250 ms per comment (docs/models.md, tone card).
TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE = "BRIGHTLINE_TONE_FIRST_STAGE"
TONE_FIRST_STAGES = ("static", "contextual")
#: The first stage when the setting is empty. Making the contextual one the default (when its base model is
#: installed) is this one line: "contextual".
DEFAULT_TONE_FIRST_STAGE = "static"
#: The attack reader (``tools/nlp/train_tone_attack_encoder.py``): all-MiniLM-L6-v2 with its top layers fine-tuned for
#: attack on the person vs the rest on the development texts labelled with the guide. When it is shipped, its base
#: model installed and the setting does not say ``linear``, it decides the attack flag in place of the second stage's
#: linear attack score (the person rule and the wording notes stay); else the linear second stage decides, as before.
ATTACK_ENCODER_FILE = "attack_encoder.safetensors"
TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE = "BRIGHTLINE_TONE_ATTACK_STAGE"
TONE_ATTACK_STAGES = ("linear", "encoder")
DEFAULT_TONE_ATTACK_STAGE = "encoder"
ENCODER_ATTACK_STAGE = ("a fine-tuned contextual model that reads the sentence (all-MiniLM-L6-v2 with its top layers "
                        "trained on feedback and review sentences labelled attack or not)")
LINEAR_ATTACK_STAGE = "a linear model over the first stage's score, the tone lexicon and who is judged"

#: The sentiment model's second opinion (``bench/sentiment_loso_finetune.py --balanced --export-tuned``):
#: all-MiniLM-L6-v2 with its top two layers fine-tuned (class-balanced loss) for negative / neutral / positive on the
#: training splits of the five labelled sources. When it is shipped and its base model is installed, a text whose
#: fast top probability is below the model's ``unsure_below`` gets the mean of the two models' probabilities; the
#: others keep the fast model's. The shipped ``unsure_below`` is 1.0: every text gets the mean.
SENTIMENT_SECOND_OPINION_FILE = "second_opinion.safetensors"
FAST_SENTIMENT_READER = "the fast static model (sub-words, sub-word characters and static embeddings)"
CASCADE_SENTIMENT_READER = ("the fast static model averaged with a second opinion, a fine-tuned contextual model "
                            "(all-MiniLM-L6-v2 with its top layers trained for sentiment)")

_load_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Prediction:
    """One classifier decision: the label and the model's probability for that label (0..1).

    ``triggers`` names the words behind a tone flag (empty for ``ok`` and for sentiment). ``kind``
    says what a tone flag is: ``"attack"`` (on a person) or ``"wording"`` (profanity not aimed at
    anyone); empty otherwise.
    """

    label: str
    confidence: float
    triggers: tuple[ToneTrigger, ...] = ()
    kind: str = ""


@dataclass(frozen=True, slots=True)
class SecondStage:
    """What the tone check flags, decided over the first stage's score (``tools/nlp/train_tone_attack.py``).

    A three-class logistic regression (``other`` / ``attack`` / ``profane``) over the first stage's
    toxic log-odds, the lexicon features, :data:`.tone.TARGET_FEATURES` and the static embedding,
    trained on the development set labelled with the product's definition of an attack.
    """

    first_stage_weights: NDArray[np.float64]  # (1, 3)
    lexicon_weights: NDArray[np.float64]
    target_weights: NDArray[np.float64]
    embedding_weights: NDArray[np.float32]
    intercepts: NDArray[np.float64]
    attack_threshold: float
    profane_threshold: float
    #: P(attack) at which a text about a person with no praise passes the hostile-word gate without a hostile word
    #: (``None``: the gate needs a hostile word, as before 2026-12-07).
    person_gate_threshold: float | None = None
    #: The words and pairs marked with their subject (:func:`.tone.subject_words`) the stage weighs, each with its row
    #: of :attr:`subject_table`: three columns of weights (idf and scale folded in) and the squared idf that goes into
    #: the block's norm. ``None``: a stage without the block (before 2026-12-08).
    subject_vocabulary: dict[str, int] | None = None
    subject_table: NDArray[np.float64] | None = None

    def subject_scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """The subject-word block's contribution to each text's three scores (zeros without the block)."""
        scores = np.zeros((len(texts), 3))
        if self.subject_vocabulary is None or self.subject_table is None:
            return scores
        vocabulary, table = self.subject_vocabulary, self.subject_table
        for row, text in enumerate(texts):
            found = [index for index in map(vocabulary.get, subject_words(text)) if index is not None]
            if found:
                rows = table[found]
                scores[row] = rows[:, :3].sum(axis=0) / np.sqrt(rows[:, 3].sum())
        return scores

    def probabilities(self, first_stage_log_odds: NDArray[np.float64], lexicon: NDArray[np.float32],
                      targets: NDArray[np.float32], embeddings: NDArray[np.float32],
                      texts: Sequence[str] | None = None) -> NDArray[np.float64]:
        """Columns ``other``, ``attack``, ``profane``; ``texts`` are needed when the stage has the subject-word
        block."""
        scores = np.asarray(embeddings, dtype=np.float32) @ self.embedding_weights
        scores = scores.astype(np.float64) + first_stage_log_odds[:, None] @ self.first_stage_weights
        scores += lexicon.astype(np.float64) @ self.lexicon_weights + targets.astype(np.float64) @ self.target_weights
        scores += self.intercepts
        if self.subject_vocabulary is not None:
            if texts is None:
                raise ValueError(TEXTS_NEEDED_ERROR)
            scores += self.subject_scores(texts)
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class LinearTextClassifier:
    """A multinomial or binary logistic regression over the feature blocks of :mod:`.features`.

    The ``*_table`` arrays have one row per token id, token pair or piece variant: the first
    columns are the idf-weighted coefficients (one per score), the last the squared idf that
    goes into the block's norm.
    """

    labels: tuple[str, ...]
    subword_table: NDArray[np.float64]
    pair_keys: NDArray[np.int64]
    pair_table: NDArray[np.float64]
    piece_table: NDArray[np.float64] | None
    embedding_weights: NDArray[np.float32] | None
    intercepts: NDArray[np.float64]
    positive_label: str | None
    threshold: float | None
    continues_word: NDArray[np.bool_]
    lexicon_weights: NDArray[np.float64] | None = None
    person_rule: bool = False
    work_only_threshold: float | None = None
    second_stage: SecondStage | None = None
    #: The tuned contextual first stage's file (``contextual.safetensors``) and the second stage trained over its
    #: scores; used when the contextual base model is installed (:meth:`tuned_first_stage`), else the static one.
    contextual_path: Path | None = None
    contextual_second_stage: SecondStage | None = None
    #: The attack reader's file (``attack_encoder.safetensors``); used when its base model is installed
    #: (:meth:`attack_reader`).
    attack_encoder_path: Path | None = None
    #: The sentiment model's second opinion (:data:`SENTIMENT_SECOND_OPINION_FILE`) and the fast top probability
    #: below which it is asked; used when its base model is installed (:meth:`second_opinion`).
    second_opinion_path: Path | None = None
    second_opinion_below: float | None = None

    def second_opinion(self) -> TunedLayers | None:
        """The fine-tuned second opinion when it is shipped and its base model is installed, else ``None``."""
        if self.second_opinion_path is None or self.second_opinion_below is None:
            return None
        return tuned_layers(self.second_opinion_path)

    def with_second_opinion(self, probabilities: NDArray[np.float64],
                            texts: Sequence[str] | None) -> NDArray[np.float64]:
        """``probabilities`` with the rows the fast model is unsure about (top probability below
        :attr:`second_opinion_below`) replaced by the mean of its and the second opinion's; unchanged without one."""
        reader = self.second_opinion()
        if reader is None or texts is None or self.second_opinion_below is None:
            return probabilities
        unsure = np.flatnonzero(probabilities.max(axis=1) < self.second_opinion_below)
        if not len(unsure):
            return probabilities
        scores = reader.logits([texts[row] for row in unsure.tolist()]).astype(np.float64)
        scores = scores[:, [reader.labels.index(label) for label in self.labels]]
        scores -= scores.max(axis=1, keepdims=True)
        second = np.exp(scores)
        second /= second.sum(axis=1, keepdims=True)
        blended = probabilities.copy()
        blended[unsure] = (probabilities[unsure] + second) / 2
        return blended

    def attack_reader(self) -> TunedAttackModel | None:
        """The fine-tuned attack reader when it is shipped, chosen and its base model is installed, else ``None``
        (the second stage's linear attack score decides)."""
        if self.attack_encoder_path is None or not encoder_attack_stage_chosen():
            return None
        return tuned_attack_model(self.attack_encoder_path)

    def tuned_first_stage(self) -> TunedToneModel | None:
        """The fine-tuned contextual first stage when it is shipped and its base model is installed, else ``None``
        (the static first stage is used)."""
        if self.contextual_path is None or self.contextual_second_stage is None or not contextual_tone_chosen():
            return None
        return tuned_tone_model(self.contextual_path)

    def first_stage_in_use(self) -> str:
        """Which first stage scores texts, in words for the model card and the transparency report."""
        if self.tuned_first_stage() is not None:
            return CONTEXTUAL_FIRST_STAGE
        return STATIC_FIRST_STAGE

    def active_second_stage(self) -> SecondStage | None:
        """The second stage that goes with the first stage in use."""
        return self.contextual_second_stage if self.tuned_first_stage() is not None else self.second_stage

    def first_stage_log_odds(self, tokens: TokenBatch, embeddings: NDArray[np.float32] | None, texts: Sequence[str],
                             lexicon: NDArray[np.float32] | None = None) -> NDArray[np.float64]:
        """The first stage's toxic log-odds: the tuned contextual model's when it is in use (blended with this
        model's by the weight its file gives, when above zero), else this model's."""
        assert self.positive_label is not None
        tuned = self.tuned_first_stage()
        if tuned is not None and tuned.static_weight <= 0:
            return tuned.toxic_log_odds(list(texts))
        first = self.probabilities_of_tokens(tokens, embeddings, texts, lexicon=lexicon)
        static = _log_odds(first[:, self.labels.index(self.positive_label)])
        if tuned is None:
            return static
        weight = tuned.static_weight
        return np.asarray((1 - weight) * tuned.toxic_log_odds(list(texts)) + weight * static, dtype=np.float64)

    @property
    def reads_texts(self) -> bool:
        """Whether scoring needs the texts as well as their tokens (the tone lexicon and rule do)."""
        return self.lexicon_weights is not None or self.person_rule

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Class probabilities of this (fast) model, columns in ``labels`` order, for each text; :meth:`predict`
        also asks the second opinion, when there is one, about the texts it is unsure about."""
        texts = list(texts)
        return self.probabilities_of_tokens(tokenize(texts), texts=texts)

    def probabilities_of_tokens(
        self, tokens: TokenBatch, embeddings: NDArray[np.float32] | None = None,
        texts: Sequence[str] | None = None, *, lexicon: NDArray[np.float32] | None = None,
    ) -> NDArray[np.float64]:
        """Class probabilities of each row of ``tokens``.

        ``embeddings`` may pass :func:`.embeddings.embed_tokens` of the same rows when the caller
        has them already; they are computed here otherwise (and only if the model uses them).
        ``texts`` are the rows' texts; a model with a lexicon block (:attr:`reads_texts`) needs them.
        """
        scores = self._scores(tokens, embeddings, texts, lexicon)
        if scores.shape[1] == 1:
            # Binary logistic regression: one score for the second class in ``labels``.
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True), dtype=np.float64)

    def decide(self, probabilities: NDArray[np.float64]) -> tuple[list[str], list[float]]:
        """Labels and their confidences for rows of :meth:`probabilities` (threshold applied)."""
        if self.positive_label is not None and self.threshold is not None:
            column = self.labels.index(self.positive_label)
            other = self.labels[1 - column]
            flagged = probabilities[:, column] >= self.threshold
            confidences = np.where(flagged, probabilities[:, column], 1.0 - probabilities[:, column])
            labels = [self.positive_label if is_flagged else other for is_flagged in flagged.tolist()]
            return labels, confidences.tolist()
        best = probabilities.argmax(axis=1)
        names = self.labels
        return [names[index] for index in best.tolist()], probabilities[np.arange(len(best)), best].tolist()

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One :class:`Prediction` per text, in input order."""
        if isinstance(texts, str):
            raise TypeError(TEXTS_NOT_A_SEQUENCE_ERROR)
        texts = list(texts)
        predictions: list[Prediction] = []
        chunks = (texts[start : start + PREDICTION_CHUNK_SIZE] for start in range(0, len(texts), PREDICTION_CHUNK_SIZE))
        # The next chunk is tokenised (without the GIL) while this one is scored.
        for chunk, tokens in computed_ahead(tokenize, chunks):
            predictions.extend(self.predict_tokens(tokens, texts=chunk))
        return predictions

    def predict_tokens(self, tokens: TokenBatch, embeddings: NDArray[np.float32] | None = None,
                       texts: Sequence[str] | None = None) -> list[Prediction]:
        """One :class:`Prediction` per row of ``tokens`` (see :meth:`probabilities_of_tokens`).

        With ``texts``, a flag of a positive-label model names its trigger words.
        """
        if texts is None and self.reads_texts:
            raise ValueError(TEXTS_NEEDED_ERROR)
        reading = read_texts(texts) if self.reads_texts and texts is not None else None
        if self.second_stage is not None and reading is not None and texts is not None:
            return self._predict_in_two_stages(tokens, embeddings, texts, reading)
        probabilities = self.probabilities_of_tokens(
            tokens, embeddings, texts, lexicon=None if reading is None else reading.features)
        if self.second_opinion_path is not None:
            probabilities = self.with_second_opinion(probabilities, texts)
        labels, confidences = self.decide(probabilities)
        if reading is not None and self.positive_label is not None:
            self._apply_rules(reading, probabilities, labels, confidences)
        found: dict[int, tuple[ToneTrigger, ...]] = {}
        if texts is not None and self.positive_label is not None:
            flagged = [row for row, label in enumerate(labels) if label == self.positive_label]
            found = dict(zip(flagged, self.triggers_of([texts[row] for row in flagged]), strict=True))
        return [Prediction(label, confidence, found.get(row, ()))
                for row, (label, confidence) in enumerate(zip(labels, confidences, strict=True))]

    def flag_probabilities(self, tokens: TokenBatch, embeddings: NDArray[np.float32] | None, texts: Sequence[str],
                           reading: LexiconReading) -> NDArray[np.float64]:
        """The second stage's ``other`` / ``attack`` / ``profane`` probabilities of each row."""
        stage = self.active_second_stage()
        assert stage is not None and self.positive_label is not None
        if embeddings is None:
            embeddings = embed_tokens(tokens)
        odds = self.first_stage_log_odds(tokens, embeddings, texts, reading.features)
        targets = target_features(texts)
        probabilities = stage.probabilities(odds, reading.features, targets, embeddings, texts)
        reader = self.attack_reader()
        if reader is not None:
            # The reader decides the attack: its P(attack) replaces the linear one; P(profane) stays the second
            # stage's (the wording note), and "other" is what is left.
            probabilities[:, 1] = reader.attack_probabilities(texts)
            probabilities[:, 0] = np.clip(1.0 - probabilities[:, 1] - probabilities[:, 2], 0.0, 1.0)
            return probabilities
        # No hostile word, no attack: the attack probability of such a text goes to "other". A character adjective
        # in a sentence about a person counts as one, and so does a sure model about a person not praised.
        calm = ~hostile_wording(reading, targets)
        gate = stage.person_gate_threshold
        if gate is not None:
            # Read only where it can change a flag: below the attack threshold a text is no attack either way.
            rows = np.flatnonzero(calm & (probabilities[:, 1] >= stage.attack_threshold))
            if len(rows):
                aimed = person_directed([texts[row] for row in rows.tolist()])
                opened = aimed.character_judged | (aimed.person_without_praise & (probabilities[rows, 1] >= gate))
                calm[rows[opened]] = False
        probabilities[calm, 0] += probabilities[calm, 1]
        probabilities[calm, 1] = 0.0
        return probabilities

    def _predict_in_two_stages(self, tokens: TokenBatch, embeddings: NDArray[np.float32] | None,
                               texts: Sequence[str], reading: LexiconReading) -> list[Prediction]:
        """Flag an attack on a person (the second stage, or the person rule) or profanity (the second stage)."""
        stage = self.active_second_stage()
        assert stage is not None and self.positive_label is not None
        probabilities = self.flag_probabilities(tokens, embeddings, texts, reading)
        reader = self.attack_reader()
        attack_threshold = stage.attack_threshold if reader is None else reader.threshold
        rule = reading.attacks if self.person_rule else np.zeros(len(texts), dtype=bool)
        attack = (probabilities[:, 1] >= attack_threshold) | rule
        wording = ~attack & ((probabilities[:, 2] >= stage.profane_threshold) | swearing(texts))
        flagged = (attack | wording).tolist()
        other = self.labels[1 - self.labels.index(self.positive_label)]
        person_judged = reading.features[:, LEXICON_FEATURES.index("person_judged")] > 0
        rows = [row for row, is_flagged in enumerate(flagged) if is_flagged]
        found = dict(zip(rows, self.triggers_of([texts[row] for row in rows]), strict=True))
        predictions = []
        for row, is_flagged in enumerate(flagged):
            if not is_flagged:
                predictions.append(Prediction(other, float(probabilities[row, 0])))
                continue
            # Name-calling with nobody named or addressed ("what is this crap") is wording, not an attack.
            personal = not rule[row] or bool(reading.mentions_person[row] or person_judged[row]
                                              or reading.contempt[row])
            by_model = probabilities[row, 1] >= attack_threshold
            kind = "attack" if attack[row] and (personal or by_model) else "wording"
            # A rule's flag is certain given its words: confidence 1.0, not the model's probability.
            confidence = 1.0 if rule[row] else min(1.0, float(probabilities[row, 1] + probabilities[row, 2]))
            predictions.append(Prediction(self.positive_label, confidence, found.get(row, ()), kind))
        return predictions

    def _flag_log_odds(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Log-odds of a flag of any kind: the first stage's, or the second stage's attack + profane."""
        assert self.positive_label is not None
        if self.second_stage is None:
            return _log_odds(self.probabilities(texts)[:, self.labels.index(self.positive_label)])
        texts = list(texts)
        probabilities = self.flag_probabilities(tokenize(texts), None, texts, read_texts(texts, contempt=False))
        return _log_odds(probabilities[:, 1] + probabilities[:, 2])

    def _apply_rules(self, reading: LexiconReading, probabilities: NDArray[np.float64], labels: list[str],
                     confidences: list[float]) -> None:
        """The person rule flags on its own ("you are an idiot" is an attack whatever the model says); a text
        about the work only ("this hack") needs the stricter ``work_only_threshold``."""
        assert self.positive_label is not None
        column = self.labels.index(self.positive_label)
        other = self.labels[1 - column]
        if self.work_only_threshold is not None:
            below = probabilities[:, column] < self.work_only_threshold
            for row in np.flatnonzero(reading.about_the_work_only & below).tolist():
                if labels[row] == self.positive_label:
                    labels[row] = other
                    confidences[row] = float(1.0 - probabilities[row, column])
        if self.person_rule:
            # A rule's flag is certain given its words: confidence 1.0, not the model's probability.
            for row in np.flatnonzero(reading.attacks).tolist():
                labels[row] = self.positive_label
                confidences[row] = 1.0

    def triggers(self, text: str) -> tuple[ToneTrigger, ...]:
        """The words behind a flag of ``text``, in text order (see :meth:`triggers_of`)."""
        return self.triggers_of([text])[0]

    def triggers_of(self, texts: Sequence[str]) -> list[tuple[ToneTrigger, ...]]:
        """The words behind a flag of each text, in text order.

        The person rule's judgements and the insult list's words come first; then the words the
        model leans on most: those whose removal lowers the flag's log-odds the most (at least
        :data:`TRIGGER_MIN_DROP`, at most :data:`TRIGGER_MAX_MODEL_WORDS` of them). A flagged text
        always names at least one word when it has any. The texts with every word left out in
        turn are scored in one batch.
        """
        founds: list[dict[int, ToneTrigger]] = []
        spans_of: list[list[tuple[int, int]]] = []
        variants: list[str] = []
        for text in texts:
            contempt = contempt_spans(text)
            found = {trigger.start: trigger for trigger in contempt}
            extra = ([*person_judgement_words(text), *character_words(text), *sarcasm_words(text)]
                     if self.second_stage is not None else [])
            for trigger in [*person_attacks(text), *name_calling(text), *insult_words(text), *extra]:
                # A word inside a contempt form is named once, as part of the form.
                if not any(span.start <= trigger.start and trigger.end <= span.end for span in contempt):
                    found.setdefault(trigger.start, trigger)
            spans = [span for span in word_spans(text)[:TRIGGER_MAX_WORDS] if span[0] not in found]
            if found and self.second_stage is not None:
                # The rules' words say why; the second stage's leave-one-out drops would add the subject
                # ("Sam", "is") whose removal hides who is judged.
                spans = []
            elif self.second_stage is not None:
                # Nor is the subject named when no rule found words ("Kenji has never been a good teammate").
                subject = person_reference_starts(text)
                spans = [span for span in spans if span[0] not in subject] or spans
            if spans:
                variants.append(text)
                variants.extend(text[:start] + " " * (end - start) + text[end:] for start, end in spans)
            founds.append(found)
            spans_of.append(spans)
        odds_all = np.zeros(0)
        if variants and self.positive_label is not None:
            odds_all = self._flag_log_odds(variants)
        offset = 0
        results = []
        for text, found, spans in zip(texts, founds, spans_of, strict=True):
            if spans:
                odds = odds_all[offset : offset + len(spans) + 1]
                offset += len(spans) + 1
                self._name_model_words(text, found, spans, odds)
            results.append(tuple(found[start] for start in sorted(found)))
        return results

    @staticmethod
    def _name_model_words(text: str, found: dict[int, ToneTrigger], spans: list[tuple[int, int]],
                          odds: NDArray[np.float64]) -> None:
        drops = odds[0] - odds[1:]
        strongest = float(drops.max())
        order = np.argsort(-drops, kind="stable")[:TRIGGER_MAX_MODEL_WORDS]
        floor = TRIGGER_MIN_DROP_BESIDE_RULES if found else TRIGGER_MIN_DROP
        for index in order.tolist():
            drop = float(drops[index])
            named = drop >= floor and drop >= strongest / 2
            if named or (not found and index == order[0]):
                start, end = spans[index]
                found[start] = ToneTrigger(start, end, text[start:end], MODEL_TRIGGER_REASON)

    def _scores(self, tokens: TokenBatch, embeddings: NDArray[np.float32] | None,
                texts: Sequence[str] | None = None, lexicon: NDArray[np.float32] | None = None,
                ) -> NDArray[np.float64]:
        from scipy import sparse  # loaded where used: start-up stays light
        rows = len(tokens)
        outputs = len(self.intercepts)
        ones = np.ones(len(tokens.ids), dtype=np.float64)
        subwords = sparse.csr_matrix((ones, tokens.ids, tokens.starts), shape=(rows, len(self.subword_table)))
        bag = np.asarray(subwords @ self.subword_table)
        if len(self.pair_keys):
            pair_rows, keys = adjacent_pairs(tokens, len(self.subword_table))
            positions = np.minimum(np.searchsorted(self.pair_keys, keys), len(self.pair_keys) - 1)
            known = self.pair_keys[positions] == keys
            pair_starts = np.zeros(rows + 1, dtype=np.int64)
            np.cumsum(np.bincount(pair_rows[known], minlength=rows), out=pair_starts[1:])
            pairs = sparse.csr_matrix(
                (np.ones(int(pair_starts[-1])), positions[known], pair_starts), shape=(rows, len(self.pair_keys))
            )
            bag += np.asarray(pairs @ self.pair_table)
        scores = _normalised_block(bag, outputs)
        if self.piece_table is not None:
            variants = piece_variants(tokens, self.continues_word)
            pieces = sparse.csr_matrix((ones, variants, tokens.starts), shape=(rows, len(self.piece_table)))
            scores += _normalised_block(np.asarray(pieces @ self.piece_table), outputs)
        if self.embedding_weights is not None:
            vectors = embeddings if embeddings is not None else embed_tokens(tokens)
            # float32 like the vectors: converting 256 columns per row to float64 first costs more than the product.
            scores += np.asarray(vectors, dtype=np.float32) @ self.embedding_weights
        if self.lexicon_weights is not None:
            if lexicon is None:
                if texts is None:
                    raise ValueError(TEXTS_NEEDED_ERROR)
                lexicon = lexicon_features(texts)
            scores += lexicon.astype(np.float64) @ self.lexicon_weights
        scores += self.intercepts
        return scores


def _log_odds(probabilities: NDArray[np.float64]) -> NDArray[np.float64]:
    clipped = np.clip(probabilities, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=np.float64)


def _normalised_block(sums: NDArray[np.float64], outputs: int) -> NDArray[np.float64]:
    """Weighted sums divided by the root of the summed squared idf (zero for a row without features)."""
    norms = np.sqrt(sums[:, outputs])
    np.maximum(norms, 1e-12, out=norms)
    return np.ascontiguousarray(sums[:, :outputs] / norms[:, None])


def load_linear_classifier(folder: Path) -> LinearTextClassifier:
    """Read a classifier written by ``tools/nlp/train_classifiers.py`` from ``folder``.

    Raises ``ValueError`` with one of the module's error messages when the files are of another
    format version, were trained on another tokenizer, or lack an array.
    """
    from safetensors.numpy import load_file

    description = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    if description.get("format_version") != MODEL_FORMAT_VERSION:
        raise ValueError(
            UNSUPPORTED_MODEL_FORMAT_ERROR.format(
                path=folder, found=description.get("format_version"), expected=MODEL_FORMAT_VERSION
            )
        )
    vocabulary = static_vocabulary()
    if description.get("vocabulary_size") != vocabulary.size:
        raise ValueError(
            VOCABULARY_MISMATCH_ERROR.format(
                path=folder, found=description.get("vocabulary_size"), expected=vocabulary.size
            )
        )
    arrays = load_file(str(folder / "weights.safetensors"))
    outputs = len(arrays.get("intercepts", ()))

    def table(prefix: str, rows: int | None) -> NDArray[np.float64]:
        weights, norms = arrays.get(f"{prefix}_weights"), arrays.get(f"{prefix}_norms")
        if weights is None or norms is None or weights.shape[1:] != (outputs,) or norms.shape != weights.shape[:1] or (
            rows is not None and len(weights) != rows
        ):
            raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name=f"{prefix}_weights"))
        return np.ascontiguousarray(np.column_stack([weights, norms]), dtype=np.float64)

    if outputs == 0:
        raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name="intercepts"))
    pair_keys = arrays.get("pair_keys")
    if pair_keys is None:
        raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name="pair_keys"))
    features: dict[str, Any] = description["features"]
    lexicon_weights = None
    if features.get("lexicon"):
        lexicon_weights = arrays.get("lexicon_weights")
        if lexicon_weights is None or lexicon_weights.shape != (len(LEXICON_FEATURES), outputs) or list(
                features["lexicon"].get("features", [])) != list(LEXICON_FEATURES):
            raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name="lexicon_weights"))
    embedding_weights = None
    if features.get("embedding"):
        embedding_weights = arrays.get("embedding_weights")
        if embedding_weights is None or embedding_weights.shape != (vocabulary.dim, outputs):
            raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name="embedding_weights"))
    # The tuned contextual first stage is shipped with the second stage trained over its scores, or not at all.
    contextual = bool(description.get("contextual_second_stage")) and (folder / CONTEXTUAL_FILE).is_file()
    second_opinion = description.get("second_opinion") or {}
    second_opinion_path = folder / str(second_opinion.get("file", SENTIMENT_SECOND_OPINION_FILE))
    asks_second_opinion = bool(second_opinion) and second_opinion_path.is_file()
    return LinearTextClassifier(
        second_opinion_path=second_opinion_path if asks_second_opinion else None,
        second_opinion_below=float(second_opinion["unsure_below"]) if asks_second_opinion else None,
        second_stage=_second_stage(folder, description, vocabulary.dim),
        contextual_path=(folder / CONTEXTUAL_FILE) if contextual else None,
        contextual_second_stage=(_second_stage(folder, description, vocabulary.dim, "contextual_second_stage",
                                               CONTEXTUAL_SECOND_STAGE_FILE) if contextual else None),
        attack_encoder_path=(folder / ATTACK_ENCODER_FILE) if (folder / ATTACK_ENCODER_FILE).is_file() else None,
        labels=tuple(description["labels"]),
        subword_table=table("subword", vocabulary.size),
        pair_keys=np.ascontiguousarray(pair_keys, dtype=np.int64),
        pair_table=table("pair", len(pair_keys)),
        piece_table=table("piece", 2 * vocabulary.size) if features.get("subword_characters") else None,
        embedding_weights=None if embedding_weights is None else np.asarray(embedding_weights, dtype=np.float32),
        intercepts=np.asarray(arrays["intercepts"], dtype=np.float64),
        positive_label=description.get("positive_label"),
        threshold=description.get("threshold"),
        continues_word=continuation_mask(vocabulary.pieces),
        lexicon_weights=None if lexicon_weights is None else np.asarray(lexicon_weights, dtype=np.float64),
        person_rule=bool(description.get("person_rule", False)),
        work_only_threshold=description.get("work_only_threshold"),
    )


def _second_stage(folder: Path, description: dict[str, Any], dim: int, block_name: str = "second_stage",
                  file_name: str = "second_stage.safetensors") -> SecondStage | None:
    from safetensors.numpy import load_file

    block = description.get(block_name)
    if not block:
        return None
    arrays = load_file(str(folder / file_name))
    shapes = {"first_stage_weights": (1, 3), "lexicon_weights": (len(LEXICON_FEATURES), 3),
              "target_weights": (len(TARGET_FEATURES), 3), "embedding_weights": (dim, 3), "intercepts": (3,)}
    for name, shape in shapes.items():
        if name not in arrays or arrays[name].shape != shape:
            raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name=name))
    if list(block.get("lexicon_features", [])) != list(LEXICON_FEATURES) or list(
            block.get("target_features", [])) != list(TARGET_FEATURES):
        raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name="target_weights"))
    subject_vocabulary: dict[str, int] | None = None
    subject_table = None
    words_file = block.get("subject_words_file")
    if words_file:
        words = json.loads((folder / words_file).read_text(encoding="utf-8"))
        subject_vocabulary = {key: index for index, key in enumerate(words)}
        subject_table = arrays.get("subject_weights")
        if subject_table is None or subject_table.shape != (len(words), 4):
            raise ValueError(MISSING_ARRAY_ERROR.format(path=folder, name="subject_weights"))
        subject_table = np.ascontiguousarray(subject_table, dtype=np.float64)
    return SecondStage(
        subject_vocabulary=subject_vocabulary, subject_table=subject_table,
        first_stage_weights=np.asarray(arrays["first_stage_weights"], dtype=np.float64),
        lexicon_weights=np.asarray(arrays["lexicon_weights"], dtype=np.float64),
        target_weights=np.asarray(arrays["target_weights"], dtype=np.float64),
        embedding_weights=np.ascontiguousarray(arrays["embedding_weights"], dtype=np.float32),
        intercepts=np.asarray(arrays["intercepts"], dtype=np.float64),
        attack_threshold=float(block["attack_threshold"]), profane_threshold=float(block["profane_threshold"]),
        person_gate_threshold=(None if block.get("person_gate_threshold") is None
                               else float(block["person_gate_threshold"])),
    )


@cache
def bundled_classifier(task: ClassificationTask) -> LinearTextClassifier:
    """The classifier shipped for ``task``, loaded once per process."""
    with _load_lock:
        return load_linear_classifier(MODELS_PATH / task)


def contextual_tone_chosen() -> bool:
    """Whether ``BRIGHTLINE_TONE_FIRST_STAGE`` asks for the tuned contextual first stage (default:
    :data:`DEFAULT_TONE_FIRST_STAGE`).

    Raises ``ValueError`` with a sentence naming the setting and its choices for any other value."""
    return _chosen(TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE, TONE_FIRST_STAGES, DEFAULT_TONE_FIRST_STAGE) == "contextual"


def _chosen(variable: str, choices: tuple[str, ...], default: str) -> str:
    """The value of the setting ``variable`` (``default`` when empty); ``ValueError`` naming the setting and its
    choices for any other value."""
    chosen = os.environ.get(variable, "").strip().lower() or default
    if chosen not in choices:
        raise ValueError(f"{variable} must be one of {', '.join(choices)}, not {chosen!r}.")
    return chosen


def encoder_attack_stage_chosen() -> bool:
    """Whether ``BRIGHTLINE_TONE_ATTACK_STAGE`` lets the attack reader decide (default:
    :data:`DEFAULT_TONE_ATTACK_STAGE`). Raises ``ValueError`` naming the setting and its choices for any other
    value."""
    return _chosen(TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE, TONE_ATTACK_STAGES, DEFAULT_TONE_ATTACK_STAGE) == "encoder"


def tone_attack_stage_in_use() -> str:
    """What decides the tone check's attack flag, in words, without loading a model."""
    usable = ((MODELS_PATH / "tone" / ATTACK_ENCODER_FILE).is_file() and encoder_attack_stage_chosen()
              and contextual_model_folder() is not None)
    return ENCODER_ATTACK_STAGE if usable else LINEAR_ATTACK_STAGE


def tone_first_stage_in_use() -> str:
    """Which first stage the tone check runs on, in words, without loading either model: the tuned contextual one
    when it is chosen, shipped and its base model is installed, else the static one."""
    folder = MODELS_PATH / "tone"
    shipped = (folder / CONTEXTUAL_FILE).is_file() and (folder / CONTEXTUAL_SECOND_STAGE_FILE).is_file()
    usable = shipped and contextual_tone_chosen() and contextual_model_folder() is not None
    return CONTEXTUAL_FIRST_STAGE if usable else STATIC_FIRST_STAGE


def sentiment_reader_in_use() -> str:
    """What reads a text for sentiment, in words, without loading a model: the fast model alone, or with the
    fine-tuned second opinion when it is shipped and its base model is installed."""
    description = json.loads((MODELS_PATH / "sentiment" / "model.json").read_text(encoding="utf-8"))
    second_opinion = description.get("second_opinion") or {}
    shipped = bool(second_opinion) and (
        MODELS_PATH / "sentiment" / str(second_opinion.get("file", SENTIMENT_SECOND_OPINION_FILE))).is_file()
    return CASCADE_SENTIMENT_READER if shipped and contextual_model_folder() is not None else FAST_SENTIMENT_READER


def classify_sentiment(texts: Sequence[str]) -> list[Prediction]:
    """Label each text ``positive``, ``neutral`` or ``negative`` (software-engineering tuned).

    ``confidence`` is the probability of the returned label, in [0, 1]: the fast model's, or, for a text it is
    unsure about while the fine-tuned second opinion is installed, the mean of the two models'. An empty text
    is classified like any other (it usually comes out ``neutral``).
    """
    return bundled_classifier("sentiment").predict(texts)


def classify_tone(texts: Sequence[str]) -> list[Prediction]:
    """Flag each text ``toxic`` or ``ok``; the text itself is never changed.

    A text is ``toxic`` when the model's toxic probability reaches the threshold chosen on
    training data (see the model card; a text that names no person and holds no insult needs the
    stricter ``work_only_threshold``), or when the rules of :mod:`.tone` find a judgement of a
    person ("you are an idiot") or name-calling ("a moron move"). ``confidence`` is the model's
    probability of the returned label (so a ``toxic`` flag can carry one below 0.5), or 1.0 for a
    rule's flag. A flag's ``triggers`` name the words behind it (never empty for a text with words).
    """
    return bundled_classifier("tone").predict(texts)
