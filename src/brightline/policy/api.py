from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from brightline import access
from brightline.policy.models import Policy
from brightline.policy.services import PolicyError, get_policy, update_policy

router = Router(tags=["policy"])


class PolicyOut(Schema):
    allowed_sources: list[str]
    retention_days: dict[str, int]
    min_cohort_size: int
    ai_boundaries: dict[str, bool]
    appeal_reviewers: str
    appeal_path: str
    prevote_names: str
    signal_owners: dict[str, str]


class PolicyPatch(Schema):
    reason: str
    allowed_sources: list[str] | None = None
    retention_days: dict[str, int] | None = None
    min_cohort_size: int | None = None
    ai_boundaries: dict[str, bool] | None = None
    appeal_reviewers: str | None = None
    prevote_names: str | None = None
    signal_owners: dict[str, str] | None = None


@router.get("", response=PolicyOut, summary="The policy every employee can read")
def read_policy(request: HttpRequest) -> Policy:
    return get_policy()


@router.patch("", response=PolicyOut, summary="Change the policy (people partners; audited)")
def patch_policy(request: HttpRequest, payload: PolicyPatch) -> Policy:
    viewer = request.auth  # type: ignore[attr-defined]
    if not access.can_edit_policy(viewer):
        raise HttpError(403, "Only people partners can change the policy.")
    changes: dict[str, Any] = payload.dict(exclude_none=True)
    reason = changes.pop("reason")
    # A field beside the schema is refused, never ignored: a 200 must mean the setting took effect.
    try:
        sent = json.loads(request.body or b"{}")
    except ValueError:
        sent = {}
    extra = {name: value for name, value in sent.items() if name != "reason" and name not in changes} \
        if isinstance(sent, dict) else {}
    changes.update(extra)
    try:
        update_policy(actor=viewer, reason=reason, **changes)
    except PolicyError as error:
        raise HttpError(400, str(error)) from None
    return get_policy()
