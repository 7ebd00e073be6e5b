"""Missing evidence in draft review packets (C5): the self review, chosen accomplishments, the manager's
assessment per dimension and narrative each get a pending ``missing_evidence`` signal when they cite no
evidence; shown where the packet is edited; the manager's draft stays hidden from the person (E6)."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.core.insights.evidence_checks import PACKET_STEP_CLOSED
from brightline.insights.models import Signal
from brightline.insights.services import ALGORITHM_VERSION
from brightline.reviews import services as review_services
from brightline.reviews.models import Phase
from tests.reviews_helpers import advance_to, make_evidence, olga, open_payments_cycle, review_of, train
from tests.test_insights_review import make_signal

SELF_REVIEW = "I led the payouts migration this half and unblocked two teams."
UNCITED = "the manager's assessment of leadership cites no evidence"


def accomplishment(person, title, evidence=()):
    from brightline.feedback import services as feedback_services

    data = feedback_services.AccomplishmentInput(
        period="2026 H2", title=title, situation="Payouts failed under load.", action="Rebuilt the retry path.",
        result="Failed payouts fell.", impact="Merchants were paid on time.", impact_level="business_outcome",
        evidence_ids=tuple(item.pk for item in evidence))
    return feedback_services.create_accomplishment(actor=person, person=person, data=data)


@pytest.fixture
def packet(personas):
    """Erin's 2026 H2 packet in the manager-assessment phase, with one claim of each part citing nothing."""
    from brightline.insights.services import accept_signal

    evidence = make_evidence(personas.erin, 3)
    cited_one = accomplishment(personas.erin, "Payout retries", evidence[:1])
    cited_two = accomplishment(personas.erin, "Ledger migration", evidence[1:2])
    uncited = accomplishment(personas.erin, "Onboarding guide")
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.erin)
    review_services.select_accomplishments(review, actor=personas.erin,
                                           accomplishment_ids=[cited_one.pk, cited_two.pk, uncited.pk])
    review_services.submit_self_review(review, actor=personas.erin, context=SELF_REVIEW)
    cycle = advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    review.refresh_from_db()
    theme = make_signal(personas.erin)
    accept_signal(actor=personas.mo, signal=theme, reason="Matches the retro.")
    review_services.save_assessment(review, actor=personas.mo, dimension="leadership", outcome="meets",
                                    rationale="Helped the new hires through their first on-call weeks.")
    review_services.save_assessment(review, actor=personas.mo, dimension="delivery_results", outcome="meets",
                                    rationale=f"Shipped the migration on the agreed date {evidence[2].citation}.")
    review_services.save_assessment(review, actor=personas.mo, dimension="judgment_communication", outcome="meets",
                                    rationale="Feedback says her reviews are careful.",
                                    citations=[f"signal:{theme.pk}"])
    review_services.save_manager_narrative(review, actor=personas.mo, narrative=review_services.ManagerNarrative(
        summary="Erin grew a lot this half."))
    return {"review": review, "uncited": uncited, "cited": [cited_one, cited_two], "evidence": evidence}


def text_of(response) -> str:
    return unescape(response.content.decode())


def run_for(person):
    from brightline.insights.services import run_insights

    return run_insights(person=person)


def packet_signals(review):
    return {s.key.removeprefix(f"missing_evidence:packet:{review.pk}:"): s
            for s in Signal.objects.filter(key__startswith=f"missing_evidence:packet:{review.pk}:", is_current=True)}


def test_each_claim_citing_nothing_gets_a_pending_signal_with_provenance(personas, packet):
    run_for(personas.erin)
    review, uncited = packet["review"], packet["uncited"]
    found = packet_signals(review)
    assert set(found) == {"self_review:context", f"accomplishment:{uncited.pk}", "assessment:leadership",
                          "assessment:judgment_communication", "narrative:manager_summary"}
    leadership = found["assessment:leadership"]
    assert leadership.status == "pending" and leadership.person == personas.erin
    assert leadership.statement.startswith(f"In the 2026 H2 review, {UNCITED}.")
    assessment = review.assessments.get(dimension="leadership")
    assert leadership.item_refs == [{"kind": "dimension_assessment", "id": str(assessment.pk)}]
    assert leadership.model_name == "rule" and leadership.detail["packet"]["written_by"] == "manager"
    only_ai = found["assessment:judgment_communication"]
    assert "cites only AI signals" in only_ai.statement and only_ai.detail["only_ai"] is True
    assert found["self_review:context"].detail["packet"]["written_by"] == "person"
    # The uncited accomplishment is reported once, as a claim of the packet.
    assert not Signal.objects.filter(key=f"missing_evidence:claim:accomplishment:{uncited.pk}").exists()


def test_citing_evidence_retires_the_signal_at_the_next_run(personas, packet):
    run_for(personas.erin)
    review, evidence = packet["review"], packet["evidence"]
    review_services.save_assessment(review, actor=personas.mo, dimension="leadership", outcome="meets",
                                    rationale=f"Helped the new hires through on-call {evidence[0].citation}.")
    run_for(personas.erin)
    assert "assessment:leadership" not in packet_signals(review)
    assert "narrative:manager_summary" in packet_signals(review)


def ready_for_calibration(personas, cycle):
    """Train the managers, name the panel and submit every assessment (citing evidence) of ``cycle``."""
    from tests.reviews_helpers import assess

    train(personas.mo)
    train(personas.lee)
    review_services.set_panel(cycle, actor=personas.pia, members=[personas.lee, personas.oscar, olga()])
    for review in cycle.reviews.select_related("person", "manager"):
        assess(review, review.manager)
    return cycle


def test_once_calibration_starts_the_packet_is_no_longer_checked(personas, packet, client_for):
    run_for(personas.erin)
    cycle = ready_for_calibration(personas, packet["review"].cycle)
    advance_to(cycle, Phase.CALIBRATION, personas.pia)
    run_for(personas.erin)
    assert packet_signals(packet["review"]) == {}
    runs = AuditEntry.objects.filter(action="insights.run.completed").count()
    response = client_for(personas.erin).post(f"/reviews/r/{packet['review'].pk}/check-packet/", follow=True)
    assert "past its draft phases" in response.content.decode()
    assert AuditEntry.objects.filter(action="insights.run.completed").count() == runs


def test_the_manager_sees_every_check_where_the_packet_is_edited(personas, packet, client_for):
    run_for(personas.erin)
    page = text_of(client_for(personas.mo).get(f"/reviews/r/{packet['review'].pk}/"))
    section = page.split('id="packet-evidence"')[1].split("</section>")[0]
    assert UNCITED in section and "the manager's summary cites no evidence" in section
    assert "the self review cites no evidence" in section and "“Onboarding guide”" in section
    # Erin's two claims can no longer be changed (the self-review step has closed): shown, not asked.
    assert section.count('name="decision" value="accept"') == 3
    assert section.count(PACKET_STEP_CLOSED["person"]) == 2
    assert f'name="next" value="/reviews/r/{packet["review"].pk}/#packet-evidence"' in section
    # The heading speaks to the reader: the manager reads Erin's review, not "your review".
    assert "Claims in Erin Employee's review that cite no evidence" in page.replace("&#x27;", "'")


def test_the_person_sees_their_own_claims_but_not_the_managers_draft(personas, packet, client_for):
    run_for(personas.erin)
    erin = client_for(personas.erin)
    review_page = text_of(erin.get(f"/reviews/r/{packet['review'].pk}/"))
    assert "the self review cites no evidence" in review_page
    assert "Claims in your review that cite no evidence" in review_page
    section = review_page.split('id="packet-evidence"')[1].split("</section>")[0]
    assert "assessment of leadership" not in section and "assessment of judgment" not in section
    assert UNCITED not in review_page and "the manager's summary" not in review_page
    signals_page = text_of(erin.get("/insights/me/"))
    assert "the self review cites no evidence" in signals_page and UNCITED not in signals_page
    hidden = packet_signals(packet["review"])["assessment:leadership"]
    assert erin.get(f"/api/insights/signals/{hidden.pk}").status_code == 403
    listed = erin.get(f"/api/insights/people/{personas.erin.pk}/signals").json()
    assert hidden.pk not in {s["id"] for s in listed}
    refused = erin.post(f"/insights/signals/{hidden.pk}/review/", {"decision": "dismiss", "reason": "No."})
    assert refused.status_code == 403
    # The manager's API view lists it.
    managers = client_for(personas.mo).get(f"/api/insights/people/{personas.erin.pk}/signals").json()
    assert hidden.pk in {s["id"] for s in managers}


def test_a_dismissal_of_the_managers_draft_check_is_not_counted_on_the_persons_page(personas, packet, client_for):
    from brightline.insights.services import dismiss_signal

    run_for(personas.erin)
    hidden = packet_signals(packet["review"])["assessment:leadership"]
    dismiss_signal(actor=personas.mo, signal=hidden, reason="The on-call rota is the evidence; linking it.")
    assert "Dismissed so far: 0." in client_for(personas.erin).get("/insights/me/").content.decode()
    page = client_for(personas.mo).get(f"/insights/person/{personas.erin.pk}/").content.decode()
    assert "Dismissed so far: 1." in page
    # Her own dismissals count for her (her packet checks are information once her step has closed).
    dismiss_signal(actor=personas.erin, signal=make_signal(personas.erin, key="theme:ownership"),
                   reason="The context says why there is no link.")
    dismiss_signal(actor=personas.erin, signal=make_signal(personas.erin, key="theme:design"), reason="Not so.")
    assert "Dismissed so far: 2." in client_for(personas.erin).get("/insights/me/").content.decode()


def test_the_manager_dismisses_a_check_from_the_packet_page_and_returns_to_it(personas, packet, client_for):
    run_for(personas.erin)
    review = packet["review"]
    signal = packet_signals(review)["narrative:manager_summary"]
    response = client_for(personas.mo).post(f"/insights/signals/{signal.pk}/review/", {
        "decision": "dismiss", "reason": "The summary introduces the cited dimensions below.",
        "next": f"/reviews/r/{review.pk}/#packet-evidence"})
    assert response.status_code == 302 and response.url == f"/reviews/r/{review.pk}/#packet-evidence"
    signal.refresh_from_db()
    assert signal.status == "dismissed"
    assert AuditEntry.objects.filter(action="insights.signal.dismissed", actor_id=personas.mo.pk).exists()


def test_a_review_post_does_not_redirect_to_another_site(personas, packet, client_for):
    run_for(personas.erin)
    signal = make_signal(personas.erin)
    response = client_for(personas.erin).post(f"/insights/signals/{signal.pk}/review/", {
        "decision": "accept", "reason": "Fair, adding links.", "next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response.url == f"/insights/person/{personas.erin.pk}/"


@pytest.mark.parametrize("who", ["erin", "mo"])
def test_the_packets_authors_check_it_now_and_the_run_is_audited(personas, packet, client_for, who):
    author = getattr(personas, who)
    review = packet["review"]
    # A packet written before its checks ran on save (saves now check it; the button still runs everything).
    Signal.objects.filter(key__startswith=f"missing_evidence:packet:{review.pk}:").delete()
    response = client_for(author).post(f"/reviews/r/{review.pk}/check-packet/")
    assert response.status_code == 302 and response.url == f"/reviews/r/{review.pk}/#packet-evidence"
    assert len(packet_signals(review)) == 5
    entry = AuditEntry.objects.filter(action="insights.run.completed").last()
    assert entry.actor_id == author.pk and entry.data["scope"] == f"person:{personas.erin.pk}"


@pytest.mark.parametrize("who", ["pat", "lee", "pia", "oscar"])
def test_others_cannot_run_the_check(personas, packet, client_for, who):
    viewer = getattr(personas, who)
    response = client_for(viewer).post(f"/reviews/r/{packet['review'].pk}/check-packet/")
    assert response.status_code == 403 and personas.erin.name not in response.content.decode()
    assert not AuditEntry.objects.filter(action="insights.run.completed").exists()


# --- the checks follow every save of the packet, without a run ------------------------------------------------


@pytest.fixture
def self_review(personas):
    """Erin's 2026 H2 packet in the self-review phase and three accomplishments, one citing nothing; no run."""
    evidence = make_evidence(personas.erin, 3)
    chosen = [accomplishment(personas.erin, "Payout retries", evidence[:1]),
              accomplishment(personas.erin, "Ledger migration", evidence[1:2]),
              accomplishment(personas.erin, "Onboarding guide")]
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    return {"review": review_of(cycle, personas.erin), "chosen": chosen, "evidence": evidence}


@pytest.fixture
def no_model(monkeypatch):
    """Fail loudly if anything reads a language model or its weights."""
    from brightline.core import insights as core
    from brightline.insights import services as insight_services

    def refuse(*args, **kwargs):
        raise AssertionError("a packet check read a model")

    for module, name in ((insight_services, "theme_index"), (insight_services, "embed"), (core, "model_versions")):
        monkeypatch.setattr(module, name, refuse)


def submit_self_review(client, review, chosen, context):
    return client.post(f"/reviews/r/{review.pk}/self-review/",
                       {"accomplishments": [a.pk for a in chosen], "context": context}, follow=True)


def assess_on_page(client, review, dimension, rationale, outcome="meets"):
    return client.post(f"/reviews/r/{review.pk}/assess/",
                       {"dimension": dimension, "outcome": outcome, "rationale": rationale}, follow=True)


def test_submitting_the_self_review_checks_the_packet_at_once_without_a_model(personas, self_review, client_for,
                                                                              no_model):
    review, uncited = self_review["review"], self_review["chosen"][2]
    erin = client_for(personas.erin)
    page = text_of(submit_self_review(erin, review, self_review["chosen"], SELF_REVIEW))
    assert set(packet_signals(review)) == {"self_review:context", f"accomplishment:{uncited.pk}"}
    assert "the self review cites no evidence" in page.split('id="packet-evidence"')[1]
    assert not AuditEntry.objects.filter(action="insights.run.completed").exists()
    checked = AuditEntry.objects.filter(action="insights.packet.checked").last()
    assert checked.actor_id == personas.erin.pk and checked.data["review"] == review.pk
    assert packet_signals(review)["self_review:context"].model_version == ALGORITHM_VERSION
    # Citing evidence in the self review retires its check, as a run would: kept, no longer current.
    old = packet_signals(review)["self_review:context"]
    submit_self_review(erin, review, self_review["chosen"], f"{SELF_REVIEW} {self_review['evidence'][2].citation}")
    assert set(packet_signals(review)) == {f"accomplishment:{uncited.pk}"}
    old.refresh_from_db()
    assert old.is_current is False


def test_editing_a_chosen_accomplishment_refreshes_its_check(personas, self_review, client_for, no_model):
    review, uncited, evidence = self_review["review"], self_review["chosen"][2], self_review["evidence"]
    erin = client_for(personas.erin)
    submit_self_review(erin, review, self_review["chosen"], f"{SELF_REVIEW} {evidence[2].citation}")
    assert set(packet_signals(review)) == {f"accomplishment:{uncited.pk}"}
    response = erin.post(f"/growth/accomplishments/{uncited.pk}/edit/", {
        "period": uncited.period, "title": uncited.title, "situation": uncited.situation, "action": uncited.action,
        "result": uncited.result, "impact": uncited.impact, "impact_level": uncited.impact_level,
        "evidence": [evidence[2].pk], "measure": "", "measure_unit": ""})
    assert response.status_code == 302
    assert packet_signals(review) == {}
    # Removing it from the growth space leaves the packet with a chosen accomplishment that is gone: no check.
    erin.post(f"/growth/accomplishments/{self_review['chosen'][0].pk}/delete/")
    assert packet_signals(review) == {}


def test_the_managers_assessment_is_checked_on_save_and_stays_hidden_from_the_person(personas, packet, client_for):
    review, evidence = packet["review"], packet["evidence"]
    mo = client_for(personas.mo)
    page = text_of(assess_on_page(mo, review, "technical_excellence", "Her retry design held up under load."))
    assert "the manager's assessment of technical excellence cites no evidence" in page
    assert "assessment:technical_excellence" in packet_signals(review)
    erin_page = text_of(client_for(personas.erin).get(f"/reviews/r/{review.pk}/"))
    assert "technical excellence" not in erin_page.split('id="packet-evidence"')[1].split("</section>")[0]
    assess_on_page(mo, review, "technical_excellence", f"Her retry design held up under load {evidence[0].citation}.")
    assert "assessment:technical_excellence" not in packet_signals(review)


def test_promotion_readiness_without_evidence_is_checked_on_save(personas, packet, client_for):
    review = packet["review"]
    client_for(personas.mo).post(f"/reviews/r/{review.pk}/narrative/", {
        "summary": "Erin grew a lot this half.", "promotion_readiness": "not_yet",
        "promotion_rationale": "Next-level scope not shown yet."})
    check = packet_signals(review)["narrative:promotion_readiness"]
    assert check.statement.startswith("In the 2026 H2 review, the manager's promotion readiness cites no evidence")
    assert "promotion readiness" not in text_of(client_for(personas.erin).get("/insights/me/"))


def test_a_reviewed_check_keeps_its_review_while_its_claim_is_unchanged(personas, packet, client_for):
    from brightline.insights.services import run_insights

    review, evidence = packet["review"], packet["evidence"]
    mo = client_for(personas.mo)
    check = packet_signals(review)["assessment:leadership"]
    mo.post(f"/insights/signals/{check.pk}/review/", {"decision": "dismiss",
                                                       "reason": "The on-call rota shows it; linking it later."})
    rationale = review.assessments.get(dimension="leadership").rationale
    assess_on_page(mo, review, "leadership", rationale)
    assess_on_page(mo, review, "technical_excellence", "Her retry design held up under load.")
    run_insights(person=personas.erin, today=timezone.localdate() + timedelta(days=9))
    kept = packet_signals(review)["assessment:leadership"]
    assert kept.pk == check.pk and kept.status == "dismissed"
    # Once the claim cites evidence the check is retired with its review kept.
    assess_on_page(mo, review, "leadership", f"{rationale} {evidence[0].citation}")
    kept.refresh_from_db()
    assert "assessment:leadership" not in packet_signals(review)
    assert kept.is_current is False and kept.status == "dismissed"


def test_a_failed_save_leaves_no_new_check(personas, packet, monkeypatch):
    from brightline.insights import services as insight_services

    def fail(*args, **kwargs):
        raise RuntimeError("audit chain unavailable")

    monkeypatch.setattr(insight_services, "log_action", fail)
    review = packet["review"]
    with pytest.raises(RuntimeError):
        review_services.save_assessment(review, actor=personas.mo, dimension="technical_excellence", outcome="meets",
                                        rationale="Her retry design held up under load.")
    assert "assessment:technical_excellence" not in packet_signals(review)
    assert review.assessments.get(dimension="technical_excellence").rationale == ""
    assert not AuditEntry.objects.filter(action="reviews.assessment.saved",
                                         data_json__contains="technical_excellence").exists()


def asked_packet_checks(person):
    """The packet checks waiting for ``person``'s decision, as "Needs you now" counts them."""
    return Signal.objects.filter(owner=person, status="pending", is_current=True, is_finding=True,
                                 key__startswith="missing_evidence:packet:").count()


def erins_signal_items(person):
    from brightline.dashboards.inbox import inbox_for

    return [item.title for item in inbox_for(person) if item.kind == "signals"]


def test_closing_the_self_review_step_stops_asking_erin_about_her_packet(personas, self_review, client_for):
    from brightline.insights.services import review_counts

    review = self_review["review"]
    submit_self_review(client_for(personas.erin), review, self_review["chosen"], SELF_REVIEW)
    assert erins_signal_items(personas.erin) == ["2 AI signals about you wait for you to accept or dismiss"]
    assert review_counts()["missing_evidence"]["pending"] == 2
    assert "Check the review now" in text_of(client_for(personas.erin).get(f"/reviews/r/{review.pk}/"))
    advance_to(review.cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    # Her step has closed: nothing she could change would follow from a check, so it is not offered; the manager,
    # whose step is open, still has it.
    assert "Check the review now" not in text_of(client_for(personas.erin).get(f"/reviews/r/{review.pk}/"))
    assert "Check the review now" in text_of(client_for(personas.mo).get(f"/reviews/r/{review.pk}/"))
    # At the phase change, not only at the next run.
    assert erins_signal_items(personas.erin) == []
    assert review_counts().get("missing_evidence", {}).get("pending", 0) == 0
    checks = packet_signals(review)
    assert {key: (s.status, s.is_finding) for key, s in checks.items()} == {
        "self_review:context": ("pending", False), f"accomplishment:{self_review['chosen'][2].pk}": ("pending", False)}
    run_for(personas.erin)
    assert asked_packet_checks(personas.erin) == 0
    others = Signal.objects.filter(owner=personas.erin, status="pending", is_current=True, is_finding=True).count()
    assert erins_signal_items(personas.erin) == ([f"{others} AI signal{'s' if others != 1 else ''} about you "
                                                  f"{'wait' if others != 1 else 'waits'} for you to accept or dismiss"]
                                                 if others else [])
    assert {s.pk for s in packet_signals(review).values()} == {s.pk for s in checks.values()}
    # Shown as information on her page and the manager's, with no accept or dismiss.
    for who in (personas.erin, personas.mo):
        page = text_of(client_for(who).get(f"/reviews/r/{review.pk}/"))
        section = page.split('id="packet-evidence"')[1].split("</section>")[0]
        assert "the self review cites no evidence" in section and "“Onboarding guide”" in section
        assert section.count(PACKET_STEP_CLOSED["person"]) == 2
        assert 'name="decision"' not in section
    refused = client_for(personas.erin).post(f"/insights/signals/{checks['self_review:context'].pk}/review/",
                                             {"decision": "dismiss", "reason": "Too late."})
    assert refused.status_code in {200, 302, 400}
    assert Signal.objects.get(pk=checks["self_review:context"].pk).status == "pending"


def test_a_check_reviewed_before_the_step_closed_keeps_its_review(personas, self_review, client_for):
    review = self_review["review"]
    erin = client_for(personas.erin)
    submit_self_review(erin, review, self_review["chosen"], SELF_REVIEW)
    check = packet_signals(review)["self_review:context"]
    erin.post(f"/insights/signals/{check.pk}/review/", {"decision": "dismiss",
                                                         "reason": "The context explains the migration."})
    advance_to(review.cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    run_for(personas.erin)
    kept = packet_signals(review)["self_review:context"]
    assert kept.pk == check.pk and kept.status == "dismissed" and kept.reviewed_by == personas.erin
    assert AuditEntry.objects.filter(action="insights.signal.dismissed", subject_id=str(check.pk)).count() == 1


def test_the_managers_own_assessment_check_asks_the_manager_while_the_step_is_open(personas, packet):
    run_for(personas.erin)
    leadership = packet_signals(packet["review"])["assessment:leadership"]
    assert leadership.owner == personas.mo and leadership.is_finding
    assert asked_packet_checks(personas.erin) == 0
    from brightline.dashboards.inbox import inbox_for

    asked = [item.title for item in inbox_for(personas.mo) if item.kind == "signals"]
    assert "3 AI signals about Erin Employee wait for you to accept or dismiss" in asked
    # Once calibration starts the manager's step has closed too: the check is information at once.
    cycle = ready_for_calibration(personas, packet["review"].cycle)
    asked = list(Signal.objects.filter(owner=personas.mo, status="pending", is_current=True, is_finding=True,
                                       key__startswith="missing_evidence:packet:"))
    assert asked  # some claims of the manager's still cite nothing
    advance_to(cycle, Phase.CALIBRATION, personas.pia)
    assert asked_packet_checks(personas.mo) == 0
    for check in asked:
        check.refresh_from_db()
        assert check.step_closed and check.is_current and check.status == "pending"
        assert check.statement.endswith(PACKET_STEP_CLOSED["manager"])
