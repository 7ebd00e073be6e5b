"""The transparency report carries the tone check's measured figures, read from the committed files."""

from __future__ import annotations

from brightline.core.insights.transparency import build_transparency_report, load_model_metrics
from brightline.core.nlp.classifiers import (
    CONTEXTUAL_FIRST_STAGE,
    ENCODER_ATTACK_STAGE,
    LINEAR_ATTACK_STAGE,
    MODELS_PATH,
    STATIC_FIRST_STAGE,
)


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


def test_the_entry_names_the_first_stage_in_use_and_shows_its_figures() -> None:
    metrics = load_model_metrics(MODELS_PATH / "tone" / "metrics.json")
    evaluation = load_model_metrics(MODELS_PATH / "tone" / "eval_metrics.json")
    for words, key, block in ((STATIC_FIRST_STAGE, "toxicr_test", evaluation),
                              (CONTEXTUAL_FIRST_STAGE, "toxicr_test_contextual", evaluation["contextual_first_stage"])):
        report = {entry.kind: entry for entry in build_transparency_report(
            sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=30,
            tone_metrics=metrics, tone_evaluation=evaluation, tone_first_stage=words)}
        entry = report["tone_check"]
        assert entry.model.endswith(f"first stage: {words}") and "/" not in words
        figures = {(figure.dataset, figure.metric): figure for figure in entry.accuracy}
        toxic_f1 = figures[("ToxiCR code-review comments, test split", "toxic f1")]
        assert toxic_f1.value == metrics["test"][key]["per_class"]["toxic"]["f1"]
        attack = figures[("independently labelled public review text", "share of direct personal attacks flagged")]
        assert attack.value == block["by_label"]["attack"]["share_flagged"]


def test_the_later_sets_are_shown_beside_the_first_when_they_were_measured() -> None:
    evaluation = {"by_label": {"attack": {"n": 22, "flagged": 19, "share_flagged": 0.8636}},
                  "v2": {"by_label": {"attack": {"n": 70, "flagged": 56, "share_flagged": 0.8},
                                      "critique": {"n": 120, "flagged": 18, "share_flagged": 0.15}}}}
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=30, tone_evaluation=evaluation)}
    figures = {(figure.dataset, figure.metric): figure for figure in report["tone_check"].accuracy}
    first = figures[("independently labelled public review text", "share of direct personal attacks flagged")]
    second = figures[("second independently labelled set", "share of direct personal attacks flagged")]
    assert (first.value, first.n, second.value, second.n) == (0.8636, 22, 0.8, 70)
    assert figures[("second independently labelled set", "share of professional critique flagged")].n == 120
    assert ("independently labelled public review text", "share of professional critique flagged") not in figures
    assert not any(dataset.startswith("third") for dataset, _ in figures)
    evaluation["v3"] = {"by_label": {"attack": {"n": 85, "flagged": 47, "share_flagged": 0.553}}}
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=30, tone_evaluation=evaluation)}
    third = [figure for figure in report["tone_check"].accuracy if figure.dataset.startswith("third")]
    assert [(figure.dataset, figure.value, figure.n) for figure in third] == [
        ("third independently labelled set, held out", 0.553, 85)]
    assert "held out" in third[0].built and "third settling" in third[0].built


def test_with_the_attack_reader_in_use_the_entry_names_it_and_shows_its_held_out_figures() -> None:
    evaluation = load_model_metrics(MODELS_PATH / "tone" / "eval_metrics.json")
    reader = evaluation["attack_reader"]["v2"]["by_label"]
    held_out = ("second independently labelled set", "share of direct personal attacks flagged")
    first_set = ("independently labelled public review text", "share of direct personal attacks flagged")
    shown = {}
    for words in (LINEAR_ATTACK_STAGE, ENCODER_ATTACK_STAGE):
        report = {entry.kind: entry for entry in build_transparency_report(
            sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=30,
            tone_evaluation=evaluation, tone_first_stage=STATIC_FIRST_STAGE, tone_attack_stage=words)}
        entry = report["tone_check"]
        assert entry.model.endswith(f"attack flag: {words}")
        shown[words] = {(figure.dataset, figure.metric): figure for figure in entry.accuracy}
    assert shown[LINEAR_ATTACK_STAGE][held_out].value == evaluation["v2"]["by_label"]["attack"]["share_flagged"]
    assert shown[ENCODER_ATTACK_STAGE][held_out].value == reader["attack"]["share_flagged"]
    critique = ("second independently labelled set", "share of professional critique flagged")
    assert shown[ENCODER_ATTACK_STAGE][critique].value == reader["critique"]["share_flagged"]
    # The reader was trained on the first set, so that set says nothing about it.
    assert first_set in shown[LINEAR_ATTACK_STAGE] and first_set not in shown[ENCODER_ATTACK_STAGE]
