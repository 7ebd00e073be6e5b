"""The audit trail is a hash chain: edits, deletions, reordering and truncation are all detected."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

from brightline.audit.models import AuditEntry, AuditHead
from brightline.audit.services import (
    REASON_ANCHOR,
    REASON_CONTENT,
    REASON_HEAD,
    REASON_LINK,
    log_action,
    verify_chain,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(personas):
    """Five entries after whatever the personas fixture logged."""
    for number in range(5):
        log_action("test.thing.changed", personas.pia, personas.erin, {"number": number, "reason": "because"})
    return AuditEntry.objects.order_by("seq")


def run_verify(*args: str) -> tuple[int, dict]:
    import io

    out = io.StringIO()
    try:
        call_command("audit", "verify", "--json", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, json.loads(out.getvalue())


def raw_update(sql: str, params: list) -> None:
    # Tamper the way an attacker with database access would: behind the ORM's back.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_log_action_links_each_entry_to_the_one_before(chain):
    entries = list(chain)
    assert entries[0].prev_hash == "0" * 64 or entries[0].seq > 1
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (entries[-1].seq, entries[-1].hash)


def test_an_entry_records_actor_subject_and_data(chain, personas):
    entry = chain.last()
    assert entry.actor_id == personas.pia.pk
    assert entry.subject_type == "people.person" and entry.subject_id == str(personas.erin.pk)
    assert entry.subject_person_id == personas.erin.pk
    assert entry.data == {"number": 4, "reason": "because"}


def test_an_intact_chain_verifies_from_the_command_line(chain):
    code, result = run_verify()
    assert code == 0
    assert result["ok"] is True and result["entries"] == chain.count()


def test_an_edited_entry_is_detected(chain):
    target = chain[2]
    raw_update("UPDATE audit_auditentry SET data_json = %s WHERE seq = %s", ['{"number":99}', target.seq])
    code, result = run_verify()
    assert code == 1
    assert result == {**result, "ok": False, "first_bad_entry": target.seq}
    assert result["reason"] == REASON_CONTENT.format(seq=target.seq)


def test_an_edited_actor_is_detected(chain):
    target = chain[1]
    raw_update("UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["someone else", target.seq])
    assert verify_chain().first_bad_entry == target.seq


def test_an_edited_entry_with_a_recomputed_own_hash_still_breaks_the_next_link(chain):
    from brightline.audit.services import hash_entry

    target = chain[1]
    target.action = "test.thing.forged"
    forged_hash = hash_entry(target)
    raw_update("UPDATE audit_auditentry SET action = %s, hash = %s WHERE seq = %s",
               ["test.thing.forged", forged_hash, target.seq])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_entry == target.seq + 1
    assert result.reason == REASON_LINK.format(seq=target.seq + 1)


def test_a_deleted_entry_is_detected(chain):
    target = chain[2]
    raw_update("DELETE FROM audit_auditentry WHERE seq = %s", [target.seq])
    result = verify_chain()
    assert not result.ok and result.first_bad_entry == target.seq + 1


def test_reordered_entries_are_detected(chain):
    first, second = chain[1], chain[2]
    # Swap two entries' positions through a temporary sequence number (seq is unique).
    raw_update("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [10_000, first.seq])
    raw_update("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [first.seq, second.seq])
    raw_update("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [second.seq, 10_000])
    result = verify_chain()
    assert not result.ok and result.first_bad_entry == first.seq


def test_removing_the_last_entries_is_detected_through_the_head(chain):
    last = chain.last()
    raw_update("DELETE FROM audit_auditentry WHERE seq = %s", [last.seq])
    result = verify_chain()
    assert not result.ok
    assert result.reason == REASON_HEAD.format(last=last.seq - 1, head=last.seq)


def test_truncation_with_a_rewritten_head_is_caught_by_an_outside_anchor(chain):
    anchor = verify_chain().head_hash
    last = chain.last()
    before_last = chain.get(seq=last.seq - 1)
    raw_update("DELETE FROM audit_auditentry WHERE seq = %s", [last.seq])
    raw_update("UPDATE audit_audithead SET seq = %s, hash = %s WHERE id = 1", [before_last.seq, before_last.hash])
    assert verify_chain().ok  # without the anchor the cut is invisible: that is why the anchor exists
    code, result = run_verify("--expect-head", anchor)
    assert code == 1
    assert result["reason"] == REASON_ANCHOR.format(actual=before_last.hash, expected=anchor)


def test_the_audit_trail_page_reports_a_broken_chain_to_a_people_partner(chain, personas, client_for):
    raw_update("UPDATE audit_auditentry SET data_json = %s WHERE seq = %s", ['{}', chain[0].seq])
    page = client_for(personas.pia).get("/audit/").content.decode()
    assert f"broken at entry {chain[0].seq}" in page


def test_an_entry_failing_inside_a_rolled_back_transaction_leaves_no_trace(personas):
    from django.db import transaction

    count = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        log_action("test.thing.changed", personas.pia, personas.erin, {"n": 1})
        raise RuntimeError("the change failed")
    assert AuditEntry.objects.count() == count
    assert verify_chain().ok


def test_the_audit_trail_page_names_actions_and_subjects_in_words(personas, client_for):
    log_action("people.sso.refused", None, personas.erin, {"reason": "no such person"})
    log_action("fairness.survey_answers.imported", personas.pia, None, {"rows": 3})
    page = client_for(personas.pia).get("/audit/").content.decode()
    assert "People: single sign-on refused" in page and "Fairness: survey answers imported" in page
    assert personas.erin.name in page
    assert "people.sso.refused" not in page and "survey_answers" not in page and "people.person" not in page


def test_the_audit_trail_page_names_system_actors_and_dates_in_words(personas, client_for):
    log_action("insights.run.finished", None, None, {"signals": 3}, actor_label="demo:insights")
    log_action("insights.run.finished", None, None, {"signals": 4}, actor_label="job:insights.run")
    log_action("people.import.finished", None, None, {"rows": 2}, actor_label="cli:ops")
    log_action("rollups.refresh.finished", None, None, {"rows": 2}, actor_label="job:rollups.refresh")
    log_action("people.person.changed", personas.pia, personas.erin, {"reason": "moved team"})
    page = client_for(personas.pia).get("/audit/").content.decode()
    assert "The demo loader&#x27;s AI signals run" in page and "The nightly AI signals run" in page
    assert "The command line, as account ops" in page and "A background job (rollups refresh)" in page
    assert f"{personas.pia.name} &lt;{personas.pia.email}&gt;" in page
    assert "demo:insights" not in page and "job:" not in page and "cli:ops" not in page
    when = AuditEntry.objects.latest("seq").created_at
    assert f"{when.day} {when:%b %Y} {when:%H:%M}" in page and when.date().isoformat() not in page


def test_a_person_s_own_label_and_an_empty_label_read_as_who_they_are():
    from brightline.audit.models import actor_in_words

    assert actor_in_words("Pia Quinn <pia@example.org>") == "Pia Quinn <pia@example.org>"
    assert actor_in_words("single sign-on") == "Single sign-on"
    assert actor_in_words("") == "Brightline itself" and actor_in_words("system") == "Brightline itself"
    assert actor_in_words("admin:root") == "The admin site, as account root"
