"""Benchmark: ``brightline ingest git`` into SQLite (and PostgreSQL) against the ``git log --numstat``
floor and PyDriller.

Usage:
    .venv/bin/python bench/bench_ingest.py [REPO] [--commits 50000] [--database-url postgres://…] [--rounds 3]

Without REPO a synthetic repository is generated with the generator of ``bench_git_parse.py``.
The ingest runs as a real ``brightline ingest git`` process against a fresh SQLite file, and
against ``--database-url`` when given (its tables are created with ``migrate`` and emptied with
``flush`` before every round: use a throw-away database). The ingest time is the command's own
``seconds`` (Django start-up excluded).

Ratios are measured in this one run. The machines we share are noisy (other work comes and goes
within seconds), so each round times the floor just before and just after its ingests and divides
by their mean; the ratio printed is the median over ``--rounds`` rounds, next to every round's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_git_parse import generate_repository, time_git_floor, time_pydriller  # noqa: E402


def brightline(database_url: str, home: Path, *args: str, repo: Path | None = None) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "BRIGHTLINE_HOME": str(home), "BENCH_REPO": str(repo or "")}
    return subprocess.run([sys.executable, "-m", "brightline", *args], env=env, check=True, capture_output=True,
                          text=True).stdout


# Every author a person: the ingest then also writes one merged-change evidence item per commit.
ADD_PEOPLE = """
import os, subprocess
from brightline.people.models import Organisation, Person
emails = sorted(set(subprocess.run(["git", "-C", os.environ["BENCH_REPO"], "log", "--format=%ae"], capture_output=True,
                                   text=True, check=True).stdout.split()))
organisation = Organisation.objects.first() or Organisation.objects.create(name="Bench", slug="bench")
Person.objects.bulk_create([Person(organisation=organisation, employee_id=f"bench-{number}", name=email, email=email)
                            for number, email in enumerate(emails)], ignore_conflicts=True)
"""


def ingest(repo: Path, database_url: str, home: Path, *, fresh: bool = True, people: bool = False) -> dict:
    brightline(database_url, home, "migrate", "-v0")
    if fresh and not database_url.startswith("sqlite:"):
        brightline(database_url, home, "flush", "--no-input", "-v0")
    if fresh and people:
        brightline(database_url, home, "shell", "-c", ADD_PEOPLE, repo=repo)
    output = brightline(database_url, home, "ingest", "git", str(repo), "--service", "bench", "--json")
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", nargs="?", help="existing repository to ingest instead of generating one")
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--database-url", help="also ingest into this (throw-away) PostgreSQL database")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of floor and ingests (default 3)")
    parser.add_argument("--people", action="store_true",
                        help="make every author a person first, so merged-change evidence items are written too")
    parser.add_argument("--pydriller-sample", type=int, default=1_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as scratch:
        home = Path(scratch)
        if args.repo:
            repo = Path(args.repo)
        else:
            repo = home / "synthetic.git"
            start = time.perf_counter()
            generate_repository(repo, args.commits)
            print(f"generated {args.commits:,} commits in {time.perf_counter() - start:.1f} s")
        time_git_floor(repo)  # warm the page cache
        names = ["SQLite"] + (["PostgreSQL"] if args.database_url else [])
        floors: list[float] = []
        seconds: dict[str, list[float]] = {name: [] for name in names}
        ratios: dict[str, list[float]] = {name: [] for name in names}
        results: dict[str, dict] = {}
        sqlite_url = ""
        for number in range(1, max(1, args.rounds) + 1):
            before = time_git_floor(repo)
            sqlite_url = f"sqlite:///{home / f'bench-{number}.sqlite3'}"
            urls = {"SQLite": sqlite_url, "PostgreSQL": args.database_url or ""}
            for name in names:
                results[name] = ingest(repo, urls[name], home, people=args.people)
                seconds[name].append(results[name]["seconds"])
            floor = (before + time_git_floor(repo)) / 2
            floors.append(floor)
            line = f"round {number}: floor {floor:5.2f} s"
            for name in names:
                ratios[name].append(seconds[name][-1] / floor)
                line += f" | {name} {seconds[name][-1]:5.2f} s = {ratios[name][-1]:.2f}x"
            print(line, flush=True)
        again = ingest(repo, sqlite_url, home, fresh=False)
        sample_time, sampled = time_pydriller(repo, args.pydriller_sample)
        first = results["SQLite"]
        pydriller = sample_time / sampled * first["commits"]
        floor = statistics.median(floors)

        print(f"repository: {repo} — {first['commits']:,} commits, +{first['lines_added']:,} / "
              f"-{first['lines_deleted']:,} lines, {first['releases']} releases"
              + (", every author a person" if args.people else ""))
        print(f"git log --numstat > /dev/null (floor, median): {floor:8.2f} s "
              f"({first['commits'] / floor:,.0f} commits/s)")
        for name in names:
            median = statistics.median(seconds[name])
            print(f"brightline ingest git into {name:10s} (median): {median:8.2f} s "
                  f"({first['commits'] / median:,.0f} commits/s)")
        print(f"second run, nothing new (SQLite):             {again['seconds']:8.2f} s "
              f"(new_commits={again['new_commits']})")
        print(f"PyDriller {sampled:,} commits {sample_time:.2f} s -> extrapolated: {pydriller:8.2f} s")
        for name in names:
            each = ", ".join(f"{ratio:.2f}" for ratio in ratios[name])
            print(f"RATIO ingest {name} / git floor:           {statistics.median(ratios[name]):8.2f}x  "
                  f"(target <= 1.5x; rounds: {each})")
            print(f"RATIO PyDriller / ingest {name}:           "
                  f"{pydriller / statistics.median(seconds[name]):8.1f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
