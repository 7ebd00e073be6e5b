"""Goals (OKR-style, requirement I3): owned by the engineer, read by their management chain, each key result's
progress resting on evidence the owner cites."""

from __future__ import annotations

from django.db import models


class Goal(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        PAUSED = "paused", "Paused"
        SET_ASIDE = "set_aside", "Set aside"

    owner = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    success = models.TextField(help_text="What success looks like, in the owner's words.")
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "due_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_subject_person_id(self) -> int:
        return self.owner_id

    @property
    def progress(self) -> int:
        """The mean progress of the key results (0–100), or 0 without any."""
        results = list(self.key_results.all())
        return round(sum(result.progress for result in results) / len(results)) if results else 0


class KeyResult(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    description = models.CharField(max_length=300)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done, 0 to 100.")
    evidence = models.ManyToManyField("evidence.EvidenceItem", blank=True, related_name="key_results",
                                      help_text="The evidence the progress rests on.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["goal", "position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def audit_subject_person_id(self) -> int:
        return self.goal.owner_id
