"""Drafted impact statements reviewed together (C6): the person and their manager each accept, edit or reject
every sentence, every decision kept with who, when and the text before and after; only the person and their
management chain take part; a read of someone else's draft is logged; an edit must still cite its evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from brightline.audit.models import AccessLog, AuditEntry
from brightline.evidence.models import EvidenceItem
from brightline.feedback import draft_review, services
from brightline.feedback.models import DraftSentenceDecision, ImpactDraft

pytestmark = pytest.mark.django_db

WINDOW = (date(2026, 9, 1), date(2026, 10, 31))


@pytest.fixture
def draft(personas):
    rows = (
        (92001, EvidenceItem.Kind.MERGED_CHANGE, "Idempotent retries for card authorisation",
         "Retries now reuse the idempotency key. Duplicate charges fell from 41 to 3 a week after release.",
         datetime(2026, 9, 3, 10, tzinfo=UTC)),
        (92003, EvidenceItem.Kind.MERGED_CHANGE, "Cache FX rates per currency pair",
         "p95 latency of the quote endpoint went from 420 ms to 95 ms for all 30 currencies.",
         datetime(2026, 10, 20, 10, tzinfo=UTC)),
    )
    for pk, kind, title, summary, at in rows:
        EvidenceItem.objects.create(pk=pk, kind=kind, title=title, summary=summary, occurred_at=at,
                                    person=personas.erin, team=personas.erin.team, source="manual",
                                    source_ref=f"review-test-{pk}")
    made = services.generate_impact_draft(person=personas.erin, window_start=WINDOW[0], window_end=WINDOW[1],
                                          requested_by=personas.erin)
    assert len(made.sentences) == 2 and not made.rejected_sentences
    return made


def test_a_sentence_is_kept_once_the_person_and_the_manager_both_accept_it(personas, draft):
    draft_review.decide_sentence(actor=personas.erin, draft=draft, index=0, action="accept")
    assert draft_review.sentence_reviews(draft)[0].status == "waiting"
    assert draft_review.sentence_reviews(draft)[0].waiting_for == ["manager"]
    draft_review.decide_sentence(actor=personas.lee, draft=draft, index=0, action="accept")  # the chain above Mo
    draft_review.decide_sentence(actor=personas.mo, draft=draft, index=1, action="reject", reason="not this half")
    reviews = draft_review.sentence_reviews(draft)
    assert [r.status for r in reviews] == ["agreed", "rejected"]
    assert draft_review.agreed_text(reviews) == draft.sentences[0]["text"]
    entry = AuditEntry.objects.filter(action="feedback.draft.sentence_decided").last()
    assert entry.actor_id == personas.mo.pk
    assert entry.data == {"sentence": 2, "side": "manager", "action": "reject", "cited_evidence": [],
                          "changed": False, "decision": entry.data["decision"]}


def test_an_edit_is_kept_with_before_and_after_and_asks_the_other_side_again(personas, draft):
    original = draft.sentences[0]["text"]
    draft_review.decide_sentence(actor=personas.erin, draft=draft, index=0, action="accept")
    edited = "Duplicate charges fell from 41 to 3 a week once retries reused the idempotency key [E:92001]."
    decision = draft_review.decide_sentence(actor=personas.mo, draft=draft, index=0, action="edit", text=edited)
    assert (decision.text_before, decision.text_after, decision.decided_by, decision.side) == (
        original, edited, personas.mo, "manager")
    assert decision.cited_ids == ["92001"] and decision.decided_at is not None
    review = draft_review.sentence_reviews(draft)[0]
    assert review.text == edited and review.status == "waiting" and review.waiting_for == ["person"]
    draft_review.decide_sentence(actor=personas.erin, draft=draft, index=0, action="accept")
    assert draft_review.sentence_reviews(draft)[0].status == "agreed"
    history = list(DraftSentenceDecision.objects.filter(draft=draft).values_list("side", "action", "text_after"))
    assert history == [("person", "accept", original), ("manager", "edit", edited), ("person", "accept", edited)]


def test_an_edited_sentence_must_cite_its_evidence_and_nothing_is_written_otherwise(personas, draft):
    before = AuditEntry.objects.count()
    with pytest.raises(services.FeedbackError) as refused:
        draft_review.decide_sentence(actor=personas.mo, draft=draft, index=0, action="edit",
                                     text="Erin is a great engineer who always delivers.")
    assert str(refused.value).startswith(draft_review.ERR_SENTENCE_INVALID.split("{")[0])
    with pytest.raises(services.FeedbackError, match="number '7' does not appear"):
        draft_review.decide_sentence(actor=personas.mo, draft=draft, index=0, action="edit",
                                     text="Duplicate charges fell from 41 to 7 a week [E:92001].")
    with pytest.raises(services.FeedbackError, match=draft_review.ERR_NO_SUCH_SENTENCE.format(number=3)):
        draft_review.decide_sentence(actor=personas.mo, draft=draft, index=2, action="accept")
    assert not DraftSentenceDecision.objects.exists() and AuditEntry.objects.count() == before


@pytest.mark.parametrize("who", ["pat", "oscar", "pia"])
def test_only_the_person_and_their_management_chain_review_the_draft(personas, draft, who):
    with pytest.raises(services.NotAllowed, match=draft_review.ERR_REVIEW_NOT_ALLOWED):
        draft_review.decide_sentence(actor=getattr(personas, who), draft=draft, index=0, action="accept")


def test_an_approved_draft_takes_no_more_decisions(personas, draft):
    services.approve_impact_draft(actor=personas.erin, draft=draft)
    with pytest.raises(services.FeedbackError, match="already approved"):
        draft_review.decide_sentence(actor=personas.mo, draft=draft, index=0, action="accept")


def test_the_person_takes_the_agreed_sentences_as_the_drafts_text(personas, draft):
    with pytest.raises(services.FeedbackError, match="2 sentence"):
        draft_review.adopt_agreed_text(actor=personas.erin, draft=draft)
    for index, action in ((0, "accept"), (1, "reject")):
        draft_review.decide_sentence(actor=personas.erin, draft=draft, index=index, action=action)
        draft_review.decide_sentence(actor=personas.mo, draft=draft, index=index, action="accept")
    with pytest.raises(services.NotAllowed):
        draft_review.adopt_agreed_text(actor=personas.mo, draft=draft)
    draft_review.adopt_agreed_text(actor=personas.erin, draft=draft)
    assert ImpactDraft.objects.get(pk=draft.pk).current_text() == draft.sentences[0]["text"]


def test_the_review_page_logs_the_managers_read_and_keeps_a_decision(personas, draft, client_for):
    page = client_for(personas.mo).get(f"/growth/drafts/{draft.pk}/review/")
    assert page.status_code == 200 and "Sentence 1" in page.content.decode()
    assert list(AccessLog.objects.filter(subject=personas.erin).values_list("viewer", "record", "via")) == [
        (personas.mo.pk, "feedback.draft", "web")]
    answer = client_for(personas.mo).post(f"/growth/drafts/{draft.pk}/review/",
                                          {"sentence": "1", "action": "edit", "text": "Erin did great work."})
    assert answer.status_code == 400 and "passes the evidence check" in answer.content.decode()
    answer = client_for(personas.mo).post(f"/growth/drafts/{draft.pk}/review/", {"sentence": "2", "action": "accept"})
    assert answer.status_code == 302
    assert DraftSentenceDecision.objects.get().decided_by == personas.mo
    assert client_for(personas.pat).get(f"/growth/drafts/{draft.pk}/review/").status_code == 403
    assert client_for(personas.oscar).post(f"/growth/drafts/{draft.pk}/review/",
                                           {"sentence": "1", "action": "accept"}).status_code == 403
    assert DraftSentenceDecision.objects.count() == 1


def test_the_api_reviews_sentences_lists_every_decision_by_page_and_logs_reads(personas, draft, client_for):
    manager = client_for(personas.mo)
    url = f"/api/feedback/drafts/{draft.pk}"
    assert manager.post(f"{url}/sentences/1/decision", {"action": "accept"},
                        content_type="application/json").status_code == 201
    edited = "p95 latency of the quote endpoint went from 420 ms to 95 ms [E:92003]."
    made = manager.post(f"{url}/sentences/2/decision", {"action": "edit", "text": edited},
                        content_type="application/json")
    assert made.status_code == 201 and made.json()["text_after"] == edited and made.json()["decided_by"] == "Mo Manager"
    refused = manager.post(f"{url}/sentences/2/decision", {"action": "edit", "text": "Erin is fast."},
                           content_type="application/json")
    assert refused.status_code == 400 and "evidence check" in refused.json()["detail"]
    shown = manager.get(url).json()
    assert [s["status"] for s in shown["sentences"]] == ["waiting", "waiting"]
    assert shown["sentences"][1]["text"] == edited and shown["sentences"][1]["waiting_for"] == ["person"]
    first_page = manager.get(f"{url}/decisions?limit=1").json()
    second_page = manager.get(f"{url}/decisions?limit=1&offset=1").json()
    assert [d["action"] for d in first_page + second_page] == ["accept", "edit"]
    assert [d["id"] for d in manager.get(f"/api/feedback/drafts?person_id={personas.erin.pk}").json()] == [draft.pk]
    assert AccessLog.objects.filter(subject=personas.erin, viewer=personas.mo, record="feedback.draft",
                                    via="api").count() == 7  # 3 decisions, 4 reads
    outsider = client_for(personas.oscar)
    assert outsider.get(url).status_code == 403
    assert outsider.post(f"{url}/sentences/1/decision", {"action": "reject"},
                         content_type="application/json").status_code == 403
    assert DraftSentenceDecision.objects.count() == 2


def test_the_persons_copy_of_their_data_holds_every_decision_on_their_drafts(personas, draft):
    from brightline.operations.data_rights import export_personal_data

    draft_review.decide_sentence(actor=personas.mo, draft=draft, index=0, action="reject", reason="Too broad.")
    [exported] = export_personal_data(personas.erin)["impact_drafts"]
    [decision] = exported["sentence_decisions"]
    assert (decision["side"], decision["action"], decision["reason"], decision["decided_by"]) == (
        "Their manager", "Rejected", "Too broad.", "Mo Manager")


def test_a_decision_waits_in_the_other_sides_needs_you_now_with_its_link_until_they_decide(personas, draft,
                                                                                             client_for):
    from brightline.dashboards.inbox import inbox_for

    def waiting(person):
        return [item for item in inbox_for(person) if item.kind == "draft_review"]

    url = f"/growth/drafts/{draft.pk}/review/"
    assert waiting(personas.erin) == [] and waiting(personas.mo) == []  # nobody decided yet: nothing to announce
    draft_review.decide_sentence(actor=personas.erin, draft=draft, index=0, action="accept")
    draft_review.decide_sentence(actor=personas.erin, draft=draft, index=1, action="reject", reason="not mine")
    [item] = waiting(personas.mo)
    assert item.url == url and item.title == (
        "Erin Employee decided on 2 sentences of their drafted impact statements: decide on them")
    assert waiting(personas.erin) == [] and waiting(personas.lee) == []  # the direct manager is asked, once
    assert client_for(personas.mo).get(item.url).status_code == 200
    draft_review.decide_sentence(actor=personas.mo, draft=draft, index=0, action="accept")
    [item] = waiting(personas.mo)
    assert item.title.startswith("Erin Employee decided on 1 sentence of")
    edited = "Duplicate charges fell from 41 to 3 a week once retries reused the idempotency key [E:92001]."
    draft_review.decide_sentence(actor=personas.mo, draft=draft, index=1, action="edit", text=edited)
    assert waiting(personas.mo) == []  # decided: gone from the manager's list
    [item] = waiting(personas.erin)  # the edit asks the person again
    assert item.url == url and item.title == (
        "Your manager decided on 1 sentence of your drafted impact statements: decide on it")
    draft_review.decide_sentence(actor=personas.erin, draft=draft, index=1, action="accept")
    assert waiting(personas.erin) == [] and waiting(personas.mo) == []
