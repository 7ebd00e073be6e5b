"""Shared engine: compare the rate of a binary event across published groups.

Used by the outcome audit (event = favourable outcome) and the language audit (event = a
narrative flag). Everything here sees published groups only, so no statistic carries
information about a suppressed group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from brightline.core.fairness.intervals import wilson_interval

SignificanceTest = Literal["fisher_exact", "chi_square"]

#: Below this many people across the compared groups an audit is "small sample".
MIN_TOTAL_FOR_SIGNIFICANCE = 30
#: Chi-square is unreliable when an expected cell count falls below this.
MIN_EXPECTED_CELL_COUNT = 5.0
#: p-values below this are read as significant (only when the sample is not small).
SIGNIFICANCE_LEVEL = 0.05


@dataclass(frozen=True)
class GroupRate:
    label: str
    n: int
    events: int
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class RateComparison:
    groups: tuple[GroupRate, ...]
    highest: str | None
    lowest: str | None
    lowest_over_highest: float | None
    #: The same ratio as an exact fraction, so a threshold test at 4/5 is not at the mercy of rounding.
    lowest_over_highest_exact: Fraction | None
    difference: float | None
    test: SignificanceTest | None
    p_value: float | None
    significant: bool | None
    small_sample: bool
    notes: tuple[str, ...]


def compare_rates(counts: Sequence[tuple[str, int, int]], *, event: str) -> RateComparison:
    """Compare ``(label, n, events)`` cells; ``event`` names the event in notes ("favourable outcome")."""
    groups = tuple(
        GroupRate(label, n, events, events / n, *wilson_interval(events, n)) for label, n, events in sorted(counts)
    )
    notes: list[str] = []
    if len(groups) < 2:
        notes.append(
            "Fewer than two groups can be published, so there is nothing to compare: no ratio, difference or test."
        )
        small_sample = sum(group.n for group in groups) < MIN_TOTAL_FOR_SIGNIFICANCE
        return RateComparison(groups, None, None, None, None, None, None, None, None, small_sample, tuple(notes))

    # Ties: the larger group is the steadier reference; then label order, for determinism.
    highest = min(groups, key=lambda group: (-group.rate, -group.n, group.label))
    lowest = min(groups, key=lambda group: (group.rate, -group.n, group.label))
    difference = highest.rate - lowest.rate
    ratio: Fraction | None = None
    if highest.events > 0:
        ratio = Fraction(lowest.events * highest.n, lowest.n * highest.events)
    else:
        notes.append(f"No published group has a single {event}, so the ratio is undefined.")

    total_n = sum(group.n for group in groups)
    total_events = sum(group.events for group in groups)
    test: SignificanceTest | None = None
    p_value: float | None = None
    small_reasons: list[str] = []
    if total_n < MIN_TOTAL_FOR_SIGNIFICANCE:
        small_reasons.append(f"only {total_n} people in the compared groups (fewer than {MIN_TOTAL_FOR_SIGNIFICANCE})")
    if total_events in (0, total_n):
        notes.append(f"Every compared person has the same result for {event}; no test is possible.")
    else:
        from scipy.stats import chi2_contingency, fisher_exact  # loaded where used: start-up stays light
        table = [[group.events, group.n - group.events] for group in groups]
        if len(groups) == 2:
            test = "fisher_exact"
            p_value = float(fisher_exact(table, alternative="two-sided").pvalue)
        else:
            test = "chi_square"
            result = chi2_contingency(table)
            p_value = float(result.pvalue)
            smallest_expected = float(result.expected_freq.min())
            if smallest_expected < MIN_EXPECTED_CELL_COUNT:
                small_reasons.append(
                    f"an expected cell count of {smallest_expected:.1f} "
                    f"(chi-square needs at least {MIN_EXPECTED_CELL_COUNT:.0f} in every cell)"
                )
    small_sample = bool(small_reasons)
    significant: bool | None = None
    if small_sample:
        notes.append(
            "Small sample: "
            + "; ".join(small_reasons)
            + ". The p-value is shown but not read as significance: the data are too few to "
            "tell a real gap from chance, in either direction."
        )
    elif p_value is not None:
        significant = p_value < SIGNIFICANCE_LEVEL
    return RateComparison(
        groups=groups,
        highest=highest.label,
        lowest=lowest.label,
        lowest_over_highest=None if ratio is None else float(ratio),
        lowest_over_highest_exact=ratio,
        difference=difference,
        test=test,
        p_value=p_value,
        significant=significant,
        small_sample=small_sample,
        notes=tuple(notes),
    )
