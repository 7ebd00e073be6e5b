"""The access log is a hash chain too, and signed checkpoints anchor both chains against a full rewrite."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from brightline import env
from brightline.audit.models import AccessHead, AccessLog, AuditCheckpoint, AuditEntry, AuditHead
from brightline.audit.services import (
    READ_GAP,
    READ_HEAD,
    REASON_CHECKPOINTS_REMOVED,
    REASON_KEY,
    REASON_REWRITTEN,
    entry_content,
    hash_access,
    log_action,
    record_access,
    verify_access_log,
    verify_all,
    verify_chain,
)

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("audit", *args, "--json", stdout=out)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, json.loads(out.getvalue())


def sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def reads(personas):
    for record in ("people.profile", "feedback.growth", "reviews.review", "people.profile", "support.plan"):
        record_access(personas.mo, personas.erin, record, via="web")
    return AccessLog.objects.order_by("seq")


def test_each_read_links_to_the_one_before(reads):
    rows = list(reads)
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    assert all(hash_access(row) == row.hash for row in rows)
    assert verify_access_log().ok
    code, result = run("verify")
    assert code == 0 and result["ok"] is True and result["access_log"]["entries"] == len(rows)


def test_deleting_a_read_from_a_persons_log_is_detected(reads):
    target = reads[2]
    sql("DELETE FROM audit_accesslog WHERE seq = %s", [target.seq])
    code, result = run("verify")
    assert code == 1 and result["ok"] is False
    assert result["audit_ok"] is True
    assert result["access_log"]["first_bad_entry"] == target.seq + 1
    assert result["access_log"]["reason"] == READ_GAP.format(found=target.seq + 1, expected=target.seq)


def test_deleting_the_newest_reads_is_detected_through_the_head(reads):
    last = reads.last()
    sql("DELETE FROM audit_accesslog WHERE seq = %s", [last.seq])
    result = verify_access_log()
    assert not result.ok and result.reason == READ_HEAD.format(last=last.seq - 1, head=last.seq)


def test_an_edited_read_is_detected(reads):
    sql("UPDATE audit_accesslog SET viewer_label = %s WHERE seq = %s", ["nobody", reads[1].seq])
    assert verify_access_log().first_bad_entry == reads[1].seq


def _rewrite_audit_chain_from(seq: int, action: str) -> None:
    """What an attacker with the database but not the key does: edit one entry and recompute every later hash."""
    previous = AuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        if entry.seq == seq:
            entry.action = action
        content = entry_content(seq=entry.seq, created_at=entry.created_at, action=entry.action,
                                actor_id=entry.actor_id, actor_label=entry.actor_label,
                                subject_type=entry.subject_type, subject_id=entry.subject_id,
                                subject_person_id=entry.subject_person_id, data_json=entry.data_json,
                                prev_hash=previous)
        new_hash = hashlib.sha256(content.encode()).hexdigest()
        sql("UPDATE audit_auditentry SET action = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [entry.action, previous, new_hash, entry.seq])
        previous = new_hash
    sql("UPDATE audit_audithead SET hash = %s WHERE id = 1", [previous])


def test_a_chain_rewritten_from_an_edited_entry_fails_at_the_signed_checkpoint(personas):
    for number in range(6):
        log_action("test.thing.changed", personas.pia, personas.erin, {"number": number})
    code, written = run("checkpoint")
    assert code == 0
    signed_at = AuditHead.objects.get(pk=1).seq
    assert {"chain": "audit", "seq": signed_at, "hash": AuditHead.objects.get(pk=1).hash} in written["checkpoints"]
    log_action("test.thing.changed", personas.pia, personas.erin, {"number": 6})

    _rewrite_audit_chain_from(signed_at - 3, "test.thing.forged")

    result = verify_chain()  # no --expect-head
    assert not result.ok
    assert result.first_bad_entry == signed_at
    assert result.reason == REASON_REWRITTEN.format(seq=signed_at)
    code, report = run("verify")
    assert code == 1 and report["first_bad_entry"] == signed_at


@override_settings(AUDIT_CHECKPOINT_EVERY=4)
def test_writers_sign_a_checkpoint_every_n_entries_and_removing_them_is_detected(personas):
    for number in range(9):
        log_action("test.thing.changed", personas.pia, personas.erin, {"number": number})
    head = AuditHead.objects.get(pk=1).seq
    signed = list(AuditCheckpoint.objects.filter(chain="audit").values_list("seq", flat=True))
    assert signed == [seq for seq in range(1, head + 1) if seq % 4 == 0]
    assert verify_chain().ok

    _rewrite_audit_chain_from(2, "test.thing.forged")
    AuditCheckpoint.objects.filter(chain="audit").delete()
    result = verify_chain()
    assert not result.ok
    assert result.reason == REASON_CHECKPOINTS_REMOVED.format(seq=0, last=head)


@override_settings(AUDIT_CHECKPOINT_EVERY=3)
def test_a_rewritten_access_log_fails_at_its_checkpoint(personas):
    for record in ("people.profile", "feedback.growth", "reviews.review", "people.profile", "support.plan"):
        record_access(personas.mo, personas.erin, record, via="api")
    assert AccessLog.objects.count() == 5 and AuditCheckpoint.objects.filter(chain="access", seq=3).exists()
    previous = AccessLog.objects.get(seq=1).hash
    for read in AccessLog.objects.filter(seq__gte=2).order_by("seq"):
        read.prev_hash = previous
        if read.seq == 2:
            read.record = "nothing.much"
        read.hash = previous = hash_access(read)
        sql("UPDATE audit_accesslog SET record = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [read.record, read.prev_hash, read.hash, read.seq])
    sql("UPDATE audit_accesshead SET hash = %s WHERE id = 1", [previous])
    result = verify_access_log()
    assert not result.ok and result.first_bad_entry == 3
    assert result.reason == REASON_REWRITTEN.format(seq=3)


def test_a_wrong_key_is_reported_as_such(reads):
    run("checkpoint")
    assert verify_all().ok
    with override_settings(AUDIT_KEY="not-the-key-this-installation-was-set-up-with"):
        result = verify_all()
    assert not result.ok
    assert result.audit.reason == REASON_KEY and result.access.reason == REASON_KEY
    assert "key" in result.audit.reason and "does not match" in result.audit.reason


def test_retention_prunes_the_oldest_reads_and_the_log_still_verifies(reads):
    from brightline.audit.services import prune_access_log

    # The two oldest reads are the expired ones.
    assert prune_access_log(reads.get(seq=3).at) == 2
    head = AccessHead.objects.get(pk=1)
    assert head.pruned_seq == 2
    assert verify_access_log().ok
    sql("DELETE FROM audit_accesslog WHERE seq = %s", [3])
    assert not verify_access_log().ok


def test_moving_the_access_logs_start_by_hand_is_detected(reads):
    from brightline.audit.services import READ_START

    third = reads.get(seq=3)
    sql("DELETE FROM audit_accesslog WHERE seq <= %s", [3])
    sql("UPDATE audit_accesshead SET pruned_seq = %s, pruned_hash = %s WHERE id = 1", [3, third.hash])
    result = verify_access_log()
    assert not result.ok and result.reason == READ_START.format(seq=3)


def test_the_audit_key_comes_from_a_file_or_is_generated_once(tmp_path, monkeypatch):
    monkeypatch.delenv("BRIGHTLINE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("BRIGHTLINE_AUDIT_KEY_FILE", raising=False)
    first = env.audit_key(tmp_path)
    assert env.audit_key(tmp_path) == first and len(first) >= 50
    assert (tmp_path / "var" / "audit_key").stat().st_mode & 0o077 == 0
    assert first != env.secret_key(tmp_path)
    secret = tmp_path / "mounted"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("BRIGHTLINE_AUDIT_KEY_FILE", str(secret))
    assert env.audit_key(tmp_path) == "from-a-file"


def test_the_migration_chains_reads_logged_before_the_chain_existed(personas):
    import importlib

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("brightline.audit.migrations.0003_access_log_chain_and_checkpoints")
    now = timezone.now()
    # Rows as the old schema held them: no chain yet (placeholders stand in for the columns' empty values).
    AccessLog.objects.bulk_create([
        AccessLog(seq=10 + n, hash=f"old-{n}", prev_hash="", at=now - timezone.timedelta(days=3 - n),
                  viewer=personas.mo, viewer_label="Mo", subject=personas.erin, record="people.profile", via="web")
        for n in (2, 0, 1)
    ])
    migration.chain_existing_reads(apps, None)

    rows = list(AccessLog.objects.order_by("seq"))
    assert [row.seq for row in rows] == [1, 2, 3]
    assert [row.at for row in rows] == sorted(row.at for row in rows)
    assert verify_access_log().ok
    assert AuditCheckpoint.objects.filter(chain="access", seq=3, hash=rows[-1].hash).exists()
    assert verify_all().ok


def test_the_audit_trail_page_reports_a_broken_access_log(reads, personas, client_for):
    sql("DELETE FROM audit_accesslog WHERE seq = %s", [2])
    page = client_for(personas.pia).get("/audit/").content.decode()
    assert "The log of who read whose record is broken at read 3" in page
