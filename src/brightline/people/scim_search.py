"""``POST /scim/v2/.search`` (RFC 7644 section 3.4.3): one search over Users and Groups together.

The body is a SearchRequest, as for ``/Users/.search``: ``filter``, ``startIndex``, ``count``, ``attributes`` and
``excludedAttributes``. A filter's attribute has to belong to a User or a Group; a resource whose type lacks it
has no value for it, so ``members pr`` finds groups only and ``meta.resourceType eq "User"`` people only.
Without ``sortBy`` the results are the Users (by id) followed by the Groups (by id); ``sortBy`` may be one of the
attributes both have: ``id``, ``displayName`` (a person's name, a group's name) or ``externalId`` (the employee
id, the group's external id), with ``sortOrder``, text without regard to case, a group without an external id
last ascending and first descending, ties in type then id order; that order is one ``UNION`` query, sorted and
cut to the page by the database. ``startIndex``/``count`` page across both types and ``totalResults`` counts
both. Each person shown is an audited read, as on ``/Users``. Two counts and at most three page reads (the
members of the page's groups among them), whatever the size of either list.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse

from brightline.people.models import Person, ScimGroup
from brightline.people.scim import (
    ERR_SORT_BY,
    ERR_SORT_ORDER,
    USER_FILTER,
    USER_SHAPE,
    ListParams,
    ScimError,
    list_params,
    list_response,
    only_post,
    scim_view,
    shown_users,
)
from brightline.people.scim_filter import FilterError, filter_across
from brightline.people.scim_groups import GROUP_FILTER, GROUP_SHAPE, MEMBER_IDS
from brightline.people.scim_groups import to_scim as group_to_scim

# sortBy (lower case) → the field it sorts Users on and the one it sorts Groups on.
ROOT_SORT = {"id": ("pk", "pk"), "displayname": ("name", "display_name"), "externalid": ("employee_id", "external_id")}
ROOT_SORT_NAMES = "id, displayName, externalId (the attributes of both a User and a Group)"


KINDS = ("User", "Group")  # in this order where the sort key ties


def _keyed(rows: QuerySet[Any], field: str, kind: str) -> QuerySet[Any]:
    """(kind, pk, missing, key) of each row, for the union that sorts both types together."""
    text = field != "pk"
    return rows.order_by().annotate(
        sort_kind=Value(KINDS.index(kind), output_field=IntegerField()),
        sort_missing=Case(When(**{field: ""}, then=Value(1)), default=Value(0), output_field=IntegerField())
        if text else Value(0, output_field=IntegerField()),
        sort_key=Lower(field) if text else Value("", output_field=CharField()),
    ).values_list("sort_kind", "pk", "sort_missing", "sort_key")


def _sorted_page(people: QuerySet[Person], groups: QuerySet[ScimGroup], params: ListParams,
                 first: int, end: int) -> tuple[list[Person], list[ScimGroup], list[tuple[str, int]]]:
    """The page of both types in the order ``sortBy`` asks, read as one union query; then its rows by id."""
    fields = ROOT_SORT[params.sort_by.lower()]
    sign = "-" if params.sort_order == "descending" else ""
    union = _keyed(people, fields[0], "User").union(_keyed(groups, fields[1], "Group"), all=True)
    key = "pk" if fields[0] == "pk" else "sort_key"  # ids compare as numbers, as /Users and /Groups sort them
    page = [(KINDS[kind], pk) for kind, pk, _missing, _key in
            union.order_by(f"{sign}sort_missing", f"{sign}{key}", "sort_kind", "pk")[first:end]]
    users = {person.pk: person for person in people.select_related("user")
             .filter(pk__in=[pk for kind, pk in page if kind == "User"])}
    wanted = [pk for kind, pk in page if kind == "Group"]
    found = {group.pk: group for group in groups.prefetch_related(MEMBER_IDS).filter(pk__in=wanted)} if wanted else {}
    return list(users.values()), list(found.values()), page


@scim_view
def search(request: HttpRequest, viewer: Person) -> HttpResponse:
    only_post(request)
    params = list_params(request, (USER_SHAPE, GROUP_SHAPE))
    if params.sort_by and params.sort_by.lower() not in ROOT_SORT:
        raise ScimError(400, ERR_SORT_BY.format(value=params.sort_by, choices=ROOT_SORT_NAMES), "invalidValue")
    if params.sort_order not in {"", "ascending", "descending"}:
        raise ScimError(400, ERR_SORT_ORDER, "invalidValue")
    user_q, group_q = Q(), Q()
    if params.filter:
        try:
            user_q, group_q = filter_across(params.filter, (USER_FILTER, GROUP_FILTER))
        except FilterError as error:
            raise ScimError(400, str(error), "invalidFilter") from None
    people = Person.objects.filter(user_q).order_by("pk")
    groups = ScimGroup.objects.filter(group_q).order_by("pk")
    people_total, groups_total = people.count(), groups.count()
    first, end = params.start - 1, params.start - 1 + params.count  # zero-based, across both lists
    if params.sort_by and params.count and first < people_total + groups_total:
        shown_people, shown_groups, order = _sorted_page(people, groups, params, first, end)
    else:
        shown_people = (list(people.select_related("user")[first:min(end, people_total)])
                        if first < people_total else [])
        group_first, group_end = max(0, first - people_total), min(end - people_total, groups_total)
        shown_groups = (list(groups.prefetch_related(MEMBER_IDS)[group_first:group_end])
                        if group_end > group_first else [])
        order = [("User", person.pk) for person in shown_people] + [("Group", group.pk) for group in shown_groups]
    users = dict(zip([person.pk for person in shown_people],
                     shown_users(request, viewer, shown_people, params.projection), strict=True))
    groups_shown = {group.pk: params.projection.apply(group_to_scim(request, group)) for group in shown_groups}
    resources = [users[pk] if kind == "User" else groups_shown[pk] for kind, pk in order]
    return list_response(resources, people_total + groups_total, params.start)
