"""The tamper-evident audit trail and the log of who read whose record."""

from __future__ import annotations

import json

from django.db import models

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One state change. Entries form a hash chain: each stores the hash of the one before.

    Identifiers are stored as plain values, not foreign keys, so that deleting a person
    never rewrites (and so never breaks) the history that mentions them.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    action = models.CharField(max_length=120, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=200)
    subject_type = models.CharField(max_length=80, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    subject_person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The data is kept as the exact canonical JSON text that was hashed, so a database's own
    # JSON normalisation (jsonb reorders keys, may reformat numbers) cannot break the chain.
    data_json = models.TextField(default="{}")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"

    @property
    def data(self) -> dict:
        return json.loads(self.data_json)


class AuditHead(models.Model):
    """The latest sequence number and hash, updated in the same transaction as each entry.

    Locking this single row serialises writers so sequence numbers never collide, and it
    lets `verify` notice entries removed from the end of the chain.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)


class AccessLog(models.Model):
    """A read of one person's record by someone else (G2). The person can see these."""

    VIA_CHOICES = [("web", "web page"), ("api", "API"), ("cli", "command line"), ("admin", "admin site")]

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    viewer = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    viewer_label = models.CharField(max_length=200)
    subject = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="access_logs")
    record = models.CharField(max_length=80, help_text="Which part of the record was read.")
    via = models.CharField(max_length=8, choices=VIA_CHOICES)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at"])]

    def __str__(self) -> str:
        return f"{self.viewer_label} read {self.record} of person {self.subject_id}"
