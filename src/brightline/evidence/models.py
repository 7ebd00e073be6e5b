"""Operational evidence. ``EvidenceItem`` is the citable unit every layer refers to as ``[E:<id>]``."""

from __future__ import annotations

from django.db import models

from brightline.core.delivery import DEFAULT_RELEASE_TAG_PATTERN
from brightline.people.models import WorkloadClass


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
        PAIRING = "pairing", "Paired on a change"
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


# --- the service catalogue ------------------------------------------------------------------
class Criticality(models.TextChoices):
    CRITICAL = "critical", "Critical (customer-facing, revenue or safety)"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low (internal, best effort)"


class Maturity(models.TextChoices):
    NEW = "new", "New (first year)"
    GROWING = "growing", "Growing"
    MATURE = "mature", "Mature"
    SUNSET = "sunset", "Being retired"


def default_production_environments() -> list[str]:
    return ["production"]


class Service(models.Model):
    """A deployable service: who owns it and the context its metrics must be read in (A4).

    Metrics of a service are compared with the same service over time first, and with other
    services only when workload class and criticality match.
    """

    name = models.SlugField(max_length=120, unique=True, help_text="Short, stable name, e.g. payments-api.")
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="services", help_text="The owning team.")
    description = models.TextField(blank=True)
    criticality = models.CharField(max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM)
    workload_class = models.CharField(max_length=32, choices=WorkloadClass.choices,
                                      default=WorkloadClass.UNSPECIFIED)
    maturity = models.CharField(max_length=16, choices=Maturity.choices, default=Maturity.MATURE)
    production_environments = models.JSONField(
        default=default_production_environments, blank=True,
        help_text="Environment names that count as production deployments, e.g. [\"production\", \"prod-eu\"].")
    release_tag_pattern = models.CharField(
        max_length=200, default=DEFAULT_RELEASE_TAG_PATTERN,
        help_text="Regular expression: git tags that match are production releases.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_production(self, environment: str) -> bool:
        return environment.strip().lower() in {name.strip().lower() for name in self.production_environments}


class SyncCursor(models.Model):
    """Where the last sync of one source stopped, so the next one is incremental and resumable.

    ``position`` is the source's own bookmark (a commit sha, an ``updated_at`` high-water mark,
    the next page URL after a rate-limit stop).
    """

    source = models.CharField(max_length=32)
    key = models.CharField(max_length=300, help_text="Which feed: a repository path, OWNER/NAME, a project id.")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="cursors")
    position = models.JSONField(default=dict, blank=True)
    complete = models.BooleanField(default=True, help_text="False while a sync stopped early (rate limit).")
    message = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="evidence_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.source}:{self.key}"


class Repository(models.Model):
    """A local git repository (working clone or bare) whose branch history belongs to a service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="repositories")
    path = models.CharField(max_length=1000)
    branch = models.CharField(max_length=200, default="HEAD")
    last_synced_head = models.CharField(max_length=64, blank=True,
                                        help_text="The branch head at the end of the last complete sync.")
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "repositories"
        constraints = [models.UniqueConstraint(fields=["service", "path"], name="evidence_repository_unique")]

    def __str__(self) -> str:
        return f"{self.service.name}: {self.path}"


class Deployment(models.Model):
    """A deployment or release of a service to an environment. Release tags are production deployments."""

    class Status(models.TextChoices):
        SUCCESS = "success", "Succeeded"
        FAILURE = "failure", "Failed"
        IN_PROGRESS = "in_progress", "In progress"
        CANCELLED = "cancelled", "Cancelled"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="deployments")
    environment = models.CharField(max_length=100, default="production")
    version = models.CharField(max_length=200, blank=True)
    sha = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUCCESS)
    deployed_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=32, help_text="git, github, gitlab, events, pagerduty, …")
    external_id = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-deployed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="evidence_deployment_unique")]
        indexes = [models.Index(fields=["service", "deployed_at"])]

    def __str__(self) -> str:
        return f"{self.service.name} {self.version or self.sha[:10]} → {self.environment}"


class Remediation(models.Model):
    """A rollback, revert or hotfix: evidence that an earlier production deployment failed."""

    class Kind(models.TextChoices):
        ROLLBACK = "rollback", "Rollback"
        REVERT = "revert", "Revert"
        HOTFIX = "hotfix", "Hotfix"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="remediations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    failed_deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="remediations")
    remediation_deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.SET_NULL,
                                               related_name="+")
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="evidence_remediation_unique")]


class CommitRecord(models.Model):
    """One commit reachable from a repository's branch, with ``git log --numstat`` line counts (the stored
    form of the core's ``Commit``).

    Times are stored in UTC with the author's and committer's own UTC offset in minutes, so
    after-hours work is judged on the clock the person actually saw. Merges add no lines.
    """

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=64)
    parents = models.CharField(max_length=500, blank=True, help_text="Parent shas separated by spaces.")
    author_name = models.CharField(max_length=300)
    author_email = models.CharField(max_length=300)
    authored_at = models.DateTimeField()
    author_offset_minutes = models.SmallIntegerField(default=0)
    committer_name = models.CharField(max_length=300)
    committer_email = models.CharField(max_length=300)
    committed_at = models.DateTimeField()
    committer_offset_minutes = models.SmallIntegerField(default=0)
    subject = models.CharField(max_length=500)
    lines_added = models.PositiveIntegerField(default=0)
    lines_deleted = models.PositiveIntegerField(default=0)
    files_changed = models.PositiveIntegerField(default=0)
    is_merge = models.BooleanField(default=False)
    is_revert = models.BooleanField(default=False)
    reverted_sha = models.CharField(max_length=64, blank=True)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", help_text="The resolved author; empty until identified.")
    first_release = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="first_commits",
                                      help_text="The first production deployment that shipped this commit.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["repository", "sha"], name="evidence_commit_unique")]
        # Named as they were created, before the model had its product name (names derive from the table).
        indexes = [models.Index(fields=["repository", "authored_at"], name="evidence_co_reposit_22e89f_idx"),
                   models.Index(fields=["person", "authored_at"], name="evidence_co_person__a12b20_idx")]

    def __str__(self) -> str:
        return f"{self.sha[:10]} {self.subject}"


class Incident(models.Model):
    """An incident on a service, attributed to a deployment by a declared link, a root-cause
    commit, or an inferred rule that is stored with it so readers can judge it."""

    class Attribution(models.TextChoices):
        DECLARED = "declared", "Declared"
        ROOT_CAUSE = "root_cause", "Root-cause commit"
        INFERRED = "inferred", "Inferred"
        NONE = "none", "Not attributed"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=32, blank=True)
    opened_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    linked_deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="declared_incidents")
    root_cause_sha = models.CharField(max_length=64, blank=True)
    attributed_deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.SET_NULL,
                                              related_name="attributed_incidents")
    attribution = models.CharField(max_length=16, choices=Attribution.choices, default=Attribution.NONE)
    attribution_rule = models.CharField(max_length=300, blank=True)
    handled_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="evidence_incident_unique")]

    def __str__(self) -> str:
        return f"{self.service.name}: {self.title or self.external_id}"


class Page(models.Model):
    """An on-call page to a person (used for on-call burden and after-hours interruptions)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="pages")
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    responder = models.CharField(max_length=300, blank=True, help_text="The identity the source named.")
    paged_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    urgency = models.CharField(max_length=32, blank=True)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="pages")
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="evidence_page_unique")]


class SupportTicket(models.Model):
    """A support ticket handled for a service (support burden, A3)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="support_tickets")
    title = models.CharField(max_length=300, blank=True)
    priority = models.CharField(max_length=32, blank=True)
    opened_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handler = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="evidence_ticket_unique")]


class PullRequest(models.Model):
    """A GitHub pull request or GitLab merge request, with the times the flow metrics need."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="pull_requests")
    source = models.CharField(max_length=32, help_text="github or gitlab")
    external_id = models.CharField(max_length=300, help_text="OWNER/NAME#number or project!iid")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=500, blank=True)
    author = models.CharField(max_length=200, blank=True, help_text="The platform handle.")
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=32)
    opened_at = models.DateTimeField()
    first_commit_at = models.DateTimeField(null=True, blank=True)
    first_review_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True, help_text="The first approval.")
    approvals = models.PositiveSmallIntegerField(default=0)
    merged_at = models.DateTimeField(null=True, blank=True)
    merge_sha = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="evidence_pull_request_unique")]


class CodeReview(models.Model):
    """One code review on a pull or merge request (approved, changes requested, commented); a performance
    review is ``reviews.Review``."""

    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.CharField(max_length=200)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=32)
    submitted_at = models.DateTimeField()
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="evidence_review_unique")]


class UnmatchedIdentity(models.Model):
    """An email or handle no person claims yet. A people partner maps it; Brightline never guesses."""

    kind = models.CharField(max_length=16, help_text="email, github, gitlab or name")
    value = models.CharField(max_length=300, help_text="Case-folded.")
    display_name = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=32)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    resolved_to = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    dismissed = models.BooleanField(default=False, help_text="Not a person of this organisation (a bot, a contractor).")

    class Meta:
        ordering = ["kind", "value"]
        verbose_name_plural = "unmatched identities"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="evidence_unmatched_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def is_open(self) -> bool:
        return self.resolved_to_id is None and not self.dismissed


class WebhookDelivery(models.Model):
    """A delivery id seen on the events webhook: a second delivery with the same id is a replay."""

    delivery_id = models.CharField(max_length=200, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)
    events = models.PositiveIntegerField(default=0)


class TimeOff(models.Model):
    """A person's time off from the HR system, ``start_date`` to ``end_date`` with both days included (A5).

    A team-health input only, never performance evidence: nothing can cite it, no packet or AI signal
    reads it, and team pages show it as aggregates that never name the kind. The kind is kept
    because the HR export has it and the person sees their own; it is private to them.
    """

    class Kind(models.TextChoices):
        VACATION = "vacation", "Vacation"
        SICK = "sick", "Sick leave"
        PARENTAL = "parental", "Parental leave"
        OTHER = "other", "Other"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    start_date = models.DateField()
    end_date = models.DateField(help_text="The last day off (included).")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=32, default="csv")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person_id", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["person", "start_date"], name="evidence_time_off_one_start_per_person"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="evidence_time_off_ends_after_start"),
        ]

    def __str__(self) -> str:
        # Without the kind: a log line or admin listing must not reveal the reason for leave.
        return f"time off of person {self.person_id} from {self.start_date.isoformat()} to {self.end_date.isoformat()}"

    @property
    def audit_subject_person_id(self) -> int:
        return self.person_id
