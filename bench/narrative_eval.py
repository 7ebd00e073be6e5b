"""Measure the narrative checks.

Run from the repository root: ``.venv/bin/python bench/narrative_eval.py``.

1. Per-flag precision and recall on ``tests/fixtures/narrative_labelled.csv``: the dev half (even
   ids, the only half the rules were tuned on), the held-out half (odd ids) and all rows.
2. How often the ``vague`` flag fires on useful vs not-useful code-review comments in
   ``../shared/data/cr_usefulness/cr_usefulness_comments.csv`` (skipped when that file is absent).

``--errors dev`` lists the dev rows where the rules and the labels disagree (for tuning). There is
deliberately no option to list held-out errors.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from scipy.stats import fisher_exact

from brightline.core.narrative import FLAG_IDS, check_text
from brightline.core.narrative.evaluation import FlagScore, score_flags

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "fixtures" / "narrative_labelled.csv"
CR_USEFULNESS = ROOT.parent / "shared" / "data" / "cr_usefulness" / "cr_usefulness_comments.csv"


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--errors", choices=["dev"], help="list disagreements on the dev half")
    args = parser.parse_args(argv)
    rows = load_labelled()
    if args.errors:
        print_errors(rows)
        return 0
    print_table(rows)
    print_cr_usefulness()
    return 0


if __name__ == "__main__":
    sys.exit(main())
