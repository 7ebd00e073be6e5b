"""Review cycles, self reviews, manager assessments, calibration, decision memos and appeals (E1–E10).

A ``ReviewCycle`` walks through the phases of E1 in order. Each person in the cycle's population
has one ``Review``; a review holds one ``DimensionAssessment`` per evaluation dimension (D3). The
calibration packet of a review is the review itself plus its ``PacketItem`` rows: evidence enters
a packet only by an explicit, logged inclusion (principle 7).

Deleting a person (erasure) deletes their own reviews; every other reference to a person
(manager, panelist, approver, reviewer) is RESTRICT: it blocks deleting someone whose name a
decision about another person still rests on, unless that decision is being deleted too.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

from brightline import access
from brightline.people.models import Dimension, Person


class Phase(models.TextChoices):
    """The phases of a cycle, in the only order a cycle may take (E1, principle 1)."""

    EVIDENCE = "evidence", "Evidence"
    SELF_REVIEW = "self_review", "Self review and annotation"
    MANAGER_ASSESSMENT = "manager_assessment", "Manager assessment"
    CALIBRATION = "calibration", "Calibration"
    DECISION_MEMO = "decision_memo", "Decision memo"
    RELEASE = "release", "Release"
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement and appeal window"
    CLOSED = "closed", "Closed"


PHASE_ORDER: tuple[str, ...] = tuple(Phase.values)


def phase_index(phase: str) -> int:
    return PHASE_ORDER.index(phase)


# A packet is a draft until calibration starts.
DRAFT_PACKET_PHASES: tuple[str, ...] = (Phase.EVIDENCE, Phase.SELF_REVIEW, Phase.MANAGER_ASSESSMENT)

# When each step on a review is open. The services refuse a step outside its phases, and
# ``access.review_actions`` offers it only inside them: one table, read by both.
STEP_PHASES: dict[str, tuple[str, ...]] = {
    "annotate": (Phase.EVIDENCE, Phase.SELF_REVIEW),
    "self_review": (Phase.SELF_REVIEW,),
    "assess": (Phase.MANAGER_ASSESSMENT,),
    "approve_adverse": (Phase.MANAGER_ASSESSMENT,),
    "calibrate": (Phase.CALIBRATION,),
    "acknowledge": (Phase.RELEASE, Phase.ACKNOWLEDGEMENT),
    "appeal": (Phase.RELEASE, Phase.ACKNOWLEDGEMENT),
    "check_packet": DRAFT_PACKET_PHASES,
}


class Outcome(models.TextChoices):
    """Evidence thresholds defined by the level's written criteria (D4), never by a quota (E3)."""

    NEEDS_SUPPORT = "needs_support", "Needs support"
    MEETS = "meets", "Meets"
    EXCEEDS = "exceeds", "Exceeds"


# Positions on an ordinal scale, for calibration-movement statistics (higher = stronger).
OUTCOME_SCALE = {Outcome.NEEDS_SUPPORT: 1, Outcome.MEETS: 2, Outcome.EXCEEDS: 3}


class PromotionReadiness(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not assessed"
    NOT_YET = "not_yet", "Not yet: next-level behaviours not shown consistently"
    READY = "ready", "Ready: next-level behaviours shown consistently, with enough evidence"


class ReviewCycle(models.Model):
    name = models.CharField(max_length=200)
    phase = models.CharField(max_length=32, choices=Phase.choices, default=Phase.EVIDENCE)
    teams = models.ManyToManyField("people.Team", blank=True, related_name="review_cycles",
                                   help_text="The population; empty means every active person.")
    # {phase: "YYYY-MM-DD"}: the date each phase ends. The acknowledgement date closes the appeal window.
    schedule = models.JSONField(default=dict)
    # Each setting is read by a rule in services; none can set how many people get an outcome (E3).
    self_review_required = models.BooleanField(
        default=False, help_text="Manager assessment starts only when every self review is submitted.")
    min_evidence_per_dimension = models.PositiveSmallIntegerField(
        default=1, help_text="Cited evidence items each dimension needs before the assessment is submitted.")
    opened_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    phase_changed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_released(self) -> bool:
        return phase_index(self.phase) >= phase_index(Phase.RELEASE)

    def phase_ends_on(self, phase: str) -> str | None:
        return self.schedule.get(phase)

    def is_open_for(self, step: str) -> bool:
        """Whether the cycle's phase allows ``step`` (a key of ``STEP_PHASES``)."""
        return self.phase in STEP_PHASES[step]

    def appeal_deadline(self) -> dt.date:
        """The last day an appeal can be filed: the end of the acknowledgement phase."""
        return dt.date.fromisoformat(self.schedule[Phase.ACKNOWLEDGEMENT])


class Review(models.Model):
    """One person's review in one cycle; also their calibration packet (E2)."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reviews")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="reviews")
    # Snapshots at opening: the fairness audit needs what was true during the cycle.
    manager = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                related_name="assessed_reviews")
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    level = models.ForeignKey("people.Level", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    workload_class = models.CharField(max_length=32, blank=True)

    self_review_context = models.TextField(blank=True)
    self_review_submitted_at = models.DateTimeField(null=True, blank=True)

    manager_summary = models.TextField(blank=True, help_text="The manager's interpretation, with citations.")
    cross_functional_impact = models.TextField(blank=True)
    scope_growth = models.TextField(blank=True)
    promotion_readiness = models.CharField(max_length=16, choices=PromotionReadiness.choices,
                                           default=PromotionReadiness.NOT_ASSESSED)
    promotion_rationale = models.TextField(blank=True)
    promotion_citations = models.JSONField(default=list, blank=True)
    assessment_submitted_at = models.DateTimeField(null=True, blank=True)
    # Second approver of an adverse proposal (C10): the dimensions approved, so a later change needs a new approval.
    adverse_approved_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                            related_name="+")
    adverse_approved_at = models.DateTimeField(null=True, blank=True)
    adverse_approved_dimensions = models.JSONField(default=list, blank=True)

    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["cycle", "person__name"]
        constraints = [models.UniqueConstraint(fields=["cycle", "person"], name="one_review_per_person_per_cycle")]

    def __str__(self) -> str:
        return f"{self.person} · {self.cycle}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id

    # The state a step depends on, asked the same way by the services and by ``access.review_actions``.

    def proposes_adverse_outcome(self) -> bool:
        """The manager proposed *needs support* on at least one dimension (C10: it needs a second approver)."""
        return self.assessments.filter(proposed_outcome=Outcome.NEEDS_SUPPORT).exists()

    def has_open_appeal(self) -> bool:
        return self.appeals.filter(status__in=OPEN_APPEAL_STATES).exists()

    def eligible_panelists(self) -> list[Person]:
        """The cycle's panelists without a conflict of interest for this person (E8)."""
        seats = self.cycle.panel_members.select_related("person")
        return [seat.person for seat in seats if not access.has_conflict_of_interest(seat.person, self)]

    def pre_voters(self, eligible: list[Person]) -> set[int]:
        """The ids of the ``eligible`` panelists who pre-voted on every dimension."""
        votes: dict[int, int] = {}
        for panelist in self.pre_votes.filter(panelist__in=eligible).values_list("panelist_id", flat=True):
            votes[panelist] = votes.get(panelist, 0) + 1
        return {panelist for panelist, count in votes.items() if count == len(Dimension.values)}

    def pre_votes_complete(self) -> bool:
        """Every eligible panelist has pre-voted: the spread is revealed and discussion may change outcomes."""
        eligible = self.eligible_panelists()
        return bool(eligible) and len(self.pre_voters(eligible)) == len(eligible)


class PacketAnnotation(models.Model):
    """The employee's own note on her packet before release (B6), read by her manager and the panel.

    Never edited in place: a change is a new row that ``replaces`` the previous one, so the history
    of what she wrote, and when, is kept. ``section`` is ``packet`` (the whole packet), ``self_review``,
    ``promotion`` or a dimension key.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    section = models.CharField(max_length=32, default="packet")
    body = models.TextField()
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.RESTRICT,
                                    related_name="replaced_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.review.person_id


class DimensionAssessment(models.Model):
    """The manager's proposed outcome on one dimension and the current (calibrated) outcome.

    ``version`` is the optimistic lock: every change is an ``UPDATE … WHERE version = seen``,
    so two panelists editing at once never silently overwrite each other.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="assessments")
    dimension = models.CharField(max_length=32, choices=Dimension.choices)
    proposed_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    rationale = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True, help_text='References like "evidence_item:12".')
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review", "dimension"]
        constraints = [models.UniqueConstraint(fields=["review", "dimension"], name="one_assessment_per_dimension")]

    def __str__(self) -> str:
        return f"{self.review} · {self.dimension}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.review.person_id


class PacketItem(models.Model):
    """One explicit inclusion of an object into a review's packet (principle 7, E9).

    ``kind`` names what the object is; ``brightline.reviews.packet_items`` resolves it to a model
    at run time and checks that it is about the packet's person and visible to the includer.
    """

    class Kind(models.TextChoices):
        EVIDENCE_ITEM = "evidence_item", "Evidence item"
        ACCOMPLISHMENT = "accomplishment", "Accomplishment"
        FEEDBACK_RESPONSE = "feedback_response", "Feedback response"
        SIGNAL = "signal", "AI signal (accepted)"
        MANAGER_COMMENTARY = "manager_commentary", "Manager commentary"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="packet_items")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    object_id = models.CharField(max_length=64)
    included_by = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    included_at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=32, help_text="self_review, assessment, annotation, calibration, …")
    note = models.TextField(blank=True, help_text="The includer's annotation.")
    selected_accomplishment = models.BooleanField(default=False,
                                                  help_text="One of the 3–5 the employee chose to show.")

    class Meta:
        ordering = ["review", "kind", "included_at", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "kind", "object_id"], name="packet_item_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"

    @property
    def reference(self) -> str:
        return f"{self.kind}:{self.object_id}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.review.person_id


class PanelMember(models.Model):
    """A calibration panelist for one cycle (E8); membership rotates from cycle to cycle."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="panel_members")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="panel_seats")
    added_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cycle", "person__name"]
        constraints = [models.UniqueConstraint(fields=["cycle", "person"], name="one_seat_per_cycle")]

    def __str__(self) -> str:
        return f"{self.person} on {self.cycle}"


class ConflictOfInterest(models.Model):
    """A declared conflict: the panelist takes no part in this person's decision."""

    class Reason(models.TextChoices):
        MANAGEMENT_CHAIN = "management_chain", "In the person's management chain"
        SELF = "self", "The panelist is the person"
        DECLARED = "declared", "Declared by the panelist"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="conflicts")
    panelist = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    note = models.TextField(blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "panelist"], name="one_conflict_per_panelist")]

    @property
    def audit_subject_person_id(self) -> int:
        return self.review.person_id


class PreVote(models.Model):
    """A panelist's independent assessment of one dimension, recorded before discussion."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="pre_votes")
    panelist = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    dimension = models.CharField(max_length=32, choices=Dimension.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    note = models.TextField(blank=True)
    voted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review", "dimension", "panelist__name"]
        constraints = [models.UniqueConstraint(fields=["review", "panelist", "dimension"], name="one_pre_vote")]

    @property
    def audit_subject_person_id(self) -> int:
        return self.review.person_id


class CalibrationChange(models.Model):
    """Who changed which outcome, when, from → to, why and on what evidence (E4).

    A change to *needs support* waits for a second approver before it applies (C10).
    Appeal decisions are recorded the same way with ``source = appeal``.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting a second approver"

    class Source(models.TextChoices):
        CALIBRATION = "calibration", "Calibration"
        APPEAL = "appeal", "Appeal"

    assessment = models.ForeignKey(DimensionAssessment, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    from_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    to_outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.TextField()
    citations = models.JSONField(default=list)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.APPLIED)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CALIBRATION)
    approved_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    seen_version = models.PositiveIntegerField(help_text="The assessment version the actor edited.")

    class Meta:
        ordering = ["changed_at", "id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.assessment.review.person_id


class DecisionMemo(models.Model):
    """The decision memo generated from the record (E5), with named final accountability."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="memo")
    sections = models.JSONField(default=dict)
    accountable = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+",
                                    help_text="The person finally accountable for this decision.")
    generated_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    generated_at = models.DateTimeField(auto_now=True)

    @property
    def audit_subject_person_id(self) -> int:
        return self.review.person_id


class Appeal(models.Model):
    """The employee's route to contest a decision (E7; GDPR Article 22)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested: waiting for a reviewer"
        IN_REVIEW = "in_review", "With the second reviewer"
        DECIDED = "decided", "Decided"
        ESCALATED = "escalated", "Escalated"
        CLOSED = "closed", "Closed"

    class Decision(models.TextChoices):
        UPHELD = "upheld", "Outcome upheld"
        CHANGED = "changed", "Outcome changed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="appeals")
    context = models.TextField(help_text="What the employee adds.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    filed_at = models.DateTimeField(auto_now_add=True)
    reviewer = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                 related_name="appeals_to_review")
    due_on = models.DateField(help_text="The date a decision is owed by.")
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reviewer = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.RESTRICT,
                                            related_name="+")
    escalation_due_on = models.DateField(null=True, blank=True)
    escalation_decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    escalation_decision_reason = models.TextField(blank=True)
    escalation_decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.review.person_id


# An appeal in one of these states blocks filing another on the same review.
OPEN_APPEAL_STATES = (Appeal.Status.REQUESTED, Appeal.Status.IN_REVIEW, Appeal.Status.ESCALATED)


class AppealMessage(models.Model):
    """One message in an appeal's thread; the thread is audited."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey("people.Person", on_delete=models.RESTRICT, related_name="+")
    body = models.TextField()
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["written_at", "id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.appeal.review.person_id


class Reminder(models.Model):
    """One reminder about one step of a cycle (the self review, or the manager's assessments) sent to the person
    whose step it is, by their manager or a people partner.

    At most one a person, step and day: the database refuses a second row for the same (cycle, step, recipient,
    day), so two clicks at once send one. Only the sender's side keeps who sent it; the person reads a notice
    that says what is due and where, not who asked.
    """

    STEPS = (Phase.SELF_REVIEW, Phase.MANAGER_ASSESSMENT)

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=32, choices=[(step, step.label) for step in STEPS])
    recipient = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="reminders_received")
    sent_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "step", "recipient", "day"],
                                               name="one_reminder_per_person_step_and_day")]

    def __str__(self) -> str:
        return f"Reminder about {self.get_step_display()} to {self.recipient_id} on {self.day}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.recipient_id
