""""Needs you now": the actions waiting for one person, oldest first, each linking to where it is done.

One function, ``inbox_for``, builds the list for the home page and ``GET /api/me/inbox`` with a fixed
number of queries whatever the number of items (no query per item). Titles name what to do and whom it
is about, never content (no feedback text, no outcome).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, Max, Min, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from brightline import access
from brightline.feedback.draft_review import SIDE_MANAGER, SIDE_PERSON, sentence_reviews
from brightline.feedback.models import DraftSentenceDecision, FeedbackInvitation, ImpactDraft
from brightline.insights.models import Signal, SignalKind
from brightline.insights.services import PACKET_CHECK_PREFIX
from brightline.people.models import Dimension, Person, RoleChange
from brightline.promotions.escalation import open_escalations_for
from brightline.promotions.models import CaseAppeal, CaseEscalation
from brightline.reviews.models import Appeal, Phase, PreVote, Review
from brightline.support.models import Cadence, SupportPlan

# A support-plan check-in shows from this many days before it is due.
CHECK_IN_NOTICE_DAYS = 7
CADENCE_DAYS = {Cadence.WEEKLY: 7, Cadence.FORTNIGHTLY: 14, Cadence.MONTHLY: 30}


@dataclass(frozen=True)
class InboxItem:
    kind: str
    title: str
    url: str
    since: datetime
    due_on: date | None
    overdue: bool
    # For the home page's grouping only (not in the API): whom the item is about, the batch it belongs to (a
    # cycle's name) and how many things it counts (a group of AI signals).
    subject: str = ""
    batch: str = ""
    count: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "url": self.url, "since": self.since,
                "due_on": self.due_on, "overdue": self.overdue}


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _phase_end(schedule: dict[str, str], phase: str) -> date | None:
    try:
        return date.fromisoformat(schedule[phase])
    except (KeyError, TypeError, ValueError):
        return None


def open_reviews(person: Person) -> list[Review]:
    """The reviews in cycles not closed yet that are ``person``'s own or that ``person`` writes as manager, newest
    cycle first: the inbox's self reviews and assessments and the home page's own review, in one query."""
    return list(Review.objects.filter(Q(person=person) | Q(manager=person)).exclude(cycle__phase=Phase.CLOSED)
                .select_related("cycle", "person", "manager")
                .order_by("-cycle__opened_at", "-cycle_id", "person__name"))


def _appeal_waits(appeal: Appeal, person: Person, assigns: bool) -> bool:
    """The inbox's appeal query, for an appeal already read: to decide, or (``assigns``) to give a reviewer."""
    to_decide = ((appeal.reviewer_id == person.pk and appeal.status == Appeal.Status.IN_REVIEW)
                 or (appeal.escalation_reviewer_id == person.pk and appeal.status == Appeal.Status.ESCALATED
                     and appeal.escalation_decided_at is None))
    to_assign = (appeal.status == Appeal.Status.REQUESTED
                 or (appeal.status == Appeal.Status.ESCALATED and appeal.escalation_reviewer_id is None))
    return to_decide or (assigns and to_assign)


def inbox_for(person: Person, *, today: date | None = None, reviews: list[Review] | None = None,
              open_appeals: list[Appeal] | None = None,
              open_plans: list[SupportPlan] | None = None,
              also: dict[str, Callable[[Person], QuerySet[Any]]] | None = None,
              held: dict[str, bool] | None = None) -> list[InboxItem]:
    """Everything waiting for ``person``, oldest first.

    A page that has read some rows already passes them instead of a query each: ``reviews`` from
    ``open_reviews(person)``; ``open_appeals`` (every appeal not decided) and ``open_plans`` (every active or
    proposed support plan, with ``last_check_in``), which the people partner's home reads for its own lists too.
    ``also`` names more row sets the page wants to know hold anything, each built for a person (by their id
    only), asked in the inbox's own query for that (the home page skips reading its parts that hold nothing); the
    answers are written into ``held``."""
    today = today or timezone.localdate()
    if reviews is None:
        reviews = open_reviews(person)
    items: list[InboxItem] = []

    def add(kind: str, title: str, url: str, since: datetime, due_on: date | None = None, *, subject: str = "",
            batch: str = "", count: int = 1) -> None:
        items.append(InboxItem(kind, title, url, since, due_on, due_on is not None and due_on < today,
                               subject, batch, count))

    for review in reviews:
        if review.person_id != person.pk or review.cycle.phase != Phase.SELF_REVIEW \
                or review.self_review_submitted_at is not None:
            continue
        add("self_review", f"Write your self review for {review.cycle.name}",
            reverse("reviews:review", args=[review.pk]), review.cycle.phase_changed_at or review.cycle.opened_at,
            _phase_end(review.cycle.schedule, Phase.SELF_REVIEW))
    for review in reviews:
        if review.manager_id != person.pk or review.cycle.phase != Phase.MANAGER_ASSESSMENT \
                or review.assessment_submitted_at is not None:
            continue
        add("assessment", f"Assess {review.person.name} ({review.cycle.name})",
            reverse("reviews:review", args=[review.pk]), review.cycle.phase_changed_at or review.cycle.opened_at,
            _phase_end(review.cycle.schedule, Phase.MANAGER_ASSESSMENT), subject=review.person.name,
            batch=review.cycle.name)

    # Most sources hold nothing for most people: one query asks which hold anything, and only those are read (each
    # read compiles a query with its joins, most of a home page's CPU).
    shape = _Shape(access.can_run_cycles(person), access.can_run_promotions(person), open_appeals is None,
                   open_plans is None, access.is_leader(person))
    extra = also or {}
    holding = _holding(person, (shape, *extra), lambda who: _sources(who, shape) | {
        name: rows(who) for name, rows in extra.items()})
    if held is not None:
        held.update({name: holding[name] for name in extra})
    # The person's own row sets, built only when one of them is read.
    sources: Callable[[], dict[str, QuerySet[Any]]] = cache(lambda: _sources(person, shape))

    for invitation in sources()["invitations"].select_related("request__subject") if holding["invitations"] else []:
        add("feedback_request", f"Give feedback about {invitation.request.subject.name}",
            reverse("feedback:answer", args=[invitation.pk]), invitation.request.created_at,
            subject=invitation.request.subject.name, batch="feedback")

    if holding["panel"]:
        # Not the panelist's own review, none in their chain, none with a declared conflict (as in access); the
        # chain is a subquery on the stored reporting lines, never a list of everyone below a leader.
        candidates = list(sources()["panel"].exclude(person=person).exclude(manager=person)
                          .exclude(person__in=access.people_managed_by(person).values("pk"))
                          .exclude(conflicts__panelist=person).distinct())
        voted = dict(PreVote.objects.filter(panelist=person, review__in=candidates).values("review")
                     .annotate(n=Count("pk")).values_list("review", "n"))
        for review in candidates:
            if voted.get(review.pk, 0) < len(Dimension.values):
                add("pre_vote", f"Record your pre-vote on {review.person.name} ({review.cycle.name})",
                    reverse("reviews:review", args=[review.pk]),
                    review.cycle.phase_changed_at or review.cycle.opened_at,
                    _phase_end(review.cycle.schedule, Phase.CALIBRATION), subject=review.person.name,
                    batch=review.cycle.name)

    # Appeals to decide and, for those who run the process, appeals waiting for a reviewer: one query each for
    # reviews and promotions (the two kinds of step never match the same appeal).
    appeals = ([appeal for appeal in open_appeals if _appeal_waits(appeal, person, shape.assigns)]
               if open_appeals is not None
               else sources()["appeals"].select_related("review__person") if holding["appeals"] else [])
    for appeal in appeals:
        escalated = appeal.status == Appeal.Status.ESCALATED
        if appeal.status == Appeal.Status.REQUESTED or escalated and appeal.escalation_reviewer_id is None:
            add("appeal_reviewer", f"Assign a reviewer to the appeal of {appeal.review.person.name}",
                reverse("reviews:appeal", args=[appeal.pk]), appeal.escalated_at or appeal.filed_at,
                appeal.due_on if appeal.status == Appeal.Status.REQUESTED else None)
            continue
        add("appeal", f"Decide the appeal of {appeal.review.person.name}", reverse("reviews:appeal", args=[appeal.pk]),
            (appeal.escalated_at or appeal.filed_at) if escalated else appeal.filed_at,
            appeal.escalation_due_on if escalated else appeal.due_on)

    for case_appeal in sources()["case_appeals"].select_related("case__person") if holding["case_appeals"] \
            else []:
        escalated = case_appeal.status == CaseAppeal.Status.ESCALATED
        since = (case_appeal.escalated_at or case_appeal.filed_at) if escalated else case_appeal.filed_at
        due = case_appeal.escalation_due_on if escalated else case_appeal.due_on
        name, url = case_appeal.case.person.name, reverse("promotions:case", args=[case_appeal.case_id])
        unassigned = escalated and case_appeal.escalation_reviewer_id is None
        if case_appeal.status == CaseAppeal.Status.REQUESTED or unassigned:
            add("promotion_appeal_reviewer", f"Assign a reviewer to the promotion appeal of {name}"
                + (" (taken one step further)" if escalated else ""), url, since, due)
        else:
            add("promotion_appeal", f"Decide the promotion appeal of {name}"
                + (" (taken one step further; your decision is final)" if escalated else ""), url, since, due)

    plans = ([plan for plan in open_plans
              if plan.person.manager_id == person.pk and plan.status == SupportPlan.Status.ACTIVE]
             if open_plans is not None
             else sources()["plans"].select_related("person").annotate(last_check_in=Max("check_ins__held_on"))
             if holding["plans"] else [])
    for plan in plans:
        last = plan.last_check_in or plan.starts_on
        due = last + timedelta(days=CADENCE_DAYS.get(plan.cadence, 14))
        if due <= today + timedelta(days=CHECK_IN_NOTICE_DAYS):
            add("check_in", f"Hold the support-plan check-in with {plan.person.name}",
                reverse("support:plan", args=[plan.pk]), _moment(last), due)

    for plan in sources()["plans_to_approve"].select_related("person") if holding["plans_to_approve"] else []:
        add("plan_approval", f"A support plan for {plan.person.name} waits for your approval",
            reverse("support:plan", args=[plan.pk]), plan.opened_at, subject=plan.person.name)

    groups = (sources()["signal_groups"].values("person_id", "person__name", "team__slug", "team__name")
              .annotate(n=Count("pk"), oldest=Min("created_at")).order_by()
              if holding["signal_groups"] else [])
    for group in groups:
        count = group["n"]
        verb = "waits" if count == 1 else "wait"
        noun = f"{count} AI signal{'s' if count != 1 else ''}"
        if group["person_id"] == person.pk:
            title, url = f"{noun} about you {verb} for you to accept or dismiss", reverse("insights:me")
        elif group["person_id"]:
            title, url = (f"{noun} about {group['person__name']} {verb} for you to accept or dismiss",
                          reverse("insights:person", args=[group["person_id"]]))
        elif group["team__slug"]:
            title, url = (f"{noun} about {group['team__name']} {verb} for you to accept or dismiss",
                          reverse("insights:team", args=[group["team__slug"]]))
        else:
            title, url = (f"{noun} about the organisation {verb} for you to accept or dismiss",
                          reverse("insights:organisation"))
        add("signals", title, url, group["oldest"], count=count)

    for escalation in open_escalations_for(person) if holding["escalations"] else []:
        add("promotion_escalation", f"Move on the promotion case of {escalation.case.person.name}: it is past its "
            f"deadline", reverse("promotions:case", args=[escalation.case_id]), escalation.escalated_at,
            escalation.due_on)

    if holding["drafts"]:
        _draft_sentences_waiting(person, add)

    if shape.assigns and holding.get("changes_to_approve"):
        _role_changes_waiting(person, sources()["changes_to_approve"], add)

    return sorted(items, key=lambda item: (item.since, item.title))


# What a leader's home leaves out (H3: a leader reads patterns, and her own record is not an engineer's): the
# checks that a person's evaluation dimensions (delivery results, technical excellence…) have no evidence in the
# window. They count engineering evidence — a merged change, a release, an incident handled — which a leader's
# work, or that of the directors and managers who report to her, does not leave, so on her home they read as a
# verdict on the wrong kind of work. They stay on each person's AI signals page. A draft packet's claim without a
# citation is still checked, as are themes, contradictions and unsupported claims about her direct reports, whom
# she manages; nobody further down the chain reaches her home, since a signal's owner is the person's manager.
LEFT_OFF_A_LEADERS_HOME = Q(kind=SignalKind.MISSING_EVIDENCE) & ~Q(key__startswith=PACKET_CHECK_PREFIX)


def left_off_a_leaders_home(signal: Signal) -> bool:
    """``LEFT_OFF_A_LEADERS_HOME`` for one signal already read."""
    return signal.kind == SignalKind.MISSING_EVIDENCE and not signal.key.startswith(PACKET_CHECK_PREFIX)


@dataclass(frozen=True)
class _Shape:
    """What decides the inbox's row sets besides the person: whether they give appeals a reviewer, whether they
    run promotions, whether the page asks for appeals and support plans itself (none passed), and whether they are
    a leader (whose inbox leaves out ``LEFT_OFF_A_LEADERS_HOME``)."""

    assigns: bool
    promotes: bool
    appeals: bool
    plans: bool
    leader: bool = False


# The inbox's row sets (``_sources``), each read only when the one query of ``_holding`` finds a row in it.
INBOX_SOURCES = ("invitations", "signal_groups", "panel", "appeals", "case_appeals", "plans", "plans_to_approve",
                 "escalations", "drafts")


def _sources(person: Person, shape: _Shape) -> dict[str, QuerySet[Any]]:
    """The inbox's row sets about ``person``, by name, as ``shape`` says."""
    to_decide = (Q(reviewer=person, status=Appeal.Status.IN_REVIEW)
                 | Q(escalation_reviewer=person, status=Appeal.Status.ESCALATED, escalation_decided_at__isnull=True))
    to_assign = Q(status=Appeal.Status.REQUESTED) | Q(status=Appeal.Status.ESCALATED, escalation_reviewer__isnull=True)
    case_to_decide = (Q(reviewer=person, status=CaseAppeal.Status.IN_REVIEW)
                      | Q(escalation_reviewer=person, status=CaseAppeal.Status.ESCALATED))
    case_to_assign = ((Q(status=CaseAppeal.Status.REQUESTED)
                       | Q(status=CaseAppeal.Status.ESCALATED, escalation_reviewer__isnull=True))
                      & ~Q(case__person=person))
    signals = Signal.objects.filter(owner=person, status=Signal.Status.PENDING, is_current=True, is_finding=True)
    sources: dict[str, QuerySet[Any]] = {
        "invitations": FeedbackInvitation.objects.filter(respondent=person, status=FeedbackInvitation.Status.PENDING,
                                                         request__closed_at__isnull=True),
        "signal_groups": signals.exclude(LEFT_OFF_A_LEADERS_HOME) if shape.leader else signals,
        "panel": Review.objects.select_related("cycle", "person").filter(cycle__phase=Phase.CALIBRATION,
                                                                        cycle__panel_members__person=person),
        "case_appeals": CaseAppeal.objects.filter(case_to_decide | case_to_assign if shape.promotes
                                                  else case_to_decide),
        "escalations": CaseEscalation.objects.filter(escalated_to=person), "drafts": _drafts(person),
        # Proposed plans this person may approve as the second approver (support.services.approvers_of): a people
        # partner any but their own or those they opened; a manager, or the manager's manager, those of the people
        # below them that someone else opened.
        "plans_to_approve": SupportPlan.objects.filter(
            Q() if shape.assigns else Q(person__manager=person) | Q(person__manager__manager=person),
            status=SupportPlan.Status.PROPOSED, person__is_active=True,
        ).exclude(opened_by=person).exclude(person=person)}
    if shape.appeals:
        sources["appeals"] = Appeal.objects.filter(to_decide | to_assign if shape.assigns else to_decide)
    if shape.plans:
        sources["plans"] = SupportPlan.objects.filter(person__manager=person, status=SupportPlan.Status.ACTIVE)
    if shape.assigns:
        # Changes of roles and managers a second people partner or administrator approves: not their own.
        sources["changes_to_approve"] = RoleChange.objects.filter(status=RoleChange.Status.PENDING).exclude(
            proposed_by=person).exclude(person=person)
    return sources


# Stands for the person in the compiled query of ``_holding``: no person has a negative id.
_STAND_IN_PK = -1_987_654_321
_HOLDING_QUERIES: dict[tuple[Any, ...], tuple[str, tuple[Any, ...], tuple[str, ...]]] = {}


def _holding(person: Person, shape: tuple[Any, ...],
             build: Callable[[Person], dict[str, QuerySet[Any]]]) -> dict[str, bool]:
    """Which of the row sets ``build(person)`` names hold any row, in one query (a set not asked about counts as
    holding rows). ``build`` depends on the person only through their id and on ``shape``, so the query, a dozen
    subqueries whose compiling was the largest part of a home page's CPU, is compiled once per process for each
    shape, for a stand-in person, and run with the person's id in the stand-in's place."""
    key = (connection.vendor, shape)
    prepared = _HOLDING_QUERIES.get(key)
    if prepared is None:
        sources = build(Person(pk=_STAND_IN_PK))
        query = Person.objects.filter(pk=_STAND_IN_PK).annotate(
            **{name: Exists(rows) for name, rows in sources.items()}).values(*sources)
        sql, params = query.query.sql_with_params()
        prepared = _HOLDING_QUERIES[key] = (sql, tuple(params), tuple(sources))
    sql, params, names = prepared
    with connection.cursor() as cursor:
        cursor.execute(sql, [person.pk if type(value) is int and value == _STAND_IN_PK else value
                             for value in params])
        row = cursor.fetchone()
    found = {name: bool(value) for name, value in zip(names, row, strict=True)} if row else {}
    return dict.fromkeys((*INBOX_SOURCES, *names), True) | found


def _drafts(person: Person) -> QuerySet[ImpactDraft]:
    """Drafts of ``person`` or of their direct reports on which a sentence was decided (some side may wait)."""
    return ImpactDraft.objects.filter(Q(person=person) | Q(person__manager=person), status=ImpactDraft.Status.DRAFT,
                                      sentence_decisions__isnull=False, person__is_active=True)


def _draft_sentences_waiting(person: Person, add: Callable[..., None]) -> None:
    """Drafted sentences the other side of a joint review decided on and ``person``'s side has not (yet, or since
    an edit): the person for their own drafts, the direct manager for their reports'. Two queries in all."""
    drafts = (_drafts(person)
              .select_related("person").distinct()
              .prefetch_related(Prefetch("sentence_decisions",
                                         queryset=DraftSentenceDecision.objects.order_by("id"))))
    for draft in drafts:
        mine = SIDE_PERSON if draft.person_id == person.pk else SIDE_MANAGER
        decided_by_them: list[datetime] = []
        for review in sentence_reviews(draft, list(draft.sentence_decisions.all()), validate=False):
            theirs = review.manager_decision if mine == SIDE_PERSON else review.person_decision
            own = review.person_decision if mine == SIDE_PERSON else review.manager_decision
            if theirs is not None and own is None:
                decided_by_them.append(theirs.decided_at)
        if not decided_by_them:
            continue
        count = len(decided_by_them)
        noun, them = ("sentence", "it") if count == 1 else ("sentences", "them")
        who, whose = ("Your manager", "your") if mine == SIDE_PERSON else (draft.person.name, "their")
        title = f"{who} decided on {count} {noun} of {whose} drafted impact statements: decide on {them}"
        # Since the oldest decision still waiting: more decisions by the other side do not make it a new item.
        add("draft_review", title, reverse("feedback:draft-review", args=[draft.pk]), min(decided_by_them))


def _role_changes_waiting(person: Person, changes: QuerySet[RoleChange], add: Callable[..., None]) -> None:
    """One line for the changes of roles and managers that wait for ``person`` to approve or reject (not those
    that would make them someone's manager: another approver decides those). One query."""
    waiting = [change for change in changes.select_related("person").order_by("proposed_at", "pk")
               if not (change.field == RoleChange.Field.MANAGER and change.to_value == str(person.pk))]
    if not waiting:
        return
    first = waiting[0]
    if len(waiting) == 1:
        title = (f"Approve or reject the change of {first.get_field_display().lower()} of {first.person.name} "
                 f"(to {first.to_label})")
    else:
        names = sorted({change.person.name for change in waiting})
        title = (f"Approve or reject {len(waiting)} changes of roles and managers ({', '.join(names[:3])}"
                 f"{', …' if len(names) > 3 else ''})")
    add("role_changes", title, reverse("people:role-changes"), first.proposed_at, count=len(waiting))
