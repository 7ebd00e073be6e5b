"""Language audits: how often narratives about each group carry a language flag.

A flag is any name another module assigns to a narrative ("vague", "personality",
"no_evidence", "output_without_outcome", …). Here a flag is only a string: the audit
counts, per group, the share of narratives carrying it, with the same suppression rules
as outcome audits. The four-fifths rule is about selection rates and is not applied to
flag rates; the audit reports the gap and the ratio of highest to lowest rate instead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from brightline.core.fairness._rates import SignificanceTest, compare_rates
from brightline.core.fairness.errors import NO_ROWS, FairnessInputError, check_min_cohort
from brightline.core.fairness.outcomes import DEFAULT_MIN_COHORT, NOT_DISCLOSED, label_groups
from brightline.core.fairness.suppression import SuppressionReason, suppress_small_groups

__all__ = ["FlagAudit", "FlagGroupRate", "LanguageAudit", "audit_language"]


@dataclass(frozen=True)
class FlagGroupRate:
    """One published group for one flag: ``flagged`` of ``n`` narratives carry the flag.

    ``rate`` is a fraction in ``[0, 1]`` with its 95 % Wilson interval.
    """

    group: str
    n: int
    flagged: int
    rate: float
    ci_low: float
    ci_high: float

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "n": self.n,
            "flagged": self.flagged,
            "rate": self.rate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


@dataclass(frozen=True)
class FlagAudit:
    """One flag across the published groups.

    ``rate_difference`` = highest − lowest rate; ``relative_rate`` = highest ÷ lowest
    (``None`` when the lowest rate is 0 or fewer than two groups are published).
    """

    flag: str
    groups: tuple[FlagGroupRate, ...]
    highest_group: str | None
    lowest_group: str | None
    rate_difference: float | None
    relative_rate: float | None
    test: SignificanceTest | None
    p_value: float | None
    significant: bool | None
    small_sample: bool
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "groups": [group.to_json() for group in self.groups],
            "highest_group": self.highest_group,
            "lowest_group": self.lowest_group,
            "rate_difference": self.rate_difference,
            "relative_rate": self.relative_rate,
            "test": self.test,
            "p_value": self.p_value,
            "significant": self.significant,
            "small_sample": self.small_sample,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class LanguageAudit:
    """Per-flag rates by group; ``suppressed`` groups are withheld from every flag alike."""

    flags: tuple[FlagAudit, ...]
    suppressed: tuple[str, ...]
    suppression_reasons: Mapping[str, SuppressionReason]
    min_cohort: int
    unknown_count: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "flags": [flag.to_json() for flag in self.flags],
            "suppressed": list(self.suppressed),
            "suppression_reasons": dict(self.suppression_reasons),
            "min_cohort": self.min_cohort,
            "unknown_count": self.unknown_count,
        }


def audit_language(
    narratives: Iterable[tuple[str | None, Collection[str]]],
    *,
    flags: Sequence[str] | None = None,
    min_cohort: int = DEFAULT_MIN_COHORT,
    not_disclosed_label: str = NOT_DISCLOSED,
) -> LanguageAudit:
    """Audit flag rates by group from ``(group, flags carried)`` pairs, one per narrative.

    ``group`` is the group value exactly as stored (``None`` or ``""`` →
    ``not_disclosed_label``). ``flags`` fixes which flags to report and their order; by
    default every flag seen, sorted. A listed flag that never occurs is reported with
    zero rates. ``n`` counts narratives: when one person has several narratives, the
    minimum cohort counts narratives, not people – aggregate per person first if that
    matters. Raises :class:`FairnessInputError` when there are no narratives.
    """
    check_min_cohort(min_cohort)
    sizes: dict[tuple[str, ...], int] = {}
    flagged: dict[tuple[str, ...], dict[str, int]] = {}
    seen_flags: set[str] = set()
    for group, carried in narratives:
        key = (not_disclosed_label if group is None or group == "" else group,)
        sizes[key] = sizes.get(key, 0) + 1
        counts = flagged.setdefault(key, {})
        for flag in set(carried):
            counts[flag] = counts.get(flag, 0) + 1
            seen_flags.add(flag)
    if not sizes:
        raise FairnessInputError(NO_ROWS.format(source="The narratives"))
    labels = label_groups(sizes)
    reasons = suppress_small_groups(sizes, min_cohort=min_cohort)
    flag_names = list(flags) if flags is not None else sorted(seen_flags)
    audits = []
    for flag in flag_names:
        comparison = compare_rates(
            [(labels[key], n, flagged[key].get(flag, 0)) for key, n in sizes.items() if key not in reasons],
            event=f"narrative flagged {flag!r}",
        )
        highest = next((group for group in comparison.groups if group.label == comparison.highest), None)
        lowest = next((group for group in comparison.groups if group.label == comparison.lowest), None)
        relative_rate = None
        if highest is not None and lowest is not None and lowest.rate > 0.0:
            relative_rate = highest.rate / lowest.rate
        audits.append(
            FlagAudit(
                flag=flag,
                groups=tuple(
                    FlagGroupRate(group.label, group.n, group.events, group.rate, group.ci_low, group.ci_high)
                    for group in comparison.groups
                ),
                highest_group=comparison.highest,
                lowest_group=comparison.lowest,
                rate_difference=comparison.difference,
                relative_rate=relative_rate,
                test=comparison.test,
                p_value=comparison.p_value,
                significant=comparison.significant,
                small_sample=comparison.small_sample,
                notes=comparison.notes,
            )
        )
    unknown_key = (not_disclosed_label,)
    unknown_count = None if unknown_key in reasons else sizes.get(unknown_key, 0)
    return LanguageAudit(
        flags=tuple(audits),
        suppressed=tuple(sorted(labels[key] for key in reasons)),
        suppression_reasons={labels[key]: reason for key, reason in sorted(reasons.items())},
        min_cohort=min_cohort,
        unknown_count=unknown_count,
    )
