"""``brightline import people``: validate everything first, then write everything or nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from brightline.audit.models import AuditEntry
from brightline.people import importer
from brightline.people.models import Person, Team

pytestmark = pytest.mark.django_db

HEADER = "employee_id,name,email,manager_id,team,level,timezone,start_date,work_modality"
GOOD_ROWS = [
    "100,Ana Lima,ana@example.org,,Platform,M2,Europe/Lisbon,2019-03-01,hybrid",
    "101,Ben Cole,Ben@Example.org,100,Platform,IC3,America/New_York,2021-06-14,remote",
    "102,Chidi Obi,chidi@example.org,100,Payments,IC2,Africa/Lagos,2023-01-09,onsite",
    "103,Dara Kim,dara@example.org,101,Platform,IC1,Asia/Seoul,,",
]


def write_csv(tmp_path: Path, rows: list[str], *, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path = tmp_path / "people.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def run_import(path: Path, *args: str) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("import", "people", str(path), "--json", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, json.loads(out.getvalue())


def snapshot() -> tuple[int, int, int]:
    return Person.objects.count(), Team.objects.count(), AuditEntry.objects.count()


def test_it_imports_people_teams_and_reporting_lines(tmp_path, ladder, organisation):
    code, result = run_import(write_csv(tmp_path, GOOD_ROWS))
    assert code == 0
    assert (result["created"], result["updated"], result["unchanged"]) == (4, 0, 0)
    assert sorted(result["teams_created"]) == ["payments", "platform"]
    ben = Person.objects.get(employee_id="101")
    assert ben.email == "ben@example.org"  # emails are case-folded identities
    assert ben.manager.employee_id == "100" and ben.level.code == "IC3" and ben.team.slug == "platform"
    assert Person.objects.get(employee_id="103").manager.employee_id == "101"
    assert AuditEntry.objects.filter(action="people.person.created").count() == 4


def test_re_importing_the_same_file_changes_nothing(tmp_path, ladder, organisation):
    path = write_csv(tmp_path, GOOD_ROWS)
    run_import(path)
    before = snapshot()
    code, result = run_import(path)
    assert code == 0
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 4)
    assert snapshot() == before


def test_a_changed_manager_and_level_is_an_audited_update(tmp_path, ladder, organisation):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    changed = GOOD_ROWS[:3] + ["103,Dara Kim,dara@example.org,100,Platform,IC2,Asia/Seoul,,"]
    code, result = run_import(write_csv(tmp_path, changed))
    assert code == 0 and result["updated"] == 1
    assert result["changes"]["103"] == {"manager": {"from": "101", "to": "100"}, "level": {"from": "IC1", "to": "IC2"}}
    entry = AuditEntry.objects.filter(action="people.person.updated").get()
    assert entry.data["changes"]["manager"] == {"from": "101", "to": "100"}
    assert entry.subject_person_id == Person.objects.get(employee_id="103").pk
    assert entry.actor_label.startswith("cli")


def test_a_dry_run_reports_and_writes_nothing(tmp_path, ladder, organisation):
    before = snapshot()
    code, result = run_import(write_csv(tmp_path, GOOD_ROWS), "--dry-run")
    assert code == 0 and result["dry_run"] is True and result["created"] == 4
    assert snapshot() == before


def assert_refused(path: Path, *expected: tuple[int, str]) -> None:
    before = snapshot()
    code, result = run_import(path)
    assert code == 1
    assert snapshot() == before, "a refused import must write nothing"
    found = [(error["line"], error["reason"]) for error in result["errors"]]
    for line, reason in expected:
        assert (line, reason) in found, found


def test_missing_columns_are_named(tmp_path, ladder, organisation):
    path = write_csv(tmp_path, ["100,Ana,ana@example.org"], header="employee_id,name,email")
    assert_refused(path, (1, importer.ERR_MISSING_COLUMNS.format(
        missing="manager_id, team, level, timezone, start_date", found="employee_id, name, email")))


def test_an_unknown_manager_is_refused_with_its_line(tmp_path, ladder, organisation):
    rows = [*GOOD_ROWS, "104,Eve Ng,eve@example.org,999,Platform,IC2,UTC,,"]
    assert_refused(write_csv(tmp_path, rows), (6, importer.ERR_UNKNOWN_MANAGER.format(value="999")))


def test_a_cycle_in_the_reporting_chain_is_refused(tmp_path, ladder, organisation):
    rows = [
        "200,Ana,a@example.org,202,Platform,IC3,UTC,,",
        "201,Ben,b@example.org,200,Platform,IC3,UTC,,",
        "202,Cat,c@example.org,201,Platform,IC3,UTC,,",
        "203,Dan,d@example.org,200,Platform,IC3,UTC,,",
    ]
    before = snapshot()
    code, result = run_import(write_csv(tmp_path, rows))
    assert code == 1 and snapshot() == before
    cycle_lines = sorted(error["line"] for error in result["errors"] if "loops" in error["reason"])
    assert cycle_lines == [2, 3, 4]  # the three people in the loop; Dan only hangs below it


def test_a_cycle_through_people_already_in_brightline_is_refused(tmp_path, ladder, organisation):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    # Ana (100) now reports to Dara (103), who reports to Ben (101), who reports to Ana.
    rows = ["100,Ana Lima,ana@example.org,103,Platform,M2,Europe/Lisbon,2019-03-01,hybrid"]
    before = snapshot()
    code, result = run_import(write_csv(tmp_path, rows))
    assert code == 1 and snapshot() == before
    assert "loops" in result["errors"][0]["reason"]


def test_duplicate_emails_are_refused_whatever_their_case(tmp_path, ladder, organisation):
    rows = [*GOOD_ROWS, "104,Ana Again,ANA@example.org,,Platform,IC2,UTC,,"]
    assert_refused(write_csv(tmp_path, rows), (6, importer.ERR_DUPLICATE_EMAIL.format(value="ana@example.org",
                                                                                       other=2)))


def test_duplicate_employee_ids_are_refused(tmp_path, ladder, organisation):
    rows = [*GOOD_ROWS, "101,Ben Twin,ben2@example.org,,Platform,IC2,UTC,,"]
    assert_refused(write_csv(tmp_path, rows), (6, importer.ERR_DUPLICATE_ID.format(value="101", other=3)))


def test_an_email_owned_by_another_existing_person_is_refused(tmp_path, ladder, organisation):
    run_import(write_csv(tmp_path, GOOD_ROWS))
    rows = ["300,Impostor,ana@example.org,,Platform,IC2,UTC,,"]
    assert_refused(write_csv(tmp_path, rows), (2, importer.ERR_EMAIL_TAKEN.format(value="ana@example.org",
                                                                                   other="100")))


def test_a_file_that_is_not_utf8_is_refused(tmp_path, ladder, organisation):
    path = write_csv(tmp_path, ["100,Zoë Ström,zoe@example.org,,Platform,IC2,UTC,,"], encoding="latin-1")
    before = snapshot()
    code, result = run_import(path)
    assert code == 1 and snapshot() == before
    assert result["errors"][0]["reason"].startswith("the file is not UTF-8")


def test_an_empty_file_is_refused(tmp_path, ladder, organisation):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, result = run_import(path)
    assert code == 1
    assert result["errors"] == [{"line": 0, "reason": importer.ERR_EMPTY.format(
        columns=", ".join(importer.REQUIRED_COLUMNS))}]


def test_a_header_without_rows_is_refused(tmp_path, ladder, organisation):
    assert_refused(write_csv(tmp_path, []), (1, importer.ERR_NO_ROWS))


def test_every_bad_row_is_reported_not_just_the_first(tmp_path, ladder, organisation):
    rows = [
        "100,Ana,ana@example.org,,Platform,IC9,UTC,,",
        "101,Ben,not-an-email,,Platform,IC2,Mars/Olympus,2021-13-01,",
        "102,,c@example.org,,Platform,IC2,UTC,,sometimes",
    ]
    assert_refused(
        write_csv(tmp_path, rows),
        (3, importer.ERR_BAD_EMAIL.format(value="not-an-email")),
        (3, importer.ERR_BAD_TIMEZONE.format(value="Mars/Olympus")),
        (3, importer.ERR_BAD_DATE.format(column="start_date", value="2021-13-01")),
        (4, importer.ERR_REQUIRED.format(column="name")),
        (4, importer.ERR_BAD_MODALITY.format(value="sometimes", choices="onsite, hybrid, remote, unspecified")),
    )
    code, result = run_import(write_csv(tmp_path, rows))
    assert any(error["line"] == 2 and error["reason"].startswith("level 'IC9' is not a level")
               for error in result["errors"])


def test_a_failure_while_writing_rolls_everything_back(tmp_path, ladder, organisation, monkeypatch):
    real_log_actions = importer.log_actions

    def failing_log_actions(*args, **kwargs):
        # The people and the audit entries are written; the failure comes last.
        real_log_actions(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "log_actions", failing_log_actions)
    before = snapshot()
    with pytest.raises(RuntimeError):
        importer.import_people(write_csv(tmp_path, GOOD_ROWS).read_bytes(), organisation=organisation)
    assert snapshot() == before


def test_a_missing_file_is_a_clear_error(tmp_path, ladder, organisation):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "people", str(tmp_path / "nope.csv"))


def test_an_import_writes_a_verifiable_chain_findable_per_person_and_moves_reporting_lines(tmp_path, ladder,
                                                                                          organisation):
    from brightline import access
    from brightline.audit.services import verify_chain

    importer.import_people(write_csv(tmp_path, GOOD_ROWS).read_bytes(), organisation=organisation)
    assert verify_chain().ok
    dara = Person.objects.get(employee_id="103")
    assert AuditEntry.objects.filter(subject_person_id=dara.pk, action="people.person.created").count() == 1
    ana, ben = Person.objects.get(employee_id="100"), Person.objects.get(employee_id="101")
    assert access.manages(ana, dara) and access.manages(ben, dara)
    moved = [row.replace(",101,Platform,IC1", ",102,Payments,IC1") if row.startswith("103,") else row
             for row in GOOD_ROWS]
    importer.import_people(write_csv(tmp_path, moved).read_bytes(), organisation=organisation)
    assert verify_chain().ok
    chidi = Person.objects.get(employee_id="102")
    assert access.manages(chidi, dara) and access.manages(ana, dara) and not access.manages(ben, dara)
    assert AuditEntry.objects.filter(subject_person_id=dara.pk, action="people.person.updated").count() == 1
