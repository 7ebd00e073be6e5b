"""Throughput of the pure pipeline behind ``brightline insights run`` against bare embedding speed.

    .venv/bin/python bench/bench_insights.py --count 100000 --rounds 3

Builds synthetic review comments (``bench_embeddings.synthetic_comments``), spread over 2,000
people and 500 writers, then times on the same texts: bare ``embed`` (the reference), themes alone
(sentence split + sentence embeddings + seed similarity), the full per-comment pass
(``analyse_comments``: comment and sentence embeddings, themes, sentiment from the already computed
embeddings), and the per-person summaries (themes, sentiment drift) on top. Prints comments/s, the
ratio of each to bare ``embed`` (``embed`` is timed again in every round and each ratio is the
median of the rounds' ratios, so a busy machine slows both sides alike) and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_embeddings import synthetic_comments  # noqa: E402

from brightline.core.insights import (  # noqa: E402
    Comment,
    ItemRef,
    Subject,
    analyse_comments,
    assign_themes,
    build_theme_index,
    deduplicate_comments,
    load_taxonomy,
    runtime_theme_index,
    sentiment_drift,
    summarise_themes,
)
from brightline.core.insights.themes import split_comments  # noqa: E402
from brightline.core.nlp import classify_sentiment, embed  # noqa: E402
from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE  # noqa: E402

PEOPLE = 2000
WRITERS = 500


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="repeat every timing this often; ratios are medians of the per-round ratios")
    parser.add_argument("--contextual", action="store_true",
                        help="use the product's index with the contextual model (it must be installed)")
    arguments = parser.parse_args()
    texts = synthetic_comments(arguments.count)
    start = datetime(2026, 5, 4, tzinfo=UTC)
    comments = [Comment(id=str(i), author_id=str(i % WRITERS), subject_id=str((i * 7) % PEOPLE), text=text,
                        written_at=start + timedelta(hours=(i * 37) % (180 * 24)),
                        source=ItemRef("feedback_response", str(i)), prompt="growth" if i % 3 == 0 else "strength")
                 for i, text in enumerate(texts)]
    index = build_theme_index(load_taxonomy(), embedder=embed)
    if arguments.contextual:
        index = runtime_theme_index(load_taxonomy())
        if not index.contextual:
            raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
        sentences = {text for spans in split_comments(texts) for text, _, _ in spans}
        print(f"themes read the contextual model: {len(sentences):,} distinct sentences (each encoded once)")
    embed(texts[:1000])  # load the model outside the timings
    classify_sentiment(texts[:10])
    count = len(comments)
    by_person: dict[str, list[int]] = {}
    for position, comment in enumerate(comments):
        by_person.setdefault(comment.subject_id, []).append(position)
    window = (date(2026, 5, 4), date(2026, 10, 31))

    def whole() -> None:
        analyses, _ = analyse_comments(comments, index=index)
        for person, positions in by_person.items():
            own = deduplicate_comments([comments[p] for p in positions])  # once for both summaries
            found = [analyses[p] for p in positions]
            summarise_themes(Subject("person", person), own, [a.themes for a in found], taxonomy=index.taxonomy,
                             window_start=window[0], window_end=window[1],
                             sentiments={a.comment_id: a.sentiment.label for a in found})
            sentiment_drift(Subject("person", person), own, {a.comment_id: a.sentiment for a in found},
                            window_start=window[0], window_end=window[1])

    stages: dict[str, Callable[[], object]] = {
        "themes only (sentences + similarity)": lambda: assign_themes(comments, index, embedder=embed),
        "analyse_comments (themes + sentiment)": lambda: analyse_comments(comments, index=index),
        "whole pure pipeline (analyse + per-person summaries)": whole,
        "classify_sentiment alone (for comparison)": lambda: classify_sentiment(texts),
    }
    print(f"{count:,} comments, {PEOPLE:,} people, {WRITERS} writers, {arguments.rounds} rounds")
    reference: list[float] = []
    timings: dict[str, list[float]] = {label: [] for label in stages}
    for _ in range(arguments.rounds):
        # The reference is timed in every round, next to the stages it is compared with.
        reference.append(seconds(lambda: embed(texts)))
        for label, work in stages.items():
            timings[label].append(seconds(work))
    print(f"{'embed (bare, whole comments)':<52} {count / median(reference):>10,.0f} comments/s")
    for label, taken in timings.items():
        print(f"{label:<52} {count / median(taken):>10,.0f} comments/s")
    print()
    ratios = {label: median(r / t for r, t in zip(reference, taken, strict=True)) for label, taken in timings.items()}
    short = ["themes only", "analyse_comments", "whole pipeline", "classify_sentiment alone"]
    print("ratio to bare embed (median of rounds): "
          + ", ".join(f"{name} {ratios[label]:.2f}" for name, label in zip(short, stages, strict=True)))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
