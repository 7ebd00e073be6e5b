"""Imports at scale: the bulk people import gives what importing one row at a time gives, re-importing writes
nothing, a bad row anywhere writes nothing, and the audit chain stays verifiable (issue 19, item 6)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from brightline.audit.models import AuditCheckpoint, AuditEntry
from brightline.audit.services import verify_all
from brightline.csvio import CsvImportError
from brightline.evidence.models import Deployment, Incident, Page, Remediation, Service
from brightline.evidence.sources.events import import_events, parse_event_file
from brightline.evidence.sources.events.importer import STAGE_PREFIX
from brightline.people.importer import PeopleImportError, import_people
from brightline.people.models import Person, RoleChange, Team

pytestmark = pytest.mark.django_db

HEADER = "employee_id,name,email,manager_id,team,level,timezone,start_date"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def organisation_rows(tag: str) -> list[str]:
    """A small organisation, top down: 1 CEO, 3 VPs, 6 directors, 12 managers, 40 engineers (62 rows)."""
    rows = [f"{tag}1,Chief {tag},{tag.lower()}1@example.org,,{tag} Office,M3,UTC,2020-01-01"]
    layers, number = [[f"{tag}1"]], 1
    for count, level in ((3, "M3"), (6, "M2"), (12, "M1"), (40, "IC2")):
        made = []
        for index in range(count):
            number += 1
            manager = layers[-1][index % len(layers[-1])]
            team = f"{tag} Team {manager}" if level == "IC2" else f"{tag} Lead {manager}"
            rows.append(f"{tag}{number},Person {tag} {number},{tag.lower()}{number}@example.org,{manager},{team},"
                        f"{level},Europe/Berlin,2024-01-15")
            made.append(f"{tag}{number}")
        layers.append(made)
    return rows


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def what_each_person_has(tag: str) -> dict[str, object]:
    """Everything the import left about the ``tag`` people, with ids and the tag written neutrally."""
    people = {person.pk: person for person in Person.objects.filter(employee_id__startswith=tag)}
    employee_id = {pk: person.employee_id for pk, person in people.items()}

    def neutral(value: object) -> object:
        text = json.dumps(value, sort_keys=True, default=str)
        return json.loads(text.replace(tag, "T").replace(tag.lower(), "t"))

    record: dict[str, object] = {}
    for pk, person in people.items():
        line = [employee_id[int(part)] for part in person.chain_path.strip("/").split("/")]
        entries = [(entry.action, entry.data, entry.actor_label) for entry in
                   AuditEntry.objects.filter(subject_person_id=pk).order_by("seq")]
        changes = [(change.field, employee_id.get(int(change.from_value)) if change.from_value else "",
                    employee_id.get(int(change.to_value)) if change.to_value else "", change.to_label, change.status,
                    change.source) for change in RoleChange.objects.filter(person=person).order_by("pk")]
        user = person.user
        record[neutral(person.employee_id)] = neutral({
            "fields": [person.name, person.email, person.team.name, person.level.code, person.timezone,
                       person.start_date, person.is_active],
            "manager": employee_id.get(person.manager_id), "line": line, "audit": entries, "role_changes": changes,
            "login": [user.username, user.email, user.first_name, user.last_name, user.is_active,
                      user.has_usable_password()]})
    return record


def writes_during(action) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        action()
    return [query["sql"] for query in queries.captured_queries if WRITES.match(query["sql"])]


def counts() -> tuple[int, ...]:
    return (Person.objects.count(), Team.objects.count(), get_user_model().objects.count(),
            AuditEntry.objects.count(), RoleChange.objects.count(), AuditCheckpoint.objects.count())


@override_settings(AUDIT_CHECKPOINT_EVERY=7)
def test_the_bulk_import_gives_what_importing_one_row_at_a_time_gives(ladder, organisation):
    # One row per import, managers first: the old path's result, one round trip at a time.
    for row in organisation_rows("QB"):
        import_people(csv_bytes([row]), organisation=organisation, actor_label="cli:test")
    # The whole file at once, reports listed before their managers.
    result = import_people(csv_bytes(list(reversed(organisation_rows("QA")))), organisation=organisation,
                           actor_label="cli:test")
    assert len(result.created) == 62 and len(result.logins_created) == 62
    bulk, one_by_one = what_each_person_has("QA"), what_each_person_has("QB")
    assert bulk == one_by_one
    ceo_line = bulk["T1"]["line"]  # type: ignore[index]
    assert ceo_line == ["T1"] and bulk["T62"]["line"][0] == "T1"  # type: ignore[index]
    assert [action for action, _data, _label in bulk["T62"]["audit"]] == [  # type: ignore[index]
        "people.person.created", "people.login.created"]
    assert verify_all().ok


@override_settings(AUDIT_CHECKPOINT_EVERY=5)
def test_a_re_import_writes_nothing_and_a_change_is_written_and_verifiable(ladder, organisation):
    rows = organisation_rows("QA")
    import_people(csv_bytes(rows), organisation=organisation, actor_label="cli:test")
    before = counts()
    assert writes_during(lambda: import_people(csv_bytes(rows), organisation=organisation,
                                               actor_label="cli:test")) == []
    assert counts() == before
    # Two engineers move to another manager and one of them changes level: two updates, two manager changes.
    # (QA61 reports to QA13 and QA62 to QA14.)
    moved = [row.replace(",QA14,", ",QA11,").replace(",IC2,", ",IC3,") if row.startswith("QA62,") else
             row.replace(",QA13,", ",QA11,") if row.startswith("QA61,") else row for row in rows]
    result = import_people(csv_bytes(moved), organisation=organisation, actor_label="cli:test")
    assert sorted(result.updated) == ["QA61", "QA62"]
    assert result.updated["QA62"]["level"] == {"from": "IC2", "to": "IC3"}
    mover = Person.objects.get(employee_id="QA62")
    manager = Person.objects.get(employee_id="QA11")
    assert mover.manager == manager and mover.chain_path == f"{manager.chain_path}{mover.pk}/"
    assert [entry.data["changes"]["manager"] for entry in
            AuditEntry.objects.filter(subject_person_id=mover.pk, action="people.person.updated")] == [
        {"from": "QA14", "to": "QA11"}]
    assert RoleChange.objects.filter(person=mover, to_value=str(manager.pk)).count() == 1
    check = verify_all()
    assert check.ok, check.audit.reason


@pytest.mark.parametrize("where", [0, 31, 61])
def test_an_invalid_row_anywhere_writes_nothing(ladder, organisation, where):
    rows = organisation_rows("QA")
    rows[where] = rows[where].replace("@example.org", "@@example")
    before = counts()
    with pytest.raises(PeopleImportError) as raised:
        import_people(csv_bytes(rows), organisation=organisation, actor_label="cli:test")
    assert raised.value.errors[0].line == where + 2  # (without the CEO, their reports' manager is unknown too)
    assert "is not a valid address" in raised.value.errors[0].reason
    assert counts() == before


def test_a_file_is_read_as_it_goes_and_a_late_undecodable_byte_names_its_line_and_column(
        tmp_path: Path, ladder, organisation):
    rows = organisation_rows("QA")
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(rows[:-1]) + rows[-1].replace("Person", "Pers\xf6n").encode("latin-1") + b"\n")
    out = io.StringIO()
    before = counts()
    with pytest.raises(SystemExit):
        call_command("import", "people", str(path), "--json", stdout=out)
    assert counts() == before
    [error] = json.loads(out.getvalue())["errors"]
    assert error["line"] == 63
    assert error["reason"].startswith("the file is not UTF-8 text from line 63, column ")
    column = int(error["reason"].split("column ")[1].split(" ")[0])
    assert rows[-1][:column - 1].endswith("Pers")
    # The same file, fixed, imported from an open handle.
    path.write_bytes(csv_bytes(rows))
    with path.open("rb") as handle:
        result = import_people(handle, organisation=organisation, actor_label="cli:test")
    assert len(result.created) == 62


def test_a_streamed_csv_reports_a_malformed_record_with_its_line(ladder, organisation):
    rows = organisation_rows("QA")
    rows[40] = rows[40] + ',"unterminated'
    with pytest.raises(PeopleImportError) as raised:
        import_people(io.BytesIO(csv_bytes(rows)), organisation=organisation, actor_label="cli:test")
    assert raised.value.errors[0].line >= 42
    assert Person.objects.count() == 0


def allow(*sources: str) -> None:
    from brightline.policy.services import get_policy

    policy = get_policy()
    policy.allowed_sources = sorted({*policy.allowed_sources, *sources})
    policy.save()


def test_events_are_upserted_in_bulk_with_their_links_and_a_re_import_changes_nothing(personas):
    allow("deployments", "incidents")
    Service.objects.get_or_create(name="bulk-api")
    lines = ["type,id,service,version,deployed_at,kind,fixes,opened_at,resolved_at,linked_deployment,paged_at,"
             "person,incident"]
    for number in range(50):
        lines.append(f"deployment,d{number},bulk-api,v{number},2026-03-01T10:{number:02d}:00Z,,,,,,,,")
    lines.append("deployment,r1,bulk-api,v51,2026-03-01T11:00:00Z,rollback,d7,,,,,,")
    lines.append("incident,i1,bulk-api,,,,,2026-03-01T11:05:00Z,2026-03-01T12:00:00Z,d7,,,")
    lines.append("page,p1,bulk-api,,,,,,2026-03-01T11:30:00Z,,2026-03-01T11:04:00Z,nobody@example.org,i1")
    raw = ("\n".join(lines) + "\n").encode()
    source, records = parse_event_file(io.BytesIO(raw))
    result = import_events(records, source=source, actor_label="cli:test")
    assert (result.deployments, result.incidents, result.pages, result.created, result.updated) == (51, 1, 1, 53, 0)
    assert Incident.objects.get(external_id="i1").linked_deployment == Deployment.objects.get(external_id="d7")
    assert Page.objects.get(external_id="p1").incident == Incident.objects.get(external_id="i1")
    remediation = Remediation.objects.get(external_id="r1")
    assert remediation.failed_deployment.external_id == "d7"
    assert remediation.remediation_deployment.external_id == "r1"
    source, records = parse_event_file(raw)
    writes = writes_during(lambda: import_events(records, source=source, actor_label="cli:test"))
    # Only the import's audit entry and the rollups that audit entry marks for a refresh (besides the import's
    # own temporary tables): the incidents' attribution is recomputed, but unchanged, so not written.
    assert writes and all("audit" in sql.lower() or "rollups_rollup" in sql or STAGE_PREFIX in sql
                          for sql in writes)
    assert verify_all().ok


def test_a_bad_event_anywhere_writes_nothing(personas):
    allow("deployments")
    Service.objects.get_or_create(name="bulk-api")
    raw = b"type,id,service,version,deployed_at\n" + b"".join(
        f"deployment,d{number},bulk-api,v{number},2026-03-01T10:00:00Z\n".encode() for number in range(30)) + (
        b"deployment,d99,bulk-api,v99,yesterday\n")
    source, records = parse_event_file(raw)
    from brightline.evidence.sources.events import EventImportError

    with pytest.raises(EventImportError) as raised:
        import_events(records, source=source, actor_label="cli:test")
    assert [error.record for error in raised.value.errors] == [31]
    assert Deployment.objects.count() == 0


def test_a_csv_import_refuses_an_undecodable_byte_before_writing(personas):
    from brightline.evidence import timeoff

    allow("pto")
    raw = (b"person,start_date,end_date,kind\n" + f"{personas.erin.email},2026-01-05,2026-01-06,vacation\n".encode()
           + b"caf\xe9,2026-02-01,2026-02-02,vacation\n")
    with pytest.raises(CsvImportError) as raised:
        timeoff.import_time_off(io.BytesIO(raw), actor=None, actor_label="cli:test")
    assert [error.line for error in raised.value.errors] == [3]
    assert "column 4" in raised.value.errors[0].reason


EVENT_HEADER = ("type,id,service,version,deployed_at,kind,fixes,opened_at,resolved_at,linked_deployment,paged_at,"
                "person,incident,handled_by,title,severity")


def events_file(path: Path, count: int, *, tag: str, last: str | None = None) -> Path:
    """``count`` events of one service: deployments, incidents linked to a deployment later in the file, pages of
    those incidents and a rollback of a deployment later in the file; ``last`` replaces the last row."""
    lines = [EVENT_HEADER]
    for number in range(count):
        at = f"2026-03-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00Z"
        resolved = f"2026-03-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:30Z"
        later = f"{tag}d{number + 5 - number % 5}"  # a deployment further on (every fifth row is one)
        row = (f"deployment,{tag}d{number},stream-api,v{number},{at},,,,,,,,,,," if number % 5 == 0 or
               number >= count - 5 else
               f"deployment,{tag}r{number},stream-api,v{number},{at},rollback,{later},,,,,,,,," if number % 5 == 1 else
               f"incident,{tag}i{number},stream-api,,,,,{at},{resolved},{later},,,,erin@example.org,"
               f"Incident {number},sev2" if number % 5 == 2 else
               f"page,{tag}p{number},stream-api,,,,,,{resolved},,{at},erin@example.org,"
               f"{tag}i{number - number % 5 + 2},,,")
        lines.append(row)
    if last is not None:
        lines[-1] = last
    path.write_text("\n".join(lines) + "\n")
    return path


def event_counts() -> tuple[int, ...]:
    return (Deployment.objects.count(), Incident.objects.count(), Page.objects.count(), Remediation.objects.count(),
            AuditEntry.objects.count())


def import_event_file(path: Path, on_progress=None):
    with path.open("rb") as handle:
        source, records = parse_event_file(handle)
        return import_events(records, source=source, actor_label="cli:test", on_progress=on_progress)


@pytest.fixture
def stream_service(personas) -> Service:
    allow("deployments", "incidents")
    return Service.objects.create(name="stream-api", team=personas.erin.team)


def test_an_events_import_holds_a_batch_in_memory_not_the_whole_file(stream_service, tmp_path, monkeypatch):
    import gc
    import tracemalloc

    from brightline.evidence.sources.events import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 100, raising=False)
    import_event_file(events_file(tmp_path / "warm.csv", 150, tag="w"))  # what is loaded once, not measured

    def peak(count: int, tag: str) -> int:
        """The peak while the file is read, checked and written (the incident attribution that follows reads the
        service's stored history, whatever the file)."""
        path = events_file(tmp_path / f"{tag}.csv", count, tag=tag)
        written: list[int] = []

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage == "writing" and done == total:
                written.append(tracemalloc.get_traced_memory()[1])

        gc.collect()  # garbage left by earlier tests in this process is not counted against either size
        tracemalloc.start()
        try:
            import_event_file(path, progress)
        finally:
            tracemalloc.stop()
        return written[0]

    # Each size twice, the larger peak of the two: when the collector runs moves a single peak by about a tenth.
    small = max(peak(600, "s"), peak(600, "t"))
    large = max(peak(2400, "l"), peak(2400, "m"))
    assert Deployment.objects.filter(external_id__startswith="l").count() == 2400 * 2 // 5 + 3
    # Four times the rows, about the same peak: a batch at a time, not the file.
    assert large < 1.5 * small, (small, large)


def test_links_across_batches_resolve_and_a_re_import_changes_nothing(stream_service, tmp_path, monkeypatch):
    from brightline.evidence.sources.events import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 7, raising=False)
    path = events_file(tmp_path / "events.csv", 60, tag="x")
    result = import_event_file(path)
    assert (result.deployments, result.incidents, result.pages, result.created) == (27, 11, 22, 60)
    # Every rollback and incident names a deployment further on in the file, most of them in a later batch.
    assert not Remediation.objects.filter(failed_deployment__isnull=True).exists()
    assert Remediation.objects.count() == 11
    assert not Incident.objects.filter(linked_deployment__isnull=True).exists()
    assert not Page.objects.filter(incident__isnull=True).exists()
    assert Incident.objects.get(external_id="xi2").linked_deployment.external_id == "xd5"
    before = event_counts()
    again = import_event_file(path)
    assert (again.created, again.updated) == (0, 60)
    assert event_counts()[:4] == before[:4]


@pytest.mark.parametrize("last, reason", [
    ("deployment,zd99,stream-api,v99,yesterday,,,,,,,,,,,", "deployed_at must be an ISO 8601 time"),
    ("deployment,zd5,stream-api,v3,2026-03-01T10:00:00Z,,,,,,,,,,,", "id 'zd5' appears twice"),
    ("incident,zi99,stream-api,,,,,2026-03-01T10:00:00Z,,nowhere,,,,,,", "linked deployment 'nowhere' is not known"),
])
def test_a_bad_last_event_refuses_the_whole_file_and_names_its_line(stream_service, tmp_path, monkeypatch, last,
                                                                     reason):
    from brightline.evidence.sources.events import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 50, raising=False)
    path = events_file(tmp_path / "events.csv", 400, tag="z", last=last)
    before = event_counts()
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), "--json", stdout=out)
    assert event_counts() == before
    refused = json.loads(out.getvalue())
    assert refused["problems"] == 1
    [error] = refused["errors"]
    assert (error["record"], error["line"]) == (400, 401)
    assert error["reason"].startswith(reason)


def test_an_undecodable_byte_late_in_an_events_file_names_its_line_and_column(stream_service, tmp_path):
    path = events_file(tmp_path / "events.csv", 300, tag="u")
    lines = path.read_bytes().split(b"\n")
    lines[250] = lines[250].replace(b"stream-api", b"str\xe9am-api")
    path.write_bytes(b"\n".join(lines))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "events", str(path), stdout=out, stderr=err)
    assert Deployment.objects.count() == 0
    message = err.getvalue()
    # (The rows after it are not read, so the links to them are not checked either.)
    assert ": line 251: the file is not UTF-8 text from line 251, column " in message
    assert "1 problem(s); nothing was imported." in message
