"""Benchmark: start-up of every ``brightline`` command against a bare ``django.setup()``.

Usage:
    .venv/bin/python bench/bench_startup.py [--rounds 5] [--only metrics]

In one run it times, as fresh processes with this checkout's settings:

* the baseline, ``python -c "import django; django.setup()"``;
* ``brightline <group> <sub-command> --help`` for every sub-command the installed apps declare
  (and ``brightline <group> --help`` for every group).

Each is run ``--rounds`` times, interleaved with the baseline so a busy machine slows both alike;
the median is printed with its ratio to the baseline's median. Target: every ratio ≤ 1.5.
Exit status 1 when a ratio is above the target (a benchmark, not a test: no test times anything).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 1.5
SRC = Path(__file__).resolve().parents[1] / "src"
BASELINE = [sys.executable, "-c", "import django; django.setup()"]
LIST_COMMANDS = """
import django
django.setup()
from django.apps import apps
from django.utils.module_loading import module_has_submodule
import importlib
for config in apps.get_app_configs():
    if module_has_submodule(config.module, "subcommands"):
        for sub in importlib.import_module(config.name + ".subcommands").SUBCOMMANDS:
            print(sub.group, sub.name)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH", "")]))
    env.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")
    return env


def _run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", help="time only the commands of this group")
    args = parser.parse_args()
    env = _env()
    listed = subprocess.run([sys.executable, "-c", LIST_COMMANDS], env=env, check=True, capture_output=True,
                            text=True).stdout.split("\n")
    pairs = sorted({tuple(line.split()) for line in listed if line.strip()})
    groups = sorted({group for group, _ in pairs})
    commands = [[group] for group in groups] + [list(pair) for pair in pairs]
    if args.only:
        commands = [command for command in commands if command[0] == args.only]
    cli = [sys.executable, "-m", "brightline"]
    _run(BASELINE, env)  # warm the file cache once
    baseline: list[float] = []
    timings: dict[str, list[float]] = {" ".join(command): [] for command in commands}
    for _ in range(args.rounds):
        for command in commands:
            baseline.append(_run(BASELINE, env))
            timings[" ".join(command)].append(_run([*cli, *command, "--help"], env))
    base = statistics.median(baseline)
    print(f"bare django.setup(): median {base:.3f} s over {len(baseline)} runs")
    print(f"{'command':<40} {'median s':>9} {'ratio':>6}")
    worst = 0.0
    for name, values in timings.items():
        ratio = statistics.median(values) / base
        worst = max(worst, ratio)
        mark = "" if ratio <= TARGET else "  above target"
        print(f"{'brightline ' + name + ' --help':<40} {statistics.median(values):>9.3f} {ratio:>6.2f}{mark}")
    print(f"worst ratio {worst:.2f} (target ≤ {TARGET})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
