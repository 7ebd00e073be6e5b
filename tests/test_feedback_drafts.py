"""Drafts from evidence (C6): every sentence cites evidence, numbers only where the evidence holds them,
language-model output through the same validator with failures shown as rejected, human edit and
approval kept with provenance, and the fortnightly job."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from brightline.audit.models import AuditEntry
from brightline.core.narrative import REASON_NO_CITATION
from brightline.evidence.models import EvidenceItem, Incident, Service
from brightline.feedback import services
from brightline.feedback.models import Accomplishment, DraftEdit, ImpactDraft
from brightline.jobs.services import enqueue
from brightline.policy.services import update_policy

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "llm_chat_completion.json"
WINDOW = (date(2026, 9, 1), date(2026, 10, 31))


@pytest.fixture
def evidence(personas):
    """Erin's evidence with fixed ids: the recorded model answer cites 91001–91003."""
    rows = (
        (91001, EvidenceItem.Kind.MERGED_CHANGE, "Idempotent retries for card authorisation",
         "Retries now reuse the idempotency key, so a timed-out authorisation is never charged twice. Duplicate "
         "charges fell from 41 to 3 a week after release.", datetime(2026, 9, 3, 10, tzinfo=UTC)),
        (91002, EvidenceItem.Kind.INCIDENT_DEBRIEF, "Debrief: settlement file delayed by 6 hours",
         "The export now runs against a replica and pages after 30 minutes instead of 4 hours.",
         datetime(2026, 9, 28, 10, tzinfo=UTC)),
        (91003, EvidenceItem.Kind.MERGED_CHANGE, "Cache FX rates per currency pair",
         "p95 latency of the quote endpoint went from 420 ms to 95 ms for all 30 currencies.",
         datetime(2026, 10, 20, 10, tzinfo=UTC)),
    )
    return [EvidenceItem.objects.create(pk=pk, kind=kind, title=title, summary=summary, occurred_at=at,
                                        person=personas.erin, team=personas.erin.team, source="manual",
                                        source_ref=f"draft-test-{pk}") for pk, kind, title, summary, at in rows]


def test_the_offline_draft_cites_evidence_in_every_sentence_with_provenance(personas, evidence):
    draft = services.generate_impact_draft(person=personas.erin, window_start=WINDOW[0], window_end=WINDOW[1],
                                           requested_by=personas.erin)
    assert draft.generator == services.TEMPLATE_GENERATOR
    assert sorted(draft.evidence.values_list("pk", flat=True)) == [91001, 91002, 91003]
    assert len(draft.sentences) == 3 and draft.rejected_sentences == []
    assert all(s["cited_ids"] and f"[E:{s['cited_ids'][0]}]" in s["text"] for s in draft.sentences)
    entry = AuditEntry.objects.get(action="feedback.draft.generated")
    assert entry.data["generator"] == "template-v2" and entry.data["evidence"] == [91001, 91002, 91003]
    assert entry.actor_id == personas.erin.pk


def test_a_window_without_evidence_is_refused(personas, evidence):
    with pytest.raises(services.FeedbackError, match="no evidence about Erin Employee"):
        services.generate_impact_draft(person=personas.erin, window_start=date(2025, 1, 1),
                                       window_end=date(2025, 1, 31), requested_by=personas.erin)


def test_only_the_person_drafts_for_themself(personas, evidence):
    with pytest.raises(services.NotAllowed):
        services.generate_impact_draft(person=personas.erin, window_start=WINDOW[0], window_end=WINDOW[1],
                                       requested_by=personas.mo)


def test_edits_and_approval_are_kept_with_who_and_when(personas, evidence):
    draft = services.generate_impact_draft(person=personas.erin, window_start=WINDOW[0], window_end=WINDOW[1],
                                           requested_by=personas.erin)
    edited = "Erin made retries reuse the idempotency key; duplicate charges fell from 41 to 3 a week [E:91001]."
    services.edit_impact_draft(actor=personas.erin, draft=draft, text=edited)
    services.approve_impact_draft(actor=personas.erin, draft=draft)
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.approved_text == edited
    assert draft.approved_by == personas.erin and draft.approved_at is not None
    assert list(DraftEdit.objects.values_list("text", flat=True)) == [edited]
    assert len(draft.sentences) == 3  # what the generator wrote is kept as it was
    approved = AuditEntry.objects.get(action="feedback.draft.approved")
    assert approved.data["cited_evidence"] == ["91001"] and approved.data["edits"] == 1
    with pytest.raises(services.FeedbackError, match="already approved"):
        services.edit_impact_draft(actor=personas.erin, draft=draft, text=edited)


def test_approval_refuses_an_uncited_sentence_or_an_invented_number(personas, evidence):
    draft = services.generate_impact_draft(person=personas.erin, window_start=WINDOW[0], window_end=WINDOW[1],
                                           requested_by=personas.erin)
    with pytest.raises(services.FeedbackError, match="cites no evidence"):
        services.approve_impact_draft(actor=personas.erin, draft=draft, text="Erin is a strong engineer.")
    with pytest.raises(services.FeedbackError, match="'50'"):
        services.approve_impact_draft(actor=personas.erin, draft=draft,
                                      text="Duplicate charges fell from 50 to 3 a week [E:91001].")
    assert ImpactDraft.objects.get().status == "draft"
    with pytest.raises(services.NotAllowed):
        services.approve_impact_draft(actor=personas.mo, draft=draft)


class _RecordedModel(BaseHTTPRequestHandler):
    """Replays a recorded chat-completions answer; keeps what it was sent for the test to inspect."""

    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                    "body": json.loads(body)})
        payload = FIXTURE.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def language_model(monkeypatch, tmp_path):
    _RecordedModel.received = []
    server = HTTPServer(("127.0.0.1", 0), _RecordedModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    key_file = tmp_path / "llm_key"
    key_file.write_text("sk-test-secret\n", encoding="utf-8")
    monkeypatch.setenv("BRIGHTLINE_LLM_URL", f"http://127.0.0.1:{server.server_port}/v1/")
    monkeypatch.setenv("BRIGHTLINE_LLM_MODEL", "llama3.1:8b-instruct-q4_K_M")
    monkeypatch.setenv("BRIGHTLINE_LLM_API_KEY_FILE", str(key_file))
    yield _RecordedModel.received
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_language_model_is_off_until_the_policy_allows_it(personas, evidence, language_model):
    assert not services.llm_drafting_available()
    with pytest.raises(services.FeedbackError, match="drafting with a language model is off"):
        services.generate_impact_draft(person=personas.erin, window_start=WINDOW[0], window_end=WINDOW[1],
                                       requested_by=personas.erin, use_llm=True)
    assert language_model == []


def test_language_model_output_is_validated_and_failures_are_shown_as_rejected(personas, evidence, language_model,
                                                                               client_for):
    update_policy(actor=personas.pia, reason="pilot LLM drafting", ai_boundaries={"llm_drafting_enabled": True})
    draft = services.generate_impact_draft(person=personas.erin, window_start=WINDOW[0], window_end=WINDOW[1],
                                           requested_by=personas.erin, use_llm=True)
    sent = language_model[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-test-secret"
    assert sent["body"]["model"] == "llama3.1:8b-instruct-q4_K_M"
    prompt = "\n".join(message["content"] for message in sent["body"]["messages"])
    assert "[E:91001]" in prompt and "[E:91003]" in prompt and "p95 latency" in prompt
    assert "[E:<id>]" in prompt

    assert draft.generator == "llama3.1:8b-instruct-q4_K_M"
    accepted = [s["text"] for s in draft.accepted_sentences]
    rejected = {s["text"]: [issue["code"] for issue in s["issues"]] for s in draft.rejected_sentences}
    assert len(accepted) == 3 and "Duplicate charges fell from 41 to 3 a week after the release [E:91001]." in accepted
    assert rejected == {
        "Her FX rate cache cut p95 quote latency by 80% for all 30 currencies [E:91003].": ["unsupported_number"],
        "She is one of the strongest engineers on the payments team.": ["no_citation"],
    }
    assert REASON_NO_CITATION in [i["message"] for s in draft.rejected_sentences for i in s["issues"]]
    assert AuditEntry.objects.get(action="feedback.draft.generated").data["rejected"] == 2
    # The person sees the rejected sentences, labelled, and they are not in the text offered for approval.
    page = client_for(personas.erin).get(f"/growth/drafts/{draft.pk}/").content.decode()
    assert "REJECTED" in page and "by 80%" in page
    assert "80%" not in draft.current_text() and "strongest engineers" not in draft.current_text()


def test_the_drafts_page_generates_edits_and_approves(personas, evidence, client_for):
    erin = client_for(personas.erin)
    created = erin.post("/growth/drafts/", {"window_start": "2026-09-01", "window_end": "2026-10-31"})
    assert created.status_code == 302
    draft = ImpactDraft.objects.get()
    page = erin.get(created.url).content.decode()
    # Who wrote it, in words: the generator's stored version (template-v2) stays in the record.
    assert "Written by <strong>fixed sentence templates</strong>" in page and "template-v2" not in page
    assert "[E:91001]" in page
    bad = erin.post(created.url, {"action": "approve", "text": "Erin was brilliant."})
    assert "cites no evidence" in bad.content.decode()
    good = draft.accepted_sentences[0]["text"]
    assert erin.post(created.url, {"action": "approve", "text": good}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.approved_by == personas.erin
    assert client_for(personas.pat).get(created.url).status_code == 403


def test_the_fortnightly_job_drafts_for_everyone_with_recent_evidence(personas, evidence, time_machine):
    time_machine.move_to(datetime(2026, 10, 25, 6, tzinfo=UTC))
    run = enqueue("feedback.draft_impact_statements", window_days=14)
    assert run.status == "succeeded" and run.result["drafts"] == 1
    draft = ImpactDraft.objects.get()
    assert draft.person == personas.erin and draft.requested_by is None
    assert list(draft.evidence.values_list("pk", flat=True)) == [91003]  # only the last 14 days
    assert draft.window_start == date(2026, 10, 11) and draft.window_end == date(2026, 10, 25)
    assert AuditEntry.objects.get(action="feedback.draft.generated").actor_label == \
        "job:feedback.draft_impact_statements"


def _item(person, pk, kind, title, summary, day, *, source="git", source_ref=None, metrics=None):
    return EvidenceItem.objects.create(pk=pk, kind=kind, title=title, summary=summary, person=person,
                                       occurred_at=datetime(2026, 9, day, 10, tzinfo=UTC), team=person.team,
                                       service="refunds", source=source, source_ref=source_ref or f"c6-{pk}",
                                       metrics=metrics or {})


def test_the_draft_states_outcomes_from_linked_records_never_one_persons_line_counts(personas, client_for):
    erin = personas.erin
    # What the git source writes about a merged change: metadata and one person's activity counts.
    change = _item(erin, 130, EvidenceItem.Kind.MERGED_CHANGE, "Refund batch change 3",
                   "Commit f309a1b2c3d4 in refunds: 1 file(s), +1/-0 lines.", 2,
                   metrics={"files_changed": 1, "lines_added": 1, "lines_deleted": 0})
    lonely = _item(erin, 131, EvidenceItem.Kind.MERGED_CHANGE, "Bump lint config",
                   "Commit 77aa1b2c3d4e in refunds: 2 file(s), +9/-4 lines.", 3,
                   metrics={"files_changed": 2, "lines_added": 9, "lines_deleted": 4})
    handled = _item(erin, 132, EvidenceItem.Kind.INCIDENT_HANDLED, "Handled incident: Refund queue stalled",
                    "Severity sev2 on refunds.", 5, source="events", source_ref="incident:inc-77")
    service = Service.objects.create(name="refunds", team=erin.team)
    Incident.objects.create(service=service, title="Refund queue stalled", severity="sev2", source="events",
                            external_id="inc-77", opened_at=datetime(2026, 9, 5, 10, tzinfo=UTC),
                            resolved_at=datetime(2026, 9, 5, 10, 45, tzinfo=UTC), handled_by=erin)
    accomplishment = Accomplishment.objects.create(
        person=erin, period="2026-H2", title="Same-day refunds", situation="Refunds waited for a nightly batch.",
        action="Split the batch per merchant.", result="Refunds now reach customers the same day. Support was happy.",
        impact="Fewer refund tickets.", impact_level="business_outcome", measure="refund wait",
        measure_unit="hours", measure_before=26, measure_after=4)
    accomplishment.evidence.add(change)
    request = services.request_feedback(actor=erin, subject=erin, respondents=[(personas.pat, "peer")])
    answer = services.ResponseInput(what_they_did="Erin owned the refund queue stalled incident end to end.",
                                    impact="Merchants kept receiving refunds while the queue was drained.",
                                    one_thing_to_grow="Write the debrief sooner.")
    services.submit_feedback_response(actor=personas.pat, invitation=request.invitations.get(), data=answer)

    draft = services.generate_impact_draft(person=erin, window_start=date(2026, 9, 1), window_end=date(2026, 9, 30),
                                           requested_by=erin)
    texts = [s["text"] for s in draft.sentences]
    assert draft.rejected_sentences == [] and len(texts) == 2
    joined = " ".join(texts)
    for metadata in ("line", "file", "f309", "+1/-0", "77aa", "commit"):
        assert metadata not in joined.casefold()
    (on_change,) = [t for t in texts if "[E:130]" in t]
    assert "refunds now reach customers the same day" in on_change
    assert "refund wait went from 26 hours to 4 hours" in on_change
    (on_incident,) = [t for t in texts if "[E:132]" in t]
    assert "service restored 45 minutes after it was opened" in on_incident
    assert "feedback named it: Merchants kept receiving refunds while the queue was drained" in on_incident
    # The change with nothing outcome-like is context, not a claim.
    assert not any("[E:131]" in t for t in texts)
    assert AuditEntry.objects.get(action="feedback.draft.generated").data["context"] == [lonely.pk]
    page = client_for(erin).get(f"/growth/drafts/{draft.pk}/").content.decode()
    context_section = page[page.index('id="ctx"'):].split("</section>")[0]
    assert "Bump lint config" in context_section and "Refund batch change 3" not in context_section
    # What was drafted passes approval: the linked outcomes are part of the evidence it is checked against.
    services.approve_impact_draft(actor=erin, draft=draft)
    assert ImpactDraft.objects.get().status == "approved"
    assert handled.pk == 132
