"""Every object-level access decision in Brightline, one function per question.

Views, the API and the command line all ask here; nothing else decides who may see what.
The viewer is a ``Person`` or ``None`` (an account with no person record sees nothing
personal). Principle: people see their own record; their management chain sees it for
coaching and reviews; people partners see it to run the process; leaders see aggregates
only (G2), unless the person is in their own reporting line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brightline.people.models import AccessRole

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from brightline.evidence.models import EvidenceItem
    from brightline.people.models import Person, Team


def person_for(user: AbstractBaseUser | AnonymousUser | None) -> Person | None:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "person", None)


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
    """True when the viewer is anywhere above the subject in the reporting chain."""
    if viewer is None or not viewer.is_active or viewer.pk == subject.pk:
        return False
    return any(manager.pk == viewer.pk for manager in subject.management_chain())


def is_direct_manager(viewer: Person | None, subject: Person) -> bool:
    return viewer is not None and viewer.is_active and subject.manager_id == viewer.pk


def is_self(viewer: Person | None, subject: Person) -> bool:
    return viewer is not None and viewer.pk == subject.pk


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
    return any(manages(viewer, member) for member in team.members.filter(is_active=True))


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
