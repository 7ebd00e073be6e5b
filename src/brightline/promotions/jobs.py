"""``promotions.escalate``: hand promotion cases stuck past a deadline to the next person (daily)."""

from __future__ import annotations

from typing import Any

from brightline.jobs.schedules import register_schedule
from brightline.jobs.services import Progress, job


@job("promotions.escalate")
def escalate(progress: Progress) -> dict[str, Any]:
    from brightline.promotions.escalation import escalate_overdue_cases

    run = escalate_overdue_cases()
    progress.update(len(run.escalated), total=len(run.escalated),
                    message=f"{len(run.escalated)} promotion case(s) escalated")
    return run.to_json()


register_schedule(
    "promotions-escalate", job="promotions.escalate", cadence="daily at 07:00",
    description="Hand promotion cases and their appeals stuck past a deadline to the next person who can move them on")
