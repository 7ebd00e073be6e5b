"""Calibration: rotating panels, conflicts of interest, hidden pre-votes, audited changes, optimistic locking."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from brightline.audit.models import AuditEntry
from brightline.people.models import Dimension
from brightline.reviews import services
from brightline.reviews.models import CalibrationChange, ConflictOfInterest, DimensionAssessment, Phase
from brightline.reviews.services import ConcurrentEditError, ReviewError
from tests.reviews_helpers import (
    advance_to,
    cycle_in_calibration,
    make_evidence,
    olga,
    open_payments_cycle,
    pre_vote_all,
    review_of,
)


@pytest.fixture
def cycle(personas):
    return cycle_in_calibration(personas)


def _packet_refs(review, count=2):
    return [item.reference for item in review.packet_items.filter(kind="evidence_item")[:count]]


def test_a_panelist_in_the_management_chain_is_declared_and_excluded(personas, cycle):
    review = review_of(cycle, personas.erin)
    conflict = ConflictOfInterest.objects.get(review=review, panelist=personas.lee)
    assert conflict.reason == ConflictOfInterest.Reason.MANAGEMENT_CHAIN
    assert {p.name for p in services.eligible_panelists(review)} == {"Oscar Outsider", "Olga Othermanager"}
    with pytest.raises(ReviewError, match="Lee Leader has a conflict of interest for Erin Employee"):
        services.record_pre_vote(review, panelist=personas.lee, dimension="leadership", outcome="exceeds")
    assert AuditEntry.objects.filter(action="reviews.conflict.declared").exists()


def test_the_panel_may_not_decide_for_a_panelist_in_their_own_case(personas):
    from brightline.reviews.models import Review

    cycle = cycle_in_calibration(personas)
    assert not Review.objects.filter(cycle=cycle, person=personas.lee).exists()
    mo_review = review_of(cycle, personas.mo)
    assert ConflictOfInterest.objects.filter(review=mo_review, panelist=personas.lee).exists()


def test_a_panelist_can_declare_a_conflict_the_chain_does_not_show(personas, cycle):
    review = review_of(cycle, personas.erin)
    services.declare_conflict(review, panelist=personas.oscar, note="Erin and I share a flat.")
    assert [p.name for p in services.eligible_panelists(review)] == ["Olga Othermanager"]


def test_someone_not_on_the_panel_cannot_vote(personas, cycle):
    with pytest.raises(ReviewError, match="Pat Peer is not on this cycle's calibration panel"):
        services.record_pre_vote(review_of(cycle, personas.erin), panelist=personas.pat, dimension="leadership",
                                 outcome="meets")


def test_pre_votes_stay_hidden_until_every_eligible_panelist_has_voted(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar], outcome="exceeds")
    for viewer in (personas.oscar, olga(), personas.pia, personas.mo, None):
        spread = services.pre_vote_spread(review, viewer=viewer)
        assert not spread.complete and spread.spread == {} and spread.votes == []
        assert (spread.voted, spread.eligible) == (1, 2)
    assert services.pre_vote_spread(review, viewer=personas.oscar).own_votes["leadership"] == "exceeds"
    assert services.pre_vote_spread(review, viewer=olga()).own_votes == {}
    # The audit trail must not leak the vote either.
    assert all("exceeds" not in e.data_json for e in AuditEntry.objects.filter(action="reviews.prevote.recorded"))
    pre_vote_all(review, [olga()], outcome="meets")
    spread = services.pre_vote_spread(review, viewer=personas.pia)
    assert spread.complete and spread.spread["leadership"] == {"needs_support": 0, "meets": 1, "exceeds": 1}
    with pytest.raises(ReviewError, match=services.ERR_VOTES_REVEALED):
        services.record_pre_vote(review, panelist=olga(), dimension="leadership", outcome="exceeds")


def test_discussion_changes_wait_for_all_pre_votes(personas, cycle):
    review = review_of(cycle, personas.erin)
    assessment = review.assessments.get(dimension="leadership")
    with pytest.raises(ReviewError, match=r"discussion starts once every eligible panelist has recorded a pre-vote"):
        services.record_calibration_change(assessment, actor=personas.oscar, to_outcome="exceeds", reason="x",
                                           seen_version=assessment.version)


def test_a_calibration_change_records_who_when_from_to_why_and_evidence(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()], outcome="exceeds")
    assessment = review.assessments.get(dimension="leadership")
    refs = _packet_refs(review)
    change = services.record_calibration_change(
        assessment, actor=personas.oscar, to_outcome="exceeds",
        reason="She ran the incident review for two other teams, beyond IC2 scope.", citations=refs,
        seen_version=assessment.version)
    assessment.refresh_from_db()
    assert assessment.outcome == "exceeds" and assessment.proposed_outcome == "meets"
    assert (change.actor, change.from_outcome, change.to_outcome, change.citations) == (
        personas.oscar, "meets", "exceeds", refs)
    entry = AuditEntry.objects.get(action="reviews.calibration.changed")
    assert entry.actor_id == personas.oscar.pk and entry.subject_person_id == personas.erin.pk
    assert '"from":"meets"' in entry.data_json and '"to":"exceeds"' in entry.data_json and refs[0] in entry.data_json


def test_departing_from_the_managers_assessment_needs_cited_evidence(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])
    assessment = review.assessments.get(dimension="leadership")
    with pytest.raises(ReviewError, match="departs from the manager's evidence-backed assessment"):
        services.record_calibration_change(assessment, actor=olga(), to_outcome="exceeds",
                                           reason="Feels stronger than her peers.", seen_version=assessment.version)
    assert not CalibrationChange.objects.exists()


def test_a_panel_cites_only_evidence_in_the_packet(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])
    outside = make_evidence(personas.erin, 1)[0]
    assessment = review.assessments.get(dimension="leadership")
    with pytest.raises(ReviewError, match="is not in this packet"):
        services.record_calibration_change(assessment, actor=olga(), to_outcome="exceeds",
                                           reason=f"See {outside.citation}.", seen_version=assessment.version)


def test_a_change_to_needs_support_waits_for_a_second_approver(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])
    assessment = review.assessments.get(dimension="delivery_results")
    change = services.record_calibration_change(
        assessment, actor=olga(), to_outcome="needs_support", reason="Both releases slipped by a month.",
        citations=_packet_refs(review), seen_version=assessment.version)
    assessment.refresh_from_db()
    assert change.status == CalibrationChange.Status.AWAITING_APPROVAL and assessment.outcome == "meets"
    with pytest.raises(ReviewError, match="cannot be the second approver"):
        services.approve_calibration_change(change, approver=olga())
    with pytest.raises(ReviewError, match="calibration change"):
        services.advance_cycle(cycle, actor=personas.pia)
    services.approve_calibration_change(change, approver=personas.oscar)
    assessment.refresh_from_db()
    assert assessment.outcome == "needs_support"
    assert AuditEntry.objects.filter(action="reviews.calibration.change_approved").exists()


def test_a_change_to_needs_support_needs_two_human_evidence_items(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])
    assessment = review.assessments.get(dimension="delivery_results")
    with pytest.raises(ReviewError, match="needs at least 2 cited evidence items that are not AI signals"):
        services.record_calibration_change(assessment, actor=olga(), to_outcome="needs_support", reason="Slipped.",
                                           citations=_packet_refs(review, 1), seen_version=assessment.version)


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])
    assessment = review.assessments.get(dimension="leadership")
    seen = assessment.version
    services.record_calibration_change(assessment, actor=personas.oscar, to_outcome="exceeds", reason="Scope.",
                                       citations=_packet_refs(review), seen_version=seen)
    stale = DimensionAssessment.objects.get(pk=assessment.pk)
    stale.outcome = "meets"  # what the second panelist still sees on screen
    with pytest.raises(ConcurrentEditError, match="was changed by someone else"):
        services.record_calibration_change(stale, actor=olga(), to_outcome="needs_support", reason="No.",
                                           citations=_packet_refs(review), seen_version=seen)
    assessment.refresh_from_db()
    assert assessment.outcome == "exceeds" and CalibrationChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_panelists_editing_at_once_never_lose_an_update(personas):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers; this needs real concurrent transactions (PostgreSQL)")
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])
    assessment = review.assessments.get(dimension="leadership")
    seen, refs = assessment.version, _packet_refs(review)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def edit(panelist, outcome):
        try:
            snapshot = DimensionAssessment.objects.get(pk=assessment.pk)
            barrier.wait()
            results[panelist.name] = services.record_calibration_change(
                snapshot, actor=panelist, to_outcome=outcome, reason=f"{panelist.name} read the packet.",
                citations=refs, seen_version=seen)
        except BaseException as error:  # collected and checked in the main thread
            results[panelist.name] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(personas.oscar, "exceeds")),
               threading.Thread(target=edit, args=(olga(), "exceeds"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = list(results.values())
    winners = [r for r in outcomes if isinstance(r, CalibrationChange)]
    losers = [r for r in outcomes if isinstance(r, ConcurrentEditError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assessment.refresh_from_db()
    assert assessment.version == seen + 1 and assessment.outcome == "exceeds"
    assert CalibrationChange.objects.filter(assessment=assessment).count() == 1
    assert AuditEntry.objects.filter(action="reviews.calibration.changed").count() == 1


def test_after_release_outcomes_change_only_through_an_appeal(personas, cycle):
    review = review_of(cycle, personas.erin)
    for other in cycle.reviews.all():
        pre_vote_all(other, services.eligible_panelists(other))
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    for each in cycle.reviews.all():
        services.generate_decision_memo(each, actor=personas.pia, accountable=personas.lee)
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    assert cycle.phase == Phase.RELEASE
    assessment = review.assessments.get(dimension="leadership")
    with pytest.raises(ReviewError) as raised:
        services.record_calibration_change(assessment, actor=personas.oscar, to_outcome="exceeds", reason="Late.",
                                           citations=_packet_refs(review), seen_version=assessment.version)
    assert str(raised.value) == services.ERR_RELEASED_USE_APPEAL
    with pytest.raises(ReviewError, match="only through an appeal"):
        services.save_assessment(review, actor=personas.mo, dimension="leadership", outcome="exceeds", rationale="x")


def test_panels_rotate_between_cycles(personas):
    first = open_payments_cycle(personas)
    services.set_panel(first, actor=personas.pia, members=[personas.lee, personas.oscar, olga()])
    type(first).objects.filter(pk=first.pk).update(phase=Phase.CLOSED)  # one open cycle per person at a time
    second = open_payments_cycle(personas, name="2027 H1")
    with pytest.raises(ReviewError, match="panels rotate: 2 of 3 members also sat on the previous cycle's panel"):
        services.set_panel(second, actor=personas.pia, members=[personas.lee, personas.oscar, personas.pat])
    services.set_panel(second, actor=personas.pia, members=[personas.lee, personas.pat])
    assert AuditEntry.objects.filter(action="reviews.panel.set").count() == 2


def test_the_panel_is_fixed_once_calibration_starts(personas, cycle):
    with pytest.raises(ReviewError, match=services.ERR_PANEL_LOCKED):
        services.set_panel(cycle, actor=personas.pia, members=[personas.oscar, personas.pat])


def test_the_distribution_is_information_and_flags_point_at_missing_evidence(personas, cycle):
    table = services.outcome_distribution(cycle)
    assert table["leadership"] == {"needs_support": 0, "meets": 3, "exceeds": 0}
    DimensionAssessment.objects.filter(review__cycle=cycle, dimension="leadership",
                                       review__person=personas.pat).update(citations=[])
    flags = services.calibration_flags(cycle)
    assert [f.kind for f in flags] == ["outcome_without_evidence"]
    assert "Pat Peer" in flags[0].message


def test_a_manager_whose_proposals_calibration_keeps_lowering_is_flagged(personas):
    from brightline.core.fairness import CalibrationRecord, measure_calibration_movement

    records = [CalibrationRecord("Mo Manager", 3, 2)] * 8
    report = measure_calibration_movement(records, min_cohort=5)
    assert report.managers[0].lean == "lenient"  # the core the flag relies on
    cycle = cycle_in_calibration(personas)
    DimensionAssessment.objects.filter(review__cycle=cycle).update(proposed_outcome="exceeds", outcome="meets")
    flags = [f for f in services.calibration_flags(cycle) if f.kind == "manager_movement"]
    assert len(flags) == 1 and "leniency" in flags[0].message and "Mo Manager" in flags[0].message


@pytest.mark.parametrize("dimension", Dimension.values)
def test_every_dimension_can_be_pre_voted(personas, cycle, dimension):
    vote = services.record_pre_vote(review_of(cycle, personas.erin), panelist=personas.oscar, dimension=dimension,
                                    outcome="meets")
    assert vote.dimension == dimension


def test_advance_to_decision_memo_keeps_calibration_changes(personas, cycle):
    cycle = advance_to(cycle, Phase.DECISION_MEMO, personas.pia)
    assert cycle.phase == Phase.DECISION_MEMO


def test_a_panelist_cites_evidence_by_the_number_every_page_shows(personas, cycle):
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()], outcome="exceeds")
    assessment = review.assessments.get(dimension="leadership")
    number = _packet_refs(review)[0].partition(":")[2]
    change = services.record_calibration_change(
        assessment, actor=personas.oscar, to_outcome="exceeds", reason="Ran the incident review for two teams.",
        citations=[f"[E:{number}]"], seen_version=assessment.version)
    assert change.citations == [f"evidence_item:{number}"]
    other = review.assessments.get(dimension="delivery_results")
    with pytest.raises(ReviewError, match=r"write the number shown beside the item .*\[E:12\]"):
        services.record_calibration_change(other, actor=personas.oscar, to_outcome="exceeds", reason="x",
                                           citations=["the ledger work"], seen_version=other.version)
