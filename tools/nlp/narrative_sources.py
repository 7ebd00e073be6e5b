"""Across sources: the narrative model trained without one source of statements and scored on it (session 13).

Run from the repository root (about a minute per variant on one core):

    PYTHONPATH=src .venv/bin/python tools/nlp/narrative_sources.py [--variant shipped|instance|no-tokens ...]
        [--with-forum] [--c C]

Out-of-fold figures (``tools/nlp/narrative_dev.py``) keep a review's sentences in one fold, but the crowd writers of
``perf_review_text`` wrote many reviews each, and the rules and features were developed on these statements, so they
flatter the model. Here each source is left out whole: the model is fitted on every other source (the trainer's
features, weights and C) and scores the left-out statements. The threshold is the one the trainer's rule chooses for
that variant out of fold on all statements, so a left-out figure differs from its out-of-fold one (``oof``) only by
what the model learned from the source itself; the area under the ROC curve (weak against specific) needs no
threshold. The model alone, not the rules.

Sources: ``perf`` (one labeller's review sentences), ``review 2L`` (review sentences two labellers labelled: the first
set's and the third pool's, from reviews ``perf`` does not hold), ``prcomment`` (pull-request comment sentences, two
labellers), ``own`` (statements the team wrote: ``own``, ``own_review``), ``fixture``, ``changelog`` (change-log
entries, two labellers), ``cr`` (sentences of useful code-review comments, all ``specific``) and, with
``--with-forum``, ``forum`` (:func:`forum_examples`).

Variants: ``shipped`` — the features of :mod:`brightline.core.narrative.specificity`; ``no-tokens`` — without the
sub-word token block; ``instance`` — the shipped features plus :func:`instance_features` (tried in session 13, not
shipped: the model card has the figures).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_narrative as training  # noqa: E402

from brightline.core.narrative.evidence import has_evidence  # noqa: E402
from brightline.core.narrative.sentences import split_sentences  # noqa: E402
from brightline.core.narrative.specificity import (  # noqa: E402
    CONCRETE_MARKERS,
    PLACEHOLDER_NAME,
    concrete_markers,
    normalise_names,
)
from brightline.core.nlp.tokens import static_vocabulary  # noqa: E402

PARTS = {
    "perf": ("perf",),
    "review 2L": ("v1_perf", "dev3_perf"),
    "prcomment": ("dev3_prcomment",),
    "own": ("own", "own_review"),
    "fixture": ("fixture",),
    "changelog": ("v1_changelog", "dev3_changelog"),
    "cr": ("cr",),
    "forum": ("forum",),
}
EMBEDDING_DIM = 256
VARIANTS = ("shipped", "no-tokens", "instance")

#: Judging sentences of Stack Overflow posts, one labeller (session 13; ``narrative_train/README.md``).
FORUM_LABELS = training.TRAIN_DIR / "senti4sd_judging_labels.csv"
SENTI4SD = training.DATA_DIR / "senti4sd" / "senti4sd_polarity.csv"


def forum_examples() -> list[training.Example]:
    """Sentences of Senti4SD posts (``../shared/data/senti4sd/``, MIT; Stack Overflow text, CC BY-SA) that carry a
    praise or negative judgement word of the VADER lexicon the tone check ships, labelled from the guide's narrative
    task: how people praise and criticise work in a technical forum ("Excellent, this works perfectly!", "The built in
    ones are awful."). The file keeps references (``post id#sentence index`` of
    :func:`brightline.core.narrative.sentences.split_sentences`); ``other`` is dropped, as in training."""
    if not FORUM_LABELS.exists() or not SENTI4SD.exists():
        return []
    with SENTI4SD.open(newline="", encoding="utf-8") as handle:
        posts = {row["id"]: row["text"] for row in csv.DictReader(handle)}
    examples = []
    with FORUM_LABELS.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["label"] not in training.LABELS:
                continue
            post, index = row["ref"].split("#")
            text = split_sentences(posts[post])[int(index)].text.strip()
            examples.append(training.Example(text, row["label"], "forum", f"forum:{post}"))
    return examples


# Instance features (session 13, not shipped): does a concrete-behaviour marker stand with one particular occasion
# behind it ("wrote the budget report", "missed two deadlines") or in a generic form ("meets deadlines regularly",
# "all of her work", "will deliver")?
_WITHOUT_INSTANCE_MARKERS = (0, 1, 3, 5)  # attendance, named artefact, concrete verb, named engineering work
_INSTANCE_MARKERS = [2, 4, 6]  # time reference or count, before/after, date or period
_PAST_EVENT = re.compile(
    r"\b([a-z]{3,}ed|wrote|led|ran|built|took|made|gave|found|sent|won|sold|shipped|set up|brought|drove|met|taught|"
    r"held|caught|cut|moved|broke|spoke|told)\s+(the|a|an|two|three|four|five|\d+|our|their|his|her)\b",
    re.IGNORECASE,
)
_PARTICULAR_OBJECT = re.compile(
    r"\b(the|this|that|a|an|one|our)\s+([\w-]+\s+){0,2}(report|project|presentation|meeting|client|release|"
    r"migration|launch|audit|proposal|campaign|event|outage|incident|account|bug|ticket|contract|course|workshop|"
    r"deal|conference|survey|policy|dashboard|feature|module|endpoint|page|test|command|option|flag|parameter|"
    r"function|method|class|file|error|crash|warning|message)\b",
    re.IGNORECASE,
)
_GENERIC_OBJECT = re.compile(
    r"\b(all|every|each|any|most|many|her|his|their|your|the)\s+(own\s+|assigned\s+|daily\s+|regular\s+)?"
    r"(work|tasks?|assignments?|duties|deadlines?|projects?|reports?|job|responsibilities|goals?|targets?|"
    r"deliverables?|work product|objectives|expectations|requirements|role)\b"
    r"|\b(meets?|met|meeting|completes?|completed|completing|finish(es|ed)?|submits?|submitted|turns? in|"
    r"handles?|delivers?|hits?|achieves?|exceeds?|exceeded)\s+(all\s+)?(of\s+)?(\w+\s+)?(deadlines|tasks|"
    r"assignments|projects|reports|goals|targets|work|duties|expectations|objectives)\b",
    re.IGNORECASE,
)
_HABIT_PRESENT = re.compile(
    rf"\b(he|she|they|{PLACEHOLDER_NAME}|who)\s+((always|never|often|usually|consistently|rarely|also|regularly|"
    r"constantly|continually|generally|really|truly)\s+)?(?!is\b|has\b|was\b|does\b|as\b|us\b|this\b|plus\b)"
    r"([a-z]{3,}s)\b",
    re.IGNORECASE,
)
_MODAL = re.compile(r"\b(will|would|can|could|able to|capable of|should|may|might|must)\b", re.IGNORECASE)


def instance_features(texts: Sequence[str]) -> np.ndarray:
    """``(len(texts), 7)``: an attendance marker, a named artefact, a concrete verb, a named piece of engineering work
    — each with no instance —, any marker with no instance, an instance (a digit, a time reference, a before/after, a
    date, evidence, a past-tense verb with its object, one particular thing), a marker in a generic form with no
    instance."""
    concrete = concrete_markers(texts)
    rows = []
    for index, text in enumerate(texts):
        named = normalise_names(text)
        instance = (
            bool(re.search(r"\d", text))
            or bool(concrete[index, _INSTANCE_MARKERS].any())
            or has_evidence(text)
            or bool(_PAST_EVENT.search(named) or _PARTICULAR_OBJECT.search(named))
        )
        marked = bool(concrete[index, : len(CONCRETE_MARKERS)].any())
        generic = bool(_GENERIC_OBJECT.search(named) or _HABIT_PRESENT.search(named) or _MODAL.search(named))
        rows.append([
            *(float(concrete[index, column] and not instance) for column in _WITHOUT_INSTANCE_MARKERS),
            float(marked and not instance),
            float(instance),
            float(marked and generic and not instance),
        ])
    return np.array(rows, dtype=np.float64).reshape(len(texts), 7)


def _share(scores: np.ndarray, rows: np.ndarray, threshold: float) -> str:
    return f"{(scores[rows] >= threshold).mean():.3f}" if rows.any() else "–"


def _auc(weak: np.ndarray, scores: np.ndarray) -> str:
    return f"{roc_auc_score(weak, scores):.3f}" if weak.any() and (~weak).any() else "–"


def variant_features(variant: str, full: sparse.csr_matrix, texts: Sequence[str]) -> sparse.csr_matrix:
    """The design matrix of a variant, from the trainer's ``full`` matrix of the same texts."""
    if variant == "shipped":
        return full
    if variant == "no-tokens":
        keep = np.ones(full.shape[1], dtype=bool)
        keep[EMBEDDING_DIM : EMBEDDING_DIM + static_vocabulary().size] = False
        return sparse.csr_matrix(full[:, np.flatnonzero(keep)])
    if variant == "instance":
        return sparse.hstack([full, sparse.csr_matrix(instance_features(texts))]).tocsr()
    raise SystemExit(f"unknown variant {variant}; choose from {', '.join(VARIANTS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--variant", nargs="+", choices=VARIANTS, default=["shipped"])
    parser.add_argument("--with-forum", action="store_true", help="train and score with forum_examples() too")
    parser.add_argument("--c", type=float, default=0.5)
    args = parser.parse_args(argv)
    examples = training.load_examples() + (forum_examples() if args.with_forum else [])
    texts = [example.text for example in examples]
    labels = np.array([example.label for example in examples])
    weights = np.array([example.weight for example in examples])
    groups = np.array([example.group for example in examples])
    sources = np.array([example.source for example in examples])
    full = training.design_matrix(texts)
    weak = labels != "specific"
    for variant in args.variant:
        features = variant_features(variant, full, texts)
        out_of_fold = training.flag_probability(training.out_of_fold(features, labels, weights, groups, args.c))
        threshold, _ = training.choose_threshold(out_of_fold, labels, sources)
        forum = " with forum sentences" if args.with_forum else ""
        print(f"variant {variant}{forum}, C={args.c}, threshold {threshold:.2f} (trainer's rule, out of fold)")
        print(f"  {'left out':10s} {'weak':>5s} {'recall':>7s} {'(oof)':>7s} {'specific':>9s} {'flagged':>8s} "
              f"{'(oof)':>7s} {'AUC':>6s} {'(oof)':>6s}")
        for part, members in PARTS.items():
            held = np.isin(sources, members)
            if not held.any():
                continue
            model = training.fit(features[~held], labels[~held], weights[~held], args.c)
            order = [list(model.classes_).index(label) for label in training.LABELS]
            left_out = training.flag_probability(model.predict_proba(features[held])[:, order])
            fold = out_of_fold[held]
            w, s = weak[held], ~weak[held]
            print(f"  {part:10s} {int(w.sum()):5d} {_share(left_out, w, threshold):>7s} "
                  f"{_share(fold, w, threshold):>7s} {int(s.sum()):9d} {_share(left_out, s, threshold):>8s} "
                  f"{_share(fold, s, threshold):>7s} {_auc(w, left_out):>6s} {_auc(w, fold):>6s}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
