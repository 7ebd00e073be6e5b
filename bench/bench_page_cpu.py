"""Benchmark: CPU time and queries of one request to each persona page, through Django's test client.

Usage:
    DATABASE_URL=postgres://…/brightline .venv/bin/python bench/bench_page_cpu.py [--only "leadership,vp:home"]
        [--rounds 5] [--profile "leader:home"]

Reads an organisation already in the database (``brightline demo load --size large``, then ``rollups refresh
--all``); changes nothing but the access log. Each page is requested once to warm the process (its rollups
decoded, its templates compiled), then ``--rounds`` times: the median process CPU time per request, its wall
time and the number of SQL queries are printed. CPU time in one process is much less noisy than latency on a
shared machine, so it shows what a page costs in Python; ``bench/bench_dashboards.py`` measures latency under
load. ``--profile`` prints the top functions of one page by cumulative time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PAGES = [
    ("engineer", "home", "/"), ("engineer", "growth", "/growth/"),
    ("manager", "home", "/"), ("manager", "team", "/team/"),
    ("director", "home", "/"), ("director", "team", "/team/"),
    ("vp", "home", "/"), ("vp", "team", "/team/"),
    ("leader", "home", "/"), ("leader", "organisation", "/organisation/"),
    ("leader", "leadership", "/governance/leadership/"),
    ("partner", "home", "/"), ("engineer", "trivial", "/me/notifications/"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="labels or persona:label, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", default="", help="persona:label of one page to profile")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")
    os.environ["BRIGHTLINE_SCHEDULES_OFF"] = "*"
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from brightline.people.models import Person

    pages = PAGES
    if options.only:
        chosen = {label.strip() for label in options.only.split(",")}
        pages = [page for page in pages if page[1] in chosen or f"{page[0]}:{page[1]}" in chosen]
    print(f"{'persona':<10} {'page':<14} {'CPU ms':>8} {'wall ms':>8} {'queries':>8} {'SQL ms':>8}")
    for persona, label, path in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(Person.objects.get(user__username=persona).user)
        assert client.get(path).status_code == 200, path
        cpu, wall, sql = [], [], []
        queries = 0
        for _ in range(options.rounds):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                cpu.append((time.process_time() - started_cpu) * 1000)
                wall.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
            queries = len(captured.captured_queries)
            sql.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
        print(f"{persona:<10} {label:<14} {statistics.median(cpu):8.0f} {statistics.median(wall):8.0f} "
              f"{queries:8d} {statistics.median(sql):8.0f}", flush=True)
        if options.profile == f"{persona}:{label}":
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            client.get(path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
