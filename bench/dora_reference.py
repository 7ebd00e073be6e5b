"""DORA from git: the product against a reference computed from raw ``git`` commands alone.

Usage (run by hand; fetched repositories stay out of the repository and out of ``make test``)::

    PYTHONPATH=src python bench/dora_reference.py /tmp/repo-a /tmp/repo-b … [--markdown]

For each repository (a clone with its tags) the product runs through its command line only —
``python -m brightline ingest git PATH --service NAME --json`` and ``metrics dora --service NAME
--since 2000-01-01 --json`` — into a throw-away SQLite database, and the reference computes the
same figures from ``git for-each-ref``, ``git rev-list`` and ``git log`` with no product code.
Both are printed side by side; the exit status is 1 when any figure differs.

The reference's rules (docs/metrics/delivery.md, "DORA from git"):

* every tag matching ``^v?\\d+(\\.\\d+)+$`` is one production deployment, at the tagger date
  (annotated) or the commit date (lightweight); a commit belongs to the first release, in
  (time, name) order, whose history contains it (``git rev-list TAG --not EARLIER…``);
* lead time: every non-merge commit reachable from HEAD and released, release time minus author
  time in hours, values <= 0 left out; percentiles with linear interpolation;
* a revert (``This reverts commit <sha>`` in the message) reachable from HEAD or a release: not
  released yet -> nothing; the reverted commit first released at the same moment as the revert or
  later -> rework of the revert's release; earlier -> failure of that release recovered when the
  revert's release went live, unless the revert reverts a revert an odd number of levels deep
  (a re-application: nothing) or a revert of it ships at the same moment (rework);
* change fail rate: failed releases / releases; recovery: hours from a failed release to its
  earliest fix release; rework rate: releases shipping any failure fix or rework / releases.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

TAG_PATTERN = re.compile(r"^v?\d+(\.\d+)+$")
REVERT = re.compile(r"This reverts commit ([0-9a-f]{7,64})", re.IGNORECASE)
SINCE = "2000-01-01"
TOLERANCE = 1e-6


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True,
                          errors="replace", check=True).stdout


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (what DuckDB's quantile_cont and numpy do)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Figures:
    deployments: int = 0
    lead_n: int = 0
    lead_p50: float | None = None
    lead_p90: float | None = None
    change_fail_rate: float | None = None
    recovery_n: int = 0
    recovery_p50: float | None = None
    recovery_p90: float | None = None
    rework_rate: float | None = None
    extra: dict[str, object] = field(default_factory=dict)

    ROWS = ("deployments", "lead_n", "lead_p50", "lead_p90", "change_fail_rate", "recovery_n", "recovery_p50",
            "recovery_p90", "rework_rate")


def releases(repo: Path, end: datetime) -> tuple[list[tuple[datetime, str, str]], list[tuple[datetime, str, str]]]:
    """``(time, name, commit sha)`` of the release tags in the window and of all of them, oldest first."""
    output = git(repo, "for-each-ref", "--format=%(refname:strip=2)%00%(objecttype)%00%(taggerdate:unix)"
                 "%00%(creatordate:unix)", "refs/tags")
    rows = [line.split("\x00") for line in output.splitlines() if line]
    rows = [row for row in rows if TAG_PATTERN.search(row[0]) and row[1] in ("commit", "tag")]
    peeled = git(repo, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                 stdin="".join(f"refs/tags/{row[0]}^{{commit}}\n" for row in rows)).splitlines()
    found = []
    start = datetime.fromisoformat(SINCE).replace(tzinfo=UTC)
    for (name, kind, tagger, creator), line in zip(rows, peeled, strict=True):
        parts = line.split()
        if len(parts) != 2 or parts[1] != "commit":
            continue
        seconds = int(tagger or creator) if kind == "tag" else int(creator)
        moment = datetime.fromtimestamp(seconds, UTC)
        found.append((moment, name, parts[0]))
    found.sort()
    return [row for row in found if start <= row[0] < end], found


def first_release(repo: Path, tags: list[tuple[datetime, str, str]]) -> dict[str, int]:
    """``{sha: index of the first release containing it}`` with one rev-list per release."""
    first: dict[str, int] = {}
    for index, (_, _, sha) in enumerate(tags):
        earlier = "".join(f"^{tag[2]}\n" for tag in tags[:index])
        for line in git(repo, "rev-list", "--stdin", stdin=f"{sha}\n{earlier}").splitlines():
            first.setdefault(line, index)
    return first


def reference(repo: Path, end: datetime) -> Figures:
    in_window, tags = releases(repo, end)
    first = first_release(repo, tags)
    times = [tag[0] for tag in tags]
    distinct = sorted(set(times))
    rank = [distinct.index(moment) for moment in times]
    counted = {index for index, tag in enumerate(tags) if tag in in_window}

    lead: list[float] = []
    for line in git(repo, "log", "--no-merges", "--format=%H %at", "HEAD").splitlines():
        sha, authored = line.split()
        release = first.get(sha)
        if release is None or release not in counted:
            continue
        hours = (times[release].timestamp() - int(authored)) / 3600
        if hours > 0:
            lead.append(hours)

    tips = "".join(f"{tag[2]}\n" for tag in tags) + "HEAD\n"
    log = git(repo, "log", "--format=%H%x00%B%x01", "--stdin", stdin=tips)
    target_of: dict[str, str] = {}
    for record in log.split("\x01"):
        sha, _, message = record.strip("\n").partition("\x00")
        match = REVERT.search(message)
        if sha and match:
            target_of[sha] = match.group(1).lower()
    known = sorted(set(first) | set(target_of))

    def full(prefix: str) -> str | None:
        if prefix in first or prefix in target_of:
            return prefix
        at = bisect.bisect_left(known, prefix)
        hits = [sha for sha in known[at:at + 2] if sha.startswith(prefix)]
        return hits[0] if len(hits) == 1 else None

    resolved = {sha: full(target) for sha, target in target_of.items()}

    def depth(sha: str) -> int:
        steps, current = 1, resolved.get(sha)
        while current is not None and current in resolved and steps < 64:
            steps, current = steps + 1, resolved[current]
        return steps

    fixes: dict[int, list[int]] = {}
    rework: set[int] = set()
    for sha, target in resolved.items():
        fix = first.get(sha)
        shipped = first.get(target) if target else None
        if fix is None or shipped is None:
            continue
        if rank[shipped] >= rank[fix]:
            rework.add(fix)
        elif depth(sha) % 2 == 0:
            continue
        elif any(rank[first[other]] == rank[fix] for other, undone in resolved.items()
                 if undone == sha and other in first):
            rework.add(fix)
        else:
            fixes.setdefault(shipped, []).append(fix)
            rework.add(fix)

    failed = [index for index in fixes if index in counted]
    recovery = [(times[min(fixes[index], key=lambda fix: times[fix])] - times[index]).total_seconds() / 3600
                for index in failed]
    deployments = len(counted)
    return Figures(
        deployments=deployments, lead_n=len(lead), lead_p50=quantile(lead, 0.5), lead_p90=quantile(lead, 0.9),
        change_fail_rate=len(failed) / deployments if deployments else None,
        recovery_n=len(recovery), recovery_p50=quantile(recovery, 0.5), recovery_p90=quantile(recovery, 0.9),
        rework_rate=len(rework & counted) / deployments if deployments else None,
        extra={"failed": len(failed), "reverts": len(target_of), "commits": len(first)},
    )


def product(repo: Path, service: str, env: dict[str, str]) -> Figures:
    def run(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "brightline", *args], env=env, capture_output=True, text=True,
                              check=True).stdout

    ingested = json.loads(run("ingest", "git", str(repo), "--service", service, "--json"))
    metrics = json.loads(run("metrics", "dora", "--service", service, "--since", SINCE, "--json"))
    lead, recovery = metrics["lead_time_hours"], metrics["failed_deployment_recovery_hours"]
    return Figures(
        deployments=metrics["deployments"], lead_n=lead["n"], lead_p50=lead["median"], lead_p90=lead["p90"],
        change_fail_rate=metrics["change_fail_rate"], recovery_n=recovery["n"], recovery_p50=recovery["median"],
        recovery_p90=recovery["p90"], rework_rate=metrics["rework_rate"],
        extra={"commits": ingested["commits"], "reverts": ingested["reverts"], "seconds": ingested["seconds"]},
    )


def same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) <= TOLERANCE * max(1.0, abs(float(b)))
    return a == b


def show(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repositories", nargs="+", type=Path, help="clones with their tags")
    parser.add_argument("--markdown", action="store_true", help="also print one Markdown table for the docs")
    args = parser.parse_args(argv)
    end = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    differences = 0
    summary: list[tuple[str, Figures, Figures]] = []
    with tempfile.TemporaryDirectory(prefix="dora-reference-") as home:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{home}/db.sqlite3", "BRIGHTLINE_HOME": home}
        subprocess.run([sys.executable, "-m", "brightline", "migrate", "-v0"], env=env, check=True)
        for repo in args.repositories:
            name = repo.resolve().name.removesuffix(".git")
            ours, theirs = product(repo, name, env), reference(repo, end)
            print(f"\n{name}  (reference: {theirs.extra['commits']} released commits, {theirs.extra['reverts']} "
                  f"reverts, {theirs.extra['failed']} failed; product ingest {ours.extra['seconds']} s)")
            print(f"  {'figure':<18}{'product':>14}{'reference':>14}")
            for row in Figures.ROWS:
                a, b = getattr(ours, row), getattr(theirs, row)
                ok = same(a, b)
                differences += not ok
                print(f"  {row:<18}{show(a):>14}{show(b):>14}{'' if ok else '   <-- differs'}")
            summary.append((name, ours, theirs))
    if args.markdown:
        print("\n| repository | deployments | lead p50 / p90 (h) | change fail rate | recovery n, p50 / p90 (h) "
              "| rework rate | product = reference |")
        print("|---|---|---|---|---|---|---|")
        for name, ours, theirs in summary:
            ok = all(same(getattr(ours, row), getattr(theirs, row)) for row in Figures.ROWS)
            print(f"| {name} | {ours.deployments} | {show(ours.lead_p50)} / {show(ours.lead_p90)} "
                  f"| {show(ours.change_fail_rate)} | {ours.recovery_n}, {show(ours.recovery_p50)} / "
                  f"{show(ours.recovery_p90)} | {show(ours.rework_rate)} | {'yes' if ok else 'NO'} |")
    print(f"\n{'all figures match' if not differences else f'{differences} figure(s) differ'}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
