"""Enforcing the policy's retention periods (G1, A6): delete what is older than its category's period.

Each retention category of the data inventory maps to the models that hold its rows and the date
that makes a row old (``TARGETS``). One run deletes, in ONE transaction, every row of every
category whose date is before ``now - period``: if anything fails, nothing is deleted. A dry run
counts and deletes nothing.

Rows are never purged out from under a process that still rests on them: a row cited by a review
in an open cycle, by a review with an open appeal, or by a support plan that is not closed is held
(kept and counted, with the reason). Audit entries are never deleted: ``brightline audit verify``
walks the hash chain from entry 1 and treats a missing entry as tampering, and the audit app has
no chain-preserving truncation, so they are counted and held (see docs/data-inventory.md).

People records are counted, never deleted, by age: a leaver's record whose leaving date (``left_on``,
set by the people import) is older than the people period is held and reported for an administrator
to erase, because deleting a person takes the reviews and feedback that cite them with it. Not
purged by age: AI signals (recomputed by ``insights run``, they are derived, not collected) and the
manager training record (it decides who may assess; it is not data about the people assessed).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from brightline.audit.models import AccessLog, AuditEntry
from brightline.audit.services import log_action, prune_access_log
from brightline.evidence.models import (
    CodeReview,
    CommitRecord,
    Deployment,
    EvidenceItem,
    Incident,
    Page,
    PullRequest,
    Remediation,
    SupportTicket,
    TimeOff,
)
from brightline.fairness.models import DemographicRecord
from brightline.feedback.models import (
    Accomplishment,
    Annotation,
    Checkpoint,
    FeedbackRequest,
    ImpactDraft,
    ManagerCommentary,
    OneOnOneNote,
)
from brightline.governance.models import HrisEvent, SurveyResponse
from brightline.people.models import Person
from brightline.policy.inventory import DEFAULT_RETENTION_DAYS
from brightline.policy.services import MIN_AUDIT_RETENTION_DAYS, get_policy
from brightline.reviews.models import CalibrationChange, DimensionAssessment, PacketItem, Phase, Review, ReviewCycle
from brightline.reviews.services import OPEN_APPEAL_STATES
from brightline.support.models import SupportPlan

PURGE_ACTION = "policy.retention.purged"
LOG_CATEGORIES = frozenset({"audit", "access_logs"})

HOLD_OPEN_CYCLE = "cited in a review of an open review cycle"
HOLD_OPEN_APPEAL = "cited in a review with an open appeal"
HOLD_OPEN_PLAN = "cited by a support plan that is not closed"
HOLD_CYCLE_APPEAL = "a review of this cycle has an open appeal"
HOLD_CYCLE_PLAN = "a support plan that is not closed rests on a review of this cycle"
HOLD_LEAVER = ("a leaver past the retention period: erase the person in the admin once nothing that "
               "cites them is still needed")
HOLD_AUDIT_CHAIN = ("audit entries are never deleted: `brightline audit verify` checks the hash chain from its "
                    "first entry, and the audit app has no chain-preserving truncation")


@dataclass(frozen=True)
class Holds:
    """What open processes rest on: ``(kind, object_id)`` references and review ids, each with a reason."""

    references: dict[tuple[str, str], str]
    reviews: dict[int, str]

    def referenced_ids(self, kind: str) -> dict[int, str]:
        return {int(object_id): reason for (ref_kind, object_id), reason in self.references.items()
                if ref_kind == kind and object_id.isdigit()}


# Given the expired rows of a target and the holds, the ids to keep and why.
HoldRule = Callable[[models.QuerySet, Holds], dict[int, str]]


def _held_when_cited(kind: str) -> HoldRule:
    def rule(expired: models.QuerySet, holds: Holds) -> dict[int, str]:
        cited = holds.referenced_ids(kind)
        return {pk: cited[pk] for pk in expired.filter(pk__in=list(cited)).values_list("pk", flat=True)}

    return rule


def _held_when_a_response_is_cited(expired: models.QuerySet, holds: Holds) -> dict[int, str]:
    # Deleting a request deletes its responses, so a request is held while any response is cited.
    cited = holds.referenced_ids("feedback_response")
    pairs = expired.filter(responses__pk__in=list(cited)).values_list("pk", "responses__pk")
    return {request_id: cited[response_id] for request_id, response_id in pairs}


def _held_when_a_review_is_held(expired: models.QuerySet, holds: Holds) -> dict[int, str]:
    reasons = {HOLD_OPEN_APPEAL: HOLD_CYCLE_APPEAL, HOLD_OPEN_PLAN: HOLD_CYCLE_PLAN}
    pairs = expired.filter(reviews__pk__in=list(holds.reviews)).values_list("pk", "reviews__pk")
    return {cycle_id: reasons.get(holds.reviews[review_id], holds.reviews[review_id]) for cycle_id, review_id in pairs}


@dataclass(frozen=True)
class Target:
    """The rows of one model in one retention category, and the date that makes a row old."""

    category: str
    model: type[models.Model]
    date_field: str
    hold: HoldRule | None = None
    # When set, no row is ever deleted: every expired row is held for this reason.
    never_delete: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.label


# In category order, children before parents, so a cascade never deletes a row that a later target
# would have counted (a code review before its pull request, an annotation before its accomplishment).
# Where a row can be edited, the date is its last write: it is as old as its newest content.
TARGETS: tuple[Target, ...] = (
    Target("people", HrisEvent, "date"),
    Target("people", Person, "left_on", never_delete=HOLD_LEAVER),
    Target("delivery", EvidenceItem, "occurred_at", _held_when_cited("evidence_item")),
    Target("delivery", CommitRecord, "committed_at"),
    Target("delivery", CodeReview, "submitted_at"),
    Target("delivery", PullRequest, "updated_at"),
    Target("delivery", Remediation, "occurred_at"),
    Target("delivery", Page, "paged_at"),
    Target("delivery", Incident, "opened_at"),
    Target("delivery", SupportTicket, "opened_at"),
    Target("delivery", Deployment, "deployed_at"),
    Target("feedback", Checkpoint, "held_on"),
    Target("feedback", OneOnOneNote, "held_on"),
    Target("feedback", FeedbackRequest, "created_at", _held_when_a_response_is_cited),
    Target("feedback", ManagerCommentary, "updated_at", _held_when_cited("manager_commentary")),
    Target("feedback", Annotation, "created_at"),
    Target("feedback", Accomplishment, "updated_at", _held_when_cited("accomplishment")),
    Target("feedback", ImpactDraft, "created_at"),
    # A cycle's record is complete when it closes; an open cycle has no closing date and never expires.
    Target("reviews", ReviewCycle, "closed_at", _held_when_a_review_is_held),
    Target("surveys", SurveyResponse, "survey_date"),
    Target("pto", TimeOff, "end_date"),
    Target("demographics", DemographicRecord, "updated_at"),
    Target("access_logs", AccessLog, "at"),
    Target("audit", AuditEntry, "created_at", never_delete=HOLD_AUDIT_CHAIN),
)


@dataclass
class CategoryResult:
    category: str
    period_days: int
    cutoff: dt.datetime
    found: int = 0
    held: int = 0
    deleted: int = 0
    held_reasons: dict[str, int] = field(default_factory=dict)
    # Rows of other models deleted with the expired ones (a request's responses), by model label.
    cascaded: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "period_days": self.period_days, "cutoff": self.cutoff.isoformat(),
                "found": self.found, "held": self.held, "deleted": self.deleted,
                "held_reasons": dict(sorted(self.held_reasons.items())),
                "cascaded": dict(sorted(self.cascaded.items()))}


@dataclass(frozen=True)
class PurgeResult:
    ran_at: dt.datetime
    dry_run: bool
    categories: tuple[CategoryResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {"ran_at": self.ran_at.isoformat(), "dry_run": self.dry_run,
                "categories": [category.to_json() for category in self.categories]}


def retention_period(category: str, retention_days: dict[str, int]) -> int:
    """Days to keep ``category``; the audit and access logs never less than the six-month floor."""
    days = int(retention_days.get(category, DEFAULT_RETENTION_DAYS[category]))
    return max(days, MIN_AUDIT_RETENTION_DAYS) if category in LOG_CATEGORIES else days


def collect_holds() -> Holds:
    """References from reviews in open cycles, reviews with open appeals and support plans not closed."""
    review_reasons: dict[int, str] = {}
    open_reviews = Review.objects.exclude(cycle__phase=Phase.CLOSED).values_list("pk", flat=True)
    appealed = Review.objects.filter(appeals__status__in=OPEN_APPEAL_STATES).values_list("pk", flat=True)
    open_plans = SupportPlan.objects.exclude(status=SupportPlan.Status.CLOSED)
    planned = open_plans.filter(review__isnull=False).values_list("review_id", flat=True)
    # The first reason wins: an open cycle is the plainest explanation.
    for reason, review_ids in ((HOLD_OPEN_CYCLE, open_reviews), (HOLD_OPEN_APPEAL, appealed),
                               (HOLD_OPEN_PLAN, planned)):
        for review_id in review_ids:
            review_reasons.setdefault(review_id, reason)

    references: dict[tuple[str, str], str] = {}

    def hold(citations: list[str], reason: str) -> None:
        for citation in citations:
            kind, _, object_id = str(citation).partition(":")
            references.setdefault((kind.strip(), object_id.strip()), reason)

    in_held_reviews = list(review_reasons)
    for review_id, kind, object_id in PacketItem.objects.filter(review__in=in_held_reviews).values_list(
            "review_id", "kind", "object_id"):
        references.setdefault((kind, object_id), review_reasons[review_id])
    for review_id, citations in Review.objects.filter(pk__in=in_held_reviews).values_list("pk", "promotion_citations"):
        hold(citations or [], review_reasons[review_id])
    for review_id, citations in DimensionAssessment.objects.filter(review__in=in_held_reviews).values_list(
            "review_id", "citations"):
        hold(citations or [], review_reasons[review_id])
    for review_id, citations in CalibrationChange.objects.filter(assessment__review__in=in_held_reviews).values_list(
            "assessment__review_id", "citations"):
        hold(citations or [], review_reasons[review_id])
    for citations in open_plans.values_list("citations", flat=True):
        hold(citations or [], HOLD_OPEN_PLAN)
    return Holds(references=references, reviews=review_reasons)


def _expired(target: Target, cutoff: dt.datetime) -> models.QuerySet:
    field_object = target.model._meta.get_field(target.date_field)
    # A calendar date is old when the whole day lies before the cut-off's day (UTC, the storage zone).
    limit: dt.date | dt.datetime = cutoff
    if isinstance(field_object, models.DateField) and not isinstance(field_object, models.DateTimeField):
        limit = timezone.localdate(cutoff, dt.UTC)
    return target.model._default_manager.filter(**{f"{target.date_field}__lt": limit})


def _count_held(result: CategoryResult, reasons: Counter[str]) -> None:
    for reason, count in reasons.items():
        result.held += count
        result.held_reasons[reason] = result.held_reasons.get(reason, 0) + count


def purge_expired_data(*, dry_run: bool = False, now: dt.datetime | None = None,
                       actor_label: str = "retention purge") -> PurgeResult:
    """Delete every row past its category's retention period, all in one transaction.

    Returns counts per category: rows found past the cut-off, held (kept, with reasons) and
    deleted (0 in a dry run). A real run writes one ``policy.retention.purged`` audit entry; a dry
    run writes nothing. Any error rolls the whole run back, audit entry included.
    """
    now = now or timezone.now()
    retention_days = get_policy().retention_days
    periods = {category: retention_period(category, retention_days) for category in DEFAULT_RETENTION_DAYS}
    results = {category: CategoryResult(category, days, now - dt.timedelta(days=days))
               for category, days in periods.items()}
    with transaction.atomic():
        holds = collect_holds()
        for target in TARGETS:
            result = results[target.category]
            expired = _expired(target, result.cutoff)
            found = expired.count()
            result.found += found
            if target.never_delete:
                _count_held(result, Counter({target.never_delete: found} if found else {}))
                continue
            held = target.hold(expired, holds) if target.hold is not None and found else {}
            _count_held(result, Counter(held.values()))
            if dry_run or found == len(held):
                continue
            if target.model is AccessLog:
                # The access log is a hash chain: its oldest reads go as a prefix, and the chain notes its new start.
                result.deleted += prune_access_log(result.cutoff)
                continue
            _total, per_model = expired.exclude(pk__in=list(held)).delete()
            result.deleted += per_model.pop(target.label, 0)
            for label, count in per_model.items():
                # Many-to-many link rows (an accomplishment's evidence) go with their row; they are not data.
                if count and not apps.get_model(label)._meta.auto_created:
                    result.cascaded[label] = result.cascaded.get(label, 0) + count
        purge = PurgeResult(ran_at=now, dry_run=dry_run, categories=tuple(results.values()))
        if not dry_run:
            log_action(PURGE_ACTION, None, None, purge.to_json(), actor_label=actor_label)
    return purge


# How each category is named on the data inventory page.
CATEGORY_NAMES: dict[str, str] = {
    "people": "HR movement events (leavers, transfers, promotions) and the records of people who left",
    "delivery": "Delivery data: commits, pull requests, deployments, incidents, pages, tickets, evidence items",
    "feedback": "Feedback, checkpoints, 1:1 notes, commentary, accomplishments, drafts",
    "reviews": "Closed review cycles with their reviews, calibration, memos and appeals",
    "surveys": "Survey answers",
    "pto": "Time off imported from the HR system",
    "demographics": "Demographic attributes",
    "access_logs": "The log of who read whose record",
    "audit": "The audit trail",
}


@dataclass(frozen=True)
class LastPurge:
    ran_at: dt.datetime
    categories: list[dict[str, Any]]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The categories with their display name and the cut-off day, for the data inventory page."""
        return [{**category, "name": CATEGORY_NAMES.get(category["category"], category["category"]),
                 "cutoff_day": str(category.get("cutoff", ""))[:10]} for category in self.categories]


def last_purge() -> LastPurge | None:
    """The latest completed purge, read back from its audit entry; None before the first one."""
    entry = AuditEntry.objects.filter(action=PURGE_ACTION).order_by("-seq").first()
    if entry is None:
        return None
    return LastPurge(ran_at=entry.created_at, categories=entry.data.get("categories", []))
