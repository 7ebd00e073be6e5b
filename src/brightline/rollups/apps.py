from typing import Any

from django.apps import AppConfig


def _read(kind: str, key: str) -> tuple[Any, Any, bool]:
    from brightline.rollups.services import read_one

    fresh = read_one(kind, key)
    return fresh.value, fresh.as_of, fresh.stale


class RollupsConfig(AppConfig):
    name = "brightline.rollups"
    label = "rollups"
    verbose_name = "Rollups"

    def ready(self) -> None:
        from brightline.evidence import page_figures
        from brightline.rollups import triggers

        triggers.connect()
        page_figures.use_reader(_read)  # the delivery pages read their figures from rollups
