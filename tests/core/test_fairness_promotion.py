"""Promotion velocity by level (G6)."""

from datetime import date

import pytest

from brightline.core.fairness import DAYS_PER_MONTH, LevelStart, measure_promotion_velocity


def career(person, *steps):
    return [LevelStart(person, level, start) for level, start in steps]


def test_it_reports_the_median_months_spent_at_each_level():
    starts = []
    for index, days in enumerate([300, 365, 400, 500, 730]):
        hired = date(2020, 1, 1)
        starts += career(f"p{index}", ("L1", hired), ("L2", date.fromordinal(hired.toordinal() + days)))
    report = measure_promotion_velocity(starts)
    (level_one,) = report.levels
    assert level_one.level == "L1"
    assert level_one.promotions == 5
    assert level_one.median_months == pytest.approx(400 / DAYS_PER_MONTH)
    assert report.suppressed == ("L2",)


def test_people_still_at_a_level_are_counted_not_averaged():
    starts = []
    for index in range(5):
        starts += career(f"p{index}", ("L1", date(2020, 1, 1)), ("L2", date(2021, 1, 1)))
    starts += career("q", ("L1", date(2015, 1, 1)))
    (level_one,) = measure_promotion_velocity(starts).levels
    assert level_one.still_at_level == 1
    assert level_one.median_months == pytest.approx(366 / DAYS_PER_MONTH)


def test_a_repeated_record_at_the_same_level_is_not_a_promotion():
    starts = career("p", ("L1", date(2020, 1, 1)), ("L1", date(2020, 6, 1)), ("L2", date(2021, 1, 1)))
    report = measure_promotion_velocity(starts, min_cohort=1)
    assert report.levels[0].median_months == pytest.approx(366 / DAYS_PER_MONTH)


def test_two_levels_on_one_day_are_refused():
    with pytest.raises(ValueError):
        measure_promotion_velocity(career("p", ("L1", date(2020, 1, 1)), ("L2", date(2020, 1, 1))))
