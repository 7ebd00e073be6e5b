"""Throughput of Brightline's static embeddings (and, if installed, the full MiniLM model).

    .venv/bin/python bench/bench_embeddings.py                 # static model only
    .venv/bin/python bench/bench_embeddings.py --contextual 2000   # and the numpy MiniLM encoder
    HF_HUB_OFFLINE=1 /tmp/trainvenv/bin/python bench/bench_embeddings.py --full 2000

Texts are synthetic code-review and feedback comments (no shared data needed). Prints
sentences per second; the target for the static model is at least 5,000/s on 2 cores.

``--contextual N`` also times the contextual encoder (``brightline.core.nlp.contextual``: all-MiniLM-L6-v2
in numpy, no PyTorch) against bare static ``embed``: batch throughput on N texts, and the interactive
latency of one comment per call (median of ``--single`` calls), each as a ratio to static ``embed`` timed
on the same texts in the same rounds. CPU seconds are printed beside wall seconds, as a busy shared
machine stretches wall time.

``--tone N`` times the tone check (``classify_tone``) three ways against bare static ``embed``: as installed by
default (static first stage, linear attack stage), with the attack reader (all-MiniLM-L6-v2 with its top layers
tuned for attack on the person, in numpy), and with the tuned contextual first stage: batch throughput on N texts
and the interactive latency of one comment per call (a feedback form checks one text), also as a ratio to the
default check.

``--sentiment N`` times ``classify_sentiment`` with the fast model alone (the base contextual model hidden) and
with the fine-tuned second opinion it asks about the texts it is unsure about (when shipped and installed), against
bare static ``embed``: batch throughput on N texts and the latency of one comment per call, with the share of texts
the second opinion read. ``insights run`` runs the same cascade on every comment.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE, bundled_encoder  # noqa: E402
from brightline.core.nlp.embeddings import embed  # noqa: E402

OPENERS = ["nit:", "Thanks!", "Hmm,", "Question:", "FYI", "Suggestion:", "", "LGTM,", "Please", "Why"]
BODIES = [
    "this loop allocates on every iteration, could we hoist the buffer out",
    "the migration is missing a reverse operation",
    "great catch on the race condition in the retry handler",
    "can we add a unit test for the empty list case",
    "this breaks the build on Windows because of the path separator",
    "I don't think this abstraction pulls its weight yet",
    "the naming here is confusing, maybe call it pending_reviews",
    "she unblocked the whole team during the incident last week",
    "he needs to communicate earlier when a deadline slips",
    "nice refactor, much easier to follow now",
    "this is a hack and will bite us later",
    "let's move the config parsing into its own module",
]
CLOSERS = ["", ".", "?", "!", " :)", " - see the design doc.", " Happy to pair on it.", " Otherwise LGTM."]


def synthetic_comments(count: int, seed: int = 0) -> list[str]:
    """Realistic-looking review comments: 1-3 clauses, 5-60 words."""
    generator = random.Random(seed)
    comments = []
    for _ in range(count):
        clauses = [generator.choice(BODIES) for _ in range(generator.randint(1, 3))]
        text = f"{generator.choice(OPENERS)} {', and '.join(clauses)}{generator.choice(CLOSERS)}".strip()
        comments.append(f"{text} (#{generator.randint(1, 9999)})" if generator.random() < 0.2 else text)
    return comments


def sentences_per_second(texts: list[str], backend: str) -> float:
    embed(texts[:10], backend=backend)  # type: ignore[arg-type]  # load the model outside the timing
    started = time.perf_counter()
    embed(texts, backend=backend)  # type: ignore[arg-type]
    return len(texts) / (time.perf_counter() - started)


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare_contextual(texts: list[str], single: int, rounds: int) -> None:
    encoder = bundled_encoder()
    if encoder is None:
        print(f"contextual encoder skipped: {CONTEXTUAL_MODEL_MISSING_NOTICE}")
        return
    encoder.encode(texts[:4])
    embed(texts[:4], backend="static")
    batch: dict[str, list[tuple[float, float]]] = {"static": [], "contextual": []}
    for _ in range(rounds):
        batch["static"].append(timed(lambda: embed(texts, backend="static")))
        batch["contextual"].append(timed(lambda: encoder.encode(texts)))
    for kind, index in (("wall", 0), ("CPU", 1)):
        static_rate = len(texts) / median(t[index] for t in batch["static"])
        contextual_rate = len(texts) / median(t[index] for t in batch["contextual"])
        print(f"batch, {kind} time: static embed {static_rate:,.0f} texts/s, contextual {contextual_rate:,.1f} "
              f"texts/s; contextual / embed throughput ratio {contextual_rate / static_rate:.5f} "
              f"(1 / {static_rate / contextual_rate:,.0f})")
    latency: dict[str, list[tuple[float, float]]] = {"static": [], "contextual": []}
    for text in texts[:single]:
        latency["static"].append(timed(lambda text=text: embed([text], backend="static")))
        latency["contextual"].append(timed(lambda text=text: encoder.encode([text])))
    for kind, index in (("wall", 0), ("CPU", 1)):
        static_ms = median(t[index] for t in latency["static"]) * 1000
        contextual_ms = median(t[index] for t in latency["contextual"]) * 1000
        print(f"interactive, one comment per call, {kind} time: static embed {static_ms:.3f} ms, contextual "
              f"{contextual_ms:.1f} ms (median of {single}); contextual / embed latency ratio "
              f"{contextual_ms / static_ms:,.0f}")


def show_contextual_model(visible: bool, configured: str | None, hidden: str) -> None:
    """Points the contextual-model setting at the configured model (or unsets it) when ``visible``, else at the
    empty folder ``hidden``, so the code under test sees no contextual model."""
    from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE

    if not visible:
        os.environ[CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE] = hidden
    elif configured is None:
        os.environ.pop(CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, None)
    else:
        os.environ[CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE] = configured


def timed_kinds(use: Callable[[str], None], classify: Callable[[list[str]], object],
                ) -> Callable[[str, list[str]], Callable[[], object]]:
    """The work of one kind on some texts: bare static ``embed``, or ``classify`` after ``use(kind)`` set it up."""
    def work(kind: str, chosen: list[str]) -> Callable[[], object]:
        if kind == "embed":
            return lambda: embed(chosen, backend="static")
        return lambda: (use(kind), classify(chosen))
    return work


def time_batches_and_single_texts(pool: list[str], size: int, single: int, rounds: int, kinds: tuple[str, ...],
                                  work: Callable[[str, list[str]], Callable[[], object]], option: str,
                                  ) -> dict[str, list[tuple[float, float]]]:
    """Loads every model outside the timings, times each kind on ``rounds`` batches of ``size`` texts, prints their
    rates against ``embed``, then times ``single`` one-text calls and returns those (wall, CPU) timings per kind."""
    for kind in kinds:
        work(kind, pool[:4])()
    if len(pool) < 4 + size * rounds + single:
        raise SystemExit(f"--count must be at least {4 + size * rounds + single} for {option} {size}")
    batch: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for number in range(rounds):
        texts = pool[4 + number * size: 4 + (number + 1) * size]
        for kind in kinds:
            batch[kind].append(timed(work(kind, texts)))
    for kind_name, index in (("wall", 0), ("CPU", 1)):
        rates = {kind: size / median(t[index] for t in batch[kind]) for kind in kinds}
        print(f"batch of {size:,}, {kind_name} time: " + ", ".join(
            f"{kind} {rate:,.0f} texts/s (ratio to embed {rate / rates['embed']:.4f})" for kind, rate in rates.items()))
    latency: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for text in pool[4 + size * rounds: 4 + size * rounds + single]:
        for kind in kinds:
            latency[kind].append(timed(work(kind, [text])))
    return latency


def compare_tone(pool: list[str], size: int, single: int, rounds: int) -> None:
    """The tone check as shipped by default (static first stage, linear attack stage), with the attack reader, and
    with the contextual first stage, against bare static ``embed`` (wall and CPU time).

    The tuned models remember the texts they have read, so every round of the batch timings and the one-comment
    calls read texts of ``pool`` no earlier timing read."""
    import tempfile

    from brightline.core.nlp.classifiers import (
        TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE,
        TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE,
        bundled_classifier,
        classify_tone,
    )
    from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, contextual_model_folder

    check = bundled_classifier("tone")
    configured = os.environ.get(CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE)
    hidden = tempfile.mkdtemp(prefix="no-contextual-model-")
    # (base model visible, first stage, attack stage) of each way of running the check.
    settings = {"tone, static first stage": (False, "static", "linear"),
                "tone, attack reader": (True, "static", "encoder"),
                "tone, contextual first stage": (True, "contextual", "linear")}

    def use(kind: str) -> None:
        visible, first_stage, attack_stage = settings[kind]
        os.environ[TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE] = first_stage
        os.environ[TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE] = attack_stage
        show_contextual_model(visible, configured, hidden)

    use("tone, contextual first stage")
    if contextual_model_folder() is None or check.tuned_first_stage() is None:
        print(f"tone check with the tuned models skipped: {CONTEXTUAL_MODEL_MISSING_NOTICE}")
        return
    use("tone, attack reader")
    kinds = ("embed", *settings) if check.attack_reader() is not None else ("embed", "tone, static first stage",
                                                                             "tone, contextual first stage")

    work = timed_kinds(use, classify_tone)
    latency = time_batches_and_single_texts(pool, size, single, rounds, kinds, work, "--tone")
    current = "tone, static first stage"
    for kind_name, index in (("wall", 0), ("CPU", 1)):
        found = {kind: median(t[index] for t in latency[kind]) * 1000 for kind in kinds}
        print(f"one comment per call, {kind_name} time (median of {single}): " + ", ".join(
            f"{kind} {milliseconds:.2f} ms (ratio to embed {milliseconds / found['embed']:,.0f}, to the default "
            f"check {milliseconds / found[current]:,.1f})" for kind, milliseconds in found.items()))
    use("tone, contextual first stage")


def compare_sentiment(pool: list[str], size: int, single: int, rounds: int) -> None:
    """``classify_sentiment`` fast alone and with its second opinion, against bare static ``embed`` (wall and CPU
    time). The tuned model remembers the texts it read, so each round reads texts no earlier timing read."""
    import tempfile

    from brightline.core.nlp.classifiers import bundled_classifier, classify_sentiment
    from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE

    model = bundled_classifier("sentiment")
    configured = os.environ.get(CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE)
    hidden = tempfile.mkdtemp(prefix="no-contextual-model-")

    def use(kind: str) -> None:
        show_contextual_model(kind != "sentiment, fast alone", configured, hidden)

    use("sentiment, with second opinion")
    if model.second_opinion() is None:
        print(f"sentiment second opinion skipped: not shipped, or {CONTEXTUAL_MODEL_MISSING_NOTICE}")
        return
    kinds = ("embed", "sentiment, fast alone", "sentiment, with second opinion")

    work = timed_kinds(use, classify_sentiment)
    below = model.second_opinion_below or 0.0
    asked = float(np.mean(model.probabilities(pool[4: 4 + size]).max(axis=1) < below))
    print(f"texts the second opinion reads (fast top probability below {below:g}): {asked:.1%} of these texts")
    latency = time_batches_and_single_texts(pool, size, single, rounds, kinds, work, "--sentiment")
    for kind_name, index in (("wall", 0), ("CPU", 1)):
        found = {kind: median(t[index] for t in latency[kind]) * 1000 for kind in kinds}
        worst = {kind: max(t[index] for t in latency[kind]) * 1000 for kind in kinds}
        print(f"one comment per call, {kind_name} time (median of {single}; slowest): " + ", ".join(
            f"{kind} {milliseconds:.2f} ms (ratio to embed {milliseconds / found['embed']:,.0f}); {worst[kind]:.1f} ms"
            for kind, milliseconds in found.items()))
    use("sentiment, with second opinion")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--full", type=int, default=0, help="also time the full model on this many texts")
    parser.add_argument("--contextual", type=int, default=0,
                        help="also time the numpy contextual encoder against static embed on this many texts")
    parser.add_argument("--tone", type=int, default=0,
                        help="also time the tone check with each first stage against static embed on this many texts")
    parser.add_argument("--sentiment", type=int, default=0,
                        help="also time classify_sentiment, fast alone and with its second opinion, on this many texts")
    parser.add_argument("--single", type=int, default=100, help="one-comment calls timed for the latency")
    parser.add_argument("--rounds", type=int, default=3, help="batch timings repeated; medians are printed")
    arguments = parser.parse_args()
    texts = synthetic_comments(arguments.count)
    print(f"cpus available: {len(os.sched_getaffinity(0))}")
    static_rate = sentences_per_second(texts, "static")
    print(f"static minilm (model2vec): {static_rate:,.0f} sentences/s over {len(texts):,} texts")
    if arguments.contextual:
        compare_contextual(texts[: arguments.contextual], arguments.single, arguments.rounds)
    if arguments.tone:
        compare_tone(texts, arguments.tone, arguments.single, arguments.rounds)
    if arguments.sentiment:
        compare_sentiment(texts, arguments.sentiment, arguments.single, arguments.rounds)
    if arguments.full:
        try:
            full_rate = sentences_per_second(texts[: arguments.full], "sentence-transformers")
        except ImportError as error:
            print(f"full model skipped: {error}")
        else:
            print(f"full all-MiniLM-L6-v2 (sentence-transformers, CPU): {full_rate:,.0f} sentences/s "
                  f"over {arguments.full:,} texts; static is {static_rate / full_rate:,.0f}x faster")


if __name__ == "__main__":
    main()
