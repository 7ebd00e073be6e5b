"""The tone check on the independently labelled evaluation set, and on the ToxiCR test rows.

    .venv/bin/python bench/tone_eval.py                # the figures as text
    .venv/bin/python bench/tone_eval.py --markdown     # the same as tables for the model card
    .venv/bin/python bench/tone_eval.py --write        # also write models/tone/eval_metrics.json

The evaluation set is ``tools/nlp/eval/tone_labels.csv`` (``item_id,source,ref,label``): public
texts nobody on the team wrote, each labelled ``attack``, ``profane``, ``critique`` or ``neutral``
by two labellers who saw only ``tools/nlp/eval/GUIDE.md``, their disagreements settled before the
file was committed. The texts are read back with ``tools/nlp/eval_pool.py`` from the shared data
folder (``../shared/data``, or ``BRIGHTLINE_SHARED_DATA``) and the change-log clones; the
repository holds only references. The targets (issue 16): at least 90 % of ``attack`` flagged,
at most 10 % of ``critique`` flagged. ``profane`` and ``neutral`` are reported without a target.

It also re-scores the shipped check on the ToxiCR test rows (``toxicr_split(text) == "test"``):
precision, recall and F1 of the toxic class. The evaluation set was never used to tune anything.

``--set v2`` scores instead the second, larger independent set (``tools/nlp/eval/tone_v2_labels.csv``, drawn by
``tools/nlp/eval_pool_v2.py`` on 2026-12-07 and labelled the same way before anything was scored on it): the first set
has been seen by many candidates, so the second is the held-out figure. Every share is printed with its 95 % Wilson
interval; ``--write`` stores the v2 figures under ``v2`` in the same file (the ToxiCR rows are not re-scored).

``--first-stage contextual`` runs the check with its tuned contextual first stage (needs the contextual base
model installed) and ``--write`` stores its figures under ``contextual_first_stage`` in the same file, with the
tuned first stage's own ToxiCR figures; ``static`` (the default) runs the static first stage whatever is installed.

``--attack-reader`` runs the check with the static first stage and the attack reader (all-MiniLM-L6-v2 fine-tuned for
attack on the person, ``tools/nlp/train_tone_attack_encoder.py``; needs the contextual base model installed), as it
runs by default when that model is installed; ``--write`` stores its figures under ``attack_reader``. The first set
trained the reader (development data since 2026-12-07), so only ``--set v2`` measures it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import eval_pool  # noqa: E402
import eval_pool_v2  # noqa: E402
import eval_pool_v3  # noqa: E402

from brightline.core.nlp import classify_tone  # noqa: E402
from brightline.core.nlp.classifiers import MODELS_PATH  # noqa: E402
from brightline.core.nlp.splits import toxicr_split  # noqa: E402

LABELS_PATH = eval_pool.EVAL_DIR / "tone_labels.csv"
EVAL_METRICS_PATH = MODELS_PATH / "tone" / "eval_metrics.json"
THIRD_SET = ("third tone evaluation set (tools/nlp/eval/tone_v3_labels.csv), held out: GitHub issue comments and "
             "sentences of heated pull-request threads, labelled by two independent labellers before any check was "
             "run on them, disagreements settled by a third")
ATTACK_TARGET = 0.90
CRITIQUE_CEILING = 0.10
LABEL_ORDER = ("attack", "profane", "critique", "neutral")


SETS = {"v1": ("tone", eval_pool), "v2": ("tone_v2", eval_pool_v2), "v3": ("tone_v3", eval_pool_v3)}


def evaluation_set(version: str = "v1") -> list[tuple[str, str, str]]:
    """``(item_id, text, label)`` of every labelled item of the first (``v1``) or second (``v2``) set."""
    name, module = SETS[version]
    path = eval_pool.EVAL_DIR / f"{name}_labels.csv"
    if not path.is_file():
        raise SystemExit(f"{path} is absent: the adjudicated labels have not been committed yet.")
    return [(item_id, text, label) for item_id, text, label, _source in module.load_labelled(name)]


def flagged_shares(items: list[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    predictions = classify_tone([text for _, text, _ in items])
    totals: Counter[str] = Counter(label for _, _, label in items)
    flagged: Counter[str] = Counter(label for (_, _, label), prediction in zip(items, predictions, strict=True)
                                    if prediction.label == "toxic")
    return {label: {"n": totals[label], "flagged": flagged[label],
                    "share_flagged": round(flagged[label] / totals[label], 4) if totals[label] else None,
                    "wilson_95": eval_pool_v2.wilson(flagged[label], totals[label])}
            for label in LABEL_ORDER}


def _interval(row: dict[str, Any]) -> str:
    low_high = row.get("wilson_95")
    return "" if not low_high else f" [95 % CI {100 * low_high[0]:.1f}–{100 * low_high[1]:.1f}]"


def toxicr_test_scores() -> dict[str, Any] | None:
    path = eval_pool.DATA_DIR / "toxicr_dev" / "toxicr_dev.csv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if toxicr_split(row["text"]) == "test"]
    predictions = classify_tone([row["text"] for row in rows])
    truth = [row["is_toxic"] == "1" for row in rows]
    said = [prediction.label == "toxic" for prediction in predictions]
    true_positive = sum(t and s for t, s in zip(truth, said, strict=True))
    precision = true_positive / max(sum(said), 1)
    recall = true_positive / max(sum(truth), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(rows), "toxic": sum(truth), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def verdict(share: float | None, target: float, *, at_least: bool) -> str:
    if share is None:
        return "no items"
    met = share >= target if at_least else share <= target
    return "met" if met else "missed"


def use_first_stage(first_stage: str, attack_reader: bool = False) -> str:
    """Make the check run on ``first_stage`` (with the attack reader, or the linear attack stage); its description
    in words."""
    import os
    import tempfile

    from brightline.core.nlp.classifiers import (
        TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE,
        TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE,
        bundled_classifier,
        tone_attack_stage_in_use,
    )
    from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, CONTEXTUAL_MODEL_MISSING_NOTICE

    os.environ[TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE] = "encoder" if attack_reader else "linear"
    if attack_reader:
        os.environ[TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE] = first_stage
        if bundled_classifier("tone").attack_reader() is None:
            raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
        return f"{bundled_classifier('tone').first_stage_in_use()}; attack flag: {tone_attack_stage_in_use()}"
    if first_stage == "static":
        os.environ[CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE] = tempfile.mkdtemp(prefix="no-contextual-model-")
    elif bundled_classifier("tone").tuned_first_stage() is None:
        raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
    return bundled_classifier("tone").first_stage_in_use()


def tuned_first_stage_toxicr_scores() -> dict[str, Any] | None:
    """The contextual first stage on the ToxiCR test rows, at the threshold its validation chose."""
    import numpy as np

    from brightline.core.nlp.classifiers import bundled_classifier

    path = eval_pool.DATA_DIR / "toxicr_dev" / "toxicr_dev.csv"
    tuned = bundled_classifier("tone").tuned_first_stage()
    if not path.is_file() or tuned is None:
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if toxicr_split(row["text"]) == "test"]
    threshold = json.loads((MODELS_PATH / "tone" / "contextual.json").read_text(encoding="utf-8"))["threshold"]
    from brightline.core.nlp.tokens import tokenize

    texts = [row["text"] for row in rows]
    # The first stage as the check runs it: the tuned layers' log-odds weighed together with the static model's.
    odds = bundled_classifier("tone").first_stage_log_odds(tokenize(texts), None, texts)
    said = odds >= np.log(threshold / (1 - threshold))
    truth = np.array([row["is_toxic"] == "1" for row in rows])
    true_positive = int((said & truth).sum())
    precision, recall = true_positive / max(int(said.sum()), 1), true_positive / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(rows), "toxic": int(truth.sum()), "threshold": threshold, "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables for the model card")
    parser.add_argument("--write", action="store_true", help=f"write {EVAL_METRICS_PATH.name} next to the model")
    parser.add_argument("--first-stage", choices=("static", "contextual"), default="static",
                        help="the tone check's first stage to run (contextual needs the contextual model installed)")
    parser.add_argument("--set", choices=tuple(SETS), default="v1", dest="version",
                        help="v1: the first independent set; v2: the second; v3: the third, held-out set")
    parser.add_argument("--attack-reader", action="store_true",
                        help="run the attack reader (needs the contextual model installed); with --set v2 or v3")
    arguments = parser.parse_args()
    if arguments.attack_reader and arguments.version == "v1":
        raise SystemExit("the first set trained the attack reader: measure it with --set v2 or v3")
    first_stage = use_first_stage(arguments.first_stage, arguments.attack_reader)
    print(f"first stage: {first_stage}")
    v2 = arguments.version in ("v2", "v3")  # a later set: held out (v3) or seen by a few candidates (v2)
    items = evaluation_set(arguments.version)
    shares = flagged_shares(items)
    toxicr = None if v2 else toxicr_test_scores()
    attack, critique = shares["attack"]["share_flagged"], shares["critique"]["share_flagged"]
    result = {
        "dataset": (THIRD_SET if arguments.version == "v3" else
                    "second tone evaluation set (tools/nlp/eval/tone_v2_labels.csv): public review comments, "
                    "issue and mailing-list sentences and review sentences, labelled by two independent labellers "
                    "before the check was run on them, disagreements settled" if v2 else
                    "tone evaluation set (tools/nlp/eval/tone_labels.csv): public review comments and review "
                    "sentences, labelled by two independent labellers, disagreements settled"),
        "measured": datetime.now(UTC).date().isoformat(),
        "items": len(items),
        "by_label": shares,
        "targets": {"attack_flagged_at_least": ATTACK_TARGET, "critique_flagged_at_most": CRITIQUE_CEILING,
                    "attack": verdict(attack, ATTACK_TARGET, at_least=True),
                    "critique": verdict(critique, CRITIQUE_CEILING, at_least=False)},
        "toxicr_test": toxicr,
        "first_stage": first_stage,
    }
    if arguments.first_stage == "contextual" and not v2:
        result["toxicr_test_first_stage"] = tuned_first_stage_toxicr_scores()
    if arguments.markdown:
        print(f"Tone evaluation set {arguments.version}: {len(items)} items, labels fixed before the check was run "
              "on them.\n")
        print("| label | items | flagged | share flagged (95 % CI) | target |")
        print("| --- | --- | --- | --- | --- |")
        for label in LABEL_ORDER:
            row = shares[label]
            share = "–" if row["share_flagged"] is None else f"{100 * row['share_flagged']:.1f} %{_interval(row)}"
            target = {"attack": f"≥ 90 % ({result['targets']['attack']})",
                      "critique": f"≤ 10 % ({result['targets']['critique']})"}.get(label, "none")
            print(f"| {label} | {row['n']} | {row['flagged']} | {share} | {target} |")
        if toxicr:
            print(f"\nToxiCR test rows ({toxicr['n']}, {toxicr['toxic']} toxic): toxic precision "
                  f"{toxicr['precision']:.3f}, recall {toxicr['recall']:.3f}, "
                  f"F1 **{toxicr['f1']:.3f}** (target ≥ 0.85).")
    else:
        print(f"tone evaluation set {arguments.version}: {len(items)} items")
        for label in LABEL_ORDER:
            row = shares[label]
            share = "n/a" if row["share_flagged"] is None else f"{100 * row['share_flagged']:.1f}%{_interval(row)}"
            print(f"  {label:<9} {row['flagged']:>4} of {row['n']:>4} flagged ({share})")
        print(f"  attack flagged >= 90%: {result['targets']['attack']}; "
              f"critique flagged <= 10%: {result['targets']['critique']}")
        if toxicr:
            print(f"ToxiCR test rows: {toxicr['n']} ({toxicr['toxic']} toxic); toxic P {toxicr['precision']:.3f} "
                  f"R {toxicr['recall']:.3f} F1 {toxicr['f1']:.3f}")
        elif v2:
            print(f"ToxiCR test rows: not re-scored with --set {arguments.version} (see the v1 run)")
        else:
            print("ToxiCR test rows: the shared data folder is absent, not scored")
    if arguments.write:
        stored = json.loads(EVAL_METRICS_PATH.read_text(encoding="utf-8")) if EVAL_METRICS_PATH.is_file() else {}
        if arguments.attack_reader:
            stored = {**stored, "attack_reader": {**stored.get("attack_reader", {}), arguments.version: result}}
        else:
            stored = store_result(stored, result, contextual=arguments.first_stage == "contextual",
                                  version=arguments.version)
        EVAL_METRICS_PATH.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {EVAL_METRICS_PATH}", file=sys.stderr)


def store_result(stored: dict[str, Any], result: dict[str, Any], *, contextual: bool,
                 version: str = "v1") -> dict[str, Any]:
    """``eval_metrics.json`` with ``result`` in its place: the first set's figures at the top (the contextual first
    stage's under ``contextual_first_stage``), a later set's under ``v2`` or ``v3`` of either; the other places are
    kept."""
    block = dict(stored.get("contextual_first_stage", {})) if contextual else dict(stored)
    if version != "v1":
        block[version] = result
    else:
        block = {**result, **{key: block[key] for key in ("v2", "v3") if key in block}}
    if contextual:
        return {**stored, "contextual_first_stage": block}
    return {**block, **{key: stored[key] for key in ("contextual_first_stage", "attack_reader") if key in stored}}


if __name__ == "__main__":
    main()
