"""Changing an existing person's manager and team on Brightline's own pages (the organisation moving in): the
manager is proposed for a second approver, the team applied at once, every refusal leaves nothing written, and the
old and new managers' access follows the approved change."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.db import DatabaseError
from django.utils import timezone

from brightline.audit.models import AccessLog, AuditEntry
from brightline.people import moving
from brightline.people.models import AccessRole, Organisation, Person, RoleChange, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(personas):
    """An administrator with no team and no reports: she approves what Pia proposes."""
    return Person.objects.create(organisation=personas.pia.organisation, employee_id="E-ada", name="Ada Admin",
                                 email="ada@example.org", access_role=AccessRole.ADMIN,
                                 user=_login("ada"))


def _login(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create(username=username)


def olga() -> Person:
    return Person.objects.get(user__username="olga")


def url(person: Person) -> str:
    return f"/people/{person.pk}/manager-and-team/"


def move(person: Person, **changes) -> dict[str, str]:
    """The form as Pia sends it: Erin to Olga, in Platform, from today."""
    platform = Team.objects.get(slug="platform")
    data = {"manager": "Olga Othermanager (olga@example.org)", "team": str(platform.pk),
            "effective_on": timezone.localdate().isoformat(), "reason": "moves to Platform after the reorganisation"}
    return {**data, **changes}


def written(person: Person) -> tuple:
    """Everything a move could write: the person's manager and team, changes of roles, audit entries."""
    person = Person.objects.get(pk=person.pk)
    return (person.manager_id, person.team_id, RoleChange.objects.count(),
            AuditEntry.objects.exclude(action__startswith="access.").count())


def csrf_post(browser, page: str, data: dict[str, str]):
    token = browser.get(page).cookies["csrftoken"].value
    return browser.post(page, {**data, "csrfmiddlewaretoken": token})


def test_pia_moves_erin_to_olga_and_platform_ada_approves_and_access_follows(personas, ada, client_for):
    erin, mo, boss = personas.erin, personas.mo, olga()
    pia = client_for(personas.pia, enforce_csrf_checks=True)
    # Opened from the person's record and from the directory.
    assert f'href="{url(erin)}"' in pia.get(f"/people/{erin.pk}/").content.decode()
    assert f'href="{url(erin)}"' in pia.get("/people/?q=erin").content.decode()
    form = pia.get(url(erin)).content.decode()
    assert "<strong>Now:</strong> reports to Mo Manager, in Payments." in form
    assert 'value="Mo Manager (mo@example.org)"' in form and f'value="{timezone.localdate():%Y-%m-%d}"' in form
    assert pia.post(url(erin), move(erin)).status_code == 403  # no CSRF token
    assert mo_sees(client_for, mo, erin) and not mo_sees(client_for, boss, erin)

    response = csrf_post(pia, url(erin), move(erin, effective_on=(timezone.localdate() - dt.timedelta(days=3))
                                                .isoformat()))

    assert response.status_code == 302 and response["Location"] == f"/people/{erin.pk}/account/"
    erin.refresh_from_db()
    # The team at once, with an audit entry; the manager waits for a second approver.
    assert erin.team.slug == "platform" and erin.manager == mo
    entry = AuditEntry.objects.get(action="people.person.updated", subject_person_id=erin.pk)
    assert entry.data["changes"]["team"] == {"from": "Payments", "to": "Platform"}
    assert entry.data["reason"] == "moves to Platform after the reorganisation"
    assert entry.data["effective_on"] == (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    change = RoleChange.objects.get(person=erin)
    assert (change.field, change.from_value, change.to_value, change.status, change.proposed_by) == (
        "manager", str(mo.pk), str(boss.pk), "pending", personas.pia)
    assert change.effective_on == timezone.localdate() - dt.timedelta(days=3)
    saved = html.unescape(pia.get(response["Location"]).content.decode())
    assert "Erin Employee is now in Platform; the change is in the audit trail." in saved
    assert ("The change of Erin Employee's manager to Olga Othermanager waits for a second people partner or "
            "administrator to approve it; until then Erin Employee keeps Mo Manager as manager.") in saved
    # Until the approval, Mo keeps his access and Olga has none.
    assert mo_sees(client_for, mo, erin) and not mo_sees(client_for, boss, erin)
    assert "Erin Employee" in client_for(mo).get("/team/").content.decode()

    approver = client_for(ada, enforce_csrf_checks=True)
    home = approver.get("/").content.decode()
    assert "Approve or reject the change of manager of Erin Employee (to Olga Othermanager)" in home
    listing = approver.get("/people/changes/").content.decode()
    assert "moves to Platform after the reorganisation" in listing
    token = approver.get("/people/changes/").cookies["csrftoken"].value
    assert approver.post(f"/people/changes/{change.pk}/approve/", {"csrfmiddlewaretoken": token}).status_code == 302

    erin.refresh_from_db()
    assert erin.manager == boss
    assert "Erin Employee" not in client_for(mo).get("/team/").content.decode()
    assert "Erin Employee" in client_for(boss).get("/team/").content.decode()
    assert client_for(mo).get(f"/people/{erin.pk}/").status_code == 403
    assert client_for(boss).get(f"/people/{erin.pk}/").status_code == 200


def mo_sees(client_for, manager: Person, person: Person) -> bool:
    return client_for(manager).get(f"/people/{person.pk}/").status_code == 200


def test_a_team_alone_is_applied_at_once_and_a_manager_alone_only_proposed(personas, client_for):
    erin, pia = personas.erin, client_for(personas.pia)
    pia.post(url(erin), move(erin, manager="Mo Manager (mo@example.org)"))
    erin.refresh_from_db()
    assert erin.team.slug == "platform" and not RoleChange.objects.filter(person=erin).exists()

    pia.post(url(erin), move(erin, reason="Olga leads the team now"))
    erin.refresh_from_db()
    assert erin.manager == personas.mo
    assert AuditEntry.objects.filter(action="people.person.updated", subject_person_id=erin.pk).count() == 1
    assert RoleChange.objects.get(person=erin).status == RoleChange.Status.PENDING
    # The waiting change is shown on the page, and a second one is refused until it is decided.
    page = pia.get(url(erin)).content.decode()
    assert "already waits for a second approver" in page


@pytest.mark.parametrize(("who", "changes", "field", "message"), [
    ("mo", {"manager": "Erin Employee (erin@example.org)"}, "manager",
     "Erin Employee reports to Mo Manager, so Mo Manager cannot report to Erin Employee."),
    ("erin", {"manager": "Erin Employee (erin@example.org)"}, "manager", "Erin Employee cannot be their own manager."),
    ("erin", {"manager": "Lena Leaver (lena@example.org)"}, "manager",
     "Lena Leaver has left the organisation, so cannot be a manager."),
    ("erin", {"manager": "Zoe Elsewhere (zoe@other.example)"}, "manager", "Zoe Elsewhere is in another organisation"),
    ("erin", {"manager": "Nobody Here"}, "manager", "Nobody in Brightline is called “Nobody Here”"),
    ("erin", {"team": "elsewhere"}, "team", "Select a valid choice"),
    ("erin", {"effective_on": "tomorrow"}, "effective_on", "Choose today or an earlier day."),
    ("erin", {"reason": "  "}, "reason", "This field is required"),
    ("erin", {"manager": "Mo Manager (mo@example.org)", "team": "payments"}, "__all__",
     "Nothing would change: Erin Employee already has this manager and this team."),
    ("pia", {}, "__all__", "This is your own manager and team"),
    ("lena", {}, "__all__", "Lena Leaver has left the organisation, so their manager and team stay as they were"),
])
def test_a_refused_move_writes_nothing_and_says_why(personas, client_for, who, changes, field, message):
    organisation = personas.pia.organisation
    other = Organisation.objects.create(name="Elsewhere", slug="elsewhere")
    Person.objects.create(organisation=other, employee_id="X-zoe", name="Zoe Elsewhere", email="zoe@other.example")
    elsewhere = Team.objects.create(organisation=other, slug="elsewhere-team", name="Elsewhere team")
    lena = Person.objects.create(organisation=organisation, employee_id="E-lena", name="Lena Leaver",
                                 email="lena@example.org", is_active=False, team=Team.objects.get(slug="payments"))
    person = lena if who == "lena" else getattr(personas, who)
    values = {"team": {"elsewhere": str(elsewhere.pk), "payments": str(Team.objects.get(slug="payments").pk)},
              "effective_on": {"tomorrow": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}}
    data = move(person, **{name: values.get(name, {}).get(value, value) for name, value in changes.items()})
    before = written(person)

    response = client_for(personas.pia).post(url(person), data)

    assert response.status_code == 400
    assert written(person) == before
    assert message in " ".join(response.context["form"].errors[field]), response.context["form"].errors
    assert "Nothing was saved" in response.content.decode()


def test_a_manager_refused_with_a_good_team_keeps_the_old_team_too(personas, client_for):
    """The team is valid and would apply at once, the manager is not: nothing of the move is kept."""
    erin = personas.erin
    before = written(erin)
    response = client_for(personas.pia).post(url(erin), move(erin, manager="Erin Employee (erin@example.org)"))
    assert response.status_code == 400 and written(erin) == before


def test_a_failure_after_the_team_is_written_leaves_nothing_behind(personas, monkeypatch):
    """The transaction: the team change and its audit entry are undone when the manager proposal fails."""
    erin = personas.erin
    before = written(erin)

    def refuse(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(moving, "propose_change", refuse)
    wanted = moving.Move(manager=olga(), team=Team.objects.get(slug="platform"), effective_on=timezone.localdate(),
                         reason="reorganisation")
    with pytest.raises(DatabaseError):
        moving.move_person(erin, wanted, actor=personas.pia)
    assert written(erin) == before


def test_the_service_checks_again_inside_its_transaction(personas):
    """Between the form's check and the write the manager left: the locked write refuses, nothing is kept."""
    erin, boss = personas.erin, olga()
    wanted = moving.Move(manager=boss, team=Team.objects.get(slug="platform"), effective_on=timezone.localdate(),
                         reason="reorganisation")
    Person.objects.filter(pk=boss.pk).update(is_active=False)
    boss.refresh_from_db()
    before = written(erin)
    with pytest.raises(moving.MoveError, match="has left the organisation"):
        moving.move_person(erin, wanted, actor=personas.pia)
    assert written(erin) == before
    with pytest.raises(PermissionError):
        moving.move_person(erin, wanted, actor=personas.mo)


def test_engineers_managers_leaders_and_other_organisations_partners_are_refused(personas, client_for):
    erin = personas.erin
    before = written(erin)
    for person in (personas.erin, personas.pat, personas.mo, personas.lee):
        browser = client_for(person)
        assert browser.get(url(erin)).status_code == 403, person.name
        assert browser.post(url(erin), move(erin)).status_code == 403, person.name
        assert f'href="{url(erin)}"' not in browser.get(f"/people/{erin.pk}/").content.decode()
    other = Organisation.objects.create(name="Elsewhere", slug="elsewhere")
    zoe = Person.objects.create(organisation=other, employee_id="X-zoe", name="Zoe Elsewhere",
                                email="zoe@other.example")
    assert client_for(personas.pia).get(url(zoe)).status_code == 403
    assert client_for(personas.pia).post(url(zoe), move(zoe)).status_code == 403
    assert written(erin) == before
    # Opening the page is a read of Erin's record, logged as every read is.
    client_for(personas.pia).get(url(erin))
    assert AccessLog.objects.filter(subject=erin, viewer=personas.pia).exists()


def test_a_stored_record_that_fails_its_own_checks_is_refused_whole(personas):
    """Erin's time zone came in broken from elsewhere: the team change's check of the whole record refuses the move
    with a sentence (not a server error), and nothing of it is kept."""
    erin = personas.erin
    Person.objects.filter(pk=erin.pk).update(timezone="Mars/Olympus")
    before = written(erin)
    wanted = moving.Move(manager=olga(), team=Team.objects.get(slug="platform"), effective_on=timezone.localdate(),
                         reason="reorganisation")
    with pytest.raises(moving.MoveError, match="Erin Employee's record fails a check of its own"):
        moving.move_person(erin, wanted, actor=personas.pia)
    assert written(erin) == before
