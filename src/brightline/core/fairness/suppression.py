"""Small-cohort suppression with complementary (secondary) suppression.

A cell is one group of a cross-tabulation, keyed by its tuple of group values (one value
per group column). The rule, applied until nothing changes:

1. **Primary**: a cell with fewer than ``min_cohort`` members is suppressed.
2. **Complementary**: assume an attacker knows the published *margins* of the table –
   the whole-table total, and for tables of two or more columns every group of each
   coarser cut (fixing some but not all columns) that this same rule publishes – and
   solves, repeatedly, any margin with one unknown cell. In every margin the withheld
   cells the attacker still cannot solve for must be none, or at least two cells holding
   together at least ``min_cohort`` members; and no
   small cell may become solvable because of what this table publishes. While a margin
   breaks this, one more published cell is withheld: the one that leaves the fewest
   broken margins, preferring cells of that margin, then the smallest, then the first by
   group values. A second pass instead takes the smallest cell that repairs the margin being
   fixed; of the two results the one that withholds fewer people is kept (the complement
   that loses least). ``plan_suppression`` also says which rule was used and, for a
   one-column cut, lets the withheld groups be shown together as one "other" row.

Why: margins get published elsewhere (the total headcount; the audit by ``Sex`` alone
next to the audit by ``Sex × RaceDesc``). Margin minus the published cells reveals the
suppressed cells *together*; the rule makes sure "together" is never a single group and
never fewer than ``min_cohort`` people.

A cell alone in a margin *is* that margin, so withholding it protects nothing; the
"fewest broken margins" choice steers away from such cells. The result is deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from brightline.core.fairness.errors import check_min_cohort

__all__ = ["SMALL_CELL", "SuppressionPlan", "SuppressionReason", "SuppressionRule", "is_small_cell", "plan_suppression",
           "suppress_small_groups"]

#: Small-cell rule for outcomes: a count of people with an outcome that is 1 or 2 (below this) is never shown as
#: a count or a rate on an aggregate page, only as "fewer than 3"; with a known group size it would point at one
#: or two people. Zero is shown: it says nobody, which singles no one out.
SMALL_CELL = 3


def is_small_cell(count: int | None) -> bool:
    """True for a count of 1 or 2 people: shown as "fewer than ``SMALL_CELL``", never as the number."""
    return count is not None and 0 < count < SMALL_CELL

SuppressionReason = Literal["below_min_cohort", "complementary"]
#: Which rule protected the small groups: nothing was withheld; only groups below the minimum were
#: withheld (they protect each other); the complement that withholds fewest people was withheld too;
#: and, for a one-column cut, the withheld groups are published together as one "other" row.
SuppressionRule = Literal["none", "small_groups_only", "smallest_complement", "combined_other"]

GroupKey = tuple[str, ...]


@dataclass(frozen=True)
class SuppressionPlan:
    """What to withhold, and how the withheld groups may still be shown.

    ``other`` lists the withheld groups that may be published together as one combined row
    (empty unless ``rule == "combined_other"``). In a one-column cut their total is the
    whole-table total minus the published groups, which the rule already assumes an attacker
    knows, and it always holds at least two groups and ``min_cohort`` people; so the
    combined row reveals nothing new and keeps the people of the complement in the comparison.
    """

    reasons: dict[GroupKey, SuppressionReason]
    rule: SuppressionRule
    other: tuple[GroupKey, ...]


def plan_suppression(sizes: Mapping[GroupKey, int], *, min_cohort: int = 5) -> SuppressionPlan:
    """``suppress_small_groups`` plus the rule used and the groups a combined "other" row may hold."""
    reasons = suppress_small_groups(sizes, min_cohort=min_cohort)
    if not reasons:
        return SuppressionPlan(reasons, "none", ())
    width = len(next(iter(sizes)))
    withheld = tuple(sorted(reasons))
    protected = len(withheld) >= 2 and sum(sizes[key] for key in withheld) >= min_cohort
    if width == 1 and protected:
        return SuppressionPlan(reasons, "combined_other", withheld)
    rule: SuppressionRule = (
        "smallest_complement" if "complementary" in reasons.values() else "small_groups_only"
    )
    return SuppressionPlan(reasons, rule, ())


def suppress_small_groups(sizes: Mapping[GroupKey, int], *, min_cohort: int = 5) -> dict[GroupKey, SuppressionReason]:
    """Decide which groups to withhold; returns ``{group key: reason}`` for withheld groups only.

    ``sizes`` maps each group's tuple of values (all of the same length: one per group
    column) to its member count (people or rows, ≥ 0). Groups absent from the result are
    safe to publish. ``min_cohort`` is a headcount (default 5); ``min_cohort=1`` disables
    suppression of non-empty groups. An empty ``sizes`` returns ``{}``.

    Limits: one-column cuts can by themselves pin down an intersectional cell (a value
    whose members all share one value of another column); no rule inside this table can
    prevent that, and the rule does not try. It is a greedy heuristic, not an optimal
    cell-suppression solver: an attacker combining many overlapping tables, or the same
    population over time, may still narrow a withheld value down to an interval.
    """
    check_min_cohort(min_cohort)
    keys = sorted(sizes)
    reasons: dict[GroupKey, SuppressionReason] = {key: "below_min_cohort" for key in keys if sizes[key] < min_cohort}
    if not reasons:
        return reasons
    margins = _published_margins(sizes, keys, min_cohort=min_cohort)
    # Two greedy orders; the one that withholds fewer people loses least (the first on a tie).
    plans = [_complete(sizes, keys, dict(reasons), margins, min_cohort, smallest_first=first)
             for first in (False, True)]
    return min(plans, key=lambda plan: sum(sizes[key] for key in plan))


def _complete(
    sizes: Mapping[GroupKey, int],
    keys: list[GroupKey],
    reasons: dict[GroupKey, SuppressionReason],
    margins: list[list[GroupKey]],
    min_cohort: int,
    *,
    smallest_first: bool,
) -> dict[GroupKey, SuppressionReason]:
    """Withhold complementary cells until no margin is weak.

    The default order takes the cell that leaves the fewest broken margins; ``smallest_first``
    takes the smallest cell that repairs the weak margin being fixed (any cell when none does).
    """
    # Cells an attacker can work out from the margins alone, even if this table published nothing.
    known_from_margins_alone = _recoverable(set(keys), keys, margins)
    given_up: set[int] = set()
    while True:
        weak = _first_weak_margin(sizes, reasons, margins, known_from_margins_alone, min_cohort, given_up)
        if weak is None:
            return reasons
        # Withholding a cell the margins already give away protects nothing. The fix for a
        # weak margin may lie outside it (the cell that lets the attacker solve one of its
        # withheld cells), so every published cell is a candidate, those in the margin first.
        in_margin = set(margins[weak])
        trials: list[tuple[int, int, int, int, GroupKey]] = []
        for key in keys:
            if key in reasons or key in known_from_margins_alone:
                continue
            after = _weak_margins(sizes, {**reasons, key: "complementary"}, margins, known_from_margins_alone,
                                  min_cohort)
            if smallest_first:
                trials.append((int(weak in after), int(key not in in_margin), sizes[key], len(after), key))
            else:
                trials.append((len(after), int(key not in in_margin), sizes[key], 0, key))
        if not trials:
            given_up.add(weak)
            continue
        # Even when no single cell fixes the margin (a 2 × 2 block needs all four hidden),
        # withholding the best one is progress: the loop ends at worst with all withheld.
        chosen = min(trials)[4]
        reasons[chosen] = "complementary"


def _recoverable(hidden: set[GroupKey], keys: list[GroupKey], margins: list[list[GroupKey]]) -> set[GroupKey]:
    """Hidden cells an attacker can solve for, knowing every margin total and the published cells.

    Repeatedly: a margin with exactly one unknown cell gives that cell by subtraction.
    """
    known = {key for key in keys if key not in hidden}
    progress = True
    while progress:
        progress = False
        for members in margins:
            unknown = [key for key in members if key not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                progress = True
    return hidden & known


def _weak_margins(
    sizes: Mapping[GroupKey, int],
    reasons: Mapping[GroupKey, SuppressionReason],
    margins: list[list[GroupKey]],
    known_from_margins_alone: set[GroupKey],
    min_cohort: int,
) -> list[int]:
    """Indexes of margins whose withheld cells are not protected.

    A margin is weak when the withheld cells the attacker still cannot solve for are a
    single cell or hold fewer than ``min_cohort`` people, or when it holds a small cell
    the attacker can solve for because of what this table published.
    """
    hidden = set(reasons)
    recovered = _recoverable(hidden, sorted(sizes), margins)
    weak = []
    for index, members in enumerate(margins):
        unknown = [key for key in members if key in hidden and key not in recovered]
        exposed_small = any(
            key in recovered and key not in known_from_margins_alone and sizes[key] < min_cohort for key in members
        )
        too_few = bool(unknown) and (len(unknown) < 2 or sum(sizes[key] for key in unknown) < min_cohort)
        if exposed_small or too_few:
            weak.append(index)
    return weak


def _first_weak_margin(
    sizes: Mapping[GroupKey, int],
    reasons: Mapping[GroupKey, SuppressionReason],
    margins: list[list[GroupKey]],
    known_from_margins_alone: set[GroupKey],
    min_cohort: int,
    given_up: set[int],
) -> int | None:
    weak = _weak_margins(sizes, reasons, margins, known_from_margins_alone, min_cohort)
    return next((index for index in weak if index not in given_up), None)


def _published_margins(sizes: Mapping[GroupKey, int], keys: list[GroupKey], *, min_cohort: int) -> list[list[GroupKey]]:
    """The margins an attacker can read elsewhere, each as the list of cells it sums.

    The whole table's total is assumed public (a headcount usually is). For tables of two
    or more columns, each coarser cut (fixing some of the columns) is itself published
    under this same rule, so its withheld groups are not margins the attacker knows.
    """
    if not keys:
        return []
    width = len(keys[0])
    margins: list[list[GroupKey]] = [list(keys)]
    for fixed_count in range(1, width):
        for fixed in combinations(range(width), fixed_count):
            members: defaultdict[GroupKey, list[GroupKey]] = defaultdict(list)
            for key in keys:
                members[tuple(key[index] for index in fixed)].append(key)
            coarser_sizes = {margin: sum(sizes[key] for key in cells) for margin, cells in members.items()}
            withheld = suppress_small_groups(coarser_sizes, min_cohort=min_cohort)
            margins.extend(members[margin] for margin in sorted(members) if margin not in withheld)
    return margins
