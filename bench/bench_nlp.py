"""Throughput of the classifiers and of ``classify_csv`` against bare embedding speed.

    .venv/bin/python bench/bench_nlp.py --count 100000 --rounds 3

Builds 100,000 synthetic review comments (see ``bench_embeddings.py``), then times, each on the
same texts: ``classify_csv`` on a CSV of them (first, so the peak memory it reports is that of the
streaming path), then ``embed``, ``classify_sentiment`` and ``classify_tone`` on the whole list.
Repeats the timings (``--rounds``; ``embed`` is timed in every round) and prints rows/s, each one's
ratio to bare ``embed`` (the median of the rounds' ratios) and the peak resident memory. Then the
interactive case: one comment per call (``--single`` calls each), the median milliseconds of
``embed`` and ``classify_sentiment``, and their ratio.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_embeddings import synthetic_comments  # noqa: E402

from brightline.core.nlp import classify_csv, classify_sentiment, classify_tone, embed  # noqa: E402


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=300, help="one-comment calls timed for the latency")
    parser.add_argument("--rounds", type=int, default=3,
                        help="repeat every timing this often; ratios are medians of the per-round ratios")
    arguments = parser.parse_args()
    texts = synthetic_comments(arguments.count, seed=1)
    print(f"cpus available: {len(os.sched_getaffinity(0))}; texts: {len(texts):,}; rounds: {arguments.rounds}")
    timings: dict[str, list[float]] = {"embed (static)": [], "classify_csv (sentiment)": [],
                                       "classify_sentiment": [], "classify_tone": []}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "comments.csv"
        with source.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "author", "text"])
            writer.writerows([str(index), f"user{index % 97}", text] for index, text in enumerate(texts))
        # Load every model once so the timings below are steady-state throughput.
        classify_sentiment(texts[:5])
        classify_tone(texts[:5])
        # First, while memory holds only the models and the text list: the streaming path.
        timings["classify_csv (sentiment)"].append(seconds(
            lambda: classify_csv(source, Path(folder) / "out.csv", task="sentiment", text_column="text")))
        print(f"peak RSS after classify_csv: {peak_rss_mib():,.0f} MiB")
        for round_number in range(arguments.rounds):
            timings["embed (static)"].append(seconds(lambda: embed(texts)))
            if round_number:
                timings["classify_csv (sentiment)"].append(seconds(
                    lambda: classify_csv(source, Path(folder) / "out.csv", task="sentiment", text_column="text")))
            timings["classify_sentiment"].append(seconds(lambda: classify_sentiment(texts)))
            timings["classify_tone"].append(seconds(lambda: classify_tone(texts)))
    for label, taken in timings.items():
        print(f"{label:<34} {len(texts) / median(taken):>10,.0f} rows/s (median of {len(taken)})", flush=True)
    reference = timings["embed (static)"]
    for label in ("classify_sentiment", "classify_tone", "classify_csv (sentiment)"):
        ratio = median(r / t for r, t in zip(reference, timings[label], strict=True))
        print(f"{label.split(' ')[0]} / embed ratio (median of rounds): {ratio:.2f}")
    print(f"peak RSS at the end (100,000 texts embedded and classified in one call each): {peak_rss_mib():,.0f} MiB")
    latency = {name: median(seconds(lambda text=text, work=work: work([text])) for text in texts[:arguments.single])
               * 1000 for name, work in (("embed", embed), ("classify_sentiment", classify_sentiment))}
    for name, milliseconds in latency.items():
        print(f"interactive latency, one comment per call, {name}: {milliseconds:.3f} ms "
              f"(median of {arguments.single})")
    print(f"classify_sentiment / embed latency ratio: {latency['classify_sentiment'] / latency['embed']:.2f}")


if __name__ == "__main__":
    main()
