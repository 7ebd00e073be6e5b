"""Time off (A5): the CSV import (all or nothing, policy-gated), team health aggregates with suppression,
who sees what, retention, and the rule that time off is never performance evidence."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.csvio import CsvImportError
from brightline.evidence import timeoff
from brightline.evidence.models import TimeOff
from brightline.people.models import Identity
from brightline.policy.services import get_policy, update_policy

pytestmark = pytest.mark.django_db

HEADER = "person,start_date,end_date,kind\n"
TODAY = timezone.localdate()


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def days_ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def pto_allowed(personas):
    update_policy(actor=personas.pia, reason="time off for team health",
                  allowed_sources=[*get_policy().allowed_sources, "pto"])


def errors_of(raw: bytes, **options) -> list[tuple[int, str]]:
    with pytest.raises(CsvImportError) as raised:
        timeoff.import_time_off(raw, actor=options.pop("actor"), **options)
    return [(error.line, error.reason) for error in raised.value.errors]


# ------------------------------------------------------------------------------------------- import


def test_a_people_partner_imports_time_off_by_employee_id_or_work_email(personas, pto_allowed):
    raw = csv(f"E-erin,{days_ago(40)},{days_ago(36)},vacation",
              f"PAT@example.org,{days_ago(10)},{days_ago(10)},sick",
              f"E-mo,{days_ago(200)},{days_ago(120)},Parental")
    result = timeoff.import_time_off(raw, actor=personas.pia)
    assert (result.rows, result.people, result.created, result.unchanged) == (3, 3, 3, 0)
    assert result.by_kind == {"parental": 1, "sick": 1, "vacation": 1}
    stored = {(row.person_id, row.kind) for row in TimeOff.objects.all()}
    assert stored == {(personas.erin.pk, "vacation"), (personas.pat.pk, "sick"), (personas.mo.pk, "parental")}
    entry = AuditEntry.objects.get(action="evidence.time_off.imported")
    assert entry.actor_id == personas.pia.pk
    # Counts only: the audit trail never records a date or a reason for leave.
    assert entry.data == {"rows": 3, "people": 3, "created": 3, "updated": 0, "unchanged": 0, "removed": 0,
                          "replace": False}

    again = timeoff.import_time_off(raw, actor=personas.pia)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3) and TimeOff.objects.count() == 3


def test_an_email_alias_resolves_like_identity_resolution_does(personas, pto_allowed):
    Identity.objects.create(person=personas.erin, kind="email", value="erin.o@old-domain.example")
    timeoff.import_time_off(csv(f"Erin.O@old-domain.example,{days_ago(5)},{days_ago(3)},other"), actor=personas.pia)
    assert TimeOff.objects.get().person_id == personas.erin.pk


def test_the_same_range_with_another_kind_is_updated(personas, pto_allowed):
    timeoff.import_time_off(csv(f"E-erin,{days_ago(5)},{days_ago(3)},other"), actor=personas.pia)
    result = timeoff.import_time_off(csv(f"E-erin,{days_ago(5)},{days_ago(3)},sick"), actor=personas.pia)
    assert (result.created, result.updated) == (0, 1) and TimeOff.objects.get().kind == "sick"


def test_a_dry_run_reports_and_writes_nothing(personas, pto_allowed):
    result = timeoff.import_time_off(csv(f"E-erin,{days_ago(5)},{days_ago(3)},vacation"), actor=personas.pia,
                                     dry_run=True)
    assert result.created == 1 and not TimeOff.objects.exists()
    assert not AuditEntry.objects.filter(action="evidence.time_off.imported").exists()


@pytest.mark.parametrize(("row", "reason"), [
    (f"E-erin,{days_ago(3)},{days_ago(5)},vacation",
     timeoff.ERR_REVERSED.format(start=days_ago(3), end=days_ago(5))),
    (f"E-nobody,{days_ago(5)},{days_ago(3)},vacation", timeoff.ERR_UNKNOWN_PERSON.format(value="E-nobody")),
    (f"nobody@example.org,{days_ago(5)},{days_ago(3)},vacation",
     timeoff.ERR_UNKNOWN_PERSON.format(value="nobody@example.org")),
    (f"E-erin,03/10/2026,{days_ago(3)},vacation",
     timeoff.ERR_BAD_DATE.format(column="start_date", value="03/10/2026")),
    (f"E-erin,{days_ago(5)},soon,vacation", timeoff.ERR_BAD_DATE.format(column="end_date", value="soon")),
    (f"E-erin,{days_ago(5)},{days_ago(3)},sabbatical",
     timeoff.ERR_BAD_KIND.format(value="sabbatical", kinds="vacation, sick, parental, other")),
    (f",{days_ago(5)},{days_ago(3)},vacation", timeoff.ERR_REQUIRED.format(column="person")),
    (f"E-erin,,{days_ago(3)},vacation", timeoff.ERR_REQUIRED.format(column="start_date")),
    (f"E-erin,{days_ago(5)},{days_ago(3)},", timeoff.ERR_REQUIRED.format(column="kind")),
])
def test_a_bad_row_refuses_the_whole_file(personas, pto_allowed, row, reason):
    good = f"E-pat,{days_ago(20)},{days_ago(18)},vacation"
    assert errors_of(csv(good, row), actor=personas.pia) == [(3, reason)]
    assert not TimeOff.objects.exists()
    assert not AuditEntry.objects.filter(action="evidence.time_off.imported").exists()


def test_overlapping_ranges_of_one_person_in_the_file_are_refused(personas, pto_allowed):
    raw = csv(f"E-erin,{days_ago(20)},{days_ago(10)},vacation",
              f"E-pat,{days_ago(15)},{days_ago(12)},vacation",  # someone else: fine
              f"E-erin,{days_ago(10)},{days_ago(8)},sick",  # shares one day with line 2
              f"E-erin,{days_ago(7)},{days_ago(6)},sick")  # touches, shares none: fine
    assert errors_of(raw, actor=personas.pia) == [(4, timeoff.ERR_OVERLAP_IN_FILE.format(
        start=days_ago(10), end=days_ago(8), other_start=days_ago(20), other_end=days_ago(10), other=2))]
    assert not TimeOff.objects.exists()


def test_a_repeated_row_is_an_overlap(personas, pto_allowed):
    row = f"E-erin,{days_ago(20)},{days_ago(10)},vacation"
    assert [line for line, _reason in errors_of(csv(row, row), actor=personas.pia)] == [3]


def test_a_range_overlapping_stored_time_off_is_refused_unless_replacing(personas, pto_allowed):
    timeoff.import_time_off(csv(f"E-erin,{days_ago(20)},{days_ago(10)},vacation",
                                f"E-pat,{days_ago(50)},{days_ago(40)},vacation"), actor=personas.pia)
    corrected = csv(f"E-erin,{days_ago(20)},{days_ago(14)},vacation", f"E-mo,{days_ago(3)},{days_ago(1)},sick")
    assert errors_of(corrected, actor=personas.pia) == [(2, timeoff.ERR_OVERLAP_STORED.format(
        start=days_ago(20), end=days_ago(14), other_start=days_ago(20), other_end=days_ago(10)))]
    assert TimeOff.objects.count() == 2  # nothing written, Mo's row included

    result = timeoff.import_time_off(corrected, actor=personas.pia, replace=True)
    assert (result.created, result.removed) == (2, 1)
    erin = TimeOff.objects.get(person=personas.erin)
    assert erin.end_date.isoformat() == days_ago(14)
    assert TimeOff.objects.filter(person=personas.pat).exists()  # not named in the file: kept


def test_header_problems_are_reported_on_line_1(personas, pto_allowed):
    errors = errors_of(b"person,start_date,end_date\nE-erin,2026-01-01,2026-01-02\n", actor=personas.pia)
    assert errors[0][0] == 1 and "kind" in errors[0][1]
    errors = errors_of(b"person,start_date,end_date,kind,reason\nE-erin,2026-01-01,2026-01-02,sick,flu\n",
                       actor=personas.pia)
    assert errors[0][0] == 1 and "reason" in errors[0][1]


def test_the_import_needs_the_pto_source_on_the_allow_list(personas):
    assert "pto" not in get_policy().allowed_sources  # off by default: least data
    assert errors_of(csv(f"E-erin,{days_ago(5)},{days_ago(3)},vacation"), actor=personas.pia) == [
        (0, timeoff.ERR_SOURCE_OFF)]
    assert not TimeOff.objects.exists()


def test_only_people_partners_import_time_off(personas, pto_allowed):
    for person in (personas.mo, personas.erin, personas.lee):
        with pytest.raises(PermissionError, match=timeoff.ERR_NOT_ALLOWED):
            timeoff.import_time_off(csv(f"E-erin,{days_ago(5)},{days_ago(3)},vacation"), actor=person)
    assert not TimeOff.objects.exists()


def test_the_command_imports_and_reports_problems(personas, pto_allowed, tmp_path: Path):
    good = tmp_path / "pto.csv"
    good.write_bytes(csv(f"E-erin,{days_ago(5)},{days_ago(3)},vacation"))
    out = io.StringIO()
    call_command("import", "pto", str(good), stdout=out)
    assert out.getvalue().strip() == "Imported 1 time-off ranges of 1 people: 1 new, 0 updated, 0 unchanged."
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv(f"E-erin,{days_ago(3)},{days_ago(5)},vacation"))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import", "pto", str(bad), "--json", stdout=(out := io.StringIO()), stderr=err)
    assert exited.value.code == 1
    assert json.loads(out.getvalue())["errors"] == [
        {"line": 2, "reason": timeoff.ERR_REVERSED.format(start=days_ago(3), end=days_ago(5))}]
    assert TimeOff.objects.count() == 1


# --------------------------------------------------------------------------------------- team health


def health_page(client_for, viewer, team="payments") -> tuple[int, str]:
    response = client_for(viewer).get(f"/evidence/teams/{team}/health/")
    return response.status_code, response.content.decode()


@pytest.fixture
def payments_time_off(personas, pto_allowed):
    timeoff.import_time_off(csv(f"E-erin,{days_ago(146)},{days_ago(142)},parental",
                                f"E-pat,{days_ago(30)},{days_ago(26)},sick"), actor=personas.pia)


def test_the_team_page_shows_aggregates_without_names_kinds_or_dates(personas, client_for, payments_time_off):
    from brightline.evidence.models import Page, Service

    update_policy(actor=personas.pia, reason="three-person teams", min_cohort_size=3)
    service = Service.objects.create(name="payments-api", team=personas.erin.team)
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    for number, (person, days) in enumerate(((personas.pat, 28), (personas.erin, 28))):  # Pat's day off
        Page.objects.create(service=service, person=person, paged_at=noon - dt.timedelta(days=days), source="test",
                            external_id=f"page-{number}")
    for viewer in (personas.erin, personas.pat, personas.mo, personas.pia, personas.lee):
        status, page = health_page(client_for, viewer)
        assert status == 200
        section = page.split('<section id="time-off">', 1)[1].split("</section>", 1)[0]
        assert "Members with no time off in the last 90 days" in section
        assert "Pages that reached someone on their time off</th><td>1 of 2" in section
        assert "What this cannot tell you" in section
        for private in ("parental", "Parental", "sick", "Sick", days_ago(146), days_ago(30), "Erin", "Pat"):
            assert private not in section, (viewer, private)
        if viewer == personas.mo:  # the after-hours detail names Mo's reports, outside the time-off section
            assert "Erin Employee" in page and "Pat Peer" in page


def test_the_team_page_withholds_time_off_below_the_minimum_cohort(personas, client_for, payments_time_off):
    status, page = health_page(client_for, personas.mo)  # three members, the default minimum is five
    assert status == 200
    assert "Withheld: 3 members of this team were employed for the whole 180 days" in page
    assert "Members with no time off" not in page


def test_without_an_import_the_page_says_so_rather_than_no_rest(personas, client_for, pto_allowed):
    update_policy(actor=personas.pia, reason="three-person teams", min_cohort_size=3)
    status, page = health_page(client_for, personas.mo)
    assert status == 200 and "No time off has been imported" in page
    assert "Members with no time off" not in page


def test_outsiders_do_not_see_team_health(personas, client_for, payments_time_off):
    assert health_page(client_for, personas.oscar)[0] == 403


def test_only_the_person_sees_their_own_time_off_on_their_page(personas, client_for, payments_time_off):
    start = TODAY - dt.timedelta(days=30)
    in_words = f"{start.day} {start:%b %Y}"
    own = client_for(personas.pat).get(f"/people/{personas.pat.pk}/").content.decode()
    assert "Your time off" in own and "Sick leave" in own and in_words in own and days_ago(30) not in own
    for viewer in (personas.mo, personas.pia):
        page = client_for(viewer).get(f"/people/{personas.pat.pk}/").content.decode()
        assert "Your time off" not in page and "Sick leave" not in page and in_words not in page


def test_the_data_inventory_lists_time_off_with_its_retention(personas, client_for):
    page = client_for(personas.erin).get("/data-use/").content.decode()
    assert "Time off from the HR system (imported)" in page
    row = re.search(r"<tr><td>Time off from the HR system.*?</tr>", page, re.S).group(0)
    assert "365 days" in row and "not collected" in row


def test_the_retention_purge_deletes_time_off_past_its_period(personas, payments_time_off):
    from brightline.operations import retention

    now = timezone.now()
    old = TimeOff.objects.create(person=personas.mo, start_date=TODAY - dt.timedelta(days=400),
                                 end_date=TODAY - dt.timedelta(days=380), kind="vacation")
    result = {category.category: category for category in retention.purge_expired_data(now=now).categories}
    assert (result["pto"].period_days, result["pto"].deleted) == (365, 1)
    assert not TimeOff.objects.filter(pk=old.pk).exists() and TimeOff.objects.count() == 2


# ------------------------------------------------------------------- never performance evidence


PERFORMANCE_PACKAGES = ("reviews", "insights", "support", "feedback", "core/insights", "core/narrative")


def test_no_review_packet_or_insights_code_reads_time_off():
    import brightline

    root = Path(brightline.__file__).parent
    readers = [str(path.relative_to(root)) for package in PERFORMANCE_PACKAGES
               for path in (root / package).rglob("*.py")
               if re.search(r"TimeOff|evidence\.timeoff|\btime_off\b|summarise_team_time_off", path.read_text())]
    assert readers == []


def test_time_off_cannot_be_cited_in_a_packet():
    from brightline.reviews.packet_items import KIND_MODELS, CitationError, parse_reference

    assert ("evidence", "TimeOff") not in KIND_MODELS.values()
    with pytest.raises(CitationError):
        parse_reference(f"time_off:{1}")


def test_a_review_packet_carries_no_time_off(personas, payments_time_off):
    from brightline.reviews.models import Phase
    from brightline.reviews.packet import build_packet
    from tests.reviews_helpers import advance_to, assess, open_payments_cycle, review_of, train

    train(personas.mo)
    cycle = advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    review = assess(review_of(cycle, personas.erin), personas.mo, submit=False)
    packet = json.dumps(build_packet(review).to_json(), default=str).lower()
    for trace in ("parental", "time off", "time_off", days_ago(146), days_ago(142), "leave"):
        assert trace not in packet, trace
