"""SCIM 2.0 ``POST /scim/v2/Bulk`` (RFC 7644 section 3.7): many Users and Groups operations in one request.

Each operation is a POST, PUT, PATCH or DELETE as the single endpoints take it, with the same checks and the
same writes. Operations are independent: each one runs in a savepoint of the request's transaction, so one that
fails writes nothing and leaves the others as they were, and its error (in the SCIM error format) is its entry
in the response. ``failOnErrors`` stops the run after that many errors; the response then lists the operations
done so far. A PUT, PATCH or DELETE may carry ``version``, compared as ``If-Match`` is (412 on a mismatch).

``bulkId``: a POST names its new resource ``bulkId``, and any later value ``"bulkId:<id>"`` (a group member, a
manager, a path such as ``/Users/bulkId:<id>``) means that resource's id. Operations run in the order given,
except that one referring to a resource created later in the request waits for it. References that go round in
a circle cannot be resolved here: the only references between resources are managers and members, and a circle
of managers is a reporting loop, which is refused anyway, so those operations answer 409. A reference to a
``bulkId`` that no POST of the request defines, or whose POST failed, answers 409 too.

The audit entries of every operation that succeeded are written together at the end (``write_held``), in the
same transaction as the changes they record. ``maxOperations`` and ``maxPayloadSize`` are enforced as advertised
in ``/ServiceProviderConfig`` (413 for the whole request).
"""

from __future__ import annotations

import heapq
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from brightline.audit.services import HeldEntry, held_entries, write_held
from brightline.people import scim_groups
from brightline.people.models import Person
from brightline.people.scim import (
    BULK_MAX_OPERATIONS,
    BULK_MAX_PAYLOAD,
    ERROR_SCHEMA,
    ScimError,
    _response,
    change_user,
    create_user,
    scim_view,
)

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PATH = re.compile(r"^/?(Users|Groups)(?:/([^/]+))?$")
REFERENCE = "bulkId:"
PATH_REFERENCE = re.compile(r"bulkId:([^/]+)")

ERR_TOO_LARGE = "The bulk request is larger than maxPayloadSize ({limit} bytes)."
ERR_TOO_MANY = "The bulk request has more than maxOperations ({limit}) operations."
ERR_OPERATIONS = "Operations must be a list of objects, each with a method and a path."
ERR_FAIL_ON = "failOnErrors must be a whole number of at least 1."
ERR_SAME_BULK_ID = "The bulkId {value!r} is given to more than one operation."
ERR_OP_METHOD = "The method {value!r} is not one of POST, PUT, PATCH or DELETE."
ERR_OP_PATH = "The path {value!r} is not /Users or /Groups, followed by an id unless the method is POST."
ERR_OP_BULK_ID = "A POST operation needs a bulkId."
ERR_OP_DATA = "data must be a JSON object for POST, PUT and PATCH."
ERR_UNKNOWN_REF = "bulkId {value!r} is not the bulkId of a POST in this request."
ERR_FAILED_REF = "bulkId {value!r} could not be resolved: its POST failed."
ERR_WRONG_KIND = "bulkId {value!r} names a {kind} where a {wanted} is needed."
ERR_CIRCLE = ("These operations wait on each other through bulkId references ({values}), in a circle or behind "
              "one: a circle of managers would be a reporting loop, so they are refused.")


@dataclass
class Operation:
    index: int
    raw: dict[str, Any]
    method: str = ""
    path: str = ""
    bulk_id: str | None = None
    references: set[str] = field(default_factory=set)
    # The references in ``data`` (members, a manager): these name Users.
    in_data: set[str] = field(default_factory=set)


def _references(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, str) and value.startswith(REFERENCE):
        found.add(value[len(REFERENCE):])
    elif isinstance(value, dict):
        for item in value.values():
            _references(item, found)
    elif isinstance(value, list):
        for item in value:
            _references(item, found)
    return found


def _resolved(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``"bulkId:<id>"`` replaced by the id of the resource that POST created."""
    if isinstance(value, str) and value.startswith(REFERENCE):
        return ids[value[len(REFERENCE):]]
    if isinstance(value, dict):
        return {key: _resolved(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, ids) for item in value]
    return value


def _error_body(error: ScimError) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    return body


def _read_request(request: HttpRequest) -> tuple[list[Operation], int | None]:
    """The operations and ``failOnErrors`` of a bulk request; a request that is too large or malformed raises."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > BULK_MAX_PAYLOAD or len(request.body) > BULK_MAX_PAYLOAD:
        raise ScimError(413, ERR_TOO_LARGE.format(limit=BULK_MAX_PAYLOAD))
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, ERR_OPERATIONS, "invalidSyntax") from None
    raw_operations = data.get("Operations", data.get("operations")) if isinstance(data, dict) else None
    if not isinstance(raw_operations, list) or not all(isinstance(item, dict) for item in raw_operations):
        raise ScimError(400, ERR_OPERATIONS, "invalidSyntax")
    if len(raw_operations) > BULK_MAX_OPERATIONS:
        raise ScimError(413, ERR_TOO_MANY.format(limit=BULK_MAX_OPERATIONS))
    fail_on = data.get("failOnErrors")
    if fail_on is not None and (isinstance(fail_on, bool) or not isinstance(fail_on, int) or fail_on < 1):
        raise ScimError(400, ERR_FAIL_ON, "invalidValue")
    operations: list[Operation] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_operations):
        bulk_id = raw.get("bulkId")
        bulk_id = str(bulk_id) if bulk_id not in (None, "") else None
        if bulk_id is not None and bulk_id in seen:
            raise ScimError(400, ERR_SAME_BULK_ID.format(value=bulk_id), "invalidValue")
        if bulk_id is not None:
            seen.add(bulk_id)
        operation = Operation(index, raw, str(raw.get("method") or "").upper(), str(raw.get("path") or ""), bulk_id)
        operation.in_data = _references(raw.get("data"), set())
        operation.references = set(PATH_REFERENCE.findall(operation.path)) | operation.in_data
        operations.append(operation)
    return operations, fail_on


def _in_order(operations: list[Operation]) -> tuple[list[Operation], list[Operation]]:
    """The operations in the order given, except that one referring to a later POST comes right after it (each
    step takes the first operation whose references are all done); and those left waiting on a circle."""
    defined = {op.bulk_id: op.index for op in operations if op.bulk_id is not None and op.method == "POST"}
    unmet = {op.index: {defined[ref] for ref in op.references if ref in defined} for op in operations}
    dependents: dict[int, list[int]] = {}
    for index, needs in unmet.items():
        for need in needs:
            dependents.setdefault(need, []).append(index)
    ready = [index for index, needs in unmet.items() if not needs]
    heapq.heapify(ready)
    ordered: list[Operation] = []
    while ready:
        index = heapq.heappop(ready)
        ordered.append(operations[index])
        for dependent in dependents.get(index, []):
            unmet[dependent].discard(index)
            if not unmet[dependent]:
                heapq.heappush(ready, dependent)
    done = {op.index for op in ordered}
    return ordered, [op for op in operations if op.index not in done]


def _perform(request: HttpRequest, viewer: Person, op: Operation, ids: dict[str, str], kinds: dict[str, str],
             failed: set[str]) -> tuple[int, dict[str, Any]]:
    """Run one operation; its status and its entry in the response (without ``method`` and ``bulkId``).
    ``ids``: the id each ``bulkId`` resolved to so far, ``kinds`` its resource type (``User`` or ``Group``);
    ``failed``: the ``bulkId`` of each POST that failed."""
    if op.method not in METHODS:
        raise ScimError(400, ERR_OP_METHOD.format(value=op.raw.get("method")), "invalidSyntax")
    for ref in sorted(op.references):
        if ref not in ids:
            raise ScimError(409, (ERR_FAILED_REF if ref in failed else ERR_UNKNOWN_REF).format(value=ref))
    match = PATH.match(PATH_REFERENCE.sub(lambda found: ids[found.group(1)], op.path))
    if match is None or (op.method == "POST") != (match.group(2) is None) or (
            match.group(2) is not None and not match.group(2).isdigit()):
        raise ScimError(400, ERR_OP_PATH.format(value=op.path), "invalidPath")
    for ref in sorted(op.references):  # a path's reference names its own type; data refers to Users only
        wanted = "User" if ref in op.in_data else match.group(1).removesuffix("s")
        if kinds[ref] != wanted:
            raise ScimError(400, ERR_WRONG_KIND.format(value=ref, kind=kinds[ref], wanted=wanted), "invalidValue")
    if op.method == "POST" and op.bulk_id is None:
        raise ScimError(400, ERR_OP_BULK_ID, "invalidValue")
    data = _resolved(op.raw.get("data"), ids)
    if op.method != "DELETE" and not isinstance(data, dict):
        raise ScimError(400, ERR_OP_DATA, "invalidSyntax")
    body: dict[str, Any] = data if isinstance(data, dict) else {}
    users = match.group(1) == "Users"
    if op.method == "POST":
        resource = (create_user(request, viewer, body) if users
                    else scim_groups.create_group(request, viewer, body))
        return 201, {"location": resource["meta"]["location"], "version": resource["meta"]["version"],
                     "id": resource["id"], "kind": match.group(1).removesuffix("s")}
    version = op.raw.get("version")
    target, if_match = int(match.group(2)), str(version) if version else None
    changed = (change_user(request, viewer, op.method, target, body, if_match) if users
               else scim_groups.change_group(request, viewer, op.method, target, body, if_match))
    location = request.build_absolute_uri(f"/scim/v2/{match.group(1)}/{target}")
    if changed is None:
        return 204, {"location": location}
    return 200, {"location": location, "version": changed["meta"]["version"]}


@scim_view
def bulk(request: HttpRequest, viewer: Person) -> HttpResponse:
    if request.method != "POST":
        raise ScimError(405, "Use POST.")
    operations, fail_on = _read_request(request)
    ordered, circle = _in_order(operations)
    results: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    kinds: dict[str, str] = {}
    failed: set[str] = set()
    circled = {op.index for op in circle}
    circle_refs = ", ".join(sorted({ref for op in circle for ref in op.references}))
    kept: list[HeldEntry] = []
    errors = 0

    def answer(op: Operation, status: int, entry: dict[str, Any]) -> None:
        item: dict[str, Any] = {"method": op.method or str(op.raw.get("method") or "")}
        if op.bulk_id is not None:
            item["bulkId"] = op.bulk_id
        results.append({**item, **entry, "status": str(status)})

    with transaction.atomic():
        for op in ordered + circle:
            try:
                if op.index in circled:
                    raise ScimError(409, ERR_CIRCLE.format(values=circle_refs))
                with transaction.atomic(), held_entries() as held:
                    status, entry = _perform(request, viewer, op, ids, kinds, failed)
                kept.extend(held)
            except ScimError as error:
                errors += 1
                if op.bulk_id is not None and op.method == "POST":
                    failed.add(op.bulk_id)
                answer(op, error.status, {"response": _error_body(error)})
                if fail_on is not None and errors >= fail_on:
                    break
                continue
            if op.method == "POST" and op.bulk_id is not None:
                ids[op.bulk_id], kinds[op.bulk_id] = entry.pop("id"), entry.pop("kind")
            answer(op, status, entry)
        write_held(kept)
    return _response({"schemas": [BULK_RESPONSE], "Operations": results})
