"""The rollups this app computes itself: delivery and team health per team for the last quarter."""

from __future__ import annotations

from brightline.rollups import delivery
from brightline.rollups.registry import Source, register

register(Source(
    kind=delivery.KIND, description="delivery and team health per team, last 91 days",
    every_key=lambda: [str(pk) for pk in delivery.teams_with_services()], compute=delivery.compute,
    compute_many=delivery.compute_many,
    triggers=("evidence.", "people.person.", "people.team.", "demo.loaded")))
