"""SCIM 2.0 provisioning under /scim/v2/: real HTTP requests through Django's test client, a real database."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from brightline.audit.models import AccessLog
from brightline.people.models import AccessRole, Person, RoleChange, TokenScope
from brightline.people.scim import ENTERPRISE
from brightline.people.tokens import create_api_token
from tests.conftest import audit_actions

pytestmark = pytest.mark.django_db
SCIM = "application/scim+json"


@pytest.fixture
def admin(personas, organisation):
    return Person.objects.create(organisation=organisation, employee_id="E-adm", name="Ada Admin",
                                 email="ada@example.org", access_role=AccessRole.ADMIN)


@pytest.fixture
def scim(client, admin):
    """Send SCIM requests with an administrator's read-write token: ``scim("post", "/Users", body)``."""
    key = create_api_token(admin, name="identity provider", actor=None, actor_label="test", scope=TokenScope.WRITE)

    def send(method: str, path: str, body: object = None, *, token: str | None = key):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = json.dumps(body) if body is not None else None
        return getattr(client, method)(f"/scim/v2{path}", data=data, content_type=SCIM, **headers)

    return send


def new_user(**more: object) -> dict[str, object]:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE], "userName": "nia@example.org",
            "name": {"givenName": "Nia", "familyName": "New"}, "active": True,
            "emails": [{"value": "nia@example.org", "type": "work", "primary": True}],
            ENTERPRISE: {"employeeNumber": "E-nia"}, **more}


def test_only_an_administrators_token_may_provision_and_a_read_only_one_may_only_read(scim, admin, personas):
    assert scim("get", "/Users", token=None).status_code == 401
    assert scim("get", "/Users", token="bl_not-a-token").status_code == 401
    read_only = create_api_token(admin, name="look", actor=None, actor_label="test")
    assert scim("get", "/Users", token=read_only).status_code == 200
    refused = scim("post", "/Users", new_user(), token=read_only)
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    partner = create_api_token(personas.pia, name="pia", actor=None, actor_label="test", scope=TokenScope.WRITE)
    assert scim("get", "/Users", token=partner).status_code == 403
    assert not Person.objects.filter(employee_id="E-nia").exists()


def test_creating_a_user_makes_the_person_and_their_login_together(scim, personas):
    created = scim("post", "/Users", new_user(**{ENTERPRISE: {"employeeNumber": "E-nia",
                                                              "manager": {"value": str(personas.mo.pk)}}}))
    assert created.status_code == 201, created.content
    body = created.json()
    nia = Person.objects.select_related("user").get(employee_id="E-nia")
    assert created["Location"].endswith(f"/scim/v2/Users/{nia.pk}") and body["id"] == str(nia.pk)
    assert (nia.name, nia.email, nia.manager, nia.is_active) == ("Nia New", "nia@example.org", personas.mo, True)
    assert nia.user.username == "nia" and nia.user.is_active and not nia.user.has_usable_password()
    assert body["userName"] == "nia@example.org" and body[ENTERPRISE]["manager"]["value"] == str(personas.mo.pk)
    assert audit_actions()[-2:] == ["people.person.created", "people.login.created"]

    found = scim("get", '/Users?filter=userName eq "NIA@example.org"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(nia.pk)
    assert scim("get", f"/Users/{nia.pk}").json()["displayName"] == "Nia New"
    assert AccessLog.objects.filter(subject=nia, via="api").count() == 2  # reads are logged


@pytest.mark.parametrize("change, status, detail", [
    ({"userName": "erin@example.org", "emails": []}, 409, "already has the e-mail"),
    ({ENTERPRISE: {"employeeNumber": "E-erin"}}, 409, "already has the employee id"),
    ({ENTERPRISE: {}}, 400, "employee id"),
    ({"userName": "not an address", "emails": []}, 400, "not a valid e-mail"),
    ({"name": {}}, 400, "name"),
    ({"active": "yes"}, 400, "active"),
    ({ENTERPRISE: {"employeeNumber": "E-nia", "manager": {"value": "999999"}}}, 400, "manager"),
])
def test_a_bad_user_is_refused_with_a_clear_error_and_nothing_written(scim, personas, change, status, detail):
    before = (Person.objects.count(), get_user_model().objects.count(), len(audit_actions()))
    response = scim("post", "/Users", new_user(**change))
    assert response.status_code == status and detail in response.json()["detail"]
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert (Person.objects.count(), get_user_model().objects.count(), len(audit_actions())) == before


def test_updates_follow_with_the_login_and_a_new_manager_is_recorded(scim, personas):
    erin = personas.erin
    replaced = scim("put", f"/Users/{erin.pk}", new_user(userName="erin.n@example.org", emails=[],
                                                         displayName="Erin Newname",
                                                         **{ENTERPRISE: {"employeeNumber": "E-erin"}}))
    assert replaced.status_code == 200, replaced.content
    erin.refresh_from_db()
    erin.user.refresh_from_db()
    assert (erin.name, erin.email, erin.user.email, erin.user.first_name) == (
        "Erin Newname", "erin.n@example.org", "erin.n@example.org", "Erin")
    assert erin.user.username == "erin"  # the username stays, as with the people import

    patched = scim("patch", f"/Users/{erin.pk}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                  "Operations": [
        {"op": "replace", "value": {"displayName": "Erin Third"}},
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": {"value": str(personas.lee.pk)}}]})
    assert patched.status_code == 200, patched.content
    erin.refresh_from_db()
    assert (erin.name, erin.manager) == ("Erin Third", personas.lee)
    change = RoleChange.objects.get(person=erin, field="manager")
    assert (change.from_label, change.to_label, change.status) == ("Mo Manager", "Lee Leader", "applied")

    loop = scim("patch", f"/Users/{personas.lee.pk}", {"Operations": [
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": str(erin.pk)}}]})
    assert loop.status_code == 400 and "cannot report to" in loop.json()["detail"]
    unknown = scim("patch", f"/Users/{erin.pk}", {"Operations": [{"op": "remove", "path": "title"}]})
    assert unknown.status_code == 400 and unknown.json()["scimType"] == "invalidSyntax"


def test_deactivating_ends_the_login_at_once_and_reactivating_brings_it_back(scim, personas, client_for):
    erin = personas.erin
    browser = client_for(erin)
    assert browser.get("/").status_code == 200

    response = scim("patch", f"/Users/{erin.pk}", {"Operations": [{"op": "replace", "path": "active",
                                                                   "value": "False"}]})
    assert response.status_code == 200 and response.json()["active"] is False
    erin.refresh_from_db()
    erin.user.refresh_from_db()
    assert not erin.is_active and not erin.user.is_active and erin.left_on == timezone.localdate()
    assert browser.get("/").url.startswith("/accounts/login/")  # the open session ended
    assert audit_actions()[-2:] == ["people.person.left", "people.login.deactivated"]

    back = scim("patch", f"/Users/{erin.pk}", {"Operations": [{"op": "replace", "value": {"active": True}}]})
    assert back.status_code == 200
    erin.refresh_from_db()
    erin.user.refresh_from_db()
    assert erin.is_active and erin.user.is_active and erin.left_on is None


def test_delete_deactivates_and_keeps_the_record_for_the_retention_policy(scim, personas):
    pat = personas.pat
    assert scim("delete", f"/Users/{pat.pk}").status_code == 204
    pat.refresh_from_db()
    pat.user.refresh_from_db()
    assert not pat.is_active and not pat.user.is_active and pat.left_on == timezone.localdate()
    assert scim("get", f"/Users/{pat.pk}").json()["active"] is False
    assert scim("get", "/Users/999999").status_code == 404


def test_lists_page_and_filters_are_checked(scim, personas):
    page = scim("get", "/Users?startIndex=2&count=2").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (8, 2, 2)  # personas and Ada
    by_id = scim("get", '/Users?filter=externalId eq "E-mo"').json()
    assert [user["displayName"] for user in by_id["Resources"]] == ["Mo Manager"]
    bad = scim("get", '/Users?filter=name.givenName sw "M"')
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    assert scim("get", "/ServiceProviderConfig").json()["patch"] == {"supported": True}
