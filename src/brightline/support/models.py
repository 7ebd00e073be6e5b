"""Support plans instead of punitive PIPs (F1–F3): diagnosis first, goals, check-ins, humane outcomes."""

from __future__ import annotations

from django.db import models


class Diagnosis(models.TextChoices):
    """What the plan addresses; decided before any goal is set (F1)."""

    SKILL = "skill", "A skill to build"
    ROLE_MISMATCH = "role_mismatch", "The role does not fit the person's strengths"
    MOTIVATION = "motivation", "Motivation"
    TEAM_FIT = "team_fit", "Team fit"
    TEMPORARY_OVERLOAD = "temporary_overload", "Temporary overload"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class SupportPlan(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed: waiting for a second approver"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        EXTENDED = "extended", "Extended"
        REDEPLOYED = "redeployed", "Redeployed or transferred"
        ENDED = "ended", "Ended"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="support_plans")
    review = models.ForeignKey("reviews.Review", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="support_plans")
    opened_by = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    diagnosis = models.CharField(max_length=32, choices=Diagnosis.choices)
    diagnosis_notes = models.TextField(help_text="What was observed and what the person said, with citations.")
    citations = models.JSONField(default=list, help_text='The evidence the plan rests on, e.g. "evidence_item:12".')
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.FORTNIGHTLY)
    support_offered = models.TextField(help_text="What the organisation will do: coaching, time, training, pairing.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    approved_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    redeployment_offered_at = models.DateTimeField(null=True, blank=True)
    redeployment_offer = models.TextField(blank=True)
    extensions = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Support plan for {self.person}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class SupportGoal(models.Model):
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="goals")
    description = models.TextField()
    success_criteria = models.TextField()
    acceptable_improvement = models.TextField(help_text="Examples of improvement that counts.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.plan.person_id


class CheckIn(models.Model):
    class Progress(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        SOME_PROGRESS = "some_progress", "Some progress"
        NOT_YET = "not_yet", "Not yet"

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="check_ins")
    held_on = models.DateField()
    author = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    progress = models.CharField(max_length=16, choices=Progress.choices)
    notes = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "held_on", "id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.plan.person_id


class PlanComment(models.Model):
    """The employee (or anyone with access) comments on the plan at any time."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    body = models.TextField()
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "written_at", "id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.plan.person_id
