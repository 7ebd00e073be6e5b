"""Fault drills: imports and git ingestion killed with SIGKILL at random points, then run again to completion.

Usage:
    .venv/bin/python bench/fault_drills.py [--runs 20] [--seed 15] [--database-url postgres://…/brightline_drill]
                                           [--pg-ctl DATADIR] [--full-disk]

For each operation (``brightline import people``, ``brightline import events``, ``brightline ingest git`` on a
git repository built here) the drill

1. runs it once, uninterrupted, on a fresh copy of its starting database: the expected end state;
2. ``--runs`` times: starts it on a fresh copy, sends SIGKILL after a random (seeded) delay, inspects what the
   killed process left (the imports must have written all or nothing; the ingestion only whole batches: every
   stored commit with its evidence item and equal to the uninterrupted run's row), runs it again to the end,
   and compares the end state with the uninterrupted run's, row by row (ids and creation times left out) and
   the audit trail's entries by action, then checks the audit hash chain.

It prints, per operation: the runs, the kills that landed mid-work (after start-up, before the process exited),
how many of those left a write transaction open (SQLite's hot journal), duplicates, half-applied states, lost
rows, broken audit chains, and exits 1 on any duplicate, half-applied state, loss or broken chain.

The database is a temporary SQLite file by default. With ``--database-url`` (a throw-away PostgreSQL database
on a server you may create and drop databases on) the drill uses PostgreSQL, with template databases named
after it, copied with ``STRATEGY FILE_COPY`` on PostgreSQL 15 and later (``--copy-strategy wal_log``, the
server's default, shows why: a crash right after such a copy puts its id sequences back behind rows that
survived, so the next run fails on a duplicate id; PostgreSQL's behaviour, not Brightline's). With
``--pg-ctl DATADIR`` as well (the server's data directory; run as a user allowed to use ``pg_ctl`` on it) a
further drill restarts the server (``pg_ctl restart -m immediate``) once the ingestion has committed a random
number of its commits, so every restart lands mid-work, checks that only whole batches were kept, then runs it
again to the end. That drill refuses a server that is not crash-safe (``fsync``, ``full_page_writes`` or
``synchronous_commit`` off).

With ``--full-disk`` (as root, on Linux) the database lives on a small tmpfs mounted for the drill: the SQLite
file, or with ``--database-url`` a PostgreSQL tablespace (the server's write-ahead log stays on its own disk;
``--pg-ctl-as`` names the server's user, default ``postgres``, who must own the tablespace).
For each operation and each headroom (0 bytes to a few hundred kB left free), the disk is filled with a file up
to that headroom and the operation runs: it must either succeed or fail with the one-sentence "disk is full"
error (no traceback), leaving the imports untouched and the ingestion with whole batches only; then the file
is deleted and the operation run again must end exactly as an uninterrupted run, with the audit chain intact.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
PEOPLE = 200
COMMITS = 1000
EVENTS = 900
SERVICES = [f"svc-{number}" for number in range(5)]
LEVELS = ["IC1", "IC2", "IC3", "IC4"]
# When a run happened, or random by design (a new login's unusable password), not what it wrote: left out of
# the comparison.
VOLATILE_FIELDS = {"last_synced_at", "last_used_at", "password", "date_joined", "last_login", "approved_at"}
# One audit entry per completed run (a run again after a kill that landed after the commit adds one more).
RUN_SUMMARY_ACTIONS = {"evidence.events.imported", "evidence.repository.synced"}


# -- inputs --------------------------------------------------------------------------------------------------

def write_people(path: Path) -> None:
    lines = ["employee_id,name,email,manager_id,team,level,timezone,start_date"]
    for number in range(PEOPLE):
        manager = "" if number == 0 else str(1000 + (number - 1) // 20)
        level = "M2" if number <= PEOPLE // 20 else LEVELS[number % len(LEVELS)]
        team = ["Platform", "Payments", "Search"][number % 3]
        lines.append(f"{1000 + number},Person {number},person{number}@example.org,{manager},{team},{level},"
                     f"Europe/Lisbon,2020-01-{1 + number % 28:02d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_events(path: Path) -> None:
    header = ("type,id,service,environment,version,sha,status,deployed_at,kind,fixes,opened_at,resolved_at,severity,"
              "title,linked_deployment,root_cause_sha,person,paged_at,handled_by,priority")
    lines = [header]
    for number in range(EVENTS):
        service = SERVICES[number % len(SERVICES)]
        day = f"2026-0{1 + number % 9}-{1 + number % 28:02d}"
        person = f"person{number % PEOPLE}@example.org"
        if number % 3 == 0:
            lines.append(f"deployment,deploy-{number},{service},production,2026.{number},,success,{day}T10:00:00Z"
                         + "," * 12)
        elif number % 3 == 1:
            lines.append(f"incident,inc-{number},{service},,,,,,,,{day}T12:00:00Z,{day}T13:30:00Z,sev2,"
                         f"Outage {number},deploy-{number - 1},,,,{person},")
        elif number % 2 == 0:
            lines.append(f"page,page-{number},{service}" + "," * 14 + f"{person},{day}T11:01:00Z,,")
        else:
            lines.append(f"support_ticket,ticket-{number},{service},,,,,,,,{day}T09:00:00Z,{day}T15:00:00Z,,"
                         f"Ticket {number},,,,,{person},high")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_repository(path: Path, commits: int = COMMITS) -> None:
    """A real repository: ``commits`` commits by 30 authors (every third unknown to Brightline), a tag every 150."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], env=GIT_ENV, check=True)
    stream: list[bytes] = []
    for number in range(commits):
        author = number % 30
        email = f"person{author}@example.org" if author % 3 else f"outside{author}@elsewhere.example"
        moment = 1767225600 + number * 3600
        message = f"Change {number}\n".encode()
        content = "".join(f"line {line} of change {number}\n" for line in range(1 + number % 17)).encode()
        stream += [b"commit refs/heads/main\n", f"mark :{number + 1}\n".encode(),
                   f"author Author {author} <{email}> {moment} +0100\n".encode(),
                   f"committer Author {author} <{email}> {moment} +0100\n".encode(),
                   f"data {len(message)}\n".encode(), message]
        if number:
            stream.append(f"from :{number}\n".encode())
        stream += [f"M 100644 inline src/module_{number % 23}.py\n".encode(), f"data {len(content)}\n".encode(),
                   content, b"\n"]
        if number % 150 == 149:
            tag = b"release\n"
            stream += [f"tag v1.{number // 150}.0\n".encode(), f"from :{number + 1}\n".encode(),
                       f"tagger Release <release@example.org> {moment + 60} +0000\n".encode(),
                       f"data {len(tag)}\n".encode(), tag]
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=GIT_ENV, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, env=GIT_ENV, check=True)


# -- databases -----------------------------------------------------------------------------------------------

class SqliteDatabases:
    def __init__(self, work: Path):
        self.live = work / "drill.sqlite3"
        self.url = f"sqlite:///{self.live}"
        self.work = work
        self.has_journal = True

    def save_template(self, name: str) -> None:
        close_connections()
        shutil.copyfile(self.live, self.work / f"{name}.sqlite3")

    def restore(self, name: str) -> None:
        close_connections()
        for suffix in ("-journal", "-wal"):
            self.live.with_name(self.live.name + suffix).unlink(missing_ok=True)
        shutil.copyfile(self.work / f"{name}.sqlite3", self.live)

    def transaction_was_open(self) -> bool:
        """A rollback journal left behind by a killed writer (SQLite rolls it back at the next open)."""
        journal = self.live.with_name(self.live.name + "-journal")
        return journal.exists() and journal.stat().st_size > 0

    def drop_all(self) -> None:
        close_connections()


class PostgresDatabases:
    def __init__(self, url: str, copy_strategy: str = "file_copy"):
        self.url = url
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/")
        self.admin = dict(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                          password=parts.password, dbname="postgres")
        self.has_journal = False
        self.templates: list[str] = []
        self.tablespace = ""
        # PostgreSQL 15 copies a template with WAL_LOG by default: each sequence page is copied with the values
        # it had already written ahead to the write-ahead log (``log_cnt``, up to 32), so the copy's first
        # nextval() calls write no WAL, and a crash puts the sequence back to the copied page (a bug reported
        # upstream, not fixed in 15.18): the next insert collides with rows that survived. FILE_COPY
        # checkpoints around the copy, so the copy's first nextval() writes WAL.
        self.strategy = f" STRATEGY {copy_strategy.upper()}" if self.server_version() >= 150000 else ""
        self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"')

    def _connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        settings = {**{k: v for k, v in self.admin.items() if v is not None}, "dbname": dbname}
        return psycopg.connect(**settings, autocommit=True)

    def _sql(self, *statements: str) -> None:
        with self._connect() as admin:
            for statement in statements:
                admin.execute(statement)

    def _value(self, query: str, dbname: str = "postgres") -> Any:
        with self._connect(dbname) as connection:
            row = connection.execute(query).fetchone()
        return row[0] if row else None

    def server_version(self) -> int:
        return int(self._value("SHOW server_version_num"))

    def crash_unsafe_settings(self) -> list[str]:
        """Settings that let a crash lose committed work (a restart drill on such a server proves nothing)."""
        return [f"{name}={value}" for name, value in (
            (name, self._value(f"SHOW {name}")) for name in ("fsync", "full_page_writes", "synchronous_commit"))
            if value == "off"]

    def commits_stored(self) -> int:
        """Commits the ingestion has committed so far (0 while the database is unreachable)."""
        try:
            from brightline.evidence.models import CommitRecord

            return int(self._value(f'SELECT count(*) FROM "{CommitRecord._meta.db_table}"', self.name))
        except Exception:  # noqa: BLE001 - the server is restarting
            return 0

    def save_template(self, name: str) -> None:
        close_connections()
        template = f"{self.name}_{name}"
        self.templates.append(template)
        self._sql(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
                  f'CREATE DATABASE "{template}" TEMPLATE "{self.name}"{self.strategy}')

    def use_tablespace(self, location: Path) -> None:
        """Put the live database (not the templates) in a tablespace at ``location``."""
        self.tablespace = f"{self.name}_disk"
        self._sql(f'DROP TABLESPACE IF EXISTS "{self.tablespace}"',
                  f"CREATE TABLESPACE \"{self.tablespace}\" LOCATION '{location}'")

    def restore(self, name: str) -> None:
        close_connections()
        where = f' TABLESPACE "{self.tablespace}"' if self.tablespace else ""
        self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                  f'CREATE DATABASE "{self.name}" TEMPLATE "{self.name}_{name}"{where}{self.strategy}')

    def transaction_was_open(self) -> bool:
        return False

    def drop_all(self) -> None:
        close_connections()
        self._sql(*[f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in [self.name, *self.templates]])
        if self.tablespace:
            self._sql(f'DROP TABLESPACE IF EXISTS "{self.tablespace}"')


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


# -- state ---------------------------------------------------------------------------------------------------

def _models() -> list[Any]:
    from django.apps import apps

    return [model for label in ("people", "evidence") for model in apps.get_app_config(label).get_models()
            if model.__name__ not in {"WebhookDelivery"}]


def _plain_fields(model: Any) -> list[Any]:
    from django.db import models

    return [field for field in model._meta.concrete_fields
            if not field.primary_key and not getattr(field, "auto_now", False)
            and not getattr(field, "auto_now_add", False) and not isinstance(field, models.ForeignKey)
            and field.name not in VOLATILE_FIELDS]


# Text fields that hold other rows' ids: a reporting line ("/12/45/103/") and a manager change's from and to.
# PostgreSQL does not roll its sequences back, so a run after a failed one gives new rows other ids; these
# fields are compared with employee ids in place of person ids.
ID_FIELDS = {"people.Person": ("chain_path",), "people.RoleChange": ("from_value", "to_value")}


def _without_ids(label: str, names: list[str], values: tuple[str, ...], employee: dict[int, str]) -> tuple[str, ...]:
    if label == "people.RoleChange" and values[names.index("field")] != "manager":
        return values
    mapped = list(values)
    for name in ID_FIELDS[label]:
        at = names.index(name)
        mapped[at] = "/".join(str(employee.get(int(part), part)) if part.isdigit() else part
                              for part in values[at].split("/"))
    return tuple(mapped)


def state() -> dict[str, collections.Counter[tuple[Any, ...]]]:
    """Every row of the people and evidence tables, ids and creation times left out, foreign keys as the
    referenced row's own values; plus the audit trail's entries counted by action."""
    from django.db import models

    from brightline.audit.models import AuditEntry
    from brightline.people.models import Person

    natural: dict[Any, dict[Any, tuple[Any, ...]]] = {}
    employee = dict(Person.objects.values_list("pk", "employee_id"))

    def plain_values(model: Any, names: list[str], row: tuple[Any, ...]) -> tuple[str, ...]:
        values = tuple(map(str, row))
        label = model._meta.label
        return _without_ids(label, names, values, employee) if label in ID_FIELDS else values

    def natural_of(model: Any) -> dict[Any, tuple[Any, ...]]:
        if model not in natural:
            names = [field.attname for field in _plain_fields(model)]
            natural[model] = {row[0]: plain_values(model, names, row[1:])
                              for row in model.objects.values_list("pk", *names)}
        return natural[model]

    result: dict[str, collections.Counter[tuple[Any, ...]]] = {}
    for model in _models():
        plain = [field.attname for field in _plain_fields(model)]
        foreign = [field for field in model._meta.concrete_fields if isinstance(field, models.ForeignKey)]
        rows: collections.Counter[tuple[Any, ...]] = collections.Counter()
        for row in model.objects.values_list(*plain, *[field.attname for field in foreign]):
            values = plain_values(model, plain, row[:len(plain)])
            links = tuple(natural_of(field.related_model).get(value) if value is not None else None
                          for field, value in zip(foreign, row[len(plain):], strict=True))
            rows[values + links] += 1
        result[model._meta.label] = rows
    result["audit actions"] = collections.Counter((action,) for action in AuditEntry.objects.exclude(
        action__in=RUN_SUMMARY_ACTIONS).values_list("action", flat=True))
    close_connections()
    return result


def compare(expected: dict[str, collections.Counter], actual: dict[str, collections.Counter]) -> tuple[int, int]:
    """(duplicated rows, lost rows) of ``actual`` against ``expected``."""
    duplicated = lost = 0
    for table in expected.keys() | actual.keys():
        want, have = expected.get(table, collections.Counter()), actual.get(table, collections.Counter())
        duplicated += sum((have - want).values())
        lost += sum((want - have).values())
    return duplicated, lost


def audit_chain_ok() -> bool:
    from brightline.audit.services import verify_chain

    ok = verify_chain().ok
    close_connections()
    return ok


def half_applied_git(expected: dict[str, collections.Counter]) -> int:
    """Rows a killed ingestion left that are not whole batches: a commit that differs from the uninterrupted
    run's, a commit by a known person without its evidence item, or an evidence item without its commit."""
    from brightline.evidence.models import CommitRecord, EvidenceItem

    plain = [field.attname for field in _plain_fields(CommitRecord)]
    sha_at = plain.index("sha")
    # The commit's own values; its links are left out (the repository's cursor moves only at the end of a run).
    by_sha = {row[sha_at]: row[:len(plain)] for row in expected["evidence.CommitRecord"]}
    problems = 0
    now = state()["evidence.CommitRecord"]
    for row in now:
        if by_sha.get(row[sha_at]) != row[:len(plain)]:
            problems += 1
    commits = dict(CommitRecord.objects.filter(is_merge=False).values_list("sha", "person_id"))
    items = set(EvidenceItem.objects.filter(source="git").values_list("source_ref", flat=True))
    problems += sum(1 for sha, person in commits.items() if person is not None and sha not in items)
    problems += sum(1 for sha in items if sha not in commits)
    close_connections()
    return problems


# -- drills --------------------------------------------------------------------------------------------------

class Drill:
    def __init__(self, databases: Any, env: dict[str, str], rng: random.Random, runs: int):
        self.databases = databases
        self.env = env
        self.rng = rng
        self.runs = runs
        self.failed = False
        self.disk: Path | None = None

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "brightline", *args]

    def run(self, args: list[str]) -> float:
        started = time.monotonic()
        result = subprocess.run(self.command(*args), env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"`brightline {' '.join(args)}` failed:\n{result.stdout}\n{result.stderr}")
        return time.monotonic() - started

    def startup_seconds(self) -> float:
        return statistics.median(self.run(["audit", "verify", "--json"]) for _ in range(3))

    def operation(self, name: str, template: str, args: list[str], *, all_or_none: bool) -> dict[str, Any]:
        self.databases.restore(template)
        before = state()
        seconds = self.run(args)
        expected = state()
        startup = self.startup_seconds()
        counts = collections.Counter(runs=0, killed_mid_work=0, transaction_open=0, partial_kept=0, duplicates=0,
                                     half_applied=0, lost=0, audit_broken=0)
        for _ in range(self.runs):
            self.databases.restore(template)
            delay = self.rng.uniform(startup * 0.8, seconds * 1.05)
            process = subprocess.Popen(self.command(*args), env=self.env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            killed = process.wait() == -signal.SIGKILL
            counts["runs"] += 1
            counts["killed_mid_work"] += killed and delay >= startup
            counts["transaction_open"] += killed and self.databases.transaction_was_open()
            after_kill = state()
            if all_or_none:
                counts["half_applied"] += after_kill not in (before, expected)
            else:
                counts["partial_kept"] += after_kill not in (before, expected)
                counts["half_applied"] += half_applied_git(expected)
            self.run(args)
            duplicated, lost = compare(expected, state())
            counts["duplicates"] += duplicated
            counts["lost"] += lost
            counts["audit_broken"] += not audit_chain_ok()
        bad = counts["duplicates"] + counts["half_applied"] + counts["lost"] + counts["audit_broken"]
        self.failed = self.failed or bad > 0
        print(f"{name:<16} uninterrupted {seconds:5.1f}s (start-up {startup:.1f}s); " +
              ", ".join(f"{key} {value}" for key, value in counts.items()), flush=True)
        return dict(counts)

    def restart_drill(self, template: str, args: list[str], pg_ctl: list[str], data_dir: str) -> None:
        """Restart the PostgreSQL server mid-ingestion (the ingest fails), then run it again to the end.

        The restart is sent once the ingestion has committed a random number of its commits (so it lands while
        the ingestion writes, whatever the machine's start-up time), with ``pg_ctl restart -m immediate``: the
        server stops without a checkpoint and replays its write-ahead log when it starts again.
        """
        from brightline.evidence.models import CommitRecord

        self.databases.restore(template)
        self.run(args)
        expected = state()
        total = sum(expected["evidence.CommitRecord"].values())
        counts = collections.Counter(runs=0, restarted_mid_work=0, ingest_failed=0, partial_kept=0, rerun_failed=0,
                                     duplicates=0, half_applied=0, lost=0, audit_broken=0)
        for _ in range(self.runs):
            self.databases.restore(template)
            target = self.rng.randint(1, max(1, total * 9 // 10))
            process = subprocess.Popen(self.command(*args), env=self.env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            stored = 0
            while process.poll() is None and (stored := self.databases.commits_stored()) < target:
                time.sleep(0.02)
            # Not captured: the restarted server inherits pg_ctl's output and would hold a pipe open forever.
            subprocess.run([*pg_ctl, "-D", data_dir, "-m", "immediate", "-w", "restart"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            failed = process.wait() != 0
            counts["runs"] += 1
            counts["ingest_failed"] += failed
            close_connections()
            after_restart = CommitRecord.objects.count()
            counts["restarted_mid_work"] += failed and stored > 0 and after_restart < total
            counts["partial_kept"] += 0 < after_restart < total
            counts["half_applied"] += half_applied_git(expected)
            rerun = subprocess.run(self.command(*args), env=self.env, capture_output=True, text=True)
            if rerun.returncode != 0:
                counts["rerun_failed"] += 1
                print(f"  the run after the restart failed: {rerun.stderr.strip().splitlines()[-1:]}", flush=True)
            duplicated, lost = compare(expected, state())
            counts["duplicates"] += duplicated
            counts["lost"] += lost
            counts["audit_broken"] += not audit_chain_ok()
        bad = counts["rerun_failed"] + counts["duplicates"] + counts["half_applied"] + counts["lost"] + \
            counts["audit_broken"]
        self.failed = self.failed or bad > 0
        print(f"{'pg restart':<16} " + ", ".join(f"{key} {value}" for key, value in counts.items()), flush=True)


# -- full disk -----------------------------------------------------------------------------------------------

HEADROOMS = [0, 8 * 1024, 32 * 1024, 128 * 1024, 512 * 1024]
DISK_FULL_SENTENCE = "The disk that holds the database is full"


@contextlib.contextmanager
def small_disk(path: Path, megabytes: int) -> Any:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        close_connections()
        subprocess.run(["umount", str(path)], check=False)


def fill(disk: Path, headroom: int) -> Path:
    """Write a file that leaves ``headroom`` bytes free on ``disk``."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    chunk = b"\0" * (1 << 20)
    remaining = max(free - headroom, 0)
    with filler.open("wb") as out:
        while remaining > 0:
            remaining -= out.write(chunk[:remaining])
    return filler


def full_disk_drill(drill: Drill, name: str, template: str, args: list[str], *, all_or_none: bool) -> None:
    databases, disk = drill.databases, drill.disk
    databases.restore(template)
    before = state()
    drill.run(args)
    expected = state()
    counts = collections.Counter(runs=0, failed_clearly=0, failed_otherwise=0, succeeded=0, partial_kept=0,
                                 duplicates=0, half_applied=0, lost=0, audit_broken=0)
    for headroom in HEADROOMS:
        databases.restore(template)
        filler = fill(disk, headroom)
        result = subprocess.run(drill.command(*args), env=drill.env, capture_output=True, text=True)
        counts["runs"] += 1
        if result.returncode == 0:
            counts["succeeded"] += 1
        elif DISK_FULL_SENTENCE in result.stderr and "Traceback" not in result.stderr:
            counts["failed_clearly"] += 1
        else:
            counts["failed_otherwise"] += 1
            print(f"  {name}, {headroom} bytes free: {result.stderr.strip().splitlines()[-1:]}", flush=True)
        filler.unlink()  # first: with no room at all, PostgreSQL cannot even open a connection to read
        after = state()
        if all_or_none:
            counts["half_applied"] += after not in (before, expected)
        else:
            counts["partial_kept"] += after not in (before, expected)
            counts["half_applied"] += half_applied_git(expected)
        drill.run(args)
        duplicated, lost = compare(expected, state())
        counts["duplicates"] += duplicated
        counts["lost"] += lost
        counts["audit_broken"] += not audit_chain_ok()
    bad = counts["failed_otherwise"] + counts["duplicates"] + counts["half_applied"] + counts["lost"] + \
        counts["audit_broken"]
    drill.failed = drill.failed or bad > 0
    print(f"{'full disk, ' + name:<28} " + ", ".join(f"{key} {value}" for key, value in counts.items()), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="killed runs per operation (default 20)")
    parser.add_argument("--seed", type=int, default=15, help="seed of the random kill delays (default 15)")
    parser.add_argument("--database-url", help="a throw-away PostgreSQL database (default: a temporary SQLite file)")
    parser.add_argument("--pg-ctl", metavar="DATADIR", help="also restart PostgreSQL mid-ingestion (its data dir)")
    parser.add_argument("--commits", type=int, default=COMMITS, help=f"commits in the repository (default {COMMITS})")
    parser.add_argument("--only", choices=["people", "events", "git", "restart"],
                        help="drill one operation only (restart: only the database restart, with --pg-ctl)")
    parser.add_argument("--pg-ctl-as", metavar="USER", help="run pg_ctl as this user (with runuser)")
    parser.add_argument("--copy-strategy", choices=["file_copy", "wal_log"], default="file_copy",
                        help="how PostgreSQL 15+ copies the drill's template databases (default file_copy; "
                             "wal_log, PostgreSQL's default, puts sequences back after a crash)")
    parser.add_argument("--full-disk", action="store_true",
                        help="instead of the kills: fill the disk under the database (root, SQLite; mounts a tmpfs)")
    options = parser.parse_args()
    if options.full_disk and os.geteuid() != 0:
        parser.error("--full-disk mounts a tmpfs under the database: run it as root")

    work = Path(tempfile.mkdtemp(prefix="brightline-drills."))
    home = work / "home"
    home.mkdir()
    try:
        with contextlib.ExitStack() as cleanup:
            databases: Any = (PostgresDatabases(options.database_url, options.copy_strategy)
                              if options.database_url else SqliteDatabases(work))
            if options.pg_ctl and options.database_url and options.only in (None, "restart"):
                unsafe = databases.crash_unsafe_settings()
                if unsafe:
                    parser.error(f"the restart drill needs a crash-safe server, and this one runs with "
                                 f"{', '.join(unsafe)}")
            disk = cleanup.enter_context(small_disk(work / "disk", 48)) if options.full_disk else None
            if disk is not None and options.database_url:
                work.chmod(0o755)
                location = disk / "tablespace"
                location.mkdir()
                shutil.chown(location, options.pg_ctl_as or "postgres")
                databases.use_tablespace(location)
            elif disk is not None:
                databases.live = disk / "drill.sqlite3"
                databases.url = f"sqlite:///{databases.live}"
            return run_drills(options, work, home, databases, disk)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_drills(options: argparse.Namespace, work: Path, home: Path, databases: Any, disk: Path | None) -> int:
    env = {**os.environ, "DATABASE_URL": databases.url, "BRIGHTLINE_HOME": str(home), "BRIGHTLINE_JOBS": "inline",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")
    import django

    django.setup()
    drill = Drill(databases, env, random.Random(options.seed), options.runs)
    drill.disk = disk
    try:
        people, events, repo = work / "people.csv", work / "events.csv", work / "repo"
        write_people(people)
        write_events(events)
        build_repository(repo, options.commits)
        drill.run(["migrate", "--no-input"])
        drill.run(["ladder", "install-default"])
        databases.save_template("empty")
        drill.run(["import", "people", str(people)])
        from brightline.evidence.services import ensure_service

        for name in SERVICES:
            ensure_service(name=name, team_slug="platform", release_tags=None, actor=None, actor_label="drill")
        databases.save_template("people")
        ingest = ["ingest", "git", str(repo), "--service", "payments-api", "--team", "payments", "--batch-size", "50"]
        if options.full_disk:
            print(f"Full-disk drills on {'PostgreSQL' if options.database_url else 'SQLite'} on a 48 MB tmpfs, "
                  f"{len(HEADROOMS)} headrooms from 0 to "
                  f"{HEADROOMS[-1] // 1024} kB per operation; {PEOPLE} people, {EVENTS} events, "
                  f"{options.commits} commits", flush=True)
            if options.only in (None, "people"):
                full_disk_drill(drill, "import people", "empty", ["import", "people", str(people)], all_or_none=True)
            if options.only in (None, "events"):
                full_disk_drill(drill, "import events", "people", ["import", "events", str(events)],
                                all_or_none=True)
            if options.only in (None, "git"):
                full_disk_drill(drill, "ingest git", "people", ingest, all_or_none=False)
            return finish(drill)
        print(f"Fault drills on {'PostgreSQL' if options.database_url else 'SQLite'}: {options.runs} killed runs "
              f"per operation, seed {options.seed}; {PEOPLE} people, {EVENTS} events, {options.commits} commits",
              flush=True)
        if options.only in (None, "people"):
            drill.operation("import people", "empty", ["import", "people", str(people)], all_or_none=True)
        if options.only in (None, "events"):
            drill.operation("import events", "people", ["import", "events", str(events)], all_or_none=True)
        if options.only in (None, "git"):
            drill.operation("ingest git", "people", ingest, all_or_none=False)
        if options.pg_ctl and options.database_url and options.only in (None, "restart"):
            pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))[-1]
            pg_ctl = [str(pg_bin / "pg_ctl")]
            if options.pg_ctl_as:
                pg_ctl = ["runuser", "-u", options.pg_ctl_as, "--", *pg_ctl]
            drill.restart_drill("people", ingest, pg_ctl, options.pg_ctl)
    finally:
        databases.drop_all()
    return finish(drill)


def finish(drill: Drill) -> int:
    print("FAILED: see the counts above" if drill.failed else "No loss, no duplicate, nothing half-applied")
    return 1 if drill.failed else 0


if __name__ == "__main__":
    sys.exit(main())
