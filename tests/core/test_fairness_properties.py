"""Properties that hold for any decision table."""

from hypothesis import given, settings
from hypothesis import strategies as st

from brightline.core.fairness import audit_outcome_counts

group_counts = st.dictionaries(
    st.tuples(st.sampled_from(["F", "M ", "X", "not disclosed"]), st.sampled_from(["a", "b", "c"])),
    st.integers(min_value=1, max_value=60).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n))
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(group_counts, st.integers(min_value=1, max_value=8))
def test_the_impact_ratio_lies_between_zero_and_one(counts, min_cohort):
    result = audit_outcome_counts(counts, min_cohort=min_cohort)
    assert result.impact_ratio is None or 0.0 <= result.impact_ratio <= 1.0
    assert result.rate_difference is None or 0.0 <= result.rate_difference <= 1.0


@settings(max_examples=200, deadline=None)
@given(group_counts, st.integers(min_value=1, max_value=8))
def test_every_rate_lies_inside_its_confidence_interval(counts, min_cohort):
    result = audit_outcome_counts(counts, min_cohort=min_cohort)
    for group in result.groups:
        assert 0.0 <= group.ci_low <= group.rate <= group.ci_high <= 1.0


@settings(max_examples=200, deadline=None)
@given(group_counts, st.integers(min_value=1, max_value=8))
def test_suppressed_groups_never_appear_among_published_groups(counts, min_cohort):
    result = audit_outcome_counts(counts, min_cohort=min_cohort)
    published = {group.group for group in result.groups}
    assert not published & set(result.suppressed)
    assert len(published) + len(result.suppressed) == len(counts)
    assert all(group.n >= min_cohort for group in result.groups)
    payload = result.to_json()
    assert not {group["group"] for group in payload["groups"]} & set(payload["suppressed"])
