"""The demo's promotion case: Mo nominates Pat (IC3) for the next level, with evidence cited against each
expectation, and a panel from outside Pat's chain seated by Pia, waiting for its pre-votes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from brightline.evidence.models import EvidenceItem
from brightline.people.models import Competency, Person
from brightline.promotions import services
from brightline.promotions.models import CaseCitation, CasePanelist, PromotionCase

# What a cited item shows at the next level, one note of its own per expectation (a copied note does not count).
DIMENSION_NOTES = {
    "technical_excellence": "Designs beyond one service: the trade-offs are written down and reviewed by other teams.",
    "delivery_results": "Ships a multi-quarter piece of work in steps, each one released and measured.",
    "judgment_communication": "Explains a hard call to people outside the team and records why it was made.",
    "leadership": "Grows others: reviews, pairing and handing over work so the team does not depend on them.",
}

RATIONALE = ("Pat already leads cross-team work at the next level: the payouts retry design, the on-call "
             "handbook and mentoring two engineers through their first incidents.")


def build_demo_history(context: Any) -> None:
    pat, mo, pia = (context.personas.get(name) for name in ("pat", "mo", "pia"))
    if pat is None or mo is None or pia is None or pat.level is None or pat.level.next_level() is None:
        return
    case = services.nominate_for_promotion(pat, actor=mo, rationale=RATIONALE)
    dimensions = list(Competency.objects.filter(level=case.to_level_id).values_list("dimension", flat=True))
    items = list(EvidenceItem.objects.filter(person=pat).order_by("occurred_at", "pk"))
    # Two items per expectation where the history has them, oldest and newest, so they span quarters.
    for index, dimension in enumerate(dimensions):
        for item in {items[index % len(items)], items[-1 - index % len(items)]} if items else ():
            services.cite_for_promotion(case, actor=mo, dimension=dimension, reference=f"evidence_item:{item.pk}",
                                        note=DIMENSION_NOTES.get(dimension, ""))
    chain = {pat.pk, mo.pk, mo.manager_id}
    panel = [person for person in Person.objects.filter(is_active=True, level__code__in=["IC4", "IC5", "M2"])
             .exclude(pk__in=chain).exclude(team=pat.team).order_by("name")[:3]]
    if len(panel) >= services.MIN_PANEL_SIZE:
        services.seat_promotion_panel(case, actor=pia, members=panel)
    # The case was opened three weeks before the demo's day, the panel seated a week later.
    opened = timezone.make_aware(dt.datetime.combine(context.today - dt.timedelta(days=21), dt.time(10)))
    PromotionCase.objects.filter(pk=case.pk).update(nominated_at=opened)
    CaseCitation.objects.filter(case=case).update(added_at=opened + dt.timedelta(days=2))
    CasePanelist.objects.filter(case=case).update(added_at=opened + dt.timedelta(days=7))
