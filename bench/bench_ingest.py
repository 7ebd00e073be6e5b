"""Benchmark: ``brightline ingest git`` into SQLite (and PostgreSQL) against the ``git log --numstat``
floor and PyDriller.

Usage:
    .venv/bin/python bench/bench_ingest.py [REPO] [--commits 50000] [--database-url postgres://…]

Without REPO a synthetic repository is generated with the generator of ``bench_git_parse.py``.
The ingest runs as a real ``brightline ingest git`` process against a fresh SQLite file, and
against ``--database-url`` when given (its tables are created with ``migrate``; use a throw-away
database). The ingest time is the command's own ``seconds`` (Django start-up excluded).
Ratios are measured in this one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_git_parse import generate_repository, time_git_floor, time_pydriller  # noqa: E402


def ingest(repo: Path, database_url: str, home: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "BRIGHTLINE_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "brightline", "migrate", "-v0"], env=env, check=True)
    output = subprocess.run([sys.executable, "-m", "brightline", "ingest", "git", str(repo), "--service", "bench",
                             "--json"], env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", nargs="?", help="existing repository to ingest instead of generating one")
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--database-url", help="also ingest into this (throw-away) PostgreSQL database")
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
        floor = time_git_floor(repo)
        targets = [("SQLite", f"sqlite:///{home / 'bench.sqlite3'}")]
        if args.database_url:
            targets.append(("PostgreSQL", args.database_url))
        results = {name: ingest(repo, url, home) for name, url in targets}
        again = ingest(repo, targets[0][1], home)
        sample_time, sampled = time_pydriller(repo, args.pydriller_sample)
        first = next(iter(results.values()))
        pydriller = sample_time / sampled * first["commits"]

        print(f"repository: {repo} — {first['commits']:,} commits, +{first['lines_added']:,} / "
              f"-{first['lines_deleted']:,} lines, {first['releases']} releases")
        print(f"git log --numstat > /dev/null (floor):        {floor:8.2f} s "
              f"({first['commits'] / floor:,.0f} commits/s)")
        for name, result in results.items():
            print(f"brightline ingest git into {name:10s}:       {result['seconds']:8.2f} s "
                  f"({result['commits'] / result['seconds']:,.0f} commits/s)")
        print(f"second run, nothing new (SQLite):             {again['seconds']:8.2f} s "
              f"(new_commits={again['new_commits']})")
        print(f"PyDriller {sampled:,} commits {sample_time:.2f} s -> extrapolated: {pydriller:8.2f} s")
        for name, result in results.items():
            print(f"RATIO ingest {name} / git floor:           {result['seconds'] / floor:8.2f}x  (target <= 1.5x)")
            print(f"RATIO PyDriller / ingest {name}:           {pydriller / result['seconds']:8.1f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
