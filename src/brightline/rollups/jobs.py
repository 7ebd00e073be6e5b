"""``rollups.refresh``: recompute stale rollups (after changes), all of them (nightly) or the ones a page found
missing."""

from __future__ import annotations

from typing import Any

from brightline.jobs.schedules import register_schedule
from brightline.jobs.services import Progress, job


@job("rollups.refresh")
def refresh(progress: Progress, *, everything: bool = False, kinds: list[str] | None = None,
            missing: bool = False, keys: list[str] | None = None) -> dict[str, Any]:
    from brightline.rollups.services import refresh as refresh_rollups

    report = refresh_rollups(everything=everything, kinds=kinds, missing=missing, keys=keys,
                             progress=lambda done, total: progress.update(done, total=total))
    progress.update(report.computed, total=report.computed,
                    message=f"{report.computed} rollup{'s' if report.computed != 1 else ''} recomputed")
    return report.to_json()


register_schedule(
    "rollups-refresh", job="rollups.refresh", cadence="daily at 01:30", everything=True,
    description="Recompute every dashboard rollup, so windows that end today move on with the day")
register_schedule(
    "rollups-stale", job="rollups.refresh", cadence="hourly at :25",
    description="Recompute dashboard rollups that a change has made stale and no refresh has reached yet")
