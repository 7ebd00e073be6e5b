"""JSON API of work across every app: a person's copy of everything Brightline holds about them."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from brightline.operations.data_rights import export_for_download

router = Router(tags=["your data"])


@router.get("/me/data", response=dict[str, object], summary="Everything Brightline holds about you (logged)")
def my_data(request: HttpRequest) -> dict[str, object]:
    return export_for_download(request.auth, via="api")  # type: ignore[attr-defined]
