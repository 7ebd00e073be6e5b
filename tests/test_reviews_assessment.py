"""Self review, manager assessment (D4, E10), explicit packet inclusion (principle 7) and the C10 guard."""

from __future__ import annotations

import pytest
from django.apps import apps

from brightline.audit.models import AuditEntry
from brightline.people.models import Dimension
from brightline.reviews import services
from brightline.reviews.models import PacketItem, Phase
from brightline.reviews.packet_items import CitationError, Reference, resolve
from brightline.reviews.services import ReviewError
from tests.reviews_helpers import advance_to, assess, make_evidence, open_payments_cycle, review_of, train


@pytest.fixture
def cycle_in_assessment(personas):
    train(personas.mo)
    return advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)


def _accomplishments(person, count):
    model = apps.get_model("feedback", "Accomplishment")
    return [model.objects.create(person=person, period="2026-H2", title=f"Accomplishment {n}", situation="s",
                                 action="a", result="r", impact="i", impact_level="execution")
            for n in range(count)]


def test_the_employee_picks_three_to_five_accomplishments_and_submits(personas):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.erin)
    chosen = _accomplishments(personas.erin, 4)
    services.select_accomplishments(review, actor=personas.erin, accomplishment_ids=[a.pk for a in chosen])
    services.submit_self_review(review, actor=personas.erin, context="I was on call for six weeks of the half.")
    review.refresh_from_db()
    assert review.self_review_submitted_at is not None
    assert review.packet_items.filter(kind="accomplishment", selected_accomplishment=True).count() == 4
    assert AuditEntry.objects.filter(action="reviews.self_review.submitted", actor_id=personas.erin.pk).exists()
    assert AuditEntry.objects.filter(action="reviews.packet.item_included").count() == 4


def test_two_or_six_accomplishments_are_refused(personas):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.erin)
    chosen = _accomplishments(personas.erin, 6)
    for ids in ([a.pk for a in chosen[:2]], [a.pk for a in chosen]):
        with pytest.raises(ReviewError, match="choose between 3 and 5 accomplishments"):
            services.select_accomplishments(review, actor=personas.erin, accomplishment_ids=ids)


def test_nobody_picks_accomplishments_for_the_employee(personas):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    chosen = _accomplishments(personas.erin, 3)
    with pytest.raises(ReviewError, match=services.ERR_NOT_SELF):
        services.select_accomplishments(review_of(cycle, personas.erin), actor=personas.mo,
                                        accomplishment_ids=[a.pk for a in chosen])


def test_someone_elses_accomplishment_cannot_enter_a_packet(personas):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    pats = _accomplishments(personas.pat, 3)
    with pytest.raises(ReviewError, match="is not about Erin Employee"):
        services.select_accomplishments(review_of(cycle, personas.erin), actor=personas.erin,
                                        accomplishment_ids=[a.pk for a in pats])


def test_the_employee_annotates_their_own_evidence_and_the_inclusion_is_logged(personas):
    cycle = open_payments_cycle(personas)
    item = make_evidence(personas.erin, 1)[0]
    packet_item = services.annotate_evidence(review_of(cycle, personas.erin), actor=personas.erin,
                                             reference=f"evidence_item:{item.pk}", note="This fixed the Q3 outage.")
    assert packet_item.note == "This fixed the Q3 outage." and packet_item.included_by == personas.erin
    assert AuditEntry.objects.filter(action="reviews.packet.item_included").count() == 1


def test_a_manager_assessment_cites_evidence_which_enters_the_packet_explicitly(personas, cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    items = make_evidence(personas.erin, 2)
    assessment = services.save_assessment(
        review, actor=personas.mo, dimension="delivery_results", outcome="exceeds",
        rationale=f"Shipped the retry queue {items[0].citation}, cutting failed payouts by 40% for 3 teams.",
        citations=[f"evidence_item:{items[1].pk}"])
    assert assessment.outcome == "exceeds" and assessment.proposed_outcome == "exceeds"
    assert assessment.citations == [f"evidence_item:{items[0].pk}", f"evidence_item:{items[1].pk}"]
    assert set(PacketItem.objects.filter(review=review).values_list("via", flat=True)) == {"assessment"}
    entry = AuditEntry.objects.get(action="reviews.assessment.saved")
    assert entry.subject_person_id == personas.erin.pk and '"to":"exceeds"' in entry.data_json


def test_evidence_about_someone_else_cannot_be_cited(personas, cycle_in_assessment):
    pats = make_evidence(personas.pat, 1)[0]
    with pytest.raises(ReviewError, match="is not about Erin Employee"):
        services.save_assessment(review_of(cycle_in_assessment, personas.erin), actor=personas.mo,
                                 dimension="leadership", outcome="meets", rationale=f"Mentored {pats.citation}.")


def test_only_the_recorded_manager_assesses(personas, cycle_in_assessment):
    for outsider in (personas.pat, personas.oscar, personas.pia, personas.erin):
        with pytest.raises(ReviewError, match="only the manager recorded on this review"):
            services.save_assessment(review_of(cycle_in_assessment, personas.erin), actor=outsider,
                                     dimension="leadership", outcome="meets", rationale="x")


def test_assessments_cannot_be_written_before_evidence_and_self_review_are_done(personas):
    cycle = open_payments_cycle(personas)
    with pytest.raises(ReviewError, match="only during the Manager assessment phase"):
        services.save_assessment(review_of(cycle, personas.erin), actor=personas.mo, dimension="leadership",
                                 outcome="meets", rationale="x")


def test_submission_is_blocked_until_the_manager_completed_training(personas):
    train(personas.lee)  # only Lee; Mo has not passed the module
    cycle = advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    review = review_of(cycle, personas.erin)
    assess(review, personas.mo, submit=False)
    with pytest.raises(ReviewError) as raised:
        services.submit_assessment(review, actor=personas.mo)
    assert str(raised.value) == services.ERR_TRAINING_INCOMPLETE.format(manager="Mo Manager")
    train(personas.mo)
    services.submit_assessment(review, actor=personas.mo)
    assert AuditEntry.objects.filter(action="reviews.assessment.submitted").count() == 1


def test_every_dimension_needs_cited_evidence_before_submission(personas, cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    services.save_assessment(review, actor=personas.mo, dimension="leadership", outcome="meets",
                             rationale="Steady contributor.")
    with pytest.raises(ReviewError, match=r"every dimension needs an outcome with at least 1 cited"):
        services.submit_assessment(review, actor=personas.mo)


@pytest.mark.parametrize("minimum,accepted", [(2, True), (3, False)])
def test_the_cycle_minimum_of_cited_evidence_per_dimension_decides_submission(personas, minimum, accepted):
    train(personas.mo)
    cycle = open_payments_cycle(personas, settings={"min_evidence_per_dimension": minimum})
    review = review_of(advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia), personas.erin)
    assess(review, personas.mo, submit=False)  # two items cited on every dimension
    if accepted:
        assert services.submit_assessment(review, actor=personas.mo).assessment_submitted_at is not None
        return
    with pytest.raises(ReviewError, match="at least 3 cited pieces of evidence \\(this cycle's minimum\\)"):
        services.submit_assessment(review, actor=personas.mo)
    review.refresh_from_db()
    assert review.assessment_submitted_at is None


def test_promotion_ready_needs_enough_evidence(personas, cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    one = make_evidence(personas.erin, 1)[0]
    with pytest.raises(ReviewError, match="'ready for promotion' means next-level behaviours shown consistently"):
        services.save_manager_narrative(review, actor=personas.mo, narrative=services.ManagerNarrative(
            promotion_readiness="ready", promotion_rationale=f"Led the migration {one.citation}."))


# ------------------------------------------------------------------- C10: no AI-only adverse outcome


def test_needs_support_with_one_human_evidence_item_is_refused(personas, cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    items = make_evidence(personas.erin, 2)
    assess(review, personas.mo, evidence=items, submit=False)
    services.save_assessment(review, actor=personas.mo, dimension="delivery_results", outcome="needs_support",
                             rationale=f"Two releases slipped {items[0].citation}.")
    with pytest.raises(ReviewError) as raised:
        services.submit_assessment(review, actor=personas.mo)
    assert services.ERR_ADVERSE_EVIDENCE.format(dimension="Delivery results", count=1) in str(raised.value)


def test_ai_signals_never_count_towards_an_adverse_outcome():
    refs = [Reference("signal", "1"), Reference("signal", "2"), Reference("evidence_item", "3")]
    assert services.adverse_basis_count(refs) == 1


def test_needs_support_needs_a_second_approver(personas, cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    items = make_evidence(personas.erin, 2)
    assess(review, personas.mo, evidence=items, submit=False)
    services.save_assessment(review, actor=personas.mo, dimension="delivery_results", outcome="needs_support",
                             rationale=f"Two releases slipped {items[0].citation} {items[1].citation}.")
    with pytest.raises(ReviewError, match="needs a second approver"):
        services.submit_assessment(review, actor=personas.mo)
    with pytest.raises(ReviewError, match="cannot be the second approver"):
        services.approve_adverse_assessment(review, approver=personas.mo, reason="I agree with myself.")
    with pytest.raises(ReviewError, match="cannot be the second approver"):
        services.approve_adverse_assessment(review, approver=personas.pat, reason="Peer says so.")
    services.approve_adverse_assessment(review, approver=personas.lee, reason="Read both items; the slips are real.")
    services.submit_assessment(review, actor=personas.mo)
    review.refresh_from_db()
    assert review.adverse_approved_by == personas.lee
    assert AuditEntry.objects.filter(action="reviews.assessment.adverse_approved", actor_id=personas.lee.pk).exists()


def test_an_approval_does_not_cover_a_later_adverse_dimension(personas, cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    items = make_evidence(personas.erin, 2)
    assess(review, personas.mo, evidence=items, submit=False)
    cited = f"{items[0].citation} {items[1].citation}"
    services.save_assessment(review, actor=personas.mo, dimension="delivery_results", outcome="needs_support",
                             rationale=f"Two releases slipped {cited}.")
    services.approve_adverse_assessment(review, approver=personas.pia, reason="Checked.")
    services.save_assessment(review, actor=personas.mo, dimension="leadership", outcome="needs_support",
                             rationale=f"Did not follow up on the incident {cited}.")
    with pytest.raises(ReviewError, match="needs a second approver"):
        services.submit_assessment(review, actor=personas.mo)


# ---------------------------------------------------------------------------------------- resolver


def test_a_person_cannot_cite_evidence_they_cannot_see(personas):
    item = make_evidence(personas.erin, 1)[0]
    with pytest.raises(CitationError, match="you cannot see"):
        resolve(Reference("evidence_item", str(item.pk)), person=personas.erin, viewer=personas.oscar)


def test_team_level_evidence_counts_for_the_team(personas):
    from django.utils import timezone

    from brightline.evidence.models import EvidenceItem

    release = EvidenceItem.objects.create(kind="release", title="v2", team=personas.erin.team,
                                          occurred_at=timezone.now(), source="manual", source_ref="rel-1")
    assert resolve(Reference("evidence_item", str(release.pk)), person=personas.erin, viewer=personas.mo) == release
    with pytest.raises(CitationError, match="is not about Oscar"):
        resolve(Reference("evidence_item", str(release.pk)), person=personas.oscar, viewer=personas.pia)


@pytest.mark.parametrize("dimension", Dimension.values)
def test_each_dimension_is_assessed_against_the_level(personas, cycle_in_assessment, dimension):
    review = review_of(cycle_in_assessment, personas.erin)
    assert review.level.competencies.filter(dimension=dimension).exists()


def _anonymous_answers(personas, count):
    from brightline.feedback.models import FeedbackInvitation, FeedbackRequest, FeedbackResponse

    request = FeedbackRequest.objects.create(subject=personas.erin, requested_by=personas.erin, anonymous=True)
    writers = [personas.pat, personas.mo, personas.pia, personas.oscar][:count]
    return [FeedbackResponse.objects.create(
        request=request, relationship="peer", sequence=number, what_they_did="led the ledger migration",
        impact="no downtime", one_thing_to_grow="delegate",
        invitation=FeedbackInvitation.objects.create(request=request, respondent=writer, relationship="peer"))
        for number, writer in enumerate(writers, start=1)]


def test_a_withheld_anonymous_answer_cannot_be_cited_and_is_refused_like_a_missing_one(personas,
                                                                                        cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    withheld = _anonymous_answers(personas, 2)[0]  # one of fewer than three answers: shown to nobody
    missing = f"feedback_response:{withheld.pk + 1000}"
    refusals = []
    for reference in (f"feedback_response:{withheld.pk}", missing):
        with pytest.raises(ReviewError) as raised:
            services.save_assessment(review, actor=personas.mo, dimension=Dimension.values[0], outcome="meets",
                                     rationale="Led the ledger migration.", citations=[reference])
        refusals.append(str(raised.value).replace(reference, "REFERENCE"))
    assert refusals[0] == refusals[1]
    assert not review.packet_items.filter(kind="feedback_response").exists()


def test_a_released_anonymous_answer_can_be_cited(personas, cycle_in_assessment):
    review = review_of(cycle_in_assessment, personas.erin)
    answer = _anonymous_answers(personas, 3)[0]
    services.save_assessment(review, actor=personas.mo, dimension=Dimension.values[0], outcome="meets",
                             rationale="Led the ledger migration.", citations=[f"feedback_response:{answer.pk}"])
    assert review.packet_items.filter(kind="feedback_response", object_id=str(answer.pk)).exists()
