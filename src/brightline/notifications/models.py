"""Each person's notification choices and calendar link, and the outbox of notices.

A ``Notice`` is one event that concerns one person (a feedback request addressed to them, a phase
that opened, a released review…). Its ``key`` names the event, and the pair (person, key) is unique,
so collecting the same event again, in a re-run or a retried job, finds the existing row instead of
making a second one; a notice is e-mailed once, when ``sent_at`` is set.
"""

from __future__ import annotations

from django.db import models


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "Right away, as things happen"
    DAILY = "daily", "A daily digest"
    WEEKLY = "weekly", "A weekly digest"


class NotificationSettings(models.Model):
    """One person's choices. A person without a row gets the daily digest and has no calendar link."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="notification_settings")
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.DAILY)
    # The secret in the person's calendar feed address; empty when they have none (or revoked it).
    calendar_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    calendar_token_created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notifications for {self.person}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class Notice(models.Model):
    """One event for one person, waiting to be e-mailed or already sent.

    ``title`` and ``path`` are what the inbox shows (what to do and where), never content: no feedback
    text, rating or outcome is ever stored here or sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        DROPPED = "dropped", "No longer needed"
        FAILED = "failed", "Not sent"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=300)
    path = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The run that took the notice to send it (see ``services._claim``).
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="one_notice_per_person_and_event")]
        indexes = [models.Index(fields=["status", "person"], name="notice_status_person")]

    def __str__(self) -> str:
        return f"{self.title} → {self.person}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id
