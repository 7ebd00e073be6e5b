"""What a manager decided about a coaching prompt on their team at a glance (requirement H2).

A prompt is marked *done* or *not now* by the manager it is shown to; it then leaves their list. Each prompt
says what made it appear as a small set of facts (``facts``: "the share of work outside hours reached the
second shade", "nothing shows leadership", "the team page share reached the third shade" …). The decision covers
those facts: the prompt comes back only when something is true that was not when it was marked — a further
dimension without evidence, a darker shade, another part of the review packet citing nothing, a newly accepted
signal — and never merely because a day has passed. Every decision is also written to the audit trail.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class CoachingPromptDecision(models.Model):
    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        NOT_NOW = "not_now", "Not now"

    manager = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+",
                                help_text="Who marked it: the prompts are each manager's own list.")
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               help_text="The report the prompt is about; empty for a prompt about a whole team.")
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    prompt = models.CharField(max_length=64, help_text="Which prompt of the person or team (its kind).")
    facts = models.JSONField(default=list, help_text="What made the prompt appear when it was marked.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "coaching prompt decision"
        indexes = [models.Index(fields=["manager", "person"])]
        constraints = [models.CheckConstraint(condition=models.Q(person__isnull=False) | models.Q(team__isnull=False),
                                              name="dashboards_prompt_decision_has_subject")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.prompt}"

    @property
    def audit_subject_person_id(self) -> int | None:
        return self.person_id
