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

    manager = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="coaching_prompts_marked",
                                help_text="Who marked it: the prompts are each manager's own list.")
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="coaching_prompts_about",
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

    def described(self) -> dict[str, object]:
        """The decision in words, for the data download of the person it is about and of the manager who made it:
        what the prompt was, about whom, what had raised it, what was decided, by whom and when."""
        about = self.person.name if self.person_id and self.person else (self.team.name if self.team else "")
        return {"prompt": prompt_label(self.prompt), "about": about,
                "marked_by": self.manager.name if self.manager else "",
                "decision": self.get_outcome_display(), "decided_at": self.decided_at.isoformat(),
                "raised_by": [fact_in_words(str(fact)) for fact in self.facts or []]}


PROMPT_LABELS = {
    "thin_evidence": "Evidence is thin: parts of the ladder with nothing recorded",
    "packet_theirs": "Evidence is thin: parts of the review the person wrote cite nothing",
    "packet_yours": "Evidence is thin: parts of the review the manager wrote cite nothing",
    "packet_others": "Evidence is thin: parts of the review cite nothing",
    "outside_hours": "Work outside the person's own working hours",
    "on_call_uncited": "On-call pages with no incident debrief or review recorded",
    "team_outside_hours": "Work outside people's own working hours across the team",
}


def prompt_label(key: str) -> str:
    """A prompt's kind in words (an accepted AI signal's prompt is keyed by the signal)."""
    if key.startswith("signal:"):
        return "An AI signal the manager accepted, to bring to a one-to-one"
    return PROMPT_LABELS.get(key, "A coaching prompt")


def fact_in_words(fact: str) -> str:
    """One of the facts a prompt was raised by, in words: a threshold reached, a part of the ladder or of the review
    packet without evidence, or an accepted AI signal (named by its statement)."""
    from brightline.people.models import Dimension

    name, reached, step = fact.partition(">=")
    if reached:
        what = {"outside_hours": "work outside own working hours reached {:.0%}",
                "pages": "on-call pages outside working hours reached {:g}"}.get(name)
        try:
            return what.format(float(step)).replace("%", " %") if what else fact
        except ValueError:
            return fact
    if fact.startswith("dimension:"):
        dimension = fact.removeprefix("dimension:")
        label = dict(Dimension.choices).get(dimension, dimension)
        return f"nothing recorded shows {str(label).lower()}"
    if fact.startswith("signal:") and fact.removeprefix("signal:").isdigit():
        from brightline.insights.models import Signal, plain_statement

        statement = Signal.objects.filter(pk=fact.removeprefix("signal:")).values_list("statement", flat=True).first()
        return f"the AI signal: {plain_statement(statement)}" if statement else \
            "an AI signal that has since been removed"
    packet, colon, part = fact.partition(": ")
    return f"in the {packet} packet, {part} cited no evidence" if colon else fact
