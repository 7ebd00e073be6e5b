"""``policy.purge_expired_data``: enforce the policy's retention periods (G1).

Schedule it daily with cron (``brightline retention purge``) or Celery beat; see docs/deployment.md.
"""

from __future__ import annotations

from typing import Any

from brightline.jobs.services import Progress, job

# The name predates the move out of the policy app; job runs and audit entries already carry it.
JOB_NAME = "policy.purge_expired_data"


@job(JOB_NAME)
def purge_expired_data(progress: Progress, *, dry_run: bool = False) -> dict[str, Any]:
    from brightline.operations.retention import purge_expired_data as purge

    progress.update(0, total=1, message="counting expired rows" if dry_run else "purging expired rows")
    result = purge(dry_run=dry_run, actor_label=f"job:{JOB_NAME}")
    progress.update(1, total=1, message="done")
    return result.to_json()
