"""AI-derived signals (PRODUCT.md C1–C11): stored hypotheses with confidence, provenance and review.

A ``Signal`` is never a rating. It starts *pending*; the person or someone in their management
chain accepts or dismisses it with a reason (audited). Only accepted signals are citable in a
review packet (``brightline.insights.services.is_citable``). Dismissed signals are kept and counted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from brightline.people.models import Person, Team


class SignalKind(models.TextChoices):
    THEME = "theme", "Theme in feedback"
    THEME_SUMMARY = "theme_summary", "Theme summary"
    EMERGENT_THEME = "emergent_theme", "Emergent theme (organisation-wide)"
    SENTIMENT_DRIFT = "sentiment_drift", "Change in the tone of feedback"
    TREND_BREAK = "trend_break", "Change in a delivery trend"
    CONTRADICTION = "contradiction", "Contradiction between layers"
    UNSUPPORTED_CLAIM = "unsupported_claim", "Claim the evidence does not show"
    MISSING_EVIDENCE = "missing_evidence", "Missing evidence"


class ConfidenceLabel(models.TextChoices):
    STABLE = "stable", "Stable"
    EMERGING = "emerging", "Emerging"
    WEAK = "weak", "Weak"


_PACKET_WORDING = re.compile(r"^In the (.+?) packet, ")


def plain_statement(statement: str) -> str:
    """A stored statement in the pages' words: "In the 2026 H2 review packet, …" reads "In the 2026 H2 review, …"."""
    from brightline.core.insights.evidence_checks import in_review

    return _PACKET_WORDING.sub(lambda match: f"In {in_review(match.group(1))}, ", statement, count=1)


class Signal(models.Model):
    """One signal about a person, a team, or the organisation (both subjects empty)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    kind = models.CharField(max_length=32, choices=SignalKind.choices)
    key = models.CharField(max_length=200, help_text="Identifies the hypothesis within its subject across runs.")
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="signals")
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="signals")
    window_start = models.DateField()
    window_end = models.DateField()
    statement = models.TextField()
    rule = models.TextField(help_text="The documented rule that produced the signal.")
    cannot_infer = models.TextField()
    enough_data = models.BooleanField(default=True)
    is_finding = models.BooleanField(
        default=True, help_text="False when it finds nothing to follow up: not enough data, no clear change in "
                                "tone, no recurring theme; and for every theme summary, whose themes are signals "
                                "of their own. Shown as information; never reviewed or cited.")
    # Confidence (C7): the numbers it is computed from, and the label the documented rules give them.
    confidence_label = models.CharField(max_length=16, choices=ConfidenceLabel.choices)
    confidence_items = models.PositiveIntegerField(default=0)
    confidence_authors = models.PositiveIntegerField(default=0)
    confidence_span_days = models.PositiveIntegerField(default=0)
    confidence_agreement = models.CharField(max_length=16)
    confidence_reasons = models.JSONField(default=list, blank=True)
    # Provenance (C8): every item that shaped it, as {"kind": …, "id": …}, and the model that read them.
    item_refs = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    model_name = models.CharField(max_length=100)
    model_version = models.CharField(max_length=200)
    # H4: who follows an anomaly up (a team's manager for a trend break).
    owner = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    # False once a later run no longer produces this hypothesis (kept for provenance, not shown).
    is_current = models.BooleanField(default=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "key", "-id"]
        indexes = [models.Index(fields=["person", "is_current"]),
                   models.Index(fields=["team", "is_current"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.statement[:60]}"

    @property
    def audit_subject_person_id(self) -> int | None:
        return self.person_id

    # Read by the reviews app (packets cite accepted signals; memos list dismissed ones) and by
    # ``access.can_review_signal``, which ask for these names.
    @property
    def subject_person(self) -> Person | None:
        return self.person

    @property
    def subject_team(self) -> Team | None:
        return self.team

    @property
    def awaits_review(self) -> bool:
        """Pending, and a finding to accept or dismiss. A signal that is not a finding (not enough data yet, no
        clear change in tone, no recurring theme) is an informational note: it stays pending for ever, is never
        reviewed, cited or put in anyone's to-do list, and is kept for its provenance like any other."""
        return self.status == self.Status.PENDING and self.is_finding

    @property
    def is_note(self) -> bool:
        """Pending but not a finding: not enough data yet, or nothing found to follow up."""
        return self.status == self.Status.PENDING and not self.is_finding

    @property
    def step_closed(self) -> bool:
        """A check of a draft packet's claim whose author's step has closed: they can no longer change it."""
        return bool(isinstance(self.detail, dict) and self.detail.get("closed"))

    @property
    def status_in_words(self) -> str:
        """The status as the signal's card says it: a note (pending, never a finding) is not "waiting for review"
        but for information, and nobody is asked to accept or dismiss it."""
        if not self.is_note:
            return self.get_status_display()
        if self.lists_findings:
            why = "For information: an overview (each recurring theme has a card of its own)"
        elif self.step_closed:
            why = "For information: the step has closed"
        elif self.enough_data:
            why = "For information: nothing found"
        else:
            why = "Note: not enough data yet"
        return f"{why}; nobody is asked to accept or dismiss it"

    @property
    def lists_findings(self) -> bool:
        """A theme summary that names recurring themes: an overview of findings reviewed one by one, not nothing."""
        return self.kind == SignalKind.THEME_SUMMARY and self.enough_data and any(
            isinstance(row, dict) and row.get("enough_data") for row in (self.detail or {}).get("themes", []))

    @property
    def shown_statement(self) -> str:
        """The statement in the pages' words. Checks stored before the wording changed say "In the 2026 H2 review
        packet, …"; they read "In the 2026 H2 review, …" (the stored text stays as generated: its content hash
        decides whether a later run found something new)."""
        return plain_statement(self.statement)

    @property
    def shown_rule(self) -> str:
        """The rule in the pages' words (stored rules of older checks say "a draft review packet")."""
        return self.rule.replace("in a draft review packet", "in a review being written")

    @property
    def summary(self) -> str:
        return self.shown_statement

    @property
    def confidence(self) -> str:
        return (f"{self.confidence_label} ({self.confidence_items} items, {self.confidence_authors} people or "
                f"sources, {self.confidence_span_days} days)")

    @property
    def review_note(self) -> str:
        return self.review_reason

    @property
    def packet_review_id(self) -> int | None:
        """The review whose draft packet this signal checks (missing evidence in a packet), else None."""
        packet = self.detail.get("packet") if isinstance(self.detail, dict) else None
        review = packet.get("review") if isinstance(packet, dict) else None
        return int(review) if review is not None and str(review).isdigit() else None

    @property
    def about_manager_draft(self) -> bool:
        """True for a check of the manager's draft assessment or narrative in a review packet: the person
        sees the manager's assessment only from release on (E6), so not this signal either."""
        packet = self.detail.get("packet") if isinstance(self.detail, dict) else None
        return isinstance(packet, dict) and packet.get("written_by") == "manager"

    @property
    def subject_key(self) -> str:
        if self.person_id:
            return f"person:{self.person_id}"
        if self.team_id:
            return f"team:{self.team_id}"
        return "organisation"


class InputFingerprint(models.Model):
    """What one subject's signals were last computed from, so unchanged inputs are not recomputed."""

    subject_key = models.CharField(max_length=80, unique=True, help_text="person:<id>, team:<id> or organisation")
    fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.subject_key} {self.fingerprint[:12]}"
