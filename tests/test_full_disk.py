"""A full database disk: the command says so in a sentence, writes nothing half, and succeeds once there is room.

SQLite's ``max_page_count`` makes the database full for real (SQLite answers SQLITE_FULL, as on a full disk);
the drill in ``bench/fault_drills.py --full-disk`` fills a real file system.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from brightline.audit.models import AuditEntry
from brightline.audit.services import verify_chain
from brightline.commands import ERR_DISK_FULL
from brightline.people.models import Person, Team

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
