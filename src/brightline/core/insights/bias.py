"""Bias checks (C11): do signals fire at different rates for different kinds of people?

For each signal kind and each grouping (workload class, tenure band, comment-volume quartile) the
share of people with at least one such signal is compared across groups with the fairness core's
rate comparison: Fisher's exact test for two groups or sparse tables, chi-square otherwise, and no
significance claim at all below 30 people ("small sample"). Groups below the minimum cohort are
withheld. A kind is *flagged* when the difference is significant at 5 %; a flag asks a people
partner to look at how that signal reads quiet, deep-focus or platform work, not to adjust anyone.

Comment volume appears here and only here: it is a grouping to check against, never an input to a
signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from brightline.core.fairness import DEFAULT_MIN_COHORT, audit_outcome_counts

__all__ = [
    "BIAS_GROUPINGS",
    "BiasFinding",
    "BiasReport",
    "SubjectProfile",
    "compare_signal_rates",
    "tenure_band",
    "volume_quartiles",
]

BIAS_GROUPINGS = ("workload_class", "tenure_band", "comment_volume")


@dataclass(frozen=True, slots=True)
class SubjectProfile:
    """One person and the groups they fall in, e.g. ``{"workload_class": "platform"}``."""

    subject_id: str
    groups: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class BiasFinding:
    signal_kind: str
    grouping: str
    flagged: bool
    summary: str
    audit: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"signal_kind": self.signal_kind, "grouping": self.grouping, "flagged": self.flagged,
                "summary": self.summary, "audit": dict(self.audit)}


@dataclass(frozen=True, slots=True)
class BiasReport:
    people: int
    findings: tuple[BiasFinding, ...]
    min_cohort: int

    @property
    def flagged(self) -> tuple[BiasFinding, ...]:
        return tuple(finding for finding in self.findings if finding.flagged)

    def to_json(self) -> dict[str, Any]:
        return {"people": self.people, "min_cohort": self.min_cohort,
                "flagged": [f"{f.signal_kind} by {f.grouping}" for f in self.flagged],
                "findings": [finding.to_json() for finding in self.findings]}


def tenure_band(start: date | None, today: date) -> str:
    """``< 1 year``, ``1–3 years``, ``3+ years`` or ``unknown``."""
    if start is None:
        return "unknown"
    years = (today - start).days / 365.25
    if years < 1:
        return "< 1 year"
    return "1–3 years" if years < 3 else "3+ years"


def volume_quartiles(counts: Mapping[str, int]) -> dict[str, str]:
    """Comment-volume quartile (``Q1`` fewest … ``Q4`` most) of each subject, by rank (ties by id)."""
    ordered = sorted(counts, key=lambda subject: (counts[subject], subject))
    size = len(ordered)
    return {subject: f"Q{min(4, 1 + (4 * rank) // max(size, 1))}" for rank, subject in enumerate(ordered)}


def compare_signal_rates(profiles: Sequence[SubjectProfile], signals: Iterable[tuple[str, str]], *,
                         kinds: Sequence[str], groupings: Sequence[str] = BIAS_GROUPINGS,
                         min_cohort: int = DEFAULT_MIN_COHORT,
                         group_names: Mapping[str, str] | None = None) -> BiasReport:
    """Compare, per kind and grouping, the share of profiled people with a signal of that kind.

    ``signals`` are ``(subject_id, kind)`` pairs; several signals of one kind count once per person.
    ``group_names`` names stored group keys (a workload class's key) in the summaries people read.
    """
    names = group_names or {}
    having: dict[str, set[str]] = {kind: set() for kind in kinds}
    for subject_id, kind in signals:
        if kind in having:
            having[kind].add(subject_id)
    findings = []
    for kind in kinds:
        for grouping in groupings:
            cells: dict[tuple[str, ...], list[int]] = {}
            for profile in profiles:
                group = profile.groups.get(grouping, "unknown")
                cell = cells.setdefault((group,), [0, 0])
                cell[0] += 1
                cell[1] += profile.subject_id in having[kind]
            if len(cells) < 2:
                continue
            audit = audit_outcome_counts({key: (n, k) for key, (n, k) in cells.items()}, min_cohort=min_cohort,
                                         group_columns=(grouping,))
            flagged = audit.significant is True
            if audit.small_sample:
                summary = "Too few people to tell whether the rates differ (small sample)."
            elif flagged:
                summary = (f"Rates differ across {grouping.replace('_', ' ')} (p = {audit.p_value:.3f}): "
                           f"{names.get(str(audit.lowest_group), audit.lowest_group)} lowest, "
                           f"{names.get(str(audit.reference_group), audit.reference_group)} highest. "
                           f"Check how this signal reads these groups.")
            else:
                summary = "No significant difference across groups."
            findings.append(BiasFinding(kind, grouping, flagged, summary, audit.to_json()))
    return BiasReport(len(profiles), tuple(findings), min_cohort)
