"""The people partners' and administrators' pages about people: the directory, adding a person, how a new person
signs in, and the pending changes of roles and managers (four eyes)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.people.accounts import InvitationError, invite
from brightline.people.adding import AddPersonError, add_person
from brightline.people.forms import AddPersonForm, ChangeManagerTeamForm
from brightline.people.models import Person, RoleChange, Team
from brightline.people.moving import Move, Moved, MoveError, move_person, waiting_manager_change
from brightline.people.rolechanges import RoleChangeError, approve_change, pending_changes, reject_change
from brightline.people.search import matching_people, search_words
from brightline.people.sso import provider_name, sso_enabled

RECENT_DECISIONS = 50
PEOPLE_PER_PAGE = 25
SUGGESTIONS = 20  # names the manager search offers at a time
ERR_NOT_A_PARTNER = "Only people partners and administrators manage people."


def _partner(request: HttpRequest) -> Person:
    viewer = access.request_person(request)
    if not access.is_people_partner(viewer):
        raise PermissionDenied("Pending changes of roles and managers are for people partners.")
    return viewer


def _manager_of_people(request: HttpRequest) -> Person:
    viewer = access.request_person(request)
    if not access.can_manage_people(viewer):
        raise PermissionDenied(ERR_NOT_A_PARTNER)
    return viewer


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """Everyone, 25 a page, searched by name or e-mail and filtered by team: one query for the page's rows and
    their count, whatever the organisation's size. Listing names is not a read of anyone's record."""
    viewer = _manager_of_people(request)
    query = " ".join(request.GET.get("q", "").split())[:200]
    teams = list(Team.objects.filter(organisation_id=viewer.organisation_id).order_by("name").only("pk", "name",
                                                                                                 "slug"))
    team = next((team for team in teams if team.slug == request.GET.get("team")), None)
    left = request.GET.get("left") == "1"
    people = (Person.objects.filter(organisation_id=viewer.organisation_id, is_active=not left)
              .select_related("team", "level", "manager").order_by("name", "pk"))
    people = matching_people(people, query)
    if team is not None:
        people = people.filter(team=team)
    page = _page_of(people, request.GET.get("page"))
    return render(request, "people/directory.html", {
        "page": page, "query": query, "teams": teams, "team": team, "left": left,
        "filtered": bool(query or team or left), "waiting": pending_changes().count(), "viewer_id": viewer.pk})


def _page_of(people: QuerySet[Person], asked: str | None) -> Page:
    """One page of ``people`` and their total in one query (the total a window over the rows, ``COUNT(*) OVER
    ()``); a page past the end, asked for by hand, costs a count and the last page's rows."""
    try:
        number = max(1, int(asked or 1))
    except ValueError:
        number = 1
    paginator = Paginator(people, PEOPLE_PER_PAGE)
    start = (number - 1) * PEOPLE_PER_PAGE
    rows = list(people.annotate(total=Window(Count("pk")), without_team=Window(Count("pk", filter=Q(team=None))))
                [start:start + PEOPLE_PER_PAGE])
    if not rows and number > 1:
        return paginator.get_page(number)
    paginator.count = rows[0].total if rows else 0  # type: ignore[attr-defined]
    page = Page(rows, number, paginator)
    page.without_team = rows[0].without_team if rows else 0  # type: ignore[attr-defined]
    page.in_team = paginator.count - page.without_team  # type: ignore[attr-defined]
    return page


@require_GET
def manager_suggestions(request: HttpRequest) -> HttpResponse:
    """The manager field's suggestions as the partner types (the options of its datalist): the first 20 active
    people whose name or e-mail holds every word typed (the people app's one name search)."""
    viewer = _manager_of_people(request)
    typed = request.GET.get("manager", "")
    people = Person.objects.none()
    if search_words(typed):
        found = matching_people(Person.objects.filter(organisation_id=viewer.organisation_id, is_active=True), typed)
        people = found.select_related("team", "level").order_by("name", "pk")[:SUGGESTIONS]
    return render(request, "people/_manager_options.html", {"people": people})


@require_http_methods(["GET", "POST"])
def add(request: HttpRequest) -> HttpResponse:
    viewer = _manager_of_people(request)
    form = AddPersonForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid() and form.new_person is not None:
        try:
            added = add_person(form.new_person, actor=viewer)
        except AddPersonError as error:  # someone took the e-mail between the check and the save
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            person = added.person
            messages.success(request, f"{person.name} is now in Brightline, with a login.")
            return redirect("people:account", person_id=person.pk)
    return render(request, "people/add.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def account(request: HttpRequest, person_id: int) -> HttpResponse:
    """How a person signs in and what about them waits for a second approver; a button e-mails the invitation."""
    viewer = access.request_person(request)
    subject = get_object_or_404(Person.objects.select_related("user", "team", "level", "manager"), pk=person_id)
    access.open_person_record(viewer, subject, what="people.profile", allowed=access.can_manage_people(viewer),
                              denied=ERR_NOT_A_PARTNER)
    if request.method == "POST":
        if not settings.BRIGHTLINE_LOCAL_PASSWORDS:
            messages.error(request, "Passwords are switched off here, so there is no invitation to send.")
        else:
            try:
                # Unset BRIGHTLINE_BASE_URL: the link starts with the address the sender uses (get_host() checked it
                # against ALLOWED_HOSTS), not with localhost.
                invite(subject.email, actor=viewer, seen_at=request.build_absolute_uri("/"))
            except InvitationError:
                messages.error(request, f"{subject.name} has left, so no invitation was sent.")
            except OSError as error:  # the mail server refused or could not be reached
                messages.error(request, f"The invitation could not be sent: {error}. Try again later.")
            else:
                messages.success(request, f"The invitation is on its way to {subject.email}.")
        return redirect("people:account", person_id=subject.pk)
    user = subject.user
    waiting = list(RoleChange.objects.filter(person=subject, status=RoleChange.Status.PENDING)
                   .select_related("proposed_by").order_by("proposed_at", "pk"))
    return render(request, "people/account.html", {
        "subject": subject, "login": user, "has_password": user is not None and user.has_usable_password(),
        "sso": sso_enabled(), "provider": provider_name(), "passwords": settings.BRIGHTLINE_LOCAL_PASSWORDS,
        "link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400), "waiting": waiting,
        "changes_url": reverse("people:role-changes"), "viewer": viewer})


@require_http_methods(["GET", "POST"])
def change_manager_or_team(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's manager (proposed, for a second approver) and team (at once), for people partners and
    administrators of the person's organisation; opening it is a read of the person's record, and a refusal is
    recorded as a refused attempt to open it."""
    viewer = access.request_person(request)
    subject = get_object_or_404(Person.objects.select_related("team", "level", "manager"), pk=person_id)
    # A refusal (not a people partner or administrator, or of another organisation) is recorded as one.
    access.open_person_record(viewer, subject, what="people.profile", denied=ERR_NOT_A_PARTNER, allowed=(
        access.can_manage_people(viewer) and viewer.organisation_id == subject.organisation_id))
    form = ChangeManagerTeamForm(request.POST or None, viewer=viewer, subject=subject)
    if request.method == "POST" and form.is_valid() and form.move is not None:
        try:
            moved = move_person(subject, form.move, actor=viewer)
        except MoveError as error:  # something changed between the form's check and the locked write
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            for sentence in _moved_sentences(moved, form.move):
                messages.success(request, sentence)
            return redirect("people:account", person_id=subject.pk)
    waiting = waiting_manager_change(subject)
    return render(request, "people/change.html", {"form": form, "subject": subject, "waiting": waiting},
                  status=400 if form.errors else 200)


def _moved_sentences(moved: Moved, move: Move) -> list[str]:
    name = moved.person.name
    sentences = []
    if moved.team_changed:
        sentences.append(f"{name} is now in {move.team.name if move.team else 'no team'}; the change is in the audit "
                         "trail.")
    if moved.proposal is not None:
        change = moved.proposal
        until = f"keeps {change.from_label} as manager" if change.from_value else "has no manager"
        sentences.append(f"The change of {name}'s manager to {change.to_label} waits for a second people partner or "
                         f"administrator to approve it; until then {name} {until}.")
    return sentences


@require_GET
def role_changes(request: HttpRequest) -> HttpResponse:
    viewer = _partner(request)
    decided = (RoleChange.objects.exclude(status=RoleChange.Status.PENDING)
               .select_related("person", "approved_by", "proposed_by")[:RECENT_DECISIONS])
    return render(request, "people/role_changes.html",
                  {"pending": pending_changes(), "decided": decided, "viewer": viewer,
                   "viewer_id": str(viewer.pk)})


@require_POST
def decide_role_change(request: HttpRequest, change_id: int, decision: str) -> HttpResponse:
    viewer = _partner(request)
    change = get_object_or_404(RoleChange, pk=change_id)
    try:
        if decision == "approve":
            approve_change(change, viewer)
            messages.success(request, f"Approved and applied: {change}.")
        else:
            reject_change(change, viewer)
            messages.success(request, f"Rejected: {change}.")
    except RoleChangeError as error:
        messages.error(request, str(error))
    return redirect("people:role-changes")
