"""SCIM 2.0 Groups (RFC 7643 section 4.2) under ``/scim/v2/Groups``: the identity provider's groups and their
members, which are SCIM Users (Brightline people, by id).

A group is kept as the provider sends it (name, ``externalId``, members). With ``OIDC_ROLE_GROUPS`` set
(``admin=it-admins,people_partner=hr,…``, the mapping single sign-on uses), every change of a group's members
or name sets the access role of each person it touches from all the groups they are in, the highest role
winning and no matching group meaning employee: the identity provider's record, applied at once, recorded as a
role change and audited, exactly as at sign-in. Without the mapping, groups are kept and change no role.

Supported: ``POST``, ``GET`` and ``POST /Groups/.search`` (``filter`` on ``id``, ``displayName``, ``externalId``
or a member, ``members[value eq "12"]`` or ``members.value eq "12"``, with any operator, see ``scim_filter``;
``attributes`` and ``excludedAttributes``, see ``scim_attributes``; ``startIndex``, ``count``; ``sortBy`` ``id``,
``displayName`` or ``externalId``), ``GET``/``PUT``/``PATCH``/``DELETE`` by id, with ``meta.version`` as ETag as
for Users. PATCH takes ``add``, ``replace`` and ``remove`` on ``members`` (a list of ``{"value": id}``, or a
path such as ``members[value eq "12"]``), ``displayName`` and ``externalId``. """

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from brightline.audit.services import log_action
from brightline.people.models import Person, ScimGroup
from brightline.people.scim import (
    ScimError,
    _body,
    check_if_match,
    created,
    filtered,
    list_params,
    list_response,
    locked_for_change,
    only_post,
    query_projection,
    resource_response,
    scim_view,
    sort_order,
    with_version,
)
from brightline.people.scim_attributes import ResourceShape
from brightline.people.scim_filter import Attr, Schema, id_text
from brightline.people.sso import apply_role, role_from_groups, role_groups

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ACTOR_LABEL = "SCIM provisioning"
NAME_LIMIT = 255

ERR_NO_NAME = "Give the group's displayName."
ERR_TOO_LONG = "{field} is longer than 255 characters."
ERR_TAKEN = "Another group is already called {value!r}."
ERR_MEMBERS = "members must be a list of objects with a value: the id of a SCIM User."
ERR_NO_PERSON = "The member {value!r} is not a SCIM User in Brightline."
ERR_NOT_FOUND = "No such group."
ERR_ID = "A group's id cannot be changed."
ERR_PATCH = ("Unsupported PATCH operation {op!r} on {path!r}: use add, replace or remove on members, "
             "displayName or externalId.")



def _memberships() -> Any:
    """The member rows of the group the outer query is at (for ``members[…]`` and ``members.value``)."""
    return ScimGroup.members.through.objects.filter(scimgroup_id=OuterRef("pk"))


# What a filter on Groups can name (RFC 7643 section 4.2); a filter on members matches a group with at least one
# member that matches.
GROUP_FILTER = Schema(attributes={
    "id": Attr("id", expression=id_text(), case_exact=True),
    "displayname": Attr("displayName", expression=lambda: F("display_name")),
    "externalid": Attr("externalId", expression=lambda: F("external_id"), case_exact=True),
    "members.value": Attr("members.value", expression=id_text("person_id"), case_exact=True),
    "members.type": Attr("members.type", constant="User", case_exact=True),
    "meta.resourcetype": Attr("meta.resourceType", constant="Group", case_exact=True),
}, defaults={"members": "members.value"}, urns=(GROUP_SCHEMA,), collections={"members": _memberships},
    name="Group")
# The attributes of a Group, for ``attributes`` and ``excludedAttributes``.
GROUP_SHAPE = ResourceShape("Group", GROUP_SCHEMA, (), {
    "id": {}, "schemas": {}, "displayname": {}, "externalid": {},
    "members": {"value": {}, "$ref": {}, "type": {}},
    "meta": {"resourcetype": {}, "location": {}, "version": {}},
})
MEMBER_PATH = re.compile(r'^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$', re.I)
GROUP_SORT = {"id": "pk", "displayname": "display_name", "externalid": "external_id"}
# A page of groups reads its members' ids in one query.
MEMBER_IDS = Prefetch("members", queryset=Person.objects.only("pk"))


def _location(request: HttpRequest, group: ScimGroup) -> str:
    return request.build_absolute_uri(reverse("scim-group", args=[group.pk]))


def _member_ids_of(group: ScimGroup) -> list[int]:
    if "members" in getattr(group, "_prefetched_objects_cache", {}):
        return sorted(member.pk for member in group.members.all())
    return sorted(group.members.values_list("pk", flat=True))


def to_scim(request: HttpRequest, group: ScimGroup) -> dict[str, Any]:
    """The group as SCIM; members by id and address only (their names are read through /Users, which logs it).
    Its version covers the members also when ``excludedAttributes`` leaves them out."""
    body: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.pk), "displayName": group.display_name,
                            "meta": {"resourceType": "Group", "location": _location(request, group)}}
    if group.external_id:
        body["externalId"] = group.external_id
    body["members"] = [{"value": str(pk), "$ref": request.build_absolute_uri(reverse("scim-user", args=[pk])),
                        "type": "User"} for pk in _member_ids_of(group)]
    return with_version(body)


# ---- Reading what the provider sends ----


def _text(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if len(text) > NAME_LIMIT:
        raise ScimError(400, ERR_TOO_LONG.format(field=field), "invalidValue")
    return text


def _member_ids(value: Any) -> set[int]:
    """The people a ``members`` value names; every one must exist."""
    if value is None:
        return set()
    items = value if isinstance(value, list) else [value]
    ids: set[int] = set()
    for item in items:
        raw = item.get("value") if isinstance(item, dict) else None
        if raw is None:
            raise ScimError(400, ERR_MEMBERS, "invalidValue")
        ids.add(_person_id(str(raw)))
    found = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = sorted(ids - found)
    if missing:
        raise ScimError(400, ERR_NO_PERSON.format(value=str(missing[0])), "invalidValue")
    return ids


def _person_id(raw: str) -> int:
    if not raw.strip().isdigit():
        raise ScimError(400, ERR_NO_PERSON.format(value=raw), "invalidValue")
    return int(raw.strip())


def _desired(data: dict[str, Any]) -> dict[str, Any]:
    name = _text(data.get("displayName"), "displayName")
    if not name:
        raise ScimError(400, ERR_NO_NAME, "invalidValue")
    return {"display_name": name, "external_id": _text(data.get("externalId"), "externalId"),
            "members": _member_ids(data.get("members"))}


def apply_patch(group: ScimGroup, operations: Any) -> dict[str, Any]:
    """The group (name, external id, member ids) after the PATCH ``operations``."""
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, ERR_PATCH.format(op=None, path=None), "invalidSyntax")
    state: dict[str, Any] = {"display_name": group.display_name, "external_id": group.external_id,
                             "members": set(group.members.values_list("pk", flat=True))}
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, ERR_PATCH.format(op=operation, path=None), "invalidSyntax")
        op, target, value = str(operation.get("op", "")).lower(), operation.get("path"), operation.get("value")
        if op not in {"add", "replace", "remove"}:
            raise ScimError(400, ERR_PATCH.format(op=operation.get("op"), path=target), "invalidSyntax")
        if target is None:
            if op == "remove" or not isinstance(value, dict):
                raise ScimError(400, ERR_PATCH.format(op=op, path=target), "noTarget")
            for key, item in value.items():  # {"op": "replace", "value": {"displayName": …}}
                if str(key).lower() == "id":  # Okta repeats the group's id when it renames it
                    if str(item) != str(group.pk):
                        raise ScimError(400, ERR_ID, "mutability")
                    continue
                _patch_one(state, op, str(key), item)
        else:
            _patch_one(state, op, str(target), value)
    if not state["display_name"]:
        raise ScimError(400, ERR_NO_NAME, "invalidValue")
    return state


def _patch_one(state: dict[str, Any], op: str, path: str, value: Any) -> None:
    lowered, one = path.lower(), MEMBER_PATH.match(path)
    if one is not None and op == "remove":
        state["members"].discard(_person_id(one.group(1)))
    elif lowered == "members" and op == "add":
        state["members"] |= _member_ids(value)
    elif lowered == "members" and op == "replace":
        state["members"] = _member_ids(value)
    elif lowered == "members" and op == "remove":
        state["members"] = state["members"] - _member_ids(value) if value is not None else set()
    elif lowered in {"displayname", "externalid"} and op in {"add", "replace"}:
        field = "display_name" if lowered == "displayname" else "external_id"
        state[field] = _text(value, "displayName" if field == "display_name" else "externalId")
    elif lowered == "externalid" and op == "remove":
        state["external_id"] = ""
    else:
        raise ScimError(400, ERR_PATCH.format(op=op, path=path), "invalidPath")


# ---- Writing ----


def apply_group(group: ScimGroup | None, desired: dict[str, Any], *, actor: Person) -> ScimGroup:
    """Create or change a group and its members; audit it and set the roles of the people it touches."""
    with transaction.atomic():
        creating = group is None
        before_name = group.display_name if group is not None else None
        before = set(group.members.values_list("pk", flat=True)) if group is not None else set()
        if ScimGroup.objects.exclude(pk=getattr(group, "pk", None)).filter(
                display_name=desired["display_name"]).exists():
            raise ScimError(409, ERR_TAKEN.format(value=desired["display_name"]), "uniqueness")
        group = group or ScimGroup()
        group.display_name, group.external_id = desired["display_name"], desired["external_id"]
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError:  # a concurrent request took the name
            raise ScimError(409, ERR_TAKEN.format(value=desired["display_name"]), "uniqueness") from None
        added, removed = sorted(desired["members"] - before), sorted(before - desired["members"])
        group.members.remove(*removed)
        group.members.add(*added)
        renamed = not creating and before_name != group.display_name
        if creating or added or removed or renamed:
            data: dict[str, Any] = {"group": group.display_name, "members_added": added, "members_removed": removed,
                                    "source": "scim"}
            if renamed:
                data["renamed_from"] = before_name
            log_action("people.scim_group.created" if creating else "people.scim_group.updated", actor, group, data)
        touched = desired["members"] | before if renamed else set(added) | set(removed)
        _follow_roles(touched, actor=actor)
    return group


def delete_group(group: ScimGroup, *, actor: Person) -> None:
    with transaction.atomic():
        members = set(group.members.values_list("pk", flat=True))
        log_action("people.scim_group.deleted", actor, group,
                   {"group": group.display_name, "members_removed": sorted(members), "source": "scim"})
        group.delete()
        _follow_roles(members, actor=actor)


def _follow_roles(person_ids: set[int], *, actor: Person) -> None:
    """With ``OIDC_ROLE_GROUPS``: each person's access role from all the SCIM groups they are in now."""
    mapping = role_groups()
    if not mapping or not person_ids:
        return
    people = Person.objects.filter(pk__in=person_ids).prefetch_related("scim_groups").order_by("pk")
    for person in people:
        names = [group.display_name for group in person.scim_groups.all()]
        apply_role(person, role_from_groups(names, mapping), actor=actor, actor_label=ACTOR_LABEL)


# ---- Endpoints ----


def create_group(request: HttpRequest, viewer: Person, body: dict[str, Any]) -> dict[str, Any]:
    """POST /Groups: the new group, as SCIM."""
    return to_scim(request, apply_group(None, _desired(body), actor=viewer))


def change_group(request: HttpRequest, viewer: Person, method: str, group_id: int, body: dict[str, Any],
                 if_match: str | None) -> dict[str, Any] | None:
    """PUT, PATCH or DELETE of one group (``None`` after DELETE), its row locked while ``if_match`` is compared
    with its version and the change is written."""
    with transaction.atomic():
        found = locked_for_change(ScimGroup.objects.all(), group_id, method, ERR_NOT_FOUND)
        check_if_match(if_match, to_scim(request, found))
        if method == "DELETE":
            delete_group(found, actor=viewer)
            return None
        if method == "PUT":
            changed = apply_group(found, _desired(body), actor=viewer)
        else:
            changed = apply_group(found, apply_patch(found, body.get("Operations", body.get("operations"))),
                                  actor=viewer)
        return to_scim(request, changed)


@scim_view
def groups(request: HttpRequest, viewer: Person) -> HttpResponse:
    if request.method == "POST":
        return created(create_group(request, viewer, _body(request)))
    return list_groups(request)


@scim_view
def search_groups(request: HttpRequest, viewer: Person) -> HttpResponse:
    """``POST /Groups/.search``: the list a GET would give, its parameters in a SearchRequest body."""
    only_post(request)
    return list_groups(request)


def list_groups(request: HttpRequest) -> HttpResponse:
    params = list_params(request, (GROUP_SHAPE,))
    found = filtered(ScimGroup.objects.order_by(*sort_order(
        params, GROUP_SORT, "id, displayName, externalId", text=frozenset({"display_name", "external_id"}),
        optional=frozenset({"external_id"}))), params, GROUP_FILTER)
    start = params.start
    page = list(found.prefetch_related(MEMBER_IDS)[start - 1:start - 1 + params.count]) if params.count else []
    return list_response([params.projection.apply(to_scim(request, group)) for group in page], found.count(),
                         start)


@scim_view
def group(request: HttpRequest, viewer: Person, group_id: int) -> HttpResponse:
    shape = query_projection(request, (GROUP_SHAPE,))
    if request.method == "GET":
        found = ScimGroup.objects.prefetch_related(MEMBER_IDS).filter(pk=group_id).first()
        if found is None:
            raise ScimError(404, ERR_NOT_FOUND)
        return resource_response(request, to_scim(request, found), shape)
    body = _body(request) if request.method in {"PUT", "PATCH"} else {}
    changed = change_group(request, viewer, str(request.method), group_id, body, request.headers.get("If-Match"))
    return HttpResponse(status=204) if changed is None else resource_response(request, changed, shape)
