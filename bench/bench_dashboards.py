"""Benchmark: each persona's home and dashboard pages on a generated organisation, through a real server.

Usage:
    .venv/bin/python bench/bench_dashboards.py --database-url postgres://…/brightline [--people 2000]
        [--requests 200] [--concurrency 8] [--seed 7]

Builds the large demo (``brightline demo load --size large``) in the given database unless it is already
there (then it is reused, whatever its size), starts gunicorn on a free loopback port as docs/deployment.md
recommends (synchronous workers, two per core; ``--workers``/``--threads`` change it), logs in as each
persona (engineer, manager of about ten, director, vice president, leader, people partner) and sends
``--requests`` requests per page at ``--concurrency`` from a load client on the same machine. Prints
p50/p95/p99 per page and the ratio of each page's p95 to a trivial authenticated page measured in the
same run. Targets (PRODUCT.md): p95 at most 5x the trivial page, and at most 150 ms on an idle machine.
Not a pass/fail test: these machines are shared and noisy. Without --database-url a temporary SQLite
file is used (for trying the script; the measured numbers are for PostgreSQL). Use a throw-away database.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TRIVIAL = ("engineer", "/me/notifications/")
TARGET_RATIO, TARGET_MS = 5.0, 150.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(options: argparse.Namespace) -> dict[str, str]:
    """The organisation, built unless present; returns the persona pages to measure."""
    import django

    django.setup()
    from django.core.management import call_command

    from brightline.demo_large import large_demo_exists, load_large_demo
    from brightline.people.models import Person

    call_command("migrate", verbosity=0)
    if large_demo_exists():
        print(f"reusing the large demo already in the database: {Person.objects.count()} people")
        from brightline.rollups.models import Rollup
        from brightline.rollups.services import refresh

        if not Rollup.objects.exists():  # loaded by a version that left them to the first page read
            start = time.perf_counter()
            report = refresh(everything=True)
            print(f"computed {report.computed} rollups in {time.perf_counter() - start:.0f} s")
    else:
        start = time.perf_counter()
        result = load_large_demo(seed=options.seed, people=options.people, years=options.years)
        print(f"generated {result.people} people in {result.teams} teams ({options.years} years of history) "
              f"in {time.perf_counter() - start:.0f} s")
    from brightline.evidence.models import Service

    team = Person.objects.get(user__username="manager").team
    assert team is not None
    # the manager's team's delivery page, or the first team's with a service, and one of its services
    service = (Service.objects.filter(team=team).order_by("name").first()
               or Service.objects.filter(team__isnull=False).select_related("team").order_by("name").first())
    assert service is not None and service.team is not None
    return {"team": team.slug, "delivery_team": service.team.slug, "service": service.name}


def start_server(port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "brightline.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--timeout", "120", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.terminate()
    server.wait(timeout=30)
    raise SystemExit("the server did not start within five minutes")


def login(base: str, username: str) -> requests.Session:
    from brightline.demo import DEMO_PASSWORD

    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=60)
    response = session.post(f"{base}/accounts/login/", timeout=60, allow_redirects=False,
                            data={"username": username, "password": DEMO_PASSWORD,
                                  "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                            headers={"Referer": f"{base}/accounts/login/"})
    if response.status_code != 302:
        raise SystemExit(f"could not log in as {username}: HTTP {response.status_code}")
    return session


def measure(base: str, session: requests.Session, path: str, count: int, concurrency: int) -> list[float]:
    cookies = session.cookies.get_dict()
    local: dict[int, requests.Session] = {}

    def one(_: int) -> float:
        import threading

        key = threading.get_ident()
        if key not in local:
            local[key] = requests.Session()
            local[key].cookies.update(cookies)
        start = time.perf_counter()
        response = local[key].get(f"{base}{path}", timeout=300, allow_redirects=False)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered HTTP {response.status_code}")
        return elapsed

    with ThreadPoolExecutor(concurrency) as pool:
        # Warm every worker process and its caches (templates, decoded rollups): requests sent concurrently reach
        # every worker, as a long-running server's would have been. Not measured.
        list(pool.map(one, range(2 * concurrency)))
        return list(pool.map(one, range(count)))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    # As docs/deployment.md recommends: gunicorn's synchronous workers, about two per core.
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="", help="measure only these pages (comma-separated labels, e.g. "
                        "'leadership,system health', or persona:label such as 'vp:home'), next to the trivial page")
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-dashboards-"))
    os.environ["DATABASE_URL"] = options.database_url or f"sqlite:///{home / 'bench.sqlite3'}"
    os.environ.setdefault("BRIGHTLINE_HOME", str(home))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")
    os.environ["BRIGHTLINE_SCHEDULES_OFF"] = "*"
    info = build(options)
    team = info["team"]
    pages = [
        ("engineer", "home", "/"), ("engineer", "growth", "/growth/"),
        ("manager", "home", "/"), ("manager", "team", "/team/"),
        ("manager", "team insights", f"/insights/team/{team}/"),
        ("leader", "team delivery", f"/evidence/teams/{info['delivery_team']}/"),
        ("leader", "service", f"/evidence/services/{info['service']}/"),
        ("director", "home", "/"), ("director", "team", "/team/"),
        ("vp", "home", "/"), ("vp", "team", "/team/"),
        ("leader", "home", "/"), ("leader", "organisation", "/organisation/"),
        ("leader", "leadership", "/governance/leadership/"),
        ("partner", "home", "/"), ("partner", "fairness", "/fairness/"),
        ("partner", "system health", "/governance/system-health/"),
    ]
    if options.only:
        chosen = {label.strip() for label in options.only.split(",")}
        pages = [page for page in pages if page[1] in chosen or f"{page[0]}:{page[1]}" in chosen]
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, env, options.workers, options.threads)
    try:
        sessions = {name: login(base, name) for name in {persona for persona, *_ in pages} | {TRIVIAL[0]}}
        print(f"{options.requests} requests per page at concurrency {options.concurrency}; gunicorn "
              f"{options.workers} workers x {options.threads} threads; {os.cpu_count()} CPUs; load average "
              f"{' '.join(f'{load:.1f}' for load in os.getloadavg())}")
        baseline = measure(base, sessions[TRIVIAL[0]], TRIVIAL[1], options.requests, options.concurrency)
        trivial_p95 = percentile(baseline, 95)
        header = f"{'persona':<10} {'page':<14} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95/trivial':>12}"
        print(header)
        print(f"{'(trivial)':<10} {TRIVIAL[1]:<14} {percentile(baseline, 50):8.0f} {trivial_p95:8.0f} "
              f"{percentile(baseline, 99):8.0f} {1.0:12.1f}")
        worst_ratio = 0.0
        for persona, label, path in pages:
            started = time.perf_counter()
            try:
                latencies = measure(base, sessions[persona], path, options.requests, options.concurrency)
            except requests.Timeout:
                worst_ratio = float("inf")
                print(f"{persona:<10} {label:<14} a request took over 300 s: not measured "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
                continue
            p95 = percentile(latencies, 95)
            worst_ratio = max(worst_ratio, p95 / trivial_p95)
            flag = "" if p95 / trivial_p95 <= TARGET_RATIO else "  over 5x"
            print(f"{persona:<10} {label:<14} {percentile(latencies, 50):8.0f} {p95:8.0f} "
                  f"{percentile(latencies, 99):8.0f} {p95 / trivial_p95:12.1f}{flag}"
                  f"  ({time.perf_counter() - started:.0f} s)", flush=True)
        print(f"load average at the end: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
        print(f"worst p95 ratio to the trivial page: {worst_ratio:.1f}x (target <= {TARGET_RATIO:.0f}x; "
              f"absolute target p95 <= {TARGET_MS:.0f} ms on an idle machine)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
