"""The transparency report (C9): for every signal type, in words for the engineer being reviewed.

Measured numbers are never typed in here: the caller passes the model metrics files as read at run
time (``metrics.json`` of the sentiment and tone models, ``themes_metrics.json``, and one file per
signal in ``data/accuracy/``), and the trend-break detector is measured on the spot on synthetic
series with a known break (fixed seed). Every figure names the set it was measured on and how that
set was built; a signal without a measured figure says so.

``data/accuracy/<kind>.json`` (written by ``bench/themes_eval.py --all`` or by the check's own
evaluation command) has the shape::

    {"kind": "contradiction", "command": "python bench/themes_eval.py --all",
     "figures": [{"dataset": "...", "built": "...", "metric": "precision", "value": 0.9, "n": 120}],
     "note": "..."}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from brightline.core.insights import clusters, evidence_checks, sentiment, themes, trends
from brightline.core.insights.signals import Subject

__all__ = [
    "HUMAN_REVIEW_RULE",
    "SIGNAL_ACCURACY_DIR",
    "THEME_METRICS_PATH",
    "AccuracyFigure",
    "SignalTypeReport",
    "build_transparency_report",
    "load_model_metrics",
    "load_signal_accuracy",
    "measure_trend_detection",
]

THEME_METRICS_PATH = Path(__file__).resolve().parent / "data" / "themes_metrics.json"
#: One ``<kind>.json`` per signal or check measured outside its model's metrics file (see the module doc).
SIGNAL_ACCURACY_DIR = Path(__file__).resolve().parent / "data" / "accuracy"
NOT_MEASURED_YET = "Not measured yet on a labelled set: its evaluation set is still being built."
HUMAN_REVIEW_RULE = (
    "Every signal starts as pending. Only you or someone in your management chain can accept or dismiss it, with a "
    "reason; both are recorded in the audit trail, dismissals are kept and counted. Only accepted signals can be "
    "cited in a review, and no signal can be the sole basis of a rating or an adverse decision."
)


@dataclass(frozen=True, slots=True)
class AccuracyFigure:
    dataset: str
    metric: str
    value: float | None
    n: int | None
    source: str
    #: How the set was built: where its texts come from and who labelled them, before what.
    built: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "metric": self.metric, "value": self.value, "n": self.n,
                "source": self.source, "built": self.built}


@dataclass(frozen=True, slots=True)
class SignalTypeReport:
    kind: str
    title: str
    data_used: str
    time_window: str
    detects: str
    cannot_infer: str
    accuracy: tuple[AccuracyFigure, ...]
    accuracy_note: str
    failure_modes: tuple[str, ...]
    human_review: str
    model: str
    reviews: Mapping[str, int]

    @property
    def sets_built(self) -> list[str]:
        """How each set behind the figures was built, one line per distinct set, in figure order."""
        return list(dict.fromkeys(f"{figure.dataset.split(', theme ')[0]}: {figure.built}"
                                  for figure in self.accuracy if figure.built))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "data_used": self.data_used, "time_window": self.time_window,
                "detects": self.detects, "cannot_infer": self.cannot_infer,
                "accuracy": [figure.to_json() for figure in self.accuracy], "accuracy_note": self.accuracy_note,
                "failure_modes": list(self.failure_modes), "human_review": self.human_review, "model": self.model,
                "reviews": dict(self.reviews)}


def load_model_metrics(path: Path) -> dict[str, Any]:
    """A metrics file as committed next to a model; ``{}`` when absent (the report then says so)."""
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def share_figure(dataset: str, built: str, metric: str, hits: int, n: int) -> dict[str, Any]:
    """One figure of a ``data/accuracy/<kind>.json`` file: ``hits`` of ``n`` as a share (``None`` when ``n`` is 0)."""
    return {"dataset": dataset, "built": built, "metric": metric, "n": n, "value": round(hits / n, 4) if n else None}


def write_signal_accuracy(document: Mapping[str, Any], directory: Path | None = None) -> Path:
    """Write ``document`` as the report's slot ``<kind>.json`` (``data/accuracy/`` by default); its path."""
    path = (directory or SIGNAL_ACCURACY_DIR) / f"{document['kind']}.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def load_signal_accuracy(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """``kind → document`` for every ``<kind>.json`` in ``directory`` (``data/accuracy/`` by default)."""
    folder = directory or SIGNAL_ACCURACY_DIR
    if not folder.is_dir():
        return {}
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents[str(document.get("kind", path.stem))] = document
    return documents


def _figures(document: Mapping[str, Any] | None, source: str) -> list[AccuracyFigure]:
    if not document:
        return []
    return [AccuracyFigure(str(f.get("dataset", "")), str(f.get("metric", "")), f.get("value"), f.get("n"), source,
                           str(f.get("built", ""))) for f in document.get("figures", ())]


@cache
def measure_trend_detection(*, seed: int = 0, series: int = 200, length: int = 26) -> dict[str, Any]:
    """Detection rate on synthetic weekly series with one 40 % level shift at a known week, and the
    false-alarm rate on series without one (Gaussian noise, 10 % of the level). A break counts as
    found when one is reported within two periods of the true date."""
    rng = np.random.default_rng(seed)
    start = date(2026, 1, 5)
    found = false_alarms = 0
    for _ in range(series):
        level = float(rng.uniform(2, 20))
        cut = int(rng.integers(8, length - 5))
        noise = rng.normal(0, 0.1 * level, length)
        shifted = np.where(np.arange(length) >= cut, level * 0.6, level) + noise
        flat = level + rng.normal(0, 0.1 * level, length)
        for values, has_break in ((shifted, True), (flat, False)):
            points = tuple((start + timedelta(weeks=i), float(v)) for i, v in enumerate(values))
            result = trends.detect_trend_breaks(trends.MetricSeries("synthetic", "", Subject("team", "x"), points))
            if has_break and any(abs(b.index - cut) <= 2 for b in result):
                found += 1
            if not has_break and result:
                false_alarms += 1
    return {"dataset": f"{series} synthetic weekly series of {length} points with a 40% level shift, and {series} "
                       f"without (seed {seed})",
            "detection_rate": round(found / series, 4), "false_alarm_rate": round(false_alarms / series, 4),
            "n": series}


def _per_class(metrics: Mapping[str, Any], split: str, dataset: str, source: str, built: str = "",
               label: str = "negative") -> list[AccuracyFigure]:
    block = metrics.get("test", {}).get(split)
    if not block:
        return []
    figures = [AccuracyFigure(dataset, "macro-F1", block.get("macro_f1"), block.get("n"), source, built)]
    chosen = block.get("per_class", {}).get(label)
    if chosen:
        figures.append(AccuracyFigure(dataset, f"{label} precision", chosen.get("precision"), chosen.get("support"),
                                      source, built))
        figures.append(AccuracyFigure(dataset, f"{label} recall", chosen.get("recall"), chosen.get("support"),
                                      source, built))
    return figures


_TEAM_THEME_SET = ("sentences written by the Brightline team, held out (one in three, by a hash of the sentence id)",
                   "475 feedback sentences written by the team, two thirds used for training; the labels were written "
                   "with the sentences, before the classifier was trained")


def _theme_label(theme_id: str) -> str:
    """A theme by the label people read on the pages (``code_quality`` → "Code quality")."""
    labels = {theme.id: theme.label for theme in themes.load_taxonomy().themes}
    return labels.get(theme_id, theme_id.replace("_", " "))


def _theme_dataset(name: str, theme_id: str) -> str:
    return f"{name}, theme {_theme_label(theme_id).lower()}"


def _contextual_themes_in_use() -> bool:
    from brightline.core.insights.themes import CONTEXTUAL_CLASSIFIER_PATH, theme_classifier_in_use

    return theme_classifier_in_use() == CONTEXTUAL_CLASSIFIER_PATH


def _scored_matcher_is_shipped(block: Mapping[str, Any], path: Path) -> bool:
    """Whether figures recorded with the scored classifier's fingerprint belong to the file shipped at ``path``
    (figures recorded without one are taken as they are)."""
    recorded = block.get("classifier_sha256")
    return not recorded or not path.is_file() or recorded == hashlib.sha256(path.read_bytes()).hexdigest()


def _theme_figures(theme_metrics: Mapping[str, Any], source: str) -> list[AccuracyFigure]:
    figures: list[AccuracyFigure] = []
    independent = theme_metrics.get("independent", {})
    if _contextual_themes_in_use() and "independent_contextual" in theme_metrics:
        # The classifier in use runs the contextual model too: its own figures on the same set.
        independent = {**independent, **theme_metrics["independent_contextual"]}
    after = independent.get("after")
    if after:
        name = "crowd-written performance-review sentences, labelled independently"
        built = str(independent.get("built", ""))
        figures += [AccuracyFigure(name, metric, after.get(key), after.get("sentences"), source, built)
                    for metric, key in (("micro precision", "micro_precision"), ("micro recall", "micro_recall"),
                                        ("micro F1", "micro_f1"))]
        figures += [AccuracyFigure(_theme_dataset(name, row["theme"]), metric, row.get(key), row.get("support"), source,
                                   built)
                    for row in after.get("per_theme", ()) if row.get("support")
                    for metric, key in (("precision", "precision"), ("recall", "recall"))]
    second = theme_metrics.get("independent_v2", {})
    second_path = themes.DEFAULT_CLASSIFIER_PATH
    if _contextual_themes_in_use() and "independent_v2_contextual" in theme_metrics:
        second = theme_metrics["independent_v2_contextual"]
        second_path = themes.CONTEXTUAL_CLASSIFIER_PATH
    second_after = second.get("after")
    if second_after and not _scored_matcher_is_shipped(second, second_path):
        second_after = None  # a retrained matcher is not shown with its predecessor's held-out figures
    if second_after:
        built = ("a second, larger set built the same way and held out: 300 crowd-written review sentences (200 drawn "
                 "at random, 100 because they use a topic word) from reviews no model learned from, labelled by two "
                 "labellers before the matcher was run on them; the first set has been seen by many versions of it")
        for name, block in (("second independently labelled set of review sentences, held out", second_after),
                            ("the same set, its 200 randomly drawn sentences", second_after.get("random_draw") or {})):
            figures += [AccuracyFigure(name, metric, block.get(key), block.get("sentences"), source, built)
                        for metric, key in (("micro precision", "micro_precision"), ("micro recall", "micro_recall"),
                                            ("micro F1", "micro_f1")) if key in block]
    test = theme_metrics.get("test", {})
    if _contextual_themes_in_use() and "test" in theme_metrics.get("independent_contextual", {}):
        test = theme_metrics["independent_contextual"]["test"]
    if test:
        name, built = _TEAM_THEME_SET
        figures += [AccuracyFigure(name, metric, test.get(key), test.get("sentences"), source, built)
                    for metric, key in (("micro precision", "micro_precision"), ("micro recall", "micro_recall"),
                                        ("micro F1", "micro_f1"))]
        figures += [AccuracyFigure(_theme_dataset(name, row["theme"]), metric, row.get(key), row.get("support"), source,
                                   built)
                    for row in test.get("per_theme", ()) for metric, key in (("precision", "precision"),
                                                                              ("recall", "recall"))]
    return figures


def _tone_figures(metrics: Mapping[str, Any], evaluation: Mapping[str, Any],
                  contextual: bool = False, attack_reader: bool = False) -> list[AccuracyFigure]:
    """The tone check's figures: the ToxiCR test rows (``metrics.json``) and the independent
    evaluation set (``eval_metrics.json``, written by ``bench/tone_eval.py``); with ``contextual``, those of the
    check run on its tuned contextual first stage (when they were measured); with ``attack_reader``, the held-out
    figures of the check whose attack flag the fine-tuned reader decides (when they were measured; the reader trained
    on the first set, so that set's figures are left out)."""
    source, eval_source = "core/nlp/models/tone/metrics.json", "core/nlp/models/tone/eval_metrics.json"
    figures = []
    reader = evaluation.get("attack_reader") or {}
    if attack_reader and (reader.get("v2") or reader.get("v3")):
        evaluation = {key: reader[key] for key in ("v2", "v3") if reader.get(key)}
    toxicr_key = "toxicr_test"
    if contextual and evaluation.get("contextual_first_stage") and metrics.get("test", {}).get(
            "toxicr_test_contextual"):
        evaluation, toxicr_key = evaluation["contextual_first_stage"], "toxicr_test_contextual"
    toxic = metrics.get("test", {}).get(toxicr_key, {}).get("per_class", {}).get("toxic")
    if toxic:
        built = ("comments labelled toxic or not by the ToxiCR authors; the test split (by a hash of the text) "
                 "was never trained on or used for a choice")
        figures += [AccuracyFigure("ToxiCR code-review comments, test split", f"toxic {name}", toxic.get(name),
                                   toxic.get("support"), source, built) for name in ("precision", "recall", "f1")]
    independent_built = ("review comments and review sentences nobody on the team wrote; two labellers worked alone "
                         "from a written definition and never saw the check; labels fixed before it was run on them")
    second_built = ("a second, larger set built the same way: review comments, issue and mailing-list sentences and "
                    "review sentences nobody on the team wrote, labelled by two labellers before the check was run on "
                    "them; since scored by a few versions of the check")
    held_out_built = ("a third set built the same way and held out: GitHub issue comments and sentences of heated "
                      "pull-request threads nobody on the team wrote, labelled by two labellers working alone and a "
                      "third settling their disagreements, before any version of the check was run on them; the "
                      "first two sets have been seen by earlier versions of the check")
    for dataset, block, built in (("independently labelled public review text", evaluation, independent_built),
                                  ("second independently labelled set", evaluation.get("v2") or {}, second_built),
                                  ("third independently labelled set, held out", evaluation.get("v3") or {},
                                   held_out_built)):
        for label, metric in (("attack", "share of direct personal attacks flagged"),
                              ("critique", "share of professional critique flagged"),
                              ("profane", "share of profanity not aimed at a person flagged"),
                              ("neutral", "share of neutral comments flagged")):
            row = block.get("by_label", {}).get(label)
            if row:
                figures.append(AccuracyFigure(dataset, metric, row.get("share_flagged"), row.get("n"), eval_source,
                                              built))
    return figures


def _narrative_figures(metrics: Mapping[str, Any], independent: Mapping[str, Any],
                       slot: Mapping[str, Any] | None = None) -> list[AccuracyFigure]:
    """The independent set's figures from the report's slot (written with the set's description by the narrative
    evaluation command), else from the model's ``independent_eval.json``; then the model's cross-validation."""
    figures = _figures(slot, "data/accuracy/narrative_check.json") if slot else _narrative_independent(independent)
    overall = metrics.get("cross_validation", {}).get("overall")
    if overall:
        cv_source = "core/narrative/models/specificity/metrics.json"
        dataset = "training statements, grouped 5-fold cross-validation (model only)"
        cv_built = "the statements the model learned from, each scored by a model fitted without its group"
        figures.append(AccuracyFigure(dataset, "recall on vague + character statements",
                                      overall.get("recall_vague_character"), overall.get("n_weak"), cv_source,
                                      cv_built))
        figures.append(AccuracyFigure(dataset, "share of specific statements flagged", overall.get("specific_flagged"),
                                      overall.get("n_specific"), cv_source, cv_built))
    return figures


def _narrative_independent(independent: Mapping[str, Any]) -> list[AccuracyFigure]:
    source = "core/narrative/models/specificity/independent_eval.json"
    built = ("review sentences and change-log entries nobody on the team wrote; two labellers worked alone from a "
             "written definition and never saw the checks; labels fixed before the checks were scored on them")
    figures = []
    for key, block in sorted(independent.items(), key=lambda item: (item[0] == "all", item[0])):
        if not isinstance(block, Mapping) or "recall" not in block:
            continue  # the labellers' agreement, not a score
        dataset = f"independent evaluation set, {key} statements (public text, two labellers)"
        figures.append(AccuracyFigure(dataset, "recall on vague + character statements", block.get("recall"),
                                      block.get("weak_n"), source, built))
        figures.append(AccuracyFigure(dataset, "share of specific statements flagged", block.get("specific_flagged"),
                                      block.get("specific_n"), source, built))
    return figures


def _left_out(metrics: Mapping[str, Any], source: str) -> list[AccuracyFigure]:
    """Leave-one-source-out figures (``bench/sentiment_loso.py``): trained without a source, scored on it."""
    figures = []
    for entry in metrics.get("leave_one_source_out", {}).get("sources", {}).values():
        block = entry.get("left_out", {})
        dataset = f"{entry.get('title')} ({entry.get('platform')}), left out of training"
        built = ("labelled by that set's own authors; the model was trained on every other source and never saw "
                 "this one")
        figures += [AccuracyFigure(dataset, "macro-F1", block.get("macro_f1"), block.get("n"), source, built),
                    AccuracyFigure(dataset, "negative F1", block.get("negative_f1"), block.get("negatives"), source,
                                   built)]
        aligned = entry.get("left_out_aligned_labels")
        if aligned:
            figures.append(AccuracyFigure(
                dataset, "negative F1, labels aligned to this product's meaning of negative",
                aligned.get("negative_f1"), aligned.get("negatives"), source,
                built + "; rows that report a problem without expressing an emotion relabelled neutral by one "
                "engineer who did not see the model's output"))
    return figures


def build_transparency_report(*, sentiment_metrics: Mapping[str, Any], theme_metrics: Mapping[str, Any],
                              versions: Mapping[str, str], reviews: Mapping[str, Mapping[str, int]],
                              window_days: int, signal_accuracy: Mapping[str, Mapping[str, Any]] | None = None,
                              tone_metrics: Mapping[str, Any] | None = None,
                              tone_evaluation: Mapping[str, Any] | None = None,
                              narrative_metrics: Mapping[str, Any] | None = None,
                              narrative_evaluation: Mapping[str, Any] | None = None,
                              tone_first_stage: str = "", tone_attack_stage: str = "",
                              sentiment_reader: str = "") -> list[SignalTypeReport]:
    """One entry per signal type. ``reviews`` maps kind → counts of pending/accepted/dismissed;
    ``signal_accuracy`` is :func:`load_signal_accuracy`; ``tone_metrics`` / ``tone_evaluation`` the tone
    model's ``metrics.json`` and ``eval_metrics.json``; ``narrative_metrics`` / ``narrative_evaluation`` the
    narrative model's ``metrics.json`` and ``independent_eval.json``; ``tone_first_stage`` says in words which first
    stage the tone check runs on (``classifiers.tone_first_stage_in_use``), ``tone_attack_stage`` what decides its
    attack flag (``classifiers.tone_attack_stage_in_use``); ``sentiment_reader`` what reads a text for sentiment
    (``classifiers.sentiment_reader_in_use``)."""
    accuracy = signal_accuracy or {}
    sentiment_source = "core/nlp/models/sentiment/metrics.json"
    theme_source = "core/insights/data/themes_metrics.json"
    sentiment_figures = (_per_class(sentiment_metrics, "senti4sd_test", "Senti4SD test split", sentiment_source,
                                    "Stack Overflow posts labelled by the Senti4SD authors; its own test split")
                         + _per_class(sentiment_metrics, "premo_test", "PREMO test rows (sha256(id) mod 5 == 0)",
                                      sentiment_source, "pull-request comments labelled by the PREMO authors; one row "
                                      "in five by a hash of its id, never trained on")
                         + _left_out(sentiment_metrics, sentiment_source)
                         + _figures(accuracy.get("sentiment_drift"), "data/accuracy/sentiment_drift.json"))
    theme_figures = _theme_figures(theme_metrics, theme_source)
    independent = theme_metrics.get("independent", {}).get("after", {})
    headline = independent or theme_metrics.get("test", {})
    trend = measure_trend_detection()
    trend_built = ("generated on the spot: random level and noise, one 40% drop at a random week in half of the "
                   "series; the true week is known")
    trend_figures = [AccuracyFigure(trend["dataset"], "detection rate (within 2 periods)", trend["detection_rate"],
                                    trend["n"], "measured at run time", trend_built),
                     AccuracyFigure(trend["dataset"], "false-alarm rate", trend["false_alarm_rate"], trend["n"],
                                    "measured at run time", trend_built)]
    tone_figures = (_tone_figures(tone_metrics or {}, tone_evaluation or {}, "contextual" in tone_first_stage,
                                  "fine-tuned" in tone_attack_stage)
                    + _figures(accuracy.get("tone_check"), "data/accuracy/tone_check.json"))
    narrative_figures = _narrative_figures(narrative_metrics or {}, narrative_evaluation or {},
                                           accuracy.get("narrative_check"))

    def note(kind: str, fallback: str) -> str:
        return str((accuracy.get(kind) or {}).get("note") or fallback)
    window = f"the last {window_days} days, recomputed when its inputs change"
    embedding_model = versions.get("embeddings", "")
    sentiment_model = versions.get("sentiment", "")
    no_figure = ("Rule-based check, so there is no model accuracy to report: given its inputs the result is exact. "
                 "What can go wrong is in the inputs, listed under failure modes.")

    def entry(kind: str, **fields: Any) -> SignalTypeReport:
        return SignalTypeReport(kind=kind, human_review=HUMAN_REVIEW_RULE, reviews=dict(reviews.get(kind, {})),
                                **fields)

    report = [
        entry("theme", title="Themes in feedback",
              data_used="Feedback responses about you (anonymous ones only once released in a group of three), "
                        "checkpoints and manager commentary written by others. Not chat, e-mail or calendars.",
              time_window=window,
              detects="Which of the ten ladder themes people write about, sentence by sentence, with the sentence "
                      "and the seed phrase that matched. Needs 5 comments from 3 different people per theme.",
              cannot_infer=themes.THEMES_CANNOT_INFER, accuracy=tuple(theme_figures),
              accuracy_note=(f"Threshold {headline.get('threshold')} chosen by cross-validation on the training "
                             "sentences; with the contextual model installed, its threshold was chosen on development "
                             "sentences that include the first independent set, which no matcher is trained on. The "
                             "held-out set is scored once per matcher, never tuned on."),
              failure_modes=(f"About half of what people write about a theme is missed (micro recall "
                             f"{headline.get('micro_recall')} on the independent sentences), and about four in ten "
                             f"themes shown are wrong (precision {headline.get('micro_precision')}): a theme that "
                             "is not shown may still have been written about.",
                             "Short or generic sentences can match loosely, and a sentence may get a second theme "
                             "it is not about.",
                             "Negation is mostly invisible: 'not a great communicator' matches communication.",
                             "Communication, mentoring, ownership and technical depth are found least often in "
                             "general review prose; the per-theme rows rest on few sentences.",
                             "English only; measured on crowd-written reviews and the team's own sentences, not on "
                             "your organisation's text."),
              model=embedding_model),
        entry("theme_summary", title="Theme summary",
              data_used="The same comments as themes.", time_window=window,
              detects="Which themes recur, or says 'not enough data' below 5 comments from 3 people. It is shown "
                      "for information: each recurring theme is a signal of its own, accepted or dismissed and "
                      "cited on its own, so the summary itself is never reviewed or cited.",
              cannot_infer=themes.THEMES_CANNOT_INFER, accuracy=tuple(theme_figures[:3]),
              accuracy_note="Inherits the theme matcher's accuracy.",
              failure_modes=("Few writers make every summary fragile; the confidence label says how few.",),
              model=embedding_model),
        entry("emergent_theme", title="Emergent themes (organisation-wide)",
              data_used="All comments in the organisation, never one person's alone.", time_window=window,
              detects="Groups of similar comments that the taxonomy may be missing, labelled by their most "
                      "distinctive words (c-TF-IDF).",
              cannot_infer="Anything about an individual; whether the theme matters.",
              accuracy=tuple(_figures(accuracy.get("emergent_theme"), "data/accuracy/emergent_theme.json")),
              accuracy_note=note("emergent_theme", "Not measured: clusters are proposals for a people partner to "
                                 "read."),
              failure_modes=("Labels are word lists and can be misleading.",
                             f"Needs {clusters.MIN_CORPUS}+ comments; small organisations get none."),
              model=embedding_model),
        entry("sentiment_drift", title="Change in the tone of feedback (sentiment drift)",
              data_used="The tone (positive / neutral / negative) of the same comments, averaged per writer first.",
              time_window=window + ", split into two halves",
              detects="Whether feedback about you became more positive or more negative between the two halves.",
              cannot_infer=sentiment.SENTIMENT_CANNOT_INFER, accuracy=tuple(sentiment_figures),
              accuracy_note=note("sentiment_drift", "Scores of the sentiment classifier on developer text; review "
                                 "prose by managers was not in its test data. 'Left out of training' figures come "
                                 "from a model trained on every other source and scored on that one: the closest "
                                 "measure of text from elsewhere. The drift itself (a change between two halves) "
                                 "has not been measured against labelled drifts."),
              failure_modes=("Trained on Stack Overflow and pull-request comments: review language is out of "
                             "distribution.",
                             "Terse styles, dialects and non-native English may read as more negative.",
                             "A change of writers (new team) moves the mean without anything changing."),
              model=sentiment_model + (f"; read by {sentiment_reader}" if sentiment_reader else "")
              + ("; the figures shown are the fast model's alone, the mean with the second opinion scored higher "
                 "on every source measured" if "second opinion" in sentiment_reader else "")),
        entry("trend_break", title="Trend breaks in delivery and health metrics",
              data_used="Team and service metrics only (deployments, lead time, change failures, pages per week); "
                        "never one person's activity.",
              time_window="the last 26 weeks, one point per week",
              detects="A lasting change in the level of a metric: its date, the median before and after, and the "
                      "series. Each break has an owner (the team's manager) to look into it.",
              cannot_infer=trends.TREND_CANNOT_INFER, accuracy=tuple(trend_figures),
              accuracy_note="Synthetic series; real series have holidays and seasonality.",
              failure_modes=("Holidays and freezes look like breaks.", "A gradual drift may be reported late or not "
                             "at all.", "Fewer than 8 weeks of data: no search is made."),
              model=f"ruptures PELT, penalty {trends.PENALTY_FACTOR:g}·log n"),
        entry("contradiction", title="Contradictions between layers",
              data_used="Delivery evidence items and concern themes in feedback.", time_window=window,
              detects=f"Strong delivery ({evidence_checks.STRONG_DELIVERY_ITEMS}+ items) alongside the same concern "
                      f"from {evidence_checks.MIN_CONCERN_AUTHORS}+ people, e.g. about review thoroughness.",
              cannot_infer=evidence_checks.CONTRADICTION_CANNOT_INFER,
              accuracy=tuple(_figures(accuracy.get("contradiction"), "data/accuracy/contradiction.json")),
              accuracy_note=note("contradiction", "Rule-based on top of the theme matcher; see the theme figures. "
                                 + NOT_MEASURED_YET),
              failure_modes=("Inherits theme mistakes.", "Evidence that is not ingested makes delivery look weaker."),
              model=embedding_model),
        entry("unsupported_claim", title="Claims whose numbers the evidence does not hold",
              data_used="Your accomplishments and the evidence items they cite.", time_window="each accomplishment",
              detects="A number in the result or the before/after measure that no cited item contains.",
              cannot_infer="That the number is wrong; only that the cited evidence does not show it.",
              accuracy=tuple(_figures(accuracy.get("unsupported_claim"), "data/accuracy/unsupported_claim.json")),
              accuracy_note=note("unsupported_claim", no_figure + " " + NOT_MEASURED_YET),
              failure_modes=("Numbers written in words ('three') are not checked.",
                             "Rounded numbers ('about 40') differ from exact ones in the evidence ('41')."),
              model="rule"),
        entry("missing_evidence", title="Missing evidence",
              data_used=("Evidence items in the window, your accomplishments, and the text and citations of your "
                         "reviews still being written (self review, chosen accomplishments, the manager's assessment "
                         "and narrative)."), time_window=window,
              detects=("A ladder dimension with no related evidence, an accomplishment citing none, or a claim in a "
                       "review being written that cites no evidence (or only AI signals). A claim cites evidence by "
                       "its number, by a link, or by naming it in words — a pull-request link or number, a commit "
                       "hash, a ticket key — when Brightline holds that item; a claim naming evidence Brightline "
                       "cannot find is told so. Checks of the manager's draft are shown to the manager and their "
                       "chain, not to you, until the outcome is released. Once the step in which a claim's author "
                       "could change it has closed (the self review for yours, the manager's assessment for the "
                       "manager's), its check stays for information and nobody is asked to accept or dismiss it; a "
                       "check already reviewed keeps its review."),
              cannot_infer=evidence_checks.MISSING_CANNOT_INFER,
              accuracy=tuple(_figures(accuracy.get("missing_evidence"), "data/accuracy/missing_evidence.json")),
              accuracy_note=note("missing_evidence", NOT_MEASURED_YET),
              failure_modes=("Sources your organisation has not connected look like missing work, and a pull "
                             "request or ticket named from such a source is reported as not found.",
                             "Evidence of a kind that does not belong to a dimension (code reviews given count for "
                             "technical excellence, not for leadership, even when they mentor) does not count for it.",
                             "Evidence named only by its title (\"the Q3 capacity plan\") or by a version is not "
                             "read, so such a claim reads as uncited.",
                             "A number written like a pull request (\"#12 on the list\") or a code written like a "
                             "ticket key is read as a reference; it counts only if Brightline holds a matching item."),
              model="rule"),
        entry("tone_check", title="Tone check on feedback before it is sent",
              data_used="Only the text being written, in the feedback and checkpoint forms; nothing is stored "
                        "beyond the writer's choice to send as written.",
              time_window="each text as it is written",
              detects="Wording that may read as an attack on the person (insults, name-calling, judgements of "
                      "character such as 'you are lazy') or as hostile, naming the words that triggered it. "
                      "The writer decides; the words are never changed.",
              cannot_infer="Whether the writer meant harm, or anything about the person the feedback is about.",
              accuracy=tuple(tone_figures),
              accuracy_note=note("tone_check", "ToxiCR test rows were never used for a choice; the evaluation set "
                                 "was labelled by two people who had not seen the check, before it was run on "
                                 "them." if tone_evaluation else "The classifier's scores on review comments it "
                                 "was not trained on. " + NOT_MEASURED_YET),
              failure_modes=("Sarcasm and insults in unusual wording can pass; a judgement of someone named "
                             "rather than 'you', 'he' or 'she' is left to the learned model.",
                             "Harsh words about the work can be flagged when the model weighs them as hostile.",
                             "English only."),
              model=(f"tone classifier {versions.get('tone', '')} + lexicon (cuss, VADER) + person rule".replace(
                  "  ", " ") + (f"; first stage: {tone_first_stage}" if tone_first_stage else "")
                  + (f"; attack flag: {tone_attack_stage}" if tone_attack_stage else ""))),
        entry("narrative_check", title="Writing checks on feedback and review text",
              data_used="Only the text being written, as it is typed: feedback, accomplishments, review narratives.",
              time_window="each sentence as it is written",
              detects=("Vague praise or criticism, judgements of character instead of behaviour, claims without "
                       "evidence, output without outcome, results without a number, missing scope; each flag names "
                       "the words behind it and suggests what to write instead."),
              cannot_infer="Whether the work was good, or anything about the writer or the person written about.",
              accuracy=tuple(narrative_figures),
              accuracy_note=note("narrative_check", "Measured on public statements nobody on the team wrote, "
                                 "labelled by two labellers before the checks were scored on them."
                                 if narrative_evaluation or accuracy.get("narrative_check") else NOT_MEASURED_YET),
              failure_modes=("Review language unlike the training statements (other registers, other languages) is "
                             "read less reliably: specific statements in general-office review prose are the ones "
                             "most often flagged by mistake.",
                             "Sentence by sentence: an example in the next sentence does not clear a flag on this "
                             "one."),
              model=(f"narrative specificity model (threshold {narrative_metrics.get('threshold')}) and phrase rules"
                     if narrative_metrics else "phrase rules")),
    ]
    return report
