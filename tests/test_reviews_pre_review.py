"""The employee pre-reviews and annotates her own packet before release (B6): she reads what her manager
cites, never an outcome, a pre-vote or a panelist's note; her notes reach her manager and the panel, and every
version of a note is kept."""

from __future__ import annotations

import re

import pytest

from brightline.audit.models import AuditEntry
from brightline.reviews import services
from brightline.reviews.models import PacketAnnotation, Phase
from brightline.reviews.services import preview as packet_notes
from tests.reviews_helpers import advance_to, cycle_in_calibration, make_evidence, olga, open_payments_cycle, review_of

pytestmark = pytest.mark.django_db


def test_she_reads_what_her_manager_cites_and_annotates_it_for_the_panel(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    services.record_pre_vote(review, panelist=personas.oscar, dimension="leadership", outcome="exceeds",
                             note="Private panel note: strong on-call record")
    erin = client_for(personas.erin)
    page = erin.get(f"/reviews/r/{review.pk}/packet/").content.decode()
    assert "What your manager cites" in page and "cut failed payouts by 30%" in page
    assert "Private panel note" not in page and "Exceeds" not in page and "Meets" not in page

    response = erin.post(f"/reviews/r/{review.pk}/packet/annotate/",
                         {"section": "leadership", "body": "The rollout also covered the EU payouts team."})
    assert response.status_code == 302
    first = PacketAnnotation.objects.get()
    number = review.packet_items.filter(kind="evidence_item").values_list("object_id", flat=True).first()
    erin.post(f"/reviews/r/{review.pk}/packet/annotate/",
              {"replaces": first.pk, "body": f"The rollout also covered the EU payouts team [E:{number}]."})
    assert PacketAnnotation.objects.count() == 2  # the first version is kept
    current = packet_notes.packet_annotations(review)
    assert len(current) == 1 and current[0]["label"] == "Leadership"
    assert [old.body for old in current[0]["history"]] == ["The rollout also covered the EU payouts team."]
    assert AuditEntry.objects.filter(action="reviews.packet.annotated").count() == 2
    # Changing an already changed version is refused: the history is a line, not a tree.
    with pytest.raises(services.ReviewError, match="already changed"):
        packet_notes.annotate_packet(review, actor=personas.erin, section="packet", body="again", replaces=first)

    for reader in (personas.mo, personas.oscar):
        seen = client_for(reader).get(f"/reviews/r/{review.pk}/packet/").content.decode()
        assert "Notes from Erin Employee" in seen and f"EU payouts team [E:{number}]" in seen
        assert 'name="replaces"' not in seen  # only she changes her notes


def test_only_she_annotates_and_only_until_calibration_ends(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    refused = client_for(personas.mo).post(f"/reviews/r/{review.pk}/packet/annotate/",
                                           {"section": "packet", "body": "Written by the manager"})
    assert refused.status_code == 302 and not PacketAnnotation.objects.exists()
    assert client_for(personas.pat).get(f"/reviews/r/{review.pk}/packet/").status_code == 403
    with pytest.raises(services.ReviewError, match="Write the note first"):
        packet_notes.annotate_packet(review, actor=personas.erin, section="packet", body="   ")
    with pytest.raises(services.ReviewError, match="Choose what the note is about"):
        packet_notes.annotate_packet(review, actor=personas.erin, section="salary", body="x")
    # A number that names no item of her evidence (a typo, or a colleague's item) is refused, not kept.
    pats = make_evidence(personas.pat, 1)[0]
    with pytest.raises(services.ReviewError, match=re.escape(f"[E:{pats.pk}], [E:999999] are not in your evidence")):
        packet_notes.annotate_packet(review, actor=personas.erin, section="packet",
                                     body=f"See [E:999999] and [E:{pats.pk}].")
    for other in cycle.reviews.exclude(pk=review.pk):
        services.record_pre_vote(other, panelist=olga(), dimension="leadership", outcome="meets")
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    assert cycle.phase == Phase.DECISION_MEMO
    with pytest.raises(services.ReviewError, match="until calibration ends"):
        packet_notes.annotate_packet(review, actor=personas.erin, section="packet", body="Too late")
    assert not PacketAnnotation.objects.exists()


def test_before_the_manager_submits_she_sees_her_own_part_and_her_self_review_evidence(personas, client_for):
    cycle = open_payments_cycle(personas)
    cycle = advance_to(cycle, Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.erin)
    items = make_evidence(personas.erin, 2)
    erin = client_for(personas.erin)
    page = erin.get(f"/reviews/r/{review.pk}/").content.decode()
    assert f"[E:{items[0].pk}]" in page and "Read what your reviewers will see, and add notes" in page
    review.self_review_context = f"I led the payouts retries {items[0].citation}."
    review.self_review_submitted_at = review.cycle.opened_at
    review.save()
    cycle = advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    page = erin.get(f"/reviews/r/{review.pk}/").content.decode()
    assert "I led the payouts retries" in page and f"[E:{items[1].pk}]" in page
    assert "add a note to what your reviewers will see" in page
    packet = erin.get(f"/reviews/r/{review.pk}/packet/").content.decode()
    assert "has not submitted the assessment yet" in packet and "What your manager cites" not in packet


def test_a_cycle_removed_by_retention_takes_every_version_of_her_notes_with_it(personas):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    first = packet_notes.annotate_packet(review, actor=personas.erin, section="packet", body="First.")
    packet_notes.annotate_packet(review, actor=personas.erin, section="packet", body="Second.", replaces=first)
    cycle.delete()
    assert not PacketAnnotation.objects.exists()


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_through_the_api_she_reads_her_packet_without_outcomes_and_annotates_it_like_on_the_page(
        personas, client_for):
    from brightline.audit.models import AccessLog

    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    services.record_pre_vote(review, panelist=personas.oscar, dimension="leadership", outcome="exceeds",
                             note="Private panel note: strong on-call record")
    erin = client_for(personas.erin)
    answer = erin.get(f"/api/reviews/reviews/{review.pk}/packet")
    assert answer.status_code == 200
    packet = answer.json()
    assert packet["pre_review"] is True and packet["manager_submitted"] is True
    assert "cut failed payouts by 30%" in answer.content.decode()
    assert "Private panel note" not in answer.content.decode()
    assert all(set(row) == {"dimension", "label", "rationale", "citations"} for row in packet["outcomes"])
    assert "readiness" not in packet["promotion"]

    notes = f"/api/reviews/reviews/{review.pk}/packet/notes"
    first = _post(erin, notes, {"section": "leadership", "body": "The rollout also covered the EU payouts team."})
    assert first.status_code == 201 and first.json()["label"] == "Leadership"
    number = review.packet_items.filter(kind="evidence_item").values_list("object_id", flat=True).first()
    second = _post(erin, notes, {"replaces": first.json()["id"], "body": f"It covered the EU team too [E:{number}]."})
    # A number that names none of her evidence is refused with the reason, as on the page.
    unknown = _post(erin, notes, {"section": "packet", "body": "See [E:999999]."})
    assert unknown.status_code == 400 and "[E:999999] is not in your evidence" in unknown.json()["detail"]
    assert second.status_code == 201 and second.json()["section"] == "leadership"
    assert [old["body"] for old in second.json()["earlier_versions"]] == [
        "The rollout also covered the EU payouts team."]
    again = _post(erin, notes, {"replaces": first.json()["id"], "body": "A third version."})
    assert again.status_code == 400 and "already changed" in again.json()["detail"]
    assert _post(erin, notes, {"section": "salary", "body": "x"}).status_code == 400
    assert AuditEntry.objects.filter(action="reviews.packet.annotated").count() == 2

    manager = client_for(personas.mo)
    read = manager.get(f"{notes}?limit=1").json()
    assert [note["body"] for note in read] == [f"It covered the EU team too [E:{number}]."]
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, via="api").exists()
    assert _post(manager, notes, {"section": "packet", "body": "Written by the manager"}).status_code == 403
    assert client_for(personas.pat).get(notes).status_code == 403
    assert PacketAnnotation.objects.count() == 2


def test_through_the_api_nothing_her_manager_wrote_shows_before_it_is_submitted_and_notes_close_with_calibration(
        personas, client_for):
    cycle = open_payments_cycle(personas)
    cycle = advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    review = review_of(cycle, personas.erin)
    review.cross_functional_impact = "Draft words the manager has not submitted."
    review.save()
    packet = client_for(personas.erin).get(f"/api/reviews/reviews/{review.pk}/packet").json()
    assert packet["manager_submitted"] is False and packet["cross_functional_impact"] == ""
    assert all(row["rationale"] == "" and row["citations"] == [] for row in packet["outcomes"])

    # A person is in one open cycle at a time: this one ends before the next opens.
    type(cycle).objects.filter(pk=cycle.pk).update(phase=Phase.CLOSED)
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    for other in cycle.reviews.exclude(pk=review.pk):
        services.record_pre_vote(other, panelist=olga(), dimension="leadership", outcome="meets")
    services.advance_cycle(cycle, actor=personas.pia)
    late = _post(client_for(personas.erin), f"/api/reviews/reviews/{review.pk}/packet/notes",
                 {"section": "packet", "body": "Too late"})
    assert late.status_code == 400 and "until calibration ends" in late.json()["detail"]
