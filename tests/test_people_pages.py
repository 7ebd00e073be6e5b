"""People partners and administrators add people, find them and approve changes of roles and managers on
Brightline's own pages (issue 20): the story of a tester who added Noor through the Django admin and got stuck."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brightline.audit.models import AccessLog, AuditEntry
from brightline.people import adding
from brightline.people.models import AccessRole, Organisation, Person, RoleChange, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(personas):
    """An administrator, who adds people (Olga, Oscar's manager, made one); Pia (a people partner) approves."""
    olga = Person.objects.get(user__username="olga")
    olga.access_role = AccessRole.ADMIN
    olga.save(update_fields=["access_role"])
    return olga


def noor(ladder, **changes) -> dict[str, str]:
    payments = Team.objects.get(slug="payments")
    data = {"name": "Noor Jansen", "email": "Noor.Jansen@example.org", "team": str(payments.pk),
            "manager": "Mo Manager (mo@example.org)", "level": str(ladder["IC2"].pk), "start_date": "2026-12-01",
            "timezone": "Europe/Amsterdam", "access_role": AccessRole.EMPLOYEE, "employee_id": ""}
    return {**data, **changes}


def written() -> tuple[int, int, int, int]:
    return (Person.objects.count(), get_user_model().objects.count(), AuditEntry.objects.count(),
            RoleChange.objects.count())


def csrf_post(browser, get_url: str, url: str, data: dict | None = None):
    token = browser.get(get_url).cookies["csrftoken"].value
    return browser.post(url, {**(data or {}), "csrfmiddlewaretoken": token})


def test_an_engineer_a_manager_and_a_leader_are_refused_every_people_page(personas, ladder, client_for):
    before = written()
    for person in (personas.erin, personas.mo, personas.lee):
        browser = client_for(person)
        for url in ("/people/", "/people/new/", "/people/new/managers/?manager=mo", "/people/changes/",
                    f"/people/{personas.pat.pk}/account/"):
            assert browser.get(url).status_code == 403, (person.name, url)
        assert browser.post("/people/new/", noor(ladder)).status_code == 403
        assert browser.post(f"/people/{personas.pat.pk}/account/").status_code == 403
        page = browser.get("/").content.decode()
        assert "Add a person" not in page and 'href="/people/"' not in page
    assert Person.objects.count() == before[0] and get_user_model().objects.count() == before[1]
    assert not mail.outbox


def test_ada_adds_noor_with_mo_as_manager_pia_approves_and_noor_is_on_mos_team(personas, ladder, ada, client_for):
    browser = client_for(ada, enforce_csrf_checks=True)
    home = browser.get("/").content.decode()
    assert 'href="/people/new/"' in home and 'href="/people/changes/"' in home and 'href="/people/"' in home

    response = csrf_post(browser, "/people/new/", "/people/new/", noor(ladder))

    person = Person.objects.select_related("user").get(email="noor.jansen@example.org")
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/account/"
    assert (person.name, person.team.slug, person.level.code, str(person.start_date), person.timezone) == (
        "Noor Jansen", "payments", "IC2", "2026-12-01", "Europe/Amsterdam")
    # The login exists, with no password yet; the manager waits for a second approver.
    assert person.user is not None and person.user.username == "noor.jansen"
    assert not person.user.has_usable_password()
    assert person.manager is None and person.access_role == AccessRole.EMPLOYEE
    change = RoleChange.objects.get(person=person)
    assert (change.field, change.to_value, change.status, change.proposed_by) == (
        "manager", str(personas.mo.pk), "pending", ada)
    assert set(AuditEntry.objects.filter(subject_person_id=person.pk).values_list("action", flat=True)) == {
        "people.person.created", "people.login.created", "people.role_change.proposed"}

    saved = browser.get(response["Location"]).content.decode()
    assert "Noor Jansen is now in Brightline, with a login." in saved
    assert "Waiting for a second approver" in saved and "Manager: Mo Manager" in saved
    assert 'href="/people/changes/"' in saved and "noor.jansen" in saved
    assert "E-mail the invitation" in saved
    # Ada cannot approve her own proposal, and her home does not ask her to.
    assert "Approve or reject" not in browser.get("/").content.decode()
    assert "Yours: another people partner or administrator decides" in browser.get("/people/changes/").content.decode()

    pia = client_for(personas.pia, enforce_csrf_checks=True)
    home = pia.get("/").content.decode()
    assert "Approve or reject the change of manager of Noor Jansen (to Mo Manager)" in home
    assert 'href="/people/changes/"' in home
    # Noor's "who read this record" lists the waiting change and, for a people partner, where it is decided.
    assert 'href="/people/changes/"' in pia.get(f"/people/{person.pk}/access-log/").content.decode()
    assert 'href="/people/changes/"' not in client_for(personas.erin).get("/me/access-log/").content.decode()
    listing = pia.get("/people/changes/").content.decode()
    assert f'action="/people/changes/{change.pk}/approve/"' in listing
    assert pia.post(f"/people/changes/{change.pk}/approve/").status_code == 403  # no CSRF token
    csrf_post(pia, "/people/changes/", f"/people/changes/{change.pk}/approve/")

    person.refresh_from_db()
    change.refresh_from_db()
    assert person.manager == personas.mo and (change.status, change.approved_by) == ("applied", personas.pia)
    assert "Noor Jansen" in client_for(personas.mo).get("/team/").content.decode()
    assert "Approve or reject" not in pia.get("/").content.decode()


def test_a_role_above_employee_is_proposed_too_and_nothing_concerning_pia_is_hers_to_approve(
        personas, ladder, client_for):
    pia = client_for(personas.pia)
    pia.post("/people/new/", noor(ladder, manager="Pia Partner", access_role=AccessRole.PEOPLE_PARTNER))
    person = Person.objects.get(email="noor.jansen@example.org")
    assert person.access_role == AccessRole.EMPLOYEE and person.manager is None
    assert sorted(RoleChange.objects.filter(person=person).values_list("field", "to_value")) == [
        ("access_role", "people_partner"), ("manager", str(personas.pia.pk))]
    assert "Approve or reject" not in pia.get("/").content.decode()


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"email": "erin@example.org"}, "email", "Erin Employee already has this e-mail address"),
    ({"email": "not an address"}, "email", "Enter a valid email address"),
    ({"manager": "Nobody Here"}, "manager", "Nobody in Brightline is called “Nobody Here”"),
    ({"manager": "Zoe Elsewhere (zoe@other.example)"}, "manager", "Zoe Elsewhere is in another organisation"),
    ({"manager": "Sam Same"}, "manager", "2 people are called “Sam Same”"),
    ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice"),
    ({"employee_id": "E-erin"}, "employee_id", "Erin Employee already has this employee id"),
    ({"name": "   "}, "name", "This field is required"),
])
def test_a_bad_row_writes_nothing_and_says_which_field(personas, ladder, ada, client_for, changes, field, message):
    other = Organisation.objects.create(name="Elsewhere", slug="elsewhere")
    Person.objects.create(organisation=other, employee_id="X-zoe", name="Zoe Elsewhere", email="zoe@other.example")
    for number in (1, 2):
        Person.objects.create(organisation=personas.pia.organisation, employee_id=f"S-{number}", name="Sam Same",
                              email=f"sam{number}@example.org")
    before = written()

    response = client_for(ada).post("/people/new/", noor(ladder, **changes))

    assert response.status_code == 400
    assert written() == before
    form = response.context["form"]
    assert message in " ".join(form.errors[field]), form.errors
    assert "Nothing was saved" in response.content.decode()


def test_a_failure_after_the_person_is_written_leaves_nothing_behind(personas, ladder, ada, monkeypatch):
    """The transaction: the person, the login and the audit entries are undone when the proposal fails."""
    before = written()

    def refuse(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(adding, "propose_change", refuse)
    new = adding.NewPerson(name="Noor Jansen", email="noor@example.org", team=None, manager=personas.mo, level=None,
                           start_date=timezone.localdate(), timezone="UTC", access_role=AccessRole.EMPLOYEE)
    with pytest.raises(DatabaseError):
        adding.add_person(new, actor=ada)
    assert written() == before


def test_a_manager_who_would_close_a_loop_is_refused(personas):
    """Lee manages Mo, who manages Erin: Erin cannot become Lee's manager (nor Mo's, nor her own)."""
    organisation = personas.lee.organisation_id
    assert adding.manager_error(personas.lee, personas.erin, organisation) == (
        "Erin Employee reports to Lee Leader, so Lee Leader cannot report to Erin Employee.")
    assert "cannot report" in adding.manager_error(personas.erin, personas.erin, organisation)
    assert adding.manager_error(personas.pat, personas.erin, organisation) == ""


def test_the_manager_search_suggests_names_with_their_e_mail(personas, ada, client_for):
    options = client_for(ada).get("/people/new/managers/?manager=mo man").content.decode()
    assert '<option value="Mo Manager (mo@example.org)">Payments' in options
    assert "Erin" not in options
    assert client_for(ada).get("/people/new/managers/?manager=").content.decode().strip() == ""


def test_the_invitation_is_the_existing_set_password_link(personas, ladder, ada, client_for):
    browser = client_for(ada, enforce_csrf_checks=True)
    csrf_post(browser, "/people/new/", "/people/new/", noor(ladder, manager=""))
    person = Person.objects.get(email="noor.jansen@example.org")
    assert not RoleChange.objects.filter(person=person).exists()

    response = csrf_post(browser, f"/people/{person.pk}/account/", f"/people/{person.pk}/account/")

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["noor.jansen@example.org"]]
    assert "/accounts/password/set/" in mail.outbox[0].body and "noor.jansen" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="people.login.invited", subject_person_id=person.pk,
                                     actor_id=ada.pk).exists()
    # Opening the page is a read of Noor's record, as every page about a person is.
    assert AccessLog.objects.filter(subject=person, viewer=ada).exists()


def test_the_directory_searches_filters_pages_and_links_each_record(personas, ada, client_for):
    organisation = personas.pia.organisation
    Person.objects.bulk_create([Person(organisation=organisation, employee_id=f"G-{n:02}", name=f"Gen Person {n:02}",
                                       email=f"gen{n:02}@example.org", chain_path=f"/g{n}/") for n in range(30)])
    browser = client_for(ada)

    first = browser.get("/people/").content.decode()
    # It says what it counts: the 30 generated people, Lee and Pia have no team; the other 5 are in one.
    assert "37 people who have not left: 5 in a team and 32 without one." in first
    assert first.count('href="/people/') >= 25
    with CaptureQueriesContext(connection) as queries:
        second = browser.get("/people/?page=2").content.decode()
    assert "People 26–37 of 37" in second
    # The page's people and their number come from one query (a window count), not a count and then the rows.
    listing = [query["sql"] for query in queries.captured_queries
               if 'FROM "people_person"' in query["sql"] and "LIMIT 25" in query["sql"]]
    assert len(listing) == 1 and "OVER" in listing[0]
    assert not [query for query in queries.captured_queries if query["sql"].startswith("SELECT COUNT(*)")
                and 'FROM "people_person"' in query["sql"]]
    assert "People 26–37 of 37" in browser.get("/people/?page=99").content.decode()

    found = browser.get("/people/?q=erin").content.decode()
    erin = personas.erin.pk
    assert f'<a href="/people/{erin}/">Erin Employee</a>' in found
    assert f'href="/people/{erin}/access-log/"' in found
    assert "1 person matching “erin”." in found and "Gen Person" not in found
    platform = browser.get("/people/?team=platform").content.decode()
    assert "Oscar Outsider" in platform and "Erin Employee" not in platform
    assert "Nobody matches “zzz”" in browser.get("/people/?q=zzz").content.decode()
    # Listing names is not a read; opening the record is.
    assert not AccessLog.objects.filter(subject=personas.erin).exists()
    browser.get(f"/people/{erin}/")
    assert AccessLog.objects.filter(subject=personas.erin, viewer=ada).exists()


def test_the_audit_trail_links_the_person_an_entry_is_about(personas, ladder, ada, client_for):
    client_for(ada).post("/people/new/", noor(ladder))
    person = Person.objects.get(email="noor.jansen@example.org")
    trail = client_for(personas.pia).get("/audit/").content.decode()
    assert f'<a href="/people/{person.pk}/">Noor Jansen</a>' in trail


def test_the_admins_list_of_role_changes_links_the_page_where_they_are_decided(personas, ada, client_for):
    from django.contrib.auth.models import Permission

    ada.user.is_staff = True
    ada.user.save()
    ada.user.user_permissions.add(Permission.objects.get(codename="view_rolechange"))
    listing = client_for(ada).get("/admin/people/rolechange/", follow=True).content.decode()
    assert '<a href="/people/changes/">Pending changes of roles and managers</a>, not here.' in listing


@pytest.mark.parametrize(("configured", "expected"), [
    (False, "https://people.example.net/accounts/password/set/"),
    (True, "https://brightline.example.org/accounts/password/set/"),
])
def test_an_invitation_from_the_page_starts_with_the_senders_address_unless_the_base_url_is_set(
        personas, ladder, ada, client_for, settings, configured, expected):
    settings.ALLOWED_HOSTS = ["people.example.net", "testserver"]
    settings.BRIGHTLINE_BASE_URL_CONFIGURED = configured
    settings.BRIGHTLINE_BASE_URL = "https://brightline.example.org" if configured else "http://localhost:8000"
    person = personas.pat
    browser = client_for(ada)
    response = browser.post(f"/people/{person.pk}/account/", HTTP_HOST="people.example.net", secure=True)
    assert response.status_code == 302
    [message] = mail.outbox
    assert expected in message.body and "localhost" not in message.body


def test_an_address_outside_allowed_hosts_sends_nothing(personas, ada, client_for, settings):
    settings.ALLOWED_HOSTS = ["people.example.net"]
    settings.BRIGHTLINE_BASE_URL_CONFIGURED = False
    response = client_for(ada).post(f"/people/{personas.pat.pk}/account/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400 and not mail.outbox


def test_the_home_card_and_the_directory_say_what_they_count_so_they_agree(personas, ada, client_for):
    import re

    Person.objects.create(organisation=personas.pia.organisation, employee_id="E-lena", name="Lena Leaver",
                          email="lena@example.org", is_active=False, team=Team.objects.get(slug="payments"))
    browser = client_for(personas.pia)
    card = re.search(r'<dl class="figures">(.*?)</dl>', browser.get("/").content.decode(), re.S).group(1)
    # Mo, Erin and Pat in Payments, Olga and Oscar in Platform; Lee and Pia in no team; Lena has left.
    assert "5 people in 2 teams" in card
    assert "; 2 more without a team (7 in the People list); 1 who has left, not counted" in card
    listing = browser.get("/people/").content.decode()
    assert "7 people who have not left: 5 in a team and 2 without one." in listing
    assert "1 person who has left." in browser.get("/people/?left=1").content.decode()
