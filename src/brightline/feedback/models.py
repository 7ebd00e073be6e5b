"""The growth space (PRODUCT.md B1–B6, C6, E10): checkpoints, 1:1 notes, feedback requests and
responses, manager commentary, accomplishments, annotations, evidence-cited drafts and the
manager training record.

Nothing here is a rating and nothing here reaches a review unless a review packet later includes
it explicitly (principle 7). Who may read each record is decided in ``brightline.access``.
"""

from __future__ import annotations

from django.db import models


class ToneLabel(models.TextChoices):
    OK = "ok", "OK"
    TOXIC = "toxic", "Flagged as possibly hostile"


class ToneCheckedText(models.Model):
    """The tone check run on a text before it was delivered; the text itself is never changed."""

    tone_label = models.CharField(max_length=8, choices=ToneLabel.choices, blank=True)
    tone_confidence = models.FloatField(null=True, blank=True)
    # True when the writer saw the flag and chose to send the text as written.
    tone_flag_acknowledged = models.BooleanField(default=False)

    class Meta:
        abstract = True


class Checkpoint(ToneCheckedText):
    """A continuous-feedback checkpoint (B3): wins, misses, impact and next steps."""

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        MILESTONE = "milestone", "After a milestone"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="checkpoints")
    # The manager at the time, so a later change of manager does not rewrite history.
    manager = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    author = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    cadence = models.CharField(max_length=16, choices=Cadence.choices)
    label = models.CharField(max_length=120, help_text="e.g. 'October 2026', 'Q3 2026' or the milestone's name")
    held_on = models.DateField()
    wins = models.TextField(blank=True)
    misses = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.person} · {self.label}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class OneOnOneNote(models.Model):
    """A 1:1 note, private to the pair: the report and the manager recorded on the note."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="one_on_one_notes")
    manager = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    held_on = models.DateField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class FeedbackRequest(models.Model):
    """A request for feedback about ``subject`` (B1), attributed unless ``anonymous``.

    Feedback given without a request ("Give feedback") is stored as a ``given`` request: closed when it is
    written, with one invitation (the writer's, already answered) and one attributed answer, so it is read,
    cited, counted in themes and kept exactly as an answered request is. ``requested_by`` is then the writer.
    """

    subject = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="feedback_requests")
    requested_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    context = models.TextField(blank=True, help_text="What the feedback is about: a project, a period, a role.")
    anonymous = models.BooleanField(default=False)
    given = models.BooleanField(default=False, help_text="Written unasked by requested_by, not answered to a request.")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Feedback about {self.subject}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.subject_id

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Relationship(models.TextChoices):
    PEER = "peer", "Peer"
    STAKEHOLDER = "stakeholder", "Stakeholder"
    REPORT = "report", "Reports to them (upward feedback)"
    MANAGER = "manager", "Their manager"


class FeedbackInvitation(models.Model):
    """One person asked to answer a request. Respondents see only the invitations addressed to them."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SUBMITTED = "submitted", "Answered"
        DECLINED = "declined", "Declined"

    request = models.ForeignKey(FeedbackRequest, on_delete=models.CASCADE, related_name="invitations")
    respondent = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="feedback_invitations")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["request", "respondent"], name="one_invitation_per_person")]

    @property
    def audit_subject_person_id(self) -> int:
        return self.request.subject_id


class FeedbackResponse(ToneCheckedText):
    """An answer to the structured prompts.

    For an anonymous request the response is not linked to its writer at all (``invitation`` is
    empty): only the invitation's status records that the person answered, so not even a
    database read joins a text to a name. ``sequence`` orders responses for release in groups.
    """

    request = models.ForeignKey(FeedbackRequest, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(FeedbackInvitation, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="response")
    # Empty for anonymous responses: "the one manager who answered" would name the writer.
    relationship = models.CharField(max_length=16, choices=Relationship.choices, blank=True)
    sequence = models.PositiveIntegerField()
    what_they_did = models.TextField()
    impact = models.TextField()
    one_thing_to_grow = models.TextField()
    # Empty for anonymous responses: a time would let the subject match a text to a writer.
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "sequence"]
        constraints = [models.UniqueConstraint(fields=["request", "sequence"], name="response_sequence_unique")]

    @property
    def audit_subject_person_id(self) -> int:
        return self.request.subject_id


class ManagerCommentary(models.Model):
    """Manager commentary (B2) about a person for a period."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="manager_commentaries")
    author = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    period = models.CharField(max_length=40, help_text="e.g. 2026-H2")
    owned = models.TextField("What they owned", blank=True)
    ambiguity = models.TextField("Ambiguity they navigated", blank=True)
    coaching = models.TextField("Coaching they responded to", blank=True)
    growth = models.TextField("Growth over time", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period", "-id"]
        verbose_name_plural = "manager commentaries"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class ImpactLevel(models.TextChoices):
    """The impact pyramid (B5), from input to outcome."""

    EXECUTION = "execution", "Execution"
    PROCESS_IMPROVEMENT = "process_improvement", "Process improvement"
    BUSINESS_OUTCOME = "business_outcome", "Business outcome"


class Accomplishment(models.Model):
    """One accomplishment written as impact (B4, B5); 3–5 per person per period."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="accomplishments")
    period = models.CharField(max_length=40, help_text="e.g. 2026-H2; review cycles link periods later")
    title = models.CharField(max_length=200)
    situation = models.TextField()
    action = models.TextField()
    result = models.TextField()
    impact = models.TextField()
    impact_level = models.CharField(max_length=24, choices=ImpactLevel.choices)
    teams_affected = models.PositiveIntegerField(null=True, blank=True)
    people_affected = models.PositiveIntegerField(null=True, blank=True)
    adoption = models.TextField(blank=True, help_text="Who adopted it and how far it reached.")
    measure = models.CharField(max_length=120, blank=True, help_text="What was measured, e.g. 'p95 latency'")
    measure_unit = models.CharField(max_length=40, blank=True)
    measure_before = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    measure_after = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    risk_not_worked_out = models.BooleanField(
        default=False, help_text="A risk taken that did not work out, and what was learned.")
    principles = models.ManyToManyField("people.Principle", blank=True, related_name="+")
    evidence = models.ManyToManyField("evidence.EvidenceItem", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id

    def narrative_text(self) -> str:
        return "\n\n".join(part for part in (self.situation, self.action, self.result, self.impact) if part)


class Annotation(models.Model):
    """The employee's own note on their dashboard or one accomplishment, before a review (B6)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="annotations")
    accomplishment = models.ForeignKey(Accomplishment, null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="annotations")
    period = models.CharField(max_length=40, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id


class ImpactDraft(models.Model):
    """Impact statements drafted from evidence (C6), with provenance, edits and approval.

    ``sentences`` is what the generator produced, each with its status (accepted / rejected)
    and issues; it is never changed afterwards. Edits are ``DraftEdit`` rows.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        DISCARDED = "discarded", "Discarded"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="impact_drafts")
    window_start = models.DateField()
    window_end = models.DateField()
    generator = models.CharField(max_length=120, help_text="'template-v1' or the language model's name")
    evidence = models.ManyToManyField("evidence.EvidenceItem", blank=True, related_name="+")
    sentences = models.JSONField(default=list)
    requested_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    approved_text = models.TextField(blank=True)
    approved_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id

    @property
    def accepted_sentences(self) -> list[dict]:
        return [s for s in self.sentences if s["status"] == "accepted"]

    @property
    def rejected_sentences(self) -> list[dict]:
        return [s for s in self.sentences if s["status"] == "rejected"]

    def current_text(self) -> str:
        edit = self.edits.order_by("-id").first()
        if edit is not None:
            return edit.text
        return "\n".join(s["text"] for s in self.accepted_sentences)


class DraftEdit(models.Model):
    draft = models.ForeignKey(ImpactDraft, on_delete=models.CASCADE, related_name="edits")
    author = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.draft.person_id


class DraftSentenceDecision(models.Model):
    """One decision on one sentence of an impact draft, reviewed together by the person and their manager.

    Rows are only ever added: the history of who accepted, edited or rejected which text, and when, is the
    table itself. ``side`` says whose half of the joint review the decision is (the person's own, or their
    management chain's), ``decided_by`` who took it.
    """

    class Side(models.TextChoices):
        PERSON = "person", "The person"
        MANAGER = "manager", "Their manager"

    class Action(models.TextChoices):
        ACCEPT = "accept", "Accepted"
        EDIT = "edit", "Edited"
        REJECT = "reject", "Rejected"

    draft = models.ForeignKey(ImpactDraft, on_delete=models.CASCADE, related_name="sentence_decisions")
    sentence_index = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=8, choices=Side.choices)
    action = models.CharField(max_length=8, choices=Action.choices)
    text_before = models.TextField()
    text_after = models.TextField()
    cited_ids = models.JSONField(default=list)
    reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["draft", "sentence_index", "id"], name="feedback_dsd_sentence_idx")]

    @property
    def audit_subject_person_id(self) -> int:
        return self.draft.person_id


class TrainingAttempt(models.Model):
    """One attempt at the manager readiness module (E10); the latest passing one counts."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="training_attempts")
    module_version = models.CharField(max_length=40)
    score = models.PositiveSmallIntegerField()
    out_of = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    answers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id
