"""HRIS movements and anonymous survey answers: the inputs of system health and manager quality; and the
narrative flags counted on each submitted review, kept so manager quality does not re-check its texts.

The first two models began in the fairness app; they keep their tables (``db_table``), so moving them lost
no row (migrations ``fairness.0003`` and ``governance.0001`` change only Django's state).
"""

from __future__ import annotations

from django.db import models


class HrisEvent(models.Model):
    """A movement from the HR system: a leaver, an internal transfer or a promotion (G6).

    ``employee_id`` is kept as text because leavers are often no longer in Brightline;
    ``person`` links the row when they are.
    """

    class Kind(models.TextChoices):
        LEFT = "left", "Left the organisation"
        TRANSFERRED = "transferred", "Transferred internally"
        PROMOTED = "promoted", "Promoted"

    employee_id = models.CharField(max_length=64)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.CharField(max_length=16, choices=Kind.choices)
    date = models.DateField()
    regretted = models.BooleanField(null=True, blank=True, help_text="Leavers only: would we have kept them?")
    from_team = models.CharField(max_length=200, blank=True)
    to_team = models.CharField(max_length=200, blank=True)
    from_level = models.CharField(max_length=16, blank=True)
    to_level = models.CharField(max_length=16, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "fairness_hrisevent"  # the table it was created with in the fairness app
        ordering = ["date", "employee_id", "event"]
        constraints = [
            models.UniqueConstraint(fields=["employee_id", "event", "date"], name="one_hris_event_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.event} on {self.date.isoformat()}"

    @property
    def audit_subject_person_id(self) -> int | None:
        return self.person_id


class SurveyResponse(models.Model):
    """One anonymous answer to a survey question, attributed to the respondent's manager (G5, G6).

    There is deliberately no respondent: who answered is never stored, and answers are shown
    only as aggregates of at least the policy's minimum cohort. ``team`` is kept when the
    export named it.
    """

    survey_date = models.DateField(help_text="The day the survey round closed")
    question = models.CharField(max_length=64)
    manager = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer = models.PositiveSmallIntegerField(help_text="1 (strongly disagree) to 5 (strongly agree)")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "fairness_surveyresponse"  # the table it was created with in the fairness app
        ordering = ["survey_date", "question", "manager_id", "answer"]
        indexes = [models.Index(fields=["question", "manager", "survey_date"], name="survey_round")]

    def __str__(self) -> str:
        # Without the answer: a log line or admin listing must not show single answers.
        return f"{self.question} answer for manager {self.manager_id} on {self.survey_date.isoformat()}"


class ReviewFlagCount(models.Model):
    """How many reviewer flags (vague, personality, no evidence) the narrative checks raised on what a manager wrote
    in one review: the summary, cross-functional impact, scope growth and each dimension's rationale (G5
    "improvement after feedback").

    Kept so that the figures do not re-check every text on each read. ``digest`` is the SHA-256 of the version
    of the narrative checks and the texts the count was computed from: when either changes, the count no
    longer matches and is computed again (``manager_quality.feedback_records``).
    """

    review = models.OneToOneField("reviews.Review", on_delete=models.CASCADE, primary_key=True, related_name="+")
    flags = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.flags} reviewer flags on review {self.review_id}"
