"""``log_action``, the one entry point for the audit trail, and chain verification."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, transaction
from django.dispatch import Signal
from django.utils import timezone

from brightline.audit.models import (
    GENESIS_HASH,
    AccessHead,
    AccessLog,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    record_label,
)

SYSTEM_ACTOR = "system"

# Sent after entries are written (inside the caller's transaction) with ``actions``, a frozenset of their
# action names: apps above (rollups) react to changes without the apps that make them calling up.
actions_logged = Signal()


class AuditPerson(Protocol):
    """Who acts or is read: a ``people.Person``. Audit sits below people and knows it only by this shape."""

    @property
    def pk(self) -> Any: ...

    name: str
    email: str


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, dates and decimals as strings."""
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_content(
    *,
    seq: int,
    created_at: datetime,
    action: str,
    actor_id: int | None,
    actor_label: str,
    subject_type: str,
    subject_id: str,
    subject_person_id: int | None,
    data_json: str,
    prev_hash: str,
) -> str:
    return canonical_json(
        {
            "seq": seq,
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "action": action,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "subject_person_id": subject_person_id,
            "data": json.loads(data_json),
            "prev_hash": prev_hash,
        }
    )


def hash_entry(entry: AuditEntry) -> str:
    content = entry_content(
        seq=entry.seq,
        created_at=entry.created_at,
        action=entry.action,
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        subject_person_id=entry.subject_person_id,
        data_json=entry.data_json,
        prev_hash=entry.prev_hash,
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _describe_actor(actor: AuditPerson | None, actor_label: str | None) -> tuple[int | None, str]:
    if actor is None:
        return None, actor_label or SYSTEM_ACTOR
    return actor.pk, actor_label or f"{actor.name} <{actor.email}>"


def _describe_subject(subject: models.Model | None) -> tuple[str, str, int | None]:
    if subject is None:
        return "", "", None
    # A model says whose data it is through ``audit_subject_person_id`` (a person row: itself).
    person_id: int | None = getattr(subject, "audit_subject_person_id", None)
    return subject._meta.label_lower, str(subject.pk), person_id


# One entry described as the chain stores it: action, actor id, actor label, subject type, subject id, subject
# person id, data as canonical JSON.
HeldEntry = tuple[str, int | None, str, str, str, int | None, str]
_held: ContextVar[list[HeldEntry] | None] = ContextVar("brightline_audit_held", default=None)


@contextmanager
def held_entries() -> Iterator[list[HeldEntry]]:
    """Inside, ``log_action`` keeps each entry, described as it would be written, in the yielded list instead of
    writing it: a bulk writer (SCIM ``/Bulk``) keeps the entries of each operation that succeeded and writes them
    all with :func:`write_held` at the end of its transaction. Entries of an operation that failed are dropped with
    the list. Nested holds each keep their own."""
    held: list[HeldEntry] = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def log_action(
    action: str,
    actor: AuditPerson | None,
    subject: models.Model | None = None,
    data: dict[str, Any] | None = None,
    *,
    actor_label: str | None = None,
) -> AuditEntry | None:
    """Append one entry to the audit chain, inside the caller's transaction.

    ``action`` is a dotted name such as ``"people.person.updated"``; ``data`` holds the
    who-what-why details (for a change, ``{"field": {"from": …, "to": …}}`` and a reason).
    Inside :func:`held_entries` the entry is kept for a bulk write instead (and ``None`` returned).
    """
    actor_id, label = _describe_actor(actor, actor_label)
    subject_type, subject_id, subject_person_id = _describe_subject(subject)
    data_json = canonical_json(data or {})
    held = _held.get()
    if held is not None:
        held.append((action, actor_id, label, subject_type, subject_id, subject_person_id, data_json))
        return None
    with transaction.atomic():
        # The lock on the head row orders concurrent writers: each sees the previous hash.
        # get_or_create: a database flushed by tests (or restored without the migration's row) still works.
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            created_at=timezone.now(),
            action=action,
            actor_id=actor_id,
            actor_label=label,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_person_id=subject_person_id,
            data_json=data_json,
            prev_hash=head.hash,
        )
        entry.hash = hash_entry(entry)
        entry.save(force_insert=True)
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
        if entry.seq % checkpoint_every() == 0:
            write_checkpoint(CHAIN_AUDIT, entry.seq, entry.hash)
    actions_logged.send(sender=AuditEntry, actions=frozenset((action,)))
    return entry


# ---- Signed checkpoints -------------------------------------------------------------------------

CHAIN_AUDIT = "audit"
CHAIN_ACCESS = "access"
CHAIN_PRUNED = "pruned"


def checkpoint_every() -> int:
    return int(getattr(settings, "AUDIT_CHECKPOINT_EVERY", 100))


def sign_checkpoint(chain: str, seq: int, head_hash: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 of a chain's head with the audit key (``BRIGHTLINE_AUDIT_KEY``), which is not in the database."""
    secret = (key if key is not None else settings.AUDIT_KEY).encode("utf-8")
    return hmac.new(secret, f"{chain}\n{seq}\n{head_hash}".encode(), hashlib.sha256).hexdigest()


def write_checkpoint(chain: str, seq: int, head_hash: str) -> AuditCheckpoint:
    """Sign the head of ``chain`` at ``seq``; called by the writers every N entries and by ``audit checkpoint``."""
    checkpoint, _ = AuditCheckpoint.objects.get_or_create(
        chain=chain, seq=seq, defaults={"hash": head_hash, "mac": sign_checkpoint(chain, seq, head_hash)})
    return checkpoint


def write_checkpoints(chain: str, heads: list[tuple[int, str]]) -> None:
    """Sign many heads of ``chain`` at once (a bulk writer's every N-th entry); one already signed is kept."""
    now = timezone.now()
    AuditCheckpoint.objects.bulk_create(
        [AuditCheckpoint(chain=chain, seq=seq, hash=head_hash, mac=sign_checkpoint(chain, seq, head_hash),
                         created_at=now) for seq, head_hash in heads], ignore_conflicts=True, batch_size=1000)


def checkpoint_heads() -> list[AuditCheckpoint]:
    """Sign the current head of both chains (``brightline audit checkpoint``); an empty chain has none."""
    written = []
    with transaction.atomic():
        audit_head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        access_head, _ = AccessHead.objects.select_for_update().get_or_create(pk=1)
        for chain, head in ((CHAIN_AUDIT, audit_head), (CHAIN_ACCESS, access_head)):
            if head.seq:
                written.append(write_checkpoint(chain, head.seq, head.hash))
    return written


def log_actions(
    entries: Iterable[tuple[str, models.Model | None, dict[str, Any] | None]],
    actor: AuditPerson | None,
    *,
    actor_label: str | None = None,
) -> int:
    """Append many ``(action, subject, data)`` entries at once, inside the caller's transaction.

    The chain is exactly what ``log_action`` one by one would write (same order, same hashes over the
    same fields), in a few statements instead of several per entry. Returns how many were written.
    """
    actor_id, label = _describe_actor(actor, actor_label)
    return write_held((action, actor_id, label, *_describe_subject(subject), canonical_json(data or {}))
                      for action, subject, data in entries)


def write_held(entries: Iterable[HeldEntry]) -> int:
    """Append entries already described (those :func:`held_entries` kept) in a few statements, as
    :func:`log_actions` does; each keeps its own actor. Returns how many were written."""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev_hash, now = head.seq, head.hash, timezone.now()
        stored_now = connections[AuditEntry.objects.db].ops.adapt_datetimefield_value(now)
        rows: list[tuple[Any, ...]] = []
        checkpoints: list[tuple[int, str]] = []
        every = checkpoint_every()
        for action, actor_id, label, subject_type, subject_id, subject_person_id, data_json in entries:
            seq += 1
            content = entry_content(seq=seq, created_at=now, action=action, actor_id=actor_id, actor_label=label,
                                    subject_type=subject_type, subject_id=subject_id,
                                    subject_person_id=subject_person_id, data_json=data_json, prev_hash=prev_hash)
            entry_hash = hashlib.sha256(content.encode("utf-8")).hexdigest()
            rows.append((seq, stored_now, action, actor_id, label, subject_type, subject_id, subject_person_id,
                         data_json, prev_hash, entry_hash))
            prev_hash = entry_hash
            if seq % every == 0:  # signed as log_action would sign them, one per N entries
                checkpoints.append((seq, entry_hash))
        if rows:
            insert_rows(AuditEntry, ENTRY_COLUMNS, rows)
            head.seq, head.hash = seq, prev_hash
            head.save(update_fields=["seq", "hash"])
            write_checkpoints(CHAIN_AUDIT, checkpoints)
    if rows:
        actions_logged.send(sender=AuditEntry, actions=frozenset(row[2] for row in rows))
    return len(rows)


ENTRY_COLUMNS = ("seq", "created_at", "action", "actor_id", "actor_label", "subject_type", "subject_id",
                 "subject_person_id", "data_json", "prev_hash", "hash")


_AUTO_KEYS = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})


def insert_objects(model: type[models.Model], objects: list[Any], *, key: str | None = None,
                   batch_size: int = 1000) -> None:
    """Insert new ``objects`` of ``model`` as :func:`insert_rows` does, inside the caller's transaction.

    Values are passed as they are for text, numbers, booleans and ``None``, dates and times as the database's
    operations adapt them, anything else (JSON, decimals) through its field; ``auto_now``/``auto_now_add``
    fields get the same current time. With ``key`` (a unique field), each object gets its id back, read in one
    query per batch. No ``save()`` and no signals run, as with ``bulk_create``."""
    connection = connections[model.objects.db]
    ops = connection.ops
    fields = [field for field in model._meta.concrete_fields
              if not (field.primary_key and field.get_internal_type() in _AUTO_KEYS)]
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                setattr(obj, field.attname, now)

    plain = (str, int, bool)
    is_json = {field.attname: field.get_internal_type() == "JSONField" for field in fields}

    def stored(field: models.Field[Any, Any], value: Any) -> Any:
        if value is None or type(value) in plain and not is_json[field.attname]:
            return value
        if isinstance(value, datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return ops.adapt_datefield_value(value)
        return field.get_db_prep_save(value, connection)

    rows = [tuple(stored(field, getattr(obj, field.attname)) for field in fields) for obj in objects]
    insert_rows(model, tuple(field.name for field in fields), rows, batch_size=batch_size)
    if key is None:
        return
    for start in range(0, len(objects), batch_size):
        batch = objects[start:start + batch_size]
        ids = dict(model._default_manager.filter(**{f"{key}__in": [getattr(obj, key) for obj in batch]})
                   .values_list(key, "pk"))
        for obj in batch:
            obj.pk = ids[getattr(obj, key)]
            obj._state.adding, obj._state.db = False, connection.alias


def insert_rows(model: type[models.Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]], *,
                batch_size: int = 2000) -> None:
    """Insert ``rows`` (values of ``columns``, already as the database stores them) in a few ``executemany``
    statements, inside the caller's transaction.

    For the bulk writers of many rows whose ids nobody needs back (audit entries): ``bulk_create`` spends most
    of its time preparing each value through the model's fields, which a writer that builds the values
    itself does not need. No ``save()`` and no signals run, as with ``bulk_create``."""
    connection = connections[model.objects.db]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in columns]
    table, names = quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
    if connection.vendor == "postgresql":
        _copy_rows(connection, f"COPY {table} ({names}) FROM STDIN", rows)
        return
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start:start + batch_size])


def _copy_rows(connection: Any, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL: stream ``rows`` with ``COPY … FROM STDIN`` (psycopg adapts each value as it would a query
    parameter), several times faster than ``executemany``, which sends one statement per row."""
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    entries: int
    head_hash: str
    first_bad_entry: int | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"ok": self.ok, "entries": self.entries, "head_hash": self.head_hash}
        if not self.ok:
            payload["first_bad_entry"] = self.first_bad_entry
            payload["reason"] = self.reason
        return payload


REASON_GAP = "sequence number {found} found where {expected} was expected: entries were deleted or reordered"
REASON_LINK = "entry {seq} does not point at the hash of the entry before it: the chain was cut or reordered"
REASON_CONTENT = "entry {seq} does not match its own hash: its content was edited"
REASON_HEAD = "the chain ends at entry {last} but the head records entry {head}: entries were removed from the end"
REASON_ANCHOR = "the chain's head hash {actual} differs from the anchor {expected} recorded earlier"


def _entries_in_order() -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)


def verify_chain(*, expected_head: str | None = None) -> ChainVerification:
    """Walk the whole chain; report the first entry where it breaks.

    Catches edited content, deleted or reordered entries, and truncation of the end (through
    the head row). Truncation together with a rewritten head row is only caught against an
    ``expected_head`` recorded outside the database (see docs/audit.md).
    """
    previous_hash = GENESIS_HASH
    count = 0
    wanted, hashes = _checkpoint_seqs(CHAIN_AUDIT), {}
    for count, entry in enumerate(_entries_in_order(), start=1):
        if entry.seq != count:
            return ChainVerification(False, count - 1, previous_hash, entry.seq,
                                     REASON_GAP.format(found=entry.seq, expected=count))
        if entry.prev_hash != previous_hash:
            return ChainVerification(False, count - 1, previous_hash, entry.seq, REASON_LINK.format(seq=entry.seq))
        if hash_entry(entry) != entry.hash:
            return ChainVerification(False, count - 1, previous_hash, entry.seq,
                                     REASON_CONTENT.format(seq=entry.seq))
        if entry.seq in wanted:
            hashes[entry.seq] = entry.hash
        previous_hash = entry.hash
    head = AuditHead.objects.filter(pk=1).first() or AuditHead(seq=0, hash=GENESIS_HASH)
    if head.seq != count or head.hash != previous_hash:
        return ChainVerification(False, count, previous_hash, min(head.seq, count + 1),
                                 REASON_HEAD.format(last=count, head=head.seq))
    issue = _checkpoint_issue(CHAIN_AUDIT, hashes, count)
    if issue is not None:
        return ChainVerification(False, count, previous_hash, issue.seq, issue.reason)
    if expected_head is not None and expected_head != previous_hash:
        return ChainVerification(False, count, previous_hash, count,
                                 REASON_ANCHOR.format(actual=previous_hash, expected=expected_head))
    return ChainVerification(True, count, previous_hash)


ERR_VIA = "via must be one of {choices}, not {via!r}"


def record_access(viewer: AuditPerson | None, subject: AuditPerson, record: str, *, via: str, reason: str = "",
                  viewer_label: str | None = None) -> None:
    """Log a read of ``subject``'s ``record`` by someone else. Reading one's own record is not logged.

    ``viewer_label`` names a reader with no person record (an admin login); otherwise it is "system".
    """
    choices = [choice for choice, _label in AccessLog.VIA_CHOICES]
    if via not in choices:
        # Checked here because SQLite would store any string, and PostgreSQL would fail the read.
        raise ValueError(ERR_VIA.format(choices=", ".join(choices), via=via))
    if viewer is not None and viewer.pk == subject.pk:
        return
    label = f"{viewer.name} <{viewer.email}>" if viewer is not None else (viewer_label or SYSTEM_ACTOR)
    AccessLog.objects.create(viewer=viewer, viewer_label=label, subject=subject, record=record, via=via,
                             reason=reason)


REFUSED_READ = "access.record.refused"
ADDRESS_CHARS = 300


def record_refused_access(viewer: AuditPerson | None, subject: models.Model, record: str, *, via: str,
                          address: str = "", viewer_label: str | None = None) -> AuditEntry:
    """Log a refused attempt by ``viewer`` to open ``subject``'s ``record`` in the audit trail: who tried, whose
    record (``subject_person_id``), which part, through which door (``via``) and address, and when.

    Nothing was read, so the access log of reads is not touched; the person and people partners see these
    attempts through :func:`refused_reads`."""
    choices = [choice for choice, _label in AccessLog.VIA_CHOICES]
    if via not in choices:
        raise ValueError(ERR_VIA.format(choices=", ".join(choices), via=via))
    label = viewer_label or ("An account with no person record" if viewer is None else None)
    return log_action(REFUSED_READ, viewer, subject, {"record": record, "via": via,
                                                      "address": address[:ADDRESS_CHARS]}, actor_label=label)


@dataclass(frozen=True)
class RefusedRead:
    """A refused attempt to open someone's record, in words."""

    at: datetime
    viewer_label: str
    subject_id: int | None
    record_label: str
    via_label: str
    address: str


def refused_reads(*, subject_id: int | None = None, since: datetime | None = None,
                  limit: int = 200) -> list[RefusedRead]:
    """The newest refused attempts (of one person's record, or everyone's), newest first: one query."""
    entries = AuditEntry.objects.filter(action=REFUSED_READ)
    if subject_id is not None:
        entries = entries.filter(subject_person_id=subject_id)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    via_labels = dict(AccessLog.VIA_CHOICES)
    attempts = []
    for entry in entries.order_by("-seq")[:limit]:
        data = entry.data
        attempts.append(RefusedRead(entry.created_at, entry.actor_label, entry.subject_person_id,
                                    record_label(str(data.get("record", ""))),
                                    via_labels.get(str(data.get("via", "")), "Unknown"), str(data.get("address", ""))))
    return attempts


def record_accesses(viewer: AuditPerson, subjects: Iterable[AuditPerson], record: str, *, via: str) -> int:
    """Log one page's reads of several people's ``record`` at once: the same chain as :func:`record_access`, one
    lock of the head and one insert, so a page about a team costs the same queries for 5 people as for 50.
    Returns how many reads were written (the viewer's own record is not logged)."""
    return record_reads(viewer, [(subject, record) for subject in subjects], via=via)


def record_reads(viewer: AuditPerson, reads_of: Iterable[tuple[AuditPerson, str]], *, via: str) -> int:
    """:func:`record_accesses` for reads of different parts of people's records (``(subject, record)`` pairs), all
    in the same one lock and one insert."""
    choices = [choice for choice, _label in AccessLog.VIA_CHOICES]
    if via not in choices:
        raise ValueError(ERR_VIA.format(choices=", ".join(choices), via=via))
    others = [(subject, record) for subject, record in reads_of if subject.pk != viewer.pk]
    if not others:
        return 0
    label = f"{viewer.name} <{viewer.email}>"
    with transaction.atomic():
        head, _ = AccessHead.objects.select_for_update().get_or_create(pk=1)
        reads, at = [], timezone.now()
        seq, previous = head.seq, head.hash
        for subject, record in others:
            seq += 1
            read = AccessLog(viewer=viewer, viewer_label=label, subject=subject, record=record, via=via, reason="",
                             seq=seq, prev_hash=previous, at=at)
            read.hash = hash_access(read)
            previous = read.hash
            reads.append(read)
        AccessLog.objects.bulk_create(reads)
        head.seq, head.hash = seq, previous
        head.save(update_fields=["seq", "hash"])
        every = checkpoint_every()
        for read in reads:
            if read.seq % every == 0:
                write_checkpoint(CHAIN_ACCESS, read.seq, read.hash)
    return len(reads)


def access_content(*, seq: int, at: datetime, viewer_id: int | None, viewer_label: str, subject_id: int,
                   record: str, via: str, reason: str, prev_hash: str) -> str:
    return canonical_json({
        "seq": seq, "at": at.astimezone(UTC).isoformat(timespec="microseconds"), "viewer_id": viewer_id,
        "viewer_label": viewer_label, "subject_id": subject_id, "record": record, "via": via, "reason": reason,
        "prev_hash": prev_hash,
    })


def hash_access(read: AccessLog) -> str:
    content = access_content(seq=read.seq, at=read.at, viewer_id=read.viewer_id, viewer_label=read.viewer_label,
                             subject_id=read.subject_id, record=read.record, via=read.via, reason=read.reason,
                             prev_hash=read.prev_hash)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def append_access(read: AccessLog) -> None:
    """Number, link and save a new read (``AccessLog.save`` calls this), inside the caller's transaction."""
    with transaction.atomic():
        head, _ = AccessHead.objects.select_for_update().get_or_create(pk=1)
        read.seq, read.prev_hash = head.seq + 1, head.hash
        read.at = read.at or timezone.now()
        read.hash = hash_access(read)
        models.Model.save(read, force_insert=True)
        head.seq, head.hash = read.seq, read.hash
        head.save(update_fields=["seq", "hash"])
        if read.seq % checkpoint_every() == 0:
            write_checkpoint(CHAIN_ACCESS, read.seq, read.hash)


def prune_access_log(before: datetime) -> int:
    """Delete the reads older than ``before`` (retention), as a prefix of the chain, and note where it now starts.

    Every read up to the newest expired one goes, so the chain stays whole from the new start.
    """
    with transaction.atomic():
        head, _ = AccessHead.objects.select_for_update().get_or_create(pk=1)
        last = AccessLog.objects.filter(at__lt=before).order_by("-seq").first()
        if last is None:
            return 0
        deleted, _ = AccessLog.objects.filter(seq__lte=last.seq).delete()
        head.pruned_seq, head.pruned_hash = last.seq, last.hash
        head.save(update_fields=["pruned_seq", "pruned_hash"])
        # Signed, so that moving the start forward by hand (to hide deleted reads) is detected.
        write_checkpoint(CHAIN_PRUNED, last.seq, last.hash)
    return deleted


# ---- Verifying both chains ----------------------------------------------------------------------

REASON_KEY = ("the audit key does not match the one that signed the checkpoints: set the key this "
              "installation was set up with (see the deployment guide)")
REASON_FORGED = "the checkpoint at entry {seq} carries an invalid signature: it was forged or altered"
REASON_REWRITTEN = ("entry {seq} differs from the signed checkpoint at entry {seq}: the chain was rewritten at or "
                    "before it")
REASON_CHECKPOINT_MISSING = ("the signed checkpoint at entry {seq} names an entry that is missing: entries were "
                             "removed from the end")
REASON_CHECKPOINTS_REMOVED = ("no signed checkpoint after entry {seq} although the chain continues to entry {last}: "
                              "checkpoints were removed")
READ_GAP = "read {found} found where read {expected} was expected: reads were deleted or reordered"
READ_LINK = "read {seq} does not point at the hash of the read before it: the log was cut or reordered"
READ_CONTENT = "read {seq} does not match its own hash: it was edited"
READ_START = ("the access log is recorded to start after read {seq}, but no signed retention purge ended there: "
              "reads were deleted from its start")
READ_HEAD = "the access log ends at read {last} but the head records read {head}: reads were removed from the end"


@dataclass(frozen=True)
class CheckpointIssue:
    seq: int
    reason: str


def _checkpoint_issue(chain: str, hashes: dict[int, str], last_seq: int, *,
                      first_seq: int = 1) -> CheckpointIssue | None:
    """Compare the walked chain (``hashes`` of the checkpointed entries) with its signed checkpoints."""
    checkpoints = list(AuditCheckpoint.objects.filter(chain=chain).order_by("seq"))
    signed = [cp for cp in checkpoints if hmac.compare_digest(cp.mac, sign_checkpoint(chain, cp.seq, cp.hash))]
    if checkpoints and not signed:
        return CheckpointIssue(checkpoints[0].seq, REASON_KEY)
    for checkpoint in checkpoints:
        if checkpoint not in signed:
            return CheckpointIssue(checkpoint.seq, REASON_FORGED.format(seq=checkpoint.seq))
        if checkpoint.seq < first_seq:
            continue  # pruned by retention
        if checkpoint.seq > last_seq:
            return CheckpointIssue(checkpoint.seq, REASON_CHECKPOINT_MISSING.format(seq=checkpoint.seq))
        if hashes.get(checkpoint.seq) != checkpoint.hash:
            return CheckpointIssue(checkpoint.seq, REASON_REWRITTEN.format(seq=checkpoint.seq))
    newest = checkpoints[-1].seq if checkpoints else 0
    if last_seq - max(newest, first_seq - 1) >= checkpoint_every():
        return CheckpointIssue(newest + 1, REASON_CHECKPOINTS_REMOVED.format(seq=newest, last=last_seq))
    return None


def _checkpoint_seqs(chain: str) -> set[int]:
    return set(AuditCheckpoint.objects.filter(chain=chain).values_list("seq", flat=True))


def verify_access_log() -> ChainVerification:
    """Walk the access log's chain from where retention left it; report the first read where it breaks."""
    head = AccessHead.objects.filter(pk=1).first() or AccessHead(seq=0, hash=GENESIS_HASH)
    if head.pruned_seq:
        start = AuditCheckpoint.objects.filter(chain=CHAIN_PRUNED).order_by("-seq").first()
        if start is None or (start.seq, start.hash) != (head.pruned_seq, head.pruned_hash) or not hmac.compare_digest(
                start.mac, sign_checkpoint(CHAIN_PRUNED, start.seq, start.hash)):
            return ChainVerification(False, 0, head.pruned_hash, head.pruned_seq + 1,
                                     READ_START.format(seq=head.pruned_seq))
    previous_hash, expected = head.pruned_hash, head.pruned_seq + 1
    wanted, hashes = _checkpoint_seqs(CHAIN_ACCESS), {}
    count, last_seq = 0, head.pruned_seq
    for read in AccessLog.objects.filter(seq__gt=head.pruned_seq).order_by("seq").iterator(chunk_size=2000):
        if read.seq != expected:
            return ChainVerification(False, count, previous_hash, read.seq,
                                     READ_GAP.format(found=read.seq, expected=expected))
        if read.prev_hash != previous_hash:
            return ChainVerification(False, count, previous_hash, read.seq, READ_LINK.format(seq=read.seq))
        if hash_access(read) != read.hash:
            return ChainVerification(False, count, previous_hash, read.seq, READ_CONTENT.format(seq=read.seq))
        if read.seq in wanted:
            hashes[read.seq] = read.hash
        previous_hash, last_seq, expected, count = read.hash, read.seq, read.seq + 1, count + 1
    if head.seq != last_seq or head.hash != previous_hash:
        return ChainVerification(False, count, previous_hash, min(head.seq, last_seq + 1),
                                 READ_HEAD.format(last=last_seq, head=head.seq))
    issue = _checkpoint_issue(CHAIN_ACCESS, hashes, last_seq, first_seq=head.pruned_seq + 1)
    if issue is not None:
        return ChainVerification(False, count, previous_hash, issue.seq, issue.reason)
    return ChainVerification(True, count, previous_hash)


@dataclass(frozen=True)
class FullVerification:
    audit: ChainVerification
    access: ChainVerification

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.access.ok

    def to_json(self) -> dict[str, Any]:
        return {**self.audit.to_json(), "ok": self.ok, "audit_ok": self.audit.ok,
                "access_log": self.access.to_json()}


def verify_all(*, expected_head: str | None = None) -> FullVerification:
    """Both chains: the audit trail and the access log, each against its signed checkpoints."""
    return FullVerification(verify_chain(expected_head=expected_head), verify_access_log())
