"""Opening and advancing review cycles (E1): phases in order, preconditions, no quotas (E3), audited."""

from __future__ import annotations

import pytest
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.people.models import Dimension
from brightline.reviews import services
from brightline.reviews.models import DimensionAssessment, Phase, Review
from brightline.reviews.services import ReviewError
from tests.reviews_helpers import SCHEDULE, advance_to, open_payments_cycle


def test_a_people_partner_opens_a_cycle_for_a_team_with_one_review_per_person(personas):
    cycle = open_payments_cycle(personas)
    assert cycle.phase == Phase.EVIDENCE
    reviewed = set(Review.objects.filter(cycle=cycle).values_list("person__name", flat=True))
    assert reviewed == {"Erin Employee", "Pat Peer", "Mo Manager"}
    erin = Review.objects.get(cycle=cycle, person=personas.erin)
    assert erin.manager == personas.mo and erin.level.code == "IC2" and erin.workload_class == "product"
    assert DimensionAssessment.objects.filter(review=erin).count() == len(Dimension.values)
    entry = AuditEntry.objects.get(action="reviews.cycle.opened")
    assert entry.actor_id == personas.pia.pk and '"people":3' in entry.data_json


def test_a_cycle_for_everyone_covers_every_active_person_with_a_manager(personas):
    cycle = services.open_cycle(actor=personas.pia, name="All", schedule=SCHEDULE)
    reviewed = set(cycle.reviews.values_list("person__name", flat=True))
    # Lee, Pia and Olga have no manager in Brightline, so nobody could assess them.
    assert reviewed == {"Erin Employee", "Pat Peer", "Mo Manager", "Oscar Outsider"}


@pytest.mark.parametrize("persona", ["erin", "mo", "lee", "oscar"])
def test_only_people_partners_open_cycles(personas, persona):
    with pytest.raises(ReviewError, match="only people partners can open a review cycle"):
        services.open_cycle(actor=getattr(personas, persona), name="x", schedule=SCHEDULE)


@pytest.mark.parametrize("config", [
    {"distribution": {"exceeds": 0.2, "meets": 0.7, "needs_support": 0.1}},
    {"quota": 3},
    {"target_percentages": [20, 70, 10]},
    {"Forced-Ranking": True},
    {"curve": "bell"},
    {"calibration": {"bottom_percent": 10}},
    {"shares": {"exceeds": 15}},
    {"max_exceeds": 3},
    {"top": "20%"},
    {"needs_support_cap": 2},
    {"min_evidence_per_dimension": 2, "bottom": 1},
])
def test_it_refuses_a_quota_or_curve_in_the_settings(personas, config):
    with pytest.raises(ReviewError) as raised:
        open_payments_cycle(personas, settings=config)
    assert "calibrates standards, not outcomes" in str(raised.value)
    assert not AuditEntry.objects.filter(action="reviews.cycle.opened").exists()


@pytest.mark.parametrize("config,message", [
    ({"reminder_days": 3}, "reminder_days: not a cycle setting"),
    ({"self_review_required": "yes"}, "must be true or false"),
    ({"min_evidence_per_dimension": 0}, "a whole number from 1 to 5"),
    ({"min_evidence_per_dimension": 6}, "a whole number from 1 to 5"),
])
def test_a_setting_no_rule_reads_or_a_malformed_one_is_refused(personas, config, message):
    with pytest.raises(ReviewError, match=message):
        open_payments_cycle(personas, settings=config)
    assert not AuditEntry.objects.filter(action="reviews.cycle.opened").exists()


def test_the_typed_settings_are_kept_and_audited(personas):
    cycle = open_payments_cycle(personas, settings={"self_review_required": True, "min_evidence_per_dimension": 2})
    assert cycle.self_review_required and cycle.min_evidence_per_dimension == 2
    entry = AuditEntry.objects.get(action="reviews.cycle.opened")
    assert entry.data["settings"] == {"self_review_required": True, "min_evidence_per_dimension": 2}


@pytest.mark.parametrize("required", [False, True])
def test_a_required_self_review_holds_manager_assessment_until_submitted(personas, required):
    cycle = open_payments_cycle(personas, settings={"self_review_required": required})
    cycle = advance_to(cycle, Phase.SELF_REVIEW, personas.pia)
    if not required:
        assert services.advance_cycle(cycle, actor=personas.pia).phase == Phase.MANAGER_ASSESSMENT
        return
    with pytest.raises(ReviewError, match="requires a submitted self review before manager assessment"):
        services.advance_cycle(cycle, actor=personas.pia)
    Review.objects.filter(cycle=cycle).update(self_review_submitted_at=timezone.now())
    assert services.advance_cycle(cycle, actor=personas.pia).phase == Phase.MANAGER_ASSESSMENT


def test_the_schedule_needs_every_phase_in_order(personas):
    missing = {k: v for k, v in SCHEDULE.items() if k != "calibration"}
    with pytest.raises(ReviewError, match=r"missing: Calibration$"):
        open_payments_cycle(personas, schedule=missing)
    backwards = dict(SCHEDULE, release="2026-09-01")
    with pytest.raises(ReviewError, match="^Release would end on 2026-09-01, before Decision memo ends"):
        open_payments_cycle(personas, schedule=backwards)


def test_it_advances_one_phase_at_a_time_and_audits_each_move(personas):
    cycle = open_payments_cycle(personas)
    cycle = services.advance_cycle(cycle, actor=personas.pia, to_phase=Phase.SELF_REVIEW)
    assert cycle.phase == Phase.SELF_REVIEW
    entry = AuditEntry.objects.filter(action="reviews.cycle.advanced").last()
    assert '"from":"evidence"' in entry.data_json and '"to":"self_review"' in entry.data_json


def test_it_refuses_to_skip_a_phase(personas):
    cycle = open_payments_cycle(personas)
    with pytest.raises(ReviewError) as raised:
        services.advance_cycle(cycle, actor=personas.pia, to_phase=Phase.MANAGER_ASSESSMENT)
    # The phases are named as people read them, never by their stored keys.
    assert str(raised.value) == services.ERR_PHASE_SKIP.format(current="Evidence", next="Self review and annotation",
                                                               requested="Manager assessment")
    cycle.refresh_from_db()
    assert cycle.phase == Phase.EVIDENCE


def test_it_refuses_to_go_back_a_phase(personas):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    with pytest.raises(ReviewError, match="one phase at a time"):
        services.advance_cycle(cycle, actor=personas.pia, to_phase=Phase.EVIDENCE)


def test_calibration_waits_for_every_submitted_assessment(personas):
    cycle = advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    with pytest.raises(ReviewError, match="calibration starts when every manager assessment is submitted"):
        services.advance_cycle(cycle, actor=personas.pia)


def test_only_people_partners_advance_cycles(personas):
    cycle = open_payments_cycle(personas)
    with pytest.raises(ReviewError, match="only people partners"):
        services.advance_cycle(cycle, actor=personas.mo)


def test_a_person_is_reviewed_in_one_open_cycle_at_a_time(personas):
    """A second cycle for people already in an open one is refused, naming them and the cycle, and writes nothing;
    once the first is closed, the next opens."""
    from brightline.reviews.models import Phase, ReviewCycle
    from tests.reviews_helpers import open_payments_cycle

    first = open_payments_cycle(personas)
    with pytest.raises(services.ReviewError, match=r"Erin Employee.* already have a review in the open cycle"):
        open_payments_cycle(personas, name="2027 Q1 check")
    assert ReviewCycle.objects.count() == 1
    ReviewCycle.objects.filter(pk=first.pk).update(phase=Phase.CLOSED)
    assert open_payments_cycle(personas, name="2027 Q1 check").reviews.filter(person=personas.erin).exists()
