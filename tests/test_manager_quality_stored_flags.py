"""Improvement after feedback keeps each review's reviewer-flag count instead of re-checking its texts on every read.

On the demo: the figures read from the stored counts equal those computed by checking every text (the way they
were computed before the counts were kept), for every manager and for the organisation; a stored count is what
is read while its texts and the narrative checks are unchanged, and is counted again when either changes.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from brightline.core.narrative import check_text
from brightline.core.narrative.version import checks_version
from tests.demo_helpers import demo_from, demo_transaction, reset_sequences

REVIEWER_FLAGS = {"vague", "personality", "no_evidence"}


@pytest.fixture(scope="module")
def demo_org(django_db_setup, django_db_blocker, demo_snapshot):
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reset_sequences()
            demo_from(demo_snapshot)
        yield


def checked_now() -> Counter[tuple[str, str]]:
    """Reviewer flags per (manager, cycle), every text checked now: the figures as computed before counts were kept."""
    from brightline.governance.manager_quality import calibrated_cycles
    from brightline.reviews.models import Review

    flags: Counter[tuple[str, str]] = Counter()
    for review in Review.objects.filter(cycle_id__in=[int(cycle.key) for cycle in calibrated_cycles()],
                                        manager__isnull=False, assessment_submitted_at__isnull=False
                                        ).prefetch_related("assessments"):
        texts = [(review.manager_summary, ()), (review.cross_functional_impact, ()), (review.scope_growth, ())]
        texts += [(a.rationale, tuple(str(c) for c in a.citations)) for a in review.assessments.all()]
        flags[(str(review.manager_id), str(review.cycle_id))] += sum(
            flag.flag_id in REVIEWER_FLAGS for text, cited in texts if text
            for flag in check_text(text, kind="manager_narrative", cited_ids=cited).flags)
    return flags


def rewrite_some_rationales() -> None:
    """The demo's managers write clean, cited rationales: give some reviews of each cycle the language and the
    uncited claims the reviewer flags are about, so the figures compared have flags to count."""
    from brightline.governance.manager_quality import calibrated_cycles
    from brightline.reviews.models import DimensionAssessment

    for cycle in calibrated_cycles():
        assessments = list(DimensionAssessment.objects.filter(review__cycle_id=int(cycle.key)).exclude(rationale="")
                           .order_by("review__manager_id", "pk"))
        for vague in assessments[::7]:
            DimensionAssessment.objects.filter(pk=vague.pk).update(rationale="A great team player, always positive.")
        for uncited in assessments[3::5]:
            DimensionAssessment.objects.filter(pk=uncited.pk).update(citations=[])


def test_the_figures_from_stored_counts_equal_those_from_checking_every_text(demo_org, db):
    from brightline.governance.manager_quality import (
        feedback_records,
        improvement_across_managers,
        improvement_after_feedback,
    )
    from brightline.governance.models import ReviewFlagCount
    from brightline.people.models import Person

    assert not ReviewFlagCount.objects.exists()
    rewrite_some_rationales()
    managers = list(Person.objects.filter(pk__in={int(r.manager) for r in feedback_records()}).order_by("pk"))
    assert len(managers) >= 2
    # Before: nothing stored, every text checked (as on every read before the counts were kept).
    before = {}
    for manager in managers:
        ReviewFlagCount.objects.all().delete()
        before[manager.pk] = improvement_after_feedback(manager, min_cohort=2)
    ReviewFlagCount.objects.all().delete()
    organisation_before = improvement_across_managers(min_cohort=1)
    stored = ReviewFlagCount.objects.count()
    # After: every count read from the table.
    records = feedback_records()
    assert stored == ReviewFlagCount.objects.count() == sum(r.reviews for r in records) > 0
    assert {manager.pk: improvement_after_feedback(manager, min_cohort=2) for manager in managers} == before
    assert improvement_across_managers(min_cohort=1) == organisation_before
    assert any(row.comparison.status == "compared" for rows in before.values() for row in rows.rows)
    # And the counts are the narrative checks' own, text by text.
    expected = checked_now()
    assert {(r.manager, r.cycle): r.flags for r in records} == dict(expected)
    assert len([count for count in expected.values() if count]) >= 3  # the comparison is not of zeros alone


def test_a_stored_count_is_read_until_its_texts_or_the_checks_change(demo_org, db):
    from brightline.governance.manager_quality import feedback_records
    from brightline.governance.models import ReviewFlagCount
    from brightline.reviews.models import DimensionAssessment

    records = {(r.manager, r.cycle): r for r in feedback_records()}
    row = ReviewFlagCount.objects.select_related("review").order_by("review_id").first()
    key = (str(row.review.manager_id), str(row.review.cycle_id))
    true_count = records[key].flags
    # Read, not re-checked: a count changed in the table is what the figures show.
    ReviewFlagCount.objects.filter(pk=row.pk).update(flags=row.flags + 7)
    assert {(r.manager, r.cycle): r.flags for r in feedback_records()}[key] == true_count + 7
    # Counted under other checks (another version's digest): counted again, and stored again.
    ReviewFlagCount.objects.filter(pk=row.pk).update(digest="0" * 64)
    assert {(r.manager, r.cycle): r.flags for r in feedback_records()}[key] == true_count
    assert ReviewFlagCount.objects.get(pk=row.pk).flags == row.flags
    # A rationale rewritten (even without saving the model): counted again.
    DimensionAssessment.objects.filter(review_id=row.review_id).update(
        rationale="A great team player with a good attitude.", citations=[])
    assert {(r.manager, r.cycle): r.flags for r in feedback_records()}[key] > true_count
    assert ReviewFlagCount.objects.get(pk=row.pk).flags > row.flags


def test_the_checks_version_covers_the_rules_the_model_and_the_embedding():
    from brightline.core.narrative import version

    assert re.fullmatch(r"narrative@[0-9a-f]{16}", checks_version())
    names = {path.relative_to(version._NARRATIVE.parent).as_posix() for path in version._inputs()}
    assert {"narrative/checks.py", "narrative/lexicon.py", "narrative/rules/vague.json",
            "narrative/models/specificity/model.json", "nlp/tokens.py",
            "nlp/models/minilm-static/model.safetensors"} <= names
    rules = version._NARRATIVE / "rules"
    assert {f"narrative/rules/{path.name}" for path in rules.glob("*.json")} <= names
