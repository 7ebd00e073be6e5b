"""SCIM filters (RFC 7644 section 3.4.2.2) and POST .search (section 3.4.3): the parser on its own, each operator
through real requests, and random filter trees whose database answer must equal a reference evaluation of the
same tree over the Users as the API shows them."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brightline.audit.models import AccessLog
from brightline.people.models import Person, TokenScope
from brightline.people.scim import ENTERPRISE, USER_FILTER, USER_SCHEMA
from brightline.people.scim_filter import Compare, FilterError, Logical, Not, Present, ValuePath, filter_q, parse

SCIM = "application/scim+json"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


# ---- The parser alone ----


def test_and_binds_tighter_than_or_and_parentheses_regroup():
    a, b, c = 'userName eq "a"', 'userName eq "b"', 'userName eq "c"'
    tree = parse(f"{a} or {b} and {c}")
    assert isinstance(tree, Logical) and tree.op == "or" and isinstance(tree.right, Logical)
    assert tree.right.op == "and"
    grouped = parse(f"({a} or {b}) and {c}")
    assert isinstance(grouped, Logical) and grouped.op == "and" and grouped.left.op == "or"  # type: ignore[union-attr]
    negated = parse(f"not ({a}) AND {b}")
    assert isinstance(negated, Logical) and isinstance(negated.left, Not)


def test_operators_and_names_are_read_in_any_case_and_values_as_json():
    tree = parse('UserName EQ "x\\"y" And Active Eq TRUE aNd title Pr')
    assert isinstance(tree, Logical) and isinstance(tree.right, Present)
    left = tree.left
    assert isinstance(left, Logical)
    assert left.left == Compare("UserName", "eq", 'x"y', 1)
    assert left.right == Compare("Active", "eq", True, 24)
    bracket = parse('emails[type eq "work" and value co "@"]')
    assert isinstance(bracket, ValuePath) and bracket.path == "emails"


@pytest.mark.parametrize("text, where", [
    ('userName eq', "character 12: expected a value"),
    ('userName eq "open', "string starting at character 13"),
    ('userName eqq "a"', "character 10: expected an operator"),
    ('(userName eq "a"', "character 17: expected ')'"),
    ('userName eq "a" xor active pr', "character 17: expected 'and', 'or'"),
    ('and userName eq "a"', "character 1: expected an attribute name"),
    ('emails[type eq "work"].value eq "a"', "character 23"),
    ('userName eq "a")', "character 16"),
    ('userName eq bare', "character 13: expected a value"),
    ("", "empty"),
    ("(" * 40 + 'userName pr' + ")" * 40, "character 34: parentheses and brackets nest more than 32 deep"),
    (" or ".join(["active pr"] * 201), "more than 200 comparisons"),
])
def test_an_unreadable_filter_names_where_it_goes_wrong(text, where):
    with pytest.raises(FilterError) as raised:
        parse(text)
    assert where in str(raised.value)


@pytest.mark.parametrize("text, where", [
    ('title eq "Boss"', "'title' is not an attribute"),
    ('active gt true', "active gt cannot be used"),
    ('active eq "yes"', "give true or false"),
    ('userName eq 3', "quoted string"),
    ('userName eq null', "null"),
    ('meta.lastModified co "2026"', "a date takes"),
    ('meta.lastModified gt "yesterday"', "not a date and time"),
    ('name.givenName eq "a" or emails[title eq "a"]', "character 33: 'title'"),
    ('active[value eq "a"]', "no sub-attributes"),
])
def test_an_attribute_or_operator_a_user_cannot_take_is_refused_by_name(text, where):
    with pytest.raises(FilterError) as raised:
        filter_q(text, USER_FILTER)
    assert where in str(raised.value)


# ---- A small organisation to filter ----


BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PEOPLE = [  # employee id, name, e-mail, manager (index), active, days after BASE it was last changed
    ("E-ana", "Ana Alvarez", "ana@example.org", None, True, 0),
    ("e-Ben", "Ben de la Cruz", "ben.cruz@example.net", 0, True, 1),
    ("E-cher", "Cher", "cher@example.org", 0, False, 2),
    ("X-dee", "dee Dupont", "dee@Example.ORG", 1, True, 3),
    ("E-eve", "Eve EVANS", "eve_evans@example.org", 1, False, 3),
    ("E-fa", "Fa  Two Spaces", "fa%@example.com", None, True, 40),
]


@pytest.fixture
def org(db, organisation) -> list[Person]:
    made: list[Person] = []
    for employee_id, name, email, manager, active, _days in PEOPLE:
        made.append(Person.objects.create(organisation=organisation, employee_id=employee_id, name=name,
                                          email=email, is_active=active,
                                          manager=made[manager] if manager is not None else None))
    for person, row in zip(made, PEOPLE, strict=True):  # update() leaves auto_now alone: a known history
        Person.objects.filter(pk=person.pk).update(modified_at=BASE + timedelta(days=row[5], microseconds=row[5]))
    return made


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(user["displayName"] for user in response.json()["Resources"])


def found(text: str) -> list[str]:
    return sorted(Person.objects.filter(filter_q(text, USER_FILTER)).exclude(employee_id="Z-admin")
                  .values_list("name", flat=True))


@pytest.mark.parametrize("text, expected", [
    ('userName eq "DEE@example.org"', ["dee Dupont"]),  # caseExact false: the case of neither side matters
    ('externalId eq "e-ben"', []),  # caseExact true
    ('externalId eq "e-Ben"', ["Ben de la Cruz"]),
    ('employeeNumber eq "E-BEN"', ["Ben de la Cruz"]),  # the enterprise attribute is not case-exact
    (f'{ENTERPRISE}:employeeNumber sw "x-"', ["dee Dupont"]),
    (f'{USER_SCHEMA}:displayName ew "EVANS"', ["Eve EVANS"]),
    ('displayName ne "cher"', ["Ana Alvarez", "Ben de la Cruz", "Eve EVANS", "Fa  Two Spaces", "dee Dupont"]),
    ('name.familyName co "de la"', ["Ben de la Cruz"]),
    ('name.familyName pr', ["Ana Alvarez", "Ben de la Cruz", "Eve EVANS", "Fa  Two Spaces", "dee Dupont"]),
    ('not (name.familyName pr)', ["Cher"]),
    ('name.givenName eq "fa"', ["Fa  Two Spaces"]),
    ('name.familyName sw " two"', ["Fa  Two Spaces"]),  # after the first space, as the resource shows it
    ('emails co "%"', ["Fa  Two Spaces"]),  # no LIKE wildcard
    ('emails.value ew "_evans@example.org"', ["Eve EVANS"]),
    ('emails[type eq "work" and value sw "a"]', ["Ana Alvarez"]),
    ('emails[type eq "home"]', []),
    ('emails.primary eq true and active eq false', ["Cher", "Eve EVANS"]),
    ('displayName gt "dee"', ["Eve EVANS", "Fa  Two Spaces", "dee Dupont"]),  # lower case, by code point
    ('displayName gt "dee dupont"', ["Eve EVANS", "Fa  Two Spaces"]),
    ('displayName ge "dee dupont"', ["Eve EVANS", "Fa  Two Spaces", "dee Dupont"]),
    ('displayName lt "B"', ["Ana Alvarez"]),
    ('displayName le "ben de la cruz"', ["Ana Alvarez", "Ben de la Cruz"]),
    ('manager pr', ["Ben de la Cruz", "Cher", "Eve EVANS", "dee Dupont"]),
    ('meta.resourceType eq "User" and not (manager.value pr)', ["Ana Alvarez", "Fa  Two Spaces"]),
    ('meta.lastModified gt "2026-03-04T09:00:00Z"', ["Eve EVANS", "Fa  Two Spaces", "dee Dupont"]),
    ('meta.lastModified gt "2026-03-04T09:00:00.000003Z"', ["Fa  Two Spaces"]),  # to the microsecond
    ('meta.lastModified ge "2026-03-04T09:00:00.000003+00:00"', ["Eve EVANS", "Fa  Two Spaces", "dee Dupont"]),
    ('meta.lastModified lt "2026-03-02T10:00:00+02:00"', ["Ana Alvarez"]),  # 08:00 UTC on the 2nd
    ('meta.lastModified le "2026-03-01T09:00:00"', ["Ana Alvarez"]),  # without a zone: UTC
    ('userName sw "a" or userName sw "b" and active eq false', ["Ana Alvarez"]),
    ('(userName sw "a" or userName sw "b") and active eq true', ["Ana Alvarez", "Ben de la Cruz"]),
    ('not (active eq true or displayName co "e")', []),
    ('not (active eq true) or displayName co "a a"', ["Ana Alvarez", "Cher", "Eve EVANS"]),
])
def test_each_operator_and_case_rule(org, text, expected):
    assert found(text) == expected


def test_ids_and_managers_compare_as_the_strings_the_api_shows(org):
    ana, ben = org[0], org[1]
    assert found(f'id eq "{ana.pk}"') == ["Ana Alvarez"]
    assert found(f'manager.value eq "{ben.pk}"') == ["Eve EVANS", "dee Dupont"]
    assert found(f'manager.value ne "{ben.pk}" and displayName sw "e"') == []
    assert found(f'{ENTERPRISE}:manager.value ne "{ana.pk}"') == ["Ana Alvarez", "Eve EVANS", "Fa  Two Spaces",
                                                                   "dee Dupont"]


def test_a_filter_through_get_is_one_query_and_its_errors_are_scim_errors(org, scim, django_assert_max_num_queries,
                                                                        settings):
    # The budget is about the filter, so nothing the access log does once falls inside it, wherever earlier tests
    # left the log: the first read after a flush creates the log's head row (three more queries), and a read that
    # completes a hundred signs a checkpoint (three more).
    settings.AUDIT_CHECKPOINT_EVERY = 10**9
    scim("get", "/Users?count=1")
    with django_assert_max_num_queries(14):  # token, its use, count, page, then the access log of each person
        assert names(scim("get", '/Users?filter=userName sw "a" or name.familyName eq "dupont"')) == [
            "Ana Alvarez", "dee Dupont"]
    bad = scim("get", '/Users?filter=userName eq "a" and (active eq true')
    assert bad.status_code == 400
    body = bad.json()
    assert (body["scimType"], body["status"]) == ("invalidFilter", "400")
    assert "character 36" in body["detail"] and body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    unknown = scim("get", '/Users?filter=nickName eq "a"').json()
    assert unknown["scimType"] == "invalidFilter" and "'nickName' is not an attribute" in unknown["detail"]
    groups = scim("get", '/Groups?filter=members.display pr').json()
    assert groups["scimType"] == "invalidFilter" and "'members.display'" in groups["detail"]


# ---- POST .search ----


def test_search_takes_the_list_parameters_in_its_body_and_a_read_only_token_may_send_it(org, scim):
    body = {"schemas": [SEARCH], "filter": 'emails.value ew ".org" and not (userName sw "z")',
            "sortBy": "displayName", "sortOrder": "descending", "startIndex": 2, "count": 2}
    before = AccessLog.objects.filter(via="api").count()
    answer = scim("post", "/Users/.search", body, scope=TokenScope.READ)
    assert answer.status_code == 200, answer.content
    page = answer.json()
    assert page["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (4, 2, 2)
    assert [user["displayName"] for user in page["Resources"]] == ["dee Dupont", "Cher"]
    assert AccessLog.objects.filter(via="api").count() == before + 2  # each person shown is a logged read
    # The same list through GET.
    query = 'filter=emails.value ew ".org" and not (userName sw "z")&sortBy=displayName&sortOrder=descending'
    assert scim("get", f"/Users?{query}&startIndex=2&count=2").json()["Resources"] == page["Resources"]
    # Parameter names are case-insensitive, as every SCIM attribute name.
    assert scim("post", "/Users/.search", {"FILTER": 'displayName eq "cher"'}).json()["totalResults"] == 1
    assert scim("post", "/Users/.search", {}).json()["totalResults"] == 7  # everyone, the administrator too
    # A read-only token still cannot create.
    assert scim("post", "/Users", {"userName": "new@example.org"}, scope=TokenScope.READ).status_code == 403


@pytest.mark.parametrize("body, status, scim_type, detail", [
    ({"filter": "userName eq"}, 400, "invalidFilter", "character 12"),
    ({"filter": 7}, 400, "invalidFilter", "string"),
    ({"count": "many"}, 400, "invalidValue", "count"),
    ({"startIndex": 1.5}, 400, "invalidValue", "startIndex"),
    ({"sortBy": "nickName"}, 400, "invalidValue", "nickName"),
    ([], 400, "invalidSyntax", "JSON object"),
])
def test_a_bad_search_is_refused_with_a_scim_error(org, scim, body, status, scim_type, detail):
    answer = scim("post", "/Users/.search", body)
    assert answer.status_code == status and answer.json()["scimType"] == scim_type
    assert detail in answer.json()["detail"]


def test_search_needs_a_token_and_groups_search_too(org, scim, client):
    assert client.post("/scim/v2/Users/.search", data="{}", content_type=SCIM).status_code == 401
    assert scim("get", "/Users/.search").status_code == 405
    made = [scim("post", "/Groups", {"displayName": name, "externalId": ext}).json()
            for name, ext in (("Platform", "G-1"), ("payments", "g-2"), ("hr", ""))]
    search = scim("post", "/Groups/.search", {"filter": 'displayName sw "p" and not (externalId eq "g-2")',
                                             "excludedAttributes": ["members"]}, scope=TokenScope.READ)
    assert search.status_code == 200, search.content
    resources = search.json()["Resources"]
    assert [group["displayName"] for group in resources] == ["Platform"] and "members" not in resources[0]
    listed = scim("get", "/Groups?filter=externalId pr&sortBy=displayName").json()["Resources"]
    assert [group["id"] for group in listed] == [made[1]["id"], made[0]["id"]]


# ---- Random filter trees against a reference evaluation ----

CASE_EXACT = {"id", "externalId", "meta.resourceType"}
STRINGS = ["id", "externalId", "userName", "displayName", "name.formatted", "name.givenName", "name.familyName",
           "emails.value", "emails", "emails.type", "employeeNumber", f"{ENTERPRISE}:employeeNumber",
           "manager.value", "meta.resourceType"]
BOOLEANS = ["active", "emails.primary"]
STRING_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]


# The random trees are made of the parser's own nodes (positions do not matter here); the reference below gives
# them their meaning independently of the translation into queries.


def leaf(path: str, op: str, value: Any = None) -> Compare | Present:
    return Present(path, 0) if op == "pr" else Compare(path, op, value, 0)


def _values(resource: dict[str, Any], path: str) -> list[Any]:
    """Every value at ``path`` in a User as the API shows it; missing ones (null) are left out."""
    enterprise = resource[ENTERPRISE]
    if path.startswith(ENTERPRISE + ":"):
        path = path[len(ENTERPRISE) + 1:]
    found: list[Any]
    if path in {"emails", "emails.value"}:
        found = [email["value"] for email in resource["emails"]]
    elif path.startswith("emails."):
        found = [email[path.split(".")[1]] for email in resource["emails"]]
    elif path == "employeeNumber":
        found = [enterprise["employeeNumber"]]
    elif path == "manager.value":
        found = [enterprise.get("manager", {}).get("value")]
    elif path == "meta.lastModified":
        found = [datetime.fromisoformat(resource["meta"]["lastModified"])]
    elif "." in path:
        outer, inner = path.split(".")
        found = [resource[outer][inner]]
    else:
        found = [resource[path]]
    return [value for value in found if value is not None]


def _holds(op: str, left: Any, right: Any) -> bool:
    return {"eq": lambda: left == right, "ne": lambda: left != right, "co": lambda: right in left,
            "sw": lambda: left.startswith(right), "ew": lambda: left.endswith(right), "gt": lambda: left > right,
            "ge": lambda: left >= right, "lt": lambda: left < right, "le": lambda: left <= right}[op]()


def reference(node: Any, resource: dict[str, Any]) -> bool:
    """The filter's meaning by RFC 7644 3.4.2.2, evaluated on the User's JSON."""
    if isinstance(node, Logical):
        left, right = reference(node.left, resource), reference(node.right, resource)
        return left and right if node.op == "and" else left or right
    if isinstance(node, Not):
        return not reference(node.inner, resource)
    if isinstance(node, ValuePath):
        return any(reference(node.inner, {**resource, "emails": [email]}) for email in resource["emails"])
    values = _values(resource, node.path)
    if isinstance(node, Present):  # an empty string is no value
        return any(value != "" for value in values)
    if node.op == "ne":
        return not reference(Compare(node.path, "eq", node.value, 0), resource)
    right = node.value
    if isinstance(right, str) and node.path == "meta.lastModified":
        right = datetime.fromisoformat(right)
        right = right if right.tzinfo else right.replace(tzinfo=UTC)
    elif isinstance(right, str) and node.path.split(":")[-1] not in CASE_EXACT:
        right = right.lower()
        values = [value.lower() for value in values]
    return any(_holds(node.op, value, right) for value in values)


def render(node: Any, case: random.Random, inside: str = "") -> str:
    """The filter text of a tree, with as few parentheses as its meaning needs and names and operators in
    random case."""
    def jumble(word: str) -> str:
        return "".join(char.upper() if case.random() < 0.5 else char.lower() for char in word)

    if isinstance(node, Logical):
        text = f"{render(node.left, case, node.op)} {jumble(node.op)} {render(node.right, case, node.op)}"
        return f"({text})" if inside == "and" and node.op == "or" else text
    if isinstance(node, Not):
        return f"{jumble('not')} ({render(node.inner, case)})"
    if isinstance(node, ValuePath):
        return f"{jumble('emails')}[{render(node.inner, case)}]"
    path = node.path if node.path.startswith("urn:") else jumble(node.path)
    if isinstance(node, Present):
        return f"{path} {jumble('pr')}"
    value = json.dumps(node.value) if not isinstance(node.value, bool) else jumble(str(node.value).lower())
    return f"{path} {jumble(node.op)} {value}"


WORDS = ["a", "e", "E-", "e-b", "ana", "ANA", "de", " ", "@example.org", "example.", "x", "cher", "Dupont", "fa ",
         "work", "user", "", "1", "2", "e-Ben", "b", "z"]
MOMENTS = [(BASE + timedelta(days=days, microseconds=days)).isoformat().replace("+00:00", suffix)
           for days in (0, 1, 2, 3, 40) for suffix in ("Z", "+00:00")] + [
    "2026-03-01T10:00:00+02:00", "2026-03-02T09:00:00", "2026-03-03T12:00:00Z", "2025-12-31T23:59:59Z"]


def _leaves(ids: list[str]) -> st.SearchStrategy[Any]:
    text = st.sampled_from(WORDS + ids) | st.text(alphabet="abeE -.@1", max_size=4)
    return st.one_of(
        st.builds(leaf, st.sampled_from(STRINGS), st.sampled_from(STRING_OPS), text),
        st.builds(leaf, st.sampled_from(STRINGS + BOOLEANS + ["meta.lastModified"]), st.just("pr")),
        st.builds(leaf, st.sampled_from(BOOLEANS), st.sampled_from(["eq", "ne"]), st.booleans()),
        st.builds(leaf, st.just("meta.lastModified"), st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]),
                  st.sampled_from(MOMENTS)),
        st.builds(ValuePath, st.just("emails"), st.builds(leaf, st.sampled_from(["value", "type"]),
                                                          st.sampled_from(STRING_OPS), text), st.just(0)),
    )


def trees(ids: list[str]) -> st.SearchStrategy[Any]:
    return st.recursive(_leaves(ids), lambda inner: st.one_of(
        st.builds(Logical, st.sampled_from(["and", "or"]), inner, inner), st.builds(Not, inner)), max_leaves=6)


def _emails_paths(node: Any) -> Any:
    """Inside ``emails[…]`` the reference reads ``emails.<sub-attribute>``."""
    if isinstance(node, Compare):
        return Compare(f"emails.{node.path}", node.op, node.value, 0)
    return node


def test_random_filters_select_what_the_reference_evaluation_selects(org, scim):
    users = scim("post", "/Users/.search", {"count": 200}).json()["Resources"]
    by_id = {int(user["id"]): user for user in users}
    ids = [str(person.pk) for person in org]
    checked = {"matched": 0, "empty": 0}

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(tree=trees(ids), seed=st.integers(0, 2**16))
    def agree(tree: Any, seed: int) -> None:
        text = render(tree, random.Random(seed))
        expected = {pk for pk, user in by_id.items() if reference(_with_emails(tree), user)}
        got = set(Person.objects.filter(filter_q(text, USER_FILTER)).values_list("pk", flat=True))
        assert got == expected, text
        checked["matched" if expected else "empty"] += 1

    agree()
    assert checked["matched"] > 50 and checked["empty"] > 20  # the property was not checked on nothing


def _with_emails(node: Any) -> Any:
    if isinstance(node, ValuePath):
        return ValuePath(node.path, _emails_paths(node.inner), 0)
    if isinstance(node, Logical):
        return Logical(node.op, _with_emails(node.left), _with_emails(node.right))
    if isinstance(node, Not):
        return Not(_with_emails(node.inner))
    return node
