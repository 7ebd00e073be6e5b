"""Benchmark: the colleague chooser (request form, "Give feedback", its search) as the organisation grows.

Usage:
    DATABASE_URL=… BRIGHTLINE_HOME=… .venv/bin/python bench/bench_colleague_chooser.py [--add 10000] [--rounds 5]

Reads the demo organisation already in the database (``brightline demo load``) as Erin, measures each chooser page
(median process CPU per request, SQL queries, bytes sent), then adds ``--add`` people in new teams inside a
transaction, measures again and rolls the people back. A chooser that listed everyone would grow with the
organisation; this one prints the same bytes and queries and a CPU ratio near 1. The ratios to the trivial page
(the notification settings) are printed too; absolute times mean little on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--add", type=int, default=10_000, help="people to add for the second measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from brightline.people.models import Person, Team

    erin = Person.objects.get(user__username="erin")
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(erin.user)
    pages = {"trivial": "/me/notifications/", "request form": f"/growth/{erin.pk}/requests/new/",
             "give feedback": "/growth/give/", "search (htmx)": f"/growth/people/?mode=ask&about={erin.pk}&q=an",
             "give, searched": "/growth/give/?q=an%20a"}

    def measure() -> dict[str, tuple[float, int, int]]:
        found = {}
        for name, url in pages.items():
            browser.get(url)  # warm: templates compiled, caches filled
            cpu = []
            for _ in range(args.rounds):
                with CaptureQueriesContext(connection) as queries:
                    start = time.process_time()
                    response = browser.get(url)
                    cpu.append(time.process_time() - start)
                assert response.status_code == 200, (url, response.status_code)
            found[name] = (statistics.median(cpu), len(queries), len(response.content))
        return found

    people = Person.objects.filter(is_active=True).count()
    before = measure()
    try:
        with transaction.atomic():
            teams = Team.objects.bulk_create(Team(organisation=erin.organisation, slug=f"bench-{n}",
                                                  name=f"Bench team {n}") for n in range(args.add // 10 + 1))
            Person.objects.bulk_create(
                Person(organisation=erin.organisation, employee_id=f"BENCH-{n}", name=f"Anna Bench {n:05d}",
                       email=f"bench{n}@example.org", team=teams[n // 10]) for n in range(args.add))
            after = measure()
            raise Rollback
    except Rollback:
        pass
    grown = people + args.add
    print(f"{'page':<16} {'CPU ms':>14} {'ratio':>6} {'× trivial':>14} {'queries':>9} {'bytes':>16}")
    for name in pages:
        (cpu_a, q_a, b_a), (cpu_b, q_b, b_b) = before[name], after[name]
        trivial_a, trivial_b = before["trivial"][0], after["trivial"][0]
        print(f"{name:<16} {cpu_a * 1000:6.1f} → {cpu_b * 1000:5.1f} {cpu_b / cpu_a:6.2f} "
              f"{cpu_a / trivial_a:5.1f} → {cpu_b / trivial_b:4.1f} {q_a:4d} → {q_b:<3d} {b_a:7d} → {b_b:<7d}")
    print(f"{people} → {grown} active people; median of {args.rounds} requests each")


if __name__ == "__main__":
    main()
