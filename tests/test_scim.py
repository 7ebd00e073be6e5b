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

    def send(method: str, path: str, body: object = None, *, token: str | None = key,
             headers: dict[str, str] | None = None):
        meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()}
        if token:
            meta["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        data = json.dumps(body) if body is not None else None
        return getattr(client, method)(f"/scim/v2{path}", data=data, content_type=SCIM, **meta)

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
    given = scim("get", '/Users?filter=name.givenName sw "M" and active eq true').json()
    assert [user["displayName"] for user in given["Resources"]] == ["Mo Manager"]
    bad = scim("get", '/Users?filter=title sw "M"')
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    assert scim("get", "/ServiceProviderConfig").json()["patch"] == {"supported": True}


# ---- Groups ----

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def members(*people: Person) -> list[dict[str, str]]:
    return [{"value": str(person.pk)} for person in people]


def roles(*people: Person) -> list[str]:
    return [Person.objects.get(pk=person.pk).access_role for person in people]


def test_groups_set_access_roles_through_the_role_mapping_as_they_change(scim, personas, settings):
    settings.BRIGHTLINE_SSO_ROLE_GROUPS = ["admin=it-admins", "people_partner=hr"]
    erin, mo = personas.erin, personas.mo
    created = scim("post", "/Groups", {"schemas": [GROUP], "displayName": "hr", "externalId": "g-hr",
                                       "members": members(erin, mo)})
    assert created.status_code == 201, created.content
    hr = created.json()
    assert created["Location"].endswith(f"/scim/v2/Groups/{hr['id']}")
    assert sorted(member["value"] for member in hr["members"]) == sorted([str(erin.pk), str(mo.pk)])
    assert roles(erin, mo) == [AccessRole.PEOPLE_PARTNER, AccessRole.PEOPLE_PARTNER]
    change = RoleChange.objects.get(person=erin, field="access_role")
    assert (change.source, change.status, change.to_value) == ("sso", "applied", "people_partner")
    assert "people.scim_group.created" in audit_actions()

    admins = scim("post", "/Groups", {"displayName": "it-admins"}).json()
    added = scim("patch", f"/Groups/{admins['id']}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                     "Operations": [{"op": "add", "path": "members",
                                                                     "value": members(mo)}]})
    assert added.status_code == 200 and roles(mo) == [AccessRole.ADMIN]  # the highest role wins

    # Okta's style (a filtered path) and Entra ID's (a value list) both remove a member.
    scim("patch", f"/Groups/{hr['id']}", {"Operations": [{"op": "remove", "path": f'members[value eq "{erin.pk}"]'}]})
    assert roles(erin, mo) == [AccessRole.EMPLOYEE, AccessRole.ADMIN]
    scim("patch", f"/Groups/{admins['id']}", {"Operations": [{"op": "remove", "path": "members",
                                                              "value": members(mo)}]})
    assert roles(mo) == [AccessRole.PEOPLE_PARTNER]

    renamed = scim("patch", f"/Groups/{hr['id']}", {"Operations": [{"op": "replace",
                                                                    "value": {"displayName": "hr-archive"}}]})
    assert renamed.json()["displayName"] == "hr-archive" and roles(mo) == [AccessRole.EMPLOYEE]
    scim("put", f"/Groups/{hr['id']}", {"displayName": "hr", "members": members(erin)})
    assert roles(erin, mo) == [AccessRole.PEOPLE_PARTNER, AccessRole.EMPLOYEE]
    from brightline.operations.data_rights import export_personal_data

    assert export_personal_data(erin)["person"]["identity_provider_groups"] == ["hr"]
    assert scim("delete", f"/Groups/{hr['id']}").status_code == 204
    assert roles(erin) == [AccessRole.EMPLOYEE]
    assert scim("get", f"/Groups/{hr['id']}").status_code == 404


def test_without_a_role_mapping_groups_are_kept_and_change_no_role(scim, personas):
    lee = personas.lee
    group = scim("post", "/Groups", {"displayName": "directors", "members": members(lee)}).json()
    assert roles(lee) == [AccessRole.LEADER]
    listed = scim("get", '/Groups?filter=displayName eq "directors"').json()
    assert listed["totalResults"] == 1 and listed["Resources"][0]["members"] == [
        {"value": str(lee.pk), "$ref": f"http://testserver/scim/v2/Users/{lee.pk}", "type": "User"}]
    assert "members" not in scim("get", f"/Groups/{group['id']}?excludedAttributes=members").json()
    assert scim("get", '/Groups?filter=externalId eq "none"').json()["totalResults"] == 0
    types = scim("get", "/ResourceTypes").json()
    assert [item["endpoint"] for item in types["Resources"]] == ["/Users", "/Groups"]


def test_a_bad_group_is_refused_with_a_clear_error_and_nothing_written(scim, personas, admin):
    scim("post", "/Groups", {"displayName": "hr"})
    read_only = create_api_token(admin, name="look", actor=None, actor_label="test")
    before = (len(audit_actions()), list(Person.objects.values_list("pk", "access_role").order_by("pk")))
    for body, status, detail in [
        ({"displayName": "hr"}, 409, "already called"),
        ({"displayName": ""}, 400, "displayName"),
        ({"displayName": "x", "members": members(personas.erin) + [{"value": "999999"}]}, 400, "999999"),
        ({"displayName": "x", "members": [{"display": "Erin"}]}, 400, "list of objects"),
    ]:
        response = scim("post", "/Groups", body)
        assert response.status_code == status and detail in response.json()["detail"], response.content
    group_id = scim("get", "/Groups").json()["Resources"][0]["id"]
    bad_patch = scim("patch", f"/Groups/{group_id}", {"Operations": [{"op": "remove", "path": "displayName"}]})
    assert bad_patch.status_code == 400 and bad_patch.json()["scimType"] == "invalidPath"
    assert scim("get", '/Groups?filter=displayName co').json()["scimType"] == "invalidFilter"
    assert scim("post", "/Groups", {"displayName": "y"}, token=read_only).status_code == 403
    assert (len(audit_actions()), list(Person.objects.values_list("pk", "access_role").order_by("pk"))) == before
    assert scim("get", "/Groups").json()["totalResults"] == 1
