"""The tamper-evident audit trail and the log of who read whose record."""

from __future__ import annotations

import json

from django.db import models
from django.utils import timezone

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


# The parts of a record that pages and the API open (``access.open_person_record``), as the person reads them.
RECORD_LABELS = {
    "people.profile": "Profile (team, level, manager)", "audit.access_log": "Who read the record",
    "audit.trail": "Audit trail entries about them",
    "evidence.items": "Evidence", "evidence.item": "An evidence item", "evidence.health_detail":
    "Working hours and on-call load", "feedback.growth": "Growth page", "feedback.draft": "Impact draft",
    "feedback.commentary": "Manager commentary", "feedback.one_on_one_notes": "One-to-one notes",
    "feedback.request": "Feedback request", "insights.signals": "AI signals", "goals.goals": "Goals",
    "reviews.review": "Review", "reviews.appeal": "Appeal", "support.plan": "Support plan",
    "promotions.case": "Promotion case", "fairness.manager_quality": "Manager quality",
    "fairness.drill_down": "Leadership view detail",
}


def _model_name(label: str) -> str | None:
    """The name a model gives itself (``reviews.review`` → "review"); None for a label no model has."""
    from django.apps import apps

    app_label, _, model_name = label.partition(".")
    try:
        return str(apps.get_model(app_label, model_name)._meta.verbose_name)
    except (LookupError, ValueError):
        return None


def record_label(record: str) -> str:
    """A part of a person's record (a key of ``RECORD_LABELS``, or a model's label) in words."""
    if record in RECORD_LABELS:
        return RECORD_LABELS[record]
    name = _model_name(record)
    return name.capitalize() if name else "Part of the record"


# Words for the parts of an audit entry's action name ("people.sso.refused"), so the trail reads as sentences.
ACTION_AREAS = {"people": "People", "reviews": "Reviews", "feedback": "Feedback", "evidence": "Evidence",
                "insights": "AI signals", "fairness": "Fairness", "governance": "Governance", "policy": "Policy",
                "support": "Support plans", "promotions": "Promotions", "goals": "Goals", "audit": "Audit",
                "access": "Record access", "operations": "Operations", "notifications": "Notifications",
                "demo": "Demo", "jobs": "Background jobs", "rollups": "Summaries",
                "dashboards": "Team at a glance"}
ACTION_WORDS = {"sso": "single sign-on", "hris": "HR system", "ai": "AI", "api": "API", "csv": "CSV",
                "oidc": "OpenID Connect", "scim": "SCIM", "pto": "time off", "llm": "AI drafting",
                "prevote": "pre-vote"}
ACTION_LABELS = {"access.record.refused": "Record access: a refused attempt to open a person's record"}


def action_label(action: str) -> str:
    """An audit entry's action in words: "fairness.survey_answers.imported" reads "Fairness: survey answers
    imported". The stored name is never shown as it is."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    area, _, rest = action.partition(".")
    words = " ".join(ACTION_WORDS.get(word.lower(), word) for word in rest.replace(".", " ").replace("_", " ").split())
    words = words.replace("one on one", "one-to-one")
    return f"{ACTION_AREAS.get(area, area.replace('_', ' ').capitalize())}: {words or 'changed'}"


def subject_words(subject_type: str, person_name: str | None) -> str:
    """What an audit entry is about, as a first-time reader reads it: "An assessment of one dimension of Erin
    Okafor", never a model's id (the trail's page keeps the id one click away for whoever needs it)."""
    if not subject_type:
        return person_name or ""
    if subject_type in ONE_OF_A_KIND:
        return ONE_OF_A_KIND[subject_type]
    if subject_type == "people.person":
        return person_name or "A person no longer in Brightline"
    noun = _model_name(subject_type) or "record"
    article = "An" if noun[:1].lower() in "aeiou" else "A"
    return f"{article} {noun} of {person_name}" if person_name else f"{article} {noun}"


# Records there is only one of: their id says nothing.
ONE_OF_A_KIND = {"policy.policy": "The policy", "people.organisation": "The organisation"}


def subject_label(subject_type: str, subject_id: str, person_name: str | None) -> str:
    """What an audit entry is about, in words: the model's name and id, and the person it concerns."""
    if not subject_type:
        return person_name or ""
    if subject_type in ONE_OF_A_KIND:
        return ONE_OF_A_KIND[subject_type]
    noun = _model_name(subject_type) or "record"
    if subject_type == "people.person":
        return person_name or f"A person no longer in Brightline ({subject_id})"
    described = f"{noun[:1].upper()}{noun[1:]} {subject_id}"
    return f"{described} of {person_name}" if person_name else described


# Who did it, when no person did: the labels the system stores for its own runs, in words.
SYSTEM_ACTORS = {
    "system": "Brightline itself",
    "demo": "the demo loader",
    "demo:insights": "the demo loader's AI signals run",
    "job:insights.run": "the nightly AI signals run",
    "job:feedback.draft_impact_statements": "the fortnightly drafting of impact statements",
    "job:promotions.escalate": "the daily check of promotion deadlines",
    "job:policy.purge_expired_data": "the nightly purge of data past its retention period",
    "job:evidence.sync_sources": "the hourly evidence sync",
    "job:evidence.ingest_git": "a git repository import",
    "job:audit.checkpoint": "the hourly signing of the audit trail",
    "cli:insights run": "an AI signals run from the command line",
    "cli": "the command line",
    "single sign-on": "single sign-on",
}
ACTOR_SOURCES = {"cli": "the command line, as account {rest}", "admin": "the admin site, as account {rest}",
                 "demo": "the demo loader ({rest})", "job": "a background job ({rest})"}


def actor_in_words(label: str) -> str:
    """Who an audit entry or a read names: a person's stored "Name <email>" stays as it is; the system's own
    labels ("demo:insights", "job:insights.run", "cli:ops") read as who they are ("The demo loader's AI signals
    run"). An unknown label of that shape is shown in words, never as its stored key."""
    label = (label or "").strip()
    if label in SYSTEM_ACTORS:
        phrase = SYSTEM_ACTORS[label]
    else:
        source, colon, rest = label.partition(":")
        if not colon or source not in ACTOR_SOURCES or not rest:
            return label or "Brightline itself"
        if source in {"job", "demo"}:
            rest = " ".join(rest.replace(".", " ").replace("_", " ").split())
        phrase = ACTOR_SOURCES[source].format(rest=rest)
    return phrase[:1].upper() + phrase[1:]


class AccessLog(models.Model):
    """A read of one person's record by someone else (G2). The person can see these.

    Reads form a second hash chain, like the audit trail: ``seq`` numbers them 1, 2, 3, … and
    each stores the hash of the read before, so a deleted or edited read is detected.
    """

    VIA_CHOICES = [("web", "web page"), ("api", "API"), ("cli", "command line"), ("admin", "admin site")]

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    viewer = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    viewer_label = models.CharField(max_length=200)
    subject = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="access_logs")
    record = models.CharField(max_length=80, help_text="Which part of the record was read.")
    via = models.CharField(max_length=8, choices=VIA_CHOICES)
    reason = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at"])]

    def __str__(self) -> str:
        return f"{self.viewer_label} read {self.record} of person {self.subject_id}"

    @property
    def record_label(self) -> str:
        """What was read, in words: the stored key is never shown to the person."""
        return record_label(self.record)

    def save(self, *args: object, **kwargs: object) -> None:
        if self._state.adding and not self.hash:
            # A new read joins the chain: numbered and linked under the head row's lock.
            from brightline.audit.services import append_access

            append_access(self)
            return
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AccessHead(models.Model):
    """The access log's latest ``seq`` and hash, and how far retention has pruned its start."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # Reads up to ``pruned_seq`` were deleted by the retention purge; the next read links to ``pruned_hash``.
    pruned_seq = models.PositiveBigIntegerField(default=0)
    pruned_hash = models.CharField(max_length=64, default=GENESIS_HASH)


class AuditCheckpoint(models.Model):
    """A chain's head at ``seq``, signed with the audit key, which lives outside the database.

    Someone who edits an entry and recomputes every hash after it cannot sign the new head
    without the key, so ``audit verify`` finds the rewritten chain at the next checkpoint.
    """

    # "pruned" signs where the retention purge left the access log's start (AccessHead.pruned_seq).
    CHAINS = [("audit", "audit trail"), ("access", "access log"), ("pruned", "access log start")]

    chain = models.CharField(max_length=8, choices=CHAINS)
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_checkpoint_unique_seq")]

    def __str__(self) -> str:
        return f"{self.chain} checkpoint at {self.seq}"
