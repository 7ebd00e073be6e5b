"""DORA 2023 performance levels, boundaries included."""

from __future__ import annotations

import pytest

from brightline.core.delivery import (
    DORA_LEVELS_SOURCE,
    DORA_TEAMS_NOT_INDIVIDUALS,
    change_fail_rate_level,
    deployment_frequency_level,
    lead_time_level,
    recovery_time_level,
)

WEEKS_PER_MONTH = 365.25 / 12 / 7


@pytest.mark.parametrize(
    ("per_week", "level"),
    [
        (14, "elite"),  # twice a day
        (7.01, "elite"),
        (7, "high"),  # exactly daily: between daily and weekly
        (1, "high"),  # exactly weekly
        (0.99, "medium"),
        (1 / WEEKS_PER_MONTH, "medium"),  # exactly monthly
        (1 / WEEKS_PER_MONTH - 1e-9, "low"),
        (0, "low"),
        (None, None),
    ],
)
def test_deployment_frequency_levels(per_week: float | None, level: str | None) -> None:
    assert deployment_frequency_level(per_week) == level


@pytest.mark.parametrize(
    ("hours", "level"),
    [
        (0.5, "elite"),
        (23.99, "elite"),
        (24, "high"),
        (168, "high"),
        (168.01, "medium"),
        (730.5, "medium"),
        (730.51, "low"),
        (None, None),
    ],
)
def test_lead_time_levels(hours: float | None, level: str | None) -> None:
    assert lead_time_level(hours) == level


@pytest.mark.parametrize(
    ("rate", "level"),
    [(0, "elite"), (0.05, "elite"), (0.0501, "high"), (0.10, "high"), (0.15, "medium"), (0.151, "low"),
     (0.64, "low"), (1, "low"), (None, None)],
)
def test_change_fail_rate_levels(rate: float | None, level: str | None) -> None:
    assert change_fail_rate_level(rate) == level


@pytest.mark.parametrize(
    ("hours", "level"),
    [(0.99, "elite"), (1, "high"), (23.99, "high"), (24, "medium"), (168, "medium"), (168.5, "low"),
     (None, None)],
)
def test_recovery_time_levels(hours: float | None, level: str | None) -> None:
    assert recovery_time_level(hours) == level


def test_levels_cite_their_source_and_the_teams_not_individuals_guidance() -> None:
    assert "2023" in DORA_LEVELS_SOURCE and "dora.dev" in DORA_LEVELS_SOURCE
    assert "not be used to compare or rank individuals" in DORA_TEAMS_NOT_INDIVIDUALS
