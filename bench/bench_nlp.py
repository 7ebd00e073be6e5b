"""Throughput of the classifiers and of ``classify_csv`` against bare embedding speed.

    .venv/bin/python bench/bench_nlp.py --count 100000

Builds 100,000 synthetic review comments (see ``bench_embeddings.py``), then times, each on the
same texts: ``classify_csv`` on a CSV of them (first, so the peak memory it reports is that of the
streaming path), then ``embed``, ``classify_sentiment`` and ``classify_tone`` on the whole list.
Prints rows/s, each one's ratio to bare ``embed`` and the peak resident memory.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_embeddings import synthetic_comments  # noqa: E402

from brightline.core.nlp import classify_csv, classify_sentiment, classify_tone, embed  # noqa: E402


def rate(label: str, count: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    per_second = count / (time.perf_counter() - started)
    print(f"{label:<34} {per_second:>10,.0f} rows/s", flush=True)
    return per_second


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    arguments = parser.parse_args()
    texts = synthetic_comments(arguments.count, seed=1)
    print(f"cpus available: {len(os.sched_getaffinity(0))}; texts: {len(texts):,}")
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
        csv_rate = rate(
            "classify_csv (sentiment)",
            len(texts),
            lambda: classify_csv(source, Path(folder) / "out.csv", task="sentiment", text_column="text"),
        )
        print(f"peak RSS after classify_csv: {peak_rss_mib():,.0f} MiB")
    embed_rate = rate("embed (static)", len(texts), lambda: embed(texts))
    sentiment_rate = rate("classify_sentiment", len(texts), lambda: classify_sentiment(texts))
    tone_rate = rate("classify_tone", len(texts), lambda: classify_tone(texts))
    print(f"sentiment / embed ratio: {sentiment_rate / embed_rate:.2f}")
    print(f"tone / embed ratio: {tone_rate / embed_rate:.2f}")
    print(f"classify_csv / embed ratio: {csv_rate / embed_rate:.2f}")
    print(f"peak RSS at the end (100,000 texts embedded and classified in one call each): {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
