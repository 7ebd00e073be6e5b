"""Measure the missing-evidence check's reading of claims: does a statement name evidence, or lack it?

Run from the repository root: ``.venv/bin/python bench/missing_evidence_eval.py [--record]``.

The set is ``tools/nlp/eval/evidence_labels.csv``: 195 public statements nobody on the team wrote
(crowd-written review sentences, change-log entries and commit messages of five open-source projects, their
references kept; ``tools/nlp/evidence_pool.py`` reads the texts back), labelled ``yes`` / ``no`` — does the
statement name or point to evidence a reader could open and check? — by two labellers who saw only the
texts and a written definition, never the rule, with their disagreements settled by a third before the
rule was scored. See ``tools/nlp/eval/README.md``.

The check's decision for a claim is scored as the product makes it for a claim without ``[E:id]`` or a
linked item: it *lacks evidence* when :func:`brightline.core.narrative.references.find_references` finds
nothing in its words. (A reference that is found is then looked up among the person's stored items; that
lookup is exact on what is stored and is covered by ``tests/test_named_evidence.py``, not by this set.)
Printed: precision and recall of "lacks evidence" (the label ``no``) overall and per source, and the two
labellers' agreement (percent and Cohen's kappa). ``--record`` writes the transparency report's slot
``data/accuracy/missing_evidence.json``. No texts and no errors are listed: the set is for measuring,
never for tuning.

``--import FOLDER`` (once) builds the labels file from the labellers' files in FOLDER
(``labels_a.csv``, ``labels_b.csv``, ``labels_final.csv``, each ``id,label``) and the pool.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

from brightline.core.narrative.references import find_references  # noqa: E402

LABELS = ROOT / "tools" / "nlp" / "eval" / "evidence_labels.csv"
POOL = ROOT / "tools" / "nlp" / "eval" / "evidence_pool.csv"
COMMAND = "python bench/missing_evidence_eval.py --record"
SOURCE_NAMES = {"all": "all statements", "perf": "performance-review sentences", "changelog": "change-log entries",
                "commit": "commit messages"}
SOURCE_BUILT = {
    "perf": "sentences of crowd-written performance reviews (a public data set of reviews written to match a rating)",
    "changelog": ("entries of the change logs of five open-source projects (black, pip, flask, httpx, "
                  "commons-lang), with the pull-request numbers, issue links and ticket keys their authors wrote"),
    "commit": ("commit messages of the same five projects (subject and first paragraph, which for a squash merge "
               "is the pull request's description), half of them drawn because they mention a number, link or key"),
}


def import_labels(folder: Path) -> int:
    """Write ``evidence_labels.csv`` (references, the settled label and both labellers' originals)."""

    def read(name: str) -> dict[str, str]:
        with open(folder / name, newline="", encoding="utf-8") as handle:
            return {row["id"].strip(): row["label"].strip().lower() for row in csv.DictReader(handle)}

    first, second, final = read("labels_a.csv"), read("labels_b.csv"), read("labels_final.csv")
    with open(POOL, newline="", encoding="utf-8") as handle:
        pool = list(csv.DictReader(handle))
    with open(LABELS, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_id", "source", "ref", "label", "label_1", "label_2"])
        for row in pool:
            item = row["item_id"]
            settled = final.get(item) or (first[item] if first.get(item) == second.get(item) else "")
            if settled not in {"yes", "no"}:
                raise SystemExit(f"{item}: no settled label")
            writer.writerow([item, row["source"], row["ref"], settled, first.get(item, ""), second.get(item, "")])
    print(f"wrote {LABELS.relative_to(ROOT)} ({len(pool)} items)")
    return 0


def labelled_rows() -> list[tuple[str, str, str, str, str]]:
    """``(item id, source, text, label, ref)`` for every labelled statement."""
    from evidence_pool import resolve

    with open(LABELS, newline="", encoding="utf-8") as handle:
        return [(row["item_id"], row["source"], resolve(row["source"], row["ref"]), row["label"], row["ref"])
                for row in csv.DictReader(handle)]


def lacks_evidence(text: str) -> bool:
    """The check's decision for a claim citing nothing else: no reference found in its words."""
    return not find_references(text)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(rows: list[tuple[str, str, str, str, str]]) -> dict[str, dict[str, Any]]:
    """Precision and recall of "lacks evidence" (label ``no``) and of "names evidence", per source and overall."""
    scores: dict[str, dict[str, Any]] = {}
    for source in ["all", *sorted({row[1] for row in rows})]:
        chosen = [row for row in rows if source == "all" or row[1] == source]
        counts: Counter[tuple[bool, bool]] = Counter((label == "no", lacks_evidence(text))
                                                     for _id, _src, text, label, _ref in chosen)
        true_lacks, false_lacks = counts[(True, True)], counts[(False, True)]
        missed_lacks, names = counts[(True, False)], counts[(False, False)]
        scores[source] = {
            "n": len(chosen), "labelled_no": true_lacks + missed_lacks, "labelled_yes": false_lacks + names,
            "read_as_lacking": true_lacks + false_lacks,
            "lacks_precision": _ratio(true_lacks, true_lacks + false_lacks),
            "lacks_recall": _ratio(true_lacks, true_lacks + missed_lacks),
            "names_precision": _ratio(names, names + missed_lacks),
            "names_recall": _ratio(names, names + false_lacks),
        }
    return scores


def agreement() -> dict[str, float | int] | None:
    """Raw agreement and Cohen's kappa of the two labellers, before the disagreements were settled."""
    with open(LABELS, newline="", encoding="utf-8") as handle:
        pairs = [(row["label_1"], row["label_2"]) for row in csv.DictReader(handle)
                 if row["label_1"] and row["label_2"]]
    if not pairs:
        return None
    observed = sum(a == b for a, b in pairs) / len(pairs)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in set(first) | set(second)) / len(pairs) ** 2
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0
    return {"items": len(pairs), "agreed": sum(a == b for a, b in pairs), "agreement": round(observed, 4),
            "cohen_kappa": round(kappa, 4)}


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def accuracy_slot(scores: dict[str, dict[str, Any]], agreed: dict[str, float | int] | None) -> dict[str, Any]:
    """The transparency report's slot, in words (``dataset`` is shown to people, so no paths)."""
    sources = [key for key in ("perf", "changelog", "commit") if key in scores]
    parts = "; ".join(f"{scores[key]['n']} {SOURCE_BUILT[key]}" for key in sources)
    said = ""
    if agreed and agreed["agreed"] == agreed["items"]:
        said = (f", agreed on all {agreed['items']} statements (Cohen's kappa {agreed['cohen_kappa']:.2f}), so a "
                "third person had nothing to settle")
    elif agreed:
        said = (f", agreed on {agreed['agreement']:.1%} of {agreed['items']} statements (Cohen's kappa "
                f"{agreed['cohen_kappa']:.2f}) and a third person settled the rest")
    built = (f"public statements nobody on the team wrote: {parts}. Two labellers who never saw the rule answered "
             "from a written definition whether each statement names or points to evidence a reader could open "
             f"and check (a pull request, commit, ticket, document, dashboard, incident or release){said}; the "
             "labels were fixed before the rule was scored on them and nothing was tuned on them. A statement "
             "counts as lacking evidence when the rule reads no pull request, merge request, commit, ticket or "
             "link in its words; whether a reference it reads is stored is not part of this measure")
    figures: list[dict[str, Any]] = []
    for key in ["all", *sources]:
        block = scores[key]
        dataset = f"public statements about work, {SOURCE_NAMES[key]}"
        text = built if key == "all" else f"the {block['n']} statements of the whole set (above) that are " \
            f"{SOURCE_BUILT[key]}"
        if block["lacks_precision"] is not None:
            figures.append({"dataset": dataset, "built": text, "metric": "precision of 'lacks evidence'",
                            "value": block["lacks_precision"], "n": block["read_as_lacking"]})
        if block["labelled_no"]:
            figures.append({"dataset": dataset, "built": text, "metric": "recall of 'lacks evidence'",
                            "value": block["lacks_recall"], "n": block["labelled_no"]})
        if block["labelled_yes"]:
            figures.append({"dataset": dataset, "built": text, "metric": "share of statements naming evidence that "
                            "the rule reads as naming it", "value": block["names_recall"],
                            "n": block["labelled_yes"]})
    overall = scores["all"]
    note = (f"On public statements, a statement the rule says lacks evidence truly names none "
            f"{_percent(overall['lacks_precision'])} of the time, and it finds {_percent(overall['lacks_recall'])} "
            f"of those that name none; it reads the reference in {_percent(overall['names_recall'])} of the "
            "statements that name one. What it misses there are references written in a documentation tool's "
            "markup (a role name between colons before the number), as one project's change log writes them. Evidence "
            "named only by a title (\"the Q3 capacity plan\") or a version is not read either, so such a claim is "
            "reported as citing nothing. The review sentences of the set name no evidence at all, so the figures "
            "say little about review prose that does; measured on change logs, commit messages and review "
            "sentences, not on real accomplishments; scored once per change of the rule, never tuned on.")
    if agreed:
        note += (f" Labellers agreed on {agreed['agreed']} of {agreed['items']} (kappa "
                 f"{agreed['cohen_kappa']:.2f}).")
    return {"kind": "missing_evidence", "command": COMMAND, "figures": figures, "note": note}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--record", action="store_true", help="write data/accuracy/missing_evidence.json")
    parser.add_argument("--import", dest="folder", type=Path, help="build the labels file from the labellers' files")
    args = parser.parse_args(argv)
    if args.folder:
        return import_labels(args.folder)
    scores = score(labelled_rows())
    agreed = agreement()
    for key in ["all", *(k for k in scores if k != "all")]:
        block = scores[key]
        print(f"{key:>9}: n={block['n']} (no {block['labelled_no']}, yes {block['labelled_yes']}); "
              f"lacks evidence P {_percent(block['lacks_precision'])} R {_percent(block['lacks_recall'])}; "
              f"names evidence P {_percent(block['names_precision'])} R {_percent(block['names_recall'])}")
    if agreed:
        print(f"labellers: {agreed['agreed']}/{agreed['items']} agreed ({agreed['agreement']:.1%}), "
              f"Cohen's kappa {agreed['cohen_kappa']:.3f}")
    if args.record:
        from brightline.core.insights.transparency import SIGNAL_ACCURACY_DIR

        SIGNAL_ACCURACY_DIR.mkdir(parents=True, exist_ok=True)
        slot = accuracy_slot(scores, agreed)
        (SIGNAL_ACCURACY_DIR / "missing_evidence.json").write_text(
            json.dumps(slot, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print("recorded the figures in the report's missing evidence slot")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
