"""After a change that affects rollups commits (an ingestion, an import, a cycle transition), mark the
affected rollups stale and start the refresh job (in-process by default, on a Celery worker when configured).

The changes are recognised by their audit entries, so the apps below never call this app. Nothing is
enqueued while no rollup of an affected kind is stored yet: the first page that reads one computes it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

JOB = "rollups.refresh"


def _on_actions_logged(sender: Any, actions: frozenset[str], **kwargs: Any) -> None:
    from brightline.rollups.registry import kinds_triggered_by
    from brightline.rollups.services import mark_stale

    kinds = kinds_triggered_by(actions)
    if kinds and mark_stale(kinds):
        transaction.on_commit(_enqueue_refresh)


def _enqueue_refresh() -> None:
    from brightline.jobs.services import enqueue

    try:
        enqueue(JOB)
    except Exception:  # the change itself has committed; the scheduled refresh will catch up
        logger.exception("could not start the rollup refresh")


def connect() -> None:
    from brightline.audit.services import actions_logged

    actions_logged.connect(_on_actions_logged, dispatch_uid="brightline.rollups.triggers")
