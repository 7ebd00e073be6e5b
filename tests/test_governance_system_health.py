"""Manager quality (G5) and system health (G6): HRIS events, promotion velocity, calibration, attrition."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import audit_actions
from tests.fairness_helpers import Member, decided_cycle, make_people

pytestmark = pytest.mark.django_db

EVENTS = """employee_id,event,date,regretted,from_team,to_team,from_level,to_level
E-erin,promoted,2026-03-01,,,,IC1,IC2
E-pat,transferred,2026-04-01,,payments,platform,,
X-gone,left,2026-05-01,yes,payments,,,
"""


def test_hris_events_import_is_all_or_nothing_idempotent_and_audited(personas):
    from brightline.audit.models import AuditEntry
    from brightline.governance.hris import import_hris_events
    from brightline.governance.models import HrisEvent

    result = import_hris_events(EVENTS.encode(), actor=personas.pia)
    assert (result.created, result.unknown_people) == (3, 1)
    assert HrisEvent.objects.get(employee_id="X-gone").regretted is True
    assert HrisEvent.objects.get(employee_id="E-erin").person == personas.erin
    again = import_hris_events(EVENTS.encode(), actor=personas.pia)
    assert (again.created, again.unchanged) == (0, 3) and HrisEvent.objects.count() == 3
    entry = AuditEntry.objects.filter(action="fairness.hris_events.imported").first()
    assert entry.actor_id == personas.pia.pk and entry.data["by_event"] == {"promoted": 1, "transferred": 1,
                                                                            "left": 1}


@pytest.mark.parametrize("bad_line,message", [
    ("E-erin,retired,2026-01-01,,,,,", "event 'retired' is not one of"),
    ("E-erin,left,01/02/2026,,,,,", "is not a date"),
    ("E-erin,promoted,2026-01-01,yes,,,IC1,IC2", "regretted applies to leavers only"),
    ("E-erin,transferred,2026-01-01,,payments,,,", "a transfer needs to_team"),
])
def test_a_bad_hris_file_writes_nothing(personas, bad_line, message):
    from brightline.csvio import CsvImportError
    from brightline.governance.hris import import_hris_events
    from brightline.governance.models import HrisEvent

    with pytest.raises(CsvImportError) as raised:
        import_hris_events((EVENTS + bad_line + "\n").encode(), actor=personas.pia)
    assert any(message in error.reason for error in raised.value.errors)
    assert HrisEvent.objects.count() == 0 and "fairness.hris_events.imported" not in audit_actions()


def test_hris_events_import_from_the_command_line(personas, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS)
    out = io.StringIO()
    call_command("import", "hris-events", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 3


@pytest.mark.parametrize("persona", ["erin", "mo", "lee", "oscar"])
def test_only_people_partners_import_hris_events(personas, persona):
    from brightline.governance.hris import import_hris_events

    with pytest.raises(PermissionError):
        import_hris_events(EVENTS.encode(), actor=getattr(personas, persona))


def test_promotion_velocity_uses_the_core_with_suppression(personas, organisation, ladder):
    import datetime as dt

    from brightline.governance.hris import import_hris_events
    from brightline.governance.system_health import promotion_velocity

    people = make_people(organisation, ladder, personas.mo, [Member(f"P{i}", "alpha") for i in range(6)])
    lines = ["employee_id,event,date,from_level,to_level"]
    lines += [f"{p.employee_id},promoted,2021-{i + 1:02d}-01,IC1,IC2" for i, p in enumerate(people)]
    import_hris_events(("\n".join(lines) + "\n").encode(), actor=personas.pia)
    report = promotion_velocity(min_cohort=5)
    ic1 = next(level for level in report.levels if level.level == "IC1")
    assert ic1.promotions == 6
    expected = sorted((dt.date(2021, i + 1, 1) - dt.date(2020, 1, 1)).days / 30.436875 for i in range(6))
    assert ic1.median_months == pytest.approx((expected[2] + expected[3]) / 2)


def test_manager_quality_shows_the_calibration_lean_only_with_enough_proposals(personas, client_for, organisation,
                                                                              ladder):
    members = [Member(f"R{i}", "alpha", outcome="meets", proposed="exceeds") for i in range(3)]
    people = make_people(organisation, ladder, personas.mo, members)
    decided_cycle(people, members)
    response = client_for(personas.mo).get(f"/governance/managers/{personas.mo.pk}/")
    quality = response.context["quality"]
    # 3 people × 4 dimensions = 12 proposals, every one lowered: a significant lean.
    assert quality.movement.down == 12 and quality.movement.lean == "lenient"
    assert "Calibration lowers these proposals more often than chance" in response.content.decode()
    assert quality.timeliness.assessments_on_time == 3


def test_system_health_page_reads_calibration_and_withholds_few_leavers(personas, client_for, organisation, ladder):
    from brightline.governance.hris import import_hris_events

    members = [Member(f"R{i}", "alpha", outcome="meets", proposed="exceeds" if i < 2 else "") for i in range(6)]
    people = make_people(organisation, ladder, personas.mo, members)
    decided_cycle(people, members)
    import_hris_events(EVENTS.encode(), actor=personas.pia)
    response = client_for(personas.lee).get("/governance/system-health/")
    calibration = response.context["calibration"]
    assert (calibration.n, calibration.changed) == (24, 8)
    page = response.content.decode()
    assert "Fewer than 5 leavers: counts withheld." in page
    assert "(33.3 %, 95% interval " in page  # the change rate as a percentage, not a fraction
    # Eight of 24 proposals lowered one step, all of two people: the spread is computed in rating steps (a standard
    # deviation), but neither it nor the direction reaches the page, which would point at those two people.
    assert calibration.shift_spread == pytest.approx((48 / 9 / 23) ** 0.5)
    for url in ("/governance/system-health/", "/governance/leadership/"):
        page = client_for(personas.lee).get(url).content.decode()
        assert "Changed 8 of 24 proposed outcomes" in page, url
        assert "Which way they moved, and how far, is withheld: the changes concern fewer than 3 people" in page, url
        assert "-0.33" not in page and "0.48" not in page and "On average" not in page, url
        assert "variance" not in page.lower() and "steps²" not in page, url


def test_calibration_figures_of_a_cycle_below_the_minimum_cohort_are_withheld(personas, client_for, organisation,
                                                                               ladder):
    from brightline.policy.services import update_policy

    update_policy(actor=personas.pia, reason="larger cohorts for this organisation", min_cohort_size=8)
    # 7 people: 28 proposals, but the figure is about 7 people, one fewer than the minimum.
    members = [Member(f"R{i}", "alpha", outcome="meets", proposed="exceeds" if i < 2 else "") for i in range(7)]
    decided_cycle(make_people(organisation, ladder, personas.mo, members), members)
    for url in ("/governance/system-health/", "/governance/leadership/"):
        response = client_for(personas.lee).get(url)
        page = response.content.decode()
        assert "Changed 8 of 28" not in page, url
        assert "Withheld: this cycle's calibration figures rest on fewer than 8 people" in page, url
    brief = " ".join(sentence.text for sentence in response.context["view"].brief)
    assert "Calibration changed" not in brief
    api = client_for(personas.lee).get("/api/governance/leadership").json()
    assert api["calibration"] is None and api["calibration_withheld"] is True


def test_system_health_shows_attrition_rates_as_percentages_and_withheld_teams_on_one_row(
        personas, client_for, organisation, ladder):
    from brightline.governance.hris import import_hris_events

    make_people(organisation, ladder, personas.mo, [Member(f"R{i}", "alpha") for i in range(6)])
    leavers = "".join(f"X-{i},left,{timezone.localdate() - dt.timedelta(days=10 + i)},{'yes' if i < 2 else ''},"
                      f"{'payments' if i < 5 else 'platform'},,,\n" for i in range(6))
    import_hris_events((EVENTS.split("\n")[0] + "\n" + leavers).encode(), actor=personas.pia)
    response = client_for(personas.lee).get("/governance/system-health/")
    audit = response.context["attrition"].audit
    assert audit is not None and audit.groups and audit.suppressed
    page = response.content.decode()
    table = page[page.index('id="attrition-teams"'):]
    table = table[:table.index("</table>")]
    rates = re.findall(r"<td(?: class=\"num\")?>([^<]*%)</td></tr>", table)
    # A team with 1 or 2 regretted leavers is a small cell: "fewer than 3", never its count or rate.
    small = [group for group in audit.groups if 0 < group.favourable < 3]
    assert small and len(rates) == len(audit.groups) - len(small) and not re.search(r"<td>0\.\d{3}</td>", table)
    assert table.count("<td>fewer than 3</td>") == len(small) and "25.0 %" not in table
    assert table.count("withheld (fewer than") == 1
