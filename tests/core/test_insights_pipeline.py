"""The per-comment pipeline gives exactly the shipped classifier's sentiment, from one embedding pass."""

import json
from datetime import UTC, datetime

from brightline.core.insights import (
    Comment,
    analyse_comments,
    build_theme_index,
    build_transparency_report,
    load_model_metrics,
    load_taxonomy,
    model_versions,
    sentiment_from_embeddings,
)
from brightline.core.insights.pipeline import NLP_MODELS_PATH
from brightline.core.insights.transparency import THEME_METRICS_PATH
from brightline.core.nlp import classify_sentiment, embed

TEXTS = ["Great job on the release, thanks!", "This review is sloppy and the tests are broken.",
         "The meeting is at noon.", "I love how clear the design doc is.", ""]


def test_sentiment_from_precomputed_embeddings_equals_classify_sentiment():
    expected = classify_sentiment(TEXTS)
    found = sentiment_from_embeddings(TEXTS, embed(TEXTS, backend="static"))
    assert [(s.label, round(s.confidence, 5)) for s in found] == [(p.label, round(p.confidence, 5)) for p in expected]


def test_analyse_comments_returns_themes_sentiment_and_embeddings():
    comments = [Comment(id=str(i), author_id="a", subject_id="b", text=t, written_at=datetime(2026, 6, 1, tzinfo=UTC))
                for i, t in enumerate(TEXTS)]
    analyses, vectors = analyse_comments(comments, index=build_theme_index(load_taxonomy(), embedder=embed))
    assert [a.comment_id for a in analyses] == [c.id for c in comments] and vectors.shape == (5, 256)


def test_model_versions_name_the_weights_they_were_computed_with():
    versions = model_versions()
    assert versions["embeddings"].startswith("minilm-static@") and versions["sentiment"].startswith("sentiment@")


def test_the_transparency_report_carries_the_measured_numbers_of_the_metrics_files():
    sentiment = load_model_metrics(NLP_MODELS_PATH / "sentiment" / "metrics.json")
    themes = json.loads(THEME_METRICS_PATH.read_text())
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics=sentiment, theme_metrics=themes, versions=model_versions(), reviews={}, window_days=182)}
    drift = {(f.dataset, f.metric): f.value for f in report["sentiment_drift"].accuracy}
    assert drift[("Senti4SD test split", "macro-F1")] == sentiment["test"]["senti4sd_test"]["macro_f1"]
    theme = {f.metric: f.value for f in report["theme"].accuracy}
    assert theme["micro F1"] == themes["test"]["micro_f1"]
    detection = {f.metric: f.value for f in report["trend_break"].accuracy}
    assert detection["detection rate (within 2 periods)"] > 0.8
    assert all(entry.cannot_infer and entry.human_review and entry.failure_modes for entry in report.values())
