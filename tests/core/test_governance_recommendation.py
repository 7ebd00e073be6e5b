"""The brief's closing recommendation: drawn only from the figures it cites, first matching rule wins."""

from __future__ import annotations

import re

import pytest

from brightline.core.governance import BriefFigures, FlaggedComparison, recommend_next_quarter


def numbers_in(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def test_a_comparison_below_four_fifths_comes_first_and_names_the_worst_one():
    figures = BriefFigures(min_cohort=5, comparisons=12, calibration_n=40, calibration_changed=30,
                           flagged=(FlaggedComparison("Promotion readiness", "team", 0.74),
                                    FlaggedComparison("Exceeds on any dimension", "level", 0.61)))
    recommendation = recommend_next_quarter(figures)
    assert recommendation.rule == "outcome_gap"
    assert "'Exceeds on any dimension' is decided for each level" in recommendation.text
    assert "0.61" in recommendation.text
    assert [item.value for item in recommendation.evidence] == ["2 of 12", "0.61"]


@pytest.mark.parametrize(("figures", "rule"), [
    (BriefFigures(min_cohort=5, comparisons=10, calibration_n=20, calibration_changed=5), "calibration_churn"),
    (BriefFigures(min_cohort=5, comparisons=10, calibration_n=20, calibration_changed=4, promotion_n=40,
                  promotion_ready=10, lowest_level="IC3", lowest_level_n=10, lowest_level_ready=1),
     "promotion_bottleneck"),
    (BriefFigures(min_cohort=5, comparisons=10, promotion_n=40, promotion_ready=10, lowest_level="IC3",
                  lowest_level_n=10, lowest_level_ready=2, leavers=6, regretted=3), "regretted_attrition"),
    (BriefFigures(min_cohort=5, teams_shown=2, teams_withheld=5), "small_teams"),
    (BriefFigures(min_cohort=5, teams_shown=4, teams_withheld=1, comparisons=10, calibration_n=4,
                  calibration_changed=4, leavers=4, regretted=4), "keep"),
])
def test_each_rule_holds_only_on_its_evidence_and_every_number_it_states_is_cited(figures, rule):
    recommendation = recommend_next_quarter(figures)
    assert recommendation.rule == rule
    assert recommendation.evidence and all(item.n > 0 for item in recommendation.evidence)
    cited = set().union(*(numbers_in(f"{item.value} {item.label}") for item in recommendation.evidence))
    percents = set(re.findall(r"(\d+)%", recommendation.text))
    stated = numbers_in(recommendation.text) - percents
    assert stated <= cited, stated - cited
    counted = [item.value.split(" of ") for item in recommendation.evidence if re.fullmatch(r"\d+ of \d+", item.value)]
    for percent in percents:  # a percentage is one of the cited "x of n" figures, never of a small cell
        assert any(f"{round(int(a) / int(b) * 100)}" == percent for a, b in counted)


def test_a_group_below_the_minimum_cohort_never_drives_a_recommendation():
    figures = BriefFigures(min_cohort=8, comparisons=3, calibration_n=7, calibration_changed=7, promotion_n=40,
                           promotion_ready=20, lowest_level="IC4", lowest_level_n=7, lowest_level_ready=0,
                           leavers=7, regretted=7, teams_shown=3, teams_withheld=1)
    assert recommend_next_quarter(figures).rule == "keep"
