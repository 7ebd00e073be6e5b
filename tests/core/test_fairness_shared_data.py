"""Audits of the shared public data, checked against Fairlearn and SciPy."""

import csv

import pytest
from tests.research_data import RESEARCH_DATA as SHARED_DATA

HR_FILE = SHARED_DATA / "hr_huebner_v14" / "HRDataset_v14.csv"
GO_FILE = SHARED_DATA / "gender_code_review" / "go-dataset1.csv"
WHAMCLOUD_FILE = SHARED_DATA / "gender_code_review" / "whamcloud-dataset1.csv"

pytestmark = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"shared data folder {SHARED_DATA} is absent (it lives beside the repository, not in it)",
)

pd = pytest.importorskip("pandas")
fairlearn_metrics = pytest.importorskip("fairlearn.metrics")
stats = pytest.importorskip("scipy.stats")

from brightline.core.fairness import audit_outcomes_csv  # noqa: E402

FAVOURABLE_PERFORMANCE = {"Exceeds", "Fully Meets"}


def read_frame(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return pd.DataFrame(list(csv.DictReader(handle)), dtype=str)


def fairlearn_frame(frame, *, outcome, favourable, groups):
    selected = frame[outcome].isin(favourable).astype(int)
    return fairlearn_metrics.MetricFrame(
        metrics=fairlearn_metrics.selection_rate,
        y_true=selected,
        y_pred=selected,
        sensitive_features=frame[groups],
    )


def as_labels(by_group):
    return {(" | ".join(key) if isinstance(key, tuple) else key): value for key, value in by_group.items()}


@pytest.mark.parametrize("groups", [["Sex"], ["RaceDesc"], ["Sex", "RaceDesc"]])
def test_hr_rates_and_ratios_match_fairlearn_without_suppression(groups):
    audit = audit_outcomes_csv(
        HR_FILE,
        outcome_column="PerformanceScore",
        favourable=FAVOURABLE_PERFORMANCE,
        group_columns=groups,
        min_cohort=1,
    )
    metric_frame = fairlearn_frame(
        read_frame(HR_FILE), outcome="PerformanceScore", favourable=FAVOURABLE_PERFORMANCE, groups=groups
    )
    expected = as_labels(metric_frame.by_group.dropna().to_dict())
    assert {group.group: group.rate for group in audit.groups} == pytest.approx(expected)
    assert audit.impact_ratio == pytest.approx(metric_frame.ratio(method="between_groups"))
    assert audit.rate_difference == pytest.approx(metric_frame.difference(method="between_groups"))


def test_hr_keeps_the_raw_sex_value_with_its_trailing_space():
    audit = audit_outcomes_csv(
        HR_FILE, outcome_column="PerformanceScore", favourable=FAVOURABLE_PERFORMANCE, group_columns="Sex"
    )
    assert {group.group: group.n for group in audit.groups} == {"F": 176, "M ": 135}
    table = [[group.favourable, group.n - group.favourable] for group in audit.groups]
    assert audit.test == "fisher_exact"
    assert audit.p_value == pytest.approx(stats.fisher_exact(table).pvalue)


def test_hr_race_audit_suppresses_small_groups_and_matches_scipy_on_the_rest():
    audit = audit_outcomes_csv(
        HR_FILE, outcome_column="PerformanceScore", favourable=FAVOURABLE_PERFORMANCE, group_columns="RaceDesc"
    )
    assert set(audit.suppressed) >= {"Hispanic", "American Indian or Alaska Native"}
    assert len(audit.suppressed) >= 2
    frame = read_frame(HR_FILE)
    published = frame[frame["RaceDesc"].isin([group.group for group in audit.groups])]
    metric_frame = fairlearn_frame(
        published, outcome="PerformanceScore", favourable=FAVOURABLE_PERFORMANCE, groups=["RaceDesc"]
    )
    assert audit.impact_ratio == pytest.approx(metric_frame.ratio(method="between_groups"))
    table = [[group.favourable, group.n - group.favourable] for group in audit.groups]
    assert audit.test == "chi_square"
    assert audit.p_value == pytest.approx(stats.chi2_contingency(table).pvalue)
    assert audit.small_sample is True
    assert audit.significant is None


def test_hr_intersection_publishes_no_cell_that_the_margins_give_away():
    options = {"outcome_column": "PerformanceScore", "favourable": FAVOURABLE_PERFORMANCE}
    by_sex = audit_outcomes_csv(HR_FILE, group_columns="Sex", **options)
    by_race = audit_outcomes_csv(HR_FILE, group_columns="RaceDesc", **options)
    both = audit_outcomes_csv(HR_FILE, group_columns=["Sex", "RaceDesc"], **options)
    assert all(group.n >= 5 for group in both.groups)
    # Subtraction along each published sex margin leaves at least two withheld cells.
    for sex in by_sex.groups:
        published = sum(group.n for group in both.groups if group.group.startswith(f"{sex.group} | "))
        withheld = [label for label in both.suppressed if label.startswith(f"{sex.group} | ")]
        assert sex.n - published == 0 or len(withheld) >= 2
    for race in by_race.groups:
        published = sum(group.n for group in both.groups if group.group.endswith(f" | {race.group}"))
        withheld = [label for label in both.suppressed if label.endswith(f" | {race.group}")]
        assert race.n - published == 0 or len(withheld) >= 2


@pytest.mark.parametrize(
    ("path", "women_percent", "men_percent"),
    [(GO_FILE, 85.9, 88.4), (WHAMCLOUD_FILE, 75.9, 75.1)],
)
def test_code_review_acceptance_by_gender_matches_the_published_figures(path, women_percent, men_percent):
    audit = audit_outcomes_csv(path, outcome_column="isAccepted", favourable="1", group_columns="Gender")
    rates = {group.group: group.rate for group in audit.groups}
    # Gender: 0 = man, 1 = woman (the dataset's coding).
    assert round(rates["1"] * 100, 1) == women_percent
    assert round(rates["0"] * 100, 1) == men_percent
    metric_frame = fairlearn_frame(read_frame(path), outcome="isAccepted", favourable={"1"}, groups=["Gender"])
    assert rates == pytest.approx(metric_frame.by_group.to_dict())
    assert audit.impact_ratio == pytest.approx(metric_frame.ratio(method="between_groups"))
    table = [[group.favourable, group.n - group.favourable] for group in audit.groups]
    assert audit.p_value == pytest.approx(stats.fisher_exact(table).pvalue)
    assert audit.four_fifths_flag is False
    assert audit.small_sample is False


def test_go_gap_is_significant_and_whamclouds_is_not():
    go = audit_outcomes_csv(GO_FILE, outcome_column="isAccepted", favourable="1", group_columns="Gender")
    whamcloud = audit_outcomes_csv(WHAMCLOUD_FILE, outcome_column="isAccepted", favourable="1", group_columns="Gender")
    assert go.significant is True
    assert go.reference_group == "0"
    assert whamcloud.significant is False
    assert whamcloud.reference_group == "1"
