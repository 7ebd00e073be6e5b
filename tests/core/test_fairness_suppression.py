"""Small-cohort suppression, complementary suppression, and subtraction attacks on it."""

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brightline.core.fairness import audit_outcome_counts, suppress_small_groups


def test_a_group_below_the_minimum_cohort_is_withheld_and_listed():
    result = audit_outcome_counts({("A",): (3, 1), ("B",): (6, 2), ("C",): (20, 10), ("D",): (30, 12)})
    published = {group.group for group in result.groups}
    assert "A" not in published
    assert result.suppressed == ("A", "B")
    assert result.suppression_reasons == {"A": "below_min_cohort", "B": "complementary"}


def test_a_lone_suppressed_group_takes_the_next_smallest_with_it():
    reasons = suppress_small_groups({("A",): 2, ("B",): 40, ("C",): 12, ("D",): 30}, min_cohort=5)
    assert reasons == {("A",): "below_min_cohort", ("C",): "complementary"}


def test_two_tiny_suppressed_groups_are_topped_up_to_the_minimum_cohort():
    # Hidden together they hold 2 people: subtraction would reveal both their outcomes.
    reasons = suppress_small_groups({("A",): 1, ("B",): 1, ("C",): 9, ("D",): 30}, min_cohort=5)
    assert set(reasons) == {("A",), ("B",), ("C",)}


def test_nothing_is_withheld_when_every_group_is_large_enough():
    result = audit_outcome_counts({("A",): (5, 1), ("B",): (6, 2)})
    assert result.suppressed == ()
    assert result.total_n == 11


def test_min_cohort_one_disables_suppression():
    assert suppress_small_groups({("A",): 1, ("B",): 2}, min_cohort=1) == {}


def test_the_subtraction_attack_on_a_single_cut_recovers_no_single_group():
    counts = {("A",): (3, 3), ("B",): (7, 2), ("C",): (20, 10), ("D",): (30, 12)}
    result = audit_outcome_counts(counts)
    # The attacker knows the full population from another, unsuppressed cut.
    known_total_n = sum(n for n, _ in counts.values())
    known_total_favourable = sum(favourable for _, favourable in counts.values())
    residual_n = known_total_n - sum(group.n for group in result.groups)
    residual_favourable = known_total_favourable - sum(group.favourable for group in result.groups)
    # What they recover is A and B together, not A.
    assert (residual_n, residual_favourable) == (10, 5)
    assert len(result.suppressed) == 2
    assert result.total_n is None


def test_totals_and_unknown_counts_that_would_reveal_a_suppressed_group_are_not_published():
    result = audit_outcome_counts({("not disclosed",): (2, 0), ("F",): (20, 10), ("M",): (30, 20), ("X",): (8, 4)})
    assert "not disclosed" in result.suppressed
    assert result.unknown_count is None
    assert result.total_n is None


def intersection(counts):
    return audit_outcome_counts(counts, group_columns=["sex", "race"])


def test_a_lone_suppressed_cell_in_an_intersection_pulls_in_a_partner_in_each_margin():
    counts = {
        ("F", "Asian"): (2, 1),
        ("F", "White"): (40, 20),
        ("F", "Black"): (30, 15),
        ("M", "Asian"): (20, 10),
        ("M", "White"): (50, 25),
        ("M", "Black"): (25, 12),
    }
    result = intersection(counts)
    assert result.suppression_reasons["F | Asian"] == "below_min_cohort"
    # The Sex = F row and the race = Asian column each need a second hidden cell,
    # and then the M row does too.
    assert result.suppressed == ("F | Asian", "F | Black", "M | Asian", "M | Black")


def recover_by_subtraction(cells, hidden, published_margins):
    """Simulate an attacker: solve margins with one unknown cell, repeatedly.

    ``cells`` maps key tuple → n; ``hidden`` holds the cells the attacker cannot see (pass
    every cell to model an attacker without the intersectional audit);
    ``published_margins`` maps (fixed column indexes, fixed values) → margin total, as
    published by other cuts. Returns the hidden cells recovered.
    """
    known = {key: n for key, n in cells.items() if key not in hidden}
    recovered = set()
    progress = True
    while progress:
        progress = False
        for (indexes, values), total in published_margins.items():
            members = [key for key in cells if tuple(key[index] for index in indexes) == values]
            unknown = [key for key in members if key not in known]
            if len(unknown) == 1:
                known[unknown[0]] = total - sum(known[key] for key in members if key in known)
                recovered.add(unknown[0])
                progress = True
    return recovered


def published_margins_of(cells, *, min_cohort):
    """Margins that the one-column cuts and the total publish, after their own suppression."""
    width = len(next(iter(cells)))
    margins = {}
    for index in range(width):
        totals = {}
        for key, n in cells.items():
            totals[(key[index],)] = totals.get((key[index],), 0) + n
        withheld = suppress_small_groups(totals, min_cohort=min_cohort)
        for value, total in totals.items():
            if value not in withheld:
                margins[((index,), value)] = total
        if not withheld:
            margins[((), ())] = sum(totals.values())
    if width > 2:
        for indexes in combinations(range(width), width - 1):
            totals = {}
            for key, n in cells.items():
                projected = tuple(key[index] for index in indexes)
                totals[projected] = totals.get(projected, 0) + n
            withheld = suppress_small_groups(totals, min_cohort=min_cohort)
            for value, total in totals.items():
                if value not in withheld:
                    margins[(indexes, value)] = total
    return margins


def test_the_subtraction_attack_across_cuts_recovers_nothing_on_a_hand_table():
    cells = {
        ("F", "Asian"): 2,
        ("F", "White"): 40,
        ("F", "Black"): 30,
        ("M", "Asian"): 20,
        ("M", "White"): 50,
        ("M", "Black"): 25,
    }
    hidden = suppress_small_groups(cells, min_cohort=5)
    assert recover_by_subtraction(cells, hidden, published_margins_of(cells, min_cohort=5)) == set()


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("FMX"), st.sampled_from("abcd")),
        st.integers(min_value=1, max_value=30),
        min_size=1,
    ),
    st.integers(min_value=2, max_value=10),
)
def test_the_intersection_audit_makes_no_small_cell_recoverable_by_subtraction(cells, min_cohort):
    # One-column cuts can on their own pin down a cell (when a value has a single partner);
    # no rule inside the intersectional audit can prevent that, so the property is that
    # publishing the intersection adds no recoverable small cell.
    margins = published_margins_of(cells, min_cohort=min_cohort)
    hidden = suppress_small_groups(cells, min_cohort=min_cohort)
    with_audit = recover_by_subtraction(cells, hidden, margins)
    without_audit = recover_by_subtraction(cells, set(cells), margins)
    assert not {key for key in with_audit - without_audit if cells[key] < min_cohort}


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("FM"), st.sampled_from("abcde")),
        st.integers(min_value=1, max_value=40),
        min_size=1,
    ),
    st.integers(min_value=1, max_value=10),
)
def test_what_the_audit_leaves_unknown_in_a_margin_is_two_cells_and_min_cohort_people(cells, min_cohort):
    hidden = suppress_small_groups(cells, min_cohort=min_cohort)
    assert {key for key, n in cells.items() if n < min_cohort} <= set(hidden)
    assert all(cells[key] < min_cohort for key, reason in hidden.items() if reason == "below_min_cohort")
    margins = published_margins_of(cells, min_cohort=min_cohort)
    unknown = set(hidden) - recover_by_subtraction(cells, hidden, margins)
    unknown_without_audit = set(cells) - recover_by_subtraction(cells, set(cells), margins)
    for indexes, values in margins:
        members = {key for key in cells if tuple(key[index] for index in indexes) == values}
        withheld = members & unknown
        protected = len(withheld) >= 2 and sum(cells[key] for key in withheld) >= min_cohort
        # A margin the one-column cuts already expose is not the audit's doing.
        already_exposed = withheld == members & unknown_without_audit
        assert not withheld or protected or already_exposed


@pytest.mark.parametrize("min_cohort", [0, -1])
def test_it_refuses_a_minimum_cohort_below_one(min_cohort):
    with pytest.raises(ValueError):
        suppress_small_groups({("A",): 3}, min_cohort=min_cohort)


def test_the_complement_chosen_withholds_the_fewest_people():
    # A 3-person and a 2-person cell. The fewest-broken-margins order alone also withholds the
    # 40-person M | d cell; a protection exists that leaves it (and its comparison) published.
    cells = {("X", "a"): 30, ("X", "b"): 12, ("X", "d"): 6, ("F", "a"): 3, ("F", "b"): 25, ("F", "d"): 20,
             ("M", "a"): 30, ("M", "b"): 2, ("M", "d"): 40}
    hidden = suppress_small_groups(cells, min_cohort=5)
    assert ("M", "d") not in hidden
    assert sum(cells[key] for key, reason in hidden.items() if reason == "complementary") == 68
    assert recover_by_subtraction(cells, hidden, published_margins_of(cells, min_cohort=5)) == set()


def test_a_one_column_cut_shows_the_withheld_groups_together_and_says_which_rule():
    from brightline.core.fairness import plan_suppression

    # A 3-person team forces its 20-person complement out; together they are one "other" row.
    result = audit_outcome_counts({("alpha",): (3, 1), ("beta",): (20, 6), ("gamma",): (30, 24)})
    assert result.suppressed == ("alpha", "beta")
    assert result.suppression_rule == "combined_other"
    assert (result.other.n, result.other.favourable) == (23, 7)
    assert any("shown together as one row" in note for note in result.notes)
    assert result.to_json()["other"]["n"] == 23
    plan = plan_suppression({("A", "x"): 3, ("A", "y"): 20, ("B", "x"): 30, ("B", "y"): 30})
    assert plan.rule == "smallest_complement" and plan.other == ()
