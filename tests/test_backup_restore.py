"""Backup and restore as the deployment guide describes it: ``pg_dump -Fc``, ``pg_restore`` into a fresh database,
then ``brightline audit verify`` on the restored copy."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.test_evidence_ingest_git import commit, git

RESTORED = "brightline_restored_test"


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    if not candidates:
        pytest.skip("no PostgreSQL client binaries in /usr/lib/postgresql")
    return candidates[-1]


def _row_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def _load_real_data(tmp_path: Path) -> None:
    """People through the HRIS import, evidence through a git ingestion: both write audit entries."""
    people = tmp_path / "people.csv"
    people.write_text(
        "employee_id,name,email,manager_id,team,level,timezone,start_date\n"
        "100,Ana Lima,ana@example.org,,Payments,M2,Europe/Lisbon,2019-03-01\n"
        "101,Ben Cole,ben@example.org,100,Payments,IC3,America/New_York,2021-06-14\n"
        "102,Chidi Obi,chidi@example.org,100,Payments,IC2,Africa/Lagos,2023-01-09\n")
    call_command("import", "people", str(people), "--json", stdout=io.StringIO())
    repo = tmp_path / "payments"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for number in range(12):
        name, email = [("Ana Lima", "ana@example.org"), ("Ben Cole", "ben@example.org")][number % 2]
        commit(repo, f"src/module_{number % 3}.py", f"value = {number}\n", f"Change {number}",
               date=f"2026-02-{1 + number:02d}T10:00:00+01:00", author=name, email=email)
        if number in {5, 11}:
            git(repo, "tag", "-a", f"v1.{number // 6}.0", "-m", "release", date=f"2026-02-{1 + number:02d}T11:00:00Z")
    call_command("ingest", "git", str(repo), "--service", "payments-api", "--team", "payments", "--json",
                 stdout=io.StringIO())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restored_into_a_fresh_database_passes_audit_verify_with_the_same_head_and_rows(
        tmp_path, ladder, organisation):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore need a PostgreSQL server (runs on PostgreSQL)")
    from brightline.audit.models import AuditEntry
    from brightline.audit.services import verify_chain
    from brightline.evidence.models import CommitRecord
    from brightline.people.models import Person

    _load_real_data(tmp_path)
    assert Person.objects.count() >= 3 and CommitRecord.objects.count() == 12 and AuditEntry.objects.count() > 3
    original = verify_chain()
    assert original.ok
    with connection.cursor() as cursor:
        original_counts = _row_counts(cursor)

    db = connection.settings_dict
    pg_bin = _pg_bin()
    server = ["-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"]]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = tmp_path / "brightline.dump"
    subprocess.run([str(pg_bin / "pg_dump"), "-Fc", *server, "-f", str(dump), db["NAME"]],
                   env=env, check=True, capture_output=True)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{RESTORED}"')
        cursor.execute(f'CREATE DATABASE "{RESTORED}"')
    try:
        subprocess.run([str(pg_bin / "pg_restore"), "--no-owner", "--exit-on-error", *server, "-d", RESTORED,
                        str(dump)], env=env, check=True, capture_output=True)
        restored_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{RESTORED}"
        result = subprocess.run(
            [sys.executable, "-m", "brightline", "audit", "verify", "--json"],
            env={**os.environ, "DATABASE_URL": restored_url}, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        verified = json.loads(result.stdout)
        assert verified["ok"] is True
        assert (verified["entries"], verified["head_hash"]) == (original.entries, original.head_hash)

        import psycopg

        with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=RESTORED,
                             password=db.get("PASSWORD") or None) as restored, restored.cursor() as cursor:
            assert _row_counts(cursor) == original_counts
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')
