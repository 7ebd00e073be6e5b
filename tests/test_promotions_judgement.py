"""What a tester found gamed or pre-decided on a promotion case: the nominator named finally accountable, the
same two items with the same note standing for all four expectations, a decision select pre-set to
"Promoted", a nominate list offering someone whose case is already with the panel, and no next step."""

from __future__ import annotations

import pytest

from brightline.people.models import Dimension
from brightline.promotions import services
from brightline.promotions.models import CaseCitation, CasePanelist, CaseStatus
from tests.test_promotions import EARLY, LATE, at_panel, evidence, olga, ready_case

pytestmark = pytest.mark.django_db


# --- Finally accountable: never someone the case's conflict rules exclude ---


def _voted(personas):
    case, items = at_panel(personas)
    services.record_promotion_pre_vote(case, panelist=personas.oscar, vote="promoted")
    services.record_promotion_pre_vote(case, panelist=olga(personas), vote="promoted")
    return case, items


def test_the_nominator_and_the_management_chain_cannot_be_finally_accountable(personas):
    case, items = _voted(personas)
    for excluded in (personas.mo, personas.lee):
        with pytest.raises(services.PromotionError, match=f"{excluded.name} cannot be finally accountable: they"):
            services.decide_promotion_case(case, actor=personas.pia, decision="promoted", accountable=excluded,
                                           reason=f"Ready [E:{items[0].pk}]")
    case.refresh_from_db()
    assert case.status == CaseStatus.PANEL and case.accountable is None
    decided = services.decide_promotion_case(case, actor=personas.pia, decision="promoted", accountable=personas.oscar,
                                             reason=f"Ready [E:{items[0].pk}]")
    assert decided.accountable == personas.oscar


def test_a_nominator_outside_the_chain_now_and_a_declared_conflict_are_refused_too(personas):
    case, items = _voted(personas)
    # Mo nominated Erin; were Mo to move off her line, the nomination still excludes him.
    assert services.accountable_refusal(personas.mo, case) is not None
    CasePanelist.objects.filter(case=case, person=personas.oscar).update(conflict=CasePanelist.Conflict.DECLARED)
    refusal = services.accountable_refusal(personas.oscar, case)
    assert refusal and "declared a conflict of interest" in refusal
    assert personas.oscar.pk in services.excluded_person_ids(case)


def test_the_decision_form_offers_no_excluded_person_and_preselects_nothing(personas, client_for):
    case, _ = _voted(personas)
    page = client_for(personas.pia).get(f"/promotions/{case.pk}/").content.decode()
    form = page[page.index('id="decision"'):]
    accountable = form[form.index('id="accountable"'):form.index("</select>", form.index('id="accountable"'))]
    for name in (personas.mo.name, personas.lee.name, personas.erin.name):
        assert name not in accountable
    assert personas.oscar.name in accountable and personas.pia.name in accountable
    assert '<option value="" selected>Choose…</option>' in accountable
    decision = form[:form.index("</select>")]
    assert 'required><option value="" selected>Choose…</option>' in decision


def test_a_decision_or_pre_vote_not_chosen_is_refused_with_a_clear_error(personas, client_for):
    case, items = at_panel(personas)
    oscar = client_for(personas.oscar)
    refused = oscar.post(f"/promotions/{case.pk}/pre-vote/", {"vote": ""}, follow=True).content.decode()
    assert "choose your pre-vote: promote or not yet" in refused
    shown = oscar.post(f"/promotions/{case.pk}/pre-vote/", {"vote": "not_yet"}, follow=True).content.decode()
    assert "you voted not yet" in shown and "You voted: not yet." in shown
    services.record_promotion_pre_vote(case, panelist=olga(personas), vote="promoted")
    pia = client_for(personas.pia)
    for form, message in (({"decision": "", "accountable": personas.oscar.pk}, "choose the decision"),
                          ({"decision": "promoted", "accountable": ""}, "choose the person finally accountable"),
                          ({"decision": "promoted", "accountable": personas.lee.pk},
                           "Lee Leader cannot be finally accountable")):
        body = pia.post(f"/promotions/{case.pk}/decide/", {**form, "reason": f"Ready [E:{items[0].pk}]"},
                        follow=True).content.decode()
        assert "Nothing was saved" in body and message in body
    case.refresh_from_db()
    assert case.status == CaseStatus.PANEL


# --- Readiness that cannot be gamed by repeating the same items and note ---


def test_the_same_two_items_with_the_same_note_under_every_expectation_are_not_ready(personas, client_for):
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Ready.")
    items = [evidence(personas.erin, EARLY), evidence(personas.erin, LATE)]
    # Written straight to the table, as a case cited before the rule existed would be.
    for dimension in Dimension.values:
        for item in items:
            CaseCitation.objects.create(case=case, dimension=dimension, kind="evidence_item", object_id=str(item.pk),
                                        note="Readiness: ready", added_by=personas.mo,
                                        occurred_on=item.occurred_at.date())
    state = services.readiness(case)
    assert not state.ready and state.distinct_items == 2
    counted = {row.dimension: row.counted for row in state.expectations}
    assert counted == {"technical_excellence": 2, "delivery_results": 2, "judgment_communication": 0,
                       "leadership": 0}
    assert not any(row.own_note for row in state.expectations)
    page = client_for(personas.mo).get(f"/promotions/{case.pk}/").content.decode()
    assert "Readiness: not yet ready" in page and "Why not yet ready:" in page
    assert "the note is copied from another expectation" in page
    assert "already counted towards 2 other expectations" in page


def test_an_item_is_refused_for_a_third_expectation(personas):
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Ready.")
    item = evidence(personas.erin, EARLY)
    for dimension in ("technical_excellence", "leadership"):
        services.cite_for_promotion(case, actor=personas.mo, dimension=dimension, reference=f"evidence_item:{item.pk}",
                                    note=f"{dimension} shown")
    with pytest.raises(services.PromotionError, match="already cited for leadership and technical excellence; "
                                                      "one item counts towards at most 2"):
        services.cite_for_promotion(case, actor=personas.mo, dimension="delivery_results",
                                    reference=f"evidence_item:{item.pk}")
    assert case.citations.count() == 2


def test_distinct_items_with_one_copied_note_everywhere_are_not_ready_until_each_says_its_own(personas):
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Ready.")
    cited = []
    for dimension in Dimension.values:
        for when in (EARLY, LATE):
            citation = services.cite_for_promotion(
                case, actor=personas.mo, dimension=dimension,
                reference=f"evidence_item:{evidence(personas.erin, when).pk}", note="Shows it at org scope.")
            cited.append(citation)
    state = services.readiness(case)
    assert not state.ready and all(row.enough_citations and row.consistent for row in state.expectations)
    assert [label for label, _ in state.missing()] == [str(label) for label in Dimension.labels]
    # Case and punctuation do not make a copy a note of its own; different words do.
    CaseCitation.objects.filter(pk=cited[0].pk).update(note="shows it at ORG scope")
    assert not services.readiness(case).ready
    for citation in cited[::2]:
        CaseCitation.objects.filter(pk=citation.pk).update(note=f"What {citation.dimension} looks like at IC3")
    assert services.readiness(case).ready


# --- The nominate list and the next step ---


def test_the_nominate_list_marks_a_report_whose_case_is_open(personas, client_for):
    case, _ = ready_case(personas)
    services.seat_promotion_panel(case, actor=personas.pia, members=[personas.oscar, olga(personas)])
    page = client_for(personas.mo).get("/promotions/").content.decode()
    nominate = page[page.index("<h2>Nominate</h2>"):]
    assert f"/promotions/nominate/{personas.erin.pk}/" not in nominate
    assert "already has an" in nominate and "(with the panel)" in nominate


def test_the_case_page_says_the_next_step_and_who_takes_it(personas, client_for):
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Ready.")
    page = client_for(personas.mo).get(f"/promotions/{case.pk}/").content.decode()
    assert "Next: a people partner (Pia Partner) seats a panel from outside Erin Employee" in page
    assert "the readiness below says what is missing" in page
    services.withdraw_promotion_case(case, actor=personas.mo, reason="Wrong time.")
    case, _ = at_panel(personas)
    page = client_for(personas.mo).get(f"/promotions/{case.pk}/").content.decode()
    assert "Next: each panelist records an independent pre-vote (0 of 2 so far)" in page


def test_the_nominate_page_lists_the_evidence_to_cite_and_the_panel_list_shows_levels_and_conflicts(
        personas, client_for):
    item = evidence(personas.erin, LATE)
    page = client_for(personas.mo).get(f"/promotions/nominate/{personas.erin.pk}/").content.decode()
    assert f"[E:{item.pk}] {item.title}" in page
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale=f"Led [E:{item.pk}].")
    page = client_for(personas.pia).get(f"/promotions/{case.pk}/").content.decode()
    members = page[page.index("<legend>Members</legend>"):page.index("</fieldset>", page.index("Members"))]
    lee = members[members.index(personas.lee.name):]
    assert lee.split("</label>")[0].endswith("— excluded: a conflict of interest</span>")
    oscar = members[members.index(personas.oscar.name):].split("</label>")[0]
    assert "excluded" not in oscar and f"({personas.oscar.level.title})" in oscar


def test_the_case_page_says_the_nominations_citations_count_once_cited_and_shows_the_numbers(personas, client_for):
    first, second = evidence(personas.erin, EARLY), evidence(personas.erin, LATE)
    why = f"Led the ledger design [E:{first.pk}] and the drill [E:{second.pk}]."
    case = services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale=why)
    page = client_for(personas.mo).get(f"/promotions/{case.pk}/").content.decode()
    assert f"items named in the nomination's reasons ([E:{first.pk}], [E:{second.pk}]) count once they are cited here" \
        in page
    assert f'<option value="evidence_item:{first.pk}">[E:{first.pk}] ' in page
