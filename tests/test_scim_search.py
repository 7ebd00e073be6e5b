"""SCIM partial answers (``attributes``, ``excludedAttributes``: RFC 7644 section 3.4.2.5), Groups filtered by
member, and the search at the root (``POST /scim/v2/.search``, section 3.4.3), through real requests."""

from __future__ import annotations

import pytest

from brightline.audit.models import AccessLog
from brightline.people.models import Person, ScimGroup, TokenScope
from brightline.people.scim import ENTERPRISE, USER_SCHEMA

pytestmark = pytest.mark.django_db
SCIM = "application/scim+json"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def org(organisation, scim) -> dict[str, Person]:
    """Three people besides the administrator whose token ``scim`` sends (Zed Admin)."""
    ana = Person.objects.create(organisation=organisation, employee_id="E-ana", name="Ana Alvarez",
                                email="ana@example.org")
    ben = Person.objects.create(organisation=organisation, employee_id="E-ben", name="Ben Brown",
                                email="ben@example.org", manager=ana)
    cy = Person.objects.create(organisation=organisation, employee_id="E-cy", name="Cy Cole", email="cy@example.org",
                               manager=ana, is_active=False)
    return {"ana": ana, "ben": ben, "cy": cy}


@pytest.fixture
def groups(org) -> dict[str, ScimGroup]:
    made = {}
    for name, external, members in (("platform", "G-1", ("ana", "ben")), ("payments", "G-2", ("ben",)),
                                    ("empty", "", ())):
        group = ScimGroup.objects.create(display_name=name, external_id=external)
        group.members.add(*(org[key] for key in members))
        made[name] = group
    return made


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


# ---- attributes and excludedAttributes ----


def test_attributes_return_only_what_is_named_with_id_schemas_and_meta_always(org, scim):
    full = ok(scim("get", f"/Users/{org['ben'].pk}"))
    part = ok(scim("get", f"/Users/{org['ben'].pk}?attributes=userName,name.givenName,emails.value"))
    assert set(part) == {"id", "schemas", "meta", "userName", "name", "emails"}
    assert part["name"] == {"givenName": "Ben"} and part["emails"] == [{"value": "ben@example.org"}]
    assert part["meta"] == full["meta"]  # the whole resource's version: If-Match works the same after it
    # Names are case-insensitive and may carry their schema's URN; the extension's URN names all of it.
    urn = ok(scim("get", f"/Users/{org['ben'].pk}?attributes={USER_SCHEMA}:DISPLAYNAME,{ENTERPRISE}:manager"))
    assert urn["displayName"] == "Ben Brown" and urn[ENTERPRISE] == {"manager": {"value": str(org["ana"].pk)}}
    whole = ok(scim("get", f"/Users/{org['ben'].pk}?attributes={ENTERPRISE}"))
    assert whole[ENTERPRISE] == full[ENTERPRISE] and "userName" not in whole
    # A person without a manager has nothing to show under it, and no empty object.
    assert ENTERPRISE not in ok(scim("get", f"/Users/{org['ana'].pk}?attributes={ENTERPRISE}:manager.value"))


def test_excluded_attributes_leave_out_what_is_named_but_never_id_schemas_or_meta(org, scim):
    full = ok(scim("get", f"/Users/{org['cy'].pk}"))
    less = ok(scim("get", f"/Users/{org['cy'].pk}?excludedAttributes=emails,name.familyName,id,meta,schemas,"
                          f"{ENTERPRISE}:employeeNumber"))
    assert "emails" not in less and less["name"] == {"formatted": "Cy Cole", "givenName": "Cy"}
    assert (less["id"], less["schemas"], less["meta"]) == (full["id"], full["schemas"], full["meta"])
    assert less[ENTERPRISE] == {"manager": full[ENTERPRISE]["manager"]} and less["active"] is False


def test_lists_and_searches_take_them_too_in_a_query_string_or_a_body(org, scim, groups):
    listed = ok(scim("get", '/Users?filter=userName sw "b"&attributes=userName'))["Resources"]
    assert listed == [{"schemas": listed[0]["schemas"], "id": str(org["ben"].pk), "userName": "ben@example.org",
                       "meta": listed[0]["meta"]}]
    searched = ok(scim("post", "/Users/.search", {"schemas": [SEARCH], "filter": 'userName sw "b"',
                                                  "attributes": ["userName"]}, scope=TokenScope.READ))
    assert searched["Resources"] == listed
    found = ok(scim("post", "/Groups/.search", {"ATTRIBUTES": "displayName", "filter": 'displayName eq "platform"'}))
    assert [set(group) for group in found["Resources"]] == [{"schemas", "id", "meta", "displayName"}]
    members = ok(scim("get", f"/Groups/{groups['platform'].pk}?attributes=members.value"))
    assert members["members"] == [{"value": str(org["ana"].pk)}, {"value": str(org["ben"].pk)}]
    assert "members" not in ok(scim("get", f"/Groups/{groups['platform'].pk}?excludedAttributes=members"))


@pytest.mark.parametrize("path, body, detail", [
    ("/Users?attributes=nickName", None, "'nickName' in attributes is not an attribute of a User"),
    ("/Users?excludedAttributes=name.middleName", None, "'name.middleName' in excludedAttributes"),
    ("/Groups?attributes=userName", None, "not an attribute of a Group"),
    ("/Users/.search", {"attributes": [1, 2]}, "attributes must be a list of attribute names"),
    ("/Groups/.search", {"excludedAttributes": {"members": True}}, "excludedAttributes must be a list"),
    ("/.search", {"attributes": "nickName"}, "not an attribute of a User or Group"),
])
def test_a_name_the_resource_lacks_is_refused_with_invalid_value(org, scim, path, body, detail):
    answer = scim("post" if body is not None else "get", path, body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["scimType"] == "invalidValue" and detail in answer.json()["detail"]


def test_a_single_read_with_unknown_attributes_is_refused_before_it_is_logged(org, scim):
    before = AccessLog.objects.count()
    assert scim("get", f"/Users/{org['ana'].pk}?attributes=nickName").status_code == 400
    assert AccessLog.objects.count() == before


# ---- Groups by member ----


@pytest.mark.parametrize("text, expected", [
    ('members[value eq "{ana}"]', ["platform"]),
    ('members.value eq "{ben}"', ["payments", "platform"]),
    ('members eq "{ben}"', ["payments", "platform"]),
    ('members.value eq "{ana}" and members.value eq "{ben}"', ["platform"]),  # two members, each in the group
    ('members[value eq "{ana}" and value eq "{ben}"]', []),  # one member cannot be both
    ('members[value eq "{ana}" or value eq "{ben}"]', ["payments", "platform"]),
    ('members[type eq "User" and value eq "{cy}"]', []),
    ('members pr', ["payments", "platform"]),
    ('not (members pr)', ["empty"]),
    ('not (members.value eq "{ana}")', ["empty", "payments"]),
    ('members.value ne "{ben}"', ["platform"]),  # a group with a member other than Ben
    ('displayName sw "p" and members[value eq "{ben}"]', ["payments", "platform"]),
])
def test_groups_are_found_by_member(org, scim, groups, text, expected):
    ids = {key: person.pk for key, person in org.items()}
    found = ok(scim("get", "/Groups?filter=" + text.format(**ids) + "&sortBy=displayName"))
    assert [group["displayName"] for group in found["Resources"]] == expected


def test_a_groups_list_filtered_by_member_stays_one_query_per_part(org, scim, groups, django_assert_max_num_queries):
    scim("get", "/Groups?count=1")
    with django_assert_max_num_queries(5):  # token, its use, page, members of the page, count
        found = ok(scim("get", f'/Groups?filter=members[value eq "{org["ben"].pk}"] or not (members pr)'))
    assert found["totalResults"] == 3


@pytest.mark.parametrize("text, detail", [
    ('members[display eq "x"]', "'display' is not an attribute"),
    ('members[value eq "1"', "expected ']'"),
    ('members.value gt 5', "quoted string"),
    ('emails[value eq "a"]', "'emails' has no sub-attributes"),
])
def test_a_bad_member_filter_answers_invalid_filter(org, scim, groups, text, detail):
    answer = scim("get", f"/Groups?filter={text}")
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidFilter"
    assert detail in answer.json()["detail"]


# ---- POST /.search at the root ----


def test_the_root_search_pages_across_users_and_groups(org, scim, groups):
    everyone = ok(scim("post", "/.search", {"schemas": [SEARCH]}, scope=TokenScope.READ))
    people = sorted(Person.objects.values_list("pk", flat=True))
    assert everyone["totalResults"] == 4 + 3
    assert [(item["meta"]["resourceType"], item["id"]) for item in everyone["Resources"]] == (
        [("User", str(pk)) for pk in people] + [("Group", str(group.pk)) for group in groups.values()])
    pages = [ok(scim("post", "/.search", {"startIndex": start, "count": 3})) for start in (1, 4, 7)]
    assert [page["itemsPerPage"] for page in pages] == [3, 3, 1]
    assert [item["id"] for page in pages for item in page["Resources"]] == [
        item["id"] for item in everyone["Resources"]]
    assert pages[1]["startIndex"] == 4 and pages[1]["totalResults"] == 7
    assert ok(scim("post", "/.search", {"startIndex": 9}))["Resources"] == []
    assert ok(scim("post", "/.search", {"count": 0}))["totalResults"] == 7


def test_the_root_search_filters_each_type_by_what_it_has(org, scim, groups):
    def found(text: str) -> list[str]:
        items = ok(scim("post", "/.search", {"filter": text.format(ben=org["ben"].pk)}))["Resources"]
        return [f'{item["meta"]["resourceType"]}:{item["displayName"]}' for item in items]

    assert found('displayName sw "p" or displayName sw "a"') == ["User:Ana Alvarez", "Group:platform",
                                                                  "Group:payments"]
    assert found('members.value eq "{ben}"') == ["Group:platform", "Group:payments"]
    assert found('userName eq "ben@example.org" or members[value eq "{ben}"]') == [
        "User:Ben Brown", "Group:platform", "Group:payments"]
    assert found('meta.resourceType eq "User" and active eq false') == ["User:Cy Cole"]
    assert found('not (active pr) and externalId pr') == ["Group:platform", "Group:payments"]
    assert found('emails[value sw "cy"]') == ["User:Cy Cole"]


def test_the_root_search_sorts_both_types_together_by_what_they_share(org, scim, groups):
    def order(**body: object) -> list[str]:
        items = ok(scim("post", "/.search", body))["Resources"]
        return [f'{item["meta"]["resourceType"]}:{item.get("displayName")}' for item in items]

    by_name = ["User:Ana Alvarez", "User:Ben Brown", "User:Cy Cole", "Group:empty", "Group:payments",
               "Group:platform", "User:Zed Admin"]
    assert order(sortBy="displayName") == by_name  # without regard to case
    assert order(sortBy="DISPLAYNAME", sortOrder="descending") == by_name[::-1]
    pages = [order(sortBy="displayName", startIndex=start, count=3) for start in (1, 4, 7)]
    assert [name for page in pages for name in page] == by_name
    # externalId: the employee ids and the groups' ids; the group without one last ascending, first descending.
    assert order(sortBy="externalId") == ["User:Ana Alvarez", "User:Ben Brown", "User:Cy Cole", "Group:platform",
                                          "Group:payments", "User:Zed Admin", "Group:empty"]
    assert order(sortBy="externalId", sortOrder="descending")[:2] == ["Group:empty", "User:Zed Admin"]
    # id: as numbers, a User before a Group of the same id.
    ids = [(item["meta"]["resourceType"], int(item["id"])) for item in
           ok(scim("post", "/.search", {"sortBy": "id"}))["Resources"]]
    assert ids == sorted(ids, key=lambda pair: (pair[1], pair[0] != "User"))
    filtered = ok(scim("post", "/.search", {"sortBy": "displayName", "filter": 'displayName sw "p" or active eq false',
                                            "attributes": "displayName"}))
    assert [item["displayName"] for item in filtered["Resources"]] == ["Cy Cole", "payments", "platform"]
    assert filtered["totalResults"] == 3


def test_the_root_search_answers_with_the_attributes_asked_and_logs_each_person(org, scim, groups):
    before = AccessLog.objects.filter(via="api").count()
    answer = ok(scim("post", "/.search", {"filter": 'displayName sw "p" or userName sw "a"',
                                          "attributes": ["displayName", "members"]}))
    assert [sorted(item) for item in answer["Resources"]] == [
        ["displayName", "id", "meta", "schemas"],
        ["displayName", "id", "members", "meta", "schemas"], ["displayName", "id", "members", "meta", "schemas"]]
    assert AccessLog.objects.filter(via="api").count() == before + 1  # Ana; groups name no one but by id


def test_the_root_search_stays_within_its_queries(org, scim, groups, django_assert_max_num_queries, settings):
    settings.AUDIT_CHECKPOINT_EVERY = 10**9
    # A first read of someone else's record (the administrator's own is not logged) creates the access log's head
    # row after a flush, outside the count below.
    scim("post", "/.search", {"startIndex": 2, "count": 1})
    # As /Users (token, its use, count, page, then five for each person's access log: 14 for two people), with
    # the groups' count, page and members: 17 for two people and a group.
    with django_assert_max_num_queries(17):
        answer = ok(scim("post", "/.search", {"filter": 'displayName co "e"', "startIndex": 3, "count": 3}))
    assert answer["totalResults"] == 6 and answer["itemsPerPage"] == 3
    # Sorted: the union reads the page's order, then the page's people (two here) and groups (none here).
    with django_assert_max_num_queries(16):
        answer = ok(scim("post", "/.search", {"filter": 'displayName co "e"', "sortBy": "displayName", "count": 2}))
    assert [item["displayName"] for item in answer["Resources"]] == ["Ana Alvarez", "Ben Brown"]


@pytest.mark.parametrize("body, status, scim_type, detail", [
    ({"filter": 'nickName eq "x"'}, 400, "invalidFilter", "'nickName' is not an attribute of a User or a Group"),
    ({"filter": 'members[value eq "1"'}, 400, "invalidFilter", "character 21"),
    ({"filter": 'active eq "yes"'}, 400, "invalidFilter", "give true or false"),
    ({"sortBy": "userName"}, 400, "invalidValue", "id, displayName, externalId"),
    ({"sortBy": "displayName", "sortOrder": "up"}, 400, "invalidValue", "ascending or descending"),
    ({"sortBy": "members", "count": 0}, 400, "invalidValue", "'members' cannot be sorted on"),
    ({"count": "all"}, 400, "invalidValue", "count"),
])
def test_a_bad_root_search_is_refused_with_a_scim_error(org, scim, body, status, scim_type, detail):
    answer = scim("post", "/.search", body)
    assert answer.status_code == status, answer.content
    assert answer.json()["scimType"] == scim_type and detail in answer.json()["detail"]


def test_the_root_search_needs_a_token_and_a_post(org, scim, client):
    assert client.post("/scim/v2/.search", data="{}", content_type=SCIM).status_code == 401
    assert scim("get", "/.search").status_code == 405
