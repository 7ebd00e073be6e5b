"""Train, compare and export Brightline's sentiment and tone classifiers.

    /tmp/trainvenv/bin/python tools/nlp/train_classifiers.py sentiment
    /tmp/trainvenv/bin/python tools/nlp/train_classifiers.py tone

Runs in the training venv (it needs ``vaderSentiment`` for the lexicon baseline, see
``tools/nlp/requirements-train.txt``) or in the runtime venv with ``--no-lexicon``.

Data (never copied into the repository; rules in ``shared/data/README.md``):
- sentiment: Senti4SD ``split=train`` + PREMO rows with ``premo_split(id) == "train"``;
  scored on Senti4SD ``split=test`` and on the PREMO test rows.
- tone: ToxiCR dev rows with ``toxicr_split(text) == "train"``; scored on the test rows.

Model selection uses only the training rows: 5-fold cross-validation grouped by normalised text
(duplicates stay in one fold) over four candidates × a small grid of C. For tone, the decision
threshold is the one that maximises F1 of ``toxic`` on the out-of-fold probabilities of the
chosen candidate. The chosen model is refitted on all training rows, written as
``model.json`` + ``weights.safetensors`` + ``metrics.json``, reloaded through the runtime code and
checked to give the same predictions as the fitted sklearn model.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "src"))

from brightline.core.nlp.classifiers import MODEL_FORMAT_VERSION, load_linear_classifier  # noqa: E402
from brightline.core.nlp.embeddings import embed  # noqa: E402
from brightline.core.nlp.splits import normalise_for_grouping, premo_split, toxicr_split  # noqa: E402

DEFAULT_DATA = REPOSITORY.parent / "shared" / "data"
MODELS = REPOSITORY / "src" / "brightline" / "core" / "nlp" / "models"
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
CANDIDATES = ("tfidf", "embeddings", "tfidf+embeddings")
TOKEN_PATTERN = r"(?u)\b\w+\b|[!?:;()]+"
TFIDF_SETTINGS: tuple[dict[str, Any], ...] = (
    {"analyzer": "word", "ngram_range": (1, 2), "lowercase": True, "sublinear_tf": True,
     "token_pattern": TOKEN_PATTERN, "min_df": 2},
    {"analyzer": "char_wb", "ngram_range": (2, 5), "lowercase": True, "sublinear_tf": True,
     "token_pattern": None, "min_df": 3},
)


@dataclass
class Dataset:
    texts: list[str]
    labels: list[str]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sentiment_data(data_dir: Path) -> tuple[Dataset, dict[str, Dataset]]:
    senti = read_csv(data_dir / "senti4sd" / "senti4sd_polarity.csv")
    premo = read_csv(data_dir / "premo_pr_emotions" / "premo_pr_comments.csv")
    train = Dataset(
        [row["text"] for row in senti if row["split"] == "train"]
        + [row["text"] for row in premo if premo_split(row["id"]) == "train"],
        [row["label"] for row in senti if row["split"] == "train"]
        + [row["polarity"] for row in premo if premo_split(row["id"]) == "train"],
    )
    tests = {
        "senti4sd_test": Dataset(
            [row["text"] for row in senti if row["split"] == "test"],
            [row["label"] for row in senti if row["split"] == "test"],
        ),
        "premo_test": Dataset(
            [row["text"] for row in premo if premo_split(row["id"]) == "test"],
            [row["polarity"] for row in premo if premo_split(row["id"]) == "test"],
        ),
    }
    return train, tests


def tone_label(value: str) -> str:
    return "toxic" if value.strip() == "1" else "ok"


def tone_data(data_dir: Path) -> tuple[Dataset, dict[str, Dataset]]:
    rows = read_csv(data_dir / "toxicr_dev" / "toxicr_dev.csv")
    train = [row for row in rows if toxicr_split(row["text"]) == "train"]
    test = [row for row in rows if toxicr_split(row["text"]) == "test"]
    return (
        Dataset([row["text"] for row in train], [tone_label(row["is_toxic"]) for row in train]),
        {"toxicr_test": Dataset([row["text"] for row in test], [tone_label(row["is_toxic"]) for row in test])},
    )


class FeatureBuilder:
    """Fits the TF-IDF blocks on the rows it is given; embeddings need no fitting."""

    def __init__(self, candidate: str) -> None:
        self.use_tfidf = "tfidf" in candidate
        self.use_embeddings = "embeddings" in candidate
        self.vectorizers: list[TfidfVectorizer] = []

    def fit_transform(self, texts: list[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        if self.use_tfidf:
            self.vectorizers = [TfidfVectorizer(dtype=np.float32, **settings) for settings in TFIDF_SETTINGS]
            for vectorizer in self.vectorizers:
                vectorizer.fit(texts)
        return self.transform(texts, embeddings)

    def transform(self, texts: list[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        blocks = [vectorizer.transform(texts) for vectorizer in self.vectorizers]
        if self.use_embeddings:
            blocks.append(sparse.csr_matrix(embeddings))
        return sparse.hstack(blocks, format="csr")


def lexicon_predictions(texts: list[str], task: str) -> list[str]:
    """VADER, a general-purpose social-media lexicon, with its documented ±0.05 cut-offs."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    compounds = [analyzer.polarity_scores(text)["compound"] for text in texts]
    if task == "tone":
        # No toxicity lexicon is available offline; strongly negative VADER stands in for it.
        return ["toxic" if value <= -0.5 else "ok" for value in compounds]
    return ["positive" if value >= 0.05 else "negative" if value <= -0.05 else "neutral" for value in compounds]


def report(name: str, truth: list[str], predicted: list[str], labels: list[str]) -> dict[str, Any]:
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    macro = float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))
    print(f"\n== {name}: macro-F1 {macro:.4f}")
    print(classification_report(truth, predicted, labels=labels, digits=3, zero_division=0))
    return {
        "macro_f1": round(macro, 4),
        "n": len(truth),
        "per_class": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                    "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
    }


def best_threshold(truth: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    best = (0.5, -1.0)
    for threshold in np.round(np.arange(0.05, 0.96, 0.01), 2):
        score = float(f1_score(truth, probabilities >= threshold, zero_division=0))
        if score > best[1]:
            best = (float(threshold), score)
    return best


def cross_validate(
    train: Dataset, embeddings: np.ndarray, task: str
) -> tuple[list[dict[str, Any]], dict[tuple[str, float], np.ndarray]]:
    groups = [normalise_for_grouping(text) for text in train.texts]
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    folds = list(splitter.split(train.texts, train.labels, groups))
    labels = np.array(train.labels)
    results: list[dict[str, Any]] = []
    out_of_fold: dict[tuple[str, float], np.ndarray] = {}
    for candidate in CANDIDATES:
        fold_features = []
        for train_index, valid_index in folds:
            builder = FeatureBuilder(candidate)
            fitted = builder.fit_transform([train.texts[i] for i in train_index], embeddings[train_index])
            held_out = builder.transform([train.texts[i] for i in valid_index], embeddings[valid_index])
            fold_features.append((fitted, held_out))
        for c_value in C_GRID:
            started = time.perf_counter()
            scores = []
            probabilities = np.zeros((len(labels), len(set(train.labels))))
            for (fitted, held_out), (train_index, valid_index) in zip(fold_features, folds, strict=True):
                model = LogisticRegression(C=c_value, max_iter=3000, class_weight="balanced")
                model.fit(fitted, labels[train_index])
                probabilities[valid_index] = model.predict_proba(held_out)
                scores.append(f1_score(labels[valid_index], model.predict(held_out), average="macro"))
            out_of_fold[(candidate, c_value)] = probabilities
            result = {"candidate": candidate, "C": c_value, "cv_macro_f1": round(float(np.mean(scores)), 4),
                      "cv_std": round(float(np.std(scores)), 4)}
            if task == "tone":
                classes = sorted(set(train.labels))
                threshold, toxic_f1 = best_threshold(labels == "toxic", probabilities[:, classes.index("toxic")])
                result.update({"oof_threshold": threshold, "oof_toxic_f1_at_threshold": round(toxic_f1, 4)})
            print(f"{candidate:>18} C={c_value:<4} {result} ({time.perf_counter() - started:.1f}s)", flush=True)
            results.append(result)
    return results, out_of_fold


def export(folder: Path, builder: FeatureBuilder, model: LogisticRegression, extra: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "coefficients": np.ascontiguousarray(model.coef_, dtype=np.float32),
        "intercepts": np.ascontiguousarray(model.intercept_, dtype=np.float32),
    }
    blocks = []
    for index, vectorizer in enumerate(builder.vectorizers):
        arrays[f"tfidf_{index}_idf"] = np.ascontiguousarray(vectorizer.idf_, dtype=np.float32)
        blocks.append({
            "analyzer": vectorizer.analyzer,
            "ngram_range": list(vectorizer.ngram_range),
            "lowercase": vectorizer.lowercase,
            "sublinear_tf": vectorizer.sublinear_tf,
            "token_pattern": vectorizer.token_pattern,
            "vocabulary": vectorizer.get_feature_names_out().tolist(),
        })
    save_file(arrays, str(folder / "weights.safetensors"))
    description = {
        "format_version": MODEL_FORMAT_VERSION,
        "labels": [str(label) for label in model.classes_],
        "use_embeddings": builder.use_embeddings,
        "embedding_model": "minilm-static" if builder.use_embeddings else None,
        "tfidf_blocks": blocks,
        **extra,
    }
    (folder / "model.json").write_text(json.dumps(description, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["sentiment", "tone"])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--no-lexicon", action="store_true", help="skip the VADER baseline")
    arguments = parser.parse_args()
    task = arguments.task
    output = arguments.output or MODELS / task

    train, tests = sentiment_data(arguments.data_dir) if task == "sentiment" else tone_data(arguments.data_dir)
    labels = sorted(set(train.labels))
    print(f"train rows: {len(train.texts)}; test rows: { {name: len(d.texts) for name, d in tests.items()} }")
    train_embeddings = embed(train.texts, backend="static")

    metrics: dict[str, Any] = {"task": task, "train_rows": len(train.texts)}
    majority = max(labels, key=train.labels.count)
    metrics["baselines"] = {"majority_class": majority}
    for name, dataset in tests.items():
        metrics["baselines"][f"{name}_majority"] = report(
            f"{name} majority ({majority})", dataset.labels, [majority] * len(dataset.texts), labels
        )
        if not arguments.no_lexicon:
            metrics["baselines"][f"{name}_vader"] = report(
                f"{name} VADER lexicon", dataset.labels, lexicon_predictions(dataset.texts, task), labels
            )
    if not arguments.no_lexicon:
        metrics["baselines"]["train_vader"] = report(
            "train VADER lexicon", train.labels, lexicon_predictions(train.texts, task), labels
        )

    results, out_of_fold = cross_validate(train, train_embeddings, task)
    chosen = max(results, key=lambda result: (result["cv_macro_f1"], -result["C"]))
    print(f"\nchosen by cross-validation: {chosen}")
    metrics["cross_validation"] = results
    metrics["chosen"] = chosen

    builder = FeatureBuilder(chosen["candidate"])
    model = LogisticRegression(C=chosen["C"], max_iter=3000, class_weight="balanced")
    model.fit(builder.fit_transform(train.texts, train_embeddings), np.array(train.labels))
    extra: dict[str, Any] = {}
    if task == "tone":
        extra = {"positive_label": "toxic", "threshold": chosen["oof_threshold"]}
    export(output, builder, model, extra)
    runtime = load_linear_classifier(output)

    metrics["test"] = {}
    for name, dataset in tests.items():
        predictions = runtime.predict(dataset.texts)
        predicted = [prediction.label for prediction in predictions]
        if task == "tone":
            expected = np.where(
                model.predict_proba(builder.transform(dataset.texts, embed(dataset.texts, backend="static")))[
                    :, list(model.classes_).index("toxic")
                ] >= chosen["oof_threshold"], "toxic", "ok",
            ).tolist()
        else:
            expected = model.predict(builder.transform(dataset.texts, embed(dataset.texts, backend="static"))).tolist()
        agreement = float(np.mean(np.array(expected) == np.array(predicted)))
        print(f"runtime/sklearn agreement on {name}: {agreement:.5f}")
        if agreement < 0.999:
            raise SystemExit("the exported model does not reproduce the fitted one")
        metrics["test"][name] = report(f"{name} chosen model", dataset.labels, predicted, labels)
        if task == "tone":
            at_half = ["toxic" if p.label == "toxic" and p.confidence >= 0.5 or
                       p.label == "ok" and p.confidence <= 0.5 else "ok" for p in predictions]
            metrics["test"][f"{name}_at_threshold_0.5"] = report(
                f"{name} chosen model at threshold 0.5 (for reference)", dataset.labels, at_half, labels
            )
    metrics["artifact_bytes"] = sum(item.stat().st_size for item in output.iterdir() if item.is_file())
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {output} ({metrics['artifact_bytes'] / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
