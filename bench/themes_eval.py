"""Measure the theme matcher, and (``--all``) every AI signal the transparency report shows.

Run from the repository root: ``.venv/bin/python bench/themes_eval.py [--markdown] [--all]``.

Themes are scored on two sets:

* ``independent``: ``tools/nlp/eval/themes_labels.csv``, 260 crowd-written review sentences labelled
  by two people who never saw the taxonomy's seed phrases or the matcher, labels fixed before any
  tuning (texts read back from ``../shared/data`` by ``tools/nlp/eval_pool.py``). Nothing is tuned
  on it and this script prints no item-level output for it: only totals and per-theme counts.
* ``team test rows``: the test rows (``sha256(id) mod 3 == 0``) of ``tests/fixtures/themes_labelled.csv``,
  written by the team.

``--all`` adds every other signal's figure from the metrics files the transparency report reads
(the same numbers the report shows), so one command prints them all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

from brightline.core.insights import evaluation  # noqa: E402
from brightline.core.insights.themes import (  # noqa: E402
    DEFAULT_CLASSIFIER_PATH,
    build_theme_index,
    load_taxonomy,
)
from brightline.core.insights.transparency import THEME_METRICS_PATH  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "themes_labelled.csv"


def independent_sentences() -> list[evaluation.LabelledSentence] | None:
    """The independent themes set, or ``None`` when the shared data folder is absent."""
    try:
        import eval_pool  # type: ignore[import-not-found]

        rows = eval_pool.load_labelled("themes")
    except (FileNotFoundError, KeyError):
        return None
    return [evaluation.LabelledSentence(item_id, text, frozenset(t for t in label.split(";") if t and t != "none"))
            for item_id, text, label, _source in rows]


def team_test_sentences() -> list[evaluation.LabelledSentence]:
    rows = evaluation.read_labelled_sentences(FIXTURE)
    return [row for row in rows if evaluation.labelled_split(row.id) == "test"]


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def print_theme_table(name: str, result: dict[str, Any], *, markdown: bool) -> None:
    none_rows = result.get("none_sentences")
    print(f"{name}: {result['sentences']} sentences" + (f" ({none_rows} about no theme)" if none_rows is not None
                                                         else ""))
    if markdown:
        print()
        print("| theme | precision | recall | F1 | support | predicted |")
        print("| --- | --- | --- | --- | --- | --- |")
        print(f"| **all themes (micro)** | **{_fmt(result['micro_precision'])}** | **{_fmt(result['micro_recall'])}** "
              f"| **{_fmt(result['micro_f1'])}** | {sum(r['support'] for r in result['per_theme'])} "
              f"| {sum(r['predicted'] for r in result['per_theme'])} |")
        for row in result["per_theme"]:
            if row["support"] or row["predicted"]:
                print(f"| {row['theme']} | {_fmt(row['precision'])} | {_fmt(row['recall'])} | {_fmt(row.get('f1'))} "
                      f"| {row['support']} | {row['predicted']} |")
        print()
    else:
        print(f"  micro precision {_fmt(result['micro_precision'])}  recall {_fmt(result['micro_recall'])}  "
              f"F1 {_fmt(result['micro_f1'])}")
        for row in result["per_theme"]:
            if row["support"] or row["predicted"]:
                print(f"  {row['theme']:<16} P {_fmt(row['precision'])}  R {_fmt(row['recall'])}  "
                      f"support {row['support']:>3}  predicted {row['predicted']:>3}")


def theme_results(sets: Sequence[str]) -> dict[str, dict[str, Any]]:
    index = build_theme_index(load_taxonomy(), embedder=embed)
    results: dict[str, dict[str, Any]] = {}
    for name in sets:
        sentences = independent_sentences() if name == "independent" else team_test_sentences()
        if sentences is None:
            continue
        scored = evaluation.evaluate_themes(sentences, index, embedder=embed, split=name).to_json()
        scored["none_sentences"] = sum(1 for s in sentences if not s.themes)
        results[name] = scored
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--set", choices=("independent", "team", "both"), default="both")
    parser.add_argument("--json", type=Path, help="also write the theme figures to this file")
    parser.add_argument("--record", action="store_true",
                        help="record the independent set's figures in the shipped themes_metrics.json (once per change "
                             "of the matcher: the previous figures become 'before')")
    args = parser.parse_args(argv)
    sets = ("independent", "team") if args.set == "both" else (args.set,)
    results = theme_results(sets)
    if "independent" in sets and "independent" not in results:
        print("independent set: skipped (../shared/data is absent)")
    titles = {"independent": "Independent set (tools/nlp/eval/themes_labels.csv, crowd-written review sentences)",
              "team": "Team test rows (tests/fixtures/themes_labelled.csv, sha256(id) mod 3 == 0)"}
    for name, result in results.items():
        print_theme_table(titles[name], result, markdown=args.markdown)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.record and "independent" in results:
        record_independent(results["independent"])
    return 0


def record_independent(result: dict[str, Any]) -> None:
    metrics = json.loads(THEME_METRICS_PATH.read_text(encoding="utf-8"))
    fingerprint = hashlib.sha256(DEFAULT_CLASSIFIER_PATH.read_bytes()).hexdigest()
    block = dict(metrics.get("independent", {}))
    if block.get("classifier_sha256") != fingerprint and "after" in block:
        block["before"] = block["after"]
    result = {key: value for key, value in result.items() if key != "split"}
    block.update({"classifier_sha256": fingerprint, "after": result})
    metrics["independent"] = block
    THEME_METRICS_PATH.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"recorded the independent figures in {THEME_METRICS_PATH.name}")


if __name__ == "__main__":
    raise SystemExit(main())
