"""Can the static theme classifier (the default install) learn from the contextual matcher? Distillation measured out
of fold on the independently labelled development sentences (issue 17 item 3, session 14).

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/nlp/themes_distill.py

The teacher is the contextual matcher's recipe (the static-feature regression averaged half and half with the tuned
MiniLM network, threshold 0.45, at most two themes a sentence); the student is the static recipe of
``train_themes.py`` (one logistic regression per theme over the static embedding, the seed similarities and TF-IDF of
words and word pairs), so the product's cost does not change. The teacher labels unlabelled feedback-like sentences
that no evaluation pool draws from (:func:`unlabelled_sentences`); the student is trained on the labelled rows plus
those, either with the teacher's decisions (``hard``) or with its probabilities (``soft``: each sentence once as a
positive weighted by the probability and once as a negative weighted by the rest).

Out of fold, as ``themes_dev_training.py`` measures: 5 folds over the development sentences (the first themes set,
never trained on, and the third pool's agreed sentences); in each fold the teacher's regression and the student are
trained on the labelled training rows and the other folds' pool sentences (``DEVELOPMENT_COPIES`` copies each), so the
scored fold's sentences reach neither; the tuned network was trained on the labelled training rows only. The first set
is scored by the models trained on the whole pool. Each student's threshold is chosen on the other folds.

Other variants: ``none:1:C:WORD_WEIGHT`` (the recipe with other settings), ``mlp`` / ``mlphard`` (a one-hidden-layer
network over the static embedding and seed similarities, without or with the teacher's decisions, averaged with the
recipe), ``nodev4`` (the fourth pool's sentences scored but never trained on). The network's probabilities are cached
in ``/tmp/themes_distill_network.npz``, the out-of-fold probabilities written to ``/tmp/themes_distill_oof.npz``.

``--export DIR`` writes the unlabelled review sentences as a fourth development pool for two labellers
(``DIR/items.csv``, ``DIR/DEFINITION.md``, references in ``narrative_train/dev4_themes_pool.csv``); ``--labels DIR``
reads their ``labels_a.csv`` and ``labels_b.csv``, prints the agreement and writes the agreed labels
(``narrative_train/dev4_themes_labels.csv``), which ``train_themes.development_rows`` then reads.

Nothing here reads a second or later held-out set (the pools' reference columns are read only to leave their reviews
and comments out), and nothing here writes a shipped model.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import dev_pool3  # noqa: E402
import eval_pool  # noqa: E402
import train_themes  # noqa: E402
from themes_dev_training import GROUPS, capped, nested_threshold, prf, tally  # noqa: E402

from brightline.core.insights import themes  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402
from brightline.core.nlp.splits import premo_split  # noqa: E402

TEACHER_C, TEACHER_WORDS, TEACHER_THRESHOLD = 3.0, 1.0, 0.45
CACHE = Path("/tmp/themes_distill_network.npz")
CR_USEFULNESS = eval_pool.DATA_DIR / "cr_usefulness" / "cr_usefulness_comments.csv"
NARRATIVE_TRAIN = ROOT / "tools" / "nlp" / "narrative_train"
#: A fourth development pool (session 14): the review sentences of ``unlabelled_sentences``, for two labellers.
DEV4_POOL = NARRATIVE_TRAIN / "dev4_themes_pool.csv"
DEV4_LABELS = train_themes.DEV4_LABELS


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def unlabelled_sentences(taken: set[str]) -> tuple[list[str], list[str], list[str]]:
    """Feedback-like sentences with no theme label, none from a review or comment an evaluation pool draws from, none
    sharing a (normalised) text with ``taken``: (texts, sources).

    * ``perf``: sentences of the crowd-written reviews (``perf_review_text``) of reviews no pool in ``eval/`` uses;
    * ``prcomment``: PRemo pull-request comment sentences of the train split (the v3 pool draws from the test split),
      never psf/requests, never a comment the third development pool drew from;
    * ``statements``: the team-written review statements of the narrative model's training files;
    * ``cr``: sentences of the code-review comments of ``cr_usefulness`` (Turzo & Bosu), which no pool uses.

    The third list holds each sentence's reference (``perf`` and ``prcomment``: as the pools write them)."""
    pooled = {row["ref"].split("#")[0] for path in eval_pool.EVAL_DIR.glob("*_pool.csv")
              if not path.name.endswith("_dev_pool.csv")
              for row in csv.DictReader(path.open(encoding="utf-8")) if row["source"] == "perf"}
    texts: list[str] = []
    sources: list[str] = []
    refs: list[str] = []
    seen = set(taken)

    def add(text: str, source: str, ref: str = "") -> None:
        key = _norm(text)
        if key and key not in seen and 25 <= len(text) <= 300:
            seen.add(key)
            texts.append(text)
            sources.append(source)
            refs.append(ref)
    for item in eval_pool.perf_sentences():
        if item.ref.split("#")[0] not in pooled:
            add(item.text, "perf", item.ref)
    dev3_rows = {row["ref"].split("#")[0] for task in dev_pool3.TASKS for row in dev_pool3.load_pool(task)
                 if row["source"] == "prcomment"}
    for item in dev_pool3.premo_sentences():
        comment = item.ref.split("#")[0]
        if comment not in dev3_rows and premo_split(comment) == "train":
            add(item.text, "prcomment", item.ref)
    for name in ("statements.csv", "review_statements.csv"):
        with open(NARRATIVE_TRAIN / name, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                add(row["text"], "statements")
    with open(CR_USEFULNESS, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = " ".join(row["text"].split())
            if "`" in text or "http" in text:
                continue
            for sentence in dev_pool3._SENTENCE.split(text):
                if not sentence.strip().endswith("?"):
                    add(sentence.strip(), "cr")
    return texts, sources, refs


def export_pool(folder: Path, texts: list[str], sources: list[str], refs: list[str]) -> int:
    """The review sentences among the unlabelled ones, in a fixed shuffled order, for labelling from the guide."""
    import hashlib

    items = sorted((hashlib.sha256(("d4" + ref).encode()).hexdigest(), ref, text)
                   for text, source, ref in zip(texts, sources, refs, strict=True) if source == "perf")
    folder.mkdir(parents=True, exist_ok=True)
    with open(DEV4_POOL, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "source", "ref", "picked"])
        writer.writerows([f"d4{number:03d}", "perf", ref, "perf-free"] for number, (_, ref, _) in enumerate(items, 1))
    with open(folder / "items.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "text"])
        writer.writerows([f"d4{number:03d}", text] for number, (_, _, text) in enumerate(items, 1))
    (folder / "DEFINITION.md").write_text(dev_pool3.definition("themes"), encoding="utf-8")
    print(f"wrote {len(items)} items to {folder} and {DEV4_POOL}")
    return 0


def network_probabilities(texts: list[str]) -> NDArray[np.float64]:
    """The shipped tuned network's probabilities (cached by text in ``CACHE``: about 20 ms of CPU a sentence)."""
    known: dict[str, NDArray[np.float64]] = {}
    if CACHE.exists():
        stored = np.load(CACHE, allow_pickle=False)
        known = dict(zip(stored["texts"].tolist(), stored["probabilities"], strict=True))
    missing = sorted({text for text in texts if text not in known})
    if missing:
        runtime = themes.runtime_theme_index(themes.load_taxonomy())
        if runtime.tuned is None:
            raise SystemExit("the teacher needs the contextual model (scripts/setup.sh --contextual-model)")
        for start in range(0, len(missing), 256):
            chunk = missing[start:start + 256]
            logits = np.asarray(runtime.tuned.logits(chunk), dtype=np.float64)
            known.update(zip(chunk, 1.0 / (1.0 + np.exp(-logits)), strict=True))
            print(f"  network: {start + len(chunk)} of {len(missing)}", file=sys.stderr, flush=True)
        ordered = sorted(known)
        np.savez_compressed(CACHE, texts=np.array(ordered), probabilities=np.stack([known[t] for t in ordered]))
    return np.stack([known[text] for text in texts])


def fit_weighted(dense: NDArray[np.float64], texts: list[str], targets: NDArray[np.float64],
                 weights: NDArray[np.float64], *, c: float, word_weight: float, vocabulary_rows: NDArray[np.int64]
                 ) -> tuple[Any, list[LogisticRegression]]:
    """The static recipe with soft targets: row i counts ``weights[i] * targets[i, j]`` as a positive of theme j and
    ``weights[i] * (1 - targets[i, j])`` as a negative, the two classes balanced as ``class_weight="balanced"``
    balances them (with 0/1 targets and unit weights this is ``train_themes.fit``)."""
    vec = train_themes.vectorizer().fit([texts[i] for i in np.unique(vocabulary_rows)])
    features = sparse.hstack([sparse.csr_matrix(dense), vec.transform(texts) * word_weight]).tocsr()
    both = sparse.vstack([features, features]).tocsr()
    models = []
    for j in range(targets.shape[1]):
        positive, negative = weights * targets[:, j], weights * (1.0 - targets[:, j])
        total = weights.sum()
        scale_positive = total / (2.0 * max(positive.sum(), 1e-9))
        scale_negative = total / (2.0 * max(negative.sum(), 1e-9))
        sample = np.concatenate([positive * scale_positive, negative * scale_negative])
        labels = np.concatenate([np.ones(len(texts)), np.zeros(len(texts))])
        keep = sample > 0
        models.append(LogisticRegression(C=c, max_iter=5000).fit(both[keep], labels[keep], sample_weight=sample[keep]))
    return vec, models


def mlp_average(dense: NDArray[np.float64], texts: list[str], y: NDArray[np.float64], rows: NDArray[np.int64],
                labelled: NDArray[np.int64], scored: NDArray[np.int64], scored_texts: list[str], *,
                pseudo_rows: NDArray[np.int64] | None, pseudo: NDArray[np.int64]) -> NDArray[np.float64]:
    """A one-hidden-layer network over the static embedding and seed similarities (``pseudo_rows``: with the
    teacher's decisions on them too), its probabilities averaged half and half with the static recipe's."""
    from sklearn.neural_network import MLPClassifier

    vec, models = train_themes.fit(dense, texts, y.astype(np.int64), c=TEACHER_C, word_weight=TEACHER_WORDS,
                                   rows=labelled)
    recipe = train_themes.predict(vec, models, dense[scored], scored_texts, TEACHER_WORDS)
    inputs, targets = dense[rows], y[rows]
    if pseudo_rows is not None:
        inputs, targets = np.vstack([inputs, dense[pseudo_rows]]), np.vstack([targets, pseudo])
    network = MLPClassifier(hidden_layer_sizes=(128,), alpha=1e-3, max_iter=300, random_state=0)
    network.fit(inputs, targets.astype(np.int64))
    return 0.5 * recipe + 0.5 * np.asarray(network.predict_proba(dense[scored]), dtype=np.float64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shuffles", type=int, default=1)
    parser.add_argument("--variants", nargs="+", default=["none", "hard:1", "soft:1"],
                        help="none | nodev4 (the fourth pool never trained on) | hard:WEIGHT | soft:WEIGHT "
                             "(the unlabelled sentences' weight), then optionally :C:WORD_WEIGHT (the student's "
                             "settings; 3 and 1 by default)")
    parser.add_argument("--sources", nargs="+", default=["perf", "prcomment", "statements", "cr"])
    parser.add_argument("--labels", type=Path, help="DIR holding the two labellers' labels_a.csv and labels_b.csv "
                        f"of the exported pool: print their agreement and write {DEV4_LABELS.name}")
    parser.add_argument("--export", type=Path, help="write the unlabelled review sentences (perf) for two labellers: "
                        f"DIR/items.csv, DIR/DEFINITION.md and the references in {DEV4_POOL.name}")
    arguments = parser.parse_args(argv)
    if arguments.labels:
        with open(DEV4_POOL, newline="", encoding="utf-8") as handle:
            pool = list(csv.DictReader(handle))
        return dev_pool3.labels_command("themes", arguments.labels, pool=pool, target=DEV4_LABELS)
    started = time.time()
    taxonomy = themes.load_taxonomy()
    ids = [theme.id for theme in taxonomy.themes]
    base_texts, base_labels, _origin = train_themes.training_rows()
    dev_texts, dev_labels, parts = train_themes.development_rows()
    taken = {_norm(text) for text in base_texts + dev_texts}
    more_texts, more_sources, more_refs = unlabelled_sentences(taken)
    if arguments.export:
        return export_pool(arguments.export, more_texts, more_sources, more_refs)
    chosen = [i for i, source in enumerate(more_sources) if source in arguments.sources]
    more_texts = [more_texts[i] for i in chosen]
    more_sources = [more_sources[i] for i in chosen]
    counts = {source: more_sources.count(source) for source in arguments.sources}
    print(f"{len(base_texts)} labelled training rows, {len(dev_texts)} development sentences, "
          f"{len(more_texts)} unlabelled sentences {counts}")
    texts = base_texts + dev_texts + more_texts
    n_base, n_dev = len(base_texts), len(dev_texts)
    y = np.zeros((len(texts), len(ids)))
    y[:n_base + n_dev] = [[theme in found for theme in ids] for found in base_labels + dev_labels]
    base = np.arange(n_base)
    dev = np.arange(n_base, n_base + n_dev)
    more = np.arange(n_base + n_dev, len(texts))
    y_dev = y[dev].astype(np.int64)
    part = np.array(parts)
    index = themes.build_theme_index(taxonomy, embedder=embed, classifier=None)
    dense = train_themes.dense_features(texts, index, embed)
    network = network_probabilities(more_texts)
    print(f"  features and network ready after {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    pool = np.flatnonzero(part != GROUPS[0])
    first = np.flatnonzero(part == GROUPS[0])
    dev4 = np.flatnonzero(part == GROUPS[3])
    copies = train_themes.DEVELOPMENT_COPIES
    results: dict[str, NDArray[np.float64]] = {}
    fold_lists = []
    for shuffle in range(arguments.shuffles):
        folds = [test for _, test in KFold(5, shuffle=True, random_state=shuffle).split(dev)]
        fold_lists.append(folds)
        outs = {variant: np.zeros(y_dev.shape) for variant in arguments.variants}
        for test in [*folds, None]:
            scored = first if test is None else np.intersect1d(test, pool)
            kept = pool if test is None else np.setdiff1d(pool, test)
            labelled = np.concatenate([base] + [dev[kept]] * copies)
            # The teacher: the contextual recipe's regression on these rows, averaged with the network.
            vec, models = train_themes.fit(dense, texts, y.astype(np.int64), c=TEACHER_C, word_weight=TEACHER_WORDS,
                                           rows=labelled)
            regression = train_themes.predict(vec, models, dense[more], more_texts, TEACHER_WORDS)
            teacher = 0.5 * regression + 0.5 * network
            for variant in arguments.variants:
                kind, weight_text, c, word_weight = (variant.split(":") + ["1", "3", "1"][variant.count(":"):])[:4]
                rows = labelled
                if kind == "nodev4":  # the fourth pool's sentences scored, never trained on
                    rows = np.concatenate([base] + [dev[np.setdiff1d(kept, dev4)]] * copies)
                targets = y[rows]
                weights = np.ones(len(rows))
                if kind in ("hard", "soft"):
                    pseudo = (capped(teacher, TEACHER_THRESHOLD).astype(np.float64) if kind == "hard"
                              else teacher)
                    rows = np.concatenate([rows, more])
                    targets = np.vstack([targets, pseudo])
                    weights = np.concatenate([weights, np.full(len(more), float(weight_text))])
                if kind.startswith("mlp"):  # a non-linear student over the dense features, averaged with the recipe
                    outs[variant][scored] = mlp_average(dense, texts, y, rows, labelled, dev[scored],
                                                        [dev_texts[i] for i in scored], pseudo_rows=more
                                                        if kind == "mlphard" else None,
                                                        pseudo=capped(teacher, TEACHER_THRESHOLD))
                    continue
                student_vec, student = fit_weighted(dense[rows], [texts[i] for i in rows], targets, weights,
                                                    c=float(c), word_weight=float(word_weight),
                                                    vocabulary_rows=np.arange(len(rows)))
                outs[variant][scored] = train_themes.predict(student_vec, student, dense[dev[scored]],
                                                             [dev_texts[i] for i in scored], float(word_weight))
            print(f"  shuffle {shuffle}, fold done after {time.time() - started:.0f} s", file=sys.stderr, flush=True)
        for variant, out in outs.items():
            results[f"{variant} [shuffle {shuffle}]"] = out
    np.savez_compressed("/tmp/themes_distill_oof.npz", y=y_dev, part=part, **results)
    for name, scores in results.items():
        folds = fold_lists[int(name.rsplit(" ", 1)[1].rstrip("]"))]
        predicted = nested_threshold(y_dev, scores, folds)
        print(f"{name} (threshold chosen on the other folds)")
        print(f"    all {len(dev):>4}: {prf(tally(y_dev, predicted))}")
        reviews = part != GROUPS[2]
        print(f"    {'review sentences':<24}: {prf(tally(y_dev[reviews], predicted[reviews]))}")
        for group in GROUPS:
            mask = part == group
            if not mask.any():
                continue
            print(f"    {group:<24}: {prf(tally(y_dev[mask], predicted[mask]))}")
        for threshold in (0.45, 0.5, 0.55):
            fixed = capped(scores, threshold)
            print(f"    at {threshold}: all {prf(tally(y_dev, fixed))}; reviews "
                  f"{prf(tally(y_dev[reviews], fixed[reviews]))}")
    print(json.dumps({"seconds": round(time.time() - started)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
