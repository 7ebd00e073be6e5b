"""Benchmark: Brightline's git log parser against the `git log --numstat` floor and PyDriller.

Usage:
    .venv/bin/python bench/bench_git_parse.py [REPO] [--commits 50000] [--pydriller-sample 2000]

Without REPO, a synthetic repository with ``--commits`` commits is generated with
``git fast-import`` (a few seconds) in a temporary directory. Prints timings and ratios
measured in this one run, plus the parser's peak RSS (measured in a fresh child process).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from brightline.core.delivery import iter_commits  # noqa: E402

GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def generate_repository(path: Path, commits: int, *, seed: int = 7) -> None:
    """Write a fast-import stream: ~300 text files edited 1–3 at a time, a binary now and
    then, occasional renames, a release tag every 500 commits."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True, env=GIT_ENV)
    process = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=path, stdin=subprocess.PIPE, env=GIT_ENV
    )
    assert process.stdin is not None
    write = process.stdin.write
    files: dict[str, list[str]] = {}
    names = [f"src/module_{i:03d}/file_{i:03d}.py" for i in range(300)]
    when = 1_600_000_000
    for number in range(1, commits + 1):
        when += rng.randint(60, 3600)
        edits: list[bytes] = []
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(names)
            lines = files.setdefault(name, [f"# {name}\n"])
            for _ in range(rng.randint(1, 4)):
                if len(lines) > 40 and rng.random() < 0.5:
                    lines.pop(rng.randrange(len(lines)))
                else:
                    lines.insert(rng.randrange(len(lines) + 1), f"value_{rng.randrange(10**6)} = {number}\n")
            data = "".join(lines).encode()
            edits.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(data), data))
        if number % 97 == 0:
            blob = rng.randbytes(2048)
            edits.append(b"M 100644 inline assets/blob_%d.bin\ndata %d\n%s\n" % (number % 50, len(blob), blob))
        if number % 1009 == 0:
            old = rng.choice([n for n in names if n in files])
            new = old.replace(".py", f"_{number}.py")
            edits.append(b"R %s %s\n" % (old.encode(), new.encode()))
            names[names.index(old)] = new
            files[new] = files.pop(old)
        message = f"Change {number}\n\nSynthetic commit for the benchmark.\n".encode()
        author = f"Dev {number % 40} <dev{number % 40}@example.org> {when} +0100".encode()
        write(b"commit refs/heads/main\nmark :%d\n" % number)
        write(b"author %s\ncommitter %s\n" % (author, author))
        write(b"data %d\n%s" % (len(message), message))
        if number > 1:
            write(b"from :%d\n" % (number - 1))
        write(b"".join(edits))
        write(b"\n")
        if number % 500 == 0:
            write(b"reset refs/tags/v1.%d.0\nfrom :%d\n\n" % (number // 500, number))
    write(b"done\n")
    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(path), "symbolic-ref", "HEAD", "refs/heads/main"], check=True, env=GIT_ENV)


def time_git_floor(repo: Path) -> float:
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["git", "-C", str(repo), "log", "--numstat"], stdout=sink, check=True, env=GIT_ENV)
    return time.perf_counter() - start


def time_parser_command_alone(repo: Path) -> float:
    """The exact git command iter_commits runs (--raw --numstat -z, custom format), to /dev/null."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(
            ["git", "-C", str(repo), "-c", "core.quotepath=off", "log", "--no-color", "--diff-merges=off", "-M",
             "--raw", "--numstat", "-z", "--date=raw",
             "--format=%x1e%x1eBL%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ad%x1f%cn%x1f%ce%x1f%cd%x1f%B", "HEAD"],
            stdout=sink, check=True, env=GIT_ENV,
        )
    return time.perf_counter() - start


def time_parser(repo: Path) -> tuple[float, int, int, int]:
    start = time.perf_counter()
    count = added = deleted = 0
    for commit in iter_commits(repo):
        count += 1
        for change in commit.files:
            added += change.lines_added
            deleted += change.lines_deleted
    return time.perf_counter() - start, count, added, deleted


def parser_peak_rss_mib(repo: Path) -> float:
    """Run the parser over the whole history in a fresh interpreter and report its own max RSS."""
    code = (
        "import resource, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / 'src')!r})\n"
        "from brightline.core.delivery import iter_commits\n"
        f"n = sum(1 for _ in iter_commits({str(repo)!r}))\n"
        "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True).stdout
    _, max_rss_kib = out.split()
    return int(max_rss_kib) / 1024


def time_pydriller(repo: Path, sample: int) -> tuple[float, int]:
    from pydriller import Repository

    start = time.perf_counter()
    seen = 0
    lines = 0
    # PyDriller needs a working tree for some operations; reading stats works on bare repos.
    for commit in islice(Repository(str(repo), order="reverse").traverse_commits(), sample):
        lines += commit.insertions + commit.deletions
        seen += 1
    return time.perf_counter() - start, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", nargs="?", help="existing repository to read instead of generating one")
    parser.add_argument("--commits", type=int, default=50_000, help="commits to generate (try 100000)")
    parser.add_argument("--pydriller-sample", type=int, default=2_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-git-") as scratch:
        if args.repo:
            repo = Path(args.repo)
        else:
            repo = Path(scratch) / "synthetic.git"
            start = time.perf_counter()
            generate_repository(repo, args.commits)
            print(f"generated {args.commits:,} commits with git fast-import in {time.perf_counter() - start:.1f} s")

        # Warm the OS page cache so the first measurement is not penalised.
        time_git_floor(repo)
        floor = time_git_floor(repo)
        command_alone = time_parser_command_alone(repo)
        parsed, count, added, deleted = time_parser(repo)
        rss = parser_peak_rss_mib(repo)
        sample_time, sampled = time_pydriller(repo, args.pydriller_sample)
        pydriller_extrapolated = sample_time / sampled * count

        print(f"repository: {repo} — {count:,} commits, +{added:,} / -{deleted:,} lines")
        print(f"git log --numstat > /dev/null (floor):   {floor:8.2f} s")
        print(f"parser's own git command > /dev/null:   {command_alone:8.2f} s")
        print(f"brightline iter_commits (full history):  {parsed:8.2f} s")
        print(
            f"PyDriller traverse_commits, {sampled:,} commits: {sample_time:8.2f} s "
            f"-> EXTRAPOLATED to {count:,} commits: {pydriller_extrapolated:8.2f} s"
        )
        print(f"RATIO parser / git floor:                {parsed / floor:8.2f}x  (target <= 1.5x)")
        print(f"RATIO PyDriller (extrapolated) / parser: {pydriller_extrapolated / parsed:8.1f}x  (target >= 10x)")
        print(f"parser peak RSS over {count:,} commits:    {rss:8.1f} MiB (target < 300 MiB)")
        print(f"this process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
