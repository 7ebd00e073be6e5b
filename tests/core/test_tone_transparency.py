"""The transparency report carries the tone check's measured figures, read from the committed files."""

from __future__ import annotations

from brightline.core.insights.transparency import build_transparency_report, load_model_metrics
from brightline.core.nlp.classifiers import MODELS_PATH


def test_the_tone_entry_reads_the_test_split_and_the_independent_evaluation() -> None:
    metrics = load_model_metrics(MODELS_PATH / "tone" / "metrics.json")
    evaluation = {"by_label": {"attack": {"n": 40, "flagged": 36, "share_flagged": 0.9},
                               "critique": {"n": 50, "flagged": 4, "share_flagged": 0.08}}}
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=30,
        tone_metrics=metrics, tone_evaluation=evaluation)}
    figures = {(figure.dataset, figure.metric): figure for figure in report["tone_check"].accuracy}
    toxic_f1 = figures[("ToxiCR code-review comments, test split", "toxic f1")]
    assert toxic_f1.value == metrics["test"]["toxicr_test"]["per_class"]["toxic"]["f1"]
    attack = figures[("independently labelled public review text", "share of direct personal attacks flagged")]
    assert (attack.value, attack.n) == (0.9, 40)
    assert ("independently labelled public review text", "share of neutral comments flagged") not in figures


def test_without_the_files_the_entry_has_no_figures_rather_than_made_up_ones() -> None:
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=30)}
    assert report["tone_check"].accuracy == () and report["tone_check"].failure_modes
