"""The demo's delivery history: services per team, six months of evidence, one built-in trend break."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from brightline.evidence.demo import TREND_BREAK_SERVICE, TREND_BREAK_WEEKS_AGO
from brightline.evidence.metrics import service_dora
from brightline.evidence.models import EvidenceItem, Incident, Service


@pytest.mark.django_db
def test_the_demo_has_delivery_history_with_a_trend_break_and_citable_items():
    from brightline.demo import load_demo

    demo_today = load_demo(seed=7).today
    assert Service.objects.filter(team__isnull=False).count() >= 8
    assert Incident.objects.exclude(attribution="none").exists()
    today = datetime.combine(demo_today, datetime.min.time(), tzinfo=UTC)
    service = Service.objects.get(name=TREND_BREAK_SERVICE)
    break_at = today - timedelta(weeks=TREND_BREAK_WEEKS_AGO)
    before = service_dora(service, start=today - timedelta(weeks=20), end=break_at)
    after = service_dora(service, start=break_at, end=today)
    assert after.deployment_frequency_per_week < before.deployment_frequency_per_week / 2
    assert after.lead_time_hours.median > 2 * before.lead_time_hours.median
    kinds = set(EvidenceItem.objects.filter(person__user__username="erin").values_list("kind", flat=True))
    assert {"merged_change", "incident_handled", "design_doc"} <= kinds
    # Most demo work is written in people's own working hours, so the manager's load view tells people apart
    # instead of shading every report "worth a check-in" for work outside their hours.
    from brightline.dashboards.team import team_at_a_glance
    from brightline.people.models import Person

    shades = [row.outside_hours.shade for row in team_at_a_glance(Person.objects.get(user__username="mo")).rows]
    assert len(shades) >= 5 and shades.count(3) <= len(shades) // 3 and min(shades) <= 1, shades
