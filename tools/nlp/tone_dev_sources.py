"""More real development texts for the tone check's second stage, read at training time (never committed).

Three sources join the 500 texts of ``eval/tone_dev_labels.csv`` and the synthetic texts:

* **the first evaluation set** (``eval/tone_labels.csv``, 270 items): seen by a dozen candidates since it was
  fixed, so it is development data since 2026-12-07; its settled labels are used as they are;
* **the review sentences** of ``dev_data/tone_perf_dev_labels.csv`` (200 items, one labeller);
* **sentences of Ferreira, Rafiq and Cheng's incivility data set** (``ferreira-isa/incivility_detection``,
  GPL-3.0, GitHub issue comments and Linux kernel review e-mails, read from the local clone at the commit
  ``eval_pool_v2`` fixes), every row **except** those the second evaluation set (``tone_v2``) drew or whose text
  one of its items has. The data set labels each sentence with one incivility or civility type; the types map to
  the labelling guide's labels (``eval/GUIDE.md``, task 1) by :data:`INCIVILITY_LABELS`, from the data set's
  definitions and the guide alone.

The mapping, and why:

* ``name_calling`` and ``mocking`` are attacks when the sentence refers to a person ("you", "he", "they",
  "people", …: :data:`_PERSON`, the pattern the v2 pool drew with); without one the target may be the work or a
  company, which the guide calls critique or profanity, so those rows are left out;
* ``vulgarity`` is profanity when no person is referred to (swearing at no one); with one it may be swearing at
  someone (an attack by the guide), so it is left out;
* ``bitter_frustration``, ``impatience`` (uncivil), ``dissatisfaction``, ``commanding`` and ``expectation``
  (civil) are critique: strong or blunt words about the work, a decision or the process, which the data set
  keeps apart from name calling and mocking;
* ``considerateness``, ``humility``, ``sincere_apologies``, ``appreciation_excitement``, ``friendly_joke``,
  ``hope_to_get_feedback`` and ``sadness`` are neutral;
* ``irony``, ``threat`` and ``oppression`` are left out: irony may or may not be aimed at a person, and a threat
  to ban or block someone is neither an insult nor a judgement of the person in the guide's terms.

The labels were given to whole comments' sentences by the data set's authors, not by this project's guide, so
they are noisier than the development set's; they train with weight :data:`INCIVILITY_WEIGHT`.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import eval_pool
import eval_pool_v2

TRAIN_DIR = Path(__file__).resolve().parent
V1_LABELS = eval_pool.EVAL_DIR / "tone_labels.csv"
PERF_DEV = TRAIN_DIR / "dev_data" / "tone_perf_dev_labels.csv"
INCIVILITY_WEIGHT = float(os.environ.get("TONE_INCIVILITY_WEIGHT", "0.5"))

#: The incivility data set's types and the guide's label each maps to; ``None`` leaves the row out. Attack and
#: profanity depend on whether a person is referred to (:func:`incivility_label`).
INCIVILITY_LABELS: dict[str, str | None] = {
    "name_calling": "attack", "mocking": "attack", "vulgarity": "profane",
    "bitter_frustration": "critique", "impatience": "critique", "dissatisfaction": "critique",
    "commanding": "critique", "expectation": "critique",
    "considerateness": "neutral", "humility": "neutral", "sincere_apologies": "neutral",
    "appreciation_excitement": "neutral", "friendly_joke": "neutral", "hope_to_get_feedback": "neutral",
    "sadness": "neutral",
    "irony": None, "threat": None, "oppression": None,
}
_PERSON = eval_pool_v2._PERSON


def incivility_label(kind: str, text: str) -> str | None:
    """The guide's label of an incivility sentence of type ``kind``, or ``None`` to leave it out."""
    label = INCIVILITY_LABELS.get(kind)
    person = _PERSON.search(text) is not None
    if label == "attack" and not person or label == "profane" and person:
        return None
    return label


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def v2_references() -> tuple[set[tuple[str, str]], set[str]]:
    """``(source, ref)`` of every item of the second tone set and their texts, normalised: what the development
    rows must never share. The texts are read only to compare; nothing here reads the set's labels."""
    pool = eval_pool_v2.load_pool("tone_v2")
    refs = {(row["source"], row["ref"]) for row in pool}
    texts = {_normalised(eval_pool_v2.resolve(row["source"], row["ref"])) for row in pool}
    return refs, texts


def incivility_rows() -> list[tuple[str, str, str]]:
    """``(ref, text, label)`` of the incivility sentences kept for development (see the module's docstring)."""
    refs, texts = v2_references()
    seen: set[str] = set()
    rows = []
    for item, kind in eval_pool_v2.incivility_rows():
        key = _normalised(item.text)
        if ("incivility", item.ref) in refs or key in texts or key in seen:
            continue
        seen.add(key)
        label = incivility_label(kind, item.text)
        if label is not None:
            rows.append((item.ref, item.text, label))
    return rows


def v1_rows() -> list[tuple[str, str, str]]:
    """``(item_id, text, settled label)`` of the first evaluation set."""
    with V1_LABELS.open(encoding="utf-8", newline="") as handle:
        return [(row["item_id"], eval_pool.resolve(row["source"], row["ref"]), row["label"])
                for row in csv.DictReader(handle)]


def perf_rows() -> list[tuple[str, str, str]]:
    """``(item_id, text, label)`` of the review sentences labelled for development."""
    with PERF_DEV.open(encoding="utf-8", newline="") as handle:
        return [(row["item_id"], eval_pool.resolve(row["source"], row["ref"]), row["label"])
                for row in csv.DictReader(handle)]
