"""Decision memos (E5), release and acknowledgement (E6), appeals outside the chain (E7)."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape

from brightline.audit.models import AuditEntry
from brightline.reviews import services
from brightline.reviews.appeal_rules import may_review_appeal
from brightline.reviews.models import Appeal, CalibrationChange, Phase
from brightline.reviews.services import ReviewError
from tests.reviews_helpers import AFTER_WINDOW, IN_WINDOW, cycle_in_calibration, olga, pre_vote_all, review_of


@pytest.fixture
def released(personas):
    cycle = cycle_in_calibration(personas)
    erin = review_of(cycle, personas.erin)
    for review in cycle.reviews.all():
        pre_vote_all(review, services.eligible_panelists(review))
    # Olga dissents on Erin's leadership before the panel settles on 'exceeds'.
    assessment = erin.assessments.get(dimension="leadership")
    refs = [i.reference for i in erin.packet_items.filter(kind="evidence_item")]
    services.record_calibration_change(assessment, actor=personas.oscar, to_outcome="exceeds",
                                       reason="Ran two cross-team incident reviews.", citations=refs,
                                       seen_version=assessment.version)
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    for review in cycle.reviews.all():
        services.generate_decision_memo(review, actor=personas.pia, accountable=personas.lee)
    return services.advance_cycle(cycle, actor=personas.pia)


def test_the_memo_is_generated_from_the_record_with_named_accountability(personas, released):
    memo = review_of(released, personas.erin).memo
    sections = memo.sections
    assert memo.accountable == personas.lee and sections["accountable"] == "Lee Leader"
    assert {row["dimension"]: row["final"] for row in sections["outcomes"]}["leadership"] == "exceeds"
    change = sections["calibration_changes"][0]
    assert (change["from"], change["to"], change["by"]) == ("meets", "exceeds", "Oscar Outsider")
    assert change["reason"] == "Ran two cross-team incident reviews."
    # Both panelists pre-voted 'meets' on leadership; the final outcome differs, so that is recorded dissent.
    assert {(d["panelist"], d["dimension"]) for d in sections["dissent"]} >= {("Olga Othermanager", "leadership")}
    assert sections["main_signals"] and sections["manager_interpretation"]["manager"] == "Mo Manager"
    assert "ai_disagreements" in sections
    assert AuditEntry.objects.filter(action="reviews.memo.generated").count() == 3


def test_release_needs_a_memo_for_everyone(personas):
    cycle = cycle_in_calibration(personas)
    for review in cycle.reviews.all():
        pre_vote_all(review, services.eligible_panelists(review))
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    with pytest.raises(ReviewError, match="every review needs a decision memo before release"):
        services.advance_cycle(cycle, actor=personas.pia)


def test_the_employee_cannot_be_their_own_accountable_decider(personas):
    cycle = cycle_in_calibration(personas)
    for review in cycle.reviews.all():
        pre_vote_all(review, services.eligible_panelists(review))
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    with pytest.raises(ReviewError, match="accountable must be an active person other than Erin Employee"):
        services.generate_decision_memo(review_of(cycle, personas.erin), actor=personas.pia,
                                        accountable=personas.erin)


def test_the_employee_acknowledges_once(personas, released):
    review = review_of(released, personas.erin)
    services.acknowledge_review(review, actor=personas.erin, comment="Thanks; I will appeal one point.")
    with pytest.raises(ReviewError, match="already acknowledged"):
        services.acknowledge_review(review, actor=personas.erin)
    with pytest.raises(ReviewError, match=services.ERR_NOT_SELF):
        services.acknowledge_review(review_of(released, personas.pat), actor=personas.mo)
    assert AuditEntry.objects.filter(action="reviews.review.acknowledged").count() == 1


def test_the_full_appeal_path_with_a_reviewer_outside_the_chain(personas, released):
    review = review_of(released, personas.erin)
    appeal = services.file_appeal(review, actor=personas.erin, today=IN_WINDOW,
                                  context="The delivery outcome misses the migration I led in September.")
    assert appeal.status == Appeal.Status.REQUESTED and str(appeal.due_on) == "2026-12-04"
    for in_chain in (personas.mo, personas.lee, personas.erin):
        with pytest.raises(ReviewError) as raised:
            services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=in_chain)
        assert str(raised.value) == services.ERR_REVIEWER_IN_CHAIN.format(name=in_chain.name)
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    services.add_appeal_message(appeal, author=olga(), body="Which change was the migration?")
    services.add_appeal_message(appeal, author=personas.erin, body="The ledger cut-over, in the packet.")
    with pytest.raises(ReviewError, match=services.ERR_CANNOT_SEE_APPEAL):
        services.add_appeal_message(appeal, author=personas.pat, body="Me too")
    with pytest.raises(ReviewError, match=services.ERR_NOT_APPEAL_REVIEWER):
        services.decide_appeal(appeal, reviewer=personas.oscar, decision="upheld", reason="x")
    services.decide_appeal(appeal, reviewer=olga(), decision="changed", reason="The cut-over shows it.",
                           new_outcomes={"delivery_results": "exceeds"})
    assessment = review.assessments.get(dimension="delivery_results")
    assert assessment.outcome == "exceeds"
    change = CalibrationChange.objects.get(assessment=assessment)
    assert change.source == "appeal" and change.actor == olga()
    # Escalation goes to a different reviewer, also outside the chain; that decision is final.
    services.escalate_appeal(appeal, actor=personas.erin, reason="Technical excellence too.")
    with pytest.raises(ReviewError, match=services.ERR_REVIEWER_SAME):
        services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pia)
    services.decide_appeal(appeal, reviewer=personas.pia, decision="upheld", reason="The rest stands.")
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.CLOSED and appeal.escalation_decision == "upheld"
    actions = set(AuditEntry.objects.filter(action__startswith="reviews.appeal.").values_list("action", flat=True))
    assert actions == {"reviews.appeal.filed", "reviews.appeal.reviewer_assigned", "reviews.appeal.message_added",
                       "reviews.appeal.decided", "reviews.appeal.outcome_changed", "reviews.appeal.escalated"}


def test_a_closed_appeal_takes_no_new_message(personas, released):
    review = review_of(released, personas.erin)
    appeal = services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="The migration is missing.")
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    services.decide_appeal(appeal, reviewer=olga(), decision="upheld", reason="The record stands.")
    services.close_appeal(appeal, actor=personas.erin)
    for author in (personas.erin, olga(), personas.pia):
        with pytest.raises(ReviewError, match=services.ERR_APPEAL_THREAD_CLOSED):
            services.add_appeal_message(appeal, author=author, body="One more thing.")
    assert not appeal.messages.exists()


def test_an_appeal_cannot_lower_an_outcome(personas, released):
    appeal = services.file_appeal(review_of(released, personas.erin), actor=personas.erin, today=IN_WINDOW,
                                  context="Please look again.")
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    with pytest.raises(ReviewError, match="never lower it"):
        services.decide_appeal(appeal, reviewer=olga(), decision="changed", reason="x",
                               new_outcomes={"leadership": "needs_support"})


def test_the_appeal_window_closes(personas, released):
    with pytest.raises(ReviewError, match="the appeal window closed on 2026-11-28"):
        services.file_appeal(review_of(released, personas.erin), actor=personas.erin, today=AFTER_WINDOW,
                             context="Late.")


def test_only_the_employee_appeals_and_only_once_at_a_time(personas, released):
    review = review_of(released, personas.erin)
    with pytest.raises(ReviewError, match=services.ERR_NOT_SELF):
        services.file_appeal(review, actor=personas.mo, today=IN_WINDOW, context="On her behalf.")
    services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="First.")
    with pytest.raises(ReviewError, match=services.ERR_APPEAL_OPEN):
        services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="Second.")


def test_a_cycle_closes_only_when_appeals_are_decided(personas, released):
    appeal = services.file_appeal(review_of(released, personas.erin), actor=personas.erin, today=IN_WINDOW,
                                  context="Please look again.")
    cycle = services.advance_cycle(released, actor=personas.pia)
    assert cycle.phase == Phase.ACKNOWLEDGEMENT
    with pytest.raises(ReviewError, match="1 appeal"):
        services.advance_cycle(cycle, actor=personas.pia)
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    services.decide_appeal(appeal, reviewer=olga(), decision="upheld", reason="The evidence supports it.")
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    assert cycle.phase == Phase.CLOSED and cycle.closed_at is not None
    with pytest.raises(ReviewError, match=services.ERR_CYCLE_CLOSED):
        services.advance_cycle(cycle, actor=personas.pia)


def test_overdue_appeals_are_visible(personas, released):
    import datetime as dt

    appeal = services.file_appeal(review_of(released, personas.erin), actor=personas.erin, today=IN_WINDOW,
                                  context="Please look again.")
    assert not services.appeal_is_overdue(appeal, today=IN_WINDOW)
    assert services.appeal_is_overdue(appeal, today=IN_WINDOW + dt.timedelta(days=15))


def test_after_release_the_employee_sees_pre_votes_without_names_unless_the_policy_names_them(personas, released,
                                                                                             client_for):
    import re

    from brightline.policy.services import update_policy

    review = review_of(released, personas.erin)
    for vote in review.pre_votes.all():
        vote.note = f"my note {vote.pk}"
        vote.save(update_fields=["note"])
    names = {panelist.name for panelist in services.eligible_panelists(review)}
    prevotes, memo = f"/api/reviews/reviews/{review.pk}/prevotes", f"/api/reviews/reviews/{review.pk}/memo"
    erin = client_for(personas.erin)

    seen = erin.get(prevotes).json()
    assert seen["complete"] and len(seen["votes"]) == 4 * len(names)
    assert {vote["panelist"] for vote in seen["votes"]} == {f"Panelist {n}" for n in range(1, len(names) + 1)}
    assert all(vote["note"].startswith("my note") for vote in seen["votes"])  # votes and notes stay visible
    dissent = erin.get(memo).json()["sections"]["dissent"]
    assert dissent and all(row["panelist"].startswith("Panelist ") for row in dissent)
    page = erin.get(f"/reviews/r/{review.pk}/").content.decode()
    shown = re.findall(r"<li>([^<]*) pre-voted", page)
    assert shown and all(label.startswith("Panelist ") for label in shown)
    # Everyone else on the review still sees who voted what.
    assert {vote["panelist"] for vote in client_for(personas.pia).get(prevotes).json()["votes"]} == names

    update_policy(actor=personas.pia, reason="The panel agreed to be named.", prevote_names="named")
    assert {vote["panelist"] for vote in erin.get(prevotes).json()["votes"]} == names
    assert {row["panelist"] for row in erin.get(memo).json()["sections"]["dissent"]} <= names


def test_the_policy_refuses_an_unknown_pre_vote_names_setting(personas, client_for):
    response = client_for(personas.pia).patch("/api/policy", data=json.dumps(
        {"reason": "x", "prevote_names": "everyone"}), content_type="application/json")
    assert response.status_code == 400 and "pre-vote names" in response.json()["detail"]
    assert client_for(personas.erin).get("/api/policy").json()["prevote_names"] == "anonymised"


def _feedback_about(personas, respondents, *, anonymous: bool):
    from brightline.feedback import services as feedback_services

    request = feedback_services.request_feedback(actor=personas.mo, subject=personas.erin, anonymous=anonymous,
                                                 respondents=[(p, "peer") for p in respondents])
    invitation = request.invitations.get(respondent=respondents[0])
    return feedback_services.submit_feedback_response(
        actor=respondents[0], invitation=invitation, send_despite_tone=True,
        data=feedback_services.ResponseInput(what_they_did="Skipped the design review for the ledger change.",
                                             impact="Two teams had to redo their integration.",
                                             one_thing_to_grow="Bring designs to review before building."))


def _cite(review, response, personas):
    from brightline.reviews.models import PacketItem

    PacketItem.objects.create(review=review, kind=PacketItem.Kind.FEEDBACK_RESPONSE, object_id=str(response.pk),
                              included_by=personas.mo, via="assessment")


def test_the_named_writer_of_contested_feedback_cannot_review_the_appeal(personas, released):

    review = review_of(released, personas.erin)
    _cite(review, _feedback_about(personas, [olga()], anonymous=False), personas)
    appeal = services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="The feedback is unfair.")
    assert not may_review_appeal(olga(), review)
    with pytest.raises(ReviewError, match="Olga Othermanager wrote or was asked for feedback"):
        services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    # Someone outside the chain who wrote none of it still may.
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pia)


def test_anonymous_contested_feedback_excludes_everyone_invited_to_give_it(personas, released):

    review = review_of(released, personas.erin)
    # Olga wrote it; Oscar and Pat were asked too. All three are excluded, so the exclusion names no writer.
    _cite(review, _feedback_about(personas, [olga(), personas.oscar, personas.pat], anonymous=True), personas)
    appeal = services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="The feedback is unfair.")
    assert [p.name for p in (olga(), personas.oscar, personas.pat) if may_review_appeal(p, review)] == []
    for invited in (olga(), personas.oscar):
        with pytest.raises(ReviewError, match="wrote or was asked for feedback"):
            services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=invited)
    assert may_review_appeal(personas.pia, review)


def test_feedback_not_in_the_packet_does_not_exclude_its_writer(personas, released):

    review = review_of(released, personas.erin)
    _feedback_about(personas, [olga()], anonymous=False)
    assert may_review_appeal(olga(), review)


@pytest.mark.parametrize("rule,refused,accepted,message", [
    ("outside_chain", None, "pia", None),
    ("panel_outside_chain", "pia", "olga", services.ERR_REVIEWER_NOT_PANELIST),
    ("people_partner", "olga", "pia", services.ERR_REVIEWER_NOT_PEOPLE_PARTNER),
])
def test_the_policy_setting_for_appeal_reviewers_routes_appeals(personas, released, client_for, rule, refused,
                                                                 accepted, message):
    from brightline.policy.models import AppealReviewers
    from brightline.policy.services import update_policy

    update_policy(actor=personas.pia, reason="works council agreement", appeal_reviewers=rule)
    who = {"pia": personas.pia, "olga": olga()}
    review = review_of(released, personas.erin)
    appeal = services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="The migration is missing.")
    candidates = services.appeal_reviewer_candidates(review)
    assert who[accepted] in candidates and personas.mo not in candidates and personas.lee not in candidates
    if refused is not None:
        assert who[refused] not in candidates
        with pytest.raises(ReviewError) as raised:
            services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=who[refused])
        assert str(raised.value) == message.format(name=who[refused].name)
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=who[accepted])
    appeal.refresh_from_db()
    assert appeal.reviewer == who[accepted]
    # What every employee reads is written from the same setting.
    page = client_for(personas.erin).get("/data-use/").content.decode()
    label = AppealReviewers(rule).label
    assert escape(f"{label[0].lower()}{label[1:]}") in page


def test_free_text_appeal_path_and_review_rights_are_refused_not_shown(personas, client_for):
    before = client_for(personas.erin).get("/api/policy").json()
    response = client_for(personas.pia).patch("/api/policy", data=json.dumps(
        {"reason": "x", "appeal_path": "Appeals are decided by your own manager."}), content_type="application/json")
    assert response.status_code == 400 and "choose who reviews appeals" in response.json()["detail"]
    response = client_for(personas.pia).patch("/api/policy", data=json.dumps(
        {"reason": "x", "review_rights": "Everyone sees everything."}), content_type="application/json")
    assert response.status_code == 400 and "access rules" in response.json()["detail"]
    assert client_for(personas.erin).get("/api/policy").json() == before
    assert "your own manager" not in client_for(personas.erin).get("/data-use/").content.decode()
    assert not AuditEntry.objects.filter(action="policy.updated").exists()


def test_whoever_changed_or_approved_the_contested_outcome_cannot_give_the_second_review(personas, released,
                                                                                         client_for):
    # Oscar changed Erin's leadership outcome in calibration (the fixture): the appeal contests his decision.
    review = review_of(released, personas.erin)
    appeal = services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="Leadership is too low.")
    assert not may_review_appeal(personas.oscar, review)
    assert personas.oscar not in services.appeal_reviewer_candidates(review)
    with pytest.raises(ReviewError) as raised:
        services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.oscar)
    assert str(raised.value) == services.ERR_REVIEWER_DECIDED.format(name="Oscar Outsider")
    page = client_for(personas.pia).get(f"/reviews/appeals/{appeal.pk}/").content.decode()
    assert f'value="{personas.oscar.pk}"' not in page and "did not change or approve" in page
    # On another review Oscar decided nothing: he may review that one's appeal.
    pat_review = review_of(released, personas.pat)
    assert may_review_appeal(personas.oscar, pat_review)


def test_the_memo_names_disagreements_with_the_ai_in_the_review_not_in_the_growth_space(personas, released):
    from brightline.insights.models import Signal
    from brightline.reviews.services.memos import build_memo_sections
    from tests.test_engineer_home import make_signal

    review = review_of(released, personas.erin)
    make_signal(personas.erin, key="g", statement="Code quality comes up.", status=Signal.Status.DISMISSED)
    check = make_signal(personas.erin, key="c", statement="The self review cites no evidence.",
                        status=Signal.Status.DISMISSED, kind="missing_evidence")
    Signal.objects.filter(pk=check.pk).update(detail={"packet": {"review": review.pk, "part": "self_review"}})
    other = make_signal(personas.erin, key="o", statement="Another review's claim.", status=Signal.Status.DISMISSED,
                        kind="missing_evidence")
    Signal.objects.filter(pk=other.pk).update(detail={"packet": {"review": review.pk + 1000, "part": "self_review"}})
    shown = {row["signal"] for row in build_memo_sections(review, personas.lee)["ai_disagreements"]}
    assert shown == {f"signal:{check.pk}"}
