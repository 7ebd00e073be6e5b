"""The per-comment pipeline gives exactly embed()'s vectors, assign_themes' themes and the shipped
classifier's sentiment, from one tokenisation of each comment."""

import csv
import json
from datetime import UTC, datetime

import numpy as np
import pytest
from tests.research_data import RESEARCH_DATA as SHARED_DATA

from brightline.core.insights import (
    Comment,
    analyse_comments,
    assign_themes,
    build_theme_index,
    build_transparency_report,
    load_model_metrics,
    load_signal_accuracy,
    load_taxonomy,
    model_versions,
    pipeline,
    sentiment_from_embeddings,
)
from brightline.core.insights.pipeline import NLP_MODELS_PATH
from brightline.core.insights.themes import CONTEXTUAL_CLASSIFIER_PATH, theme_classifier_in_use
from brightline.core.insights.transparency import THEME_METRICS_PATH
from brightline.core.nlp import classify_sentiment, embed

TEXTS = ["Great job on the release, thanks!", "This review is sloppy and the tests are broken.",
         "The meeting is at noon.", "I love how clear the design doc is.", ""]
# Sentences, bullets, abbreviations, odd whitespace, emoji and texts long enough to be truncated
# (in tokens, in characters, and a long one made of many sentences).
AWKWARD_TEXTS = [
    "Done. Next we ship it.\n\n- one bullet\n- another one\n1. numbered item\n2) second",
    "e.g. this is fine. But J. Smith said no! (#1234) Really?",
    "  leading space. Trailing space.  ", "\tTabs\tand\x1fcontrol. Chars\x00here.", "   ",
    "👍 LGTM!!! :) thanks", "naïve café 中文 test.\u2028Next line", "- only a bullet", "1.5 is a number. v2.0 too.",
    "word " * 700, "x" * 4000, "Sentence one. " * 400, "\"Quoted.\" (Bracketed.) [Done.] Next.",
]


def comments_of(texts: list[str]) -> list[Comment]:
    return [Comment(id=str(i), author_id="a", subject_id="b", text=t, written_at=datetime(2026, 6, 1, tzinfo=UTC))
            for i, t in enumerate(texts)]


def assert_pipeline_agrees_with_the_separate_calls(texts: list[str]) -> None:
    comments = comments_of(texts)
    index = build_theme_index(load_taxonomy(), embedder=embed)
    analyses, vectors = analyse_comments(comments, index=index)
    np.testing.assert_array_equal(vectors, embed(texts, backend="static"))
    assert [a.themes for a in analyses] == assign_themes(comments, index, embedder=embed)
    expected = classify_sentiment(texts)
    assert [a.sentiment.label for a in analyses] == [p.label for p in expected]
    assert [a.sentiment.confidence for a in analyses] == pytest.approx([p.confidence for p in expected], abs=1e-9)


def shared_texts() -> list[str]:
    path = SHARED_DATA / "perf_review_text" / "employee_review_mturk_dataset_v10_kaggle.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared data folder is only on development machines")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reviews = [row["feedback"] for row in csv.DictReader(handle)][:300]
    with (SHARED_DATA / "premo_pr_emotions" / "premo_pr_comments.csv").open(encoding="utf-8", newline="") as handle:
        return reviews + [row["text"] for row in csv.DictReader(handle)][:700]


def test_sentiment_from_precomputed_embeddings_equals_classify_sentiment():
    expected = classify_sentiment(TEXTS)
    found = sentiment_from_embeddings(TEXTS, embed(TEXTS, backend="static"))
    assert [(s.label, round(s.confidence, 5)) for s in found] == [(p.label, round(p.confidence, 5)) for p in expected]


def test_analyse_comments_returns_themes_sentiment_and_embeddings():
    comments = comments_of(TEXTS)
    analyses, vectors = analyse_comments(comments, index=build_theme_index(load_taxonomy(), embedder=embed))
    assert [a.comment_id for a in analyses] == [c.id for c in comments] and vectors.shape == (5, 256)


def test_analyse_comments_equals_embed_assign_themes_and_classify_sentiment_on_awkward_texts():
    assert_pipeline_agrees_with_the_separate_calls(TEXTS + AWKWARD_TEXTS)


def test_analyse_comments_equals_the_separate_calls_on_real_review_and_pull_request_text():
    assert_pipeline_agrees_with_the_separate_calls(shared_texts())


def test_model_versions_name_the_weights_they_were_computed_with():
    versions = model_versions()
    assert versions["embeddings"].startswith("minilm-static@") and versions["sentiment"].startswith("sentiment@")
    # "themes-contextual@" when the contextual model is installed (tests/core/test_insights_themes_contextual.py).
    assert versions["themes"].startswith(("themes@", "themes-contextual@"))


def test_the_transparency_report_carries_the_measured_numbers_of_the_metrics_files():
    sentiment = load_model_metrics(NLP_MODELS_PATH / "sentiment" / "metrics.json")
    themes = json.loads(THEME_METRICS_PATH.read_text())
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics=sentiment, theme_metrics=themes, versions=model_versions(), reviews={}, window_days=182)}
    drift = {(f.dataset, f.metric): f.value for f in report["sentiment_drift"].accuracy}
    assert drift[("Senti4SD test split", "macro-F1")] == sentiment["test"]["senti4sd_test"]["macro_f1"]
    for entry in sentiment["leave_one_source_out"]["sources"].values():
        left_out = f"{entry['title']} ({entry['platform']}), left out of training"
        assert drift[(left_out, "negative F1")] == entry["left_out"]["negative_f1"]
        assert drift[(left_out, "macro-F1")] == entry["left_out"]["macro_f1"]
        aligned = (left_out, "negative F1, labels aligned to this product's meaning of negative")
        assert drift.get(aligned) == entry.get("left_out_aligned_labels", {}).get("negative_f1")
    assert any("left_out_aligned_labels" in entry for entry in sentiment["leave_one_source_out"]["sources"].values())
    assert len(sentiment["leave_one_source_out"]["sources"]) >= 4
    theme = {(f.dataset, f.metric): f.value for f in report["theme"].accuracy}
    independent = "crowd-written performance-review sentences, labelled independently"
    # The figures of the classifier in use: the contextual one's when the contextual model is installed.
    in_use = themes["independent_contextual"] if theme_classifier_in_use() == CONTEXTUAL_CLASSIFIER_PATH else {
        **themes["independent"], "test": themes["test"]}
    assert theme[(independent, "micro F1")] == in_use["after"]["micro_f1"]
    assert theme[(independent, "micro recall")] == in_use["after"]["micro_recall"]
    team = next(dataset for dataset, _ in theme if dataset.startswith("sentences written by the Brightline team"))
    assert theme[(team, "micro F1")] == in_use["test"]["micro_f1"]
    detection = {f.metric: f.value for f in report["trend_break"].accuracy}
    assert detection["detection rate (within 2 periods)"] > 0.8
    assert all(entry.cannot_infer and entry.human_review and entry.failure_modes for entry in report.values())


MEASURED_KINDS = ("theme", "theme_summary", "emergent_theme", "sentiment_drift", "trend_break", "contradiction",
                  "unsupported_claim", "tone_check")


def test_every_measured_figure_in_the_transparency_report_says_how_its_set_was_built():
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics=load_model_metrics(NLP_MODELS_PATH / "sentiment" / "metrics.json"),
        theme_metrics=load_model_metrics(THEME_METRICS_PATH), versions=model_versions(), reviews={}, window_days=182,
        signal_accuracy=load_signal_accuracy(),
        tone_metrics=load_model_metrics(NLP_MODELS_PATH / "tone" / "metrics.json"))}
    for kind in MEASURED_KINDS:
        assert report[kind].accuracy, kind
        assert all(figure.built and figure.dataset for figure in report[kind].accuracy), kind
        assert report[kind].sets_built, kind
    contradiction: dict[str, float | None] = {}
    for figure in report["contradiction"].accuracy:  # the composed cases first, then the real reviews
        contradiction.setdefault(figure.metric, figure.value)
    assert 0 < contradiction["precision"] <= 1 and 0 < contradiction["recall"] <= 1
    # The drift itself, not only the classifier under it, is measured (bench/sentiment_drift_eval.py --record).
    drift = {figure.metric: figure.value for figure in report["sentiment_drift"].accuracy}
    assert 0 < drift["drift recall (same direction)"] <= 1
    assert 0 <= drift["false-alarm rate (cases without a drift)"] < 1
    emergent = {figure.metric: figure.value for figure in report["emergent_theme"].accuracy}
    assert set(emergent) == {"planted topic found", "proposals about one theme"}
    # No file path is shown as a set's name.
    assert not any("/" in figure.dataset or ".csv" in figure.dataset for entry in report.values()
                   for figure in entry.accuracy)
    # A check without a figure says so in words rather than showing an empty table.
    for entry in report.values():
        if not entry.accuracy:
            assert "not measured" in entry.accuracy_note.lower(), entry.kind


def test_a_signal_accuracy_file_fills_its_slot_in_the_report(tmp_path):
    (tmp_path / "narrative_check.json").write_text(json.dumps({
        "kind": "narrative_check", "note": "Measured on labelled review sentences.",
        "figures": [{"dataset": "review sentences labelled by two people", "built": "drawn at random; labelled "
                     "before the rules were tuned", "metric": "vague precision", "value": 0.8, "n": 120}]}))
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics={}, versions={}, reviews={}, window_days=182,
        signal_accuracy=load_signal_accuracy(tmp_path))}
    [figure] = report["narrative_check"].accuracy
    assert (figure.metric, figure.value, figure.n) == ("vague precision", 0.8, 120)
    assert report["narrative_check"].accuracy_note == "Measured on labelled review sentences."
    assert report["narrative_check"].sets_built == ["review sentences labelled by two people: drawn at random; "
                                                    "labelled before the rules were tuned"]


def test_analysing_in_chunks_gives_what_one_pass_gives(monkeypatch):
    texts = [*TEXTS, *AWKWARD_TEXTS, *(f"Comment {i}. It shipped on time." for i in range(7))]
    comments = comments_of(texts)
    index = build_theme_index(load_taxonomy(), embedder=embed)
    whole, whole_vectors = analyse_comments(comments, index=index)
    monkeypatch.setattr(pipeline, "ANALYSIS_CHUNK_SIZE", 4)
    chunked, chunked_vectors = analyse_comments(comments, index=index)
    assert len(chunked) == len(texts)
    assert [(a.comment_id, a.themes, a.sentiment.label) for a in chunked] == [
        (a.comment_id, a.themes, a.sentiment.label) for a in whole]
    # A matrix product of another shape may sum in another order: the last float32 bits differ.
    assert [a.sentiment.confidence for a in chunked] == pytest.approx([a.sentiment.confidence for a in whole],
                                                                      abs=1e-6)
    np.testing.assert_array_equal(chunked_vectors, whole_vectors)
