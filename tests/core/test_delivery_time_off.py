"""Team health: time-off patterns as aggregates, withheld below the minimum cohort, pages on local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brightline.core.delivery import (
    BAD_TIME_OFF_COHORT,
    NAIVE_EVENT_TIME,
    REVERSED_SPAN,
    TeamMember,
    TimeOffSpan,
    WorkEvent,
    overlapping_spans,
    summarise_team_time_off,
    working_days_off,
)

AS_OF = date(2026, 11, 2)  # a Monday


def members(count: int, **fields) -> list[TeamMember]:
    return [TeamMember(person_id=f"p{index}", **fields) for index in range(count)]


def span(person_id: str, start: date, days: int) -> TimeOffSpan:
    return TimeOffSpan(person_id=person_id, start=start, end=start + timedelta(days=days - 1))


def test_it_reports_the_share_without_time_off_in_each_window_and_the_median_days_off() -> None:
    spans = [
        span("p0", AS_OF - timedelta(days=20), 5),  # in both windows
        span("p1", AS_OF - timedelta(days=120), 10),  # in the 180-day window only
        span("p2", AS_OF - timedelta(days=400), 10),  # in neither
    ]
    result = summarise_team_time_off(spans, members(5), as_of=AS_OF, min_cohort=5)
    assert result.withheld is None
    assert result.share_without_time_off == {90: 4 / 5, 180: 3 / 5}
    # Three of five members have no working day off in the window.
    assert result.median_working_days_off == 0.0
    assert (result.members, result.counted, result.window_days) == (5, 5, 180)


def test_the_window_includes_as_of_and_the_day_179_days_before() -> None:
    first = AS_OF - timedelta(days=179)
    edge = [span("p0", first, 1), span("p1", first - timedelta(days=1), 1), span("p2", AS_OF, 1)]
    result = summarise_team_time_off(edge, members(5), as_of=AS_OF, min_cohort=1)
    assert result.share_without_time_off == {90: 4 / 5, 180: 3 / 5}


def test_below_the_minimum_cohort_every_figure_is_withheld() -> None:
    spans = [span("p0", AS_OF - timedelta(days=3), 2)]
    result = summarise_team_time_off(spans, members(4), as_of=AS_OF, min_cohort=5)
    assert result.withheld == "below_min_cohort"
    assert (result.share_without_time_off, result.median_working_days_off, result.pages,
            result.pages_during_time_off) == (None, None, None, None)
    assert result.to_json()["share_without_time_off"] is None


def test_new_joiners_are_not_counted_so_a_short_history_does_not_read_as_no_rest() -> None:
    team = members(5, employed_since=date(2020, 1, 1)) + [
        TeamMember(person_id="new", employed_since=AS_OF - timedelta(days=30))]
    result = summarise_team_time_off([], team, as_of=AS_OF, min_cohort=5)
    assert (result.members, result.counted) == (6, 5)
    # Someone employed from exactly the first day of the window is counted.
    team[-1] = TeamMember(person_id="new", employed_since=AS_OF - timedelta(days=179))
    assert summarise_team_time_off([], team, as_of=AS_OF, min_cohort=5).counted == 6


def test_new_joiners_push_a_team_below_the_cohort() -> None:
    team = members(3) + [TeamMember(person_id=f"n{i}", employed_since=AS_OF) for i in range(3)]
    assert summarise_team_time_off([], team, as_of=AS_OF, min_cohort=5).withheld == "below_min_cohort"


def test_a_page_counts_as_during_time_off_on_the_persons_local_day() -> None:
    tokyo = TeamMember(person_id="p0", time_zone="Asia/Tokyo")
    team = [tokyo, *members(4)[1:], TeamMember(person_id="p4")]
    last_day_off = AS_OF - timedelta(days=10)
    spans = [TimeOffSpan(person_id="p0", start=last_day_off - timedelta(days=4), end=last_day_off)]
    late_utc = datetime.combine(last_day_off, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15, minutes=30)
    pages = [
        WorkEvent("p0", late_utc - timedelta(hours=1), "page"),  # 23:30 in Tokyo: still the day off
        WorkEvent("p0", late_utc, "page"),  # 00:30 next day in Tokyo: back at work
        WorkEvent("p1", late_utc, "page"),  # p1 was not off
        WorkEvent("p0", late_utc - timedelta(hours=2), "commit"),  # not a page
    ]
    result = summarise_team_time_off(spans, team, as_of=AS_OF, min_cohort=5, pages=pages)
    assert (result.pages, result.pages_during_time_off) == (3, 1)


def test_pages_outside_the_window_are_not_counted() -> None:
    old = datetime.combine(AS_OF - timedelta(days=200), datetime.min.time(), tzinfo=UTC)
    result = summarise_team_time_off([], members(5), as_of=AS_OF, min_cohort=5, pages=[WorkEvent("p0", old, "page")])
    assert result.pages == 0


def test_it_refuses_reversed_spans_naive_pages_and_a_cohort_below_one() -> None:
    reversed_span = TimeOffSpan(person_id="p0", start=AS_OF, end=AS_OF - timedelta(days=1))
    with pytest.raises(ValueError) as raised:
        summarise_team_time_off([reversed_span], members(5), as_of=AS_OF, min_cohort=5)
    assert str(raised.value) == REVERSED_SPAN.format(person_id="p0", start=AS_OF, end=AS_OF - timedelta(days=1))
    naive = datetime(2026, 10, 1, 12)
    with pytest.raises(ValueError) as raised:
        summarise_team_time_off([], members(5), as_of=AS_OF, min_cohort=5, pages=[WorkEvent("p0", naive, "page")])
    assert str(raised.value) == NAIVE_EVENT_TIME.format(moment=naive)
    with pytest.raises(ValueError) as raised:
        summarise_team_time_off([], members(5), as_of=AS_OF, min_cohort=0)
    assert str(raised.value) == BAD_TIME_OFF_COHORT.format(value=0)


def test_working_days_count_each_weekday_once_even_when_spans_overlap() -> None:
    monday = date(2026, 10, 5)
    spans = [span("p0", monday, 7), span("p0", monday + timedelta(days=2), 3)]
    assert working_days_off(spans, first=monday, last=monday + timedelta(days=30)) == 5
    assert working_days_off(spans, first=monday + timedelta(days=1), last=monday + timedelta(days=2)) == 2


def test_overlapping_spans_are_pairs_of_one_person_sharing_a_day() -> None:
    a = span("p0", date(2026, 5, 1), 5)  # 1–5 May
    b = span("p0", date(2026, 5, 5), 2)  # 5–6 May: shares the 5th
    c = span("p0", date(2026, 5, 7), 1)  # touches b, shares nothing
    d = span("p1", date(2026, 5, 1), 10)  # someone else
    assert overlapping_spans([c, b, d, a]) == [(a, b)]


def test_the_result_has_no_per_person_field() -> None:
    result = summarise_team_time_off([span("p0", AS_OF, 1)], members(5), as_of=AS_OF, min_cohort=5)
    assert "p0" not in str(result.to_json())


spans_strategy = st.lists(
    st.builds(lambda person, offset, length: span(f"p{person}", AS_OF - timedelta(days=offset), length),
              st.integers(0, 7), st.integers(-10, 400), st.integers(1, 40)),
    max_size=30)


@settings(max_examples=200, deadline=None)
@given(spans=spans_strategy, size=st.integers(1, 8), min_cohort=st.integers(1, 8))
def test_properties_of_the_aggregates(spans, size, min_cohort) -> None:
    result = summarise_team_time_off(spans, members(size), as_of=AS_OF, min_cohort=min_cohort)
    assert (result.withheld is None) == (size >= min_cohort)
    if result.share_without_time_off is None:
        return
    shares = result.share_without_time_off
    assert all(0.0 <= share <= 1.0 for share in shares.values())
    # No time off in 180 days implies none in the last 90.
    assert shares[180] <= shares[90]
    assert result.median_working_days_off is not None
    assert 0 <= result.median_working_days_off <= 180
    assert result.pages_during_time_off == result.pages == 0
