"""Benchmark: the CSV and event imports at scale, measured in one run on a fresh database.

Usage:
    .venv/bin/python bench/bench_imports.py [--people 10000] [--events 20000] [--answers 20000]
                                            [--time-off 20000] [--memory-events 200000]
                                            [--scale-events 200000,1000000]
                                            [--database-url postgres://…]

Generates a 10,000-row HRIS export (1 CEO, 10 VPs, 100 directors, 1,000 managers, 8,889 engineers; see
``bench_import_people.generate``), imports it from a file as ``brightline import people`` does, imports it
again unchanged, then imports deployment/incident/page events, clarity-survey answers and time-off ranges
for those people. For each it prints rows/s by the wall clock and by the process's CPU time (on a machine
shared with other work the CPU figure is the steadier one; with PostgreSQL part of the work is in the
server, so read the wall clock there). It also compares the peak memory (tracemalloc) of reading and checking
the same events as CSV, as a one-line JSON array and as JSON Lines (``--memory-events``, default 200,000), next to
what parsing the JSON document whole takes. ``--scale-events`` imports event files of the given sizes (checked and
written) and prints how the peak memory grows from the smallest to the larger ones (≈ 1 x: bounded). Ends with
``audit verify``. Without --database-url a temporary SQLite
file is used; a given database is migrated and flushed first (use a throw-away one). Targets (issue 19):
people ≥ 2,000 rows/s, a re-import with no changes under 5 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import_people import fresh_database, generate  # noqa: E402  (the 10,000-row HRIS export)

TODAY = dt.date(2026, 6, 30)


def events_csv(count: int, services: list[str], people: list[str], *, seed: int = 5, prefix: str = "") -> bytes:
    """Deployments, incidents (half linked to a deployment of the file) and pages, as the CSV export has them;
    ``prefix`` begins every id (files of different sizes then add rows, not update those of the other)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["type", "id", "service", "version", "status", "deployed_at", "opened_at", "resolved_at",
                     "paged_at", "person", "linked_deployment", "severity", "handled_by", "title"])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    deployments: list[str] = []
    for number in range(count):
        at = start + dt.timedelta(minutes=37 * number)
        service = rng.choice(services)
        roll = rng.random()
        if roll < 0.6 or not deployments:
            deployments.append(f"{prefix}d{number}")
            writer.writerow(["deployment", f"{prefix}d{number}", service, f"v{number}", "success", at.isoformat(),
                             "", "", "", "", "", "", "", ""])
        elif roll < 0.8:
            link = rng.choice(deployments) if rng.random() < 0.5 else ""
            writer.writerow(["incident", f"{prefix}i{number}", service, "", "", "", at.isoformat(),
                             (at + dt.timedelta(hours=2)).isoformat(), "", "", link, "sev2",
                             rng.choice(people), f"Incident {number}"])
        else:
            writer.writerow(["page", f"{prefix}p{number}", service, "", "", "", "",
                             (at + dt.timedelta(hours=1)).isoformat(), at.isoformat(), rng.choice(people),
                             "", "", "", ""])
    return out.getvalue().encode()


def events_as_json(data: bytes, layout: str) -> bytes:
    """The events of :func:`events_csv` as a JSON array (one line, as ``json.dump`` writes it) or JSON Lines."""
    rows = [{key: value for key, value in row.items() if value} for row in csv.DictReader(io.StringIO(data.decode()))]
    if layout == "lines":
        return "".join(json.dumps(row) + "\n" for row in rows).encode()
    return json.dumps(rows).encode()


def peak_memory(action: Callable[[], Any]) -> int:
    """The peak of the memory Python allocates while ``action`` runs (tracemalloc), in bytes."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def survey_csv(count: int, managers: list[str], *, seed: int = 6) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["survey_date", "question", "answer", "manager_id"])
    days = [dt.date(2025, month, 28) for month in (3, 6, 9, 12)]
    for _ in range(count):
        writer.writerow([rng.choice(days).isoformat(), "clarity_of_expectations", rng.randint(1, 5),
                         rng.choice(managers)])
    return out.getvalue().encode()


def time_off_csv(count: int, people: list[str], *, seed: int = 7) -> bytes:
    """Non-overlapping ranges: each person's ranges follow one another."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["person", "start_date", "end_date", "kind"])
    next_free = {person: dt.date(2025, 1, 1) for person in people}
    for number in range(count):
        person = people[number % len(people)]
        start = next_free[person] + dt.timedelta(days=rng.randint(3, 20))
        end = start + dt.timedelta(days=rng.randint(0, 6))
        next_free[person] = end
        writer.writerow([person, start.isoformat(), end.isoformat(), rng.choice(["vacation", "sick", "other"])])
    return out.getvalue().encode()


def measure(label: str, rows: int, action: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<28} {rows:>7,} rows  {wall:7.2f} s wall = {rows / wall:8,.0f} rows/s   "
          f"{cpu:7.2f} s CPU = {rows / cpu:8,.0f} rows/s", flush=True)
    return wall, cpu, result


def compare_event_memory(home: Path, count: int, services: list[str], employee_ids: list[str],
                         import_events: Callable[..., Any], parse_event_file: Callable[..., Any]) -> None:
    """The peak memory of reading and checking the same events as CSV, as a JSON array and as JSON Lines (a dry
    run: the writes that follow read the checked records back from the database, whatever the file's format), and
    of what the import held before JSON was streamed: the whole document, parsed."""
    data = events_csv(count, services, [f"{pk.lower()}@example.org" for pk in employee_ids], seed=8)
    files = {"CSV": home / "memory.csv", "JSON array": home / "memory.json", "JSON Lines": home / "memory.jsonl"}
    files["CSV"].write_bytes(data)
    files["JSON array"].write_bytes(events_as_json(data, "array"))
    files["JSON Lines"].write_bytes(events_as_json(data, "lines"))
    del data

    def dry_run(path: Path) -> Callable[[], Any]:
        def run() -> Any:
            with path.open("rb") as handle:
                source, records = parse_event_file(handle)
                result = import_events(records, source=source, actor_label="cli:bench", dry_run=True)
            assert result.deployments + result.incidents + result.pages == count, result
        return run

    def whole() -> Any:
        return json.loads(files["JSON array"].read_text())

    dry_run(files["CSV"])()  # what is loaded once (modules, caches), not measured
    peaks = {label: peak_memory(dry_run(path)) for label, path in files.items()}
    peaks["JSON array, parsed whole"] = peak_memory(whole)
    print(f"peak memory reading and checking {count:,} events (dry run; the file: "
          f"{files['JSON array'].stat().st_size / 2 ** 20:.1f} MiB as JSON, "
          f"{files['CSV'].stat().st_size / 2 ** 20:.1f} MiB as CSV):")
    for label, peak in peaks.items():
        print(f"  {label:<26} {peak / 2 ** 20:8.1f} MiB = {peak / peaks['CSV']:5.2f} x CSV", flush=True)


def write_events_file(path: Path, count: int, services: list[str], people: list[str], prefix: str) -> None:
    path.write_bytes(events_csv(count, services, people, seed=9, prefix=prefix))


def event_memory_at_scale(home: Path, sizes: list[int], services: list[str], employee_ids: list[str],
                          import_events: Callable[..., Any], parse_event_file: Callable[..., Any], *,
                          dry_run: bool = False) -> None:
    """How the memory of importing an event file (from the file, checked and written) grows with the file. Each size
    is imported by a child process of its own, so that each has its own peaks: the peak Python allocates
    (tracemalloc) and the process's peak resident memory (which also counts SQLite's, DuckDB's and Arrow's own
    memory), each once every record is written (reading, checking, spooling, writing) and after the whole import,
    with the incident attribution that follows (it reads the incidents the file's rows can move, a thousand at a
    time, and the deployments that decide them; its wall and CPU time are printed too). ``dry_run``: only read,
    check and spool. Then each larger size against the smallest: ≈ 1 x is bounded by a batch, not by the file."""
    import gc
    import resource
    import tracemalloc

    from django.db import connections

    def resident() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux

    def run(path: Path, size: int, answer: Any) -> None:
        stage = "checking" if dry_run else "writing"
        written: list[int] = []
        clocks: list[float] = []

        def progress(step: str, done: int, total: int | None) -> None:
            if step == stage and done == total:
                written.extend([tracemalloc.get_traced_memory()[1], resident()])
                clocks.extend([time.perf_counter(), time.process_time()])

        gc.collect()
        tracemalloc.start()
        with path.open("rb") as handle:
            source, records = parse_event_file(handle)
            result = import_events(records, source=source, actor_label="cli:bench", on_progress=progress,
                                   dry_run=dry_run)
        whole = tracemalloc.get_traced_memory()[1]
        # what follows the last write: the incident attribution (and the audit entry)
        after = (time.perf_counter() - clocks[0], time.process_time() - clocks[1])
        tracemalloc.stop()
        assert result.deployments + result.incidents + result.pages == size, result
        assert dry_run or result.created == size, result
        answer.put(((written[0], whole, written[1], resident()), after))

    people = [f"{pk.lower()}@example.org" for pk in employee_ids]
    fork = multiprocessing.get_context("fork")
    peaks: dict[int, tuple[int, int, int, int]] = {}
    after: dict[int, tuple[float, float]] = {}
    for size in sorted(sizes):
        path = home / f"scale-{size}.csv"
        connections.close_all()  # each child opens its own connection
        # Generated in a child process too, so that what generating takes is in no import's peak.
        child = fork.Process(target=write_events_file, args=(path, size, services, people, f"s{size}-"))
        child.start()
        child.join()
        assert child.exitcode == 0, child.exitcode
        answer = fork.Queue()
        wall = time.perf_counter()
        child = fork.Process(target=run, args=(path, size, answer))
        child.start()
        peaks[size], after[size] = answer.get()
        child.join()
        assert child.exitcode == 0, child.exitcode
        mib = [f"{peak / 2 ** 20:6.1f}" for peak in peaks[size]]
        done = "checked" if dry_run else "written"
        print(f"events import{' (dry run)' if dry_run else ''} of {size:>9,} rows "
              f"({path.stat().st_size / 2 ** 20:6.1f} MiB CSV, {time.perf_counter() - wall:7.1f} s wall under "
              f"tracemalloc): Python peak {mib[0]} MiB until {done}, {mib[1]} MiB in all; resident peak {mib[2]} / "
              f"{mib[3]} MiB", flush=True)
        if not dry_run:
            print(f"  after the last write (incident attribution): {after[size][0]:.2f} s wall, "
                  f"{after[size][1]:.2f} s CPU (under tracemalloc)", flush=True)
        path.unlink()
    smallest = min(sizes)
    for size in sorted(sizes)[1:]:
        ratios = [f"{large / small:.2f} x" for large, small in zip(peaks[size], peaks[smallest], strict=True)]
        print(f"  peak at {size:,} / at {smallest:,} rows ({size / smallest:.0f} x the rows): Python {ratios[0]} "
              f"until {done}, {ratios[1]} in all; resident {ratios[2]} / {ratios[3]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--time-off", type=int, default=20_000)
    parser.add_argument("--memory-events", type=int, default=200_000,
                        help="events in the files whose peak memory is compared, CSV against JSON (0: skip)")
    parser.add_argument("--scale-events", default="",
                        help="comma-separated sizes of event files imported (checked and written) to compare the "
                             "peak memory at each size, e.g. 200000,1000000 (default: skip)")
    parser.add_argument("--scale-dry-run", action="store_true",
                        help="with --scale-events: only read, check and spool the files (no writes, no attribution)")
    parser.add_argument("--database-url")
    options = parser.parse_args()
    home = fresh_database("bench-imports-", options.database_url)
    from django.db import connection

    from brightline.audit.services import verify_chain
    from brightline.evidence.models import Service
    from brightline.evidence.sources.events.importer import import_events, parse_event_file
    from brightline.evidence.timeoff import import_time_off
    from brightline.governance.surveys import import_survey_answers
    from brightline.people.importer import import_people
    from brightline.people.models import Person
    from brightline.people.services import get_organisation, install_default_ladder
    from brightline.policy.services import get_policy

    print(f"database: {connection.vendor}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    install_default_ladder(actor_label="bench")
    organisation = get_organisation()
    hris = home / "people.csv"
    hris.write_bytes(generate(options.people))

    def people() -> Any:
        with hris.open("rb") as handle:
            return import_people(handle, organisation=organisation, actor_label="cli:bench")

    _, _, result = measure("people, first import", options.people, people)
    assert len(result.created) == options.people
    wall, _, result = measure("people, re-import unchanged", options.people, people)
    assert result.unchanged == options.people and not result.updated
    print(f"  re-import with no changes: {wall:.2f} s (target < 5 s)")

    employee_ids = list(Person.objects.values_list("employee_id", flat=True))
    managers = list(Person.objects.filter(reports__isnull=False).distinct().values_list("employee_id", flat=True))
    policy = get_policy()
    policy.allowed_sources = sorted({*policy.allowed_sources, "surveys", "pto", "deployments", "incidents"})
    policy.save()
    Service.objects.bulk_create([Service(name=f"service-{number}") for number in range(300)])
    services = [f"service-{number}" for number in range(300)]

    files = {"events.csv": events_csv(options.events, services, [f"{pk.lower()}@example.org" for pk in employee_ids]),
             "survey.csv": survey_csv(options.answers, managers),
             "time_off.csv": time_off_csv(options.time_off, employee_ids)}
    for name, data in files.items():
        (home / name).write_bytes(data)

    def events() -> Any:
        with (home / "events.csv").open("rb") as handle:
            source, records = parse_event_file(handle)
            return import_events(records, source=source, actor_label="cli:bench")

    def from_file(name: str, importer: Callable[..., Any]) -> Callable[[], Any]:
        def run() -> Any:
            with (home / name).open("rb") as handle:
                return importer(handle, actor=None, actor_label="cli:bench")
        return run

    measure("events, first import", options.events, events)
    measure("events, re-import", options.events, events)
    if options.memory_events:
        compare_event_memory(home, options.memory_events, services, employee_ids, import_events, parse_event_file)
    if options.scale_events:
        event_memory_at_scale(home, [int(size) for size in options.scale_events.split(",")], services, employee_ids,
                              import_events, parse_event_file, dry_run=options.scale_dry_run)
    measure("survey answers", options.answers, from_file("survey.csv", import_survey_answers))
    measure("time off", options.time_off, from_file("time_off.csv", import_time_off))
    measure("time off, re-import", options.time_off, from_file("time_off.csv", import_time_off))
    check = verify_chain()
    print(f"audit verify: {'ok' if check.ok else 'BROKEN: ' + check.reason} ({check.entries:,} entries)")


if __name__ == "__main__":
    main()
