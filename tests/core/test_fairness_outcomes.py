"""Outcome audits on small hand-computed tables."""

import json

import pytest

from brightline.core.fairness import (
    FAVOURABLE_VALUE_ABSENT,
    GROUP_LABEL_COLLISION,
    INVALID_MIN_COHORT,
    MISSING_COLUMN,
    NO_FAVOURABLE_VALUES,
    NO_GROUP_COLUMNS,
    NO_ROWS,
    FairnessInputError,
    audit_outcome_counts,
    audit_outcomes,
    wilson_interval,
)

CONTRACT_KEYS = {
    "groups",
    "reference_group",
    "impact_ratio",
    "rate_difference",
    "four_fifths_flag",
    "test",
    "p_value",
    "suppressed",
    "min_cohort",
}
GROUP_KEYS = {"group", "n", "favourable", "rate", "ci_low", "ci_high"}


def rows_for(counts, *, column="team", outcome="decision"):
    """Rows from {group: (n, favourable)}: favourable rows say "yes", the others "no"."""
    rows = []
    for group, (n, favourable) in counts.items():
        rows += [{column: group, outcome: "yes"}] * favourable
        rows += [{column: group, outcome: "no"}] * (n - favourable)
    return rows


def audit(counts, **options):
    options.setdefault("min_cohort", 5)
    return audit_outcomes(
        rows_for(counts), outcome_column="decision", favourable="yes", group_columns="team", **options
    )


def test_it_computes_rates_ratio_difference_and_fishers_test_by_hand():
    result = audit({"A": (10, 8), "B": (10, 4)})
    assert [(group.group, group.n, group.favourable, group.rate) for group in result.groups] == [
        ("A", 10, 8, 0.8),
        ("B", 10, 4, 0.4),
    ]
    assert result.reference_group == "A"
    assert result.lowest_group == "B"
    assert result.impact_ratio == pytest.approx(0.5)
    assert result.rate_difference == pytest.approx(0.4)
    assert result.four_fifths_flag is True
    assert result.test == "fisher_exact"
    # Hypergeometric by hand: tables as or less likely than [[8, 2], [4, 6]] given the margins
    # sum to (45 + 1200 + 9450) × 2 out of C(20, 12) = 125970.
    assert result.p_value == pytest.approx(21390 / 125970)


def test_it_attaches_the_wilson_interval_to_every_rate():
    result = audit({"A": (10, 8), "B": (10, 4)})
    assert (result.groups[0].ci_low, result.groups[0].ci_high) == wilson_interval(8, 10)


def test_it_does_not_flag_a_ratio_of_exactly_four_fifths():
    result = audit({"A": (50, 40), "B": (50, 32)})
    assert result.impact_ratio == pytest.approx(0.8)
    assert result.four_fifths_flag is False


def test_it_says_small_sample_instead_of_reading_significance():
    result = audit({"A": (10, 10), "B": (10, 0)})
    assert result.p_value < 0.001
    assert result.small_sample is True
    assert result.significant is None
    assert any("Small sample" in note for note in result.notes)


def test_it_reads_significance_when_the_sample_is_large_enough():
    result = audit({"A": (100, 90), "B": (100, 50)})
    assert result.small_sample is False
    assert result.significant is True


def test_it_uses_chi_square_for_three_groups_and_reports_small_expected_counts():
    large = audit({"A": (100, 90), "B": (100, 70), "C": (100, 50)})
    assert large.test == "chi_square"
    assert large.small_sample is False
    skewed = audit({"A": (40, 39), "B": (40, 38), "C": (40, 40)})
    assert skewed.test == "chi_square"
    assert skewed.small_sample is True
    assert any("expected cell count" in note for note in skewed.notes)


def test_it_picks_the_larger_group_as_reference_on_a_tie():
    result = audit({"A": (10, 5), "B": (20, 10), "C": (10, 2)})
    assert result.reference_group == "B"


def test_it_leaves_the_ratio_undefined_when_nobody_is_favourable_in_published_groups():
    result = audit_outcome_counts({("A",): (10, 0), ("B",): (10, 0)})
    assert result.impact_ratio is None
    assert result.four_fifths_flag is None
    assert result.rate_difference == 0.0
    assert result.test is None
    assert result.p_value is None


def test_it_needs_two_published_groups_to_compare():
    result = audit({"A": (10, 5)})
    assert result.impact_ratio is None
    assert result.test is None
    assert len(result.groups) == 1


def test_missing_group_values_become_their_own_not_disclosed_group():
    rows = rows_for({"F": (6, 3), "M": (6, 4)}, column="sex") + [
        {"sex": None, "decision": "yes"},
        {"sex": "", "decision": "no"},
        {"sex": "", "decision": "yes"},
        {"sex": None, "decision": "yes"},
        {"sex": "", "decision": "no"},
    ]
    result = audit_outcomes(rows, outcome_column="decision", favourable="yes", group_columns=["sex"])
    by_group = {group.group: group for group in result.groups}
    assert (by_group["not disclosed"].n, by_group["not disclosed"].favourable) == (5, 3)
    assert result.unknown_count == 5
    relabelled = audit_outcomes(
        rows,
        outcome_column="decision",
        favourable="yes",
        group_columns=["sex"],
        not_disclosed_label="prefer not to say",
    )
    assert "prefer not to say" in {group.group for group in relabelled.groups}


def test_it_keeps_group_values_exactly_as_given():
    rows = rows_for({"M": (5, 5), "M ": (5, 1), " ": (5, 2)}, column="sex")
    result = audit_outcomes(rows, outcome_column="decision", favourable="yes", group_columns="sex")
    assert [group.group for group in result.groups] == [" ", "M", "M "]


def test_several_group_columns_audit_their_intersection_with_a_pipe_label():
    rows = [
        {"sex": sex, "race": race, "decision": decision}
        for sex, race in [("F", "White"), ("M ", "Black"), ("F", "Black")]
        for decision in ["yes", "no", "yes", "no", "yes"]
    ]
    result = audit_outcomes(rows, outcome_column="decision", favourable="yes", group_columns=["sex", "race"])
    assert [group.group for group in result.groups] == ["F | Black", "F | White", "M  | Black"]


def test_rows_without_an_outcome_are_reported_not_counted():
    rows = rows_for({"A": (5, 2), "B": (5, 3)}) + [{"team": "A", "decision": ""}]
    result = audit_outcomes(rows, outcome_column="decision", favourable="yes", group_columns="team")
    assert result.rows_without_outcome == 1
    assert sum(group.n for group in result.groups) == 10


def test_several_favourable_values_count_together_and_a_missing_one_is_noted():
    rows = [{"team": "A", "decision": value} for value in ["exceeds", "meets", "below", "meets", "below"]]
    result = audit_outcomes(
        rows, outcome_column="decision", favourable={"exceeds", "meets", "outstanding"}, group_columns="team"
    )
    assert result.groups[0].favourable == 3
    assert any("'outstanding'" in note for note in result.notes)


def test_to_json_keeps_the_contract_keys_and_is_json_serialisable():
    payload = audit({"A": (10, 8), "B": (10, 4), "C": (2, 1)}).to_json()
    assert set(payload) >= CONTRACT_KEYS
    assert all(set(group) == GROUP_KEYS for group in payload["groups"])
    assert payload["min_cohort"] == 5
    assert json.loads(json.dumps(payload)) == payload


def test_the_audit_result_is_immutable():
    result = audit({"A": (10, 8), "B": (10, 4)})
    with pytest.raises(AttributeError):
        result.impact_ratio = 1.0  # type: ignore[misc]


def test_it_names_a_missing_column_and_lists_the_available_ones():
    with pytest.raises(FairnessInputError) as error:
        audit_outcomes(
            [{"team": "A", "decision": "yes"}], outcome_column="decision", favourable="yes", group_columns="sex"
        )
    assert str(error.value) == MISSING_COLUMN.format(
        column="sex", source="the input rows", available="'team', 'decision'"
    )


def test_it_lists_the_values_seen_when_the_favourable_value_is_absent():
    with pytest.raises(FairnessInputError) as error:
        audit_outcomes(rows_for({"A": (5, 2)}), outcome_column="decision", favourable="Yes", group_columns="team")
    assert str(error.value) == FAVOURABLE_VALUE_ABSENT.format(favourable="'Yes'", column="decision", seen="'no', 'yes'")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"group_columns": []}, NO_GROUP_COLUMNS),
        ({"favourable": []}, NO_FAVOURABLE_VALUES),
        ({"min_cohort": 0}, INVALID_MIN_COHORT.format(min_cohort=0)),
        ({"min_cohort": True}, INVALID_MIN_COHORT.format(min_cohort=True)),
    ],
)
def test_it_refuses_bad_options(options, message):
    arguments = {"outcome_column": "decision", "favourable": "yes", "group_columns": "team"} | options
    with pytest.raises(FairnessInputError) as error:
        audit_outcomes(rows_for({"A": (5, 2)}), **arguments)
    assert str(error.value) == message


def test_it_refuses_no_rows():
    with pytest.raises(FairnessInputError) as error:
        audit_outcomes([], outcome_column="decision", favourable="yes", group_columns="team")
    assert str(error.value) == NO_ROWS.format(source="The input rows")


def test_it_refuses_values_whose_labels_would_collide():
    rows = [{"a": "x | y", "b": "z", "d": "yes"}, {"a": "x", "b": "y | z", "d": "no"}]
    with pytest.raises(FairnessInputError) as error:
        audit_outcomes(rows, outcome_column="d", favourable="yes", group_columns=["a", "b"])
    assert str(error.value) == GROUP_LABEL_COLLISION.format(
        first="'x | y', 'z'", second="'x', 'y | z'", label="x | y | z"
    )


def test_counts_input_gives_the_same_audit_as_rows():
    from_rows = audit({"A": (10, 8), "B": (10, 4), "C": (3, 1)})
    from_counts = audit_outcome_counts({("A",): (10, 8), ("B",): (10, 4), ("C",): (3, 1)}, group_columns=["team"])
    assert from_counts == from_rows


def test_counts_input_refuses_impossible_counts():
    with pytest.raises(ValueError):
        audit_outcome_counts({("A",): (3, 4)})
