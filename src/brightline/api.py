"""The JSON API under ``/api/``: session or token authentication, OpenAPI at ``/api/openapi.json``.

Routers live with their apps (``<app>/api.py``); this module only assembles them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from brightline.apierrors import document_error_responses
from brightline.people.models import ApiToken, Person, TokenScope
from brightline.people.tokens import hash_token
from brightline.rollups.middleware import pending_response
from brightline.rollups.services import Pending

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ERR_READ_ONLY_TOKEN = ("This API token is read-only: it may only read. Create a read-write token with "
                       "'brightline token create --scope write' to change data.")


def _bearer_header(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; tokens are created with ``brightline token create``.

    A token request carries no cookie a browser would add by itself, so it is not CSRF-checked;
    a read-only token is refused (403) on unsafe methods.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        found = (ApiToken.objects.select_related("person__user")
                 .filter(key_hash=hash_token(token), revoked=False, person__is_active=True).first())
        if found is None:
            return None
        if request.method not in SAFE_METHODS and found.scope != TokenScope.WRITE:
            raise HttpError(403, ERR_READ_ONLY_TOKEN)
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.person.user or request.user
        return found.person


class PersonSessionAuth(SessionAuth):
    """A logged-in browser session (CSRF-checked on unsafe methods) with a linked person.

    A request with ``Authorization: Bearer …`` is left to :class:`TokenAuth`: it is authenticated by its
    token alone, never by a session cookie that may ride along, and so never needs the CSRF token.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if _bearer_header(request):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        user = super().authenticate(request, key)
        person = getattr(user, "person", None) if user else None
        return person if person is not None and person.is_active else None


api = NinjaAPI(
    title="Brightline API",
    version="1",
    description="Fair, evidence-based engineering performance management. Every read of another "
                "person's record through this API is logged and visible to that person.",
    auth=[PersonSessionAuth(), TokenAuth()],
    docs_url=None,  # the bundled docs page loads Swagger UI from a CDN; Brightline works offline
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    """A refusal of ``access.open_person_record`` (and any other ``PermissionDenied``): 403 with its reason."""
    return api.create_response(request, {"detail": str(error) or "You may not do this."}, status=403)


@api.exception_handler(Pending)
def figures_pending(request: HttpRequest, error: Pending) -> HttpResponse:
    """Figures not computed yet (a slow rollup in a large organisation): queued; 503 with ``Retry-After``."""
    return pending_response(request, error)

from brightline.dashboards.api import router as inbox_router  # noqa: E402
from brightline.evidence.api import router as evidence_router  # noqa: E402
from brightline.fairness.api import router as fairness_router  # noqa: E402
from brightline.feedback.api import router as feedback_router  # noqa: E402
from brightline.goals.api import router as goals_router  # noqa: E402
from brightline.governance.api import moved_router as governance_moved_router  # noqa: E402
from brightline.governance.api import router as governance_router  # noqa: E402
from brightline.insights.api import router as insights_router  # noqa: E402
from brightline.notifications.api import router as notifications_router  # noqa: E402
from brightline.operations.api import router as operations_router  # noqa: E402
from brightline.people.api import router as people_router  # noqa: E402
from brightline.policy.api import router as policy_router  # noqa: E402
from brightline.promotions.api import router as promotions_router  # noqa: E402
from brightline.reviews.api import router as reviews_router  # noqa: E402
from brightline.support.api import router as support_router  # noqa: E402

api.add_router("/", people_router)
api.add_router("/", operations_router)
api.add_router("/me", inbox_router)
api.add_router("/me", notifications_router)
api.add_router("/policy", policy_router)
api.add_router("/evidence", evidence_router)
api.add_router("/feedback", feedback_router)
api.add_router("/insights", insights_router)
api.add_router("/reviews", reviews_router)
api.add_router("/support", support_router)
api.add_router("/goals", goals_router)
api.add_router("/promotions", promotions_router)
api.add_router("/fairness", fairness_router)
api.add_router("/fairness", governance_moved_router)
api.add_router("/governance", governance_router)

document_error_responses(api)
