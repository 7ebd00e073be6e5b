"""The emergent-theme proposals (organisation-wide clusters) on composed organisations with a planted topic (C9).

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/emergent_themes_eval.py [--record]

Emergent themes are clusters of comments a people partner may add to the taxonomy
(``core.insights.clusters.propose_clusters``: KMeans over the comments' embeddings, c-TF-IDF labels). There is no
labelled set of topics the taxonomy lacks, so a topic the taxonomy *has* stands in for one: each composed
organisation holds ``--size`` sentences of crowd-written reviews and development sentences labelled with the
taxonomy's themes (``tools/nlp/themes_train_labels.csv`` and ``train_themes.development_rows``), of which
``--planted`` are about one theme and the rest about none of it, each written by one of 60 writers about one of 40
people, drawn at random. The check never reads the labels: it only clusters.

Reported over every theme with enough sentences, ``--repeats`` organisations each:

* **planted topic found**: some proposal has at least half of the planted sentences and at least half of its own
  sentences are about the planted theme;
* **proposals about one theme**: the share of all proposals in which one theme covers at least half of the
  sentences (sentences about no theme never make a proposal "about one theme"): how often a proposal is about one
  thing a labeller named.

``--record`` writes the transparency report's slot ``core/insights/data/accuracy/emergent_theme.json``.
Limits: the labels are the taxonomy's themes, so "a topic" means one of them; a topic nobody labels (say, a new
tool everyone complains about) may group better or worse; review sentences, not an organisation's real mix.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import train_themes  # noqa: E402

from brightline.core.insights.clusters import propose_clusters  # noqa: E402
from brightline.core.insights.signals import Comment, ItemRef  # noqa: E402
from brightline.core.insights.transparency import share_figure, write_signal_accuracy  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402

SIZE = 400
PLANTED = 30
REPEATS = 5
MIN_THEME_SENTENCES = 60
WRITERS = 60
PEOPLE = 40
BUILT = ("composed: {repeats} organisations per theme with {min_rows}+ labelled sentences, each of {size} sentences "
         "of crowd-written reviews and developers' comments labelled with the taxonomy's themes, {planted} of them "
         "about the planted theme, written by 60 writers about 40 people drawn at random (seed {seed}); a theme of "
         "the taxonomy stands in for a topic it lacks")


def labelled_rows() -> tuple[list[str], list[frozenset[str]]]:
    texts, labels, _origin = train_themes.training_rows()
    more_texts, more_labels, _parts = train_themes.development_rows()
    return texts + more_texts, labels + more_labels


def measure(*, size: int = SIZE, planted: int = PLANTED, repeats: int = REPEATS, seed: int = 0) -> dict[str, Any]:
    texts, labels = labelled_rows()
    vectors = np.asarray(embed(texts), dtype=np.float32)
    counts: dict[str, int] = {}
    for found in labels:
        for theme in found:
            counts[theme] = counts.get(theme, 0) + 1
    topics = sorted(theme for theme, count in counts.items() if count >= MIN_THEME_SENTENCES)
    rng = np.random.default_rng(seed)
    found_planted = trials = one_topic = proposals_total = 0
    per_theme: dict[str, int] = {}
    when = datetime(2026, 3, 1, tzinfo=UTC)
    for theme in topics:
        about = np.flatnonzero([theme in found for found in labels])
        others = np.flatnonzero([theme not in found for found in labels])
        for _ in range(repeats):
            chosen = np.concatenate([rng.choice(about, size=planted, replace=False),
                                     rng.choice(others, size=size - planted, replace=False)])
            rng.shuffle(chosen)
            comments = [Comment(id=str(i), author_id=f"w{int(rng.integers(WRITERS))}",
                                subject_id=str(int(rng.integers(PEOPLE))), text=texts[row], prompt="",
                                written_at=when, source=ItemRef("feedback_response", str(i)))
                        for i, row in enumerate(chosen)]
            proposals = propose_clusters(comments, vectors[chosen], seed=0)
            trials += 1
            hit = False
            for proposal in proposals:
                rows = [int(chosen[int(i)]) for i in proposal.comment_ids]
                on_topic = sum(theme in labels[row] for row in rows)
                if on_topic >= planted / 2 and on_topic >= len(rows) / 2:
                    hit = True
                tally: dict[str, int] = {}
                for row in rows:
                    for label in labels[row]:
                        tally[label] = tally.get(label, 0) + 1
                one_topic += max(tally.values(), default=0) >= len(rows) / 2
                proposals_total += 1
            found_planted += hit
            per_theme[theme] = per_theme.get(theme, 0) + hit
    dataset = f"{trials} composed organisations of {size} labelled sentences with one planted topic"
    built = BUILT.format(repeats=repeats, min_rows=MIN_THEME_SENTENCES, size=size, planted=planted, seed=seed)
    return {
        "kind": "emergent_theme",
        "command": "python bench/emergent_themes_eval.py --record",
        "figures": [share_figure(dataset, built, "planted topic found", found_planted, trials),
                    share_figure(dataset, built, "proposals about one theme", one_topic, proposals_total)],
        "note": ("Clusters are proposals for a people partner to read. Measured on composed organisations in which a "
                 "theme of the taxonomy stands in for a topic it lacks; a real new topic may group better or worse."),
        "per_theme_found": {theme: f"{hits} of {repeats}" for theme, hits in per_theme.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--planted", type=int, default=PLANTED)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true", help="write the transparency report's emergent-theme slot")
    args = parser.parse_args(argv)
    document = measure(size=args.size, planted=args.planted, repeats=args.repeats, seed=args.seed)
    for figure in document["figures"]:
        print(f"{figure['metric']:<40} {figure['value']}  (n = {figure['n']})")
    print("per theme:", document["per_theme_found"])
    if args.record:
        print(f"wrote {write_signal_accuracy(document)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
