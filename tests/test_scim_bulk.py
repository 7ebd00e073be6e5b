"""SCIM 2.0 /Bulk, sorting and ETags (RFC 7644 sections 3.7, 3.4.2.3 and 3.14): real HTTP requests through
Django's test client, a real database, and requests in the shapes Okta and Microsoft Entra ID document."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from brightline.audit.models import AuditEntry
from brightline.audit.services import verify_chain
from brightline.people.models import AccessRole, Person, ScimGroup
from brightline.people.scim import BULK_MAX_OPERATIONS, BULK_MAX_PAYLOAD, ENTERPRISE
from brightline.people.tokens import create_api_token
from tests.conftest import audit_actions
from tests.test_scim import GROUP, admin, members, new_user, scim  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user(employee_id: str, email: str, name: str, **more: object) -> dict[str, object]:
    return new_user(userName=email, emails=[{"value": email, "primary": True}], displayName=name,
                    **{ENTERPRISE: {"employeeNumber": employee_id, **more}})


def state() -> tuple[int, int, int, list[tuple[int, str, bool]]]:
    return (Person.objects.count(), get_user_model().objects.count(), len(audit_actions()),
            list(Person.objects.order_by("pk").values_list("pk", "email", "is_active")))


# ---- Bulk ----


def test_bulk_creates_people_and_a_group_that_refer_to_each_other_by_bulk_id(scim, personas, settings):  # noqa: F811  (the fixtures)
    settings.BRIGHTLINE_SSO_ROLE_GROUPS = ["people_partner=hr"]
    config = scim("get", "/ServiceProviderConfig").json()
    assert config["bulk"] == {"supported": True, "maxOperations": BULK_MAX_OPERATIONS,
                              "maxPayloadSize": BULK_MAX_PAYLOAD}
    assert config["sort"] == {"supported": True} and config["etag"] == {"supported": True}
    entries_before = AuditEntry.objects.count()

    response = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        # Nia's manager is created by a later operation: hers waits for it.
        {"method": "POST", "path": "/Users", "bulkId": "nia",
         "data": user("E-nia", "nia@example.org", "Nia New", manager={"value": "bulkId:max"})},
        {"method": "POST", "path": "/Groups", "bulkId": "hr",
         "data": {"schemas": [GROUP], "displayName": "hr",
                  "members": [{"value": "bulkId:nia"}, {"value": "bulkId:max"}, {"value": str(personas.erin.pk)}]}},
        {"method": "POST", "path": "/Users", "bulkId": "max",
         "data": user("E-max", "max@example.org", "Max Manager", manager={"value": str(personas.lee.pk)})},
        {"method": "PATCH", "path": "/Users/bulkId:max",
         "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName",
                                                         "value": "Max Moved"}]}},
    ]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]
    results = body["Operations"]
    assert [(item["method"], item.get("bulkId"), item["status"]) for item in results] == [
        ("POST", "max", "201"), ("POST", "nia", "201"), ("POST", "hr", "201"), ("PATCH", None, "200")]
    nia, max_ = Person.objects.get(employee_id="E-nia"), Person.objects.get(employee_id="E-max")
    assert (nia.manager, max_.manager, max_.name) == (max_, personas.lee, "Max Moved")
    assert results[0]["location"].endswith(f"/scim/v2/Users/{max_.pk}")
    group = ScimGroup.objects.get(display_name="hr")
    assert results[2]["location"].endswith(f"/scim/v2/Groups/{group.pk}")
    assert set(group.members.values_list("pk", flat=True)) == {nia.pk, max_.pk, personas.erin.pk}
    assert Person.objects.get(pk=personas.erin.pk).access_role == AccessRole.PEOPLE_PARTNER
    # Each version is the resource's current ETag.
    assert scim("get", f"/Users/{max_.pk}")["ETag"] == results[3]["version"] != results[0]["version"]

    # The operations' audit entries were written together, in one statement with one time, chain intact.
    written = list(AuditEntry.objects.filter(seq__gt=entries_before).order_by("seq"))
    assert [entry.action for entry in written].count("people.person.created") == 2
    assert "people.scim_group.created" in [entry.action for entry in written]
    assert "people.role_change.applied" in [entry.action for entry in written]
    assert len({entry.created_at for entry in written}) == 1 and len(written) >= 8
    assert verify_chain().ok


def test_each_bulk_operation_stands_alone_and_reports_its_own_scim_error(scim, personas):  # noqa: F811  (the fixtures)
    response = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "ok", "data": user("E-ok", "ok@example.org", "Oki Ok")},
        {"method": "POST", "path": "/Users", "bulkId": "taken",
         "data": user("E-dup", "erin@example.org", "Dup Licate")},
        {"method": "PATCH", "path": "/Users/bulkId:taken", "data": {"Operations": [
            {"op": "replace", "path": "active", "value": False}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "g",
                                                                     "members": [{"value": "bulkId:nobody"}]}},
        {"method": "DELETE", "path": "/Users/999999"},
        {"method": "GET", "path": f"/Users/{personas.erin.pk}"},
        {"method": "PUT", "path": "/Users", "data": user("E-x", "x@example.org", "X")},
        {"method": "DELETE", "path": f"/Users/{personas.pat.pk}"},
        {"method": "POST", "path": "/Groups", "bulkId": "g2", "data": {"displayName": "g2"}},
        {"method": "POST", "path": "/Groups", "bulkId": "g3", "data": {"displayName": "g3",
                                                                      "members": [{"value": "bulkId:g2"}]}},
        {"method": "DELETE", "path": "/Users/bulkId:g2"},
    ]})
    assert response.status_code == 200, response.content
    results = response.json()["Operations"]
    assert [item["status"] for item in results] == ["201", "409", "409", "409", "404", "400", "400", "204", "201",
                                                    "400", "400"]
    assert results[9]["response"]["detail"] == "bulkId 'g2' names a Group where a User is needed."
    assert results[1]["response"] == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409", "scimType": "uniqueness",
        "detail": "Another person already has the e-mail address 'erin@example.org'."}
    assert "its POST failed" in results[2]["response"]["detail"]
    assert "not the bulkId of a POST" in results[3]["response"]["detail"]
    assert results[6]["response"]["scimType"] == "invalidPath"
    # What succeeded stays; what failed wrote nothing (no person, no login, no group, no audit entry).
    assert Person.objects.filter(employee_id="E-ok").exists() and not Person.objects.filter(employee_id="E-dup")
    assert not Person.objects.get(pk=personas.pat.pk).is_active
    assert list(ScimGroup.objects.values_list("display_name", flat=True)) == ["g2"]
    assert audit_actions().count("people.person.created") == 1 and verify_chain().ok


def test_fail_on_errors_stops_the_run_and_lists_what_was_done(scim, personas):  # noqa: F811  (the fixtures)
    response = scim("post", "/Bulk", {"schemas": [BULK], "failOnErrors": 2, "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("E-a", "a@example.org", "A A")},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("E-a", "b@example.org", "B B")},
        {"method": "POST", "path": "/Users", "bulkId": "c", "data": user("E-c", "c@example.org", "C C")},
        {"method": "DELETE", "path": "/Users/999999"},
        {"method": "POST", "path": "/Users", "bulkId": "d", "data": user("E-d", "d@example.org", "D D")},
    ]})
    results = response.json()["Operations"]
    assert [(item.get("bulkId"), item["status"]) for item in results] == [
        ("a", "201"), ("b", "409"), ("c", "201"), (None, "404")]
    assert sorted(Person.objects.filter(employee_id__in=["E-a", "E-c", "E-d"]).values_list("employee_id",
                                                                                           flat=True)) == ["E-a", "E-c"]


def test_bulk_refuses_too_much_a_bad_request_and_circular_managers(scim, personas, admin):  # noqa: F811  (the fixtures)
    read_only = create_api_token(admin, name="look", actor=None, actor_label="test")
    before = state()
    too_many = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "DELETE", "path": f"/Users/{personas.pat.pk}"}] * (BULK_MAX_OPERATIONS + 1)})
    assert too_many.status_code == 413 and str(BULK_MAX_OPERATIONS) in too_many.json()["detail"]
    padding = "x" * BULK_MAX_PAYLOAD
    too_large = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "p", "data": user("E-p", "p@example.org", padding)}]})
    assert too_large.status_code == 413 and too_large.json()["schemas"] == [
        "urn:ietf:params:scim:api:messages:2.0:Error"]
    for bad in ({"Operations": "all"}, {"Operations": [], "failOnErrors": 0},
                {"Operations": [{"method": "POST", "path": "/Users", "bulkId": "same", "data": {}},
                                {"method": "POST", "path": "/Groups", "bulkId": "same", "data": {}}]}):
        assert scim("post", "/Bulk", {"schemas": [BULK], **bad}).status_code == 400
    assert scim("get", "/Bulk").status_code == 405
    refused = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "DELETE", "path": f"/Users/{personas.pat.pk}"}]}, token=read_only)
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert state() == before

    circle = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "x",
         "data": user("E-x", "x@example.org", "X X", manager={"value": "bulkId:y"})},
        {"method": "POST", "path": "/Users", "bulkId": "y",
         "data": user("E-y", "y@example.org", "Y Y", manager={"value": "bulkId:x"})},
        {"method": "POST", "path": "/Users", "bulkId": "z", "data": user("E-z", "z@example.org", "Z Z")},
    ]}).json()["Operations"]
    assert [(item["bulkId"], item["status"]) for item in circle] == [("z", "201"), ("x", "409"), ("y", "409")]
    assert "reporting loop" in circle[1]["response"]["detail"]
    assert not Person.objects.filter(employee_id__in=["E-x", "E-y"]).exists()


def test_a_bulk_operation_with_an_old_version_is_refused_with_412(scim, personas):  # noqa: F811  (the fixtures)
    erin = scim("get", f"/Users/{personas.erin.pk}").json()
    old = erin["meta"]["version"]
    scim("patch", f"/Users/{personas.erin.pk}", {"Operations": [{"op": "replace", "path": "displayName",
                                                                 "value": "Erin Renamed"}]})
    results = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "PATCH", "path": f"/Users/{personas.erin.pk}", "version": old,
         "data": {"Operations": [{"op": "replace", "path": "active", "value": False}]}}]}).json()["Operations"]
    assert results[0]["status"] == "412" and Person.objects.get(pk=personas.erin.pk).is_active


# ---- ETags ----


def test_versions_are_etags_if_match_guards_writes_and_if_none_match_saves_a_read(scim, personas):  # noqa: F811  (the fixtures)
    erin = personas.erin
    read = scim("get", f"/Users/{erin.pk}")
    version = read.json()["meta"]["version"]
    assert version.startswith('W/"') and read["ETag"] == version
    assert scim("get", f"/Users/{erin.pk}", headers={"If-None-Match": version}).status_code == 304
    assert scim("get", f"/Users/{erin.pk}", headers={"If-None-Match": 'W/"other"'}).status_code == 200

    changed = scim("patch", f"/Users/{erin.pk}", {"Operations": [
        {"op": "replace", "path": "displayName", "value": "Erin Second"}]}, headers={"If-Match": version})
    assert changed.status_code == 200 and changed["ETag"] == changed.json()["meta"]["version"] != version
    before = state()
    for method, body in (("put", user("E-erin", "erin@example.org", "Erin Third")),
                         ("patch", {"Operations": [{"op": "replace", "path": "active", "value": False}]}),
                         ("delete", None)):
        stale = scim(method, f"/Users/{erin.pk}", body, headers={"If-Match": version})
        assert stale.status_code == 412 and stale.json()["status"] == "412", method
    assert state() == before
    # The old version now misses a 304; the current one (or "*") passes If-Match.
    assert scim("get", f"/Users/{erin.pk}", headers={"If-None-Match": version}).status_code == 200
    assert scim("delete", f"/Users/{erin.pk}", headers={"If-Match": "*"}).status_code == 204

    group = scim("post", "/Groups", {"displayName": "hr", "members": members(personas.mo)})
    assert group.status_code == 201 and group["ETag"] == group.json()["meta"]["version"]
    group_id, first = group.json()["id"], group["ETag"]
    # Without its members, a group shows the same version; a change of members changes it.
    assert scim("get", f"/Groups/{group_id}?excludedAttributes=members").json()["meta"]["version"] == first
    scim("patch", f"/Groups/{group_id}", {"Operations": [{"op": "add", "path": "members",
                                                         "value": members(personas.pat)}]})
    assert scim("get", f"/Groups/{group_id}")["ETag"] != first
    refused = scim("put", f"/Groups/{group_id}", {"displayName": "hr"}, headers={"If-Match": first})
    assert refused.status_code == 412 and ScimGroup.objects.get(pk=group_id).members.count() == 2


# ---- Sorting ----


def test_users_and_groups_sort_by_an_attribute_either_way(scim, personas):  # noqa: F811  (the fixtures)
    def names(query: str) -> list[str]:
        response = scim("get", f"/Users?{query}")
        assert response.status_code == 200, response.content
        return [item["displayName"] for item in response.json()["Resources"]]

    everyone = sorted(Person.objects.values_list("name", flat=True), key=str.lower)
    assert names("sortBy=displayName") == everyone
    assert names("sortBy=DISPLAYNAME&sortOrder=descending") == everyone[::-1]
    by_email = [name for _, name in sorted(Person.objects.values_list("email", "name"))]
    assert names("sortBy=userName&sortOrder=ascending") == by_email
    assert names("sortBy=userName&sortOrder=descending&startIndex=2&count=2") == by_email[::-1][1:3]
    assert names(f"sortBy={ENTERPRISE}:employeeNumber")[0] == "Ada Admin"  # E-adm comes first
    assert scim("get", "/Users?sortBy=title").json()["scimType"] == "invalidValue"
    assert scim("get", "/Users?sortBy=userName&sortOrder=up").status_code == 400

    for name, external in (("b-team", "2"), ("A-team", ""), ("c-team", "1")):
        scim("post", "/Groups", {"displayName": name, "externalId": external})
    groups = scim("get", "/Groups?sortBy=displayName&excludedAttributes=members").json()["Resources"]
    assert [item["displayName"] for item in groups] == ["A-team", "b-team", "c-team"]
    # A group without an externalId sorts last ascending, first descending.
    ascending = scim("get", "/Groups?sortBy=externalId").json()["Resources"]
    descending = scim("get", "/Groups?sortBy=externalId&sortOrder=descending").json()["Resources"]
    assert [item["displayName"] for item in ascending] == ["c-team", "b-team", "A-team"]
    assert [item["displayName"] for item in descending] == ["A-team", "b-team", "c-team"]


# ---- Requests as identity providers send them ----


def test_okta_requests_as_documented(scim, personas):  # noqa: F811  (the fixtures)
    # Shapes from Okta's "SCIM 2.0 protocol reference" (developer.okta.com, okta-scim guides/scim-20): Okta creates
    # a user with core attributes only (the employee id as externalId, a password it sends anyway), replaces it
    # with PUT carrying id and the whole user, deactivates with a PATCH value object, and renames a pushed group
    # with a replace whose value repeats the group's id.
    created = scim("post", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
        "displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7", "groups": [],
        "password": "1mz050nq", "active": True})
    assert created.status_code == 201, created.content
    okta = created.json()
    found = scim("get", '/Users?filter=userName eq "test.user@okta.local"&startIndex=1&count=100').json()
    assert [item["id"] for item in found["Resources"]] == [okta["id"]]
    replaced = scim("put", f"/Users/{okta['id']}", {**okta, "name": {"givenName": "Tess", "familyName": "User"},
                                                     "displayName": "Tess User"},
                    headers={"If-Match": created["ETag"]})
    assert replaced.status_code == 200 and replaced.json()["displayName"] == "Tess User"
    off = scim("patch", f"/Users/{okta['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"active": False}}]})
    assert off.status_code == 200 and off.json()["active"] is False

    group = scim("post", "/Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []}).json()
    renamed = scim("patch", f"/Groups/{group['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"id": group["id"], "displayName": "Test SCIMv2 renamed"}}]})
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["displayName"] == "Test SCIMv2 renamed"
    other_id = scim("patch", f"/Groups/{group['id']}", {"Operations": [
        {"op": "replace", "value": {"id": "999999", "displayName": "x"}}]})
    assert other_id.status_code == 400 and other_id.json()["scimType"] == "mutability"
    added = scim("patch", f"/Groups/{group['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": okta["id"], "display": "test.user@okta.local"}]}]})
    assert [member["value"] for member in added.json()["members"]] == [okta["id"]]


def test_microsoft_entra_requests_as_documented_also_in_a_bulk(scim, personas):  # noqa: F811  (the fixtures)
    # Shapes from Microsoft's "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
    # (learn.microsoft.com, app-provisioning/use-scim-to-provision-users-and-groups): a user with the enterprise
    # schema listed, its object id as externalId, a userName that differs from its work e-mail, "meta" and "roles";
    # PATCH with capitalised ops and filtered paths; groups with members added as value lists whose "$ref" is null.
    entra_user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com", "active": True,
        "emails": [{"primary": True, "type": "work",
                    "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []}
    entra_group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                               "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                   "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName",
                   "meta": {"resourceType": "Group"}}
    response = scim("post", "/Bulk", {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "u", "data": entra_user},
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": entra_group},
        {"method": "PATCH", "path": "/Groups/bulkId:g", "data": {"schemas": [PATCH_OP], "Operations": [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "bulkId:u"}]}]}},
        {"method": "PATCH", "path": "/Users/bulkId:u", "data": {"schemas": [PATCH_OP], "Operations": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}]}},
    ]})
    assert [item["status"] for item in response.json()["Operations"]] == ["201", "201", "200", "200"], \
        json.dumps(response.json())
    person = Person.objects.get(employee_id="0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    assert (person.email, person.name) == ("updatedemail@microsoft.com", "givenName updatedFamilyName")
    listed = scim("get", '/Groups?excludedAttributes=members&filter=displayName eq "displayName"').json()
    assert listed["totalResults"] == 1 and "members" not in listed["Resources"][0]
    group_id = listed["Resources"][0]["id"]
    removed = scim("patch", f"/Groups/{group_id}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": str(person.pk)}]}]})
    assert removed.status_code == 200 and removed.json()["members"] == []
    disabled = scim("patch", f"/Users/{person.pk}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "active", "value": False}]})
    assert disabled.json()["active"] is False
