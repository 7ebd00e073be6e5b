"""A learned check: is a statement about work specific, vague, or a judgement of character?

The model is a multinomial logistic regression trained by ``tools/nlp/train_narrative.py`` on
labelled statements (see ``models/specificity/MODEL_CARD.md``) and shipped as plain numbers in
``models/specificity/model.json``, never as pickled code. Its features are, per statement:

* the bundled static sentence embedding (256-d, :func:`brightline.core.nlp.embed`), which carries
  what a statement means in any wording;
* which sub-word tokens occur (binary, scaled to unit length), so a word the training statements
  tied to praise or to concrete work counts the same wherever it stands;
* whether the statement contains a digit;
* concrete-behaviour markers (:data:`CONCRETE_MARKERS`): an attendance or time-keeping word, a named
  artefact or counterpart (a report, an email, a client, a deadline), a time reference ("last week",
  "twice", a month), a concrete verb ("missed", "turned in", "signed up"), and whether two or more of
  these occur; since 2026-12-06 also a before/after or measured change ("from 3.2 to 1.1 seconds"), a
  named piece of engineering or operations work ("runbook", "migration", "on-call"), and a date or
  period ("Q3", "2025", "within two days"). Review prose describes concrete behaviour in general
  words ("she often comes into the office late"); these markers let the few hundred labelled
  statements generalise to it.

A statement is flagged when ``P(vague) + P(character)`` reaches the model's threshold; the flag is
``character`` when that class is the likelier of the two. Because the model is linear, every
flag can name the words that pushed it there: :attr:`SpecificityScore.triggers`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from brightline.core.narrative.evidence import has_evidence
from brightline.core.nlp.embeddings import embed_tokens
from brightline.core.nlp.tokens import TokenBatch, static_vocabulary, tokenize
from brightline.core.nlp.tone import tone_lexicon

__all__ = [
    "LABELS",
    "MODEL_PATH",
    "SpecificityLabel",
    "SpecificityModel",
    "SpecificityScore",
    "TriggerWord",
    "bundled_model",
    "CONCRETE_MARKERS",
    "concrete_markers",
    "feature_blocks",
    "load_model",
    "model_from_payload",
    "normalise_names",
    "score_statements",
]

SpecificityLabel = Literal["specific", "vague", "character"]
LABELS: tuple[SpecificityLabel, ...] = ("specific", "vague", "character")
MODEL_PATH = Path(__file__).resolve().parent / "models" / "specificity"
MODEL_FORMAT_VERSION = 5
MAX_TRIGGERS = 3

ERROR_MODEL_FORMAT = "The narrative model in {path} has format {found}; this code reads format {expected}."
ERROR_MODEL_VOCABULARY = (
    "The narrative model in {path} was trained on a tokenizer of {found} pieces, but the bundled static model "
    "has {expected}; retrain it with tools/nlp/train_narrative.py."
)
ERROR_NOT_A_SEQUENCE = "score_statements() takes a sequence of strings, not a single string."

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_DIGIT = re.compile(r"\d")
# Function words never name what made a statement vague; they are left out of the triggers.
_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an the and or but of to in on at for with by from as is are was were be been being has have had do does "
        "did this that these those it its he she they him her his hers them their i me my we our you your very so "
        "really just also",
    )
)
_load_lock = threading.Lock()

#: Concrete-behaviour markers, one feature each (plus "two or more of them"); chosen by grouped cross-validation
#: on the training statements of ``tools/nlp/train_narrative.py``, never on an evaluation set.
CONCRETE_MARKERS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # attendance and time-keeping
        r"\b(late|early|on time|punctual\w*|absen\w+|attendance|sick|call(s|ed|ing)? (out|off|in)|breaks?|lunch\w*|"
        r"shifts?|vacation|time ?stamps?|clock(s|ed)? (in|out)|tardy|after hours|overtime|weekends?|shows? up|"
        r"arriv\w+|leaves?|hours)\b",
        # a named artefact or counterpart
        r"\b(reports?|e-?mails?|phones?|meetings?|clients?|customers?|deadlines?|filings?|sessions?|workshops?|"
        r"conferences?|boot ?camps?|courses?|surveys?|audits?|spreadsheets?|excel|presentations?|pitch(es)?|"
        r"invoices?|tickets?|proposals?|documentation|dress code|awards?|portfolios?|sales|quotas?|targets?|"
        r"budgets?|pages?|typos|paragraphs?|edits|drafts?|casework|hires?|colleagues who)\b",
        # a time reference or a count
        r"\b((this|last|next|past) (week|month|monday|tuesday|wednesday|thursday|friday|weekend)|yesterday|twice|"
        r"once|(two|three|four|five|six|several) times|(first|second|third|fourth|fifth) \w+|january|february|"
        r"march|april|june|july|august|september|october|november|december|(on|every) (mondays?|tuesdays?|"
        r"wednesdays?|thursdays?|fridays?)|(one|two|three|four|five|six|seven|eight|nine|ten|a couple|a few) "
        r"(weeks?|days?|hours?|months?|times|reports?|projects?|clients?|customers?|members?)|\d)\b",
        # a concrete verb
        r"\b(missed|failed to|turned (in|it in)|submitted|signed (himself |herself |themselves )?up|built|filed|"
        r"ignored|plagiari\w+|redo|redone|re-done|rescheduled|caught|spoken|spoke|told|asked (him|her|them)|"
        r"attended|presented|wrote|drafted|closed|sold|onboarded|trained|coached|led|completed the|delivered the|"
        r"stay(ed|s)? (late|past)|call(ed|s) (out|off|in)|comes? (in|into) (work|the office))\b",
        # a before/after or a measured change ("from 3.2 to 1.1 seconds", "cut the close by half")
        r"\b(from (about |around |over |under )?\$?[\d.,]+\s*%?\s*\w* (to|down to|up to) (about |under |over )?"
        r"\$?[\d.,]+|(cut|reduced|raised|increased|decreased|dropped|fell|rose|grew|halved|doubled|tripled|saved|"
        r"saving|lowered|shortened|sped up)\b[^.;]{0,40}\b(by|from|to|under|below|above) (about |around |over |"
        r"under )?(\$|half|\d))",
        # a named piece of engineering or operations work, or an event
        r"\b(runbooks?|dashboards?|wiki|guides?|checklists?|contracts?|polic(y|ies)|releases?|migrat\w+|drills?|"
        r"backlogs?|inbox|rota|rotation|on-call|pipelines?|databases?|servers?|clusters?|scripts?|unit tests?|"
        r"test coverage|crm|integrations?|widgets?|newsletters?|calendars?|questionnaires?|timesheets?|manuals?|"
        r"agendas?|scorecards?|outages?|incidents?|escalations?|pull requests?|bugs?|exports?|backups?|"
        r"postmortems?|interviews?|candidates?|accounts?|applications?|grants?|venues?|vendors?|suppliers?|"
        r"auditors?|regression tests?|pilot|launch|kickoff|stand-ups?|one-on-ones?|sprints?)\b",
        # a date or a period
        r"\b(q[1-4]|(19|20)\d\d|h[12]|first half|second half|year end|month-end|quarter-end|by (monday|tuesday|"
        r"wednesday|thursday|friday)|within (\d+|one|two|three|a) (business )?(hours?|days?|weeks?))\b",
    )
)
#: Evaluation features (format 5, session 12): what a judgement without its evidence looks like in any wording.
#: Praise and judgement words come from the VADER lexicon the tone check ships (``core/nlp/models/tone_lexicon``,
#: words its raters put at +1.0 or more and at -1.0 or less), not from a list written for this model; frequency and
#: degree adverbs are closed word classes. Columns: praise word, negative judgement word, frequency adverb (a habit,
#: "always", "consistently"), degree adverb ("very", "extremely"), a judgement with no instance behind it (a praise or
#: judgement word and no digit, date or period, time reference or evidence), and evidence
#: (:func:`.evidence.find_evidence`: a number with its unit, code, a name of a system, a before/after, a date).
EVALUATION_FEATURES = ("praise", "judgement", "habit", "degree", "judgement_without_instance", "evidence")
_HABIT_WORDS = re.compile(
    r"\b(always|never|consistently|constantly|continually|often|oftentimes|usually|regularly|routinely|generally|"
    r"typically|frequently|rarely|seldom|normally|invariably|tends? to|continues? to)\b",
    re.IGNORECASE,
)
_DEGREE_WORDS = re.compile(
    r"\b(very|really|extremely|incredibly|truly|highly|so|super|exceptionally|remarkably|absolutely|quite|such|"
    r"most|best|greatest|hugely|immensely|tremendously|utterly|totally|definitely|overall)\b",
    re.IGNORECASE,
)
_LOWER_WORD = re.compile(r"[a-z][a-z'\-]*")
MARKER_FEATURES = len(CONCRETE_MARKERS) + 1 + len(EVALUATION_FEATURES)

#: A capitalised word inside a sentence: in review prose almost always a person's name ("Peter Lloyd has been ...").
#: Names say nothing about how specific a statement is, but a few hundred training statements tie them to praise,
#: so the embedding and the tokens read every such word as one placeholder name (format 3, 2026-12-06). Months and
#: weekdays stay: they are dates. Concrete markers are read on the original text.
_CALENDAR_WORDS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
)
_INNER_CAPITALISED = re.compile(rf"(?<=[\w,;:)] )(?!(?:{_CALENDAR_WORDS})\b)[A-Z][a-z]+(?='s\b|\b)")
PLACEHOLDER_NAME = "Sam"
#: The first word of a sentence is a name when it stands as the subject: a capitalised word followed by a possessive,
#: or (after an optional surname) by an auxiliary or one of the verbs and adverbs reviews put after a person
#: ("Margaret has shown …", "Zachary is slow …", "Libby's work …"). Words that start sentences as function words or
#: abstract nouns ("However", "Communication is", "Attendance has") are not names (since 2026-12-07).
_SUBJECT_NAME = re.compile(
    r"^(?P<lead>\W*)(?P<name>[A-Z][a-z]{2,})(?='s\b|\s+(?:[A-Z][a-z]+\s+)?(?:is|was|has|had|have|does|did|do|can|"
    r"could|will|would|should|may|might|must|needs|seems|shows|showed|appears|always|never|often|consistently|"
    r"continues|tends|takes|took|gets|got|makes|made|works|worked|brings|comes|came|goes|went|exceeds|exceeded|"
    r"meets|met|demonstrates|demonstrated|displays|possesses|knows|understands|handles|completes|completed|performs|"
    r"performed|struggles|excels|really|also|just|truly)\b)"
)
_NOT_NAMES = frozenset(
    re.findall(
        r"[a-z]+",
        "the this that these those its his her hers him she they them their there here then what which who whom whose "
        "why how when while where because although though since after before once until unless whether also however "
        "overall additionally furthermore moreover finally lastly unfortunately fortunately always never often "
        "sometimes usually everyone everybody someone somebody nobody anyone anybody each every all some any most many "
        "much more less few several both either neither one not yes please thanks being having doing despite given "
        "regarding considering whereas even just only still again would could should our your you",
    )
)
_ABSTRACT_SUFFIX = re.compile(r"(?:tion|sion|ment|ness|ity|ance|ence|ing|ship|ism|ure|ery|ly|ies)$")


def _subject_name(text: str) -> re.Match[str] | None:
    """The first word of ``text`` when it reads as a person's name standing as the subject (see ``_SUBJECT_NAME``)."""
    found = _SUBJECT_NAME.match(text)
    if found is None:
        return None
    word = found.group("name").lower()
    return None if word in _NOT_NAMES or _ABSTRACT_SUFFIX.search(word) else found


def normalise_names(text: str) -> str:
    """``text`` with every capitalised word inside a sentence (not a month or weekday), and a first word that stands
    as a person's name, read as one placeholder name."""
    text = _INNER_CAPITALISED.sub(PLACEHOLDER_NAME, text)
    first = _subject_name(text)
    if first is not None:
        text = text[: first.start("name")] + PLACEHOLDER_NAME + text[first.end("name") :]
    return text


@dataclass(frozen=True, slots=True)
class TriggerWord:
    """A word that pushed the statement towards a flag; offsets are into the scored text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class SpecificityScore:
    """The model's reading of one statement."""

    label: SpecificityLabel
    flagged: bool
    probabilities: tuple[float, float, float]
    triggers: tuple[TriggerWord, ...]

    @property
    def weak_probability(self) -> float:
        """``P(vague) + P(character)``: the number compared with the threshold."""
        return self.probabilities[1] + self.probabilities[2]


@dataclass(frozen=True, slots=True)
class SpecificityModel:
    """The weights of ``model.json``: one column per label in :data:`LABELS` order."""

    embedding_weights: NDArray[np.float64]  # (256, 3)
    token_weights: NDArray[np.float64]  # (vocabulary size, 3); zero for tokens never seen in training
    digit_weights: NDArray[np.float64]  # (3,)
    marker_weights: NDArray[np.float64]  # (MARKER_FEATURES, 3)
    intercepts: NDArray[np.float64]  # (3,)
    threshold: float

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """``(len(texts), 3)`` class probabilities."""
        embeddings, token_sets, digits, markers = feature_blocks(texts)
        return _softmax(self._logits(embeddings, token_sets, digits, markers))

    def _logits(
        self,
        embeddings: NDArray[np.float32],
        token_sets: list[NDArray[np.int64]],
        digits: NDArray[np.float64],
        markers: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        logits = embeddings.astype(np.float64) @ self.embedding_weights + self.intercepts
        logits += digits[:, None] * self.digit_weights
        logits += markers @ self.marker_weights
        for row, tokens in enumerate(token_sets):
            if len(tokens):
                logits[row] += self.token_weights[tokens].sum(axis=0) / np.sqrt(len(tokens))
        return logits

    def score(self, texts: Sequence[str]) -> list[SpecificityScore]:
        """Label, flag and trigger words for each text."""
        if isinstance(texts, str):
            raise TypeError(ERROR_NOT_A_SEQUENCE)
        texts = list(texts)
        if not texts:
            return []
        tokens = tokenize([normalise_names(text) for text in texts])
        sums = _token_sums(tokens)
        embeddings = embed_tokens(tokens)
        token_sets = _token_sets(tokens)
        digits = np.array([1.0 if _DIGIT.search(text) else 0.0 for text in texts])
        probabilities = _softmax(self._logits(embeddings, token_sets, digits, model_markers(texts)))
        scores = []
        for row, text in enumerate(texts):
            p = probabilities[row]
            flagged = bool(p[1] + p[2] >= self.threshold)
            label: SpecificityLabel = ("character" if p[2] > p[1] else "vague") if flagged else "specific"
            triggers = self._triggers(text, label, sums[row], token_sets[row]) if flagged else ()
            scores.append(SpecificityScore(label, flagged, (float(p[0]), float(p[1]), float(p[2])), triggers))
        return scores

    def _triggers(
        self, text: str, label: SpecificityLabel, text_sum: NDArray[np.float32], token_set: NDArray[np.int64]
    ) -> tuple[TriggerWord, ...]:
        """The words whose share of the logit margin (flag class minus ``specific``) is largest."""
        names = {match.start() for match in _INNER_CAPITALISED.finditer(text)}
        first = _subject_name(text)
        if first is not None:
            names.add(first.start("name"))
        words = [
            match
            for match in _WORD.finditer(text)
            if match.group().lower() not in _FUNCTION_WORDS and match.start() not in names
        ]
        if not words:
            return ()
        column = LABELS.index(label)
        embedding_direction = self.embedding_weights[:, column] - self.embedding_weights[:, 0]
        token_direction = self.token_weights[:, column] - self.token_weights[:, 0]
        norm = float(np.linalg.norm(text_sum)) or 1.0
        in_text = set(token_set.tolist())
        scale = 1.0 / np.sqrt(max(len(in_text), 1))
        word_tokens = tokenize([match.group() for match in words])
        word_sums = _token_sums(word_tokens)
        contributions = []
        counted: set[int] = set()
        for index, match in enumerate(words):
            ids = word_tokens.ids[word_tokens.starts[index] : word_tokens.starts[index + 1]]
            share = float(word_sums[index].astype(np.float64) @ embedding_direction) / norm
            for token in {int(token) for token in ids} & in_text - counted:
                share += float(token_direction[token]) * scale
                counted.add(token)
            contributions.append((share, match))
        chosen = sorted((item for item in contributions if item[0] > 0), key=lambda item: -item[0])[:MAX_TRIGGERS]
        return tuple(
            TriggerWord(match.start(), match.end(), match.group())
            for _, match in sorted(chosen, key=lambda item: item[1].start())
        )


def _softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def _token_sums(tokens: TokenBatch) -> NDArray[np.float32]:
    from brightline.core.nlp.embeddings import token_vector_sums

    return token_vector_sums(tokens)


def _token_sets(tokens: TokenBatch) -> list[NDArray[np.int64]]:
    unknown = static_vocabulary().unknown_id
    sets = []
    for row in range(len(tokens)):
        ids = tokens.ids[tokens.starts[row] : tokens.starts[row + 1]]
        sets.append(np.unique(ids[ids != unknown]).astype(np.int64))
    return sets


def concrete_markers(texts: Sequence[str]) -> NDArray[np.float64]:
    """``(len(texts), MARKER_FEATURES)``: which :data:`CONCRETE_MARKERS` occur (0/1), then "two or more" (0/1)."""
    found = np.array([[1.0 if marker.search(text) else 0.0 for marker in CONCRETE_MARKERS] for text in texts])
    found = found.reshape(len(texts), len(CONCRETE_MARKERS))
    result: NDArray[np.float64] = np.hstack([found, (found.sum(axis=1, keepdims=True) >= 2).astype(np.float64)])
    return result


def evaluation_features(texts: Sequence[str], concrete: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """``(len(texts), len(EVALUATION_FEATURES))``; ``concrete`` is :func:`concrete_markers` of the same texts."""
    lexicon = tone_lexicon()
    if concrete is None:
        concrete = concrete_markers(texts)
    rows = []
    for index, text in enumerate(texts):
        words = _LOWER_WORD.findall(text.lower())
        praise = sum(1 for word in words if word in lexicon.praise)
        judgement = sum(1 for word in words if lexicon.judgements.get(word, 0.0) <= -1.0)
        evidence = has_evidence(text)
        instance = bool(_DIGIT.search(text)) or bool(concrete[index, 2]) or bool(concrete[index, 6]) or evidence
        rows.append(
            [
                min(praise, 2) / 2,
                min(judgement, 2) / 2,
                1.0 if _HABIT_WORDS.search(text) else 0.0,
                1.0 if _DEGREE_WORDS.search(text) else 0.0,
                1.0 if (praise or judgement) and not instance else 0.0,
                1.0 if evidence else 0.0,
            ]
        )
    return np.array(rows, dtype=np.float64).reshape(len(texts), len(EVALUATION_FEATURES))


def model_markers(texts: Sequence[str]) -> NDArray[np.float64]:
    """The model's marker block: :func:`concrete_markers` then :func:`evaluation_features`."""
    concrete = concrete_markers(texts)
    return np.hstack([concrete, evaluation_features(texts, concrete)])


def feature_blocks(
    texts: Sequence[str],
) -> tuple[NDArray[np.float32], list[NDArray[np.int64]], NDArray[np.float64], NDArray[np.float64]]:
    """The model's inputs: embeddings and the distinct known token ids (of :func:`normalise_names`), has-a-digit
    (0/1), :func:`concrete_markers`."""
    texts = list(texts)
    tokens = tokenize([normalise_names(text) for text in texts])
    digits = np.array([1.0 if _DIGIT.search(text) else 0.0 for text in texts])
    return embed_tokens(tokens), _token_sets(tokens), digits, model_markers(texts)


def load_model(folder: Path) -> SpecificityModel:
    """Read a model written by ``tools/nlp/train_narrative.py``."""
    return model_from_payload(json.loads((folder / "model.json").read_text(encoding="utf-8")), folder)


def model_from_payload(payload: dict[str, Any], folder: Path | str = "memory") -> SpecificityModel:
    """A model from the contents of a ``model.json`` (``folder`` only names it in errors)."""
    if payload.get("format") != MODEL_FORMAT_VERSION:
        found = payload.get("format")
        raise ValueError(ERROR_MODEL_FORMAT.format(path=folder, found=found, expected=MODEL_FORMAT_VERSION))
    vocabulary = static_vocabulary()
    if int(payload["vocabulary_size"]) != vocabulary.size:
        raise ValueError(
            ERROR_MODEL_VOCABULARY.format(path=folder, found=payload["vocabulary_size"], expected=vocabulary.size)
        )
    token_weights = np.zeros((vocabulary.size, len(LABELS)), dtype=np.float64)
    ids = np.asarray(payload["token_ids"], dtype=np.int64)
    if len(ids):
        token_weights[ids] = np.asarray(payload["token_weights"], dtype=np.float64)
    return SpecificityModel(
        embedding_weights=np.asarray(payload["embedding_weights"], dtype=np.float64),
        token_weights=token_weights,
        digit_weights=np.asarray(payload["digit_weights"], dtype=np.float64),
        marker_weights=np.asarray(payload["marker_weights"], dtype=np.float64).reshape(MARKER_FEATURES, len(LABELS)),
        intercepts=np.asarray(payload["intercepts"], dtype=np.float64),
        threshold=float(payload["threshold"]),
    )


@cache
def bundled_model() -> SpecificityModel:
    """The shipped model, loaded once per process."""
    with _load_lock:
        return load_model(MODEL_PATH)


def score_statements(texts: Sequence[str]) -> list[SpecificityScore]:
    """Score each statement with the shipped model."""
    return bundled_model().score(texts)
