"""AI-derived signals (PRODUCT.md C1–C11, H4): themes, sentiment drift, trend breaks,
contradictions and missing evidence, each with computed confidence and provenance.

Pure computation, no Django: plain dataclasses in (:class:`Comment`, :class:`MetricSeries`,
:class:`EvidenceRef`, :class:`Claim`), :class:`SignalDraft` values out. A signal is a hypothesis
for a human to accept or dismiss, never a rating (principle 3). See ``docs/signals.md``.
"""

from brightline.core.insights.bias import (
    BIAS_GROUPINGS,
    BiasFinding,
    BiasReport,
    SubjectProfile,
    compare_signal_rates,
    tenure_band,
    volume_quartiles,
)
from brightline.core.insights.clusters import (
    MIN_CORPUS,
    ClusterProposal,
    c_tf_idf_labels,
    emergent_theme_signals,
    propose_clusters,
)
from brightline.core.insights.confidence import (
    EVIDENCE_CHECK_RULE,
    METRIC_SERIES_RULE,
    QUALITATIVE_RULE,
    ConfidenceRule,
    count_distinct_authors,
    label_confidence,
    span_in_days,
)
from brightline.core.insights.evaluation import (
    LabelledSentence,
    ThemeEvaluation,
    ThemeScore,
    choose_threshold,
    evaluate_themes,
    labelled_split,
    measure_theme_accuracy,
    read_labelled_sentences,
)
from brightline.core.insights.evidence_checks import (
    DELIVERY_EVIDENCE_KINDS,
    DIMENSION_EVIDENCE_KINDS,
    MIN_CONCERN_AUTHORS,
    STRONG_DELIVERY_ITEMS,
    Claim,
    EvidenceRef,
    delivery_concern_contradictions,
    missing_evidence_signals,
    unsupported_claim_signals,
    unsupported_numbers,
)
from brightline.core.insights.pipeline import (
    CommentAnalysis,
    analyse_comments,
    model_versions,
    sentiment_from_embeddings,
)
from brightline.core.insights.sentiment import (
    MIN_DRIFT,
    MonthlySentiment,
    SentimentScore,
    monthly_sentiment,
    sentiment_drift,
    signed_score,
)
from brightline.core.insights.signals import (
    Agreement,
    Comment,
    CommentPrompt,
    Confidence,
    ConfidenceLabel,
    ItemRef,
    SignalDraft,
    SignalKind,
    Subject,
    SubjectKind,
)
from brightline.core.insights.themes import (
    DEFAULT_THEME_THRESHOLD,
    MIN_THEME_AUTHORS,
    MIN_THEME_COMMENTS,
    NOT_ENOUGH_DATA,
    CommentThemes,
    Taxonomy,
    ThemeDefinition,
    ThemeIndex,
    ThemeMatch,
    assign_themes,
    build_theme_index,
    deduplicate_comments,
    load_taxonomy,
    summarise_themes,
)
from brightline.core.insights.transparency import (
    HUMAN_REVIEW_RULE,
    THEME_METRICS_PATH,
    AccuracyFigure,
    SignalTypeReport,
    build_transparency_report,
    load_model_metrics,
    measure_trend_detection,
)
from brightline.core.insights.trends import (
    MIN_RELATIVE_CHANGE,
    MIN_SEGMENT,
    PENALTY_FACTOR,
    MetricSeries,
    TrendBreak,
    detect_trend_breaks,
    trend_break_signals,
)

__all__ = [
    # shared shapes
    "Agreement",
    "Comment",
    "CommentPrompt",
    "Confidence",
    "ConfidenceLabel",
    "ItemRef",
    "SignalDraft",
    "SignalKind",
    "Subject",
    "SubjectKind",
    # confidence
    "EVIDENCE_CHECK_RULE",
    "METRIC_SERIES_RULE",
    "QUALITATIVE_RULE",
    "ConfidenceRule",
    "count_distinct_authors",
    "label_confidence",
    "span_in_days",
    # themes
    "DEFAULT_THEME_THRESHOLD",
    "MIN_THEME_AUTHORS",
    "MIN_THEME_COMMENTS",
    "NOT_ENOUGH_DATA",
    "CommentThemes",
    "Taxonomy",
    "ThemeDefinition",
    "ThemeIndex",
    "ThemeMatch",
    "assign_themes",
    "build_theme_index",
    "deduplicate_comments",
    "load_taxonomy",
    "summarise_themes",
    # theme evaluation
    "LabelledSentence",
    "ThemeEvaluation",
    "ThemeScore",
    "choose_threshold",
    "evaluate_themes",
    "labelled_split",
    "measure_theme_accuracy",
    "read_labelled_sentences",
    # emergent clusters
    "MIN_CORPUS",
    "ClusterProposal",
    "c_tf_idf_labels",
    "emergent_theme_signals",
    "propose_clusters",
    # sentiment
    "MIN_DRIFT",
    "MonthlySentiment",
    "SentimentScore",
    "monthly_sentiment",
    "sentiment_drift",
    "signed_score",
    # trend breaks
    "MIN_RELATIVE_CHANGE",
    "MIN_SEGMENT",
    "PENALTY_FACTOR",
    "MetricSeries",
    "TrendBreak",
    "detect_trend_breaks",
    "trend_break_signals",
    # contradictions and missing evidence
    "DELIVERY_EVIDENCE_KINDS",
    "DIMENSION_EVIDENCE_KINDS",
    "MIN_CONCERN_AUTHORS",
    "STRONG_DELIVERY_ITEMS",
    "Claim",
    "EvidenceRef",
    "delivery_concern_contradictions",
    "missing_evidence_signals",
    "unsupported_claim_signals",
    "unsupported_numbers",
    # the per-comment pipeline
    "CommentAnalysis",
    "analyse_comments",
    "model_versions",
    "sentiment_from_embeddings",
    # bias checks
    "BIAS_GROUPINGS",
    "BiasFinding",
    "BiasReport",
    "SubjectProfile",
    "compare_signal_rates",
    "tenure_band",
    "volume_quartiles",
    # transparency
    "HUMAN_REVIEW_RULE",
    "THEME_METRICS_PATH",
    "AccuracyFigure",
    "SignalTypeReport",
    "build_transparency_report",
    "load_model_metrics",
    "measure_trend_detection",
]
