"""Promotion cases end to end: nomination, readiness evidence, panel with conflicts excluded, hidden pre-votes,
decision memo, appeal, permissions and logged reads, open roles and the rates report."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.utils import timezone

from brightline.audit.models import AccessLog, AuditEntry
from brightline.evidence.models import EvidenceItem
from brightline.people.models import Dimension, Person
from brightline.policy.services import update_policy
from brightline.promotions import services
from brightline.promotions.models import CaseAppeal, CaseCitation, CasePanelist, CaseStatus, PromotionCase

pytestmark = pytest.mark.django_db

_refs = itertools.count(1)
# Two quarters apart: evidence spread over time reads as "consistently".
EARLY = dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 8, 10, 12, tzinfo=dt.UTC)


def evidence(person: Person, when: dt.datetime) -> EvidenceItem:
    number = next(_refs)
    return EvidenceItem.objects.create(kind=EvidenceItem.Kind.DESIGN_DOC, title=f"Design {number}", person=person,
                                       team=person.team, occurred_at=when, source="manual", source_ref=f"p-{number}")


def ready_case(personas) -> tuple[PromotionCase, list[EvidenceItem]]:
    """Erin nominated by Mo, two items from two quarters cited on every expectation of IC3."""
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Leads the refunds redesign.")
    items = []
    for dimension in Dimension.values:
        for when in (EARLY, LATE):
            item = evidence(personas.erin, when)
            items.append(item)
            services.cite_for_promotion(case, actor=personas.mo, dimension=dimension,
                                        reference=f"evidence_item:{item.pk}", note=f"Shows {dimension} at IC3")
    return case, items


def olga(personas) -> Person:
    return personas.oscar.manager


def at_panel(personas) -> tuple[PromotionCase, list[EvidenceItem]]:
    case, items = ready_case(personas)
    services.seat_promotion_panel(case, actor=personas.pia,
                                  members=[personas.mo, personas.lee, personas.oscar, olga(personas)])
    return case, items


def decided(personas, decision: str = "not_yet") -> tuple[PromotionCase, list[EvidenceItem]]:
    case, items = at_panel(personas)
    services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="promoted")
    services.record_promotion_pre_vote(case, panelist=olga(personas), vote="not_yet", note="Scope still narrow")
    case = services.decide_promotion_case(case, actor=personas.pia, decision=decision, accountable=personas.pia,
                                          reason=f"Design work is strong [E:{items[0].pk}] but not yet broad.")
    return case, items


# --- Nomination and readiness ---


def test_a_manager_nominates_a_report_for_the_next_level_and_it_is_audited(personas, ladder):
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Owns refunds end to end.")
    assert (case.from_level.code, case.to_level.code, case.status) == ("IC2", "IC3", CaseStatus.NOMINATED)
    entry = AuditEntry.objects.get(action="promotions.case.nominated")
    assert entry.subject_person_id == personas.erin.pk and entry.actor_id == personas.mo.pk


def test_a_person_nominates_themself_but_a_peer_cannot(personas):
    services.nominate_for_promotion(personas.pat, actor=personas.pat, rationale="I run the incident rotation.")
    with pytest.raises(services.PromotionError, match=services.ERR_CANNOT_NOMINATE):
        services.nominate_for_promotion(personas.erin, actor=personas.pat, rationale="She is great.")


def test_a_second_open_case_and_an_empty_rationale_are_refused_and_nothing_is_written(personas):
    with pytest.raises(services.PromotionError, match=services.ERR_RATIONALE):
        services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="  ")
    assert not PromotionCase.objects.exists()
    services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Ready.")
    with pytest.raises(services.PromotionError, match="already has an open promotion case"):
        services.nominate_for_promotion(personas.erin, actor=personas.erin, rationale="Again.")
    assert PromotionCase.objects.count() == 1


def test_readiness_shows_which_expectations_have_enough_evidence_over_enough_quarters(personas):
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Ready.")
    for when in (EARLY, LATE):
        services.cite_for_promotion(case, actor=personas.erin, dimension="technical_excellence",
                                    reference=f"evidence_item:{evidence(personas.erin, when).pk}",
                                    note="Designed the ledger")
    for when in (LATE, LATE + dt.timedelta(days=3)):
        services.cite_for_promotion(case, actor=personas.mo, dimension="delivery_results",
                                    reference=f"evidence_item:{evidence(personas.erin, when).pk}")
    services.cite_for_promotion(case, actor=personas.mo, dimension="leadership",
                                reference=f"evidence_item:{evidence(personas.erin, EARLY).pk}")
    state = {row.dimension: row for row in services.readiness(case).expectations}
    assert len(state) == 4
    assert state["technical_excellence"].met
    assert state["delivery_results"].enough_citations and not state["delivery_results"].consistent
    assert not state["leadership"].enough_citations
    assert not state["judgment_communication"].cited
    assert not services.readiness(case).ready
    # The expectation text comes from the next level of the ladder.
    assert state["leadership"].expectation == case.to_level.competencies.get(dimension="leadership").expectation


def test_citing_someone_elses_evidence_or_an_unknown_expectation_is_refused(personas):
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Ready.")
    with pytest.raises(services.PromotionError, match="is not about Erin"):
        services.cite_for_promotion(case, actor=personas.mo, dimension="leadership",
                                    reference=f"evidence_item:{evidence(personas.pat, EARLY).pk}")
    with pytest.raises(services.PromotionError, match="is not an expectation of the next level"):
        services.cite_for_promotion(case, actor=personas.mo, dimension="charisma",
                                    reference=f"evidence_item:{evidence(personas.erin, EARLY).pk}")
    with pytest.raises(services.PromotionError, match=services.ERR_CANNOT_CITE):
        services.cite_for_promotion(case, actor=personas.pat, dimension="leadership",
                                    reference=f"evidence_item:{evidence(personas.erin, EARLY).pk}")
    assert not CaseCitation.objects.exists()


# --- Panel, conflicts, hidden pre-votes ---


def test_the_panel_excludes_the_management_chain_and_needs_two_members_without_a_conflict(personas):
    case, _ = ready_case(personas)
    with pytest.raises(services.PromotionError, match="this one has 1"):
        services.seat_promotion_panel(case, actor=personas.pia, members=[personas.mo, personas.lee, personas.oscar])
    assert not CasePanelist.objects.exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.NOMINATED
    services.seat_promotion_panel(case, actor=personas.pia,
                                  members=[personas.mo, personas.lee, personas.oscar, olga(personas)])
    conflicts = dict(case.panelists.values_list("person__name", "conflict"))
    assert conflicts == {"Mo Manager": "management_chain", "Lee Leader": "management_chain",
                         "Oscar Outsider": "", "Olga Othermanager": ""}
    with pytest.raises(services.PromotionError, match="is not on this case's panel without a conflict"):
        services.record_promotion_pre_vote(case, panelist=personas.mo, vote="promoted")
    with pytest.raises(services.PromotionError, match=services.ERR_NOT_PEOPLE_PARTNER.format(
            action="seat promotion panels")):
        services.seat_promotion_panel(case, actor=personas.mo, members=[personas.oscar, olga(personas)])


def test_pre_votes_stay_hidden_until_every_panelist_has_voted_and_the_trail_does_not_leak_them(personas):
    case, _ = at_panel(personas)
    services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="promoted")
    seen_by_olga = services.pre_votes(case, viewer=olga(personas))
    assert (seen_by_olga.voted, seen_by_olga.complete, seen_by_olga.votes, seen_by_olga.own) == (1, False, [], "")
    assert services.pre_votes(case, viewer=personas.oscar).own == "promoted"
    assert "promoted" not in AuditEntry.objects.get(action="promotions.prevote.recorded").data_json
    services.record_promotion_pre_vote(case, panelist=olga(personas), vote="not_yet")
    assert services.pre_votes(case, viewer=olga(personas)).complete
    with pytest.raises(services.PromotionError, match=services.ERR_VOTES_REVEALED):
        services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="not_yet")


def test_the_decision_waits_for_every_pre_vote(personas):
    case, items = at_panel(personas)
    services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="promoted")
    with pytest.raises(services.PromotionError, match=r"\(1 of 2\)"):
        services.decide_promotion_case(case, actor=personas.pia, decision="promoted", accountable=personas.pia,
                                       reason=f"Strong [E:{items[0].pk}]")


# --- Decision and memo ---


def test_a_decision_has_a_memo_with_reasons_citing_evidence_and_the_accountable_person(personas):
    case, items = decided(personas, "promoted")
    assert case.status == CaseStatus.DECIDED and case.accountable == personas.pia
    assert case.memo["citations"] == [f"evidence_item:{items[0].pk}"]
    assert case.memo["accountable"] == "Pia Partner" and case.memo["readiness"]["ready"] is True
    assert case.memo["dissent"] == [{"panelist": "Olga Othermanager", "vote": "not_yet", "note": "Scope still narrow"}]
    assert not case.memo["departs_from_readiness"]
    personas.erin.refresh_from_db()
    assert personas.erin.level.code == "IC3"
    assert AuditEntry.objects.filter(action="promotions.case.decided", subject_person_id=personas.erin.pk).exists()
    assert AuditEntry.objects.filter(action="people.person.level_changed").exists()


def test_a_decision_without_cited_case_evidence_is_refused_and_nothing_changes(personas):
    case, _ = at_panel(personas)
    services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="promoted")
    services.record_promotion_pre_vote(case, panelist=olga(personas), vote="promoted")
    with pytest.raises(services.PromotionError, match=re.escape(services.ERR_DECISION_CITES)):
        services.decide_promotion_case(case, actor=personas.pia, decision="promoted", accountable=personas.pia,
                                       reason="Clearly ready.")
    outside = evidence(personas.erin, LATE)
    with pytest.raises(services.PromotionError, match="is not cited in this case"):
        services.decide_promotion_case(case, actor=personas.pia, decision="promoted", accountable=personas.pia,
                                       reason=f"Ready [E:{outside.pk}]")
    with pytest.raises(services.PromotionError, match="without a conflict of interest, can record"):
        services.decide_promotion_case(case, actor=personas.mo, decision="promoted", accountable=personas.pia,
                                       reason="Ready")
    with pytest.raises(services.PromotionError, match="other than Erin"):
        services.decide_promotion_case(case, actor=personas.pia, decision="promoted", accountable=personas.erin,
                                       reason="Ready")
    case.refresh_from_db()
    personas.erin.refresh_from_db()
    assert (case.status, case.decision, personas.erin.level.code) == (CaseStatus.PANEL, "", "IC2")


# --- Appeal ---


def test_the_person_appeals_and_a_second_reviewer_outside_chain_and_panel_changes_the_decision(personas):
    case, _ = decided(personas, "not_yet")
    with pytest.raises(services.PromotionError, match=services.ERR_NOT_SELF):
        services.file_promotion_appeal(case, actor=personas.mo, context="She deserves it")
    appeal = services.file_promotion_appeal(case, actor=personas.erin, context="My on-call work was left out.")
    for refused in (personas.mo, personas.lee, personas.oscar, personas.erin):
        with pytest.raises(services.PromotionError, match="cannot review this appeal"):
            services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=refused)
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pat)
    with pytest.raises(services.PromotionError, match=services.ERR_NOT_APPEAL_REVIEWER):
        services.decide_promotion_appeal(appeal, reviewer=personas.pia, decision="changed", reason="x")
    services.decide_promotion_appeal(appeal, reviewer=personas.pat, decision="changed",
                                     reason="The on-call record shows it across both quarters.")
    case.refresh_from_db()
    personas.erin.refresh_from_db()
    assert case.decision == "promoted" and case.memo["appeal"]["from"] == "not_yet"
    assert personas.erin.level.code == "IC3"
    assert CaseAppeal.objects.get().status == "decided"
    assert AuditEntry.objects.filter(action="promotions.appeal.decided").exists()


def test_an_appeal_after_the_window_is_refused(personas):
    case, _ = decided(personas)
    late = timezone.localdate() + dt.timedelta(days=services.APPEAL_WINDOW_DAYS + 1)
    with pytest.raises(services.PromotionError, match="the appeal window closed"):
        services.file_promotion_appeal(case, actor=personas.erin, context="Late", today=late)


# --- Pages and permissions ---


def test_peers_outsiders_and_leaders_outside_the_chain_cannot_open_a_case(personas, client_for):
    case, _ = ready_case(personas)
    for persona in (personas.pat, personas.oscar):
        assert client_for(persona).get(f"/promotions/{case.pk}/").status_code == 403
        assert client_for(persona).get(f"/api/promotions/cases/{case.pk}").status_code == 403
    listed = client_for(personas.pat).get("/promotions/").content.decode()
    assert "Erin Employee" not in listed


def test_a_read_of_someone_elses_case_is_logged_in_their_access_log(personas, client_for):
    case, _ = ready_case(personas)
    assert client_for(personas.mo).get(f"/promotions/{case.pk}/").status_code == 200
    assert client_for(personas.pia).get(f"/api/promotions/cases/{case.pk}").status_code == 200
    reads = set(AccessLog.objects.filter(subject=personas.erin, record="promotions.case")
                .values_list("viewer__name", "via"))
    assert reads == {("Mo Manager", "web"), ("Pia Partner", "api")}
    client_for(personas.erin).get(f"/promotions/{case.pk}/")
    assert not AccessLog.objects.filter(viewer=personas.erin).exists()


def test_the_person_sees_readiness_before_and_the_decision_and_votes_only_after(personas, client_for):
    case, items = at_panel(personas)
    services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="promoted")
    services.record_promotion_pre_vote(case, panelist=olga(personas), vote="not_yet", note="Scope still narrow")
    erin = client_for(personas.erin)
    before = erin.get(f"/promotions/{case.pk}/").content.decode()
    assert "Readiness: ready" in before and "Scope still narrow" not in before and "Panel</h2>" not in before
    assert erin.get(f"/api/promotions/cases/{case.pk}/prevotes").status_code == 403
    services.decide_promotion_case(case, actor=personas.pia, decision="not_yet", accountable=personas.pia,
                                   reason=f"Strong design [E:{items[0].pk}], scope narrow.")
    after = erin.get(f"/promotions/{case.pk}/").content.decode()
    assert "Decision: Not yet" in after and "Finally accountable:</strong> Pia Partner" in after
    # The policy hides panelist names from the person by default: the dissent is there, the name is not.
    assert "Scope still narrow" in after and "Olga Othermanager: Scope" not in after
    assert "evidence_item:" not in after and "Design " in after
    labels = {vote["panelist"] for vote in services.pre_votes(case, viewer=personas.erin).votes}
    assert labels == {"Panelist 1", "Panelist 2"}
    body = erin.get(f"/api/promotions/cases/{case.pk}").json()
    assert body["decision"] == "not_yet" and body["memo"]["dissent"][0]["panelist"].startswith("Panelist ")


def test_the_person_sees_the_panelists_names_once_the_policy_names_them(personas, client_for):
    case, _ = decided(personas)
    erin = client_for(personas.erin)
    prevotes = f"/api/promotions/cases/{case.pk}/prevotes"
    assert {vote["panelist"] for vote in erin.get(prevotes).json()["votes"]} == {"Panelist 1", "Panelist 2"}

    update_policy(actor=personas.pia, reason="The panels agreed to be named.", prevote_names="named")

    names = {personas.oscar.name, olga(personas).name}
    assert {vote["panelist"] for vote in erin.get(prevotes).json()["votes"]} == names
    dissent = erin.get(f"/api/promotions/cases/{case.pk}").json()["memo"]["dissent"]
    assert {row["panelist"] for row in dissent} <= names and dissent


def test_the_whole_flow_through_the_pages(personas, client_for):
    mo, pia = client_for(personas.mo), client_for(personas.pia)
    response = mo.post(f"/promotions/nominate/{personas.erin.pk}/", {"rationale": "Leads refunds."})
    case = PromotionCase.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/promotions/{case.pk}/"
    items = []
    for dimension in Dimension.values:
        for when in (EARLY, LATE):
            items.append(evidence(personas.erin, when))
            mo.post(f"/promotions/{case.pk}/cite/", {"dimension": dimension, "reference": str(items[-1].pk),
                                                     "note": f"{dimension} at the next level"})
    assert services.readiness(case).ready
    members = [personas.mo.pk, personas.oscar.pk, olga(personas).pk]
    pia.post(f"/promotions/{case.pk}/panel/", {"members": members})
    for panelist in (personas.oscar, olga(personas)):
        client_for(panelist).post(f"/promotions/{case.pk}/pre-vote/", {"vote": "promoted"})
    refused = pia.post(f"/promotions/{case.pk}/decide/", {"decision": "promoted", "reason": "Ready",
                                                          "accountable": personas.pia.pk}, follow=True)
    assert "Nothing was saved" in refused.content.decode()
    pia.post(f"/promotions/{case.pk}/decide/", {"decision": "promoted", "reason": f"Ready [E:{items[0].pk}]",
                                                "accountable": personas.pia.pk})
    case.refresh_from_db()
    assert case.decision == "promoted" and case.status == CaseStatus.DECIDED


def test_a_bad_nomination_form_shows_the_error_and_writes_nothing(personas, client_for):
    response = client_for(personas.mo).post(f"/promotions/nominate/{personas.erin.pk}/", {"rationale": ""})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not PromotionCase.objects.exists()


# --- Open roles and the rates report ---


def test_open_roles_are_entered_by_people_partners_only_and_bad_input_is_refused(personas, ladder, client_for):
    with pytest.raises(services.PromotionError, match="only people partners"):
        services.set_open_roles(ladder["IC3"], actor=personas.mo, period="2026", count=2)
    with pytest.raises(services.PromotionError, match=services.ERR_COUNT):
        services.set_open_roles(ladder["IC3"], actor=personas.pia, period="2026", count="many")
    with pytest.raises(services.PromotionError, match="is not a year"):
        services.set_open_roles(ladder["IC3"], actor=personas.pia, period="26", count=2)
    pia = client_for(personas.pia)
    pia.post("/promotions/open-roles/", {"period": "2026", "level": "IC3", "count": "3"})
    response = pia.put("/api/promotions/open-roles", {"level": "IC4", "period": "2026", "count": 1},
                       content_type="application/json")
    assert response.status_code == 200
    assert client_for(personas.mo).get("/promotions/open-roles/").status_code == 403
    report = services.promotion_rates("2026")
    assert {row.level: row.open_roles for row in report.levels} == {"IC3": 3, "IC4": 1}
    assert AuditEntry.objects.filter(action="promotions.open_roles.set").count() == 2


def _nominate_many(personas, organisation, ladder, count: int) -> list[PromotionCase]:
    cases = []
    for number in range(count):
        person = Person.objects.create(organisation=organisation, employee_id=f"N-{number}", name=f"Nominee {number}",
                                       email=f"nominee{number}@example.org", manager=personas.mo,
                                       team=personas.mo.team, level=ladder["IC2"])
        cases.append(services.nominate_for_promotion(person, actor=personas.mo, rationale="Ready."))
    return cases


def test_the_rates_report_compares_nominated_ready_and_promoted_with_open_roles(personas, organisation, ladder,
                                                                                  client_for):
    cases = _nominate_many(personas, organisation, ladder, 5)
    # Decide two directly in the database state the services would write: one ready and promoted, one not ready.
    PromotionCase.objects.filter(pk=cases[0].pk).update(status="decided", decision="promoted", ready_at_decision=True)
    PromotionCase.objects.filter(pk=cases[1].pk).update(status="decided", decision="not_yet", ready_at_decision=False)
    services.set_open_roles(ladder["IC3"], actor=personas.pia, period=str(timezone.localdate().year), count=4)
    year = str(timezone.localdate().year)
    row = next(row for row in services.promotion_rates(year).levels if row.level == "IC3")
    assert (row.open_roles, row.nominated, row.ready, row.promoted, row.withheld) == (4, 5, 1, 1, False)
    assert (row.promoted_of_ready, row.promoted_of_open_roles) == (1.0, 0.25)
    page = client_for(personas.lee).get(f"/promotions/rates/?period={year}").content.decode()
    assert "<td>5</td>" in page and "25%" in page
    api = client_for(personas.pia).get(f"/api/promotions/rates?period={year}").json()
    assert api["levels"][0]["promoted_of_open_roles"] == 0.25


def test_the_rates_report_withholds_a_level_below_the_minimum_cohort(personas, organisation, ladder, client_for):
    update_policy(actor=personas.pia, reason="test", min_cohort_size=8)
    _nominate_many(personas, organisation, ladder, 7)
    year = str(timezone.localdate().year)
    row = next(row for row in services.promotion_rates(year).levels if row.level == "IC3")
    assert row.withheld and row.nominated is None and row.promoted is None
    page = client_for(personas.pia).get(f"/promotions/rates/?period={year}").content.decode()
    assert "withheld: fewer than 8 nominations" in page


def test_only_people_partners_and_leaders_read_the_rates(personas, client_for):
    for persona, expected in ((personas.erin, 403), (personas.mo, 403), (personas.lee, 200), (personas.pia, 200)):
        assert client_for(persona).get("/promotions/rates/").status_code == expected
        assert client_for(persona).get("/api/promotions/rates?period=2026").status_code == expected
    assert client_for(personas.pia).get("/api/promotions/rates").json()["period"] == str(timezone.localdate().year)
    assert client_for(personas.pia).get("/api/promotions/rates?period=20x6").status_code == 400


def test_the_persons_copy_of_their_data_holds_their_case_and_the_decision_once_decided(personas):
    from brightline.operations.data_rights import export_personal_data

    case, items = at_panel(personas)
    before = export_personal_data(personas.erin)["promotion_cases"]
    assert len(before) == 1 and before[0]["readiness"]["ready"] and "decision" not in before[0]
    services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="promoted")
    services.record_promotion_pre_vote(case, panelist=olga(personas), vote="promoted")
    services.decide_promotion_case(case, actor=personas.pia, decision="promoted", accountable=personas.pia,
                                   reason=f"Ready [E:{items[0].pk}]")
    after = export_personal_data(personas.erin)["promotion_cases"][0]
    assert after["decision"] == "Promoted" and after["memo"]["accountable"] == "Pia Partner"
