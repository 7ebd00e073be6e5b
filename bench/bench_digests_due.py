"""Benchmark: finding whose digest the hourly notification run sends (``digests_due``) in a large organisation.

Usage:
    .venv/bin/python bench/bench_digests_due.py [--people 10000] [--database-url postgres://…]

Imports a generated HRIS export (everyone in Europe/Berlin, as ``bench_import_people`` makes it), gives a fifth of
the people their own digest hour and zone (Tokyo, Chicago or their record's), then times ``digests_due`` at two
runs (07:05 and 08:05 in Berlin) against reading the same columns alone, and counts its queries. Without
--database-url a temporary SQLite file is used; a given database is migrated and flushed first (use a throw-away
one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_import_people import fresh_database, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    fresh_database("bench-digests-", options.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from brightline.notifications.services import digests_due, set_choices
    from brightline.people.importer import import_people
    from brightline.people.models import Person
    from brightline.people.services import get_organisation, install_default_ladder

    install_default_ladder(actor_label="bench")
    import_people(generate(options.people), organisation=get_organisation(), actor_label="bench")
    zones = ("Asia/Tokyo", "America/Chicago", "")
    for person in Person.objects.order_by("pk")[:options.people // 5]:
        set_choices(person, digest_hour=person.pk % 24, digest_timezone=zones[person.pk % 3])

    def bare_read() -> None:
        list(Person.objects.filter(is_active=True).exclude(email="").values_list(
            "pk", "timezone", "notification_settings__frequency", "notification_settings__deliveries",
            "notification_settings__digest", "notification_settings__digest_hour",
            "notification_settings__digest_timezone", "digest_day__day"))

    for hour in (6, 7):
        now = dt.datetime(2026, 12, 7, hour, 5, tzinfo=dt.UTC)
        spent, floor = [], []
        for _ in range(options.rounds):
            start = time.process_time()
            bare_read()
            floor.append(time.process_time() - start)
            with CaptureQueriesContext(connection) as queries:
                start = time.process_time()
                due = digests_due(now)
                spent.append(time.process_time() - start)
        best, base = min(spent), min(floor)
        print(f"run at {now:%H:%M} UTC: {len(due):,} of {Person.objects.count():,} people due, "
              f"{len(queries)} query, {best * 1000:.0f} ms of CPU; reading the rows alone {base * 1000:.0f} ms "
              f"({best / base:.2f}×)")


if __name__ == "__main__":
    main()
