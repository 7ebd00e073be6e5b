"""Leave-one-source-out evaluation of the sentiment classifier, with off-the-shelf tools beside it.

    PYTHONPATH=src BRIGHTLINE_SENTIMENT_EXTRA_DATA=/path/to/extra .venv/bin/python bench/sentiment_loso.py --markdown
    ... bench/sentiment_loso.py --markdown --write-metrics   # also store the table in the model's metrics.json

For every labelled source present (``brightline.core.nlp.sentiment_sources``: Senti4SD and PREMO
from ``shared/data``, the GitHub gold standard, the Jira set and the Lin et al. Stack Overflow
sentences from the extra folder), the shipped training recipe
(``tools/nlp/train_classifiers.py``, ``SENTIMENT_RECIPE``) is fitted on *all rows of every other
source* and scored on all rows of the left-out one, and on its fixed test split. Beside that: the
shipped model's in-domain score on the source's test split, the VADER lexicon on every source (when
``vaderSentiment`` is importable), and, where their labels exist (PREMO, from the replication
package's ``dataset.json``), the published SE tools' labels on the same rows.
Metrics: macro-F1 over negative / neutral / positive and the F1 of ``negative``.

``--write-metrics`` stores the table under ``leave_one_source_out`` in
``models/sentiment/metrics.json`` (read by the transparency report); run it after retraining.
``--only KEY[,KEY]`` refits only those folds and, with ``--write-metrics``, replaces just their rows.

Aligned labels: the sources disagree on what "negative" means. ``tools/nlp/sentiment_label_alignment.csv``
maps single rows to the product's definition (negative = the writer expresses a negative emotion or
attitude; a problem report without one is neutral). Where it has rows for a source, that source's
left-out predictions are also scored against the aligned labels (``left_out_aligned_labels``); nothing
is trained or tuned on them.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
sys.path.insert(0, str(REPOSITORY / "tools" / "nlp"))

from train_classifiers import (  # noqa: E402
    DEFAULT_DATA,
    SENTIMENT_RECIPE,
    fit_sentiment_recipe,
    piece_grams,
)

from brightline.core.nlp.classifiers import MODELS_PATH, bundled_classifier  # noqa: E402
from brightline.core.nlp.sentiment_sources import (  # noqa: E402
    SOURCES,
    LabelledRow,
    default_extra_data_dir,
    load_sources,
)
from brightline.core.nlp.tokens import tokenize  # noqa: E402

LABELS = ["negative", "neutral", "positive"]
TOOLS = ("SentiStrength", "SentiStrengthSE", "SentiCR", "DEVA", "Senti4SD")
#: Computed here on every source when ``vaderSentiment`` is importable (``tools/nlp/requirements-train.txt``).
LEXICON = "VADER"
#: The PREMO replication package (opus-research/sentiment-replication) holds each tool's label per row.
TOOL_LABELS_PATH = "sentiment-replication/dataset.json"
TOOL_LABELS_ORIGIN = "opus-research/sentiment-replication @ 60563ce7, dataset.json (tools' output labels)"
ALIGNMENT_PATH = REPOSITORY / "tools" / "nlp" / "sentiment_label_alignment.csv"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def label_alignment(path: Path | None = None) -> dict[str, dict[str, tuple[str, str]]]:
    """source → text hash → (original label, aligned label), from the alignment file (empty when absent)."""
    path = path or ALIGNMENT_PATH
    aligned: dict[str, dict[str, tuple[str, str]]] = {}
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                aligned.setdefault(row["source"], {})[row["text_sha256"]] = (row["label"], row["aligned_label"])
    return aligned


def aligned_labels(rows: list[LabelledRow], mapping: dict[str, tuple[str, str]]) -> list[str]:
    """Each row's label under the aligned definition; a mapped row must still carry its original label."""
    labels = []
    for row in rows:
        original, aligned = mapping.get(text_key(row.text), (row.label, row.label))
        labels.append(aligned if original == row.label else row.label)
    return labels


def scores(truth: list[str], predicted: list[str]) -> dict[str, Any]:
    return {
        "macro_f1": round(float(f1_score(truth, predicted, labels=LABELS, average="macro", zero_division=0)), 4),
        "negative_f1": round(float(f1_score(truth, predicted, labels=["negative"], average=None,
                                            zero_division=0)[0]), 4),
        "n": len(truth),
        "negatives": truth.count("negative"),
    }


def premo_tool_labels(shared_data: Path, extra_data: Path | None) -> dict[str, list[str]] | None:
    """Tool → its label for each PREMO row, in the order of the shared CSV; ``None`` when no file has them.

    The shared ``dataset.json`` is read first, then the replication package's copy in the extra folder;
    rows are matched by their message URL.
    """
    candidates = [shared_data / "premo_pr_emotions" / "dataset.json"]
    if extra_data is not None:
        candidates.append(extra_data / TOOL_LABELS_PATH)
    by_url: dict[str, dict[str, str]] = {}
    for path in candidates:
        if path.is_file():
            items = json.loads(path.read_text(encoding="utf-8"))
            by_url = {item["message_url"]: item["tools"] for item in items if isinstance(item.get("tools"), dict)}
            if by_url:
                break
    with (shared_data / "premo_pr_emotions" / "premo_pr_comments.csv").open(encoding="utf-8", newline="") as handle:
        urls = [row["message_url"] for row in csv.DictReader(handle)]
    if not by_url or any(url not in by_url for url in urls):
        return None
    return {tool: [by_url[url][tool] for url in urls] for tool in TOOLS}


def vader_labels(texts: list[str]) -> list[str] | None:
    """VADER, a general social-media lexicon, with its documented ±0.05 cut-offs; ``None`` when not installed."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    compounds = [analyzer.polarity_scores(text)["compound"] for text in texts]
    return ["positive" if value >= 0.05 else "negative" if value <= -0.05 else "neutral" for value in compounds]


def evaluate(shared_data: Path, extra_data: Path | None, only: set[str] | None = None) -> dict[str, Any]:
    sources = load_sources(shared_data, extra_data)
    if len(sources) < 2:
        raise SystemExit("fewer than two sentiment sources are present: nothing to leave out")
    if only is not None and not only <= set(sources):
        raise SystemExit(f"no such source present: {', '.join(sorted(only - set(sources)))}")
    alignment = label_alignment()
    grams = piece_grams()
    shipped = bundled_classifier("sentiment")
    result: dict[str, Any] = {"recipe": dict(SENTIMENT_RECIPE), "sources": {}}
    tool_labels = premo_tool_labels(shared_data, extra_data) if "premo" in sources else None
    for held_out, rows in sources.items():
        if only is not None and held_out not in only:
            continue
        started = time.perf_counter()
        training: list[LabelledRow] = [row for key, others in sources.items() if key != held_out for row in others]
        builder, model = fit_sentiment_recipe(tokenize([row.text for row in training]),
                                              [row.label for row in training], grams)
        predicted = model.predict(builder.transform(tokenize([row.text for row in rows]))).tolist()
        truth = [row.label for row in rows]
        test = [index for index, row in enumerate(rows) if row.split == "test"]
        test_truth = [truth[index] for index in test]
        in_domain = [prediction.label for prediction in shipped.predict([rows[index].text for index in test])]
        source = next(item for item in SOURCES if item.key == held_out)
        entry: dict[str, Any] = {
            "title": source.title, "platform": source.platform, "origin": source.origin, "licence": source.licence,
            "trained_on": [key for key in sources if key != held_out], "training_rows": len(training),
            "left_out": scores(truth, predicted),
            "left_out_test_split": scores(test_truth, [predicted[index] for index in test]),
            "in_domain_test_split": scores(test_truth, in_domain),
        }
        if held_out in alignment:
            entry["left_out_aligned_labels"] = scores(aligned_labels(rows, alignment[held_out]), predicted)
        vader = vader_labels([row.text for row in rows])
        if vader is not None:
            entry["lexicon"] = {LEXICON: {"all_rows": scores(truth, vader),
                                          "test_split": scores(test_truth, [vader[index] for index in test])}}
        if held_out == "premo" and tool_labels is not None:
            entry["tools"] = {
                tool: {"all_rows": scores(truth, tool_labels[tool]),
                       "test_split": scores(test_truth, [tool_labels[tool][index] for index in test])}
                for tool in TOOLS
            }
            entry["tools_origin"] = TOOL_LABELS_ORIGIN
        result["sources"][held_out] = entry
        print(f"left out {held_out}: {entry['left_out']} ({time.perf_counter() - started:.0f}s)", file=sys.stderr,
              flush=True)
    return result


def cell(block: dict[str, Any]) -> str:
    return f"{block['macro_f1']:.3f} / {block['negative_f1']:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """The table for the model card: each figure is ``macro-F1 / negative F1``."""
    header = ("| left-out source | rows (negative) | **left out**, all rows | left out, test split | in-domain, "
              "test split | " + " | ".join((LEXICON, *TOOLS)) + " |")
    lines = [header, "| " + " | ".join(["---"] * (6 + len(TOOLS))) + " |"]
    for entry in result["sources"].values():
        tools = {**entry.get("lexicon", {}), **entry.get("tools", {})}
        lines.append(
            f"| {entry['title']} ({entry['platform']}) | {entry['left_out']['n']:,} "
            f"({entry['left_out']['negatives']:,}) | **{cell(entry['left_out'])}** | "
            f"{cell(entry['left_out_test_split'])} | {cell(entry['in_domain_test_split'])} | "
            + " | ".join(f"{cell(tools[tool]['all_rows'])} (test {cell(tools[tool]['test_split'])})"
                         if tool in tools else "–" for tool in (LEXICON, *TOOLS)) + " |")
    lines.append("")
    for entry in result["sources"].values():
        if "left_out_aligned_labels" in entry:
            block = entry["left_out_aligned_labels"]
            lines.append(f"{entry['title']}, left out, against the aligned labels "
                         f"(tools/nlp/sentiment_label_alignment.csv; {block['negatives']:,} negatives): "
                         f"**{cell(block)}**.")
    lines.append(f"Each cell: macro-F1 / F1 of `negative`. Recipe: {result['recipe']}. Tools: "
                 f"{next((e['tools_origin'] for e in result['sources'].values() if 'tools_origin' in e), 'absent')}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--extra-data-dir", type=Path, default=default_extra_data_dir(),
                        help="folder of the sets outside shared/data (default: $BRIGHTLINE_SENTIMENT_EXTRA_DATA)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (default: JSON)")
    parser.add_argument("--only", help="comma-separated source keys: refit only these folds")
    parser.add_argument("--from-metrics", action="store_true",
                        help="print the table stored in models/sentiment/metrics.json instead of refitting")
    parser.add_argument("--write-metrics", action="store_true",
                        help="store the table in models/sentiment/metrics.json for the transparency report")
    arguments = parser.parse_args()
    path = MODELS_PATH / "sentiment" / "metrics.json"
    if arguments.from_metrics:
        stored = json.loads(path.read_text(encoding="utf-8")).get("leave_one_source_out")
        if not stored:
            raise SystemExit("the shipped sentiment model's metrics hold no leave-one-source-out table yet")
        print(markdown(stored) if arguments.markdown else json.dumps(stored, indent=2))
        return
    only = set(arguments.only.split(",")) if arguments.only else None
    result = evaluate(arguments.data_dir, arguments.extra_data_dir, only)
    if only is not None:
        stored = json.loads(path.read_text(encoding="utf-8")).get("leave_one_source_out")
        if stored and stored.get("recipe") == result["recipe"]:
            # The other folds keep their stored rows, in the stored order.
            result = {**stored, "sources": {key: result["sources"].get(key, entry)
                                            for key, entry in stored["sources"].items()}}
    print(markdown(result) if arguments.markdown else json.dumps(result, indent=2))
    if arguments.write_metrics:
        metrics = json.loads(path.read_text(encoding="utf-8"))
        metrics["leave_one_source_out"] = result
        path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
