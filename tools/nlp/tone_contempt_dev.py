"""What the tone check's contempt rule adds, on development data only.

    PYTHONPATH=src .venv/bin/python tools/nlp/tone_contempt_dev.py \\
        --reader-scores /tmp/tone-enc/oof-marked-2-64-3-0.npy          # the attack reader's out-of-fold scores

The contempt rule (``brightline.core.nlp.tone_contempt``) flags contempt aimed at the person in words no lexicon
holds ("are you even trying", "you clearly never read …", "people like you", "learn to read"). It is a rule, not a
model: nothing is fitted, so its finds on a development text are the finds it would make on any text. This prints,
on the 2,464 development texts of ``train_tone_attack_encoder.py`` (the 500 of ``eval/tone_dev_labels.csv``, the
388 synthetic ones, the 1,576 of ``tone_dev_sources.py``; never an evaluation set's held-out items), the shares of
each label flagged, by source and pooled, before and after the rule:

* **the default install** (static first stage, linear second stage): the shipped check run with the rule off
  (``BRIGHTLINE_TONE_CONTEMPT_RULE=0``) and on. The linear stage trained on the first 500 and the synthetic texts,
  so only the 1,576 added texts are out of sample for it; they are pooled apart;
* **with the contextual model installed** (the attack reader): the person rule, the reader's out-of-fold P(attack)
  at its shipped threshold and the linear stage's wording notes, as the runtime decides, with and without the rule.
  ``--reader-scores`` is the ``oof-…npy`` file ``train_tone_attack_encoder.py`` saves in its cache (the last epoch's
  scores are read; each text scored by the fold model that did not train on it). Without it this part is skipped;

and how often the rule fires on ToxiCR's training rows (review comments; development data), by ToxiCR's label.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import eval_pool  # noqa: E402
import tone_dev_sources  # noqa: E402
from train_tone_attack import development_set, synthetic_set, use_first_stage  # noqa: E402

from brightline.core.nlp import classify_tone  # noqa: E402
from brightline.core.nlp.classifiers import bundled_classifier  # noqa: E402
from brightline.core.nlp.splits import toxicr_split  # noqa: E402
from brightline.core.nlp.tokens import tokenize  # noqa: E402
from brightline.core.nlp.tone import (  # noqa: E402
    CONTEMPT_RULE_ENVIRONMENT_VARIABLE,
    LEXICON_FEATURES,
    read_texts,
    swearing,
)

LABELS = ("attack", "critique", "neutral", "profane")
ADDED = ("v1", "perf", "incivility")


def development_rows() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, guide labels and sources of the development texts, in the order ``train_tone_attack_encoder.py``
    reads them (so its out-of-fold scores line up)."""
    _keys, texts, labels, _ids = development_set()
    synthetic_texts, synthetic_labels, _groups = synthetic_set()
    sources = ["dev"] * len(texts) + ["synthetic"] * len(synthetic_texts)
    texts, labels = texts + synthetic_texts, labels + synthetic_labels
    for name, rows in (("v1", tone_dev_sources.v1_rows()), ("perf", tone_dev_sources.perf_rows()),
                       ("incivility", tone_dev_sources.incivility_rows())):
        texts += [row[1] for row in rows]
        labels += [row[2] for row in rows]
        sources += [name] * len(rows)
    return texts, np.array(labels), np.array(sources)


def shares(labels: np.ndarray, flagged: np.ndarray) -> dict[str, str]:
    return {label: f"{int(flagged[labels == label].sum())}/{int((labels == label).sum())} = "
                   f"{flagged[labels == label].mean():.1%}" for label in LABELS if (labels == label).any()}


def table(name: str, labels: np.ndarray, sources: np.ndarray, before: np.ndarray, after: np.ndarray) -> dict[str, Any]:
    groups = {**{source: sources == source for source in dict.fromkeys(sources.tolist())},
              "added (1,576)": np.isin(sources, ADDED), "all": np.ones(len(labels), dtype=bool)}
    report = {}
    print(f"\n{name}")
    for group, rows in groups.items():
        report[group] = {"before": shares(labels[rows], before[rows]), "after": shares(labels[rows], after[rows])}
        print(f"  {group:14s} before {report[group]['before']}")
        print(f"  {'':14s} after  {report[group]['after']}")
    return report


def check_flags(texts: list[str], contempt: bool) -> np.ndarray:
    os.environ[CONTEMPT_RULE_ENVIRONMENT_VARIABLE] = "1" if contempt else "0"
    return np.array([prediction.label == "toxic" for prediction in classify_tone(texts)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader-scores", type=Path, help="the attack reader's out-of-fold scores (.npy)")
    parser.add_argument("--reader-threshold", type=float, help="default: the shipped reader's")
    parser.add_argument("--output", type=Path, help="write the figures here (.json)")
    arguments = parser.parse_args()
    texts, labels, sources = development_rows()
    print(f"{len(texts):,} development texts")
    use_first_stage("static")  # the default install: static first stage, linear second stage
    report: dict[str, Any] = {"texts": len(texts)}
    report["default_install"] = table("default install (shipped check, linear second stage)", labels, sources,
                                      check_flags(texts, False), check_flags(texts, True))
    os.environ[CONTEMPT_RULE_ENVIRONMENT_VARIABLE] = "1"
    reading = read_texts(texts)
    contempt = reading.contempt
    if arguments.reader_scores:
        scores = np.load(arguments.reader_scores)
        scores = scores[-1] if scores.ndim == 2 else scores
        if len(scores) != len(texts):
            raise SystemExit(f"{arguments.reader_scores} holds {len(scores)} scores for {len(texts)} texts")
        threshold = arguments.reader_threshold
        if threshold is None:
            meta = json.loads((ROOT / "src/brightline/core/nlp/models/tone/attack_encoder.json").read_text("utf-8"))
            threshold = float(meta["threshold"])
        check = bundled_classifier("tone")
        stage = check.active_second_stage()
        assert stage is not None
        probabilities = check.flag_probabilities(tokenize(texts), None, texts, reading)
        wording = (probabilities[:, 2] >= stage.profane_threshold) | swearing(texts)
        person_rule = (reading.features[:, LEXICON_FEATURES.index("person_judged")] > 0) | reading.name_called
        before = person_rule | (scores >= threshold) | wording
        report["attack_reader"] = table(f"contextual model installed (attack reader out of fold, P(attack) >= "
                                        f"{threshold})", labels, sources, before, before | contempt)
        report["attack_reader"]["threshold"] = threshold
    with (eval_pool.DATA_DIR / "toxicr_dev" / "toxicr_dev.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if toxicr_split(row["text"]) == "train"]
    fired = read_texts([row["text"] for row in rows]).contempt
    toxic = np.array([row["is_toxic"] == "1" for row in rows])
    report["toxicr_training_rows"] = {"toxic": f"{int(fired[toxic].sum())}/{int(toxic.sum())}",
                                      "not_toxic": f"{int(fired[~toxic].sum())}/{int((~toxic).sum())}"}
    print(f"\ncontempt rule on ToxiCR training rows: {report['toxicr_training_rows']}")
    if arguments.output:
        arguments.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
