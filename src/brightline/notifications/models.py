"""Each person's notification choices and calendar link, and the outbox of notices.

A ``Notice`` is one event that concerns one person (a feedback request addressed to them, a phase
that opened, a released review…). Its ``key`` names the event, and the pair (person, key) is unique,
so collecting the same event again, in a re-run or a retried job, finds the existing row instead of
making a second one; a notice is e-mailed once, when ``sent_at`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.core.validators import MaxValueValidator
from django.db import models


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "Right away, as things happen"
    DAILY = "daily", "A daily digest"
    WEEKLY = "weekly", "A weekly digest"


class Digest(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly, on Mondays"


# The digest's hour for a person who did not choose one, in their zone.
DEFAULT_DIGEST_HOUR: Final = 8


class Delivery(models.TextChoices):
    """How one kind of notice reaches the person by e-mail; the inbox on the home page shows it either way."""

    IMMEDIATE = "immediate", "Right away"
    DIGEST = "digest", "In the digest"
    OFF = "off", "Not by e-mail"


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice a person chooses the delivery of: ``kinds`` are the ``Notice.kind`` values it covers.

    ``always_mailed`` kinds concern the person's own review outcome or appeal; they are not items of the
    home page's "Needs you now" list, so an e-mail is how the person hears of them and they cannot be
    switched off (right away or in the digest only).
    """

    key: str
    group: str
    label: str
    kinds: tuple[str, ...]
    always_mailed: bool = False


NOTICE_GROUPS: Final[tuple[tuple[str, str], ...]] = (
    ("todo", "Things I must do"),
    ("deadlines", "Deadlines"),
    ("about_me", "Decisions about me"),
    ("signals", "AI signals I own"),
)
NOTICE_KINDS: Final[tuple[NoticeKind, ...]] = (
    NoticeKind("feedback", "todo", "Feedback to give, and impact drafts to agree on",
               ("feedback_request", "draft_review")),
    NoticeKind("self_review", "todo", "My self review", ("self_review",)),
    NoticeKind("assessment", "todo", "Assessments to write as a manager", ("assessment",)),
    NoticeKind("pre_vote", "todo", "Calibration pre-votes", ("pre_vote",)),
    NoticeKind("appeals", "todo", "Appeals to assign or decide",
               ("appeal_reviewer", "appeal", "promotion_appeal_reviewer", "promotion_appeal")),
    NoticeKind("promotions", "todo", "Promotion cases past their date", ("promotion_escalation",)),
    NoticeKind("check_in", "todo", "Support plans: approvals and check-ins", ("check_in", "plan_approval")),
    NoticeKind("role_changes", "todo", "Changes of roles and managers to approve", ("role_changes",)),
    NoticeKind("calibration", "deadlines", "Calibration starting on a panel I sit on: how many pre-votes, and by when",
               ("calibration_started",)),
    NoticeKind("due_soon", "deadlines", "A phase closing on something I must do", ("due_soon",)),
    NoticeKind("reminder", "deadlines", "A reminder from my manager or people partner about a review step",
               ("reminder",)),
    NoticeKind("released", "about_me", "My review released", ("released",), always_mailed=True),
    NoticeKind("appeal_window", "about_me", "My acknowledgement and appeal window closing", ("appeal_window",),
               always_mailed=True),
    NoticeKind("appeal_decided", "about_me", "A decision on my appeal", ("appeal_decided",), always_mailed=True),
    NoticeKind("signals", "signals", "AI signals waiting for me", ("signals",)),
)
KIND_OF_NOTICE: Final[dict[str, NoticeKind]] = {kind: entry for entry in NOTICE_KINDS for kind in entry.kinds}


class NotificationSettings(models.Model):
    """One person's choices. A person without a row gets the daily digest and has no calendar link.

    ``frequency`` is the choice for every kind of notice that has none of its own in ``deliveries``
    (right away, or the digest); ``digest`` is when the digest goes. ``deliveries`` maps a
    :data:`NOTICE_KINDS` key to a :class:`Delivery` value.
    """

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="notification_settings")
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.DAILY)
    digest = models.CharField(max_length=16, choices=Digest.choices, default=Digest.DAILY)
    deliveries = models.JSONField(default=dict, blank=True)
    # The digest goes in the hourly run at or after this hour of the person's day, in ``digest_timezone`` (empty:
    # the zone on the person's record, UTC when none).
    digest_hour = models.PositiveSmallIntegerField(default=DEFAULT_DIGEST_HOUR, validators=[MaxValueValidator(23)])
    digest_timezone = models.CharField(max_length=64, blank=True, default="")
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

    def delivery_of(self, key: str) -> str:
        """The delivery of the kind of notice ``key`` (a :data:`NOTICE_KINDS` key), its own or the default."""
        chosen = (self.deliveries or {}).get(key)
        if chosen in Delivery.values:
            return chosen
        return Delivery.IMMEDIATE if self.frequency == Frequency.IMMEDIATE else Delivery.DIGEST

    def delivery_of_notice(self, notice_kind: str) -> str:
        entry = KIND_OF_NOTICE.get(notice_kind)
        if entry is None:
            return Delivery.IMMEDIATE if self.frequency == Frequency.IMMEDIATE else Delivery.DIGEST
        return self.delivery_of(entry.key)

    def all_deliveries(self) -> dict[str, str]:
        return {entry.key: self.delivery_of(entry.key) for entry in NOTICE_KINDS}

    def digest_zone_name(self, recorded: str) -> str:
        """The zone the digest hour is read in: the one chosen, else ``recorded`` (the person's record), else UTC."""
        return self.digest_timezone or recorded or "UTC"

    def described(self) -> dict[str, object]:
        """The choices in words, for the person's data download."""
        zone = self.digest_zone_name(self.person.timezone)
        return {"digest": f"{self.get_digest_display()} at {self.digest_hour:02d}:00 ({zone} time)",
                "e-mail": {entry.label: Delivery(self.delivery_of(entry.key)).label for entry in NOTICE_KINDS},
                "calendar_address": "created" if self.calendar_token else "none"}


class DigestDay(models.Model):
    """The person's local day whose digest a run took last: a run sends a digest only for a later day. The hourly
    run's bookkeeping, kept apart from the person's choices (a person who never chose still has none)."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="digest_day")
    day = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Digest of {self.day} for {self.person}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class Notice(models.Model):
    """One event for one person, waiting to be e-mailed or already sent.

    ``title`` and ``path`` are what the inbox shows (what to do and where), never content: no feedback
    text, rating or outcome is ever stored here or sent. ``unread`` is the person's own mark on their notices
    page: a new notice is unread until they open it (or mark all as read); one that is no longer needed is
    read. Notices made before the mark existed count as read.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        DROPPED = "dropped", "No longer needed"
        FAILED = "failed", "Not sent"
        OFF = "off", "Not e-mailed, by the person's choice"

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
    unread = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="one_notice_per_person_and_event")]
        indexes = [models.Index(fields=["status", "person"], name="notice_status_person"),
                   # The navigation's count of a person's unread notices, on every page: only unread rows are in it.
                   models.Index(fields=["person"], condition=models.Q(unread=True), name="notice_unread_person")]

    def __str__(self) -> str:
        return f"{self.title} → {self.person}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id
