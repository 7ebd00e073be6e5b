"""``log_action``, the one entry point for the audit trail, and chain verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from brightline.audit.models import GENESIS_HASH, AccessLog, AuditEntry, AuditHead

SYSTEM_ACTOR = "system"


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


def log_action(
    action: str,
    actor: AuditPerson | None,
    subject: models.Model | None = None,
    data: dict[str, Any] | None = None,
    *,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit chain, inside the caller's transaction.

    ``action`` is a dotted name such as ``"people.person.updated"``; ``data`` holds the
    who-what-why details (for a change, ``{"field": {"from": …, "to": …}}`` and a reason).
    """
    actor_id, label = _describe_actor(actor, actor_label)
    subject_type, subject_id, subject_person_id = _describe_subject(subject)
    data_json = canonical_json(data or {})
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
    return entry


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
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev_hash, now = head.seq, head.hash, timezone.now()
        batch: list[AuditEntry] = []
        for action, subject, data in entries:
            subject_type, subject_id, subject_person_id = _describe_subject(subject)
            seq += 1
            entry = AuditEntry(seq=seq, created_at=now, action=action, actor_id=actor_id, actor_label=label,
                               subject_type=subject_type, subject_id=subject_id,
                               subject_person_id=subject_person_id, data_json=canonical_json(data or {}),
                               prev_hash=prev_hash)
            entry.hash = prev_hash = hash_entry(entry)
            batch.append(entry)
        if batch:
            AuditEntry.objects.bulk_create(batch, batch_size=1000)
            head.seq, head.hash = seq, prev_hash
            head.save(update_fields=["seq", "hash"])
    return len(batch)


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
    for count, entry in enumerate(_entries_in_order(), start=1):
        if entry.seq != count:
            return ChainVerification(False, count - 1, previous_hash, entry.seq,
                                     REASON_GAP.format(found=entry.seq, expected=count))
        if entry.prev_hash != previous_hash:
            return ChainVerification(False, count - 1, previous_hash, entry.seq, REASON_LINK.format(seq=entry.seq))
        if hash_entry(entry) != entry.hash:
            return ChainVerification(False, count - 1, previous_hash, entry.seq,
                                     REASON_CONTENT.format(seq=entry.seq))
        previous_hash = entry.hash
    head = AuditHead.objects.filter(pk=1).first() or AuditHead(seq=0, hash=GENESIS_HASH)
    if head.seq != count or head.hash != previous_hash:
        return ChainVerification(False, count, previous_hash, min(head.seq, count + 1),
                                 REASON_HEAD.format(last=count, head=head.seq))
    if expected_head is not None and expected_head != previous_hash:
        return ChainVerification(False, count, previous_hash, count,
                                 REASON_ANCHOR.format(actual=previous_hash, expected=expected_head))
    return ChainVerification(True, count, previous_hash)


ERR_VIA = "via must be one of {choices}, not {via!r}"


def record_access(viewer: AuditPerson | None, subject: AuditPerson, record: str, *, via: str, reason: str = "") -> None:
    """Log a read of ``subject``'s ``record`` by someone else. Reading one's own record is not logged."""
    choices = [choice for choice, _label in AccessLog.VIA_CHOICES]
    if via not in choices:
        # Checked here because SQLite would store any string, and PostgreSQL would fail the read.
        raise ValueError(ERR_VIA.format(choices=", ".join(choices), via=via))
    if viewer is not None and viewer.pk == subject.pk:
        return
    label = f"{viewer.name} <{viewer.email}>" if viewer is not None else SYSTEM_ACTOR
    AccessLog.objects.create(viewer=viewer, viewer_label=label, subject=subject, record=record, via=via,
                             reason=reason)
