"""Checkpoints (B3) and 1:1 notes: who writes them, who reads them, and the audit entries."""

from __future__ import annotations

from datetime import date

import pytest

from brightline import access
from brightline.audit.models import AccessLog, AuditEntry
from brightline.feedback import services
from brightline.feedback.models import Checkpoint, OneOnOneNote

pytestmark = pytest.mark.django_db

KIND_WORDS = services.CheckpointInput(
    cadence="monthly", label="October 2026", held_on=date(2026, 10, 30),
    wins="Shipped the FX rate cache; p95 quote latency fell from 420 ms to 95 ms.",
    misses="The second review round took a week because stale-rate tests were missing.",
    impact="Quotes are fast for every currency.", next_steps="Lead the payout batching review.")


def test_a_manager_records_a_checkpoint_with_an_audit_entry(personas):
    checkpoint = services.record_checkpoint(actor=personas.mo, person=personas.erin, data=KIND_WORDS)
    stored = Checkpoint.objects.get()
    assert stored == checkpoint and stored.manager == personas.mo and stored.author == personas.mo
    assert stored.wins == KIND_WORDS.wins and stored.tone_label == "ok"
    entry = AuditEntry.objects.get(action="feedback.checkpoint.recorded")
    assert entry.actor_id == personas.mo.pk and entry.subject_person_id == personas.erin.pk
    assert entry.data["tone_label"] == "ok" and entry.data["label"] == "October 2026"


def test_the_person_records_their_own_checkpoint(personas):
    services.record_checkpoint(actor=personas.erin, person=personas.erin, data=KIND_WORDS)
    assert Checkpoint.objects.get().author == personas.erin


@pytest.mark.parametrize("writer", ["pat", "lee", "pia", "oscar"])
def test_only_the_person_and_their_direct_manager_record_checkpoints(personas, writer):
    with pytest.raises(services.NotAllowed, match=services.ERR_CHECKPOINT_NOT_ALLOWED):
        services.record_checkpoint(actor=getattr(personas, writer), person=personas.erin, data=KIND_WORDS)
    assert not Checkpoint.objects.exists()
    assert not AuditEntry.objects.filter(action="feedback.checkpoint.recorded").exists()


def test_an_empty_checkpoint_is_refused(personas):
    empty = services.CheckpointInput(cadence="quarterly", label="Q3", held_on=date(2026, 9, 30))
    with pytest.raises(services.FeedbackError, match=services.ERR_CHECKPOINT_EMPTY):
        services.record_checkpoint(actor=personas.mo, person=personas.erin, data=empty)


def test_a_checkpoint_is_recorded_in_the_browser(personas, client_for):
    response = client_for(personas.mo).post(f"/growth/{personas.erin.pk}/checkpoints/new/", {
        "cadence": "milestone", "label": "Ledger design agreed", "held_on": "2026-10-12",
        "wins": "Agreed the migration order with all 3 teams [E:3].", "misses": "", "impact": "", "next_steps": ""})
    assert response.status_code == 302
    assert Checkpoint.objects.get().label == "Ledger design agreed"
    page = client_for(personas.erin).get("/growth/").content.decode()
    assert "Ledger design agreed" in page and "Agreed the migration order" in page


def _note(personas) -> OneOnOneNote:
    return services.record_one_on_one_note(actor=personas.mo, person=personas.erin, held_on=date(2026, 10, 1),
                                           body="Erin wants to lead a cross-team design; moving her off the rota.")


def test_a_one_on_one_note_is_audited_without_its_text(personas):
    note = _note(personas)
    entry = AuditEntry.objects.get(action="feedback.one_on_one_note.recorded")
    assert entry.subject_id == str(note.pk) and entry.subject_person_id == personas.erin.pk
    assert "rota" not in entry.data_json


def test_one_on_one_notes_are_private_to_the_pair(personas):
    note = _note(personas)
    assert access.can_view_one_on_one_note(personas.erin, note)
    assert access.can_view_one_on_one_note(personas.mo, note)
    for outsider in (personas.lee, personas.pia, personas.pat, personas.oscar):
        assert not access.can_view_one_on_one_note(outsider, note)


@pytest.mark.parametrize("reader", ["lee", "pia", "pat", "oscar"])
def test_skip_levels_people_partners_and_peers_cannot_open_the_notes_page(personas, client_for, reader):
    _note(personas)
    response = client_for(getattr(personas, reader)).get(f"/growth/{personas.erin.pk}/notes/")
    assert response.status_code == 403
    assert "cross-team design" not in response.content.decode()


def test_the_pair_reads_the_notes_and_the_managers_read_is_logged(personas, client_for):
    _note(personas)
    assert "cross-team design" in client_for(personas.erin).get(f"/growth/{personas.erin.pk}/notes/").content.decode()
    assert "cross-team design" in client_for(personas.mo).get(f"/growth/{personas.erin.pk}/notes/").content.decode()
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin,
                                    record="feedback.one_on_one_notes").count() == 1


def test_a_new_manager_does_not_inherit_the_previous_pairs_notes(personas):
    note = _note(personas)
    personas.erin.manager = personas.pat
    personas.erin.save()
    assert not access.can_view_one_on_one_note(personas.pat, note)
    assert list(services.one_on_one_notes_for(personas.pat, personas.erin)) == []


def test_a_skip_level_cannot_write_a_one_on_one_note(personas):
    with pytest.raises(services.NotAllowed, match=services.ERR_NOTE_NOT_ALLOWED):
        services.record_one_on_one_note(actor=personas.lee, person=personas.erin, held_on=date(2026, 10, 1),
                                        body="Skip-level chat.")


def test_suggested_dates_reach_the_browser_written_year_first(personas, client_for):
    """A date field given "06/12/2026" shows empty in a browser; the suggested dates are written 2026-12-06."""
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    checkpoint = client_for(personas.mo).get(f"/growth/{personas.erin.pk}/checkpoints/new/").content.decode()
    assert f'type="date" name="held_on" value="{today}"' in checkpoint
    drafts = client_for(personas.mo).get("/growth/drafts/").content.decode()
    assert f'type="date" name="window_end" value="{today}"' in drafts
