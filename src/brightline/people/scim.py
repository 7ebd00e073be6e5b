"""SCIM 2.0 provisioning (RFC 7643/7644) under ``/scim/v2/``, for identity providers that push people.

What provisioning clients use: Users here (Groups in ``scim_groups``, ``/Bulk`` in ``scim_bulk``, the search at
the root in ``scim_search``), create, read, list with filters (``scim_filter``: every operator of RFC 7644 section
3.4.2.2, one database query), sorting and ``attributes``/``excludedAttributes`` (``scim_attributes``), the same
search as ``POST /Users/.search``, replace (PUT), PATCH of attributes, and DELETE, which deactivates (the
record follows the retention policy, as a leaver from the HRIS import does). Every resource carries
``meta.version``, a weak ETag over its content: ``If-Match`` on PUT, PATCH and DELETE answers 412 when the resource
changed, and ``If-None-Match`` on GET answers 304 when it did not (RFC 7644 section 3.14). A SCIM User is a
Brightline person together with their login, created, updated and closed with the same functions the people import
uses; closing the login ends its sessions on the next request.

Authentication: ``Authorization: Bearer <API token>`` of an active administrator; a read-only token may
only read (GET), a read-write token (``brightline token create --scope write``) may also change.

Mapping: ``id`` is the person's id; ``userName`` and the primary e-mail are the person's e-mail;
``externalId`` and the enterprise extension's ``employeeNumber`` are the HRIS employee id (the latter wins);
``displayName`` or ``name`` is the name; ``active``; the enterprise ``manager.value`` is the manager's id.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, Model, OrderBy, Q, QuerySet, Value, When
from django.db.models.functions import Left, Lower, StrIndex, Substr
from django.db.models.lookups import GreaterThan
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from brightline import access
from brightline.audit.services import canonical_json, log_action
from brightline.people.accounts import create_login, sync_login, taken_usernames
from brightline.people.models import ApiToken, Person, RoleChange, TokenScope
from brightline.people.rolechanges import record_applied_change
from brightline.people.scim_attributes import Projection, ResourceShape, UnknownAttribute, projection
from brightline.people.scim_filter import BOOLEAN, DATETIME, Attr, FilterError, Schema, filter_q, id_text
from brightline.people.services import get_organisation
from brightline.people.tokens import hash_token

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"
SOURCE = "scim"
ACTOR_LABEL = "SCIM provisioning"
MAX_PAGE = 200
# Advertised in /ServiceProviderConfig and enforced by /Bulk (413 beyond either).
BULK_MAX_OPERATIONS = 1000
BULK_MAX_PAYLOAD = 1_048_576
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ERR_NO_TOKEN = "Send an administrator's API token as 'Authorization: Bearer TOKEN'."
ERR_NOT_ADMIN = "Provisioning needs the API token of an active administrator."
ERR_READ_ONLY = "This API token is read-only; provisioning changes need a read-write token."
ERR_BAD_JSON = "The body is not a JSON object."
ERR_NO_EMPLOYEE_ID = "Give the HRIS employee id as externalId or as the enterprise extension's employeeNumber."
ERR_NO_EMAIL = "Give an e-mail address: a primary e-mail, or a userName that is one."
ERR_BAD_EMAIL = "{value!r} is not a valid e-mail address."
ERR_NO_NAME = "Give the person's name: displayName, or name.formatted, or name.givenName and name.familyName."
ERR_TOO_LONG = "{field} is longer than {limit} characters."
ERR_TAKEN_EMAIL = "Another person already has the e-mail address {value!r}."
ERR_TAKEN_ID = "Another person already has the employee id {value!r}."
ERR_NO_MANAGER = "The manager {value!r} is not a person in Brightline."
ERR_LOOP = "{manager} reports to {person}, so {person} cannot report to {manager}."
ERR_PATCH = ("Unsupported PATCH operation {op!r} on {path!r}: use add or replace on active, userName, displayName, "
             "name, emails, externalId, employeeNumber or manager.")
ERR_NOT_FOUND = "No such user."
ERR_BAD_ACTIVE = "active must be true or false."
ERR_CHANGED = "The resource changed since the version given in If-Match: read it again and retry."
ERR_SORT_BY = "sortBy {value!r} cannot be sorted on: use one of {choices}."
ERR_SORT_ORDER = "sortOrder must be ascending or descending."


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def _response(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, content_type=CONTENT_TYPE)


def _error(error: ScimError) -> JsonResponse:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    return _response(body, error.status)


def _authenticate(request: HttpRequest) -> Person:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ScimError(401, ERR_NO_TOKEN)
    token = (ApiToken.objects.select_related("person")
             .filter(key_hash=hash_token(key.strip()), revoked=False, person__is_active=True).first())
    if token is None:
        raise ScimError(401, ERR_NO_TOKEN)
    if not access.is_admin(token.person):
        raise ScimError(403, ERR_NOT_ADMIN)
    if not _reads(request) and token.scope != TokenScope.WRITE:
        raise ScimError(403, ERR_READ_ONLY)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.person


def _reads(request: HttpRequest) -> bool:
    """Whether the request only reads: a GET, or a POST to ``.search``, which a read-only token may send."""
    return request.method in SAFE_METHODS or (request.method == "POST" and request.path.endswith("/.search"))


def scim_view(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Token authentication and SCIM error bodies around a handler ``(request, viewer, **kwargs)``."""

    @csrf_exempt  # authenticated by the bearer token alone, never by a cookie a browser would send
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            viewer = _authenticate(request)
            return handler(request, viewer, **kwargs)
        except ScimError as error:
            return _error(error)

    view.__name__ = handler.__name__
    return view


# ---- Representation ----


def _location(request: HttpRequest, person: Person) -> str:
    return request.build_absolute_uri(f"/scim/v2/Users/{person.pk}")


def to_scim(request: HttpRequest, person: Person) -> dict[str, Any]:
    given, _, family = person.name.partition(" ")
    enterprise: dict[str, Any] = {"employeeNumber": person.employee_id}
    if person.manager_id:
        enterprise["manager"] = {"value": str(person.manager_id)}
    resource = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": str(person.pk),
        "externalId": person.employee_id,
        "userName": person.email,
        "displayName": person.name,
        "name": {"formatted": person.name, "givenName": given, "familyName": family},
        "emails": [{"value": person.email, "type": "work", "primary": True}],
        "active": person.is_active,
        ENTERPRISE: enterprise,
        "meta": {"resourceType": "User", "location": _location(request, person),
                 "lastModified": last_modified(person)},
    }
    return with_version(resource)


def last_modified(person: Person) -> str:
    """``meta.lastModified``: when the record was last saved, in UTC with microseconds, so that a client can
    filter with ``eq`` on the very value it read."""
    return person.modified_at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _content(value: Any) -> Any:
    """``value`` without ``meta`` and ``$ref`` (addresses depend on the host name the client used)."""
    if isinstance(value, dict):
        return {key: _content(item) for key, item in value.items() if key not in {"meta", "$ref"}}
    if isinstance(value, list):
        return [_content(item) for item in value]
    return value


def with_version(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` with ``meta.version``: a weak ETag over its content, which changes whenever the content does."""
    digest = hashlib.sha256(canonical_json(_content(resource)).encode("utf-8")).hexdigest()[:24]
    resource["meta"]["version"] = f'W/"{digest}"'
    return resource


def _tags(header: str) -> set[str]:
    # Compared as SCIM compares them (RFC 7644 section 3.14 sends a weak tag in If-Match): by the opaque tag.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def version_matches(header: str, resource: dict[str, Any]) -> bool:
    tags = _tags(header)
    return "*" in tags or str(resource["meta"]["version"]).removeprefix("W/") in tags


def check_if_match(if_match: str | None, resource: dict[str, Any]) -> None:
    """412 when ``if_match`` (a header, or a bulk operation's ``version``) names another version of ``resource``."""
    if if_match and not version_matches(if_match, resource):
        raise ScimError(412, ERR_CHANGED)


def resource_response(request: HttpRequest, resource: dict[str, Any], shape: Projection | None = None,
                      status: int = 200) -> HttpResponse:
    """A resource with its version as ``ETag``, with the attributes ``shape`` asks for; a GET whose
    ``If-None-Match`` names that version gets 304."""
    etag = str(resource["meta"]["version"])
    if request.method == "GET" and version_matches(request.headers.get("If-None-Match", ""), resource):
        response = HttpResponse(status=304)
    else:
        response = _response(shape.apply(resource) if shape is not None else resource, status)
    response["ETag"] = etag
    return response


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, ERR_BAD_JSON, "invalidSyntax") from None
    if not isinstance(data, dict):
        raise ScimError(400, ERR_BAD_JSON, "invalidSyntax")
    return data


def _name_of(data: dict[str, Any]) -> str:
    name = data.get("name") if isinstance(data.get("name"), dict) else {}
    assert isinstance(name, dict)
    parts = " ".join(str(name.get(key) or "").strip() for key in ("givenName", "familyName")).strip()
    return str(data.get("displayName") or name.get("formatted") or parts or "").strip()


def _email_of(data: dict[str, Any]) -> str:
    emails = [item for item in data.get("emails") or [] if isinstance(item, dict) and item.get("value")]
    chosen = next((item for item in emails if item.get("primary")), emails[0] if emails else None)
    value = str(chosen["value"]) if chosen else str(data.get("userName") or "")
    return value.strip().lower()


def _desired(data: dict[str, Any]) -> dict[str, Any]:
    """The person a full SCIM User asks for, checked; raises ``ScimError`` (400) naming the first problem."""
    enterprise = data.get(ENTERPRISE) if isinstance(data.get(ENTERPRISE), dict) else {}
    assert isinstance(enterprise, dict)
    employee_id = str(enterprise.get("employeeNumber") or data.get("externalId") or "").strip()
    if not employee_id:
        raise ScimError(400, ERR_NO_EMPLOYEE_ID, "invalidValue")
    email = _email_of(data)
    if not email:
        raise ScimError(400, ERR_NO_EMAIL, "invalidValue")
    try:
        validate_email(email)
    except ValidationError:
        raise ScimError(400, ERR_BAD_EMAIL.format(value=email), "invalidValue") from None
    name = _name_of(data)
    if not name:
        raise ScimError(400, ERR_NO_NAME, "invalidValue")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise ScimError(400, ERR_BAD_ACTIVE, "invalidValue")
    for field, value in (("employeeNumber", employee_id), ("name", name), ("e-mail", email)):
        limit = {"employeeNumber": 64, "name": 200, "e-mail": 254}[field]
        if len(value) > limit:
            raise ScimError(400, ERR_TOO_LONG.format(field=field, limit=limit), "invalidValue")
    desired: dict[str, Any] = {"employee_id": employee_id, "email": email, "name": name, "active": active}
    manager = enterprise.get("manager")
    if isinstance(manager, dict | str):
        value = manager.get("value") if isinstance(manager, dict) else manager
        desired["manager"] = str(value or "")
    return desired


# ---- Writing people with their logins ----


def _check_unique(person: Person | None, desired: dict[str, Any]) -> None:
    others = Person.objects.exclude(pk=person.pk) if person is not None else Person.objects.all()
    if others.filter(email=desired["email"]).exists():
        raise ScimError(409, ERR_TAKEN_EMAIL.format(value=desired["email"]), "uniqueness")
    if others.filter(employee_id=desired["employee_id"]).exists():
        raise ScimError(409, ERR_TAKEN_ID.format(value=desired["employee_id"]), "uniqueness")


def _manager_for(person: Person | None, value: str) -> Person | None:
    if not value:
        return None
    manager = Person.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if manager is None:
        raise ScimError(400, ERR_NO_MANAGER.format(value=value), "invalidValue")
    if person is not None and (manager.pk == person.pk or person in manager.management_chain()):
        raise ScimError(400, ERR_LOOP.format(manager=manager.name, person=person.name), "invalidValue")
    return manager


def _display(value: Any) -> Any:
    if isinstance(value, Person):
        return value.employee_id
    return value.isoformat() if isinstance(value, date) else value


def apply_user(person: Person | None, desired: dict[str, Any], *, actor: Person) -> Person:
    """Create or update a person and their login from a checked SCIM User, audited like the people import."""
    today = timezone.localdate()
    with transaction.atomic():
        _check_unique(person, desired)
        creating = person is None
        if person is None:
            person = Person(organisation=get_organisation(), employee_id=desired["employee_id"])
        wanted: dict[str, Any] = {"employee_id": desired["employee_id"], "name": desired["name"],
                                  "email": desired["email"], "is_active": desired["active"]}
        if "manager" in desired:
            wanted["manager"] = _manager_for(person if not creating else None, desired["manager"])
        if not desired["active"] and (creating or person.is_active):
            wanted["left_on"] = person.left_on or today
        elif desired["active"] and not person.is_active and person.left_on is not None:
            wanted["left_on"] = None  # back: a rehire
        changes = {field: {"from": None if creating else _display(getattr(person, field)), "to": _display(value)}
                   for field, value in wanted.items() if creating or getattr(person, field) != value}
        if not changes:
            return person
        before_manager = str(person.manager_id or "") if not creating else ""
        for field, value in wanted.items():
            setattr(person, field, value)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:  # a concurrent request took the e-mail or the employee id
            raise ScimError(409, ERR_TAKEN_EMAIL.format(value=desired["email"]), "uniqueness") from None
        data = {"changes": changes, "source": SOURCE}
        if creating:
            log_action("people.person.created", actor, person, data)
        elif "is_active" in changes and not person.is_active:
            log_action("people.person.left", actor, person, data)
        else:
            log_action("people.person.updated", actor, person, data)
        if "manager" in changes and not creating:
            record_applied_change(person, RoleChange.Field.MANAGER, before_manager, str(person.manager_id or ""),
                                  actor=actor, actor_label=ACTOR_LABEL, source=RoleChange.Source.SSO)
        _follow_with_login(person, actor=actor)
    return person


def _follow_with_login(person: Person, *, actor: Person) -> None:
    """As the people import: an active person without a login gets one; the rest follow the person."""
    if person.user is None:
        if person.is_active:
            user = create_login(person, taken=taken_usernames([person.email]))
            log_action("people.login.created", actor, person, {"username": user.get_username(), "source": SOURCE})
        return
    was_active = person.user.is_active
    if sync_login(person) and was_active and not person.user.is_active:
        log_action("people.login.deactivated", actor, person,
                   {"username": person.user.get_username(), "source": SOURCE})


# ---- PATCH ----

PATCH_PATHS = {"active", "username", "displayname", "name.formatted", "name.givenname", "name.familyname",
               "emails", "externalid", f"{ENTERPRISE.lower()}:employeenumber", f"{ENTERPRISE.lower()}:manager",
               "name"}
EMAIL_VALUE_PATH = re.compile(r'^emails(\[type eq "?work"?\])?\.value$', re.I)


def _as_bool(value: Any) -> Any:
    # Some providers send "True"/"False" strings in PATCH operations.
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


def apply_patch(current: dict[str, Any], operations: Any) -> dict[str, Any]:
    """The SCIM User after the PATCH ``operations`` (add/replace of simple attributes), as a full User."""
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, ERR_PATCH.format(op=None, path=None), "invalidSyntax")
    user = json.loads(json.dumps(current))
    enterprise = user.setdefault(ENTERPRISE, {})
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, ERR_PATCH.format(op=operation, path=None), "invalidSyntax")
        op, target, value = str(operation.get("op", "")).lower(), operation.get("path"), operation.get("value")
        if op not in {"add", "replace"}:
            raise ScimError(400, ERR_PATCH.format(op=operation.get("op"), path=target), "invalidSyntax")
        if target is None:
            if not isinstance(value, dict):
                raise ScimError(400, ERR_PATCH.format(op=op, path=target), "invalidSyntax")
            updates = list(value.items())  # Azure's style: {"op": "replace", "value": {"active": false}}
        else:
            updates = [(str(target), value)]
        for key, item in updates:
            _set(user, enterprise, key, _as_bool(item), op)
    return user


def _set(user: dict[str, Any], enterprise: dict[str, Any], key: str, value: Any, op: str) -> None:
    lowered = key.lower()
    if EMAIL_VALUE_PATH.match(key):
        user["emails"] = [{"value": value, "type": "work", "primary": True}]
        return
    if lowered not in PATCH_PATHS:
        raise ScimError(400, ERR_PATCH.format(op=op, path=key), "invalidPath")
    if lowered == "active":
        user["active"] = value
    elif lowered == "username":
        user["userName"] = value
        user["emails"] = [{"value": value, "type": "work", "primary": True}]
    elif lowered in {"displayname", "name.formatted"}:
        user["displayName"] = value
    elif lowered == "name" and isinstance(value, dict):
        user.pop("displayName", None)
        user["name"] = value
    elif lowered in {"name.givenname", "name.familyname"}:
        user.pop("displayName", None)
        name = {k: v for k, v in user.get("name", {}).items() if k != "formatted"}
        name["givenName" if lowered.endswith("givenname") else "familyName"] = value
        user["name"] = name
    elif lowered == "emails" and isinstance(value, list):
        user["emails"] = value
    elif lowered == "externalid":
        user["externalId"] = value
        enterprise.pop("employeeNumber", None)
    elif lowered.endswith(":employeenumber"):
        enterprise["employeeNumber"] = value
    elif lowered.endswith(":manager"):
        enterprise["manager"] = value
    else:
        raise ScimError(400, ERR_PATCH.format(op=op, path=key), "invalidPath")


# ---- Endpoints ----

# sortBy (lower case, as SCIM attribute names are case-insensitive) → the field it sorts on.
USER_SORT = {"id": "pk", "username": "email", "emails": "email", "emails.value": "email", "displayname": "name",
             "name.formatted": "name", "externalid": "employee_id", "employeenumber": "employee_id",
             f"{ENTERPRISE.lower()}:employeenumber": "employee_id", "active": "is_active",
             "meta.lastmodified": "modified_at"}
USER_SORT_NAMES = ("id, userName, emails.value, displayName, name.formatted, externalId, employeeNumber, active, "
                   "meta.lastModified")


def _first_space() -> Any:
    return StrIndex("name", Value(" "))


def _given_name() -> Any:
    """``name.givenName`` as ``to_scim`` shows it: the name up to its first space, or all of it."""
    return Case(When(Q(GreaterThan(_first_space(), 0)), then=Left("name", _first_space() - 1)),
                default=F("name"), output_field=CharField())


def _family_name() -> Any:
    """``name.familyName`` as ``to_scim`` shows it: the name after its first space, or empty."""
    return Case(When(Q(GreaterThan(_first_space(), 0)), then=Substr("name", _first_space() + 1)),
                default=Value(""), output_field=CharField())


def _column(name: str) -> Callable[[], Any]:
    return lambda: F(name)


# What a filter on Users can name (RFC 7643 section 4.1 and the enterprise extension), read from the person's row.
USER_FILTER = Schema(
    attributes={
        "id": Attr("id", expression=id_text(), case_exact=True),
        "externalid": Attr("externalId", expression=_column("employee_id"), case_exact=True),
        "username": Attr("userName", expression=_column("email"), lowered=True),
        "displayname": Attr("displayName", expression=_column("name")),
        "name.formatted": Attr("name.formatted", expression=_column("name")),
        "name.givenname": Attr("name.givenName", expression=_given_name),
        "name.familyname": Attr("name.familyName", expression=_family_name),
        "emails.value": Attr("emails.value", expression=_column("email"), lowered=True),
        "emails.type": Attr("emails.type", constant="work"),
        "emails.primary": Attr("emails.primary", type=BOOLEAN, constant=True),
        "active": Attr("active", type=BOOLEAN, expression=_column("is_active")),
        "employeenumber": Attr("employeeNumber", expression=_column("employee_id")),
        "manager.value": Attr("manager.value", expression=id_text("manager_id"), nullable=True),
        "meta.lastmodified": Attr("meta.lastModified", type=DATETIME, expression=_column("modified_at")),
        "meta.resourcetype": Attr("meta.resourceType", constant="User", case_exact=True),
    },
    defaults={"emails": "emails.value", "manager": "manager.value"},
    urns=(USER_SCHEMA, ENTERPRISE),
    name="User",
)


# The attributes of a User, for ``attributes`` and ``excludedAttributes`` (as ``to_scim`` builds it).
USER_SHAPE = ResourceShape("User", USER_SCHEMA, (ENTERPRISE,), {
    "id": {}, "schemas": {}, "externalid": {}, "username": {}, "displayname": {}, "active": {},
    "name": {"formatted": {}, "givenname": {}, "familyname": {}},
    "emails": {"value": {}, "type": {}, "primary": {}},
    ENTERPRISE.lower(): {"employeenumber": {}, "manager": {"value": {}}},
    "meta": {"resourcetype": {}, "location": {}, "lastmodified": {}, "version": {}},
})
SEARCH_KEYS = {key.lower(): key for key in ("filter", "startIndex", "count", "sortBy", "sortOrder",
                                            "attributes", "excludedAttributes")}
Row = TypeVar("Row", bound=Model)


@dataclass(frozen=True)
class ListParams:
    """What a list asks for, from a GET's query string or the body of a POST to ``.search`` (RFC 7644 3.4.3)."""

    filter: str = ""
    start: int = 1
    count: int = 100
    sort_by: str = ""
    sort_order: str = ""
    projection: Projection = Projection()


def _whole(raw: Any, name: str, default: int, minimum: int) -> int:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ScimError(400, f"{name} must be a whole number.", "invalidValue")
    try:
        return max(minimum, int(raw))
    except (TypeError, ValueError):
        raise ScimError(400, f"{name} must be a whole number.", "invalidValue") from None


def projection_of(source: dict[str, Any], shapes: tuple[ResourceShape, ...]) -> Projection:
    """The projection ``attributes`` and ``excludedAttributes`` in ``source`` ask for; 400 invalidValue for a name
    the resource type does not have."""
    try:
        return projection(source.get("attributes"), source.get("excludedAttributes"), shapes)
    except UnknownAttribute as error:
        raise ScimError(400, str(error), "invalidValue") from None


def query_projection(request: HttpRequest, shapes: tuple[ResourceShape, ...]) -> Projection:
    """The projection a single resource's query string asks for (GET, and the answer to PUT or PATCH)."""
    return projection_of({key: request.GET.get(key) for key in ("attributes", "excludedAttributes")}, shapes)


def _params(source: dict[str, Any], shapes: tuple[ResourceShape, ...]) -> ListParams:
    raw_filter = source.get("filter")
    if raw_filter is not None and not isinstance(raw_filter, str):
        raise ScimError(400, "filter must be a string.", "invalidFilter")
    return ListParams(filter=raw_filter or "", start=_whole(source.get("startIndex"), "startIndex", 1, 1),
                      count=min(_whole(source.get("count"), "count", 100, 0), MAX_PAGE),
                      sort_by=str(source.get("sortBy") or "").strip(),
                      sort_order=str(source.get("sortOrder") or "").strip().lower(),
                      projection=projection_of(source, shapes))


def only_post(request: HttpRequest) -> None:
    if request.method != "POST":
        raise ScimError(405, "Send a search with POST.")


def list_params(request: HttpRequest, shapes: tuple[ResourceShape, ...]) -> ListParams:
    """The parameters of a list of resources of ``shapes``: a GET's query string, or the JSON body of a POST to
    ``…/.search``."""
    if request.method == "GET":
        return _params({key: request.GET.get(key) for key in SEARCH_KEYS.values()}, shapes)
    if request.method == "POST" and request.path.endswith("/.search"):
        body = _body(request)
        # Attribute names are case-insensitive in SCIM, the search request's own included.
        return _params({SEARCH_KEYS.get(str(key).lower(), str(key)): value for key, value in body.items()}, shapes)
    raise ScimError(405, "Use GET or POST.")


def filtered(rows: QuerySet[Row], params: ListParams, schema: Schema) -> QuerySet[Row]:
    """``rows`` narrowed by the list's filter in the database; an unreadable filter answers 400 invalidFilter."""
    if not params.filter:
        return rows
    try:
        return rows.filter(filter_q(params.filter, schema))
    except FilterError as error:
        raise ScimError(400, str(error), "invalidFilter") from None


def created(resource: dict[str, Any]) -> JsonResponse:
    """201 with the new resource, its address (``meta.location``) as ``Location`` and its version as ``ETag``."""
    response = _response(resource, 201)
    response["Location"] = resource["meta"]["location"]
    response["ETag"] = resource["meta"]["version"]
    return response


def sort_order(params: ListParams, fields: dict[str, str], names: str, *,
               text: frozenset[str], optional: frozenset[str] = frozenset()) -> list[OrderBy]:
    """The order of a list from ``sortBy`` and ``sortOrder`` (RFC 7644 section 3.4.2.3); by id without ``sortBy``.

    ``fields`` maps each sortable attribute to its field; ``text`` fields sort without regard to case (none of
    them is case-exact), ``optional`` ones may be empty, which sorts last ascending and first descending, as
    the RFC asks of a resource without the attribute. Ties keep the id order, so pages do not overlap."""
    order = params.sort_order or "ascending"
    if order not in {"ascending", "descending"}:
        raise ScimError(400, ERR_SORT_ORDER, "invalidValue")
    if not params.sort_by:
        return [F("pk").asc()]
    field = fields.get(params.sort_by.lower())
    if field is None:
        raise ScimError(400, ERR_SORT_BY.format(value=params.sort_by, choices=names), "invalidValue")
    descending = order == "descending"
    expression = Lower(field) if field in text else F(field)
    ordering = [expression.desc() if descending else expression.asc(), F("pk").asc()]
    if field in optional:
        missing = Case(When(**{field: ""}, then=Value(1)), default=Value(0))
        ordering.insert(0, missing.desc() if descending else missing.asc())
    return ordering


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> JsonResponse:
    return _response({"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start,
                      "itemsPerPage": len(resources), "Resources": resources})


def create_user(request: HttpRequest, viewer: Person, body: dict[str, Any]) -> dict[str, Any]:
    """POST /Users: the new person with their login, as SCIM."""
    return to_scim(request, apply_user(None, _desired(body), actor=viewer))


def locked_for_change(rows: QuerySet[Row], pk: int, method: str, not_found: str) -> Row:
    """The row a PUT, PATCH or DELETE changes, locked until the caller's transaction ends; 404 without one."""
    if method not in {"PUT", "PATCH", "DELETE"}:
        raise ScimError(405, "Use GET, PUT, PATCH or DELETE.")
    found = rows.select_for_update().filter(pk=pk).first()
    if found is None:
        raise ScimError(404, not_found)
    return found


def change_user(request: HttpRequest, viewer: Person, method: str, person_id: int, body: dict[str, Any],
                if_match: str | None) -> dict[str, Any] | None:
    """PUT, PATCH or DELETE of one User (``None`` after DELETE), with its row locked while ``if_match`` (the
    header, or a bulk operation's ``version``) is compared with its version and the change is written."""
    with transaction.atomic():
        person = locked_for_change(Person.objects.all(), person_id, method, ERR_NOT_FOUND)
        current = to_scim(request, person)
        check_if_match(if_match, current)
        if method == "DELETE":
            apply_user(person, {**_desired(current), "active": False}, actor=viewer)
            return None
        if method == "PATCH":
            body = apply_patch(current, body.get("Operations", body.get("operations")))
        return to_scim(request, apply_user(person, _desired(body), actor=viewer))


@scim_view
def users(request: HttpRequest, viewer: Person) -> HttpResponse:
    if request.method == "POST":
        return created(create_user(request, viewer, _body(request)))
    return list_users(request, viewer, list_params(request, (USER_SHAPE,)))


@scim_view
def search_users(request: HttpRequest, viewer: Person) -> HttpResponse:
    """``POST /Users/.search``: the list a GET would give, its parameters in a SearchRequest body."""
    only_post(request)
    return list_users(request, viewer, list_params(request, (USER_SHAPE,)))


def list_users(request: HttpRequest, viewer: Person, params: ListParams) -> HttpResponse:
    """One page of the Users the filter selects, in the order asked; each person shown is an audited read."""
    ordering = sort_order(params, USER_SORT, USER_SORT_NAMES, text=frozenset({"email", "name", "employee_id"}))
    people = filtered(Person.objects.order_by(*ordering), params, USER_FILTER)
    total = people.count()
    start = params.start
    page = list(people.select_related("user")[start - 1:start - 1 + params.count]) if params.count else []
    return list_response(shown_users(request, viewer, page, params.projection), total, start)


def shown_users(request: HttpRequest, viewer: Person, people: list[Person], shape: Projection) -> list[dict[str, Any]]:
    """``people`` as SCIM Users with the attributes asked for; each person shown is an audited read."""
    for person in people:
        access.open_person_record(viewer, person, what="people.profile", via="api", allowed=True,  # an admin
                                  reason="SCIM provisioning")
    return [shape.apply(to_scim(request, person)) for person in people]


@scim_view
def user(request: HttpRequest, viewer: Person, person_id: int) -> HttpResponse:
    shape = query_projection(request, (USER_SHAPE,))
    if request.method == "GET":
        person = Person.objects.select_related("user").filter(pk=person_id).first()
        if person is None:
            raise ScimError(404, ERR_NOT_FOUND)
        access.open_person_record(viewer, person, what="people.profile", via="api", allowed=True,  # an admin
                                  reason="SCIM provisioning")
        return resource_response(request, to_scim(request, person), shape)
    body = _body(request) if request.method in {"PUT", "PATCH"} else {}
    changed = change_user(request, viewer, str(request.method), person_id, body, request.headers.get("If-Match"))
    return HttpResponse(status=204) if changed is None else resource_response(request, changed, shape)


@scim_view
def service_provider_config(request: HttpRequest, viewer: Person) -> HttpResponse:
    return _response({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": BULK_MAX_OPERATIONS, "maxPayloadSize": BULK_MAX_PAYLOAD},
        "filter": {"supported": True, "maxResults": MAX_PAGE},  # and POST …/.search
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "API token",
                                   "description": "A Brightline API token of an administrator", "primary": True}],
    })


@scim_view
def resource_types(request: HttpRequest, viewer: Person) -> HttpResponse:
    resource_type = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    return _response({"schemas": [LIST_SCHEMA], "totalResults": 2, "Resources": [
        {"schemas": [resource_type], "id": "User", "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
         "schemaExtensions": [{"schema": ENTERPRISE, "required": False}]},
        {"schemas": [resource_type], "id": "Group", "name": "Group", "endpoint": "/Groups",
         "schema": "urn:ietf:params:scim:schemas:core:2.0:Group"}]})


urlpatterns = [
    path("Users", users, name="scim-users"),
    path("Users/.search", search_users, name="scim-users-search"),
    path("Users/<int:person_id>", user, name="scim-user"),
    path("ServiceProviderConfig", service_provider_config, name="scim-config"),
    path("ResourceTypes", resource_types, name="scim-resource-types"),
]
