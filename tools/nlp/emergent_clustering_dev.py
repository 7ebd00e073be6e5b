"""Why do the emergent-theme clusters rarely isolate a planted topic, and would another clustering do better? (issue 17,
session 14; development data only.)

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/nlp/emergent_clustering_dev.py \\
        [--methods kmeans:12 kmeans:20 ...] [--neighbours] (``--neighbours --methods``: the neighbourhoods only)

Each method replaces the clustering inside ``core.insights.clusters.propose_clusters`` (the proposal rules, 8+
comments, 3+ writers, 3+ people, and the c-TF-IDF labels stay) and is scored on the composed organisations of
``bench/emergent_themes_eval.py`` (the same 40 organisations, seed 0). Methods, over the unit static embeddings:

* ``kmeans:K``: KMeans with K clusters (the product: ``kmeans:12`` at 400 comments);
* ``average:D``: agglomerative clustering, average linkage, cosine distance threshold D;
* ``ward:D``: agglomerative clustering, Ward linkage, distance threshold D;
* ``hdbscan:M``: HDBSCAN (density), minimum cluster size M; its noise points join no cluster;
* ``topN-`` before any of them: first take out the mean and the top N principal directions of the organisation's
  embeddings, which carry tone and writing style more than topic ("all-but-the-top", Mu and Viswanath, ICLR 2018).

``--neighbours`` prints, per theme with 60+ labelled sentences, the share of each theme sentence's 10 nearest
neighbours (cosine, among all labelled sentences) that carry the same theme, beside the theme's share of all
sentences: how topical the neighbourhoods any clustering starts from are (with the contextual model installed, its
untuned MiniLM embeddings too).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import emergent_themes_eval  # noqa: E402

from brightline.core.insights import clusters  # noqa: E402
from brightline.core.insights.signals import Comment  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402


def without_top(rows: NDArray[np.float64], directions: int) -> NDArray[np.float64]:
    centred = rows - rows.mean(axis=0)
    _, _, basis = np.linalg.svd(centred, full_matrices=False)
    top = basis[:directions]
    kept = centred - (centred @ top.T) @ top
    return kept / np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-12)


def assign(method: str, rows: NDArray[np.float64], seed: int) -> NDArray[np.int64]:
    from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans

    if method.startswith("top"):
        directions, _, method = method[3:].partition("-")
        rows = without_top(rows, int(directions))
    kind, _, value = method.partition(":")
    if kind == "kmeans":
        return KMeans(n_clusters=int(value), n_init=4, random_state=seed).fit_predict(rows)
    if kind in ("average", "ward"):
        return AgglomerativeClustering(n_clusters=None, distance_threshold=float(value), linkage=kind,
                                       metric="cosine" if kind == "average" else "euclidean").fit_predict(rows)
    if kind == "hdbscan":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return HDBSCAN(min_cluster_size=int(value)).fit_predict(rows)
    raise SystemExit(f"unknown method {method!r}")


def proposer(method: str) -> Callable[..., list[clusters.ClusterProposal]]:
    """``propose_clusters`` with ``method``'s clustering in place of KMeans; everything else as in the product."""
    def propose(comments: Sequence[Comment], vectors: NDArray[np.float32], *, seed: int = 0,
                exclude_terms: frozenset[str] = frozenset()) -> list[clusters.ClusterProposal]:
        if len(comments) < clusters.MIN_CORPUS:
            return []
        rows = np.asarray(vectors, dtype=np.float64)
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        groups: dict[int, list[int]] = {}
        for position, cluster in enumerate(assign(method, rows, seed).tolist()):
            if cluster >= 0:
                groups.setdefault(int(cluster), []).append(position)
        members = list(groups.values())
        labels = clusters.c_tf_idf_labels([[comments[i].text for i in group] for group in members],
                                          exclude=exclude_terms)
        proposals = []
        for number, group in enumerate(members):
            chosen = [comments[i] for i in group]
            if (len(chosen) >= clusters.MIN_CLUSTER_COMMENTS
                    and clusters.count_distinct_authors(chosen) >= clusters.MIN_CLUSTER_AUTHORS
                    and len({c.subject_id for c in chosen}) >= clusters.MIN_CLUSTER_SUBJECTS and labels[number]):
                proposals.append(clusters.ClusterProposal(number, labels[number], tuple(c.id for c in chosen)))
        return proposals
    return propose


def neighbours() -> None:
    texts, labels = emergent_themes_eval.labelled_rows()
    rows = np.asarray(embed(texts), dtype=np.float64)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    themes = sorted({theme for found in labels for theme in found})
    spaces = [("static embedding", rows), ("without the top 3 directions", without_top(rows, 3))]
    from brightline.core.nlp.contextual import bundled_encoder

    encoder = bundled_encoder()
    if encoder is not None:  # the contextual model, when installed: does a better encoder group topics better?
        contextual = np.asarray(encoder.encode(texts), dtype=np.float64)
        contextual /= np.linalg.norm(contextual, axis=1, keepdims=True)
        spaces.append(("contextual embedding (MiniLM, untuned)", contextual))
    for name, space in spaces:
        similarity = space @ space.T
        np.fill_diagonal(similarity, -np.inf)
        nearest = np.argsort(-similarity, axis=1)[:, :10]
        cells = []
        for theme in themes:
            has = np.array([theme in found for found in labels])
            if has.sum() >= emergent_themes_eval.MIN_THEME_SENTENCES:
                cells.append(f"{theme} {has[nearest[has]].mean():.2f} (all {has.mean():.2f})")
        print(f"{name}: " + "; ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="*", default=[
        "kmeans:12", "kmeans:20", "kmeans:30", "top3-kmeans:12", "top3-kmeans:20", "top10-kmeans:12",
        "average:0.5", "average:0.6", "top3-average:0.8", "top3-average:0.9", "ward:1.0", "hdbscan:8",
        "top3-hdbscan:8"])
    parser.add_argument("--neighbours", action="store_true")
    arguments = parser.parse_args(argv)
    if arguments.neighbours:
        neighbours()
    for method in arguments.methods:
        emergent_themes_eval.propose_clusters = proposer(method)  # type: ignore[assignment]
        document = emergent_themes_eval.measure()
        figures = "; ".join(f"{f['metric']} {f['value']} (n {f['n']})" for f in document["figures"])
        found = {theme: hits for theme, hits in document["per_theme_found"].items() if not hits.startswith("0 ")}
        print(f"{method:<18} {figures}; found: {found}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
