"""Sentiment drift (C2): how the tone of feedback about a person or team moves over time.

Each comment gets a signed score: +confidence when the classifier says *positive*, −confidence
for *negative*, 0 for *neutral*. Scores are averaged per writer first and then across writers,
so someone who writes ten comments weighs as much as someone who writes one (C11: volume never
makes a signal). A drift is stated only when both halves of the window have enough data and the
95 % interval of the difference excludes zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean, stdev, variance
from typing import Any

from scipy import stats

from brightline.core.insights.confidence import (
    QUALITATIVE_RULE,
    count_distinct_authors,
    label_confidence,
    span_in_days,
)
from brightline.core.insights.signals import Comment, Confidence, SignalDraft, Subject
from brightline.core.insights.themes import MIN_THEME_AUTHORS, MIN_THEME_COMMENTS, deduplicate_comments

__all__ = [
    "MIN_DRIFT",
    "SENTIMENT_CANNOT_INFER",
    "MonthlySentiment",
    "SentimentScore",
    "monthly_sentiment",
    "sentiment_drift",
    "signed_score",
]

#: The smallest change of the writer-weighted mean (on a −1..+1 scale) that is called a drift.
MIN_DRIFT = 0.2
SENTIMENT_CANNOT_INFER = (
    "Whether the person changed, or why the tone changed: a new project, a new team, a hard quarter or "
    "different writers all move this number. It reads wording, not intent; sarcasm and negation are often missed."
)


@dataclass(frozen=True, slots=True)
class SentimentScore:
    label: str
    confidence: float


def signed_score(score: SentimentScore) -> float:
    """+confidence for positive, −confidence for negative, 0 for neutral (range −1..+1)."""
    if score.label == "positive":
        return score.confidence
    if score.label == "negative":
        return -score.confidence
    return 0.0


@dataclass(frozen=True, slots=True)
class MonthlySentiment:
    """One calendar month: writer-weighted mean and its 95 % t-interval (None with one writer)."""

    month: date
    mean: float
    ci_low: float | None
    ci_high: float | None
    comments: int
    authors: int

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month.isoformat(), "mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "comments": self.comments, "authors": self.authors}


def _author(comment: Comment) -> str:
    if comment.author_id is not None and not comment.anonymous:
        return f"person:{comment.author_id}"
    return f"anonymous:{comment.anonymous_group or comment.id}:{comment.ref.id}"


def _author_means(comments: Sequence[Comment], scores: Mapping[str, SentimentScore]) -> list[float]:
    per_author: dict[str, list[float]] = {}
    for comment in comments:
        if comment.id in scores:
            per_author.setdefault(_author(comment), []).append(signed_score(scores[comment.id]))
    return [fmean(values) for values in per_author.values()]


def _t_interval(values: Sequence[float]) -> tuple[float | None, float | None]:
    if len(values) < 2:
        return None, None
    mean = fmean(values)
    spread = stdev(values) / math.sqrt(len(values))
    if spread == 0:
        return round(mean, 4), round(mean, 4)
    half = float(stats.t.ppf(0.975, len(values) - 1)) * spread
    return round(mean - half, 4), round(mean + half, 4)


def monthly_sentiment(comments: Sequence[Comment], scores: Mapping[str, SentimentScore]) -> list[MonthlySentiment]:
    """Writer-weighted monthly means over de-duplicated comments, oldest month first."""
    by_month: dict[date, list[Comment]] = {}
    for comment in deduplicate_comments(comments):
        if comment.id in scores:
            by_month.setdefault(comment.written_at.date().replace(day=1), []).append(comment)
    months = []
    for month in sorted(by_month):
        means = _author_means(by_month[month], scores)
        low, high = _t_interval(means)
        months.append(MonthlySentiment(month, round(fmean(means), 4), low, high,
                                       len({c.ref for c in by_month[month]}), count_distinct_authors(by_month[month])))
    return months


def _welch_difference(early: Sequence[float], late: Sequence[float]) -> tuple[float, float, float]:
    """Difference late − early with a Welch 95 % interval."""
    difference = fmean(late) - fmean(early)
    variance_early = variance(early) / len(early) if len(early) > 1 else 0.0
    variance_late = variance(late) / len(late) if len(late) > 1 else 0.0
    standard_error = math.sqrt(variance_early + variance_late)
    if standard_error == 0:
        return difference, difference, difference
    numerator = (variance_early + variance_late) ** 2
    denominator = ((variance_early ** 2) / max(len(early) - 1, 1)) + ((variance_late ** 2) / max(len(late) - 1, 1))
    freedom = numerator / denominator if denominator else 1.0
    half = float(stats.t.ppf(0.975, freedom)) * standard_error
    return difference, difference - half, difference + half


def sentiment_drift(subject: Subject, comments: Sequence[Comment], scores: Mapping[str, SentimentScore], *,
                    window_start: date, window_end: date) -> SignalDraft:
    """The ``sentiment_drift`` signal of ``subject`` over the window (always returned; it may say
    "not enough data" or "no clear change")."""
    kept = [c for c in deduplicate_comments(comments)
            if window_start <= c.written_at.date() <= window_end and c.id in scores]
    months = monthly_sentiment(kept, scores)
    middle = window_start + (window_end - window_start) / 2
    early = [c for c in kept if c.written_at.date() < middle]
    late = [c for c in kept if c.written_at.date() >= middle]
    items, authors = len({c.ref for c in kept}), count_distinct_authors(kept)
    confidence = label_confidence(items=items, authors=authors, span_days=span_in_days(c.written_at for c in kept),
                                  agreement="single_layer", rule=QUALITATIVE_RULE)
    detail: dict[str, Any] = {"months": [m.to_json() for m in months], "trend": "unknown",
                              "midpoint": middle.isoformat()}
    enough = all(len({c.ref for c in half}) >= MIN_THEME_COMMENTS and count_distinct_authors(half) >= MIN_THEME_AUTHORS
                 for half in (early, late))
    if not enough:
        # The label must not sound surer than the statement: "not enough data" is always weak.
        confidence = Confidence(confidence.items, confidence.authors, confidence.span_days, confidence.agreement,
                                "weak", ("not enough data in one half of the window",))
        statement = (f"Not enough data for a sentiment trend: each half of the window needs {MIN_THEME_COMMENTS} "
                     f"comments from {MIN_THEME_AUTHORS} people (now {len({c.ref for c in early})} and "
                     f"{len({c.ref for c in late})} comments).")
    else:
        early_means, late_means = _author_means(early, scores), _author_means(late, scores)
        difference, low, high = _welch_difference(early_means, late_means)
        detail.update({"early_mean": round(fmean(early_means), 4), "late_mean": round(fmean(late_means), 4),
                       "difference": round(difference, 4), "ci_low": round(low, 4), "ci_high": round(high, 4)})
        if abs(difference) >= MIN_DRIFT and (low > 0 or high < 0):
            direction = "more positive" if difference > 0 else "more negative"
            detail["trend"] = "up" if difference > 0 else "down"
            statement = (f"Feedback became {direction}: the writer-weighted mean moved from "
                         f"{fmean(early_means):+.2f} to {fmean(late_means):+.2f} (difference {difference:+.2f}, "
                         f"95% interval {low:+.2f} to {high:+.2f}).")
        else:
            detail["trend"] = "flat"
            statement = (f"No clear change in the tone of feedback: {fmean(early_means):+.2f} before "
                         f"{middle.isoformat()} and {fmean(late_means):+.2f} after (95% interval of the "
                         f"difference {low:+.2f} to {high:+.2f}).")
    return SignalDraft(
        kind="sentiment_drift", key="sentiment_drift", subject=subject, window_start=window_start,
        window_end=window_end, statement=statement,
        rule=(f"Writer-weighted mean of signed sentiment in each half of the window; a drift needs "
              f"{MIN_THEME_COMMENTS}+ comments from {MIN_THEME_AUTHORS}+ people per half, a change of at least "
              f"{MIN_DRIFT} and a 95% interval that excludes zero."),
        confidence=confidence, item_refs=tuple(dict.fromkeys(c.ref for c in kept)),
        cannot_infer=SENTIMENT_CANNOT_INFER, detail=detail, enough_data=enough,
    )
