"""The demo organisation's review history: two closed cycles, traced outcomes, a draft packet in progress,
one humane support plan."""

from __future__ import annotations

import pytest

from brightline.reviews.models import CalibrationChange, DecisionMemo, DimensionAssessment, Phase, ReviewCycle
from brightline.support.models import SupportPlan
from tests.demo_helpers import demo_cycle_name, demo_transaction


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """One demo load for the module (the tests only read it), rolled back at the end."""
    from brightline.demo import load_demo

    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            loaded = load_demo(seed=7)
        yield loaded


@pytest.fixture
def demo(demo_loaded, db):
    return demo_loaded


def test_the_demo_has_two_closed_cycles_where_every_outcome_cites_evidence(demo):
    cycles = ReviewCycle.objects.filter(phase=Phase.CLOSED).order_by("opened_at")
    assert [(c.name, c.phase) for c in cycles] == [(demo_cycle_name("older"), Phase.CLOSED),
                                                   (demo_cycle_name("decided"), Phase.CLOSED)]
    assert not DimensionAssessment.objects.filter(review__cycle__in=cycles, citations=[]).exists()
    assert DecisionMemo.objects.count() == sum(c.reviews.count() for c in cycles)


def test_the_demo_has_a_draft_packet_whose_uncited_claims_are_flagged(demo):
    from brightline.insights.models import Signal

    draft = ReviewCycle.objects.get(name=demo_cycle_name("draft"))
    assert draft.phase == Phase.MANAGER_ASSESSMENT and not draft.reviews.filter(memo__isnull=False).exists()
    review = draft.reviews.get(person__user__username="erin")
    flagged = set(Signal.objects.filter(person=review.person, is_current=True, status="pending",
                                        key__startswith=f"missing_evidence:packet:{review.pk}:")
                  .values_list("key", flat=True))
    prefix = f"missing_evidence:packet:{review.pk}:"
    # The self review, Mo's leadership assessment and his summary cite nothing; the cited ones are not flagged.
    assert flagged == {f"{prefix}self_review:context", f"{prefix}assessment:leadership",
                       f"{prefix}narrative:manager_summary"}


def test_the_demo_records_a_calibration_change_with_its_reason_and_an_appeal(demo):
    change = CalibrationChange.objects.filter(source="calibration", assessment__review__person__user__username="erin")
    assert change.exists() and "incident debrief" in change.get().reason and change.get().citations
    decided = demo_cycle_name("decided")
    erin_memo = DecisionMemo.objects.get(review__person__user__username="erin", review__cycle__name=decided)
    assert erin_memo.sections["calibration_changes"] and erin_memo.accountable.user.username == "lee"
    assert ReviewCycle.objects.get(name=decided).reviews.get(person__user__username="pat").appeals.exists()


def test_the_demo_support_plan_is_active_with_check_ins_and_the_employees_voice(demo):
    plan = SupportPlan.objects.get()
    assert plan.status == "active" and plan.diagnosis == "temporary_overload"
    assert plan.check_ins.count() == 2 and plan.comments.get().author == plan.person
