"""Sentiment drift (C2): how the tone of feedback about a person or team moves over time.

Each comment gets a signed score: +confidence when the classifier says *positive*, −confidence
for *negative*, 0 for *neutral*. Scores are averaged per writer first and then across writers,
so someone who writes ten comments weighs as much as someone who writes one (C11: volume never
makes a signal). A drift is stated only when both halves of the window have enough data and the
95 % interval of the difference excludes zero.

Each month also carries the share of writers' comments that were positive, neutral and negative
(writer-weighted in the same way: a writer's comments in the month add up to one). A month with
fewer than :data:`MIN_MONTH_COMMENTS` comments from :data:`MIN_MONTH_AUTHORS` writers keeps only
its counts: its mean and shares are withheld ("not enough data"), so a chart never plots what one
or two people wrote, and an anonymous answer cannot be read off a small month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean, stdev, variance
from typing import Any, Literal, NamedTuple

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
    "MIN_MONTH_AUTHORS",
    "MIN_MONTH_COMMENTS",
    "SENTIMENT_CANNOT_INFER",
    "MonthlySentiment",
    "SentimentScore",
    "monthly_sentiment",
    "not_enough_for_a_trend",
    "sentiment_drift",
    "signed_score",
]

#: The smallest change of the writer-weighted mean (on a −1..+1 scale) that is called a drift.
MIN_DRIFT = 0.2
#: A month is shown as a share only with the confidence minimum of the qualitative rule (C7).
MIN_MONTH_COMMENTS = MIN_THEME_COMMENTS
MIN_MONTH_AUTHORS = MIN_THEME_AUTHORS
SENTIMENT_LABELS: tuple[Literal["positive", "neutral", "negative"], ...] = ("positive", "neutral", "negative")
SENTIMENT_CANNOT_INFER = (
    "Whether the person changed, or why the tone changed: a new project, a new team, a hard quarter or "
    "different writers all move this number. It reads wording, not intent; sarcasm and negation are often missed."
)


class SentimentScore(NamedTuple):
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
    """One calendar month: how many comments from how many writers, and — only when the month has
    enough data — the writer-weighted mean, its 95 % t-interval (None with one writer) and the
    writer-weighted share of each label (``{"positive": 0.5, "neutral": 0.25, "negative": 0.25}``)."""

    month: date
    comments: int
    authors: int
    mean: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    shares: dict[str, float] | None = None

    @property
    def enough_data(self) -> bool:
        return self.comments >= MIN_MONTH_COMMENTS and self.authors >= MIN_MONTH_AUTHORS

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month.isoformat(), "comments": self.comments, "authors": self.authors,
                "enough_data": self.enough_data, "mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "shares": self.shares}


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
    from scipy import stats  # loaded where used: start-up stays light
    half = float(stats.t.ppf(0.975, len(values) - 1)) * spread
    return round(mean - half, 4), round(mean + half, 4)


def _label_shares(comments: Sequence[Comment], scores: Mapping[str, SentimentScore]) -> dict[str, float]:
    """Each writer's comments add up to one; the shares of all writers add up to one."""
    per_author: dict[str, list[str]] = {}
    for comment in comments:
        per_author.setdefault(_author(comment), []).append(scores[comment.id].label)
    totals = dict.fromkeys(SENTIMENT_LABELS, 0.0)
    for labels in per_author.values():
        for label in labels:
            if label in totals:
                totals[label] += 1 / len(labels)
    return {label: round(total / len(per_author), 4) for label, total in totals.items()}


def _months(start: date, end: date) -> list[date]:
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(cursor)
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def monthly_sentiment(comments: Sequence[Comment], scores: Mapping[str, SentimentScore], *,
                      window_start: date | None = None, window_end: date | None = None) -> list[MonthlySentiment]:
    """Writer-weighted monthly means and label shares over de-duplicated comments, oldest month first.

    With ``window_start`` and ``window_end`` every calendar month of the window is listed, months
    without comments too (zero comments, not enough data), so a chart's time axis has no gaps.
    A month below the minimum keeps its counts only (see the module docstring).
    """
    return _monthly(deduplicate_comments(comments), scores, window_start, window_end)


def _monthly(kept: Sequence[Comment], scores: Mapping[str, SentimentScore], window_start: date | None,
             window_end: date | None) -> list[MonthlySentiment]:
    """:func:`monthly_sentiment` of comments that are de-duplicated already."""
    by_month: dict[date, list[Comment]] = {}
    for comment in kept:
        if comment.id in scores:
            by_month.setdefault(comment.written_at.date().replace(day=1), []).append(comment)
    listed = set(by_month)
    if window_start is not None and window_end is not None:
        listed |= set(_months(window_start, window_end))
    months = []
    for month in sorted(listed):
        found = by_month.get(month, [])
        counted = MonthlySentiment(month, len({c.ref for c in found}), count_distinct_authors(found))
        if not counted.enough_data:
            months.append(counted)
            continue
        means = _author_means(found, scores)
        low, high = _t_interval(means)
        months.append(MonthlySentiment(month, counted.comments, counted.authors, round(fmean(means), 4), low, high,
                                       _label_shares(found, scores)))
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
    from scipy import stats  # loaded where used: start-up stays light
    half = float(stats.t.ppf(0.975, freedom)) * standard_error
    return difference, difference - half, difference + half


def _half_of_the_window(when: str, comments: int, people: int) -> str:
    if comments >= MIN_THEME_COMMENTS and people >= MIN_THEME_AUTHORS:
        return f"{when}: enough ({comments} comments from {people} people)"
    have = (f"{comments} comments" if comments >= MIN_THEME_COMMENTS
            else f"{comments} of the {MIN_THEME_COMMENTS} comments needed")
    writers = (f"from {people} people" if people >= MIN_THEME_AUTHORS
               else f"from {people} of the {MIN_THEME_AUTHORS} people needed")
    return f"{when}: {have}, {writers}"


def not_enough_for_a_trend(middle: date, early: tuple[int, int], late: tuple[int, int]) -> str:
    """The statement of a drift that cannot be computed yet: what each half of the window has and needs.

    ``early`` and ``late`` are (comments, distinct writers) before and from ``middle``.
    """
    day = f"{middle.day} {middle:%B %Y}"
    return ("Not enough feedback yet to see a trend in its tone — "
            f"{_half_of_the_window(f'before {day}', *early)}; {_half_of_the_window('since then', *late)}.")


def sentiment_drift(subject: Subject, comments: Sequence[Comment], scores: Mapping[str, SentimentScore], *,
                    window_start: date, window_end: date) -> SignalDraft:
    """The ``sentiment_drift`` signal of ``subject`` over the window (always returned; it may say
    "not enough data" or "no clear change")."""
    kept = [c for c in deduplicate_comments(comments)
            if window_start <= c.written_at.date() <= window_end and c.id in scores]
    months = _monthly(kept, scores, window_start, window_end)
    middle = window_start + (window_end - window_start) / 2
    early = [c for c in kept if c.written_at.date() < middle]
    late = [c for c in kept if c.written_at.date() >= middle]
    items, authors = len({c.ref for c in kept}), count_distinct_authors(kept)
    confidence = label_confidence(items=items, authors=authors, span_days=span_in_days(c.written_at for c in kept),
                                  agreement="single_layer", rule=QUALITATIVE_RULE)
    detail: dict[str, Any] = {"months": [m.to_json() for m in months], "trend": "unknown",
                              "midpoint": middle.isoformat(),
                              "month_minimum": {"comments": MIN_MONTH_COMMENTS, "authors": MIN_MONTH_AUTHORS}}
    enough = all(len({c.ref for c in half}) >= MIN_THEME_COMMENTS and count_distinct_authors(half) >= MIN_THEME_AUTHORS
                 for half in (early, late))
    if not enough:
        # The label must not sound surer than the statement: "not enough data" is always weak.
        confidence = Confidence(confidence.items, confidence.authors, confidence.span_days, confidence.agreement,
                                "weak", ("not enough data in one half of the window",))
        statement = not_enough_for_a_trend(
            middle, (len({c.ref for c in early}), count_distinct_authors(early)),
            (len({c.ref for c in late}), count_distinct_authors(late)))
    else:
        day = f"{middle.day} {middle:%B %Y}"
        early_means, late_means = _author_means(early, scores), _author_means(late, scores)
        difference, low, high = _welch_difference(early_means, late_means)
        detail.update({"early_mean": round(fmean(early_means), 4), "late_mean": round(fmean(late_means), 4),
                       "difference": round(difference, 4), "ci_low": round(low, 4), "ci_high": round(high, 4)})
        if abs(difference) >= MIN_DRIFT and (low > 0 or high < 0):
            direction = "more positive" if difference > 0 else "more negative"
            detail["trend"] = "up" if difference > 0 else "down"
            statement = (f"Feedback became {direction} since {day}: its tone, averaged per writer on a scale "
                         f"from -1 (negative) to +1 (positive), moved from {fmean(early_means):+.2f} to "
                         f"{fmean(late_means):+.2f} (difference {difference:+.2f}, 95% interval {low:+.2f} to "
                         f"{high:+.2f}).")
        else:
            detail["trend"] = "flat"
            statement = (f"No clear change in the tone of feedback: averaged per writer on a scale from -1 "
                         f"(negative) to +1 (positive), {fmean(early_means):+.2f} before {day} and "
                         f"{fmean(late_means):+.2f} since (95% interval of the difference {low:+.2f} to "
                         f"{high:+.2f}).")
    return SignalDraft(
        kind="sentiment_drift", key="sentiment_drift", subject=subject, window_start=window_start,
        window_end=window_end, statement=statement,
        rule=(f"Writer-weighted mean of signed sentiment in each half of the window; a drift needs "
              f"{MIN_THEME_COMMENTS}+ comments from {MIN_THEME_AUTHORS}+ people per half, a change of at least "
              f"{MIN_DRIFT} and a 95% interval that excludes zero."),
        confidence=confidence, item_refs=tuple(dict.fromkeys(c.ref for c in kept)),
        cannot_infer=SENTIMENT_CANNOT_INFER, detail=detail, enough_data=enough,
        is_finding=enough and detail["trend"] != "flat",
    )
