"""A full database disk: the command says so in a sentence, writes nothing half, and succeeds once there is room;
a web page or API call that writes answers 503 saying nothing was saved (never a 500).

SQLite's ``max_page_count`` makes the database full for real (SQLite answers SQLITE_FULL, as on a full disk);
the drill in ``bench/fault_drills.py --full-disk`` fills a real file system.
"""

from __future__ import annotations

import contextlib
import errno

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils.html import escape

from brightline.audit.models import AuditEntry
from brightline.audit.services import verify_chain
from brightline.commands import ERR_DISK_FULL
from brightline.evidence.models import EvidenceItem
from brightline.people.models import Person, Team
from brightline.storagefull import ERR_STORAGE_FULL, server_error

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "employee_id,name,email,manager_id,team,level,timezone,start_date"


def write_people(path, count: int):
    rows = [f"{1000 + n},Person {n},person{n}@example.org,{'' if n == 0 else 1000 + (n - 1) // 10},"
            f"Team {n % 3},{'M2' if n < 10 else 'IC2'},Europe/Lisbon,2020-01-01" for n in range(count)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(connection.vendor != "sqlite", reason="fills the database with SQLite's max_page_count")
def test_an_import_on_a_full_database_fails_clearly_writes_nothing_and_succeeds_after_space_is_freed(
        tmp_path, ladder, organisation):
    people = write_people(tmp_path / "people.csv", 300)
    before = Person.objects.count(), Team.objects.count(), AuditEntry.objects.count()
    with connection.cursor() as cursor:
        # Free pages left by earlier tests on this worker would take the rows without the file growing.
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + 4}")  # room for a few pages, not for 300 people
    try:
        with pytest.raises(CommandError) as refused:
            call_command("import", "people", str(people))
        assert str(refused.value) == ERR_DISK_FULL
        assert (Person.objects.count(), Team.objects.count(), AuditEntry.objects.count()) == before
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 1073741823")

    call_command("import", "people", str(people))

    assert Person.objects.count() == before[0] + 300
    assert verify_chain().ok


# -- a web request on a full database ------------------------------------------------------------------------

@contextlib.contextmanager
def database_full():
    """No room for one more page: SQLite answers SQLITE_FULL to any write that needs one.

    The free pages the database already has (left by earlier tests' deletions) are taken by a filler table first.
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_full_disk_filler (content BLOB)")
        cursor.execute("PRAGMA page_size")
        page_size = cursor.fetchone()[0]
        while True:
            cursor.execute("PRAGMA freelist_count")
            if not cursor.fetchone()[0]:
                break
            cursor.execute("INSERT INTO test_full_disk_filler VALUES (zeroblob(%s))", [page_size // 2])
        cursor.execute("PRAGMA page_count")
        cursor.execute(f"PRAGMA max_page_count = {cursor.fetchone()[0]}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 1073741823")
            cursor.execute("DROP TABLE test_full_disk_filler")


def written_evidence(title: str) -> dict[str, str]:
    # A summary longer than a page: storing it needs new pages, which the full database has not.
    return {"kind": "incident_debrief", "title": title, "summary": "What happened and what I did. " * 800,
            "occurred_on": "2026-11-02"}


def saved() -> tuple[int, int]:
    return EvidenceItem.objects.count(), AuditEntry.objects.count()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="fills the database with SQLite's max_page_count")
def test_an_api_write_on_a_full_database_answers_503_in_json_saves_nothing_and_succeeds_after_space_is_freed(
        personas, client_for):
    browser = client_for(personas.erin)
    before = saved()
    with database_full():
        answer = browser.post("/api/evidence/items", written_evidence("Queue outage"), content_type="application/json")
        assert answer.status_code == 503
        assert answer.json() == {"detail": ERR_STORAGE_FULL}
        assert saved() == before

    answer = browser.post("/api/evidence/items", written_evidence("Queue outage"), content_type="application/json")

    assert answer.status_code == 201
    assert saved() == (before[0] + 1, before[1] + 1)
    assert verify_chain().ok


@pytest.mark.skipif(connection.vendor != "sqlite", reason="fills the database with SQLite's max_page_count")
def test_a_page_that_writes_on_a_full_database_answers_503_saying_nothing_was_saved(personas, client_for):
    browser = client_for(personas.erin)
    before = saved()
    with database_full():
        answer = browser.post("/growth/evidence/new/", written_evidence("Search latency"))
        assert answer.status_code == 503
        assert answer["Content-Type"].startswith("text/html")
        page = answer.content.decode()
        assert "Storage is full: nothing was saved" in page
        assert escape(ERR_STORAGE_FULL) in page
        assert "Traceback" not in page and "sqlite" not in page.lower()
        assert saved() == before

    answer = browser.post("/growth/evidence/new/", written_evidence("Search latency"))

    assert answer.status_code == 302
    assert saved() == (before[0] + 1, before[1] + 1)


def test_an_error_outside_a_view_from_a_full_disk_is_a_503_and_any_other_error_still_a_500(rf):
    request = rf.post("/growth/evidence/new/")
    try:
        raise OSError(errno.ENOSPC, "No space left on device")
    except OSError:
        full = server_error(request)
    try:
        raise RuntimeError("something else")
    except RuntimeError:
        other = server_error(request)

    assert full.status_code == 503 and escape(ERR_STORAGE_FULL) in full.content.decode()
    assert other.status_code == 500
