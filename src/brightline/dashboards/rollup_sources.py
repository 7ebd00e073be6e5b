"""The rollup the people partner's home reads: whether both audit chains verified at the last walk."""

from __future__ import annotations

from brightline.dashboards import partner
from brightline.rollups.registry import Source, register

register(Source(
    kind=partner.VERIFICATION_ROLLUP, description="whether the audit trail and the log of record reads verify",
    every_key=lambda: [""], compute=partner.verify_both, slow=True))
