"""The missing-evidence evaluation command: its scores, the labellers' agreement and the report's slot."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bench_scripts import load_bench


def test_scores_count_lacking_evidence_against_the_labels() -> None:
    bench = load_bench("missing_evidence_eval")
    rows = [
        ("a", "commit", "Fix the retry loop (#4521)", "yes", ""),  # names evidence, read as naming it
        ("b", "commit", "Fix the retry loop", "no", ""),  # lacks evidence, read as lacking it
        ("c", "perf", "Her Q3 capacity plan was excellent", "yes", ""),  # named by title only: missed
        ("d", "perf", "Ranked #12 in sales", "no", ""),  # a rank read as a pull request
    ]
    scores = bench.score(rows)
    assert scores["all"]["labelled_no"] == 2 and scores["all"]["labelled_yes"] == 2
    assert scores["all"]["lacks_precision"] == 0.5 and scores["all"]["lacks_recall"] == 0.5
    assert scores["commit"]["lacks_precision"] == scores["commit"]["lacks_recall"] == 1.0
    assert scores["perf"]["names_recall"] == 0.0


def test_the_slot_is_in_words_and_reaches_the_transparency_report(tmp_path: Path) -> None:
    from brightline.core.insights import build_transparency_report, load_signal_accuracy

    bench = load_bench("missing_evidence_eval")
    scores = bench.score([("a", "commit", "Fix (#4521)", "yes", ""), ("b", "perf", "Great work", "no", "")])
    slot = bench.accuracy_slot(scores, {"items": 2, "agreed": 1, "agreement": 0.5, "cohen_kappa": 0.0})
    assert all("/" not in figure["dataset"] and ".csv" not in figure["built"] for figure in slot["figures"])
    (tmp_path / "missing_evidence.json").write_text(json.dumps(slot), encoding="utf-8")
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=182,
        signal_accuracy=load_signal_accuracy(tmp_path))}
    entry = report["missing_evidence"]
    assert ("public statements about work, all statements", "recall of 'lacks evidence'", 1.0) in [
        (figure.dataset, figure.metric, figure.value) for figure in entry.accuracy]
    assert "Not measured yet" not in entry.accuracy_note and "kappa 0.00" in entry.accuracy_note
