"""CPU of the narrative checks on manager-written texts, and of the phrase lists' matching inside them.

    .venv/bin/python bench/bench_narrative_checks.py --count 3000 --rounds 3

Builds ``--count`` texts the way the large demo writes a review (a summary and each dimension's rationale, with
citations, from ``demo_large_texts``; the same seed gives the same texts), then, each round, times in CPU seconds:

* ``check_text(kind="manager_narrative")`` over every text (what improvement after feedback runs per text);
* for every phrase list, ``PhraseSet.find`` over every text against one scan of the text per phrase (each
  phrase's own pattern with ``finditer``, the way the lists were matched before), and checks both give the same
  matches.

Prints the median of the rounds: milliseconds of CPU per checked text, and the scan's CPU as a ratio of one scan
per phrase (below 1: faster). Pass ``--src`` to time another checkout's code with the same texts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from importlib import resources
from pathlib import Path
from statistics import median

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--count", type=int, default=3000)
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src",
                    help="the source tree to time (default: this checkout's)")
arguments = parser.parse_args()
sys.path.insert(0, str(arguments.src))

from brightline.core.narrative import check_text  # noqa: E402
from brightline.core.narrative.lexicon import PhraseSet, load_phrase_set  # noqa: E402
from brightline.demo_large_texts import (  # noqa: E402
    RATIONALE_CLOSINGS,
    RATIONALE_OPENINGS,
    SUMMARY_MIDDLES,
    SUMMARY_OPENINGS,
    compose,
)

THINGS = ("billing service", "search index", "deploy pipeline", "checkout flow", "alerting rules", "feature flags")
NAMES = ("Ada", "Bo", "Chen", "Dara", "Eli", "Femi")


def manager_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts: list[str] = []
    while len(texts) < count:
        cite = f"[E:{rng.randint(1, 90_000)}]"
        texts.append(compose(rng, SUMMARY_OPENINGS, SUMMARY_MIDDLES, name=rng.choice(NAMES), x=rng.choice(THINGS),
                             cite=cite if rng.random() < 0.8 else ""))
        for outcomes in RATIONALE_OPENINGS.values():
            cites = " ".join(f"[E:{rng.randint(1, 90_000)}]" for _ in range(rng.randint(0, 2)))
            opening = rng.choice(rng.choice(list(outcomes.values())))
            texts.append(opening.format(x=rng.choice(THINGS), cites=cites).replace(" .", ".")
                         + rng.choice(RATIONALE_CLOSINGS))
    return texts[:count]


def every_list() -> list[PhraseSet]:
    lists = []
    for entry in sorted(resources.files("brightline.core.narrative.rules").iterdir(), key=lambda path: path.name):
        if entry.name.endswith(".json"):
            for name, value in json.loads(entry.read_text(encoding="utf-8")).items():
                if isinstance(value, dict) and "phrases" in value:
                    lists.append(load_phrase_set(entry.name.removesuffix(".json"), name))
    return lists


def phrase_by_phrase(phrases: PhraseSet, text: str) -> tuple[object, ...]:
    # In a checkout from before the single scan (``--src``), ``find`` itself scans once per phrase.
    return getattr(phrases, "find_phrase_by_phrase", phrases.find)(text)  # type: ignore[no-any-return]


def cpu(work) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    texts = manager_texts(arguments.count, arguments.seed)
    lists = every_list()
    check_text("Warm-up: a great team player.", kind="manager_narrative")
    checks, scans, per_phrase = [], [], []
    for _ in range(arguments.rounds):
        checks.append(cpu(lambda: [check_text(text, kind="manager_narrative") for text in texts]))
        scans.append(cpu(lambda: [phrases.find(text) for phrases in lists for text in texts]))
        per_phrase.append(cpu(lambda: [phrase_by_phrase(phrases, text) for phrases in lists for text in texts]))
    same = all(phrases.find(text) == phrase_by_phrase(phrases, text) for phrases in lists for text in texts)
    print(f"source: {arguments.src}; texts: {len(texts):,} (mean {sum(map(len, texts)) / len(texts):.0f} characters); "
          f"phrase lists: {len(lists)}; rounds: {arguments.rounds}")
    print(f"check_text (manager narrative): {1000 * median(checks) / len(texts):.2f} ms of CPU a text")
    print(f"PhraseSet.find over every list: {1000 * median(scans) / len(texts):.2f} ms a text; "
          f"one scan per phrase: {1000 * median(per_phrase) / len(texts):.2f} ms a text; "
          f"ratio {median(s / p for s, p in zip(scans, per_phrase, strict=True)):.2f}; same matches: {same}")


if __name__ == "__main__":
    main()
