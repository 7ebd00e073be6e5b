"""The sentiment-drift signal end to end on composed cases from labelled test rows (C9, issue 17 item 4).

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/sentiment_drift_eval.py [--record]

The sentiment classifier's own figures (Senti4SD and PREMO test rows, each source left out of training) say how
often it reads one comment's tone right; this measures the signal built on it: a change of the writer-weighted
tone between the two halves of a window (``core.insights.sentiment.sentiment_drift``).

Each case is one person with 4-8 writers, each writing 1-3 comments in each half of a six-month window. The
comments are test rows of the Senti4SD (Stack Overflow posts) and PREMO (pull-request comments) sets, labelled
positive / neutral / negative by those sets' authors and never trained on by the shipped classifier. In every
case the early half's labels are drawn from a random mix (a flat Dirichlet over the three labels); in half the
cases the late half keeps that mix, in the other half it gets a new random mix, so some cases change a lot, some
a little and some not at all. The **expected** drift applies the signal's rule to the authors' labels (+1
positive, 0 neutral, -1 negative; a change of at least ``MIN_DRIFT`` with a 95 % interval excluding zero); the
**found** drift applies it to the shipped classifier's labels and confidences, exactly as ``insights run`` does.
A found drift counts as right when a drift in the same direction is expected.

Reported: precision (found drifts that are expected, in the same direction), recall (expected drifts found in
the same direction) and the false-alarm rate (cases with no expected drift in which one is found). ``--record``
writes the transparency report's slot ``core/insights/data/accuracy/sentiment_drift.json``.

Limits: the comments come from developer Q&A and pull requests, not from review feedback; each case mixes
writers of different projects; the expected drift follows the rule on labels, so it measures how the
classifier's errors and confidences move the signal, not whether a person's feedback really changed.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from brightline.core.insights.pipeline import sentiment_from_embeddings  # noqa: E402
from brightline.core.insights.sentiment import SentimentScore, sentiment_drift  # noqa: E402
from brightline.core.insights.signals import Comment, ItemRef, Subject  # noqa: E402
from brightline.core.insights.transparency import share_figure, write_signal_accuracy  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402
from brightline.core.nlp.sentiment_sources import load_sources  # noqa: E402

DATA_DIR = Path(os.environ.get("BRIGHTLINE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SOURCES = ("senti4sd", "premo")
LABELS = ("positive", "neutral", "negative")
CASES = 1000
WINDOW = (date(2026, 1, 1), date(2026, 6, 30))
DATASET = "{cases} composed people from labelled Stack Overflow and pull-request comments"
BUILT = ("composed: each case is one person with 4-8 writers, each writing 1-3 comments in each half of a six-month "
         "window, drawn at random (seed {seed}) from the Senti4SD and PREMO test rows (labelled by those sets' "
         "authors, never trained on); the early half's labels follow a random mix, the late half's the same mix in "
         "half the cases and a new one in the other half; the expected drifts apply the rule to the authors' labels")


def test_rows() -> dict[str, list[str]]:
    """Texts of the test rows of ``SOURCES``, by label."""
    sources = load_sources(DATA_DIR, None)
    missing = [key for key in SOURCES if key not in sources]
    if missing:
        raise SystemExit(f"the shared sentiment sets are missing from {DATA_DIR}: {', '.join(missing)}")
    by_label: dict[str, list[str]] = {label: [] for label in LABELS}
    for key in SOURCES:
        for row in sources[key]:
            if row.split == "test" and row.label in by_label and row.text.strip():
                by_label[row.label].append(row.text)
    return by_label


def compose(by_label: dict[str, list[str]], *, cases: int, seed: int) -> list[list[tuple[str, str, str, int]]]:
    """Per case, its comments as ``(writer, label, text, half)``."""
    rng = np.random.default_rng(seed)
    composed = []
    for case in range(cases):
        early_mix = rng.dirichlet(np.ones(3))
        late_mix = early_mix if case % 2 == 0 else rng.dirichlet(np.ones(3))
        comments = []
        for writer in range(int(rng.integers(4, 9))):
            for half, mix in ((0, early_mix), (1, late_mix)):
                for _ in range(int(rng.integers(1, 4))):
                    label = LABELS[int(rng.choice(3, p=mix))]
                    pool = by_label[label]
                    comments.append((f"w{writer}", label, pool[int(rng.integers(len(pool)))], half))
        composed.append(comments)
    return composed


def _trend(comments: list[Comment], scores: dict[str, SentimentScore]) -> str:
    signal = sentiment_drift(Subject("person", "1"), comments, scores, window_start=WINDOW[0], window_end=WINDOW[1])
    return str(signal.detail["trend"])


def measure(*, cases: int = CASES, seed: int = 0) -> dict[str, Any]:
    by_label = test_rows()
    composed = compose(by_label, cases=cases, seed=seed)
    texts = sorted({text for case in composed for _, _, text, _ in case})
    found_scores = dict(zip(texts, sentiment_from_embeddings(texts, np.asarray(embed(texts), dtype=np.float32)),
                            strict=True))
    gold = {"positive": SentimentScore("positive", 1.0), "neutral": SentimentScore("neutral", 1.0),
            "negative": SentimentScore("negative", 1.0)}
    days = {0: datetime(2026, 2, 1, tzinfo=UTC), 1: datetime(2026, 5, 1, tzinfo=UTC)}
    right = found_total = expected_total = false_alarms = no_drift = agreed_labels = total_labels = 0
    for number, case in enumerate(composed):
        comments = [Comment(id=f"{number}-{i}", author_id=writer, subject_id="1", text=text, prompt="",
                            written_at=days[half], source=ItemRef("feedback_response", f"{number}-{i}"))
                    for i, (writer, _label, text, half) in enumerate(case)]
        expected = _trend(comments, {c.id: gold[label] for c, (_, label, _, _) in zip(comments, case, strict=True)})
        found = _trend(comments, {c.id: found_scores[text] for c, (_, _, text, _) in zip(comments, case, strict=True)})
        agreed_labels += sum(found_scores[text].label == label for _, label, text, _ in case)
        total_labels += len(case)
        is_expected, is_found = expected in ("up", "down"), found in ("up", "down")
        expected_total += is_expected
        found_total += is_found
        right += is_expected and found == expected
        if not is_expected:
            no_drift += 1
            false_alarms += is_found
    name = DATASET.format(cases=cases)
    built = BUILT.format(seed=seed)

    return {
        "kind": "sentiment_drift",
        "command": "python bench/sentiment_drift_eval.py --record",
        "figures": [share_figure(name, built, "drift precision (same direction)", right, found_total),
                    share_figure(name, built, "drift recall (same direction)", right, expected_total),
                    share_figure(name, built, "false-alarm rate (cases without a drift)", false_alarms, no_drift)],
        "note": ("The classifier's figures are per comment; the drift figures measure the signal built on it, on "
                 "composed people whose comments are labelled developer text, not review feedback. The expected "
                 "drifts apply the same rule to the labels, so these figures show how the classifier's mistakes "
                 "move the signal, not whether a person's feedback really changed. 'Left out of training' figures "
                 "come from a model trained on every other source and scored on that one: the closest measure of "
                 "text from elsewhere."),
        "comment_label_agreement": round(agreed_labels / total_labels, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true", help="write the transparency report's sentiment-drift slot")
    args = parser.parse_args(argv)
    document = measure(cases=args.cases, seed=args.seed)
    for figure in document["figures"]:
        print(f"{figure['metric']:<42} {figure['value']}  (n = {figure['n']})")
    print(f"comment labels agreeing with the sets' authors: {document['comment_label_agreement']}")
    if args.record:
        print(f"wrote {write_signal_accuracy(document)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
