"""Measure the narrative checks.

Run from the repository root: ``.venv/bin/python bench/narrative_eval.py``.

1. Per-flag precision and recall on ``tests/fixtures/narrative_labelled.csv``: the dev half (even
   ids, the only half the rules were tuned on), the held-out half (odd ids) and all rows.
2. How often the ``vague`` flag fires on useful vs not-useful code-review comments in
   ``../shared/data/cr_usefulness/cr_usefulness_comments.csv`` (skipped when that file is absent).

``--errors dev`` lists the dev rows where the rules and the labels disagree (for tuning). There is
deliberately no option to list held-out errors.

``--independent`` scores the checks instead on the independent evaluation set: public statements
nobody on the team wrote, labelled ``specific`` / ``vague`` / ``character`` / ``other`` by two labellers
who saw only ``tools/nlp/eval/GUIDE.md`` (``tools/nlp/eval/narrative_labels.csv``; the texts are read back
from the shared data and the change-log clones by ``tools/nlp/eval_pool.py``). Every statement is checked
as ``kind="feedback"`` (no citation is asked for) and counts as flagged when any flag is raised. It prints,
per source, the recall on ``vague`` + ``character`` (target >= 0.90) and the share of ``specific``
statements flagged (target <= 10 %); ``--markdown`` prints the tables for the docs and ``--json PATH``
writes the figures for the model card. ``--record`` writes them where the product reads them: the model's
``independent_eval.json`` and the transparency report's accuracy slot ``data/accuracy/narrative_check.json``
(figures in words, with how the set was built, as ``bench/themes_eval.py --all`` writes the other slots).
It lists no texts and no errors: the set is for measuring, never for tuning.

``--independent --set v2`` scores the second, larger independent set instead
(``tools/nlp/eval/narrative_v2_labels.csv``, drawn by ``tools/nlp/eval_pool_v2.py`` on 2026-12-07 from review
sentences and the change logs of three other projects, labelled the same way before anything was scored on it).
``--set v3`` scores the third set (``tools/nlp/eval/narrative_v3_labels.csv``, drawn by ``tools/nlp/eval_pool_v3.py``
and labelled on 2026-12-07 (session 12): change logs of werkzeug, jinja and starlette, generic review phrases, and
sentences of issue and pull-request threads). The first two sets have been seen by earlier versions of the checks;
the third is the held-out figure. Each prints 95 % Wilson intervals; ``--record`` with ``--set v2`` or ``v3`` writes
``independent_eval_v2.json`` or ``independent_eval_v3.json`` and puts that set's figures in the report's slot, keeping
the other sets'.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from scipy.stats import fisher_exact

from brightline.core.narrative import FLAG_IDS, check_text
from brightline.core.narrative.evaluation import FlagScore, score_flags

ROOT = Path(__file__).resolve().parent.parent
INDEPENDENT_LABELS = ROOT / "tools" / "nlp" / "eval" / "narrative_labels.csv"
INDEPENDENT_LABELS_V2 = ROOT / "tools" / "nlp" / "eval" / "narrative_v2_labels.csv"
INDEPENDENT_LABELS_V3 = ROOT / "tools" / "nlp" / "eval" / "narrative_v3_labels.csv"
RECALL_TARGET = 0.90
SPECIFIC_FLAGGED_TARGET = 0.10
WEAK_LABELS = frozenset({"vague", "character"})
HEADLINE_FLAGS = frozenset({"vague", "personality"})
LABELLED = ROOT / "tests" / "fixtures" / "narrative_labelled.csv"
MODEL_EVALUATION = (ROOT / "src" / "brightline" / "core" / "narrative" / "models" / "specificity"
                    / "independent_eval.json")
MODEL_EVALUATION_V2 = MODEL_EVALUATION.with_name("independent_eval_v2.json")
MODEL_EVALUATION_V3 = MODEL_EVALUATION.with_name("independent_eval_v3.json")
#: How each set's figures are named in the report's slot, and where its part of the note starts. The third set is
#: the held-out one since 2026-12-07 (session 12); the second has been scored by a few versions of the checks.
SET_DATASETS = {"v1": "independent evaluation set", "v2": "second independent evaluation set",
                "v3": "third independent evaluation set, held out"}
SET_NOTES = {"v2": "Second set: ", "v3": "Third, held-out set: "}
#: The second set's note marker before the third set existed (read in slots recorded then).
OLD_V2_NOTE = "Second, held-out set: "
#: How each source of the independent set is named to people in the transparency report.
SOURCE_NAMES = {
    "perf": "performance-review sentences",
    "changelog": "change-log entries",
    "phrase": "review phrases",
    "strudel": "issue comments",
    "heated": "pull-request threads",
    "prcomment": "pull-request comments",
    "all": "all statements",
}
SOURCE_BUILT = {
    "perf": "sentences of crowd-written performance reviews (a public data set of reviews written to match a rating)",
    "changelog": "entries of the public change logs of three open-source Python projects",
    "phrase": "generic performance-review phrases of a public feedback generator, written for reviewers to paste",
    "strudel": "sentences of GitHub issue comments",
    "heated": "sentences of heated GitHub pull-request threads",
    "prcomment": "sentences of GitHub pull-request comments",
}
RESEARCH_DATA = Path(os.environ.get("BRIGHTLINE_SHARED_DATA") or ROOT.parent / "shared" / "data")
CR_USEFULNESS = RESEARCH_DATA / "cr_usefulness" / "cr_usefulness_comments.csv"


def load_labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def predict(row: dict[str, str]) -> frozenset[str]:
    return frozenset(check_text(row["text"], kind=row["kind"]).flag_ids)  # type: ignore[arg-type]


def labels(row: dict[str, str]) -> frozenset[str]:
    return frozenset(flag for flag in row["flags"].split(";") if flag)


def _rate(value: float | None) -> str:
    return "  –  " if value is None else f"{value:.2f}"


def print_table(rows: list[dict[str, str]]) -> None:
    halves = {
        "held-out (odd ids)": [r for r in rows if int(r["id"]) % 2 == 1],
        "dev (even ids)": [r for r in rows if int(r["id"]) % 2 == 0],
        "all": rows,
    }
    scores: dict[str, dict[str, FlagScore]] = {
        name: dict(score_flags((labels(r), predict(r)) for r in subset)) for name, subset in halves.items()
    }
    print(f"Labelled narrative set: {len(rows)} texts ({', '.join(f'{n}: {len(s)}' for n, s in halves.items())})")
    print()
    print("| flag | held-out P | held-out R | held-out n | dev P | dev R | all P | all R | all n |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for flag in FLAG_IDS:
        held, dev, every = (scores[name][flag] for name in halves)
        print(
            f"| {flag} | {_rate(held.precision)} | {_rate(held.recall)} | {held.support} | "
            f"{_rate(dev.precision)} | {_rate(dev.recall)} | {_rate(every.precision)} | "
            f"{_rate(every.recall)} | {every.support} |"
        )


def print_errors(rows: list[dict[str, str]]) -> None:
    for row in rows:
        if int(row["id"]) % 2 != 0:
            continue
        gold, predicted = labels(row), predict(row)
        if gold != predicted:
            missing = ",".join(sorted(gold - predicted)) or "-"
            extra = ",".join(sorted(predicted - gold)) or "-"
            print(f"{row['id']:>4} {row['kind'][:4]} missing={missing} extra={extra} :: {row['text']}")


def print_cr_usefulness() -> None:
    print()
    if not CR_USEFULNESS.exists():
        print(f"cr_usefulness: skipped, {CR_USEFULNESS} not found.")
        return
    counts = {"1": [0, 0], "0": [0, 0]}  # is_useful -> [vague, total]
    with CR_USEFULNESS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            vague = "vague" in check_text(row["text"], kind="feedback").flag_ids
            counts[row["is_useful"]][0] += int(vague)
            counts[row["is_useful"]][1] += 1
    (useful_vague, useful_total), (other_vague, other_total) = counts["1"], counts["0"]
    useful_rate, other_rate = useful_vague / useful_total, other_vague / other_total
    table = [[other_vague, other_total - other_vague], [useful_vague, useful_total - useful_vague]]
    odds_ratio, p_value = fisher_exact(table)
    print("cr_usefulness (Turzo & Bosu, EMSE 2023), all 2,500 review comments, checked as kind='feedback':")
    print()
    print("| group | comments | flagged vague | rate |")
    print("| --- | --- | --- | --- |")
    print(f"| not useful (is_useful=0) | {other_total} | {other_vague} | {other_rate:.3f} |")
    print(f"| useful (is_useful=1) | {useful_total} | {useful_vague} | {useful_rate:.3f} |")
    print()
    ratio = other_rate / useful_rate if useful_rate else float("inf")
    print(f"rate ratio (not useful / useful): {ratio:.2f}; Fisher exact odds ratio {odds_ratio:.2f}, p = {p_value:.3g}")


def independent_rows(path: Path = INDEPENDENT_LABELS, version: str = "v1") -> list[tuple[str, str, str]]:
    """``(source, label, text)`` for every labelled item, texts resolved by ``tools/nlp/eval_pool.py`` (``v1``) or
    ``tools/nlp/eval_pool_v2.py`` (``v2``) or ``tools/nlp/eval_pool_v3.py`` (``v3``)."""
    sys.path.insert(0, str(ROOT / "tools" / "nlp"))
    if version == "v3":
        from eval_pool_v3 import resolve
    elif version == "v2":
        from eval_pool_v2 import resolve
    else:
        from eval_pool import resolve

    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (row["source"], row["label"].strip(), resolve(row["source"], row["ref"]))
            for row in csv.DictReader(handle)
        ]


COUNT_KEYS = ("weak", "weak_any", "weak_vp", "spec", "spec_any", "spec_vp")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def score_independent(rows: list[tuple[str, str, str]]) -> dict[str, dict[str, float | int | None]]:
    """Per source and ``all``: recall on vague + character and share of specific statements flagged."""
    counts: dict[str, dict[str, int]] = {}
    for source, label, text in rows:
        if label not in WEAK_LABELS and label != "specific":
            continue
        flag_ids = check_text(text, kind="feedback").flag_ids
        for key in (source, "all"):
            bucket = counts.setdefault(key, dict.fromkeys(COUNT_KEYS, 0))
            prefix = "weak" if label in WEAK_LABELS else "spec"
            bucket[prefix] += 1
            bucket[f"{prefix}_any"] += int(bool(flag_ids))
            bucket[f"{prefix}_vp"] += int(bool(flag_ids & HEADLINE_FLAGS))
    result: dict[str, dict[str, float | int | None]] = {}
    for key, bucket in counts.items():
        result[key] = {
            "weak_n": bucket["weak"],
            "recall": _share(bucket["weak_any"], bucket["weak"]),
            "recall_vague_or_personality_flag": _share(bucket["weak_vp"], bucket["weak"]),
            "specific_n": bucket["spec"],
            "specific_flagged": _share(bucket["spec_any"], bucket["spec"]),
            "specific_flagged_vague_or_personality": _share(bucket["spec_vp"], bucket["spec"]),
            "recall_wilson_95": wilson(bucket["weak_any"], bucket["weak"]),
            "specific_flagged_wilson_95": wilson(bucket["spec_any"], bucket["spec"]),
        }
    return result


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    sys.path.insert(0, str(ROOT / "tools" / "nlp"))
    from eval_pool_v2 import wilson as interval

    return interval(successes, trials)


def _ci(row: dict[str, Any], key: str) -> str:
    low_high = row.get(key)
    return "" if not low_high else f" [95% CI {low_high[0]:.2f}–{low_high[1]:.2f}]"


def labeller_agreement(path: Path) -> dict[str, float | int] | None:
    """Raw agreement and Cohen's kappa of the two labellers, when the file keeps their labels."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "label_1" not in rows[0] or "label_2" not in rows[0]:
        return None
    pairs = [(row["label_1"].strip(), row["label_2"].strip()) for row in rows]
    observed = sum(first == second for first, second in pairs) / len(pairs)
    labels = {label for pair in pairs for label in pair}
    first_counts = Counter(first for first, _ in pairs)
    second_counts = Counter(second for _, second in pairs)
    expected = sum(first_counts[label] * second_counts[label] for label in labels) / len(pairs) ** 2
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0
    return {"items": len(pairs), "agreement": round(observed, 3), "cohen_kappa": round(kappa, 3)}


def _verdict(value: float | int | None, target: float, higher_is_better: bool) -> str:
    if value is None:
        return "–"
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "missed"


def print_independent(scores: dict[str, dict[str, float | int | None]], *, markdown: bool) -> None:
    order = sorted(key for key in scores if key != "all") + ["all"]
    if markdown:
        print(
            "| source | vague + character | recall (any flag) | target ≥ 0.90 | specific | specific flagged "
            "(any flag) | target ≤ 10 % | recall (vague/personality flag) | specific flagged (vague/personality flag) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for key in order:
            row = scores[key]
            print(
                f"| {key} | {row['weak_n']} | {_rate(row['recall'])}{_ci(row, 'recall_wilson_95')} | "  # type: ignore[arg-type]
                f"{_verdict(row['recall'], RECALL_TARGET, True)} | {row['specific_n']} | "
                f"{_rate(row['specific_flagged'])}{_ci(row, 'specific_flagged_wilson_95')} | "  # type: ignore[arg-type]
                f"{_verdict(row['specific_flagged'], SPECIFIC_FLAGGED_TARGET, False)} | "
                f"{_rate(row['recall_vague_or_personality_flag'])} | "  # type: ignore[arg-type]
                f"{_rate(row['specific_flagged_vague_or_personality'])} |"  # type: ignore[arg-type]
            )
        return
    for key in order:
        row = scores[key]
        print(
            f"{key:>10}: recall on vague+character {_rate(row['recall'])}{_ci(row, 'recall_wilson_95')} of "  # type: ignore[arg-type]
            f"{row['weak_n']} ({_verdict(row['recall'], RECALL_TARGET, True)}, target >= {RECALL_TARGET:.2f}); "
            f"specific flagged {_rate(row['specific_flagged'])}{_ci(row, 'specific_flagged_wilson_95')} of "  # type: ignore[arg-type]
            f"{row['specific_n']} "
            f"({_verdict(row['specific_flagged'], SPECIFIC_FLAGGED_TARGET, False)}, target <= "
            f"{SPECIFIC_FLAGGED_TARGET:.2f})"
        )


def _percent(value: float | int | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def accuracy_slot(scores: dict[str, Any], agreement: dict[str, float | int] | None,
                  version: str = "v1") -> dict[str, Any]:
    """The transparency report's slot for the narrative check: the independent set's figures in words (``v2``,
    ``v3``: the second or third set's, named as such)."""
    sources = sorted(key for key in scores if key in SOURCE_BUILT)
    counts = {key: int(scores[key]["weak_n"]) + int(scores[key]["specific_n"]) for key in sources}
    parts = "; ".join(f"{counts[key]} {SOURCE_BUILT[key]}" for key in sources)
    agreed = (f", agreed on {agreement['agreement']:.1%} of {agreement['items']} items before settling the rest "
              f"(Cohen's kappa {agreement['cohen_kappa']:.2f})" if agreement else "")
    if version != "v1":
        parts = parts.replace("three open-source", "three other open-source")
    built = (f"public statements nobody on the team wrote: {parts}. Two labellers who never saw the checks labelled "
             f"each statement specific, vague, judgement of character or other from a written definition{agreed}; "
             "the labels were fixed before the checks were scored on them, nothing was tuned on them, and none of "
             "these statements or their reviews is training data. Every statement is checked as feedback; a "
             "statement counts as flagged when any flag is raised; statements labelled other are not scored")
    figures: list[dict[str, Any]] = []
    for key in ["all", *sources]:
        block = scores.get(key)
        if not block:
            continue
        dataset = f"{SET_DATASETS[version]}, {SOURCE_NAMES.get(key, key)}"
        if key != "all":
            built = f"the {counts[key]} scored statements of the whole set (above) that are {SOURCE_BUILT[key]}"
        if block["weak_n"]:
            figures.append({"dataset": dataset, "built": built, "metric": "recall on vague + character statements",
                            "value": block["recall"], "n": block["weak_n"]})
        if block["specific_n"]:
            figures.append({"dataset": dataset, "built": built, "metric": "share of specific statements flagged",
                            "value": block["specific_flagged"], "n": block["specific_n"]})
    overall = scores.get("all", {})
    recall, flagged = overall.get("recall"), overall.get("specific_flagged")
    note = (f"Targets: at least {RECALL_TARGET:.0%} of vague and character statements flagged "
            f"({_verdict(recall, RECALL_TARGET, True)}: {_percent(recall)}) and at most "
            f"{SPECIFIC_FLAGGED_TARGET:.0%} of specific statements flagged "
            f"({_verdict(flagged, SPECIFIC_FLAGGED_TARGET, False)}: {_percent(flagged)}). ")
    perf = scores.get("perf", {})
    if perf.get("specific_flagged") is not None:
        note += (f"Specific sentences written in general review prose are the ones most often flagged by mistake "
                 f"({_percent(perf['specific_flagged'])} of {perf['specific_n']}); a flag is a suggestion the writer "
                 "can ignore. ")
    note += "The set was scored once per change of the checks, never tuned on."
    if version != "v1":
        seen = ("The first two sets have been seen by earlier versions of the checks; this one is the held-out figure."
                if version == "v3" else "It has since been scored by a few versions of the checks.")
        note = (f"{SET_NOTES[version]}{_percent(recall)} of vague and character statements flagged "
                f"({_verdict(recall, RECALL_TARGET, True)}) and {_percent(flagged)} of specific statements "
                f"({_verdict(flagged, SPECIFIC_FLAGGED_TARGET, False)}); it was labelled before the checks were scored "
                f"on it. {seen}")
    return {"kind": "narrative_check", "command": "python bench/narrative_eval.py --independent --record",
            "figures": figures, "note": note}


def _set_of(dataset: str) -> str:
    """Which set a figure of the slot belongs to, by the name its dataset starts with."""
    if dataset.startswith(SET_DATASETS["v3"]):
        return "v3"
    return "v2" if dataset.startswith(SET_DATASETS["v2"]) else "v1"


def _note_parts(note: str) -> dict[str, str]:
    """The slot's note cut into each set's part (the first set's part has no marker)."""
    note = note.replace(OLD_V2_NOTE, SET_NOTES["v2"])
    parts: dict[str, str] = {}
    rest = note
    for version in ("v3", "v2"):
        rest, marker, tail = rest.partition(SET_NOTES[version])
        if marker:
            parts[version] = f"{marker}{tail}".strip()
    parts["v1"] = rest.strip()
    return {version: text for version, text in parts.items() if text}


def merge_slot(existing: dict[str, Any] | None, new: dict[str, Any], version: str) -> dict[str, Any]:
    """The slot with ``new``'s figures and note part in place of the same set's, the other sets' kept, in set order
    (first, second, third)."""
    if not existing:
        return new
    figures = [{**figure, "dataset": figure["dataset"].replace(f"{SET_DATASETS['v2']}, held out",
                                                               SET_DATASETS["v2"])}
               for figure in existing.get("figures", ()) if _set_of(figure["dataset"]) != version]
    figures += new["figures"]
    order = {"v1": 0, "v2": 1, "v3": 2}
    figures.sort(key=lambda figure: order[_set_of(figure["dataset"])])  # stable: each set's own order is kept
    notes = {**_note_parts(str(existing.get("note", ""))), version: new["note"]}
    if "v3" in notes and "v2" in notes:  # a second set's note recorded while it was the held-out one
        notes["v2"] = notes["v2"].replace(
            "The first set has been seen by many versions of the checks; this one is the held-out figure.",
            "It has since been scored by a few versions of the checks.")
    note = " ".join(notes[key] for key in ("v1", "v2", "v3") if key in notes)
    return {**new, "figures": figures, "note": note,
            "command": "python bench/narrative_eval.py --independent --record [--set v2|v3]"}


def record(scores: dict[str, Any], agreement: dict[str, float | int] | None, *,
           evaluation_path: Path | None = None, accuracy_dir: Path | None = None, version: str = "v1") -> None:
    """Write the figures for the model card and the transparency report's slot (the other set's figures kept)."""
    from brightline.core.insights.transparency import SIGNAL_ACCURACY_DIR

    evaluation_path = evaluation_path or {"v2": MODEL_EVALUATION_V2, "v3": MODEL_EVALUATION_V3}.get(
        version, MODEL_EVALUATION)
    evaluation_path.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    folder = accuracy_dir or SIGNAL_ACCURACY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    slot_path = folder / "narrative_check.json"
    slot = accuracy_slot({k: v for k, v in scores.items() if k != "labeller_agreement"}, agreement, version)
    existing = json.loads(slot_path.read_text(encoding="utf-8")) if slot_path.is_file() else None
    slot = merge_slot(existing, slot, version)
    slot_path.write_text(json.dumps(slot, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"recorded the figures in {evaluation_path.name} and the report's narrative check slot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--errors", choices=["dev"], help="list disagreements on the dev half")
    parser.add_argument("--independent", action="store_true", help="score on the independent evaluation set")
    parser.add_argument("--labels", type=Path, help="labels file for --independent (default: the --set's)")
    parser.add_argument("--set", choices=("v1", "v2", "v3"), default="v1", dest="version",
                        help="with --independent: v1, the first set, v2, the second, or v3, the third, held-out set "
                             )
    parser.add_argument("--markdown", action="store_true", help="with --independent: print Markdown tables")
    parser.add_argument("--json", type=Path, help="with --independent: also write the figures to this file")
    parser.add_argument("--record", action="store_true",
                        help="with --independent: write the model card's figures and the transparency report's slot "
                             "(once per change of the checks)")
    args = parser.parse_args(argv)
    if args.independent:
        args.labels = args.labels or {"v2": INDEPENDENT_LABELS_V2, "v3": INDEPENDENT_LABELS_V3}.get(
            args.version, INDEPENDENT_LABELS)
        if not args.labels.exists():
            print(f"No labels at {args.labels}: the evaluation set has not been labelled yet.", file=sys.stderr)
            return 2
        scores: dict[str, Any] = dict(score_independent(independent_rows(args.labels, args.version)))
        print_independent(scores, markdown=args.markdown)
        agreement = labeller_agreement(args.labels)
        if agreement:
            print()
            print(f"Labellers agreed on {agreement['agreement']:.1%} of {agreement['items']} items before "
                  f"adjudication (Cohen's kappa {agreement['cohen_kappa']:.2f}).")
            scores["labeller_agreement"] = agreement
        if args.json:
            args.json.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
        if args.record:
            record(scores, agreement, version=args.version)
        return 0
    rows = load_labelled()
    if args.errors:
        print_errors(rows)
        return 0
    print_table(rows)
    print_cr_usefulness()
    return 0


if __name__ == "__main__":
    sys.exit(main())
