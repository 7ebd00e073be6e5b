"""``GET /api/me/inbox``: what needs the caller now, as on their home page."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from brightline.dashboards.inbox import inbox_for
from brightline.pagination import ListPage

router = Router(tags=["inbox"])


class InboxItemOut(Schema):
    kind: str
    title: str
    url: str
    since: datetime
    due_on: date | None
    overdue: bool


@router.get("/inbox", response=list[InboxItemOut],
            summary="What needs you now: feedback to give, reviews, pre-votes, appeals, check-ins, AI signals "
                    "you own; oldest first")
@paginate(ListPage)
def my_inbox(request: HttpRequest) -> list[dict[str, object]]:
    return [item.to_json() for item in inbox_for(request.auth)]  # type: ignore[attr-defined]
