"""Page sizes for every list in the JSON API.

Each list operation takes ``limit`` (default 100, at most 500) and ``offset`` (default 0) query parameters
and answers a plain JSON list of at most ``limit`` items, so existing clients keep working. A page that
holds exactly ``limit`` items may have a next one: ask again with ``offset`` raised by ``limit``.
A ``limit`` above the maximum is a 422 with the allowed range, never a huge answer.
"""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 500
MAX_OFFSET: Final = 1_000_000


class ListPageParams(Schema):
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"items per page (1 to {MAX_PAGE_SIZE})")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="items to skip")


class ListPage(PaginationBase):
    """``limit``/``offset`` paging that keeps the answer a bare list (no ``{"items", "count"}`` envelope)."""

    Input = ListPageParams  # type: ignore[assignment]
    Output = None  # type: ignore[assignment]  # keep the operation's own list schema

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        offset, limit = pagination.offset, pagination.limit
        return list(queryset[offset:offset + limit])
