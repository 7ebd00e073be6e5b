"""Calibration movement per manager (G5) and calibration health (G6)."""

import pytest
from scipy.stats import binomtest

from brightline.core.fairness import CalibrationRecord, measure_calibration_health, measure_calibration_movement


def records(manager, *, up=0, down=0, unchanged=0):
    return (
        [CalibrationRecord(manager, 2, 3)] * up
        + [CalibrationRecord(manager, 3, 2)] * down
        + [CalibrationRecord(manager, 2, 2)] * unchanged
    )


def test_it_counts_moves_and_flags_a_lenient_manager():
    report = measure_calibration_movement(records("ana", down=9, up=1, unchanged=5))
    (ana,) = report.managers
    assert (ana.n, ana.up, ana.down, ana.unchanged, ana.net_direction) == (15, 1, 9, 5, "down")
    assert ana.p_value == pytest.approx(binomtest(9, 10, 0.5).pvalue)
    assert ana.p_value == pytest.approx(22 / 1024)
    assert ana.lean == "lenient"


def test_it_flags_a_severe_manager_whose_proposals_are_raised():
    (bo,) = measure_calibration_movement(records("bo", up=10, unchanged=2)).managers
    assert bo.lean == "severe"
    assert bo.net_direction == "up"


def test_a_few_moves_one_way_are_not_enough_for_a_lean():
    (cy,) = measure_calibration_movement(records("cy", down=5, unchanged=5)).managers
    assert cy.p_value == pytest.approx(0.0625)
    assert cy.lean is None


def test_a_manager_with_no_moves_has_no_test():
    (di,) = measure_calibration_movement(records("di", unchanged=6)).managers
    assert (di.p_value, di.lean, di.net_direction) == (None, None, "none")


def test_managers_with_few_proposals_are_withheld():
    report = measure_calibration_movement(records("ana", down=3) + records("eve", up=6))
    assert report.suppressed == ("ana",)
    assert [manager.manager for manager in report.managers] == ["eve"]


def test_calibration_health_reports_change_rate_and_shift_variance():
    health = measure_calibration_health(
        [
            CalibrationRecord("a", 2, 3),
            CalibrationRecord("a", 3, 1),
            CalibrationRecord("b", 2, 2),
            CalibrationRecord("b", 1, 1),
        ]
    )
    assert (health.n, health.changed, health.change_rate) == (4, 2, 0.5)
    assert (health.raised, health.lowered, health.unchanged) == (1, 1, 2)
    # Shifts +1, -2, 0, 0: mean -0.25, sample variance (1.5625 + 3.0625 + 0.0625 × 2) / 3.
    assert health.shift_variance == pytest.approx(4.75 / 3)
    assert not hasattr(health, "mean_shift")
    assert health.ci_low < 0.5 < health.ci_high


def test_calibration_health_of_nothing_is_empty():
    assert measure_calibration_health([]).to_json() == {
        "n": 0,
        "changed": 0,
        "change_rate": None,
        "ci_low": None,
        "ci_high": None,
        "shift_variance": None,
        "raised": 0,
        "lowered": 0,
        "unchanged": 0,
        "people": 0,
        "people_raised": 0,
        "people_lowered": 0,
        "people_changed": 0,
        "people_unchanged": 0,
    }


def test_calibration_health_counts_people_raised_and_lowered():
    """A person has a proposal per dimension: two raised proposals of one person are one person raised, and a
    person raised on one dimension and lowered on another counts in both directions, once as changed."""
    health = measure_calibration_health(
        [
            CalibrationRecord("m", 2, 3, person="ana"),
            CalibrationRecord("m", 2, 3, person="ana"),
            CalibrationRecord("m", 2, 1, person="bo"),
            CalibrationRecord("m", 2, 3, person="bo"),
            CalibrationRecord("m", 2, 2, person="cy"),
        ]
    )
    assert (health.raised, health.lowered, health.people) == (3, 1, 3)
    assert (health.people_raised, health.people_lowered, health.people_changed, health.people_unchanged) == (
        2, 1, 2, 1)
