"""DORA performance levels and plain-language metric definitions.

The levels describe *teams and applications*, never individuals (see
:data:`DORA_TEAMS_NOT_INDIVIDUALS`). The thresholds come from the 2023 Accelerate State of
DevOps Report; where the published bands overlap or are given as a typical value rather than
a range, the banding chosen here is spelled out next to each function.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final, Literal

__all__ = [
    "DEFINITIONS",
    "DORA_LEVELS_SOURCE",
    "DORA_TEAMS_NOT_INDIVIDUALS",
    "HOURS_PER_MONTH",
    "INFERRED_ATTRIBUTION_RULE",
    "LEAD_TIME_BASIS",
    "Level",
    "change_fail_rate_level",
    "definitions_for",
    "deployment_frequency_level",
    "lead_time_level",
    "recovery_time_level",
]

Level = Literal["elite", "high", "medium", "low"]

DORA_LEVELS_SOURCE: Final = (
    "Google Cloud DORA, Accelerate State of DevOps Report 2023, "
    "'Software delivery performance' cluster table (https://dora.dev/research/2023/dora-report/)."
)
DORA_TEAMS_NOT_INDIVIDUALS: Final = (
    "dora.dev guidance: the four key metrics describe the software delivery performance of a "
    "team and the applications or services it works on. They must not be used to compare or "
    "rank individuals, and comparing teams with very different contexts (workload, criticality, "
    "maturity) is not meaningful either."
)
INFERRED_ATTRIBUTION_RULE: Final = (
    "No declared link or root-cause commit: attributed to the latest production deployment of "
    "the same service in the {hours:g} hours before the incident was opened."
)

HOURS_PER_DAY: Final = 24.0
HOURS_PER_WEEK: Final = 7 * HOURS_PER_DAY
HOURS_PER_MONTH: Final = 365.25 / 12 * HOURS_PER_DAY  # an average calendar month, 730.5 h
WEEKS_PER_MONTH: Final = HOURS_PER_MONTH / HOURS_PER_WEEK


def deployment_frequency_level(deployments_per_week: float | None) -> Level | None:
    """Level for deployment frequency in deployments per week.

    Elite: on demand, more than once per day (> 7/week). High: between once per week and
    once per day, both ends included. Medium: between once per month and once per week
    (once a month exactly is medium). Low: less than once per month. ``None`` in, ``None`` out.
    """
    if deployments_per_week is None:
        return None
    if deployments_per_week > 7:
        return "elite"
    if deployments_per_week >= 1:
        return "high"
    if deployments_per_week >= 1 / WEEKS_PER_MONTH:
        return "medium"
    return "low"


def lead_time_level(median_hours: float | None) -> Level | None:
    """Level for the median change lead time in hours.

    Elite: less than one day (< 24 h). High: one day to one week (24 h ≤ t ≤ 168 h).
    Medium: one week to one month (≤ 730.5 h). Low: more than one month.
    """
    if median_hours is None:
        return None
    if median_hours < HOURS_PER_DAY:
        return "elite"
    if median_hours <= HOURS_PER_WEEK:
        return "high"
    if median_hours <= HOURS_PER_MONTH:
        return "medium"
    return "low"


def change_fail_rate_level(rate: float | None) -> Level | None:
    """Level for the change fail rate as a fraction in [0, 1].

    The 2023 report gives typical values per cluster (elite 5 %, high 10 %, medium 15 %,
    low 64 %); we read them as upper bounds: ≤ 5 % elite, ≤ 10 % high, ≤ 15 % medium,
    above 15 % low.
    """
    if rate is None:
        return None
    if rate <= 0.05:
        return "elite"
    if rate <= 0.10:
        return "high"
    if rate <= 0.15:
        return "medium"
    return "low"


def recovery_time_level(median_hours: float | None) -> Level | None:
    """Level for the median failed deployment recovery time in hours.

    Elite: less than one hour. High: less than one day. Medium: one day to one week
    (24 h ≤ t ≤ 168 h). Low: more than one week.
    """
    if median_hours is None:
        return None
    if median_hours < 1:
        return "elite"
    if median_hours < HOURS_PER_DAY:
        return "high"
    if median_hours <= HOURS_PER_WEEK:
        return "medium"
    return "low"


DEFINITIONS: Final[dict[str, str]] = {
    "deployments": (
        "Number of successful production deployments in the period. Deployments to other "
        "environments and deployments that never went live are not counted. A service that sends "
        "deployment events (an events import, the webhook, CI or its code platform) is counted "
        "from those alone; its release tags then mark releases but are not counted again."
    ),
    "deployment_frequency_per_week": (
        "Successful production deployments divided by the length of the period in weeks."
    ),
    "lead_time_hours": (
        "Hours from a change's first commit (author time) to the first production deployment "
        "that contains it. We report the median, 75th and 90th percentile (linear "
        "interpolation), never the mean, because a few very old changes would dominate it. "
        "Zero or negative values come from clock skew; they are left out and counted as skipped."
    ),
    "change_fail_rate": (
        "Share of production deployments that failed: followed by a rollback, a revert, a "
        "hotfix or an incident attributed to them. A revert or hotfix marks a deployment failed "
        "only when that deployment went live before the deployment shipping the fix. It is "
        "failed deployments divided by deployments, not incidents divided by deployments."
    ),
    "failed_deployment_recovery_hours": (
        "Hours from a failed deployment until service was restored: the resolution of its "
        "incidents when it has any (all must be resolved), otherwise the deployment that "
        "shipped its rollback, revert or hotfix, otherwise the next production deployment that "
        "did not fail. Median, 75th and 90th percentile; failures not yet recovered are left out."
    ),
    "rework_rate": (
        "Share of production deployments that shipped a fix: a rollback, revert or hotfix of an "
        "earlier deployment, or a revert of a change first shipped in that same deployment "
        "(reworked before it reached production, so no deployment failed)."
    ),
    "levels": (
        "DORA performance levels (elite, high, medium, low) from the 2023 State of DevOps "
        "report. They describe teams and services, not individuals."
    ),
}


LEAD_TIME_BASIS: Final[dict[str, str]] = {
    # Plain words for what one change is and from when it is timed (see evidence.tables.build_delivery_data).
    "commits": (
        "Each commit counted as one change, from the time it was written to the first production deployment "
        "that included it. Merge commits are not counted: they show when work was joined, not when it began."
    ),
    "pull_requests": (
        "Each merged pull request (or merge request) counted as one change, from its first commit to the first "
        "production deployment that included its merge commit (or its one commit, when it was squashed)."
    ),
    "mixed": (
        "On services whose merged pull requests reach production, each pull request counted as one change, from "
        "its first commit to the first production deployment that included its merge. On the other services, "
        "each commit counted as one change, from the time it was written, merge commits not counted."
    ),
}


def definitions_for(*, lead_time_lookback: timedelta | None, attribution_window: timedelta,
                    lead_time_basis: str = "commits") -> dict[str, str]:
    """The definitions, with the options actually applied spelled out (lookback, attribution,
    what a change is for lead time)."""
    definitions = dict(DEFINITIONS)
    definitions["lead_time_hours"] += " " + LEAD_TIME_BASIS[lead_time_basis]
    if lead_time_lookback is not None:
        days = lead_time_lookback.total_seconds() / 86400
        definitions["lead_time_hours"] += (
            f" Lookback window: changes whose first commit is more than {days:g} days older than "
            "their deployment are left out, so long-dormant work does not distort the result."
        )
    definitions["change_fail_rate"] += " " + INFERRED_ATTRIBUTION_RULE.format(
        hours=attribution_window.total_seconds() / 3600
    )
    return definitions
