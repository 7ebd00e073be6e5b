"""Train the narrative specificity model: is a statement specific, vague, or a judgement of character?

Run from the repository root with the runtime environment (no PyTorch needed):

    PYTHONPATH=src .venv/bin/python tools/nlp/train_narrative.py

It writes ``src/brightline/core/narrative/models/specificity/model.json`` (plain numbers, no pickle)
and ``metrics.json``; ``MODEL_CARD.md`` next to them describes the data and the scores.

Training statements (labels ``specific`` / ``vague`` / ``character``; ``other`` rows are dropped):

* ``perf``: sentences of ``../shared/data/perf_review_text/perf_reviews_ninebox.csv`` hand-labelled for
  this model with the definitions of ``tools/nlp/eval/GUIDE.md`` (``narrative_train/perf_labels.csv``
  keeps only ``row id#sentence`` references and the labels). Every review that any evaluation pool
  (``tools/nlp/eval/*_pool.csv``) draws a sentence from is left out entirely, and so is any sentence
  whose text equals a sentence of those reviews; the script refuses to run otherwise.
* ``own``: short statements written for this model in ``narrative_train/statements.csv``.
* ``fixture``: the dev half (even ids) of the team's ``tests/fixtures/narrative_labelled.csv`` (the odd
  ids stay held out for ``bench/narrative_eval.py`` and the regression floors): ``vague`` → vague,
  ``personality`` → character, no flag or only evidence/outcome/scope flags → specific; rows whose only
  weakness is ``unquantified_result`` are left out (neither clearly vague nor clearly specific).
* ``cr``: code-review comments marked useful in ``../shared/data/cr_usefulness/`` (Turzo & Bosu,
  EMSE 2023), 40+ characters, a fixed sample of 600, each of their sentences (three words or more, not a question)
  a weak ``specific`` example at half weight (whole comments until 2026-12-07).

* ``v1_perf``, ``v1_changelog``, ``dev3_perf``, ``dev3_changelog``, ``dev3_prcomment`` (session 11, 2026-12-07):
  statements two labellers labelled from the guide alone: the first independent set (development data since the
  second set replaced it; only sentences of reviews no v2 set draws from) and the agreed labels of the third
  development pool (``narrative_train/dev3_narrative_labels.csv``, ``tools/nlp/dev_pool3.py``).

Weights (since 2026-12-07, format 4): most ``specific`` statements were engineering text (code-review comments,
change-log-like statements) while nine in ten ``perf`` statements are weak, so the model had learned the register —
review prose reads as vague — more than what a statement says, and flagged concrete behaviour written in review
words ("is slow to answer questions and needs supervision on the shop floor"). Each ``perf`` specific statement now
weighs :data:`PERF_SPECIFIC_WEIGHT` (so the review sentences' two sides weigh about the same), and the ``cr`` comments
are read sentence by sentence, as the checks read a text.

Features are those of :mod:`brightline.core.narrative.specificity` (static sentence embedding, which
sub-word tokens occur, has-a-digit, concrete-behaviour markers and, since format 5 (session 12), evaluation features:
praise and negative judgement words of the VADER lexicon, frequency and degree adverbs, a judgement with no instance
behind it, evidence; since format 3 the embedding and tokens read
every capitalised word inside a sentence as one placeholder name, and since format 4 a sentence's first word too
when it stands as a person's name, so a person's name is no evidence either way);
the model is a multinomial logistic regression. The flag threshold is chosen by grouped 5-fold cross-validation on
these statements only (a review's sentences stay in one fold). The regularisation C was chosen the same way until
2026-12-07; since then it is fixed at 0.5, compared with 0.25, 1 and 2 on the first independent narrative set
(``tools/nlp/eval/narrative_labels.csv``), which became development data that day (cross-validation put the four
within two points of each other). The threshold is the
highest that still catches 92 % of the vague and character statements among the ``perf`` ones (written
by people outside the team, as in use; the target is 90 %) and, since session 11, 88 % of those of the
two-labeller development statements by writers whose other sentences are not in training (``v1_perf``, ``dev3_perf``,
``dev3_prcomment``; the model alone, before the rules, which catch more); C is the one that then flags the fewest
``perf`` specific statements. Session 11 also weighs each weak review statement with a concrete-behaviour marker 2
(:data:`CONCRETE_WEAK_WEIGHT`). (An earlier cap of 8 % on all specific statements flagged was dropped when
171 concrete-behaviour review sentences joined the ``perf`` labels: no threshold meets both on them.)
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_pool import EVAL_DIR, perf_sentences  # noqa: E402

from brightline.core.narrative.sentences import split_sentences  # noqa: E402
from brightline.core.narrative.specificity import (  # noqa: E402
    LABELS,
    MODEL_FORMAT_VERSION,
    concrete_markers,
    feature_blocks,
)
from brightline.core.nlp.tokens import static_vocabulary  # noqa: E402

TRAIN_DIR = Path(__file__).resolve().parent / "narrative_train"
DATA_DIR = Path(os.environ.get("BRIGHTLINE_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURE = ROOT / "tests" / "fixtures" / "narrative_labelled.csv"
OUT_DIR = ROOT / "src" / "brightline" / "core" / "narrative" / "models" / "specificity"
#: Recall on vague and character statements the threshold must keep on ``perf`` (the target is 0.90).
MIN_PERF_RECALL = 0.92
#: Out-of-fold recall (the model alone, before the rules) the threshold must keep on the review sentences and
#: pull-request comments that two labellers labelled (session 11; module docstring): statements by writers whose other
#: sentences the model never saw in training, unlike most ``perf`` ones.
MIN_DEVELOPMENT_RECALL = 0.88
INDEPENDENT_SOURCES = ("v1_perf", "dev3_perf", "dev3_prcomment")
#: The most code-review sentences (``cr``, all ``specific``) the threshold may flag out of fold (session 11): the
#: recall floors alone chose 0.52, at which the whole checks called 7 % of the 2,500 review comments of
#: ``cr_usefulness`` vague (3 % before; ``tests/core/test_narrative_labelled.py`` keeps it under 5 %).
MAX_REVIEW_COMMENTS_FLAGGED = 0.05
C_GRID = (0.5,)  # 0.5, 1 and 2 on 2026-12-06 (2 chosen twice); 1 and 2 with the 2026-12-07 labels; 0.5 (module doc)
#: The weight of one hand-labelled ``perf`` specific statement (see the module docstring); 1 until 2026-12-07. With
#: whole code-review comments, cross-validation at C=1 flagged 0.245, 0.215, 0.210, 0.185 and 0.185 of the ``perf``
#: specific statements for 1, 2, 4, 8 and 10; with their sentences (below), at C=0.5, 4 and 8 both flag 0.215, and 4
#: lets the check call fewer review comments vague (3.0 % against 4.8 % of all 2,500).
PERF_SPECIFIC_WEIGHT = 4.0
#: The weight of each sentence of a ``cr`` comment (about 1,000 sentences of the 600 comments; whole comments at 0.5
#: before 2026-12-07). With the review sentences weighted up, whole comments let the check call 8 % of all 2,500 review
#: comments vague (3.8 % before); their sentences at 0.5 bring it to 3.0 %, and at 1.0 undo the review sentences' gain.
CR_WEIGHT = 0.5
#: The weight of a vague or character review statement that carries a concrete-behaviour marker of the model
#: (:data:`brightline.core.narrative.specificity.CONCRETE_MARKERS`: "she always turns in her reports on time", "clients
#: like him"); 1 until session 11 (2026-12-07). Out of fold, the model caught 0.65 of the weak review statements
#: that name a thing (a report, a client, a deadline) against 0.94 of the others: with the specific review sentences
#: weighted up, it had learned that naming a thing makes a statement specific. At 2, each at the threshold the
#: ``perf`` recall floor chose, 0.70 of them against 0.65 (module docstring, session 11).
CONCRETE_WEAK_WEIGHT = 2.0
REVIEW_SOURCES = ("perf", "v1_perf", "dev3_perf")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
#: Hand-labelled ``perf`` sentences: the first two helpers' labels, then (2026-12-07) every remaining sentence of
#: the reviews no evaluation pool draws from, labelled by a third helper (``narrative_train/README.md``).
PERF_LABEL_FILES = ("perf_labels.csv", "perf_labels_more.csv")
#: The statements of issue 16 and the tests: never training data.
NEVER_TRAIN_ON = (
    "Huge impact on the business",
    "She is very proactive",
    "Her work was really impressive overall",
    "Made significant improvements to the system",
    "His contributions were invaluable",
    "Brings positive energy every day",
    "Wrote the runbook for the database failover and ran the drill in September; recovery took 11 minutes "
    "against a 30-minute target",
)


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    group: str
    weight: float = 1.0


def evaluation_rows() -> set[str]:
    """Ids of every review any evaluation pool draws a sentence from."""
    rows: set[str] = set()
    for pool in sorted(EVAL_DIR.glob("*_pool.csv")):
        if pool.name.endswith("_dev_pool.csv"):
            continue  # a development set (the tone check's), not an evaluation pool
        if pool.name == "evidence_pool.csv":
            continue  # measures the missing-evidence rule only; drawn apart from the pools, not from training reviews
        with pool.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["source"] == "perf":
                    rows.add(row["ref"].split("#")[0])
    return rows


def perf_examples() -> list[Example]:
    excluded = evaluation_rows()
    sentences = list(perf_sentences())
    by_ref = {item.ref: item.text for item in sentences}
    excluded_texts = {item.text.strip().lower() for item in sentences if item.ref.split("#")[0] in excluded}
    examples = []
    seen: set[str] = set()
    for name in PERF_LABEL_FILES:
        with (TRAIN_DIR / name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                review = row["ref"].split("#")[0]
                text = by_ref[row["ref"]]
                if review in excluded or text.strip().lower() in excluded_texts:
                    raise SystemExit(f"{row['ref']} belongs to an evaluation pool; remove it from {name}")
                if row["ref"] in seen:
                    raise SystemExit(f"{row['ref']} is labelled twice; keep one label")
                seen.add(row["ref"])
                if row["label"] in LABELS:
                    weight = PERF_SPECIFIC_WEIGHT if row["label"] == "specific" else 1.0
                    examples.append(Example(text, row["label"], "perf", review, weight))
    return examples


def own_examples() -> list[Example]:
    with (TRAIN_DIR / "statements.csv").open(newline="", encoding="utf-8") as handle:
        return [
            Example(row["text"], row["label"], "own", f"own:{index}")
            for index, row in enumerate(csv.DictReader(handle))
        ]


def review_examples() -> list[Example]:
    """Review-style statements written for development (``narrative_train/review_statements.csv``): concrete
    behaviour in a performance review's words (named artefacts, counts, before/after, dates), so that the model
    learns specific review sentences from more than change-log wording, and vague or character ones in
    varied wording. Synthetic, one writer; see ``narrative_train/README.md``."""
    with (TRAIN_DIR / "review_statements.csv").open(newline="", encoding="utf-8") as handle:
        return [
            Example(row["text"], row["label"], "own_review", f"own_review:{index}")
            for index, row in enumerate(csv.DictReader(handle))
        ]


def fixture_examples() -> list[Example]:
    examples = []
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["id"]) % 2 == 1:
                continue  # the held-out half
            flags = {flag for flag in row["flags"].split(";") if flag}
            if "personality" in flags:
                label = "character"
            elif "vague" in flags:
                label = "vague"
            elif flags == {"unquantified_result"} or "unquantified_result" in flags:
                continue
            else:
                label = "specific"
            examples.append(Example(row["text"], label, "fixture", f"fixture:{row['id']}"))
    return examples


def cr_examples(count: int = 300) -> list[Example]:
    path = DATA_DIR / "cr_usefulness" / "cr_usefulness_comments.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["is_useful"] == "1" and len(row["text"].strip()) >= 40]
    rows.sort(key=lambda row: hashlib.sha256(("narr-cr" + row["comment_id"]).encode()).hexdigest())
    # One example per sentence, as the checks score a text (grouped by comment): a whole comment taught the model
    # nothing about the short sentences it is later shown one by one ("It is not necessary. Remove it.").
    return [
        Example(sentence.text.strip(), "specific", "cr", f"cr:{row['comment_id']}", CR_WEIGHT)
        for row in rows[:count]
        for sentence in split_sentences(row["text"])
        if len(_WORD.findall(sentence.text)) >= 3 and not sentence.text.rstrip().endswith("?")
    ]


#: Labelled by two labellers from the guide alone (session 11, 2026-12-07): the third development pool
#: (``narrative_train/dev3_narrative_labels.csv``, drawn by ``tools/nlp/dev_pool3.py``) and the first independent set
#: (``eval/narrative_labels.csv``), development data since the second set replaced it. Only the labels both gave
#: (or one settled by the definition) are used; ``other`` is dropped as everywhere.
DEV3_LABELS = TRAIN_DIR / "dev3_narrative_labels.csv"
#: The sources of these statements, as :func:`development_examples` names them.
DEVELOPMENT_SOURCES = ("v1_perf", "v1_changelog", "dev3_perf", "dev3_changelog", "dev3_prcomment")


def _group(source: str, ref: str) -> str:
    """Statements of one review, one pull-request comment or one change-log entry stay in one fold."""
    if source in ("perf", "prcomment"):
        return f"{source}:{ref.split('#')[0]}"
    return f"{source}:{ref}"


def development_examples() -> list[Example]:
    """The labelled development statements above, leaving out every sentence of a review that a v2 set draws from
    (the first set's sentences were drawn apart from its items only, not from its reviews); a ``perf`` specific
    statement weighs :data:`PERF_SPECIFIC_WEIGHT`, as in :func:`perf_examples`."""
    import dev_pool3
    import eval_pool

    held_out = dev_pool3.v2_reviews()
    rows: list[tuple[str, str, str, str]] = []  # (prefix, source, ref, label)
    with (EVAL_DIR / "narrative_labels.csv").open(newline="", encoding="utf-8") as handle:
        rows += [("v1", row["source"], row["ref"], row["label"]) for row in csv.DictReader(handle)]
    if DEV3_LABELS.exists():
        with DEV3_LABELS.open(newline="", encoding="utf-8") as handle:
            rows += [("dev3", row["source"], row["ref"], row["label"]) for row in csv.DictReader(handle)]
    examples = []
    for prefix, source, ref, label in rows:
        if label not in LABELS:
            continue
        if source == "perf" and ref.split("#")[0] in held_out:
            continue
        text = eval_pool.resolve(source, ref) if prefix == "v1" else dev_pool3.resolve(source, ref)
        weight = PERF_SPECIFIC_WEIGHT if source == "perf" and label == "specific" else 1.0
        examples.append(Example(text, label, f"{prefix}_{source}", _group(source, ref), weight))
    return examples


def load_examples(*, development: bool = True) -> list[Example]:
    examples = perf_examples() + own_examples() + review_examples() + fixture_examples() + cr_examples(600)
    if development:
        examples += development_examples()
    markers = concrete_markers([example.text for example in examples])[:, :-1].sum(axis=1) > 0
    examples = [
        replace(example, weight=example.weight * CONCRETE_WEAK_WEIGHT)
        if example.source in REVIEW_SOURCES and example.label != "specific" and marked else example
        for example, marked in zip(examples, markers, strict=True)
    ]
    forbidden = {text.lower().rstrip(".") for text in NEVER_TRAIN_ON}
    clash = [example.text for example in examples if example.text.lower().rstrip(". ") in forbidden]
    if clash:
        raise SystemExit(f"test statements found in the training data: {clash}")
    return examples


def flag_probability(probabilities: np.ndarray) -> np.ndarray:
    return probabilities[:, LABELS.index("vague")] + probabilities[:, LABELS.index("character")]


def design_matrix(texts: list[str]) -> sparse.csr_matrix:
    """``[embedding | token indicator / sqrt(distinct tokens) | has digit | markers]``, as the runtime computes it."""
    embeddings, token_sets, digits, markers = feature_blocks(texts)
    size = static_vocabulary().size
    rows = np.repeat(np.arange(len(texts)), [len(tokens) for tokens in token_sets])
    columns = np.concatenate(token_sets) if token_sets else np.zeros(0, dtype=np.int64)
    values = np.concatenate([np.full(len(tokens), 1 / np.sqrt(len(tokens))) for tokens in token_sets if len(tokens)])
    indicator = sparse.csr_matrix((values, (rows, columns)), shape=(len(texts), size))
    return sparse.hstack(
        [
            sparse.csr_matrix(embeddings.astype(np.float64)),
            indicator,
            sparse.csr_matrix(digits[:, None]),
            sparse.csr_matrix(markers),
        ]
    ).tocsr()


def fit(features: sparse.csr_matrix, labels: np.ndarray, weights: np.ndarray, c: float) -> LogisticRegression:
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    model.fit(features, labels, sample_weight=weights)
    return model


def out_of_fold(
    features: sparse.csr_matrix, labels: np.ndarray, weights: np.ndarray, groups: np.ndarray, c: float
) -> np.ndarray:
    probabilities = np.zeros((len(labels), len(LABELS)))
    for train, test in GroupKFold(n_splits=5).split(features, labels, groups):
        model = fit(features[train], labels[train], weights[train], c)
        order = [list(model.classes_).index(label) for label in LABELS]
        probabilities[test] = model.predict_proba(features[test])[:, order]
    return probabilities


def rates(flag_p: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float | None]:
    flagged = flag_p >= threshold
    weak = labels != "specific"
    return {
        "recall_vague_character": round(float(flagged[weak].mean()), 3) if weak.any() else None,
        "specific_flagged": round(float(flagged[~weak].mean()), 3) if (~weak).any() else None,
        "n_weak": int(weak.sum()),
        "n_specific": int((~weak).sum()),
    }


def choose_threshold(flag_p: np.ndarray, labels: np.ndarray, sources: np.ndarray) -> tuple[float, float]:
    """The highest threshold that keeps ``perf`` recall at :data:`MIN_PERF_RECALL` and, since session 11, recall on
    the two-labeller development statements of other writers (:data:`INDEPENDENT_SOURCES`) at
    :data:`MIN_DEVELOPMENT_RECALL` (see the module docstring).

    If that threshold flags more than :data:`MAX_REVIEW_COMMENTS_FLAGGED` of the code-review sentences (``cr``) out of
    fold, it is raised until it does not: review comments are feedback too, and the checks must rarely call them vague.

    Returns ``(threshold, share of perf specific statements flagged)``.
    """
    perf = sources == "perf"
    development = np.isin(sources, INDEPENDENT_SOURCES)
    chosen = (0.30, 1.0)
    for threshold in np.round(np.arange(0.30, 0.96, 0.01), 2):
        on_perf = rates(flag_p[perf], labels[perf], threshold)
        on_development = rates(flag_p[development], labels[development], threshold)
        if (on_perf["recall_vague_character"] or 0.0) >= MIN_PERF_RECALL and (
            on_development["recall_vague_character"] is None
            or on_development["recall_vague_character"] >= MIN_DEVELOPMENT_RECALL
        ):
            chosen = (float(threshold), on_perf["specific_flagged"] or 0.0)
    review_comments = sources == "cr"
    if review_comments.any():
        for threshold in np.round(np.arange(chosen[0], 0.96, 0.01), 2):
            if (rates(flag_p[review_comments], labels[review_comments], threshold)["specific_flagged"] or 0.0) <= (
                MAX_REVIEW_COMMENTS_FLAGGED
            ):
                on_perf = rates(flag_p[perf], labels[perf], threshold)
                return float(threshold), on_perf["specific_flagged"] or 0.0
    return chosen


def model_payload(model: LogisticRegression, threshold: float, c: float) -> dict[str, object]:
    """The contents of ``model.json`` for a fitted model (what :func:`brightline.core.narrative.specificity.load_model`
    reads)."""
    order = [list(model.classes_).index(label) for label in LABELS]
    coefficients = model.coef_[order].T  # (features, 3)
    dim = 256
    size = static_vocabulary().size
    token_block = coefficients[dim : dim + size]
    used = np.flatnonzero(np.abs(token_block).sum(axis=1) > 0)
    return {
        "format": MODEL_FORMAT_VERSION,
        "labels": list(LABELS),
        "embedding": "minilm-static",
        "vocabulary_size": size,
        "threshold": threshold,
        "regularisation_C": c,
        "embedding_weights": [[round(float(v), 6) for v in row] for row in coefficients[:dim]],
        "token_ids": used.tolist(),
        "token_weights": [[round(float(v), 6) for v in token_block[index]] for index in used],
        "digit_weights": [round(float(v), 6) for v in coefficients[dim + size]],
        "marker_weights": [[round(float(v), 6) for v in row] for row in coefficients[dim + size + 1 :]],
        "intercepts": [round(float(model.intercept_[index]), 6) for index in order],
        "trained": date.today().isoformat(),
    }


def main() -> int:
    examples = load_examples()
    texts = [example.text for example in examples]
    labels = np.array([example.label for example in examples])
    weights = np.array([example.weight for example in examples])
    groups = np.array([example.group for example in examples])
    sources = np.array([example.source for example in examples])
    features = design_matrix(texts)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for (source, label), count in Counter(zip(sources.tolist(), labels.tolist(), strict=True)).items():
        counts[source][label] = count
    print("training statements:", dict(counts))

    results = {}
    for c in C_GRID:
        probabilities = out_of_fold(features, labels, weights, groups, c)
        threshold, perf_specific_flagged = choose_threshold(flag_probability(probabilities), labels, sources)
        results[c] = (perf_specific_flagged, threshold, probabilities)
        print(f"C={c}: threshold {threshold:.2f}, perf specific statements flagged {perf_specific_flagged:.3f}")
    best_c = min(C_GRID, key=lambda c: (results[c][0], c))
    _, threshold, probabilities = results[best_c]
    flag_p = flag_probability(probabilities)
    per_source = {
        str(source): rates(flag_p[sources == source], labels[sources == source], threshold)
        for source in sorted(set(sources.tolist()))
    }
    overall = rates(flag_p, labels, threshold)
    predicted = np.array(LABELS)[probabilities.argmax(axis=1)]
    accuracy = float((predicted == labels).mean())
    print(f"chosen C={best_c}, threshold {threshold:.2f}: {overall}; three-class accuracy {accuracy:.3f}")
    for source, values in per_source.items():
        print(f"  {source}: {values}")

    payload = model_payload(fit(features, labels, weights, best_c), threshold, best_c)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "model.json").write_text(json.dumps(payload) + "\n", encoding="utf-8")
    metrics = {
        "regularisation_C": best_c,
        "threshold": threshold,
        "cross_validation": {"overall": overall, "per_source": per_source, "three_class_accuracy": round(accuracy, 3)},
        "training_statements": counts,
    }
    (OUT_DIR / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT_DIR / 'model.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
