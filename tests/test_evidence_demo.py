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
