"""Benchmark: ``import people`` of a generated HRIS export (default 10,000 rows) into a fresh database.

Usage:
    .venv/bin/python bench/bench_import_people.py [--rows 10000] [--database-url postgres://…]

The file has 1 CEO, 10 VPs, 100 directors, 1,000 managers and engineers under them (at 10,000 rows).
Prints rows/s of the first import (everyone new), the time of a re-import of the same file (nothing
changes) and of one where a tenth of the people change team and manager. Without --database-url a
temporary SQLite file is used; a given database is migrated and flushed first (use a throw-away one).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def generate(rows: int, *, seed: int = 11, shuffle_managers: float = 0.0) -> bytes:
    rng = random.Random(seed)
    layers: list[list[str]] = []
    people: list[tuple[str, str, str, str]] = []  # id, manager, team, level

    def add(level: str, count: int, managers: list[str] | None) -> list[str]:
        made = []
        for _ in range(count):
            if len(people) >= rows:
                break
            pk = f"E{len(people) + 1:06d}"
            manager = rng.choice(managers) if managers else ""
            people.append((pk, manager, f"Team {manager or pk}", level))
            made.append(pk)
        return made

    layers.append(add("M3", 1, None))
    for level, count in (("M3", 10), ("M2", 100), ("M1", 1000)):
        layers.append(add(level, min(count, max(1, rows // 10)), layers[-1]))
    add("IC2", rows, layers[-1])
    mover = random.Random(seed + 1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["employee_id", "name", "email", "manager_id", "team", "level", "timezone", "start_date"])
    for number, (pk, manager, team, level) in enumerate(people):
        if level == "IC2" and shuffle_managers and mover.random() < shuffle_managers:
            manager = mover.choice(layers[-1])
            team = f"Team {manager}"
        writer.writerow([pk, f"Person {number}", f"{pk.lower()}@example.org", manager, team, level,
                         "Europe/Berlin", "2024-01-15"])
    return out.getvalue().encode()


def fresh_database(prefix: str, database_url: str | None) -> Path:
    """Set Django up on an empty database: a new SQLite file in a temporary home, or the PostgreSQL database
    named (flushed). Returns the temporary home."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{home / 'bench.sqlite3'}"
    os.environ["BRIGHTLINE_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if database_url:
        call_command("flush", interactive=False, verbosity=0)
    return home


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    fresh_database("bench-import-", options.database_url)
    from brightline.people.importer import import_people
    from brightline.people.models import Person
    from brightline.people.services import get_organisation, install_default_ladder

    install_default_ladder(actor_label="bench")
    organisation = get_organisation()
    raw = generate(options.rows)

    def timed(data: bytes) -> tuple[float, object]:
        start = time.perf_counter()
        result = import_people(data, organisation=organisation, actor_label="bench")
        return time.perf_counter() - start, result

    first, result = timed(raw)
    print(f"first import: {options.rows} rows in {first:.2f} s = {options.rows / first:,.0f} rows/s "
          f"({len(result.created)} new)")  # type: ignore[attr-defined]
    again, result = timed(raw)
    print(f"re-import, no changes: {again:.2f} s ({result.unchanged} unchanged)")  # type: ignore[attr-defined]
    moved, result = timed(generate(options.rows, shuffle_managers=0.1))
    print(f"re-import, a tenth moved: {moved:.2f} s ({len(result.updated)} updated)")  # type: ignore[attr-defined]
    sample = Person.objects.filter(manager__isnull=False).order_by("?").first()
    assert sample is not None and sample.chain_path.endswith(f"/{sample.manager_id}/{sample.pk}/")


if __name__ == "__main__":
    main()
