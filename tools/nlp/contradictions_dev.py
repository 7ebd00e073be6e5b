"""Why does the contradiction check find so few of the contradictions it should, and would reading concerns at a
lower theme threshold help? Measured on cases composed from development sentences (issue 17).

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/nlp/contradictions_dev.py

The cases are composed as ``bench/themes_eval.py --all`` composes its 300 (one person, 6 delivery items, 3-5
growth-prompt comments, each a labelled sentence by its own writer, two writers sharing one in a fifth of the
cases; the expected contradictions apply the rule to the labels), but from the development sentences of
``train_themes.development_rows`` (the first themes set and the third pool's agreed labels, labelled by two
labellers; the shipped matchers were not trained on them), so nothing here reads the team's held-out sentences or a
held-out set. Printed for the matcher in use and the static one, at the shipped threshold and lower ones: the
check's precision, recall and false-alarm rate, and the matcher's recall per sentence on the same rows, whose cube
is what a three-writer rule can reach when each sentence is found independently.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))
sys.path.insert(0, str(ROOT / "bench"))

import themes_eval  # noqa: E402
import train_themes  # noqa: E402

from brightline.core.insights import themes  # noqa: E402
from brightline.core.insights.evaluation import LabelledSentence  # noqa: E402
from brightline.core.insights.signals import Comment, ItemRef  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402


def sentence_recall(rows: list[LabelledSentence], index: themes.ThemeIndex, threshold: float) -> tuple[float, float]:
    """Micro recall and precision of the matcher on ``rows``, each row one comment."""
    comments = [Comment(id=str(i), author_id="w", subject_id="1", text=row.text, prompt="growth",
                        written_at=datetime(2026, 3, 1, tzinfo=UTC), source=ItemRef("feedback_response", str(i)))
                for i, row in enumerate(rows)]
    found = themes.assign_themes(comments, index, embedder=embed, threshold=threshold)
    hit = sum(len(set(entry.theme_ids) & row.themes) for entry, row in zip(found, rows, strict=True))
    predicted = sum(len(set(entry.theme_ids)) for entry in found)
    labelled = sum(len(row.themes) for row in rows)
    return hit / max(labelled, 1), hit / max(predicted, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--part", choices=("all", "reviews", "comments"), default="all")
    parser.add_argument("--contextual", action="store_true",
                        help="also the contextual matcher when installed (slow: its network reads every case anew)")
    arguments = parser.parse_args(argv)
    texts, labels, parts = train_themes.development_rows()
    parts_all = train_themes.DEVELOPMENT_PARTS
    keep = {"all": set(parts_all), "reviews": set(parts_all) - {parts_all[2]},
            "comments": {train_themes.DEVELOPMENT_PARTS[2]}}[arguments.part]
    rows = [LabelledSentence(f"d{i}", text, label) for i, (text, label, part) in enumerate(
        zip(texts, labels, parts, strict=True)) if part in keep]
    print(f"{len(rows)} development sentences ({arguments.part}), {sum(bool(r.themes) for r in rows)} with a theme")
    taxonomy = themes.load_taxonomy()
    matchers = [("static", themes.build_theme_index(taxonomy, embedder=embed))]
    runtime = themes.runtime_theme_index(taxonomy)
    if runtime.contextual and arguments.contextual:
        matchers.append(("contextual", runtime))
    for name, index in matchers:
        shipped = index.default_threshold
        for threshold in sorted({shipped, *np.round(np.arange(0.25, shipped, 0.05), 2)}, reverse=True):
            document = themes_eval.measure_contradictions(rows=rows, index=index, threshold=float(threshold),
                                                          cases=arguments.cases)
            figures = {figure["metric"]: (figure["value"], figure["n"]) for figure in document["figures"]}
            recall, precision = sentence_recall(rows, index, float(threshold))
            print(f"{name:<10} threshold {threshold:.2f}{' (shipped)' if threshold == shipped else '          '}  "
                  + "  ".join(f"{metric.split(' (')[0]} {value} (n {n})" for metric, (value, n) in figures.items())
                  + f"  | per sentence R {recall:.3f} P {precision:.3f}, R^3 {recall ** 3:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
