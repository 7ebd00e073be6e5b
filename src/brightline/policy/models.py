"""The organisation's policy as configuration (G1), shown to every employee."""

from __future__ import annotations

from django.db import models

from brightline.policy.inventory import DEFAULT_RETENTION_DAYS, SOURCES


def default_allowed_sources() -> list[str]:
    return [source.key for source in SOURCES if source.enabled_by_default]


def default_retention_days() -> dict[str, int]:
    return dict(DEFAULT_RETENTION_DAYS)


def default_ai_boundaries() -> dict[str, bool]:
    return {"llm_drafting_enabled": False, "themes_enabled": True, "sentiment_enabled": True,
            "trend_breaks_enabled": True}


AI_BOUNDARY_LABELS: dict[str, str] = {
    "llm_drafting_enabled": "Draft impact statements with a language model",
    "themes_enabled": "Find themes in feedback",
    "sentiment_enabled": "Follow the tone of feedback over time (sentiment drift)",
    "trend_breaks_enabled": "Detect breaks in delivery trends",
}


class SignalOwnerRole(models.TextChoices):
    """Who follows up an AI signal of a kind (H4). A person's signals stay with the person and their
    management chain, so a people partner owns only organisation-wide signals and a team's go to its manager."""

    PERSON = "person", "The person it is about"
    MANAGER = "manager", "Their manager"
    AUTHOR = "author", "Whoever wrote what it checks (the packet or accomplishment's author)"
    PEOPLE_PARTNER = "people_partner", "A people partner"


# The signal kinds of the insights app, with who owns each by default.
SIGNAL_KIND_LABELS = {
    "theme": "Theme in feedback", "theme_summary": "Theme summary", "sentiment_drift": "Change in the tone of feedback",
    "contradiction": "Contradiction between layers", "unsupported_claim": "Claim the evidence does not show",
    "missing_evidence": "Missing evidence", "trend_break": "Change in a delivery trend",
    "emergent_theme": "Emergent theme (organisation-wide)",
}


def default_signal_owners() -> dict[str, str]:
    return {"theme": "person", "theme_summary": "person", "sentiment_drift": "person", "contradiction": "manager",
            "unsupported_claim": "author", "missing_evidence": "author", "trend_break": "manager",
            "emergent_theme": "people_partner"}


class PreVoteNames(models.TextChoices):
    """What the reviewed employee sees of the calibration panel's pre-votes once their review is released."""

    ANONYMISED = "anonymised", "Votes and notes without names (Panelist 1, 2, 3)"
    NAMED = "named", "Votes and notes with each panelist's name"


class AppealReviewers(models.TextChoices):
    """Who a people partner may assign to decide an appeal and its escalation; appeal routing reads it (E7).

    Every choice keeps the reviewer outside the person's management chain: that is not configurable.
    """

    OUTSIDE_CHAIN = "outside_chain", "Any colleague outside your management chain, chosen by a people partner"
    PANEL_OUTSIDE_CHAIN = "panel_outside_chain", ("A member of the cycle's calibration panel outside your management "
                                                  "chain, without a declared conflict, chosen by a people partner")
    PEOPLE_PARTNER = "people_partner", "A people partner outside your management chain"


def appeal_path_text(reviewers: str) -> str:
    """The appeal path every employee reads, written from the setting that routes appeals."""
    who = AppealReviewers(reviewers).label
    return (f"Within the appeal window, add context and request a second review. Who reviews it: "
            f"{who[0].lower()}{who[1:]}. If you disagree with that decision, escalate once: a different reviewer, "
            "chosen the same way, decides finally and is named in the appeal.")


class Policy(models.Model):
    """A single row (pk=1). Edited only through ``update_policy`` so every change is audited."""

    allowed_sources = models.JSONField(default=default_allowed_sources)
    retention_days = models.JSONField(default=default_retention_days)
    min_cohort_size = models.PositiveSmallIntegerField(default=5)
    ai_boundaries = models.JSONField(default=default_ai_boundaries)
    appeal_reviewers = models.CharField(
        max_length=24, choices=AppealReviewers.choices, default=AppealReviewers.OUTSIDE_CHAIN,
        help_text="Who may be assigned to decide an appeal and its escalation")
    prevote_names = models.CharField(
        max_length=16, choices=PreVoteNames.choices, default=PreVoteNames.ANONYMISED,
        help_text="After release, whether the employee sees who cast each pre-vote and dissent")
    signal_owners = models.JSONField(
        default=default_signal_owners,
        help_text="Signal kind → who owns its follow-up: person, manager, author or people_partner")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "policy"

    def __str__(self) -> str:
        return "Organisation policy"

    @property
    def appeal_path(self) -> str:
        return appeal_path_text(self.appeal_reviewers)


class BriefRecommendation(models.Model):
    """A person's decision on the recommendation that ended a leadership brief (what to change next quarter).

    The recommendation is computed from the brief's published figures; this row keeps it as it was shown
    (text, rule, cited figures, cycle) with who accepted or rejected it, when and why. One decision per shown
    recommendation: ``fingerprint`` is a hash of the cycle, the rule and the text.
    """

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    fingerprint = models.CharField(max_length=64, unique=True)
    cycle_id = models.PositiveIntegerField(null=True, blank=True)
    cycle_name = models.CharField(max_length=200, blank=True)
    rule = models.CharField(max_length=40)
    text = models.TextField()
    evidence = models.JSONField(default=list)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.text[:60]}"
