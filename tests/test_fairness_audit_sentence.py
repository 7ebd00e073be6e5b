"""The plain sentence that opens every outcome audit (leadership view, outcome audits): the ratio, the guideline,
what chance could explain and what is withheld, in words a reader new to Brightline can follow."""

from __future__ import annotations

from brightline.core.fairness import audit_outcome_counts
from brightline.fairness.decisions import Measure
from brightline.fairness.templatetags.fairness_labels import audit_sentence

READY = Measure("promotion", "Ready for promotion", "favourable")
CHANGED = Measure("calibration_changed", "Outcome changed in calibration", "neutral")


def audit(counts: dict[str, tuple[int, int]], min_cohort: int = 5):
    return audit_outcome_counts({(group,): n_and_k for group, n_and_k in counts.items()}, min_cohort=min_cohort,
                                group_columns=["team"])


def test_a_gap_below_four_fifths_is_said_with_rates_counts_ratio_and_chance():
    text = audit_sentence(audit({"alpha": (50, 40), "beta": (50, 20)}), {"alpha": "Alpha", "beta": "Beta"}, READY,
                          "2026 H1 review")
    assert text == ("2026 H1 review, “Ready for promotion”: the lowest rate of the groups compared "
                    "(Beta: 40.0\u00a0%, 20 of 50) is 0.50 times the highest (Alpha: 80.0\u00a0%, 40 of 50). "
                    "That is below the four-fifths guideline (0.8 times): a prompt to look closer at how this "
                    "outcome is decided, not a verdict. A gap this large would rarely come from chance alone "
                    "(p < 0.01), though that does not say why.")


def test_exactly_four_fifths_is_within_the_guideline_and_chance_is_said_with_its_p_value():
    result = audit({"alpha": (50, 40), "beta": (50, 32)})
    text = audit_sentence(result, None, READY, "")
    assert text.startswith("“Ready for promotion”: the lowest rate of the groups compared "
                           "(beta: 64.0\u00a0%, 32 of 50) is 0.80 times the highest")
    assert "within the four-fifths guideline (at least 0.8 times)" in text
    assert f"With these group sizes a gap this large could be chance (p = {result.p_value:.2f})." in text


def test_a_ratio_just_below_the_guideline_never_reads_as_0_80():
    text = audit_sentence(audit({"alpha": (200, 200), "beta": (200, 159)}), None, READY, "")
    assert "0.795 times the highest" in text and "below the four-fifths guideline" in text


def test_small_groups_say_the_test_cannot_tell_a_gap_from_chance():
    result = audit({"alpha": (6, 0), "beta": (6, 3)})
    assert result.small_sample
    text = audit_sentence(result, None, READY, "")
    assert f"cannot tell a real gap from chance (p = {result.p_value:.2f})" in text
    assert "significant" not in text


def test_a_comparison_with_every_group_withheld_says_withheld():
    text = audit_sentence(audit({"alpha": (3, 1), "beta": (2, 1), "gamma": (4, 2)}), None, READY, "2026 H1 review")
    assert text == ("2026 H1 review, “Ready for promotion”: nothing to compare. Withheld: groups below the minimum of "
                    "5 people, or protecting a smaller one.")


def test_withheld_groups_are_counted_and_a_neutral_outcome_has_no_guideline():
    result = audit({"alpha": (10, 1), "beta": (10, 3), "gamma": (12, 2), "tiny": (2, 1)})
    assert "tiny" in result.suppressed and len(result.groups) >= 2
    text = audit_sentence(result, None, CHANGED, "")
    assert "four-fifths" not in text and "tiny" not in text
    assert text.endswith(f"Withheld: {len(result.suppressed)} groups below the minimum of 5 people (or protecting a "
                         "smaller one), not in this comparison.")
