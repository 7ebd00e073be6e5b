"""Promotion cases: nomination → readiness evidence → panel → decision → appeal (D4, E5, E7, E8).

A ``PromotionCase`` is one nomination of one person for the next level of their ladder. It gathers
``CaseCitation`` rows (evidence cited against one expectation of the next level), seats a panel
(``CasePanelist``; a seat in the person's management chain is kept but marked conflicted and takes no
part), collects hidden ``CasePreVote`` rows, and ends in a decision with a memo naming the person
finally accountable. ``CaseAppeal`` is the person's route to contest it. ``OpenRoles`` is the business
need a people partner enters: how many roles are open at a level in a period.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.db import models
from django.utils import dateformat

_ISO_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


class CaseStatus(models.TextChoices):
    NOMINATED = "nominated", "Gathering evidence"
    PANEL = "panel", "With the panel"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CaseDecision(models.TextChoices):
    PROMOTED = "promoted", "Promoted"
    NOT_YET = "not_yet", "Not yet"


class PromotionCase(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="promotion_cases")
    # Snapshots at nomination: the report compares what was true when the case was opened.
    from_level = models.ForeignKey("people.Level", on_delete=models.PROTECT, related_name="+")
    to_level = models.ForeignKey("people.Level", on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    nominated_by = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    nominated_at = models.DateTimeField(auto_now_add=True)
    rationale = models.TextField(help_text="Why now: the nominator's case, with citations.")
    min_citations = models.PositiveSmallIntegerField(
        help_text="Distinct cited items each expectation of the next level needs (copied at nomination).")
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NOMINATED)
    version = models.PositiveIntegerField(default=0)

    decision = models.CharField(max_length=16, choices=CaseDecision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decision_citations = models.JSONField(default=list, blank=True)
    ready_at_decision = models.BooleanField(null=True, blank=True)
    accountable = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                    related_name="+", help_text="The person finally accountable for the decision.")
    decided_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    memo = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-nominated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person} → {self.to_level.code}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id

    @property
    def is_decided(self) -> bool:
        return self.status == CaseStatus.DECIDED


class CaseCitation(models.Model):
    """One piece of evidence cited against one expectation (a dimension) of the next level.

    ``kind`` and ``object_id`` name the object as packet items do, so the reviews app's citation and
    appeal rules read a case the way they read a packet."""

    case = models.ForeignKey(PromotionCase, on_delete=models.CASCADE, related_name="citations")
    dimension = models.CharField(max_length=32)
    kind = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    occurred_on = models.DateField(help_text="When the cited work happened: consistency is read from these dates.")
    added_by = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "dimension", "occurred_on", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "dimension", "kind", "object_id"],
                                               name="one_citation_per_expectation")]

    @property
    def reference(self) -> str:
        return f"{self.kind}:{self.object_id}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.case.person_id


class CasePanelist(models.Model):
    """A panel seat; a seat with a conflict (the person, or their management chain) takes no part."""

    class Conflict(models.TextChoices):
        NONE = "", "None"
        SELF = "self", "The panelist is the person"
        MANAGEMENT_CHAIN = "management_chain", "In the person's management chain"
        NOMINATOR = "nominator", "Nominated the person"
        DECLARED = "declared", "Declared by the panelist"

    case = models.ForeignKey(PromotionCase, on_delete=models.CASCADE, related_name="panelists")
    person = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    conflict = models.CharField(max_length=24, choices=Conflict.choices, blank=True, default="")
    added_by = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "person__name"]
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="one_seat_per_case")]

    @property
    def audit_subject_person_id(self) -> int:
        return self.case.person_id


class CasePreVote(models.Model):
    """A panelist's independent vote before discussion; hidden from everyone else until all have voted."""

    case = models.ForeignKey(PromotionCase, on_delete=models.CASCADE, related_name="pre_votes")
    panelist = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    vote = models.CharField(max_length=16, choices=CaseDecision.choices)
    note = models.TextField(blank=True)
    voted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case", "panelist__name"]
        constraints = [models.UniqueConstraint(fields=["case", "panelist"], name="one_pre_vote_per_case")]

    @property
    def audit_subject_person_id(self) -> int:
        return self.case.person_id


class CaseAppeal(models.Model):
    """The person's route to contest a decided case, with the guarantees of a review appeal (E7)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested: waiting for a reviewer"
        IN_REVIEW = "in_review", "With the second reviewer"
        DECIDED = "decided", "Decided"
        ESCALATED = "escalated", "Taken one step further"
        CLOSED = "closed", "Closed: final"

    class Decision(models.TextChoices):
        UPHELD = "upheld", "Decision upheld"
        CHANGED = "changed", "Decision changed to promoted"

    # Waiting for someone: filed and not yet reviewed, or taken one step further and not yet decided there.
    OPEN_STATES = ("requested", "in_review", "escalated")

    case = models.ForeignKey(PromotionCase, on_delete=models.CASCADE, related_name="appeals")
    context = models.TextField()
    filed_at = models.DateTimeField(auto_now_add=True)
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reviewer = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # One step further (E7's escalation path): the person asks once more, a different reviewer decides, finally.
    escalation_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_due_on = models.DateField(null=True, blank=True)
    escalation_reviewer = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                            related_name="+")
    escalation_decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    escalation_decision_reason = models.TextField(blank=True)
    escalation_decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.case.person_id

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def current_reviewer_id(self) -> int | None:
        """Who decides the step the appeal is in: the escalation reviewer once taken further."""
        return self.escalation_reviewer_id if self.status == self.Status.ESCALATED else self.reviewer_id


class OpenRoles(models.Model):
    """Business need: how many roles are open at a level in a period, as a people partner entered it."""

    level = models.ForeignKey("people.Level", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7, help_text="A calendar year, e.g. 2026.")
    count = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    entered_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "level__ladder", "level__rank"]
        constraints = [models.UniqueConstraint(fields=["level", "period"], name="open_roles_per_level_and_period")]
        verbose_name_plural = "open roles"

    def __str__(self) -> str:
        return f"{self.level.code} {self.period}: {self.count}"


class CaseEscalation(models.Model):
    """A case, or its appeal, that passed a stage's deadline and went to the next person who can move it on.

    One row per case, stage and appeal (``key``): the scheduled run that finds it overdue writes it once, and
    the person it went to sees it in "Needs you now" (and so by e-mail) until the case leaves that stage.
    """

    class Stage(models.TextChoices):
        GATHERING = "gathering", "Gathering evidence"
        PANEL = "panel", "With the panel"
        APPEAL = "appeal", "Appeal"
        APPEAL_ESCALATION = "appeal_further", "Appeal taken one step further"

    key = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey(PromotionCase, on_delete=models.CASCADE, related_name="escalations")
    appeal = models.ForeignKey(CaseAppeal, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    due_on = models.DateField()
    escalated_to = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    # Why, with its days as placeholders ({since}, {due}, {decided}) filled from the fields below when it is
    # shown, so each reader gets the days in their form (pages in words, the CLI's JSON in ISO). Rows written
    # before these fields hold the days in the text, as ISO days; ``since_on`` is empty on them.
    reason = models.TextField()
    since_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    escalated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["escalated_at", "id"]

    def reason_with(self, day: Callable[[dt.date], str]) -> str:
        """The reason with every day written by ``day``: ``reason_with(date.isoformat)`` for JSON."""
        if self.since_on is None:  # an older row: the days are ISO text inside the reason
            return _ISO_DAY.sub(lambda match: day(dt.date.fromisoformat(match[1])), self.reason)
        return self.reason.format(since=day(self.since_on), due=day(self.due_on),
                                  decided=day(self.decided_on) if self.decided_on else "")

    @property
    def reason_in_words(self) -> str:
        """The reason as pages show it: "passed its deadline on 14 Dec 2026"."""
        return self.reason_with(lambda day: dateformat.format(day, "j M Y"))

    @property
    def audit_subject_person_id(self) -> int:
        return self.case.person_id
