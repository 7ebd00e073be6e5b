"""Error answers of the JSON API and their documentation in the OpenAPI schema.

Every operation documents the 4xx answers it can give, derived once when the API is assembled:

- 401 — no or an unknown session or token (every authenticated operation);
- 403 — not allowed for you: your role, the object's permissions, a read-only token on a change, or a
  session request without the CSRF token (every authenticated operation);
- 404 — an id in the path or an ``…_id`` parameter names nothing;
- 400 — input the rules refuse (every change, and reads whose view refuses bad parameters), and on every
  operation a NUL character in the address or body (``brightline.security.NulCharacterMiddleware``);
- 409 — someone changed it first (where the view says so);
- 413 — a request body above the size limit (every operation with a body);
- 422 — parameters or a body of the wrong shape (every operation with parameters or a body).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from ninja import NinjaAPI, Schema


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    """What django-ninja answers (422) for parameters or a body of the wrong shape."""

    detail: list[dict[str, Any]]


def _source(view: Any) -> str:
    try:
        return inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return ""


def _has_body_or_params(operation: Any, path: str) -> tuple[bool, bool, bool]:
    """(has a body, has query parameters, has an id-like query parameter)."""
    body = query = id_query = False
    for model in operation.models:
        source = getattr(model, "__ninja_param_source__", "")
        if source in {"body", "form", "file"}:
            body = True
        elif source == "query":
            fields = list(model.model_fields)
            query = query or bool(fields)
            id_query = id_query or any(name.endswith("_id") for name in fields)
    return body, query, id_query


def error_codes(operation: Any, path: str, methods: list[str]) -> set[int]:
    source = _source(operation.view_func)
    explicit = {int(code) for code in re.findall(r"(?:HttpError|Status)\(\s*(4\d\d)", source)}
    if "domain_errors" in source:
        explicit |= {400, 409}
    body, query, id_query = _has_body_or_params(operation, path)
    codes = set(explicit)
    if operation.auth_param is not None:  # not set: the API's session-or-token authentication
        codes |= {401, 403}
    if "{" in path or id_query or "get_object_or_404" in source:
        codes.add(404)
    codes.add(400)  # every change; and on any operation, a NUL character in the address or body
    if body:
        codes.add(413)
    if body or query:
        codes.add(422)
    return codes


def document_error_responses(api: NinjaAPI) -> None:
    """Add the 4xx answers each operation can give to its documented responses (never replacing one)."""
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for code in sorted(error_codes(operation, path, operation.methods)):
                    if code not in operation.response_models:
                        model = ValidationErrorOut if code == 422 else ErrorOut
                        operation.response_models[code] = operation._create_response_model(model)
