"""Bias checks (C11): signal rates compared across groups with small-sample honesty."""

from datetime import date

from brightline.core.insights import SubjectProfile, compare_signal_rates, tenure_band, volume_quartiles


def profiles(count: int, group: str, start: int = 0) -> list[SubjectProfile]:
    return [SubjectProfile(str(start + i), {"workload_class": group}) for i in range(count)]


def test_a_signal_that_fires_far_more_often_for_platform_people_is_flagged():
    people = profiles(30, "product") + profiles(30, "platform", start=100)
    fired = [(str(100 + i), "theme") for i in range(24)] + [(str(i), "theme") for i in range(3)]
    report = compare_signal_rates(people, fired, kinds=["theme"], groupings=["workload_class"])
    [finding] = report.findings
    assert finding.flagged and "product lowest" in finding.summary
    named = compare_signal_rates(people, fired, kinds=["theme"], groupings=["workload_class"],
                                 group_names={"product": "Product", "platform": "Platform"})
    assert "Product lowest, Platform highest" in named.findings[0].summary


def test_a_small_sample_is_never_flagged():
    people = profiles(6, "product") + profiles(6, "platform", start=100)
    fired = [(str(100 + i), "theme") for i in range(6)]
    [finding] = compare_signal_rates(people, fired, kinds=["theme"], groupings=["workload_class"]).findings
    assert not finding.flagged and "small sample" in finding.summary


def test_volume_quartiles_and_tenure_bands():
    quartiles = volume_quartiles({"a": 0, "b": 3, "c": 10, "d": 40})
    assert quartiles == {"a": "Q1", "b": "Q2", "c": "Q3", "d": "Q4"}
    assert tenure_band(date(2026, 1, 1), date(2026, 6, 1)) == "< 1 year"
    assert tenure_band(None, date(2026, 6, 1)) == "unknown"
