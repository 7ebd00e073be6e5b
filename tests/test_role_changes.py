"""Changes of managers and access made by hand wait for a second approver; the HRIS import's are applied."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from brightline import access
from brightline.audit.models import AuditEntry
from brightline.people import importer
from brightline.people.models import AccessRole, Person, RoleChange
from brightline.people.rolechanges import (
    ERR_CONCERNS_YOU,
    ERR_OWN_CHANGE,
    RoleChangeError,
    approve_change,
    propose_change,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quinn(personas, ladder):
    """A second people partner, to approve."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username="quinn")
    return Person.objects.create(organisation=personas.pia.organisation, user=user, employee_id="E-quinn",
                                 name="Quinn Partner", email="quinn@example.org", level=ladder["M1"],
                                 timezone="Europe/Berlin", access_role=AccessRole.PEOPLE_PARTNER)


def admin_user(person, *codenames: str):
    user = person.user
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def admin_post_data(response) -> dict:
    """The admin change form's current values, as the browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        widget = field.widget
        if hasattr(widget, "widgets") and not isinstance(value, list | tuple):  # a split date and time
            for index, part in enumerate(widget.decompress(value)):
                if part is not None:
                    data[f"{name}_{index}"] = str(part)
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = [str(item) for item in value] if isinstance(value, list | tuple) else str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
    return data


def test_a_partner_who_makes_herself_manager_in_the_admin_gains_nothing_until_another_approves(
        personas, quinn, client_for):
    pia, erin = personas.pia, personas.erin
    admin_user(pia, "change_person", "view_person")
    browser = client_for(pia)
    url = f"/admin/people/person/{erin.pk}/change/"
    data = admin_post_data(browser.get(url))
    data["manager"] = str(pia.pk)

    response = browser.post(url, data, follow=True)

    assert response.status_code == 200
    assert "waits for a second people partner" in response.content.decode()
    erin.refresh_from_db()
    assert erin.manager_id == personas.mo.pk
    assert not access.can_view_growth_page(pia, erin)
    change = RoleChange.objects.get(person=erin, field="manager")
    assert (change.status, change.from_value, change.to_value, change.proposed_by) == (
        "pending", str(personas.mo.pk), str(pia.pk), pia)
    updated = AuditEntry.objects.filter(action="people.person.updated", subject_person_id=erin.pk).last()
    assert updated is None or "manager" not in updated.data["changes"]
    assert AuditEntry.objects.filter(action="people.role_change.proposed", subject_person_id=erin.pk).exists()

    # She cannot approve her own change, neither on the page nor through the service.
    with pytest.raises(RoleChangeError, match="You proposed this change"):
        approve_change(change, pia)
    page = client_for(pia, enforce_csrf_checks=True)
    listing = page.get("/people/changes/")
    assert listing.status_code == 200 and "Erin Employee" in listing.content.decode()
    token = listing.cookies["csrftoken"].value
    refused = page.post(f"/people/changes/{change.pk}/approve/", {"csrfmiddlewaretoken": token}, follow=True)
    assert ERR_OWN_CHANGE in refused.content.decode()
    change.refresh_from_db()
    assert change.status == "pending" and not access.can_view_growth_page(pia, Person.objects.get(pk=erin.pk))

    # Another people partner approves (with a CSRF token: without one the post is refused).
    second = client_for(quinn, enforce_csrf_checks=True)
    assert second.post(f"/people/changes/{change.pk}/approve/").status_code == 403
    token = second.get("/people/changes/").cookies["csrftoken"].value
    second.post(f"/people/changes/{change.pk}/approve/", {"csrfmiddlewaretoken": token})
    change.refresh_from_db()
    erin.refresh_from_db()
    assert (change.status, change.approved_by) == ("applied", quinn)
    assert erin.manager_id == pia.pk and access.can_view_growth_page(pia, erin)
    assert AuditEntry.objects.filter(action="people.role_change.approved", actor_id=quinn.pk).exists()

    # The people affected see it: Erin, and Mo who lost a report.
    for person in (erin, personas.mo):
        shown = client_for(person).get("/me/access-log/").content.decode()
        assert "Changes of reporting lines and access" in shown
        assert "Pia Partner" in shown and "Applied" in shown and "Quinn Partner" in shown


def test_a_partner_cannot_make_herself_administrator(personas, quinn, client_for):
    pia = personas.pia
    admin_user(pia, "change_person", "view_person", "change_user", "view_user")
    browser = client_for(pia)
    url = f"/admin/people/person/{pia.pk}/change/"
    data = admin_post_data(browser.get(url))
    data["access_role"] = AccessRole.ADMIN
    browser.post(url, data)
    pia.refresh_from_db()
    assert pia.access_role == AccessRole.PEOPLE_PARTNER

    user_url = f"/admin/auth/user/{pia.user.pk}/change/"
    data = admin_post_data(browser.get(user_url))
    data["is_superuser"] = "on"
    saved = browser.post(user_url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    pia.user.refresh_from_db()
    assert pia.user.is_superuser is False

    changes = RoleChange.objects.filter(person=pia, status="pending")
    assert {(c.field, c.to_value) for c in changes} == {("access_role", "admin"), ("is_superuser", "true")}
    for change in changes:
        with pytest.raises(RoleChangeError):
            approve_change(change, pia)
    approve_change(changes.get(field="is_superuser"), quinn)
    pia.user.refresh_from_db()
    assert pia.user.is_superuser is True


def test_a_partner_cannot_approve_a_change_that_gives_her_access(personas, quinn):
    change = propose_change(personas.erin, "manager", str(personas.pia.pk), proposed_by=quinn)
    with pytest.raises(RoleChangeError) as refused:
        approve_change(change, personas.pia)
    assert str(refused.value) == ERR_CONCERNS_YOU
    with pytest.raises(RoleChangeError):
        approve_change(change, personas.mo)  # not a people partner


def test_the_hris_import_applies_a_new_manager_at_once_and_shows_it(personas, client_for):
    erin, mo, pat = personas.erin, personas.mo, personas.pat
    row = (f"{erin.employee_id},{erin.name},{erin.email},{pat.employee_id},Payments,IC2,Europe/Berlin,"
           f"2022-01-01,hybrid")
    manager_row = (f"{pat.employee_id},{pat.name},{pat.email},{mo.employee_id},Payments,IC3,Europe/Berlin,"
                   f"2021-01-01,hybrid")
    csv = ("employee_id,name,email,manager_id,team,level,timezone,start_date,work_modality\n"
           f"{row}\n{manager_row}\n").encode()
    importer.import_people(csv, organisation=erin.organisation, actor=None, actor_label="cli:hr")
    erin.refresh_from_db()
    assert erin.manager_id == pat.pk
    change = RoleChange.objects.get(person=erin, field="manager")
    assert (change.status, change.source, change.approved_by) == ("applied", "import", None)
    page = client_for(erin).get("/me/access-log/").content.decode()
    assert "Pat Peer" in page and "HRIS people import" in page


def test_the_server_operator_sets_a_role_from_the_command_line(personas, client_for):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("role", "set", personas.erin.email, "people_partner", "--reason", "first partner", stdout=out)
    erin = Person.objects.get(pk=personas.erin.pk)
    assert erin.access_role == AccessRole.PEOPLE_PARTNER
    assert "Employee → People partner" in out.getvalue()
    assert AuditEntry.objects.filter(action="people.role_change.applied", subject_person_id=erin.pk).exists()
    assert "Server command line" in client_for(erin).get("/me/access-log/").content.decode()


def test_a_person_added_in_the_admin_starts_without_the_manager_until_approved(personas, quinn, client_for):
    pia = personas.pia
    admin_user(pia, "add_person", "change_person", "view_person")
    browser = client_for(pia)
    data = admin_post_data(browser.get("/admin/people/person/add/"))
    data.update({"organisation": str(pia.organisation_id), "employee_id": "E-new", "name": "Nia New",
                 "email": "nia@example.org", "timezone": "Europe/Berlin", "manager": str(pia.pk),
                 "access_role": AccessRole.EMPLOYEE})
    saved = browser.post("/admin/people/person/add/", data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    nia = Person.objects.get(employee_id="E-new")
    assert nia.manager_id is None and nia.name == "Nia New"
    change = RoleChange.objects.get(person=nia)
    assert (change.field, change.to_value, change.status) == ("manager", str(pia.pk), "pending")
    approve_change(change, quinn)
    assert Person.objects.get(pk=nia.pk).manager_id == pia.pk


def test_groups_and_permissions_given_in_the_admin_wait_for_a_second_approver(personas, quinn, client_for):
    from django.contrib.auth.models import Group

    pia = personas.pia
    admin_user(pia, "change_user", "view_user")
    editors = Group.objects.create(name="Person editors")
    editors.permissions.add(*Permission.objects.filter(codename__in=["change_person", "view_person"]))
    delete_person = Permission.objects.get(codename="delete_person")
    before = set(pia.user.user_permissions.values_list("pk", flat=True))
    browser = client_for(pia)
    user_url = f"/admin/auth/user/{pia.user.pk}/change/"
    data = admin_post_data(browser.get(user_url))
    data["groups"] = [str(editors.pk)]
    data["user_permissions"] = [*map(str, sorted(before)), str(delete_person.pk)]

    saved = browser.post(user_url, data, follow=True)

    assert saved.status_code == 200
    page = saved.content.decode()
    assert "The change of permission groups for Pia Partner waits for a second" in page
    assert "The change of individual permissions for Pia Partner waits for a second" in page
    user = type(pia.user).objects.get(pk=pia.user.pk)
    assert not user.groups.exists()
    assert set(user.user_permissions.values_list("pk", flat=True)) == before
    assert not user.has_perm("people.delete_person")
    changes = RoleChange.objects.filter(person=pia, status="pending")
    assert {change.field for change in changes} == {"groups", "user_permissions"}
    groups = changes.get(field="groups")
    assert (groups.from_label, groups.to_label) == ("none", "Person editors")
    assert "Can delete person" in changes.get(field="user_permissions").to_label
    for change in changes:
        with pytest.raises(RoleChangeError, match="You proposed this change"):
            approve_change(change, pia)

    for change in changes:
        approve_change(change, quinn)
    user = type(pia.user).objects.get(pk=pia.user.pk)
    assert list(user.groups.all()) == [editors]
    assert user.has_perm("people.delete_person")
    shown = client_for(pia).get("/me/access-log/").content.decode()
    assert "Permission groups" in shown and "Person editors" in shown


def test_a_group_with_members_keeps_its_permissions_when_edited_in_the_admin(personas, quinn, client_for):
    from django.contrib.auth.models import Group

    pia = personas.pia
    admin_user(pia, "change_group", "view_group")
    viewers = Group.objects.create(name="Viewers")
    viewers.permissions.add(Permission.objects.get(codename="view_person"))
    pia.user.groups.add(viewers)
    everything = Permission.objects.filter(content_type__app_label="people")
    browser = client_for(pia)
    url = f"/admin/auth/group/{viewers.pk}/change/"
    data = admin_post_data(browser.get(url))
    data["permissions"] = [str(permission.pk) for permission in everything]

    saved = browser.post(url, data, follow=True)

    assert "has members, so a change of its permissions would change their access" in saved.content.decode()
    assert list(viewers.permissions.values_list("codename", flat=True)) == ["view_person"]
    assert not type(pia.user).objects.get(pk=pia.user.pk).has_perm("people.delete_person")

    # A group without members takes any permissions; each member added later waits for approval.
    empty = Group.objects.create(name="Empty")
    url = f"/admin/auth/group/{empty.pk}/change/"
    data = admin_post_data(browser.get(url))
    data["permissions"] = [str(permission.pk) for permission in everything]
    browser.post(url, data)
    assert empty.permissions.count() == everything.count()
