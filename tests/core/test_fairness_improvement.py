"""Improvement after feedback (G5): each cycle against the manager's previous cycle with feedback."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, fisher_exact

from brightline.core.fairness import (
    COUNTS_INCONSISTENT,
    DUPLICATE_MANAGER_CYCLE,
    INVALID_MIN_COHORT,
    FairnessInputError,
    ManagerCycleFeedback,
    compare_after_feedback,
    summarise_improvement,
)

H1, H2, H3 = dt.date(2025, 3, 1), dt.date(2025, 9, 1), dt.date(2026, 3, 1)


def cycle(manager="ana", name="2025 H1", date=H1, *, reviews=6, proposals=None, changed=0, flags=0):
    return ManagerCycleFeedback(manager, name, date, reviews, reviews * 4 if proposals is None else proposals,
                                changed, flags)


def test_a_managers_first_cycle_has_nothing_to_compare_with():
    (only,) = compare_after_feedback([cycle(changed=3, flags=4)], min_reviews=5)
    assert (only.status, only.baseline, only.direction) == ("no_earlier_feedback", None, None)


def test_it_compares_with_the_previous_cycle_and_reports_both_rates():
    first = cycle(changed=6, flags=12)  # 6 of 24 changed; 2 flags per assessment
    second = cycle(name="2025 H2", date=H2, changed=2, flags=3)  # 2 of 24; 0.5 per assessment
    _, comparison = compare_after_feedback([second, first], min_reviews=5)
    assert comparison.status == "compared" and comparison.baseline == first
    assert comparison.change_rate_delta == pytest.approx(2 / 24 - 6 / 24)
    assert comparison.flag_rate_delta == pytest.approx(0.5 - 2.0)
    assert (comparison.change_direction, comparison.flag_direction, comparison.direction) == \
        ("lower", "lower", "improved")
    assert comparison.change_rate_p_value == pytest.approx(fisher_exact([[2, 22], [6, 18]]).pvalue)
    assert comparison.flag_rate_p_value == pytest.approx(binomtest(3, 15, 0.5).pvalue)


def test_the_baseline_is_the_last_cycle_in_which_feedback_was_given():
    with_feedback = cycle(changed=1)
    quiet = cycle(name="2025 H2", date=H2)  # nothing changed, nothing flagged: no feedback to respond to
    latest = cycle(name="2026 H1", date=H3, flags=2)
    comparisons = compare_after_feedback([with_feedback, quiet, latest], min_reviews=5)
    assert [c.baseline.cycle if c.baseline else None for c in comparisons] == [None, "2025 H1", "2025 H1"]


def test_cycles_are_ordered_by_date_not_by_name():
    older = cycle(name="b", date=H1, flags=3)
    newer = cycle(name="a", date=H2, flags=1)
    first, second = compare_after_feedback([newer, older], min_reviews=5)
    assert (first.cycle, second.cycle, second.baseline.cycle) == ("b", "a", "b")


def test_a_manager_without_any_feedback_is_never_compared():
    comparisons = compare_after_feedback([cycle(), cycle(name="2025 H2", date=H2)], min_reviews=5)
    assert {c.status for c in comparisons} == {"no_earlier_feedback"}


@pytest.mark.parametrize("first_reviews,second_reviews", [(4, 6), (6, 4), (4, 4)])
def test_fewer_than_the_minimum_assessments_in_either_cycle_is_not_enough_data(first_reviews, second_reviews):
    first = cycle(reviews=first_reviews, changed=2)
    second = cycle(name="2025 H2", date=H2, reviews=second_reviews)
    _, comparison = compare_after_feedback([first, second], min_reviews=5)
    assert comparison.status == "not_enough_data"
    assert (comparison.change_rate_delta, comparison.flag_rate_delta, comparison.direction) == (None, None, None)


@pytest.mark.parametrize("changed,flags,direction", [
    (2, 6, "stayed"), (1, 6, "improved"), (2, 3, "improved"), (3, 6, "worsened"), (1, 9, "mixed"),
])
def test_direction_reads_both_rates_and_never_combines_them(changed, flags, direction):
    first = cycle(changed=2, flags=6)
    (_, comparison) = compare_after_feedback([first, cycle(name="2025 H2", date=H2, changed=changed, flags=flags)],
                                             min_reviews=5)
    assert comparison.direction == direction


def test_equal_rates_on_different_sizes_count_as_the_same():
    first = cycle(reviews=5, proposals=10, changed=1, flags=2)
    second = cycle(name="2025 H2", date=H2, reviews=10, proposals=30, changed=3, flags=4)
    _, comparison = compare_after_feedback([first, second], min_reviews=5)
    assert (comparison.change_direction, comparison.flag_direction, comparison.direction) == ("same", "same",
                                                                                             "stayed")


def test_without_proposals_only_the_flag_rate_is_read():
    first = cycle(proposals=0, flags=5)
    _, comparison = compare_after_feedback([first, cycle(name="2025 H2", date=H2, proposals=0, flags=1)],
                                           min_reviews=5)
    assert (comparison.change_direction, comparison.change_rate_delta, comparison.change_rate_p_value) == \
        (None, None, None)
    assert comparison.direction == "improved"


def test_nothing_flagged_in_either_cycle_has_no_flag_test():
    _, comparison = compare_after_feedback([cycle(changed=2), cycle(name="2025 H2", date=H2, changed=1)],
                                           min_reviews=5)
    assert comparison.flag_rate_p_value is None and comparison.flag_direction == "same"


def test_managers_are_kept_apart():
    comparisons = compare_after_feedback([cycle("bo", changed=1), cycle("ana", name="2025 H2", date=H2, flags=1)],
                                         min_reviews=5)
    assert [(c.manager, c.status) for c in comparisons] == [("ana", "no_earlier_feedback"),
                                                            ("bo", "no_earlier_feedback")]


@pytest.mark.parametrize("record", [
    ManagerCycleFeedback("ana", "c", H1, 5, 4, 5, 0),
    ManagerCycleFeedback("ana", "c", H1, -1, 4, 0, 0),
    ManagerCycleFeedback("ana", "c", H1, 5, 4, 0, True),
])
def test_it_refuses_inconsistent_counts(record):
    with pytest.raises(FairnessInputError) as raised:
        compare_after_feedback([record])
    assert str(raised.value) == COUNTS_INCONSISTENT.format(
        manager="ana", cycle="c", reviews=record.reviews, proposals=record.proposals, changed=record.changed,
        flags=record.flags)


def test_it_refuses_a_repeated_manager_and_cycle():
    with pytest.raises(FairnessInputError) as raised:
        compare_after_feedback([cycle(), cycle()])
    assert str(raised.value) == DUPLICATE_MANAGER_CYCLE.format(manager="ana", cycle="2025 H1")


def test_it_refuses_a_minimum_below_one():
    with pytest.raises(FairnessInputError) as raised:
        compare_after_feedback([], min_reviews=0)
    assert str(raised.value) == INVALID_MIN_COHORT.format(min_cohort=0)


def history(manager, second_changed, *, reviews=6):
    return [cycle(manager, changed=3, flags=6), cycle(manager, name="2025 H2", date=H2, reviews=reviews,
                                                      changed=second_changed, flags=6)]


def test_the_summary_counts_managers_per_direction():
    records = [*history("a", 1), *history("b", 1), *history("c", 3), *history("d", 5), *history("e", 2),
               *history("f", 0, reviews=3)]
    (summary,) = summarise_improvement(compare_after_feedback(records, min_reviews=5), min_cohort=5)
    assert (summary.cycle, summary.compared, summary.improved, summary.stayed, summary.worsened, summary.mixed,
            summary.not_enough_data, summary.withheld) == ("2025 H2", 5, 3, 1, 1, 0, 1, False)


def test_the_summary_withholds_a_cycle_with_fewer_than_the_minimum_managers_compared():
    records = [*history("a", 1), *history("b", 1), *history("c", 3), *history("d", 5), *history("e", 2, reviews=3)]
    (summary,) = summarise_improvement(compare_after_feedback(records, min_reviews=5), min_cohort=5)
    assert summary.withheld
    assert (summary.compared, summary.improved, summary.stayed, summary.worsened, summary.mixed,
            summary.not_enough_data) == (None,) * 6
    assert summary.to_json()["withheld"] is True


def test_the_summary_has_no_row_for_cycles_without_comparisons():
    assert summarise_improvement(compare_after_feedback([cycle(changed=2)]), min_cohort=1) == ()


# --------------------------------------------------------------------------------------------- properties

counts = st.integers(min_value=0, max_value=12).flatmap(
    lambda reviews: st.tuples(st.just(reviews), st.integers(min_value=0, max_value=40)).flatmap(
        lambda rp: st.tuples(st.just(rp[0]), st.just(rp[1]), st.integers(min_value=0, max_value=rp[1]),
                             st.integers(min_value=0, max_value=30))))
histories = st.lists(st.tuples(st.sampled_from(["ana", "bo", "cy"]), counts), max_size=15)


def as_records(drawn):
    seen: dict[str, int] = {}
    records = []
    for manager, (reviews, proposals, changed, flags) in drawn:
        index = seen[manager] = seen.get(manager, -1) + 1
        records.append(ManagerCycleFeedback(manager, f"c{index}", H1 + dt.timedelta(days=180 * index), reviews,
                                            proposals, changed, flags))
    return records


@settings(max_examples=200, deadline=None)
@given(histories, st.integers(min_value=1, max_value=8))
def test_every_record_gets_one_comparison_and_only_a_feedback_cycle_is_a_baseline(drawn, min_reviews):
    records = as_records(drawn)
    comparisons = compare_after_feedback(records, min_reviews=min_reviews)
    assert sorted((c.manager, c.cycle) for c in comparisons) == sorted((r.manager, r.cycle) for r in records)
    for comparison in comparisons:
        if comparison.baseline is not None:
            assert comparison.baseline.received_feedback
            assert comparison.baseline.cycle_date < comparison.current.cycle_date
        if comparison.status == "compared":
            assert min(comparison.current.reviews, comparison.baseline.reviews) >= min_reviews
            assert comparison.direction is not None
            assert -1.0 <= (comparison.change_rate_delta or 0.0) <= 1.0
            for p_value in (comparison.change_rate_p_value, comparison.flag_rate_p_value):
                assert p_value is None or 0.0 <= p_value <= 1.0
        else:
            assert comparison.direction is None and comparison.flag_rate_delta is None


@settings(max_examples=200, deadline=None)
@given(histories, st.integers(min_value=1, max_value=8), st.integers(min_value=1, max_value=4))
def test_a_published_summary_adds_up_and_rests_on_the_minimum(drawn, min_cohort, min_reviews):
    comparisons = compare_after_feedback(as_records(drawn), min_reviews=min_reviews)
    for summary in summarise_improvement(comparisons, min_cohort=min_cohort):
        if summary.withheld:
            assert summary.compared is None
            continue
        assert summary.compared >= min_cohort
        assert summary.improved + summary.stayed + summary.worsened + summary.mixed == summary.compared


@given(counts, counts)
def test_swapping_the_cycles_mirrors_the_deltas(first, second):
    a = ManagerCycleFeedback("ana", "a", H1, *first)
    b = ManagerCycleFeedback("ana", "b", H2, *second)
    if not (a.received_feedback and b.received_feedback) or min(a.reviews, b.reviews) < 1:
        return
    (_, forward), (_, backward) = (compare_after_feedback([a, b], min_reviews=1),
                                   compare_after_feedback([ManagerCycleFeedback("ana", "b", H1, *second),
                                                           ManagerCycleFeedback("ana", "a", H2, *first)],
                                                          min_reviews=1))
    assert forward.flag_rate_delta == pytest.approx(-backward.flag_rate_delta)
    mirrored = {"improved": "worsened", "worsened": "improved", "stayed": "stayed", "mixed": "mixed"}
    assert backward.direction == mirrored[forward.direction]
