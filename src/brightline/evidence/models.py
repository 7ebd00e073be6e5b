"""Operational evidence. ``EvidenceItem`` is the citable unit every layer refers to as ``[E:<id>]``."""

from __future__ import annotations

from django.db import models


class EvidenceItem(models.Model):
    """One piece of evidence a narrative can cite: a merged change, an incident handled, a design doc.

    Items are never counted or ranked per person (principle 5); they exist to be cited. An
    item about a person has ``person``; a team-level item (a release) has only ``team``.
    ``(source, source_ref)`` is unique, so re-ingesting the same source never duplicates.
    """

    class Kind(models.TextChoices):
        MERGED_CHANGE = "merged_change", "Merged change"
        RELEASE = "release", "Release"
        DEPLOYMENT = "deployment", "Deployment"
        INCIDENT_HANDLED = "incident_handled", "Incident handled"
        INCIDENT_DEBRIEF = "incident_debrief", "Incident debrief"
        DESIGN_DOC = "design_doc", "Design document"
        DESIGN_REVIEW = "design_review", "Design review notes"
        CODE_REVIEW = "code_review", "Code review given"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text="Plain text; numbers here may be quoted by drafts.")
    url = models.URLField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="evidence_items")
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="evidence_items")
    service = models.CharField(max_length=120, blank=True, db_index=True)
    source = models.CharField(max_length=32, help_text="git, github, gitlab, events, manual, …")
    source_ref = models.CharField(max_length=200, help_text="The item's id in its source, e.g. a commit sha.")
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "source_ref"], name="evidence_source_ref_unique")]
        indexes = [models.Index(fields=["person", "-occurred_at"])]

    def __str__(self) -> str:
        return f"[E:{self.pk}] {self.title}"

    @property
    def citation(self) -> str:
        return f"[E:{self.pk}]"

    @property
    def audit_subject_person_id(self) -> int | None:
        return self.person_id
