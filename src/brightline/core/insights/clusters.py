"""Emergent themes (C1), proposed organisation-wide only.

Per-person corpora (20–30 comments) are far too small to cluster; everything would land in one
"outlier" topic. Over all comments of the organisation, KMeans on the sentence embeddings groups
comments, and each group is labelled by c-TF-IDF (class-based TF-IDF, as in BERTopic): a word
scores high when it is frequent in this cluster and rare across clusters. A cluster is proposed
only when it holds :data:`MIN_CLUSTER_COMMENTS` comments from :data:`MIN_CLUSTER_AUTHORS` writers
about :data:`MIN_CLUSTER_SUBJECTS` people, so a proposal never describes one person.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from brightline.core.insights.confidence import QUALITATIVE_RULE, count_distinct_authors, label_confidence, span_in_days
from brightline.core.insights.signals import Comment, SignalDraft, Subject

__all__ = [
    "MIN_CLUSTER_AUTHORS",
    "MIN_CLUSTER_COMMENTS",
    "MIN_CLUSTER_SUBJECTS",
    "MIN_CORPUS",
    "ClusterProposal",
    "c_tf_idf_labels",
    "emergent_theme_signals",
    "propose_clusters",
]

MIN_CORPUS = 40
MIN_CLUSTER_COMMENTS = 8
MIN_CLUSTER_AUTHORS = 3
MIN_CLUSTER_SUBJECTS = 3
#: Roughly one cluster per this many comments, between 2 and 12.
COMMENTS_PER_CLUSTER = 25
LABEL_TERMS = 3
_WORD = re.compile(r"[a-z][a-z'\-]{2,}")
_STOPWORD_TEXT = """
a about above after again all also always am an and any are as at be because been before being below between both
but by can could did do does doing down during each even every few for from further get got had has have having he
her here hers him his how i if in into is it its just me more most my no nor not now of off on once only or other our
out over own really same she should so some still such than that the their them then there these they this those
through to too under until up very was we well were what when where which while who whom why will with would you
your team work time much many one two three things lot new make made way us she's he's it's they're don't can't
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class ClusterProposal:
    """One proposed emergent theme: its c-TF-IDF label terms and member comment ids."""

    cluster: int
    terms: tuple[str, ...]
    comment_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        return ", ".join(self.terms)


def _tokens(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.casefold()) if word not in STOPWORDS]


def c_tf_idf_labels(documents_per_cluster: Sequence[Sequence[str]], *, top: int = LABEL_TERMS,
                    exclude: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    """Top terms of each cluster by c-TF-IDF: ``tf(t, c) × log(1 + A / f(t))`` where ``tf`` is the
    term's share of the cluster's words, ``f(t)`` its count over all clusters and ``A`` the mean
    number of words per cluster. Ties break alphabetically, so labels are deterministic.
    ``exclude`` holds lower-case words never to use (people's names: a label must not name anyone)."""
    counts = [Counter(token for document in documents for token in _tokens(document) if token not in exclude)
              for documents in documents_per_cluster]
    totals: Counter[str] = Counter()
    for counter in counts:
        totals.update(counter)
    average = sum(sum(counter.values()) for counter in counts) / max(len(counts), 1)
    labels = []
    for counter in counts:
        size = sum(counter.values()) or 1
        scored = sorted(((counter[t] / size) * math.log(1 + average / totals[t]), t) for t in counter)
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        labels.append(tuple(term for _, term in scored[:top]))
    return labels


def propose_clusters(comments: Sequence[Comment], vectors: NDArray[np.float32], *, seed: int = 0,
                     exclude_terms: frozenset[str] = frozenset()) -> list[ClusterProposal]:
    """Cluster the whole organisation's comments (rows of ``vectors`` in comment order).

    Returns nothing below :data:`MIN_CORPUS` comments. Deterministic for a given ``seed``.
    """
    from sklearn.cluster import KMeans

    if len(comments) < MIN_CORPUS:
        return []
    clusters = max(2, min(12, len(comments) // COMMENTS_PER_CLUSTER))
    assignment = KMeans(n_clusters=clusters, n_init=4, random_state=seed).fit_predict(vectors)
    members: list[list[int]] = [[] for _ in range(clusters)]
    for position, cluster in enumerate(assignment):
        members[int(cluster)].append(position)
    labels = c_tf_idf_labels([[comments[i].text for i in group] for group in members], exclude=exclude_terms)
    proposals = []
    for cluster, group in enumerate(members):
        chosen = [comments[i] for i in group]
        if (len(chosen) < MIN_CLUSTER_COMMENTS or count_distinct_authors(chosen) < MIN_CLUSTER_AUTHORS
                or len({c.subject_id for c in chosen}) < MIN_CLUSTER_SUBJECTS or not labels[cluster]):
            continue
        proposals.append(ClusterProposal(cluster, labels[cluster], tuple(c.id for c in chosen)))
    return proposals


def emergent_theme_signals(comments: Sequence[Comment], proposals: Sequence[ClusterProposal], *,
                           window_start: date, window_end: date) -> list[SignalDraft]:
    """One organisation-wide ``emergent_theme`` signal per proposal, keyed by its label terms."""
    by_id = {comment.id: comment for comment in comments}
    signals = []
    for proposal in proposals:
        chosen = [by_id[i] for i in proposal.comment_ids]
        authors = count_distinct_authors(chosen)
        signals.append(SignalDraft(
            kind="emergent_theme", key="emergent_theme:" + "-".join(sorted(proposal.terms)),
            subject=Subject("organisation", "organisation"), window_start=window_start, window_end=window_end,
            statement=(f"A possible new theme, “{proposal.label}”, groups {len(chosen)} comments from {authors} "
                       f"writers about {len({c.subject_id for c in chosen})} people. A people partner decides "
                       f"whether it belongs in the taxonomy."),
            rule=(f"KMeans over all comments' embeddings (one cluster per ~{COMMENTS_PER_CLUSTER} comments), c-TF-IDF "
                  f"labels; proposed when {MIN_CLUSTER_COMMENTS}+ comments, {MIN_CLUSTER_AUTHORS}+ writers, "
                  f"{MIN_CLUSTER_SUBJECTS}+ people."),
            confidence=label_confidence(items=len(chosen), authors=authors,
                                        span_days=span_in_days(c.written_at for c in chosen),
                                        agreement="single_layer", rule=QUALITATIVE_RULE),
            item_refs=tuple(dict.fromkeys(c.ref for c in chosen)),
            cannot_infer="Anything about an individual: clusters are organisation-wide and shown only in aggregate.",
            detail={"terms": list(proposal.terms), "comments": len(chosen), "authors": authors,
                    "people": len({c.subject_id for c in chosen})},
        ))
    return signals
