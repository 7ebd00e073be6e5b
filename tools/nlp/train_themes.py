"""Train the theme classifier that sits on top of the seed phrases (``core/insights/data/themes_classifier.json``).

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/nlp/train_themes.py --with-development

The classifier used with the contextual model is trained by ``tools/nlp/train_themes_tuned.py``, which reuses
this script's rows and regression.

Training rows (and nothing else; the independent set ``tools/nlp/eval/themes_labels.csv`` is never
read here, and its source rows are excluded):

* the *dev* rows of ``tests/fixtures/themes_labelled.csv`` (team-written, engineering language);
* ``tools/nlp/themes_train_labels.csv``: 1,821 sentences of the crowd-written review texts in
  ``../shared/data/perf_review_text/`` from rows that no evaluation pool (``tools/nlp/eval/*_pool.csv``)
  references, and whose text matches no pooled text. 800 were drawn at random, 250 more among
  sentences with a topic word (mentor, customer, deadline, team player, ...) so that the rarer themes
  have examples; 321 more (ids ``x…``, 2026-12-06) are every remaining sentence with a topic word (91) and
  230 drawn at random; 450 more (ids ``n…``, 2026-12-07) drawn at random. All were relabelled on 2026-12-07
  by one engineer from the text alone against ``tools/nlp/eval/GUIDE.md`` (task 3), without looking at the
  independent set (column ``label``; the earlier labels are kept in ``label_before``);
  ``tools/nlp/themes_train_labels.md`` says how. 320 more (ids ``m…``, session 9) were drawn at random and
  labelled the same way; they have no ``label_before``, so ``--earlier-labels`` leaves them out.

``--with-development`` (the shipped file since session 12) adds the third development pool's sentences that two
labellers agreed on (``development_rows(first_set=False)``: review sentences and developers' pull-request
comments), each ``DEVELOPMENT_COPIES`` times in training and once in the cross-validation's scored folds; the first
themes set is never trained on (it shares reviews with the held-out sets). ``tools/nlp/themes_dev_training.py``
measures the result out of fold on those sentences, by part.

Features per sentence: its static embedding (unit length), its
best centred seed-phrase similarity per theme (the old matcher's scores),
and TF-IDF of its words and word pairs (``sublinear_tf``, L2).
One logistic regression per theme (``class_weight="balanced"``). The settings (C, the weight of
the word block) and one decision threshold for all themes are chosen by 5-fold cross-validation on
the training rows (best micro-F1 of the out-of-fold probabilities). A theme with at least
``OWN_THRESHOLD_MIN_POSITIVES`` positive rows may get its own threshold (folded into its bias), kept only
when thresholds chosen on four folds beat the shared one on the fifth; the model is then refitted on all
of them, written as JSON, reloaded through the runtime code and checked to give the same
probabilities as the fitted sklearn models.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_pool  # noqa: E402

from brightline.core.insights import themes  # noqa: E402
from brightline.core.insights.evaluation import labelled_split, read_labelled_sentences  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402
from brightline.core.nlp.embeddings import row_norms  # noqa: E402

TRAIN_LABELS = Path(__file__).resolve().parent / "themes_train_labels.csv"
FIXTURE = ROOT / "tests" / "fixtures" / "themes_labelled.csv"
TARGET = themes.DEFAULT_CLASSIFIER_PATH
GRID_C = (0.5, 1.0, 3.0)
GRID_WORD_WEIGHT = (0.5, 1.0, 1.5)
THRESHOLDS = tuple(round(0.3 + 0.05 * step, 2) for step in range(13))
#: A theme gets its own threshold only with at least this many positive training sentences; the others keep
#: the shared one (too few examples to choose a threshold on).
OWN_THRESHOLD_MIN_POSITIVES = 25


def own_thresholds(y: np.ndarray, probabilities: np.ndarray, shared: float) -> list[float]:
    """Per theme, the threshold that maximises micro-F1 over all themes, the other themes' kept (one pass)."""
    chosen = [shared] * y.shape[1]
    for j in range(y.shape[1]):
        if int(y[:, j].sum()) < OWN_THRESHOLD_MIN_POSITIVES:
            continue
        def score(value: float, j: int = j) -> float:
            trial = [*chosen[:j], value, *chosen[j + 1:]]
            return micro(y, (probabilities >= np.array(trial)).astype(int))["f1"]
        chosen[j] = max(THRESHOLDS, key=lambda value: (score(value), -abs(value - shared)))
    return chosen


def nested_own_thresholds(y: np.ndarray, probabilities: np.ndarray, shared: float,
                          folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Out-of-fold predictions with per-theme thresholds chosen on the other folds' rows only (an honest
    estimate of what choosing them adds)."""
    predicted = np.zeros(y.shape, dtype=int)
    for train, test in folds:
        thresholds = np.array(own_thresholds(y[train], probabilities[train], shared))
        predicted[test] = (probabilities[test] >= thresholds).astype(int)
    return predicted


def logit(value: float) -> float:
    return float(np.log(value / (1.0 - value)))


def training_rows(*, earlier_labels: bool = False,
                  leave_out: tuple[str, ...] = ()) -> tuple[list[str], list[frozenset[str]], list[str]]:
    """Texts, theme sets and origins of the training rows; ``earlier_labels``: the labels before the
    2026-12-07 relabelling (``label_before``), without the rows added then (the shipped classifiers' data);
    ``leave_out``: item-id prefixes of rows to skip (``("m",)``: the rows the shipped tuned network had)."""
    texts: list[str] = []
    labels: list[frozenset[str]] = []
    origin: list[str] = []
    for row in read_labelled_sentences(FIXTURE):
        if labelled_split(row.id) == "dev":
            texts.append(row.text)
            labels.append(row.themes)
            origin.append("team-dev")
    pooled = {r["ref"].split("#")[0] for f in eval_pool.EVAL_DIR.glob("*_pool.csv")
              if not f.name.endswith("_dev_pool.csv")  # a development set (the tone check's), not an evaluation pool
              # the evidence set scores the reference rules (core/narrative/references.py), which use no theme model
              and f.name != "evidence_pool.csv"
              for r in csv.DictReader(f.open(encoding="utf-8")) if r["source"] == "perf"}
    with TRAIN_LABELS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["ref"].split("#")[0] in pooled:
                raise SystemExit(f"training row {row['item_id']} comes from a row an evaluation pool uses")
            label = row["label_before"] if earlier_labels else row["label"]
            if not label or row["item_id"].startswith(leave_out):
                continue
            texts.append(eval_pool.resolve(row["source"], row["ref"]))
            labels.append(frozenset(t for t in label.split(";") if t and t != "none"))
            origin.append(f"perf-{row['picked']}")
    return texts, labels, origin


#: ``--with-development``: copies of each development sentence among the training rows (they are few beside the
#: 2,462 rows of one labeller, and the only developer comments).
DEVELOPMENT_COPIES = 3
#: The independently labelled development sentences ``development_rows`` reads, by part.
DEVELOPMENT_PARTS = ("first set", "dev3 review sentences", "dev3 PR comments", "dev4 review sentences")
#: The fourth development pool's agreed labels (session 14: review sentences of reviews no pool uses, two labellers;
#: ``themes_distill.py --export`` and ``--labels`` write it); read when present.
DEV4_LABELS = Path(__file__).resolve().parent / "narrative_train" / "dev4_themes_labels.csv"


def development_rows(*, first_set: bool = True) -> tuple[list[str], list[frozenset[str]], list[str]]:
    """Texts, theme sets and parts (``DEVELOPMENT_PARTS``) of the sentences labelled by two labellers from the
    guide alone: the first independent themes set (``eval/themes_labels.csv``, settled labels; development data since
    the second set is the held-out one) and the agreed labels of the third development pool
    (``narrative_train/dev3_themes_labels.csv``; items the labellers disagreed on are left out), and, when labelled,
    the fourth pool's agreed labels (``DEV4_LABELS``: review sentences of reviews no pool draws from, session 14).

    Only the third and fourth pools are ever trained on (``first_set=False``): most of the first set's sentences come
    from reviews the second (held-out) sets also draw sentences from, so training on them would let the held-out sets'
    writers into training; the first set stays a yardstick that no matcher learned from."""
    import dev_pool3

    texts: list[str] = []
    labels: list[frozenset[str]] = []
    parts: list[str] = []
    for _, text, label, _source in eval_pool.load_labelled("themes") if first_set else ():
        texts.append(text)
        labels.append(frozenset(t for t in label.split(";") if t and t != "none"))
        parts.append(DEVELOPMENT_PARTS[0])
    with open(dev_pool3.labels_path("themes"), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["label"]:
                continue
            texts.append(dev_pool3.resolve(row["source"], row["ref"]))
            labels.append(frozenset(t for t in row["label"].split(";") if t and t != "none"))
            parts.append(DEVELOPMENT_PARTS[1] if row["source"] == "perf" else DEVELOPMENT_PARTS[2])
    if DEV4_LABELS.is_file():
        # Drawn before any later pool: a review an evaluation pool drew from since is left out (references only).
        pooled = {r["ref"].split("#")[0] for f in eval_pool.EVAL_DIR.glob("*_pool.csv")
                  if not f.name.endswith("_dev_pool.csv")
                  for r in csv.DictReader(f.open(encoding="utf-8")) if r["source"] == "perf"}
        with open(DEV4_LABELS, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["label"] and row["ref"].split("#")[0] not in pooled:
                    texts.append(eval_pool.resolve(row["source"], row["ref"]))
                    labels.append(frozenset(t for t in row["label"].split(";") if t and t != "none"))
                    parts.append(DEVELOPMENT_PARTS[3])
    return texts, labels, parts


def dense_features(texts: list[str], index: themes.ThemeIndex, embedder: themes.Embedder = embed) -> np.ndarray:
    vectors = np.asarray(embedder(texts), dtype=np.float32)
    sims = themes.best_per_theme(themes.seed_similarities(vectors, row_norms(vectors), index), index)
    return np.hstack([vectors, sims]).astype(np.float64)


def vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(token_pattern=themes.WORD_PATTERN.pattern, ngram_range=(1, 2), min_df=2,
                           sublinear_tf=True, lowercase=True)


def fit(dense: np.ndarray, texts: list[str], y: np.ndarray, *, c: float, word_weight: float,
        rows: np.ndarray) -> tuple[TfidfVectorizer, list[LogisticRegression]]:
    # The vocabulary and idf come from the distinct rows: a row given twice (a development sentence counted more)
    # must not bring in words that only it uses.
    vec = vectorizer().fit([texts[i] for i in np.unique(rows)])
    features = sparse.hstack([sparse.csr_matrix(dense[rows]), vec.transform([texts[i] for i in rows]) * word_weight])
    models = [LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(features, y[rows, j])
              for j in range(y.shape[1])]
    return vec, models


def predict(vec: TfidfVectorizer, models: list[LogisticRegression], dense: np.ndarray, texts: list[str],
            word_weight: float) -> np.ndarray:
    features = sparse.hstack([sparse.csr_matrix(dense), vec.transform(texts) * word_weight]).tocsr()
    return np.column_stack([model.predict_proba(features)[:, 1] for model in models])


def micro(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    tp = int((y & predicted).sum())
    p = tp / max(int(predicted.sum()), 1)
    r = tp / max(int(y.sum()), 1)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "sentences": len(y)}


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if "--contextual" in arguments:
        # The earlier recipe (static and contextual embeddings side by side) was replaced on 2026-12-07; its
        # cross-validated figures are printed by train_themes_tuned.py --cross-validate.
        raise SystemExit("The classifier used with the contextual model is trained by tools/nlp/train_themes_tuned.py.")
    embedder: themes.Embedder = embed
    target = TARGET
    taxonomy = themes.load_taxonomy()
    index = themes.build_theme_index(taxonomy, embedder=embedder, classifier=None)
    ids = [theme.id for theme in taxonomy.themes]
    texts, labels, origin = training_rows(earlier_labels="--earlier-labels" in arguments)
    with_development = "--with-development" in arguments
    copies = DEVELOPMENT_COPIES
    if with_development:
        more_texts, more_labels, parts = development_rows(first_set=False)
        texts, labels, origin = texts + more_texts, labels + more_labels, origin + [f"dev-{p}" for p in parts]
    y = np.array([[theme in found for theme in ids] for found in labels], dtype=int)
    # The third pool's sentences count ``copies`` times in training (never in a scored fold twice).
    development = np.array([o.startswith("dev-") for o in origin])

    def expand(rows: np.ndarray) -> np.ndarray:
        return np.concatenate([rows] + [rows[development[rows]]] * (copies - 1)) if with_development else rows
    dense = dense_features(texts, index, embedder)
    folds = list(KFold(5, shuffle=True, random_state=0).split(dense))
    best: tuple[float, float, float, float, np.ndarray] | None = None
    for c in GRID_C:
        for word_weight in GRID_WORD_WEIGHT:
            out_of_fold = np.zeros(y.shape)
            for train, test in folds:
                vec, models = fit(dense, texts, y, c=c, word_weight=word_weight, rows=expand(train))
                out_of_fold[test] = predict(vec, models, dense[test], [texts[i] for i in test], word_weight)
            for threshold in THRESHOLDS:
                f1 = micro(y, (out_of_fold >= threshold).astype(int))["f1"]
                print(f"C={c} word_weight={word_weight} threshold={threshold}: out-of-fold micro-F1 {f1}")
                if best is None or f1 > best[0]:
                    best = (f1, c, word_weight, threshold, out_of_fold)
    assert best is not None
    _, c, word_weight, threshold, out_of_fold = best
    shared_predicted = (out_of_fold >= threshold).astype(int)
    nested = nested_own_thresholds(y, out_of_fold, threshold, folds)
    per_theme = own_thresholds(y, out_of_fold, threshold)
    use_own = micro(y, nested)["f1"] > micro(y, shared_predicted)["f1"]
    print(f"shared threshold {threshold}: {micro(y, shared_predicted)}; per-theme thresholds chosen on the other "
          f"folds: {micro(y, nested)} -> {'per-theme' if use_own else 'shared'} {per_theme}")
    if not use_own:
        per_theme = [threshold] * len(ids)
    predicted = nested if use_own else shared_predicted
    cross_validation = {name: micro(y[mask], predicted[mask]) for name, mask in (
        ("all training rows", np.ones(len(y), dtype=bool)),
        ("team dev rows", np.array([o == "team-dev" for o in origin])),
        ("crowd-written, drawn at random", np.array([o == "perf-random" for o in origin])),
        ("crowd-written, picked by topic word", np.array([o == "perf-keyword" for o in origin])),
        *((f"development: {part}", np.array([o == f"dev-{part}" for o in origin]))
          for part in (DEVELOPMENT_PARTS[1:] if with_development else ())),
    )}
    vec, models = fit(dense, texts, y, c=c, word_weight=word_weight, rows=expand(np.arange(len(y))))
    # A theme's own threshold is folded into its bias, so the runtime keeps one threshold for all themes:
    # p >= t_j  <=>  logit(p) + logit(threshold) - logit(t_j) >= logit(threshold).
    shifts = np.array([logit(threshold) - logit(value) for value in per_theme])
    terms = vec.get_feature_names_out().tolist()
    width = dense.shape[1] - len(ids)
    coefficients = np.vstack([model.coef_[0] for model in models]).T  # (features, themes)
    document: dict[str, Any] = {
        "taxonomy_version": taxonomy.version,
        "themes": ids,
        "threshold": threshold,
        "theme_thresholds": dict(zip(ids, per_theme, strict=True)),
        "settings": {"C": c, "word_weight": word_weight, "ngram_range": [1, 2], "min_df": 2, "sublinear_tf": True,
                     "class_weight": "balanced"},
        "training": {"rows": len(y), "team_dev_rows": origin.count("team-dev"),
                     "thresholds": "per theme, chosen on the other folds' rows" if use_own else "one for all themes",
                     "crowd_rows": len(y) - origin.count("team-dev") - int(development.sum()),
                     "development_rows": int(development.sum()),
                     "development_copies": copies if with_development else 0,
                     "cross_validation": cross_validation},
        "bias": [round(float(model.intercept_[0] + shift), 6) for model, shift in zip(models, shifts, strict=True)],
        "embedding_weights": np.round(coefficients[:width], 6).tolist(),
        "seed_weights": np.round(coefficients[width:width + len(ids)], 6).tolist(),
        "vocabulary": terms,
        "idf": np.round(vec.idf_, 6).tolist(),
        "word_weights": np.round(coefficients[width + len(ids):] * word_weight, 6).tolist(),
    }
    target.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    # Reload through the runtime and compare with sklearn.
    runtime = themes.build_theme_index(taxonomy, embedder=embedder,
                                       classifier=themes.load_theme_classifier(taxonomy, target))
    assert runtime.classifier is not None
    vectors = np.asarray(embedder(texts), dtype=np.float32)
    sims = themes.seed_similarities(vectors, row_norms(vectors), runtime)
    ours = runtime.classifier.probabilities(texts, vectors, themes.best_per_theme(sims, runtime))
    theirs = predict(vec, models, dense, texts, word_weight)
    theirs = 1.0 / (1.0 + np.exp(-(np.log(theirs / (1.0 - theirs)) + shifts)))
    gap = float(np.abs(ours - theirs).max())
    print(f"chosen C={c} word_weight={word_weight} threshold={threshold}; runtime vs sklearn max gap {gap:.2e}")
    print(json.dumps(cross_validation, indent=2))
    if gap > 1e-3:
        raise SystemExit("the runtime classifier does not reproduce the fitted models")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
