"""Every object-level access decision in Brightline, one function per question.

Views, the API and the command line all ask here; nothing else decides who may see what.
The viewer is a ``Person`` or ``None`` (an account with no person record sees nothing
personal). Principle: people see their own record; their management chain sees it for
coaching and reviews; people partners see it to run the process; leaders see aggregates
only (G2), unless the person is in their own reporting line.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from brightline.audit.services import record_access, record_refused_access
from brightline.people import compiled
from brightline.people.models import AccessRole, Person, under_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet
    from django.http import HttpRequest

    # Types only: these apps sit above this module, which never imports them at run time.
    from brightline.evidence.models import EvidenceItem
    from brightline.feedback.models import FeedbackInvitation, FeedbackRequest, OneOnOneNote
    from brightline.insights.models import Signal
    from brightline.people.models import Team
    from brightline.promotions.models import PromotionCase
    from brightline.reviews.models import Appeal, Review, ReviewCycle
    from brightline.support.models import SupportPlan


def person_for(user: AbstractBaseUser | AnonymousUser | None) -> Person | None:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "person", None)


ERR_NOT_LINKED = "This account is not linked to an active person in Brightline."


def request_person(request: HttpRequest) -> Person:
    """The active person behind a page request (``request.person``, set by ``people.middleware.PersonMiddleware``);
    an account with no active person is refused with 403."""
    person: Person | None = getattr(request, "person", None)
    if person is None:
        raise PermissionDenied(ERR_NOT_LINKED)
    return person


def is_admin(viewer: Person | None) -> bool:
    return viewer is not None and viewer.is_active and viewer.access_role == AccessRole.ADMIN


def is_people_partner(viewer: Person | None) -> bool:
    """People partners run the process; administrators hold the same rights."""
    return viewer is not None and viewer.is_active and viewer.access_role in {
        AccessRole.PEOPLE_PARTNER,
        AccessRole.ADMIN,
    }


def is_leader(viewer: Person | None) -> bool:
    return viewer is not None and viewer.is_active and viewer.access_role == AccessRole.LEADER


def manages(viewer: Person | None, subject: Person) -> bool:
    """True when the viewer is anywhere above the subject in the reporting chain: one query, any depth."""
    if viewer is None or not viewer.is_active or viewer.pk == subject.pk:
        return False
    paths = dict(Person.objects.filter(pk__in=(viewer.pk, subject.pk)).values_list("pk", "chain_path"))
    above, below = paths.get(viewer.pk) or "", paths.get(subject.pk) or ""
    return bool(above) and below.startswith(above)


# --- Sets of people: one indexed query each, for pages that would otherwise ask person by person ---


def people_managed_by(viewer: Person | None) -> QuerySet[Person]:
    """Everyone below the viewer in the reporting chain (not the viewer): ``manages(viewer, p)`` as a set."""
    if viewer is None or not viewer.is_active:
        return Person.objects.none()
    path = Person.objects.filter(pk=viewer.pk).values_list("chain_path", flat=True).first()
    if not path:
        return Person.objects.none()
    return Person.objects.filter(under_path(path)).exclude(pk=viewer.pk)


def people_visible_to(viewer: Person | None) -> QuerySet[Person]:
    """Everyone whose full record the viewer may open: ``can_view_person_record`` as a set."""
    if viewer is None:
        return Person.objects.none()
    if is_people_partner(viewer):
        return Person.objects.all()
    return Person.objects.filter(pk__in=people_managed_by(viewer).values("pk")) | Person.objects.filter(
        pk=viewer.pk)


def support_plan_subjects_for(viewer: Person | None) -> QuerySet[Person]:
    """Everyone the viewer may open a support plan for: ``can_open_support_plan`` as a set."""
    if is_people_partner(viewer):
        return Person.objects.all()
    return people_managed_by(viewer)


def managers_quality_visible_to(viewer: Person | None) -> QuerySet[Person]:
    """Everyone whose manager-quality page the viewer may open: ``can_view_manager_quality`` as a set."""
    return people_visible_to(viewer)


def teams_with_theme_aggregates_visible_to(viewer: Person | None) -> QuerySet[Team]:
    """``can_view_team_theme_aggregates`` as a set of teams: one query."""
    from brightline.people.models import Team

    if viewer is None or not viewer.is_active:
        return Team.objects.none()
    if is_people_partner(viewer) or is_leader(viewer):
        return Team.objects.all()
    return Team.objects.filter(pk__in=people_managed_by(viewer).filter(is_active=True, team__isnull=False)
                               .values("team_id"))


def managed_ids(viewer: Person | None) -> set[int]:
    """The ids of ``people_managed_by``, for pages that test many people against the chain in memory."""
    return set(people_managed_by(viewer).values_list("pk", flat=True))


def manages_a_member(viewer: Person | None, team: Team) -> bool:
    """The viewer manages at least one active member of the team: one query (every page's menu asks it), the
    viewer's stored reporting line read by a subquery, as ``people_managed_by`` reads it."""
    if viewer is None or not viewer.is_active:
        return False
    return compiled.exists("access.manages_a_member", _members_managed, viewer.pk, team.pk)


def _members_managed(viewer_pk: int, team_pk: int) -> QuerySet[Person]:
    line = Person.objects.filter(pk=viewer_pk).exclude(chain_path="").values("chain_path")[:1]
    return (Person.objects.filter(team_id=team_pk, is_active=True, chain_path__startswith=Subquery(line))
            .exclude(pk=viewer_pk))


def is_direct_manager(viewer: Person | None, subject: Person) -> bool:
    return viewer is not None and viewer.is_active and subject.manager_id == viewer.pk


def is_self(viewer: Person | None, subject: Person) -> bool:
    return viewer is not None and viewer.pk == subject.pk


# What every employee reads about who sees their record: the rules of the functions below, in words.
RECORD_READERS = ("You see your own record. Your manager and the managers above them see it for coaching and "
                  "reviews. People partners see it to run the review process. Calibration panelists outside your "
                  "management chain, above or below you, see your review and its packet only while they calibrate "
                  "it, and the reviewer of your appeal sees it while deciding. Everyone else, leaders included, sees "
                  "aggregates only.")


def can_view_person_record(viewer: Person | None, subject: Person) -> bool:
    """Can X see Y's full record (level history, evidence, notes, reviews)?"""
    return is_self(viewer, subject) or manages(viewer, subject) or is_people_partner(viewer)


def can_view_feedback(viewer: Person | None, subject: Person) -> bool:
    """Can X see feedback written about Y? Growth space: Y and Y's management chain only."""
    return is_self(viewer, subject) or manages(viewer, subject)


def can_view_health_detail(viewer: Person | None, subject: Person) -> bool:
    """Per-person after-hours and on-call detail: the person and their direct manager only."""
    return is_self(viewer, subject) or is_direct_manager(viewer, subject)


def can_view_access_log(viewer: Person | None, subject: Person) -> bool:
    """Who read Y's record: Y themself, and people partners answering a question about it."""
    return is_self(viewer, subject) or is_people_partner(viewer)


def can_view_directory(viewer: Person | None) -> bool:
    """Names, teams and levels of colleagues: any active employee."""
    return viewer is not None and viewer.is_active


def can_view_team(viewer: Person | None, team: Team) -> bool:
    """A team's page (team-level metrics, never individual rankings)."""
    if viewer is None or not viewer.is_active:
        return False
    if is_people_partner(viewer) or is_leader(viewer) or viewer.team_id == team.pk:
        return True
    return manages_a_member(viewer, team)


def team_ids_viewable_by(viewer: Person | None, teams: Iterable[Team]) -> set[int]:
    """``can_view_team`` over many teams in at most two queries: which of them the viewer may open."""
    teams = list(teams)
    if viewer is None or not viewer.is_active:
        return set()
    if is_people_partner(viewer) or is_leader(viewer):
        return {team.pk for team in teams}
    managed = set(people_managed_by(viewer).filter(team__in=teams, is_active=True).values_list("team_id", flat=True))
    return {team.pk for team in teams if team.pk == viewer.team_id or team.pk in managed}


def can_view_aggregates(viewer: Person | None) -> bool:
    """Organisation-wide aggregates with the minimum-cohort rule applied."""
    return is_leader(viewer) or is_people_partner(viewer)


def can_edit_policy(viewer: Person | None) -> bool:
    return is_people_partner(viewer)


def can_manage_people(viewer: Person | None) -> bool:
    """Import people, edit ladders and teams."""
    return is_people_partner(viewer)


def can_view_audit_trail(viewer: Person | None) -> bool:
    """The whole audit trail and its verification."""
    return is_people_partner(viewer)


def can_view_evidence_item(viewer: Person | None, item: EvidenceItem) -> bool:
    """An item about a person follows that person's record; a team-level item follows the team."""
    if item.person_id is not None:
        return can_view_person_record(viewer, item.person)
    if item.team_id is not None:
        return can_view_team(viewer, item.team)
    return is_people_partner(viewer)


# --- Growth space (feedback app): checkpoints, 1:1 notes, feedback requests, accomplishments ---


def can_view_growth_page(viewer: Person | None, subject: Person) -> bool:
    """A person's growth page (checkpoints, feedback received, accomplishments, drafts): Y and Y's chain."""
    return can_view_feedback(viewer, subject)


def can_write_checkpoint(viewer: Person | None, subject: Person) -> bool:
    """A checkpoint is recorded by the person or their direct manager."""
    return (is_self(viewer, subject) and subject.is_active) or is_direct_manager(viewer, subject)


def can_write_one_on_one_note(viewer: Person | None, subject: Person) -> bool:
    """1:1 notes exist between a person who has a manager and that manager."""
    if subject.manager_id is None:
        return False
    return (is_self(viewer, subject) and subject.is_active) or is_direct_manager(viewer, subject)


def can_view_one_on_one_note(viewer: Person | None, note: OneOnOneNote) -> bool:
    """Private to the pair recorded on the note: not skip-levels, not people partners, not admins."""
    if viewer is None or not viewer.is_active:
        return False
    return viewer.pk in {note.person_id, note.manager_id}


def can_request_feedback(viewer: Person | None, subject: Person) -> bool:
    """Feedback about Y is requested by Y or by someone in Y's management chain."""
    return (is_self(viewer, subject) and subject.is_active) or manages(viewer, subject)


def can_view_feedback_request(viewer: Person | None, feedback_request: FeedbackRequest) -> bool:
    """The request and what its responses may show: the subject and the subject's chain."""
    return can_view_feedback(viewer, feedback_request.subject)


def can_answer_feedback_invitation(viewer: Person | None, invitation: FeedbackInvitation) -> bool:
    """Only the person the invitation is addressed to."""
    return viewer is not None and viewer.is_active and viewer.pk == invitation.respondent_id


def can_give_feedback(viewer: Person | None, recipient: Person) -> bool:
    """Feedback without a request: from anyone active in the organisation to any active colleague, not oneself.
    It is then read as an answered request about the recipient is (``can_view_feedback_request``)."""
    return (viewer is not None and viewer.is_active and recipient.is_active and viewer.pk != recipient.pk)


def can_write_manager_commentary(viewer: Person | None, subject: Person) -> bool:
    """Commentary about Y is written by someone in Y's management chain."""
    return manages(viewer, subject)


def can_edit_accomplishments(viewer: Person | None, subject: Person) -> bool:
    """Accomplishments, annotations and impact drafts are the person's own to write and approve."""
    return is_self(viewer, subject) and subject.is_active


def can_review_impact_draft(viewer: Person | None, subject: Person) -> bool:
    """Drafted impact statements are reviewed sentence by sentence by the person and their management chain."""
    return subject.is_active and ((is_self(viewer, subject)) or manages(viewer, subject))


# --- Goals (goals app) ---


def can_view_goals(viewer: Person | None, owner: Person) -> bool:
    """A person's goals: the owner and their management chain, who coach towards them (I3)."""
    return is_self(viewer, owner) or manages(viewer, owner)


def can_edit_goals(viewer: Person | None, owner: Person) -> bool:
    """Goals are the owner's own to write, update and cite evidence for."""
    return is_self(viewer, owner) and owner.is_active


# --- Review cycles, calibration, appeals (reviews app) and support plans (support app) ---


def can_run_cycles(viewer: Person | None) -> bool:
    """Open and advance review cycles, set panels, assign appeal reviewers."""
    return is_people_partner(viewer)


def is_panelist(viewer: Person | None, cycle: ReviewCycle) -> bool:
    return viewer is not None and viewer.is_active and cycle.panel_members.filter(person=viewer).exists()


def cycle_reviews_with_a_role(viewer: Person | None, cycle: ReviewCycle) -> set[int] | None:
    """The reviews of ``cycle`` whose person the viewer may see named, with their draft outcomes, on the cycle's
    overview (its flags and outcome counts): ``None`` for every review (a people partner by role, or a panelist
    of the cycle); otherwise only the reviews of people below the viewer in the reporting chain or whom the
    viewer assesses. Being an administrator is no role in a colleague's review: an administrator who is also an
    engineer sees counts only, with small cells withheld, for everyone else."""
    if viewer is None or not viewer.is_active:
        return set()
    if viewer.access_role == AccessRole.PEOPLE_PARTNER or is_panelist(viewer, cycle):
        return None
    below = people_managed_by(viewer)
    return set(cycle.reviews.filter(Q(person__in=below) | Q(manager=viewer)).values_list("pk", flat=True))


def has_conflict_of_interest(viewer: Person | None, review: Review) -> bool:
    """The viewer is the person, shares a management chain with them (above them, the manager the review was
    opened with, or below them: someone who reports to the person would be deciding on their own manager), or
    declared a conflict on this review (E8)."""
    if viewer is None:
        return True
    person = review.person
    return (is_self(viewer, person) or manages(viewer, person) or review.manager_id == viewer.pk
            or manages(person, viewer) or review.conflicts.filter(panelist=viewer).exists())


def can_decide_in_calibration(viewer: Person | None, review: Review) -> bool:
    """A panelist of the cycle without a conflict of interest for this person (E8)."""
    return is_panelist(viewer, review.cycle) and not has_conflict_of_interest(viewer, review)


def can_view_review(viewer: Person | None, review: Review) -> bool:
    """The review record and packet: the person, their chain, people partners, eligible panelists, appeal reviewers."""
    person = review.person
    if is_self(viewer, person) or manages(viewer, person) or is_people_partner(viewer):
        return True
    if viewer is None or not viewer.is_active:
        return False
    if review.manager_id == viewer.pk:
        return True
    if review.appeals.filter(reviewer=viewer).exists() or review.appeals.filter(
            escalation_reviewer=viewer).exists():
        return True
    return panel_reads_now(review.cycle) and can_decide_in_calibration(viewer, review)


def panel_reads_now(cycle: ReviewCycle) -> bool:
    """A panelist's part in a review is the calibration step (E1, E8): before it the manager is still writing and
    the packet is the person's and the manager's; after it the decision is written up by others. A panelist
    with no other role reads the review, its packet and its outcomes only while the cycle is in calibration."""
    return cycle.is_open_for("calibrate")


def can_view_review_outcome(viewer: Person | None, review: Review) -> bool:
    """Outcomes and memo: the employee sees them from release on (E6); others as for the review."""
    if is_self(viewer, review.person):
        return bool(review.cycle.is_released)
    return can_view_review(viewer, review)


def can_assess(viewer: Person | None, review: Review) -> bool:
    """Write the manager assessment: the manager recorded on the review when the cycle opened."""
    return viewer is not None and viewer.is_active and review.manager_id == viewer.pk


def can_approve_adverse_outcome(viewer: Person | None, review: Review, proposer: Person | None) -> bool:
    """Second approver of a *needs support* outcome or a support plan (C10): not the proposer, not the person,
    and a people partner or someone in the person's management chain."""
    person = review.person
    if viewer is None or not viewer.is_active or is_self(viewer, person):
        return False
    if proposer is not None and viewer.pk == proposer.pk:
        return False
    return is_people_partner(viewer) or manages(viewer, person)


def can_approve_calibration_change(viewer: Person | None, review: Review) -> bool:
    """Second approver of a calibration change to *needs support* (C10): an eligible panelist, or a people partner
    without a conflict of interest for this person. (Not the change's own author: the service checks that.)"""
    return can_decide_in_calibration(viewer, review) or (
        is_people_partner(viewer) and not has_conflict_of_interest(viewer, review))


@dataclass(frozen=True)
class ReviewActions:
    """What one viewer may do on one review now, computed once by :func:`review_actions`.

    Each flag is who the viewer is to the review (the rules of this module) and whether the step is open (the
    cycle's phase in ``reviews.models.STEP_PHASES`` and the review's state) — the same predicates the review
    services refuse on, so a page or an API answer never offers a step the service would refuse. The services
    still check on their own: a flag is what to show, not a permission to skip the check.
    """

    is_subject: bool  # the viewer is the reviewed person (not an action: pages word things for them)
    view_outcome: bool  # outcomes, packet and memo
    annotate: bool  # add one's own evidence to the packet with a note
    self_review: bool  # choose accomplishments and submit the self review
    assess: bool  # write, and submit, the manager assessment and narrative
    approve_adverse: bool  # second approver of a proposed *needs support*
    pre_vote: bool  # record an independent pre-vote (until every eligible panelist has voted)
    change_outcome: bool  # record a calibration change (once every eligible panelist has voted)
    approve_changes: bool  # second approver of calibration changes (not of one's own)
    acknowledge: bool
    appeal: bool
    check_packet: bool  # ask for the draft packet's evidence check now

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


def review_actions(viewer: Person | None, review: Review, *, today: dt.date | None = None) -> ReviewActions:
    """The steps ``viewer`` may take on ``review`` now (see :class:`ReviewActions`); a few queries, once per page."""
    cycle = review.cycle
    subject = is_self(viewer, review.person)
    deciding = cycle.is_open_for("calibrate") and can_decide_in_calibration(viewer, review)
    revealed = deciding and review.pre_votes_complete()
    # Checking the packet helps only while its author can still change what it says: the person until their own
    # step closes, the manager until the assessment is submitted. Afterwards the checks are information.
    own_step_open = cycle.is_open_for("annotate") if subject else review.assessment_submitted_at is None
    return ReviewActions(
        is_subject=subject,
        view_outcome=can_view_review_outcome(viewer, review),
        annotate=subject and cycle.is_open_for("annotate"),
        self_review=subject and cycle.is_open_for("self_review"),
        assess=(cycle.is_open_for("assess") and can_assess(viewer, review)
                and review.assessment_submitted_at is None),
        approve_adverse=(cycle.is_open_for("approve_adverse")
                         and can_approve_adverse_outcome(viewer, review, review.manager)
                         and review.proposes_adverse_outcome()),
        pre_vote=deciding and not revealed,
        change_outcome=revealed,
        approve_changes=cycle.is_open_for("calibrate") and can_approve_calibration_change(viewer, review),
        acknowledge=subject and cycle.is_open_for("acknowledge") and review.acknowledged_at is None,
        appeal=(subject and cycle.is_open_for("appeal")
                and (today or timezone.localdate()) <= cycle.appeal_deadline() and not review.has_open_appeal()),
        check_packet=(cycle.is_open_for("check_packet") and own_step_open
                      and can_check_packet_evidence(viewer, review)),
    )


def can_review_appeal(viewer: Person | None, review: Review, *, excluded: set[int]) -> bool:
    """A second reviewer stands outside the person's management chain and wrote none of the feedback the
    packet cites. ``excluded`` is ``reviews.appeal_rules.contested_feedback_writer_ids(review)``: the reviews
    app knows what a packet cites, so it passes the writers in."""
    person = review.person
    if (viewer is None or not viewer.is_active or is_self(viewer, person) or manages(viewer, person)
            or review.manager_id == viewer.pk):
        return False
    return viewer.pk not in excluded


def can_view_appeal(viewer: Person | None, appeal: Appeal) -> bool:
    review = appeal.review
    if viewer is None:
        return False
    return (is_self(viewer, review.person) or manages(viewer, review.person) or is_people_partner(viewer)
            or appeal.reviewer_id == viewer.pk or appeal.escalation_reviewer_id == viewer.pk)


def can_view_support_plan(viewer: Person | None, plan: SupportPlan) -> bool:
    """A support plan: the employee (throughout), their management chain and people partners (F2)."""
    person = plan.person
    return is_self(viewer, person) or manages(viewer, person) or is_people_partner(viewer)


def can_manage_support_plan(viewer: Person | None, plan: SupportPlan) -> bool:
    """Write goals, check-ins and outcomes: the person's management chain and people partners, never the person."""
    person = plan.person
    return manages(viewer, person) or is_people_partner(viewer)


def can_open_support_plan(viewer: Person | None, person: Person) -> bool:
    return manages(viewer, person) or is_people_partner(viewer)


def can_view_team_health(viewer: Person | None, team: Team) -> bool:
    """A team's aggregate health (after-hours work, pages outside hours): its members, anyone who manages a
    member, and people partners. Per-person rows additionally need ``can_view_health_detail``."""
    if viewer is None or not viewer.is_active:
        return False
    if is_people_partner(viewer) or viewer.team_id == team.pk:
        return True
    return manages_a_member(viewer, team)


def can_manage_evidence_sources(viewer: Person | None) -> bool:
    """Edit the service catalogue, start ingests and map unmatched identities."""
    return is_people_partner(viewer)


# --- Fairness audits, compliance reports and the leadership view (fairness app) ---


def can_view_demographics(viewer: Person | None) -> bool:
    """Import or read demographic attributes (always in aggregate, every read logged): people partners only."""
    return is_people_partner(viewer)


def can_run_fairness_audits(viewer: Person | None) -> bool:
    """Outcome and language audits, the LL144-shaped report and the AI-system record: people partners."""
    return is_people_partner(viewer)


def can_view_manager_quality(viewer: Person | None, manager: Person) -> bool:
    """A manager's calibration movement, feedback timeliness and support-plan outcomes (G5): the manager,
    their own management chain and people partners."""
    return is_self(viewer, manager) or manages(viewer, manager) or is_people_partner(viewer)


def can_view_leadership_view(viewer: Person | None) -> bool:
    """The leadership page: aggregates with the minimum cohort applied, never an individual (H3)."""
    return can_view_aggregates(viewer)


def can_drill_down(viewer: Person | None) -> bool:
    """Open the unsuppressed detail behind a leadership cell: only people partners, for a named review, logged."""
    return is_people_partner(viewer)


# --- AI-derived signals (insights app) ---


def can_view_signals(viewer: Person | None, subject: Person) -> bool:
    """A person's AI signals live in the growth space: the person and their management chain only."""
    return is_self(viewer, subject) or manages(viewer, subject)


def can_view_team_signals(viewer: Person | None, team: Team) -> bool:
    """Team-level signals (trend breaks and their owners): anyone managing a member, and people partners."""
    if viewer is None or not viewer.is_active:
        return False
    return is_people_partner(viewer) or manages_a_member(viewer, team)


def can_view_team_theme_aggregates(viewer: Person | None, team: Team) -> bool:
    """A team's feedback themes as counts only — no sentences, item ids or review (H3): whoever sees the team's
    signals, and leaders, who see aggregates only and not for a team below the minimum cohort (G2)."""
    return can_view_team_signals(viewer, team) or is_leader(viewer)


def can_view_organisation_signals(viewer: Person | None) -> bool:
    """Organisation-wide emergent themes and the signal bias report: people partners."""
    return is_people_partner(viewer)


def can_view_signal(viewer: Person | None, signal: Signal) -> bool:
    """One signal: as its subject's signals — a person's, a team's, or the organisation's — except that a check of
    the manager's draft assessment in a review packet is not shown to the person (E6: not before release)."""
    if viewer is None or not viewer.is_active:
        return False
    person = signal.subject_person
    if person is not None:
        if is_self(viewer, person) and signal.about_manager_draft:
            return False
        return can_view_signals(viewer, person)
    team = signal.subject_team
    if team is not None:
        return can_view_team_signals(viewer, team)
    return can_view_organisation_signals(viewer)


def can_check_packet_evidence(viewer: Person | None, review: Review) -> bool:
    """Ask for a draft packet's evidence check now: its authors — the person and the manager assessing them."""
    return (is_self(viewer, review.person) and review.person.is_active) or can_assess(viewer, review)


def can_review_signal(viewer: Person | None, signal: Signal) -> bool:
    """Accept or dismiss: whoever may see it, except that team signals are reviewed by the team's managers only
    (people partners see them); so: the person or their chain, the team's managers, people partners for org-wide."""
    if not can_view_signal(viewer, signal):
        return False
    team = signal.subject_team
    if signal.subject_person is None and team is not None:
        return manages_a_member(viewer, team)
    return True


# --- Opening a person's record: check, then log the read ---

# Which rule guards each record that ``open_person_record`` opens for a person. A record that belongs to one
# object (a review, an appeal, a support plan, a feedback request, a signal, an evidence item) is opened with
# ``allowed=`` the object's own rule instead, and so is a page that asks a different question of the person.
RECORD_RULES: dict[str, Callable[[Person | None, Person], bool]] = {
    "people.profile": can_view_person_record,
    "audit.access_log": can_view_access_log,
    "audit.trail": lambda viewer, _person: can_view_audit_trail(viewer),  # the trail's entries about them
    "evidence.items": can_view_person_record,
    "evidence.health_detail": can_view_health_detail,
    "feedback.growth": can_view_growth_page,
    "feedback.draft": can_view_growth_page,
    "feedback.commentary": can_write_manager_commentary,
    "insights.signals": can_view_signals,
    "fairness.manager_quality": can_view_manager_quality,
    "fairness.drill_down": lambda viewer, _person: can_drill_down(viewer),
    "support.plan": can_open_support_plan,
    "goals.goals": can_view_goals,
}
ERR_RECORD_DENIED = "You may not see this part of this person's record."


# The address of the request being answered (set by ``people.middleware.PersonMiddleware``), so that a refused
# attempt to open a record names the page or API call it came through.
REQUEST_ADDRESS: ContextVar[str] = ContextVar("brightline_request_address", default="")


def open_person_record(viewer: Person | None, person: Person, *, what: str, via: str = "web",
                       allowed: bool | None = None, denied: str = ERR_RECORD_DENIED, reason: str = "",
                       viewer_label: str | None = None) -> None:
    """Check that ``viewer`` may read ``what`` of ``person``'s record, and log the read in the person's access log.

    The check is ``RECORD_RULES[what]`` unless the caller passes ``allowed`` (the rule of the object the record
    belongs to). Refused: the attempt is written to the audit trail (who, whose record, which part, the door and
    the address asked for), nothing is read or logged as a read, and ``PermissionDenied(denied)`` is raised, which
    pages and the API answer with 403. Reading one's own record is not logged. Every view of someone's record
    opens it through here. ``viewer_label`` names a reader with no person record (an operator at the command line).
    """
    if allowed is None:
        allowed = RECORD_RULES[what](viewer, person)
    if not allowed:
        record_refused_access(viewer, person, what, via=via, address=REQUEST_ADDRESS.get(),
                              viewer_label=viewer_label)
        raise PermissionDenied(denied)
    record_access(viewer, person, what, via=via, reason=reason, viewer_label=viewer_label)


# --- Promotion cases (promotions app) ---


def can_nominate_for_promotion(viewer: Person | None, subject: Person) -> bool:
    """A nomination comes from the person themself or from someone in their management chain."""
    return (is_self(viewer, subject) and subject.is_active) or manages(viewer, subject)


def has_promotion_conflict(viewer: Person | None, case: PromotionCase) -> bool:
    """The person, their management chain (at nomination or now) and the nominator take no part in the panel."""
    if viewer is None:
        return True
    person = case.person
    return (is_self(viewer, person) or manages(viewer, person)
            or viewer.pk in {case.manager_id, case.nominated_by_id})


def is_promotion_panelist(viewer: Person | None, case: PromotionCase) -> bool:
    """A seated panelist with no conflict for this case."""
    if viewer is None or not viewer.is_active:
        return False
    return case.panelists.filter(person=viewer, conflict="").exists()


def can_view_promotion_case(viewer: Person | None, case: PromotionCase) -> bool:
    """The case and its evidence: the person (the decision and panel only once decided), their chain,
    people partners, panelists without a conflict, and the reviewers of an appeal. Never peers or leaders."""
    person = case.person
    if is_self(viewer, person) or manages(viewer, person) or is_people_partner(viewer):
        return True
    if viewer is None or not viewer.is_active:
        return False
    if viewer.pk in {case.manager_id, case.nominated_by_id}:
        return True
    return is_promotion_panelist(viewer, case) or case.appeals.filter(
        Q(reviewer=viewer) | Q(escalation_reviewer=viewer)).exists()


def can_view_promotion_decision(viewer: Person | None, case: PromotionCase) -> bool:
    """The panel's votes, decision and memo: the person once decided; others as for the case."""
    if is_self(viewer, case.person):
        return bool(case.is_decided)
    return can_view_promotion_case(viewer, case)


def can_cite_for_promotion(viewer: Person | None, case: PromotionCase) -> bool:
    """Cite readiness evidence: the person, their chain and the nominator."""
    person = case.person
    if viewer is None or not viewer.is_active:
        return False
    return is_self(viewer, person) or manages(viewer, person) or viewer.pk == case.nominated_by_id


def can_run_promotions(viewer: Person | None) -> bool:
    """Seat promotion panels, assign appeal reviewers, enter open roles: people partners."""
    return is_people_partner(viewer)


def can_view_promotion_report(viewer: Person | None) -> bool:
    """Promotion rates against readiness and open roles: aggregates, so people partners and leaders."""
    return can_view_aggregates(viewer)
