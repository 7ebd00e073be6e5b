"""Outcome audits: favourable-outcome rates by group, impact ratio, rate gap and significance."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from brightline.core.fairness._rates import SignificanceTest, compare_rates
from brightline.core.fairness.errors import (
    FAVOURABLE_VALUE_ABSENT,
    GROUP_LABEL_COLLISION,
    MISSING_COLUMN,
    NO_FAVOURABLE_VALUES,
    NO_GROUP_COLUMNS,
    NO_ROWS,
    FairnessInputError,
    check_min_cohort,
    format_values,
)
from brightline.core.fairness.intervals import wilson_interval
from brightline.core.fairness.suppression import SuppressionReason, SuppressionRule, plan_suppression

__all__ = [
    "DEFAULT_MIN_COHORT",
    "FOUR_FIFTHS_THRESHOLD",
    "GROUP_LABEL_SEPARATOR",
    "NOT_DISCLOSED",
    "GroupOutcome",
    "OutcomeAudit",
    "audit_outcome_counts",
    "audit_outcomes",
    "group_label",
]

#: Groups with fewer members than this are withheld (people, or rows when rows are people).
DEFAULT_MIN_COHORT = 5
#: Adverse impact is indicated when the impact ratio is below this (29 CFR 1607.4(D)).
FOUR_FIFTHS_THRESHOLD = Fraction(4, 5)
#: Joins the values of several group columns into one intersectional label: ``"F | White"``.
GROUP_LABEL_SEPARATOR = " | "
#: Default label for a missing group value (empty cell or ``None``).
NOT_DISCLOSED = "not disclosed"

GroupKey = tuple[str, ...]

#: The label of the combined row of withheld groups.
OTHER_LABEL = "Other (the withheld groups together)"
#: The sentence that says which suppression rule was used.
RULE_SENTENCES: dict[str, str] = {
    "none": "",
    "small_groups_only": "Only groups of fewer than {min_cohort} people were withheld; together they protect "
                         "each other.",
    "smallest_complement": "The groups withheld to protect the smaller ones were chosen to withhold as few "
                           "people as possible.",
    "combined_other": "The withheld groups are shown together as one row, \"Other\": their people stay in the "
                      "comparison, but no withheld group can be read from it.",
}


@dataclass(frozen=True)
class GroupOutcome:
    """One published group: ``n`` people, ``favourable`` of them with the favourable outcome.

    ``rate`` is ``favourable / n`` as a fraction in ``[0, 1]``; ``ci_low``/``ci_high`` are
    the 95 % Wilson score interval around it.
    """

    group: str
    n: int
    favourable: int
    rate: float
    ci_low: float
    ci_high: float

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "n": self.n,
            "favourable": self.favourable,
            "rate": self.rate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


@dataclass(frozen=True)
class OutcomeAudit:
    """Result of an outcome audit; every statistic is over the published ``groups`` only.

    ``impact_ratio`` = lowest rate ÷ highest rate (the highest-rate group is the
    ``reference_group``), in ``[0, 1]``; ``None`` with fewer than two published groups or
    when no published group has a favourable outcome. ``four_fifths_flag`` is ``True`` when
    the ratio is below 0.8. ``rate_difference`` = highest rate − lowest rate.
    ``significant`` is ``None`` when ``small_sample`` is true or no test ran.
    ``unknown_count`` (people with a missing group value) and ``total_n`` are ``None``
    when publishing them would reveal a suppressed group.
    """

    groups: tuple[GroupOutcome, ...]
    reference_group: str | None
    lowest_group: str | None
    impact_ratio: float | None
    rate_difference: float | None
    four_fifths_flag: bool | None
    test: SignificanceTest | None
    p_value: float | None
    significant: bool | None
    small_sample: bool
    suppressed: tuple[str, ...]
    suppression_reasons: Mapping[str, SuppressionReason]
    min_cohort: int
    group_columns: tuple[str, ...]
    not_disclosed_label: str
    unknown_count: int | None
    total_n: int | None
    rows_without_outcome: int
    notes: tuple[str, ...]
    #: Which rule protected the small groups (see ``SuppressionRule``), said on the page.
    suppression_rule: SuppressionRule = "none"
    #: The withheld groups of a one-column cut together, as one combined row (``None`` otherwise).
    other: GroupOutcome | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict; the keys up to ``min_cohort`` are a stable contract."""
        return {
            "groups": [group.to_json() for group in self.groups],
            "reference_group": self.reference_group,
            "impact_ratio": self.impact_ratio,
            "rate_difference": self.rate_difference,
            "four_fifths_flag": self.four_fifths_flag,
            "test": self.test,
            "p_value": self.p_value,
            "suppressed": list(self.suppressed),
            "min_cohort": self.min_cohort,
            "lowest_group": self.lowest_group,
            "significant": self.significant,
            "small_sample": self.small_sample,
            "suppression_reasons": dict(self.suppression_reasons),
            "group_columns": list(self.group_columns),
            "not_disclosed_label": self.not_disclosed_label,
            "unknown_count": self.unknown_count,
            "total_n": self.total_n,
            "rows_without_outcome": self.rows_without_outcome,
            "notes": list(self.notes),
            "suppression_rule": self.suppression_rule,
            "other": None if self.other is None else self.other.to_json(),
        }


def group_label(values: Sequence[str]) -> str:
    """The label of an intersectional group: values joined by ``" | "``, in column order.

    Values are used exactly as given (``"M "`` keeps its trailing space).
    """
    return GROUP_LABEL_SEPARATOR.join(values)


def audit_outcomes(
    rows: Iterable[Mapping[str, str | None]],
    *,
    outcome_column: str,
    favourable: str | Collection[str],
    group_columns: str | Sequence[str],
    min_cohort: int = DEFAULT_MIN_COHORT,
    not_disclosed_label: str = NOT_DISCLOSED,
) -> OutcomeAudit:
    """Audit favourable-outcome rates across groups of ``rows`` (e.g. one row per person).

    ``favourable`` is one outcome value or several (any of them counts as favourable).
    ``group_columns`` is one column or several; several audit their intersection, labelled
    ``"F | White"``. Values are compared exactly, without stripping or case folding. A
    missing group value (``None`` or ``""``) becomes ``not_disclosed_label``; a row with a
    missing outcome is left out and counted in ``rows_without_outcome``. When only some of
    several favourable values occur, a note says which are absent.

    Raises :class:`FairnessInputError` for a missing column (``MISSING_COLUMN``), no rows
    (``NO_ROWS``), no favourable value present (``FAVOURABLE_VALUE_ABSENT``), no group
    columns or favourable values, or ``min_cohort < 1``.
    """
    return _audit_rows(
        rows,
        outcome_column=outcome_column,
        favourable=favourable,
        group_columns=group_columns,
        min_cohort=min_cohort,
        not_disclosed_label=not_disclosed_label,
        source="the input rows",
    )


def audit_outcome_counts(
    counts: Mapping[GroupKey, tuple[int, int]],
    *,
    min_cohort: int = DEFAULT_MIN_COHORT,
    group_columns: Sequence[str] = (),
    not_disclosed_label: str = NOT_DISCLOSED,
) -> OutcomeAudit:
    """Audit pre-aggregated counts: ``{(value, …): (n, favourable)}``, e.g. from a ``GROUP BY``.

    Keys are tuples with one value per group column (a 1-tuple for a single column);
    ``0 ≤ favourable ≤ n`` and ``n ≥ 1``. Suppression and statistics are as in
    :func:`audit_outcomes`.
    """
    check_min_cohort(min_cohort)
    for key, (n, favourable_count) in counts.items():
        if n < 1 or not 0 <= favourable_count <= n:
            raise ValueError(f"group {key!r} needs n ≥ 1 and 0 ≤ favourable ≤ n, got ({n}, {favourable_count})")
    return _build_audit(
        dict(counts),
        min_cohort=min_cohort,
        group_columns=tuple(group_columns),
        not_disclosed_label=not_disclosed_label,
        rows_without_outcome=0,
        notes=(),
    )


def _audit_rows(
    rows: Iterable[Mapping[str, str | None]],
    *,
    outcome_column: str,
    favourable: str | Collection[str],
    group_columns: str | Sequence[str],
    min_cohort: int,
    not_disclosed_label: str,
    source: str,
) -> OutcomeAudit:
    check_min_cohort(min_cohort)
    # A bare string is a Sequence[str] too; treat it as one column / one value, not letters.
    columns = (group_columns,) if isinstance(group_columns, str) else tuple(group_columns)
    favourable_values = frozenset((favourable,) if isinstance(favourable, str) else favourable)
    if not columns:
        raise FairnessInputError(NO_GROUP_COLUMNS)
    if not favourable_values:
        raise FairnessInputError(NO_FAVOURABLE_VALUES)

    cells: dict[GroupKey, tuple[int, int]] = {}
    seen_outcomes: dict[str, None] = {}  # insertion-ordered set
    rows_without_outcome = 0
    row_count = 0
    for row in rows:
        row_count += 1
        for column in (outcome_column, *columns):
            if column not in row:
                raise FairnessInputError(
                    MISSING_COLUMN.format(column=column, source=source, available=format_values(row))
                )
        outcome = row[outcome_column]
        if outcome is None or outcome == "":
            rows_without_outcome += 1
            continue
        seen_outcomes[outcome] = None
        key = tuple(_group_value(row[column], not_disclosed_label) for column in columns)
        n, favourable_count = cells.get(key, (0, 0))
        cells[key] = (n + 1, favourable_count + (outcome in favourable_values))
    if row_count == 0:
        raise FairnessInputError(NO_ROWS.format(source=_capitalised(source)))
    present = favourable_values.intersection(seen_outcomes)
    if not present:
        raise FairnessInputError(
            FAVOURABLE_VALUE_ABSENT.format(
                favourable=format_values(sorted(favourable_values)),
                column=outcome_column,
                seen=format_values(sorted(seen_outcomes)),
            )
        )
    notes: list[str] = []
    absent = sorted(favourable_values - present)
    if absent:
        notes.append(f"Favourable value(s) {format_values(absent)} do not occur in {outcome_column!r}.")
    if rows_without_outcome:
        notes.append(f"{rows_without_outcome} row(s) have no value in {outcome_column!r} and are not counted.")
    return _build_audit(
        cells,
        min_cohort=min_cohort,
        group_columns=columns,
        not_disclosed_label=not_disclosed_label,
        rows_without_outcome=rows_without_outcome,
        notes=tuple(notes),
    )


def _build_audit(
    cells: dict[GroupKey, tuple[int, int]],
    *,
    min_cohort: int,
    group_columns: tuple[str, ...],
    not_disclosed_label: str,
    rows_without_outcome: int,
    notes: tuple[str, ...],
) -> OutcomeAudit:
    labels = label_groups(cells)
    plan = plan_suppression({key: n for key, (n, _) in cells.items()}, min_cohort=min_cohort)
    reasons = plan.reasons
    comparison = compare_rates(
        [(labels[key], n, favourable) for key, (n, favourable) in cells.items() if key not in reasons],
        event="favourable outcome",
    )
    all_notes = list(notes) + list(comparison.notes)
    suppressed = tuple(sorted(labels[key] for key in reasons))
    if suppressed:
        all_notes.append(
            f"{len(suppressed)} group(s) withheld: fewer than {min_cohort} people, or withheld so "
            "that a smaller group cannot be worked out by subtraction."
        )
        all_notes.append(RULE_SENTENCES[plan.rule].format(min_cohort=min_cohort))
    other = None
    if plan.other:
        other_n = sum(cells[key][0] for key in plan.other)
        other_favourable = sum(cells[key][1] for key in plan.other)
        low, high = wilson_interval(other_favourable, other_n)
        other = GroupOutcome(OTHER_LABEL, other_n, other_favourable, other_favourable / other_n if other_n else 0.0,
                             low, high)
    unknown_keys = [key for key in cells if not_disclosed_label in key]
    unknown_count: int | None = sum(cells[key][0] for key in unknown_keys)
    if any(key in reasons for key in unknown_keys):
        unknown_count = None
    exact_ratio = comparison.lowest_over_highest_exact
    return OutcomeAudit(
        groups=tuple(
            GroupOutcome(group.label, group.n, group.events, group.rate, group.ci_low, group.ci_high)
            for group in comparison.groups
        ),
        reference_group=comparison.highest,
        lowest_group=comparison.lowest,
        impact_ratio=comparison.lowest_over_highest,
        rate_difference=comparison.difference,
        four_fifths_flag=None if exact_ratio is None else exact_ratio < FOUR_FIFTHS_THRESHOLD,
        test=comparison.test,
        p_value=comparison.p_value,
        significant=comparison.significant,
        small_sample=comparison.small_sample,
        suppressed=suppressed,
        suppression_reasons={labels[key]: reason for key, reason in sorted(reasons.items())},
        min_cohort=min_cohort,
        group_columns=group_columns,
        not_disclosed_label=not_disclosed_label,
        unknown_count=unknown_count,
        total_n=None if reasons else sum(n for n, _ in cells.values()),
        rows_without_outcome=rows_without_outcome,
        notes=tuple(all_notes),
        suppression_rule=plan.rule,
        other=other,
    )


def label_groups(keys: Iterable[GroupKey]) -> dict[GroupKey, str]:
    """Label every key, refusing two different keys that would share one label."""
    labels: dict[GroupKey, str] = {}
    owners: dict[str, GroupKey] = {}
    for key in keys:
        label = group_label(key)
        if label in owners:
            raise FairnessInputError(
                GROUP_LABEL_COLLISION.format(first=format_values(owners[label]), second=format_values(key), label=label)
            )
        owners[label] = key
        labels[key] = label
    return labels


def _group_value(value: str | None, not_disclosed_label: str) -> str:
    return not_disclosed_label if value is None or value == "" else value


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
