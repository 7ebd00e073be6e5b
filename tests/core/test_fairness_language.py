"""Language audits: narrative-flag rates by group."""

import pytest

from brightline.core.fairness import NO_ROWS, FairnessInputError, audit_language


def narratives(group, total, **flag_counts):
    rows = [(group, set()) for _ in range(total)]
    for flag, count in flag_counts.items():
        for index in range(count):
            rows[index][1].add(flag)
    return rows


def test_it_computes_each_flags_rate_by_group():
    rows = narratives("F", 10, vague=4, personality=3) + narratives("M", 10, vague=1, personality=3)
    audit = audit_language(rows)
    vague = next(flag for flag in audit.flags if flag.flag == "vague")
    assert [(group.group, group.flagged, group.rate) for group in vague.groups] == [("F", 4, 0.4), ("M", 1, 0.1)]
    assert vague.highest_group == "F"
    assert vague.rate_difference == pytest.approx(0.3)
    assert vague.relative_rate == pytest.approx(4.0)
    assert vague.test == "fisher_exact"
    assert [flag.flag for flag in audit.flags] == ["personality", "vague"]


def test_listed_flags_are_reported_in_order_even_when_absent():
    audit = audit_language(narratives("F", 6, vague=1) + narratives("M", 6), flags=["no_evidence", "vague"])
    assert [flag.flag for flag in audit.flags] == ["no_evidence", "vague"]
    assert all(group.flagged == 0 for group in audit.flags[0].groups)
    assert audit.flags[0].relative_rate is None


def test_it_applies_the_same_suppression_to_every_flag():
    rows = narratives("F", 20, vague=5) + narratives("M", 12, vague=2) + narratives("X", 2, vague=2)
    audit = audit_language(rows)
    assert audit.suppressed == ("M", "X")
    assert audit.suppression_reasons == {"M": "complementary", "X": "below_min_cohort"}
    assert [group.group for group in audit.flags[0].groups] == ["F"]


def test_a_missing_group_is_not_disclosed_and_flag_names_are_taken_as_given():
    rows = narratives(None, 3, Vague=1) + narratives("", 3) + narratives("F", 6)
    audit = audit_language(rows, not_disclosed_label="unknown")
    assert audit.unknown_count == 6
    assert [flag.flag for flag in audit.flags] == ["Vague"]
    assert {group.group for group in audit.flags[0].groups} == {"unknown", "F"}


def test_to_json_is_plain_data():
    payload = audit_language(narratives("F", 6, vague=2) + narratives("M", 6)).to_json()
    assert payload["min_cohort"] == 5
    assert payload["flags"][0]["groups"][0] == {
        "group": "F",
        "n": 6,
        "flagged": 2,
        "rate": pytest.approx(1 / 3),
        "ci_low": pytest.approx(0.0968, abs=1e-4),
        "ci_high": pytest.approx(0.7000, abs=1e-4),
    }


def test_it_refuses_no_narratives():
    with pytest.raises(FairnessInputError) as error:
        audit_language([])
    assert str(error.value) == NO_ROWS.format(source="The narratives")
