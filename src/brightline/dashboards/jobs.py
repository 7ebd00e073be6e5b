"""The people partner's home reads the audit chains' last verification: walked hourly, not on a page load."""

from __future__ import annotations

from brightline.jobs.schedules import register_schedule

register_schedule(
    "audit-verify", job="rollups.refresh", cadence="hourly at :40", everything=True, kinds=["audit-verification"],
    description="Walk the audit trail and the log of record reads for the people partner's home")
