"""The rollups this app computes itself: delivery and team health per team for the last quarter (the
leadership view), every team's headcount (the leadership view, the organisation page, the leaders' home), and,
computed by the evidence app, each team's delivery page, each service's page and each class of like-with-like
services (workload class and criticality) for the last six months."""

from __future__ import annotations

from brightline.evidence import page_figures
from brightline.evidence.models import Service
from brightline.rollups import delivery, teams
from brightline.rollups.registry import Source, register

register(Source(
    kind=delivery.KIND, description="delivery and team health per team, last 91 days",
    every_key=lambda: [str(pk) for pk in delivery.teams_with_services()], compute=delivery.compute,
    compute_many=delivery.compute_many, slow=True,
    triggers=("evidence.", "people.person.", "people.team.", "demo.loaded")))

register(Source(
    kind=teams.KIND, description="every team's headcount and the teams the minimum cohort withholds",
    every_key=teams.keys, compute=teams.compute,
    triggers=("people.person.", "people.team.", "people.role_change.applied", "demo.loaded")))

register(Source(
    kind=page_figures.TEAM_PAGE, description="a team's delivery page: DORA figures per month, reliability",
    every_key=lambda: [str(pk) for pk in delivery.teams_with_services()],
    compute=lambda key: page_figures.compute(page_figures.TEAM_PAGE, key),
    compute_many=lambda keys: page_figures.compute_many(page_figures.TEAM_PAGE, keys),
    triggers=("evidence.", "people.team.", "demo.loaded")))

register(Source(
    kind=page_figures.SERVICE_PAGE, description="a service's page: DORA figures per month, reliability",
    every_key=lambda: [str(pk) for pk in Service.objects.order_by("pk").values_list("pk", flat=True)],
    compute=lambda key: page_figures.compute(page_figures.SERVICE_PAGE, key),
    compute_many=lambda keys: page_figures.compute_many(page_figures.SERVICE_PAGE, keys),
    triggers=("evidence.", "demo.loaded")))

register(Source(
    kind=page_figures.SERVICE_PEERS, description="DORA figures of like-with-like services, per class",
    every_key=page_figures.peer_keys,
    compute=lambda key: page_figures.compute(page_figures.SERVICE_PEERS, key),
    compute_many=lambda keys: page_figures.compute_many(page_figures.SERVICE_PEERS, keys),
    triggers=("evidence.", "demo.loaded")))
