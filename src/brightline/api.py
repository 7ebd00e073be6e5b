"""The JSON API under ``/api/``: session or token authentication, OpenAPI at ``/api/openapi.json``.

Routers live with their apps (``<app>/api.py``); this module only assembles them.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI
from ninja.security import HttpBearer, SessionAuth

from brightline.people.models import ApiToken, Person
from brightline.people.tokens import hash_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; tokens are created with ``brightline token create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        found = (ApiToken.objects.select_related("person__user")
                 .filter(key_hash=hash_token(token), revoked=False, person__is_active=True).first())
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.person.user or request.user
        return found.person


class PersonSessionAuth(SessionAuth):
    """A logged-in browser session (CSRF-checked on unsafe methods) with a linked person."""

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

from brightline.dashboards.api import router as inbox_router  # noqa: E402
from brightline.evidence.api import router as evidence_router  # noqa: E402
from brightline.fairness.api import router as fairness_router  # noqa: E402
from brightline.feedback.api import router as feedback_router  # noqa: E402
from brightline.insights.api import router as insights_router  # noqa: E402
from brightline.people.api import router as people_router  # noqa: E402
from brightline.policy.api import router as policy_router  # noqa: E402
from brightline.reviews.api import router as reviews_router  # noqa: E402
from brightline.support.api import router as support_router  # noqa: E402

api.add_router("/", people_router)
api.add_router("/me", inbox_router)
api.add_router("/policy", policy_router)
api.add_router("/evidence", evidence_router)
api.add_router("/feedback", feedback_router)
api.add_router("/insights", insights_router)
api.add_router("/reviews", reviews_router)
api.add_router("/support", support_router)
api.add_router("/fairness", fairness_router)
