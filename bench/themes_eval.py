"""Measure the theme matcher, and (``--all``) every AI signal the transparency report shows.

Run from the repository root: ``.venv/bin/python bench/themes_eval.py [--markdown] [--all]``.

Themes are scored on two sets:

* ``independent``: ``tools/nlp/eval/themes_labels.csv``, 260 crowd-written review sentences labelled
  by two people who never saw the taxonomy's seed phrases or the matcher, labels fixed before any
  tuning (texts read back from ``../shared/data`` by ``tools/nlp/eval_pool.py``). Nothing is tuned
  on it and this script prints no item-level output for it: only totals and per-theme counts.
* ``team test rows``: the test rows (``sha256(id) mod 3 == 0``) of ``tests/fixtures/themes_labelled.csv``,
  written by the team.

``--set independent_v2`` scores the second, larger independent set (``tools/nlp/eval/themes_v2_labels.csv``, 300
crowd-written review sentences drawn by ``tools/nlp/eval_pool_v2.py`` on 2026-12-07, 200 at random and 100 because
they use a topic word, labelled the same way before anything was scored on it), and its random draw alone. The first
set has been seen by many candidates; the second is the held-out figure. Micro precision and recall carry 95 % Wilson
intervals; ``--record`` stores the second set's figures under ``independent_v2`` (``independent_v2_contextual``).

``--all`` first re-measures the contradiction check on cases composed from the team's held-out test
rows (``data/accuracy/contradiction.json``), then prints every signal's figures exactly as the
transparency report shows them (read from the same metrics files), so one command prints them all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

from brightline.core.insights import evaluation  # noqa: E402
from brightline.core.insights.themes import (  # noqa: E402
    CONTEXTUAL_CLASSIFIER_PATH,
    DEFAULT_CLASSIFIER_PATH,
    build_theme_index,
    load_taxonomy,
    runtime_theme_index,
)
from brightline.core.insights.transparency import SIGNAL_ACCURACY_DIR, THEME_METRICS_PATH  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "themes_labelled.csv"


def independent_sentences() -> list[evaluation.LabelledSentence] | None:
    """The independent themes set, or ``None`` when the shared data folder is absent."""
    try:
        import eval_pool  # type: ignore[import-not-found]

        rows = eval_pool.load_labelled("themes")
    except (FileNotFoundError, KeyError):
        return None
    return [evaluation.LabelledSentence(item_id, text, frozenset(t for t in label.split(";") if t and t != "none"))
            for item_id, text, label, _source in rows]


def independent_v2_sentences(*, random_only: bool = False) -> list[evaluation.LabelledSentence] | None:
    """The second independent themes set (``random_only``: its random draw), or ``None`` without its texts."""
    try:
        import eval_pool_v2  # type: ignore[import-not-found]

        picked = {row["item_id"]: row["picked"] for row in eval_pool_v2.load_pool("themes_v2")}
        rows = eval_pool_v2.load_labelled("themes_v2")
    except (FileNotFoundError, KeyError, OSError):
        return None
    return [evaluation.LabelledSentence(item_id, text, frozenset(t for t in label.split(";") if t and t != "none"))
            for item_id, text, label, _source in rows if not random_only or picked[item_id] == "perf-random"]


def independent_v3_sentences(*, source: str | None = None) -> list[evaluation.LabelledSentence] | None:
    """The third independent themes set (``source``: only its items from that source), or ``None`` without its
    texts (the shared data folder and the clone of the pull-request discussions)."""
    try:
        import eval_pool_v3_themes  # type: ignore[import-not-found]

        if eval_pool_v3_themes.available():
            return None
        rows = eval_pool_v3_themes.load_labelled()
    except (FileNotFoundError, KeyError, OSError):
        return None
    return [evaluation.LabelledSentence(item_id, text, frozenset(t for t in label.split(";") if t and t != "none"))
            for item_id, text, label, origin in rows if source is None or origin == source]


def micro_intervals(result: dict[str, Any]) -> dict[str, Any]:
    """95 % Wilson intervals of the micro precision and recall, from the per-theme counts."""
    import eval_pool_v2  # type: ignore[import-not-found]

    rows = result["per_theme"]
    true_positive = sum(round((row["recall"] or 0) * row["support"]) for row in rows)
    predicted, support = sum(row["predicted"] for row in rows), sum(row["support"] for row in rows)
    return {"micro_precision_wilson_95": eval_pool_v2.wilson(true_positive, predicted),
            "micro_recall_wilson_95": eval_pool_v2.wilson(true_positive, support)}


SENTENCE_SETS = {
    "independent": independent_sentences,
    "independent_v2": independent_v2_sentences,
    "independent_v2_random": lambda: independent_v2_sentences(random_only=True),
    "independent_v3": independent_v3_sentences,
    "independent_v3_perf": lambda: independent_v3_sentences(source="perf"),
    "independent_v3_comments": lambda: [*(independent_v3_sentences(source="heated") or []),
                                        *(independent_v3_sentences(source="prcomment") or [])] or None,
}


def team_test_sentences() -> list[evaluation.LabelledSentence]:
    rows = evaluation.read_labelled_sentences(FIXTURE)
    return [row for row in rows if evaluation.labelled_split(row.id) == "test"]


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _ci(result: dict[str, Any], key: str) -> str:
    low_high = result.get(key)
    return "" if not low_high else f" [95% CI {low_high[0]:.2f}–{low_high[1]:.2f}]"


def print_theme_table(name: str, result: dict[str, Any], *, markdown: bool) -> None:
    none_rows = result.get("none_sentences")
    print(f"{name}: {result['sentences']} sentences" + (f" ({none_rows} about no theme)" if none_rows is not None
                                                         else ""))
    if markdown:
        print()
        print("| theme | precision | recall | F1 | support | predicted |")
        print("| --- | --- | --- | --- | --- | --- |")
        print(f"| **all themes (micro)** | **{_fmt(result['micro_precision'])}**"
              f"{_ci(result, 'micro_precision_wilson_95')} | **{_fmt(result['micro_recall'])}**"
              f"{_ci(result, 'micro_recall_wilson_95')} "
              f"| **{_fmt(result['micro_f1'])}** | {sum(r['support'] for r in result['per_theme'])} "
              f"| {sum(r['predicted'] for r in result['per_theme'])} |")
        for row in result["per_theme"]:
            if row["support"] or row["predicted"]:
                print(f"| {row['theme']} | {_fmt(row['precision'])} | {_fmt(row['recall'])} | {_fmt(row.get('f1'))} "
                      f"| {row['support']} | {row['predicted']} |")
        print()
    else:
        print(f"  micro precision {_fmt(result['micro_precision'])}{_ci(result, 'micro_precision_wilson_95')}  "
              f"recall {_fmt(result['micro_recall'])}{_ci(result, 'micro_recall_wilson_95')}  "
              f"F1 {_fmt(result['micro_f1'])}")
        for row in result["per_theme"]:
            if row["support"] or row["predicted"]:
                print(f"  {row['theme']:<16} P {_fmt(row['precision'])}  R {_fmt(row['recall'])}  "
                      f"support {row['support']:>3}  predicted {row['predicted']:>3}")


def theme_results(sets: Sequence[str], *, static: bool = False) -> dict[str, dict[str, Any]]:
    """The product's matcher on ``sets``: the contextual classifier when the contextual model is installed
    (``runtime_theme_index``), else, or with ``static``, the static one."""
    index = build_theme_index(load_taxonomy(), embedder=embed) if static else runtime_theme_index(load_taxonomy())
    results: dict[str, dict[str, Any]] = {}
    for name in sets:
        sentences = SENTENCE_SETS[name]() if name in SENTENCE_SETS else team_test_sentences()
        if sentences is None:
            continue
        scored = evaluation.evaluate_themes(sentences, index, embedder=index.embed_sentences, split=name).to_json()
        scored["classifier"] = ("static features + MiniLM tuned for the themes" if index.contextual
                                else "static embedding")
        scored["none_sentences"] = sum(1 for s in sentences if not s.themes)
        scored.update(micro_intervals(scored))
        results[name] = scored
    return results


CONTRADICTION_CASES = 300


def measure_contradictions(*, seed: int = 0, cases: int = CONTRADICTION_CASES,
                           rows: Sequence[evaluation.LabelledSentence] | None = None, index: Any = None,
                           threshold: float | None = None) -> dict[str, Any]:
    """The contradiction check end to end on composed cases: each case is one person with strong delivery
    evidence and 3-5 growth-prompt comments, each a held-out team sentence by its own writer (two writers
    may share one in a fifth of the cases). The expected contradictions apply the same rule to the sentences'
    labels; the check applies it to the classifier's themes. ``rows``, ``index`` and ``threshold`` replace the
    team's held-out sentences, the static matcher and its threshold (development studies:
    ``tools/nlp/contradictions_dev.py``)."""
    from datetime import UTC, date, datetime, timedelta

    import numpy as np

    from brightline.core.insights.evidence_checks import EvidenceRef, delivery_concern_contradictions
    from brightline.core.insights.signals import Comment, ItemRef, Subject
    from brightline.core.insights.themes import assign_themes

    index = build_theme_index(load_taxonomy(), embedder=embed) if index is None else index
    rows = team_test_sentences() if rows is None else rows
    ids = [theme.id for theme in index.taxonomy.themes]
    rng = np.random.default_rng(seed)
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    evidence = [EvidenceRef(ItemRef("evidence_item", str(i)), "merged_change", date(2026, 3, 1) + timedelta(days=i))
                for i in range(6)]
    true_positive = predicted_total = expected_total = false_alarm_cases = negative_cases = 0
    for case in range(cases):
        theme = ids[int(rng.integers(len(ids)))]
        about = [row for row in rows if theme in row.themes]
        others = [row for row in rows if theme not in row.themes]
        wanted = 3 if case % 2 == 0 else 2  # half the cases have the theme from 3 writers, half from 2
        picked = [about[i] for i in rng.choice(len(about), size=min(wanted, len(about)), replace=False)]
        picked += [others[i] for i in rng.choice(len(others), size=int(rng.integers(1, 3)), replace=False)]
        writers = [f"w{i}" for i in range(len(picked))]
        if rng.random() < 0.2:
            writers[-1] = writers[0]
        comments = [Comment(id=f"{case}-{i}", author_id=writer, subject_id="1", text=row.text, prompt="growth",
                            written_at=datetime(2026, 3, 1, tzinfo=UTC), source=ItemRef("feedback_response", f"{i}"))
                    for i, (row, writer) in enumerate(zip(picked, writers, strict=True))]
        expected = {t for t in ids if len({w for row, w in zip(picked, writers, strict=True) if t in row.themes}) >= 3}
        found = {signal.detail["theme"] for signal in delivery_concern_contradictions(
            Subject("person", "1"), comments, assign_themes(comments, index, embedder=embed, threshold=threshold),
            taxonomy=index.taxonomy,
            sentiments={}, evidence=evidence, window_start=start, window_end=end)}
        true_positive += len(found & expected)
        predicted_total += len(found)
        expected_total += len(expected)
        if not expected:
            negative_cases += 1
            false_alarm_cases += bool(found)
    built = ("composed: each case is one person with 6 delivery items and 3-5 growth-prompt comments drawn at random "
             "(seed 0) from the team's held-out theme sentences, written by the team with their labels before the "
             "classifier was trained; the expected contradictions apply the rule to those labels")
    name = f"{cases} composed cases from the team's held-out sentences"
    return {
        "kind": "contradiction",
        "command": "python bench/themes_eval.py --all",
        "figures": [
            {"dataset": name, "built": built, "metric": "precision", "n": predicted_total,
             "value": round(true_positive / predicted_total, 4) if predicted_total else None},
            {"dataset": name, "built": built, "metric": "recall", "n": expected_total,
             "value": round(true_positive / expected_total, 4) if expected_total else None},
            {"dataset": name, "built": built, "metric": "false-alarm rate (cases without one)", "n": negative_cases,
             "value": round(false_alarm_cases / negative_cases, 4) if negative_cases else None},
        ],
        "note": ("The rule is exact given the themes; these figures measure it with the theme classifier's mistakes, "
                 "on sentences by the team (the crowd-written independent set has too few concerns per theme to "
                 "compose cases). Expect lower figures on other teams' language, as the theme figures show."),
    }


#: How the contradiction figures on real reviews are named in the report's slot.
CONTRADICTIONS_V2_DATASET = "people in crowd-written reviews, several writers each, labelled independently"


def measure_contradictions_v2(*, static: bool = False) -> dict[str, Any] | None:
    """The contradiction check end to end on real reviews: each case is one (fictional) person of the crowd-written
    reviews with 3-6 reviews, each by its own writer, and 6 delivery items; the comments go through the product's
    analysis (themes and sentiment) as the feedback of a review would. Expected: the topics that at least three
    writers raise as a concern in some sentence, from two independent labellers' settled labels
    (``tools/nlp/eval/contradictions_v2_labels.csv``). Two ways of writing: each writer's review as one comment, and
    each sentence as its own comment. ``None`` without the labels or the texts."""
    from collections import defaultdict
    from datetime import UTC, date, datetime, timedelta

    from brightline.core.insights.evidence_checks import (
        MIN_CONCERN_AUTHORS,
        EvidenceRef,
        delivery_concern_contradictions,
    )
    from brightline.core.insights.pipeline import analyse_comments
    from brightline.core.insights.signals import Comment, ItemRef, Subject

    try:
        import eval_pool_v2  # type: ignore[import-not-found]

        with (eval_pool_v2.EVAL_DIR / "contradictions_v2_labels.csv").open(encoding="utf-8", newline="") as handle:
            import csv

            rows = list(csv.DictReader(handle))
        texts = {row["item_id"]: eval_pool_v2.resolve(row["source"], row["ref"]) for row in rows}
    except (FileNotFoundError, KeyError, OSError):
        return None
    people: dict[str, dict[str, list[tuple[int, str, frozenset[str]]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        review, sentence = row["ref"].split("#")
        concerns = frozenset(t for t in row["label"].split(";") if t and t != "none")
        people[row["picked"]][review].append((int(sentence), texts[row["item_id"]], concerns))
    index = build_theme_index(load_taxonomy(), embedder=embed) if static else runtime_theme_index(load_taxonomy())
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    written = datetime(2026, 3, 1, tzinfo=UTC)
    evidence = [EvidenceRef(ItemRef("evidence_item", str(i)), "merged_change", date(2026, 3, 1) + timedelta(days=i))
                for i in range(6)]
    expected = {person: {theme for theme in eval_pool_v2.THEMES
                         if sum(any(theme in concerns for _, _, concerns in sentences)
                                for sentences in reviews.values()) >= MIN_CONCERN_AUTHORS}
                for person, reviews in people.items()}
    built = (f"{len(people)} people of a public data set of crowd-written performance reviews (a name shared by 3-6 "
             f"reviews, each written by a different person; {len(rows)} sentences, none from a review any model "
             "learned from), each with 6 delivery items. Two labellers who never saw the check or the theme "
             "matcher marked, sentence by sentence, which topics it raises as a concern; the expected contradictions "
             "are the topics at least three writers of one person raise. Labels fixed before the check was run")
    figures: list[dict[str, Any]] = []
    for way in ("review", "sentence"):
        comments: dict[str, list[Comment]] = {}
        for person, reviews in people.items():
            comments[person] = []
            for review, sentences in sorted(reviews.items()):
                ordered = sorted(sentences)
                parts = [" ".join(text for _, text, _ in ordered)] if way == "review" else [t for _, t, _ in ordered]
                comments[person] += [Comment(id=f"{person}/{review}/{i}", author_id=review, subject_id=person,
                                             text=text, written_at=written) for i, text in enumerate(parts)]
        every = [comment for person in people for comment in comments[person]]
        analyses = {c.id: a for c, a in zip(every, analyse_comments(every, index=index)[0], strict=True)}
        true_positive = predicted = wanted = false_alarm = negatives = 0
        for person in people:
            found = {signal.detail["theme"] for signal in delivery_concern_contradictions(
                Subject("person", person), comments[person], [analyses[c.id].themes for c in comments[person]],
                taxonomy=index.taxonomy, sentiments={c.id: analyses[c.id].sentiment.label for c in comments[person]},
                evidence=evidence, window_start=start, window_end=end)}
            true_positive += len(found & expected[person])
            predicted += len(found)
            wanted += len(expected[person])
            if not expected[person]:
                negatives += 1
                false_alarm += bool(found)
        name = f"{CONTRADICTIONS_V2_DATASET}, each writer's " + ("review as one comment" if way == "review"
                                                                 else "sentences as separate comments")
        for metric, part, whole in (("precision", true_positive, predicted), ("recall", true_positive, wanted),
                                    ("false-alarm rate (people without one)", false_alarm, negatives)):
            figures.append({"dataset": name, "built": built, "metric": metric, "n": whole,
                            "value": round(part / whole, 4) if whole else None,
                            "wilson_95": eval_pool_v2.wilson(part, whole)})
    return {"figures": figures, "people": len(people), "sentences": len(rows),
            "people_with_expected": sum(bool(themes) for themes in expected.values()),
            "expected_contradictions": sum(len(themes) for themes in expected.values()),
            "classifier": "static features + MiniLM tuned for the themes" if index.contextual else "static embedding"}


def merge_contradiction_slot(composed: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The contradiction slot: the composed cases' figures, then the real reviews' kept from ``previous``."""
    kept = [figure for figure in (previous or {}).get("figures", ())
            if str(figure.get("dataset", "")).startswith(CONTRADICTIONS_V2_DATASET)]
    note = str(composed.get("note", "")).split(REAL_REVIEWS_NOTE)[0].strip()
    alarms = next((f for f in kept if f["metric"].startswith("false-alarm")), None)
    recall = next((f for f in kept if f["metric"] == "recall"), None)
    if alarms and recall and alarms.get("value") is not None:
        note += (f" {REAL_REVIEWS_NOTE} false alarms on {round(alarms['value'] * alarms['n'])} of {alarms['n']} people "
                 f"without a contradiction; their labels expect {recall['n']} contradiction"
                 f"{'' if recall['n'] == 1 else 's'} in all, so the recall there rests on "
                 f"{recall['n']} case{'' if recall['n'] == 1 else 's'} and a precision needs a flag to count.")
    return {**composed, "figures": [*composed["figures"], *kept], "note": note}


REAL_REVIEWS_NOTE = "On independently labelled real reviews:"


CLAIM_LABELS = ROOT / "tools" / "nlp" / "claims_eval_labels.csv"


def measure_claim_check() -> dict[str, Any] | None:
    """The unsupported-number check on change-log entries of psf/black paired with the commit they cite.

    Claim = the entry (``tools/nlp/eval_pool.py`` reads it from the local clone), evidence = the full
    message of the commit whose subject names the entry's pull request. Labels (does the evidence back
    every number the claim states?) were fixed before the check was run on them. ``None`` without the clone.
    """
    import csv
    import subprocess
    from datetime import date

    import eval_pool  # type: ignore[import-not-found]

    from brightline.core.insights.evidence_checks import Claim, EvidenceRef, unsupported_numbers
    from brightline.core.insights.signals import ItemRef

    repo = eval_pool.MIRROR_DIR / "psf+black" / "repo"
    if not repo.is_dir():
        return None
    with CLAIM_LABELS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    flagged_right = flagged = unsupported = 0
    for row in rows:
        text = eval_pool.resolve("changelog", row["claim_ref"])
        message = subprocess.run(["git", "-C", str(repo), "show", "-s", "--format=%B", row["evidence_commit"]],
                                 capture_output=True, text=True, check=True).stdout
        claim = Claim(ItemRef("accomplishment", row["item_id"]), "", text,
                      cited=(EvidenceRef(ItemRef("evidence_item", row["item_id"]), "merged_change", date(2026, 1, 1),
                                         message),))
        is_flagged = bool(unsupported_numbers(claim))
        is_unsupported = row["label"] == "unsupported"
        flagged += is_flagged
        unsupported += is_unsupported
        flagged_right += is_flagged and is_unsupported
    name = f"{len(rows)} change-log entries of an open-source project, each with the commit it cites"
    built = ("entries of psf/black's change log (MIT) that contain a digit, drawn by a hash of their reference, "
             "none from the narrative evaluation pool; each paired with the commit whose subject names the entry's "
             "pull request (some entries name another, so the commit does not back them). Labelled by the "
             "engineer who built this measurement, before running the check: does the commit message back every "
             "number the entry states? Version numbers count; numbers inside names (py3, blib2to3) and code "
             "examples do not")
    return {
        "kind": "unsupported_claim",
        "command": "python bench/themes_eval.py --all",
        "figures": [
            {"dataset": name, "built": built, "metric": "precision", "n": flagged,
             "value": round(flagged_right / flagged, 4) if flagged else None},
            {"dataset": name, "built": built, "metric": "recall", "n": unsupported,
             "value": round(flagged_right / unsupported, 4) if unsupported else None},
        ],
        "note": ("The rule is exact on numbers as written; its errors come from what counts as a number: names "
                 "with digits, code examples and links are checked like results, and 'py38' does not match "
                 "'3.8'. Measured on change logs, not on accomplishments; one labeller."),
    }


def print_all(markdown: bool) -> None:
    from brightline.core.insights import transparency
    from brightline.core.insights.pipeline import NLP_MODELS_PATH, model_versions
    from brightline.core.narrative.specificity import MODEL_PATH as NARRATIVE_MODEL_PATH

    report = transparency.build_transparency_report(
        sentiment_metrics=transparency.load_model_metrics(NLP_MODELS_PATH / "sentiment" / "metrics.json"),
        theme_metrics=transparency.load_model_metrics(THEME_METRICS_PATH), versions=model_versions(), reviews={},
        window_days=182, signal_accuracy=transparency.load_signal_accuracy(),
        tone_metrics=transparency.load_model_metrics(NLP_MODELS_PATH / "tone" / "metrics.json"),
        tone_evaluation=transparency.load_model_metrics(NLP_MODELS_PATH / "tone" / "eval_metrics.json"),
        narrative_metrics=transparency.load_model_metrics(NARRATIVE_MODEL_PATH / "metrics.json"),
        narrative_evaluation=transparency.load_model_metrics(NARRATIVE_MODEL_PATH / "independent_eval.json"))
    print()
    print("## Every signal, as the transparency report shows it" if markdown else "Every signal:")
    for entry in report:
        print()
        print(f"### {entry.title}" if markdown else f"{entry.title}")
        if not entry.accuracy:
            print(entry.accuracy_note)
            continue
        if markdown:
            print()
            print("| measured on | measure | value | n |")
            print("| --- | --- | --- | --- |")
        for figure in entry.accuracy:
            value = "n/a" if figure.value is None else f"{figure.value:.3f}"
            print(f"| {figure.dataset} | {figure.metric} | {value} | {figure.n} |" if markdown
                  else f"  {figure.dataset} | {figure.metric}: {value} (n={figure.n})")
        for line in entry.sets_built:
            print(f"{'- ' if markdown else '  built: '}{line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--set", choices=("independent", "team", "both", "independent_v2", "independent_v3"),
                        default="both", help="independent_v2: the second set (and its random draw alone); "
                                             "independent_v3: the third, held-out set (and its review sentences "
                                             "and review comments apart)")
    parser.add_argument("--static", action="store_true",
                        help="score the static classifier even when the contextual model is installed")
    parser.add_argument("--json", type=Path, help="also write the theme figures to this file")
    parser.add_argument("--all", action="store_true",
                        help="re-measure the contradiction check and print every signal's figures (the team test "
                             "rows only: the independent set is not re-scored)")
    parser.add_argument("--contradictions-v2", action="store_true",
                        help="score the contradiction check on the independently labelled real reviews")
    parser.add_argument("--record", action="store_true",
                        help="record the independent set's figures in the shipped themes_metrics.json (once per change "
                             "of the matcher: the previous figures become 'before')")
    args = parser.parse_args(argv)
    slot_path = SIGNAL_ACCURACY_DIR / "contradiction.json"
    previous = json.loads(slot_path.read_text(encoding="utf-8")) if slot_path.is_file() else None
    if args.contradictions_v2:
        measured = measure_contradictions_v2(static=args.static)
        if measured is None:
            print("contradictions on real reviews: skipped (no labels or no shared data)")
            return 1
        print(f"contradiction check on {measured['people']} people ({measured['sentences']} sentences; "
              f"{measured['people_with_expected']} people with {measured['expected_contradictions']} expected "
              f"contradictions), classifier: {measured['classifier']}")
        for figure in measured["figures"]:
            interval = figure["wilson_95"]
            print(f"  {figure['dataset'].split(', each ')[-1]} | {figure['metric']}: "
                  f"{_fmt(figure['value'])} of {figure['n']}" + (f" [95% CI {interval[0]:.2f}–{interval[1]:.2f}]"
                                                                 if interval else ""))
        if args.record:
            composed = {key: value for key, value in (previous or {}).items()}
            composed["figures"] = [figure for figure in composed.get("figures", ())
                                   if not str(figure.get("dataset", "")).startswith(CONTRADICTIONS_V2_DATASET)]
            document = merge_contradiction_slot(composed, {"figures": [
                {key: value for key, value in figure.items() if key != "wilson_95"} for figure in measured["figures"]
                if figure["n"]]})  # a precision with nothing flagged is no figure
            slot_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            print("recorded the figures in the report's contradiction slot")
        return 0
    if args.all:
        document = merge_contradiction_slot(measure_contradictions(), previous)
        SIGNAL_ACCURACY_DIR.mkdir(exist_ok=True)
        slot_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        claims = measure_claim_check()
        if claims is None:
            print("claim check: skipped (no local clone of psf/black)")
        else:
            (SIGNAL_ACCURACY_DIR / "unsupported_claim.json").write_text(json.dumps(claims, indent=2) + "\n",
                                                                        encoding="utf-8")
        print_theme_table("Team test rows (tests/fixtures/themes_labelled.csv, sha256(id) mod 3 == 0)",
                          theme_results(("team",))["team"], markdown=args.markdown)
        print_all(args.markdown)
        return 0
    sets = {"both": ("independent", "team"), "independent_v2": ("independent_v2", "independent_v2_random"),
            "independent_v3": ("independent_v3", "independent_v3_perf", "independent_v3_comments")}.get(
        args.set, (args.set,))
    results = theme_results(sets, static=args.static)
    if "independent" in sets and "independent" not in results:
        print("independent set: skipped (../shared/data is absent)")
    if args.set == "independent_v2" and "independent_v2" not in results:
        print("second independent set: skipped (its labels or ../shared/data are absent)")
    if args.set == "independent_v3" and "independent_v3" not in results:
        print("third independent set: skipped (../shared/data or the clone of the pull-request discussions is absent)")
    titles = {"independent": "Independent set (tools/nlp/eval/themes_labels.csv, crowd-written review sentences)",
              "independent_v2": "Second independent set, held out (tools/nlp/eval/themes_v2_labels.csv)",
              "independent_v2_random": "Second independent set, its random draw only",
              "independent_v3": "Third independent set, held out (tools/nlp/eval/themes_v3_labels.csv)",
              "independent_v3_perf": "Third independent set, its review sentences only",
              "independent_v3_comments": "Third independent set, its pull-request comments only",
              "team": "Team test rows (tests/fixtures/themes_labelled.csv, sha256(id) mod 3 == 0)"}
    for name, result in results.items():
        print_theme_table(titles[name], result, markdown=args.markdown)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.record and "independent" in results:
        record_independent(results["independent"], results.get("team"))
    if args.record and "independent_v2" in results:
        record_independent(results["independent_v2"], None, version="v2", random_draw=results.get(
            "independent_v2_random"))
    return 0


def record_independent(result: dict[str, Any], team: dict[str, Any] | None = None, *, version: str = "v1",
                       random_draw: dict[str, Any] | None = None) -> None:
    """Store the independent set's figures (and, for the contextual classifier, the team test rows'); ``v2``: the
    second set's, with its random draw's under ``random_draw``."""
    metrics = json.loads(THEME_METRICS_PATH.read_text(encoding="utf-8"))
    # The contextual classifier's figures are kept beside the static one's: the report shows the one in use.
    contextual = str(result.get("classifier", "")).startswith("static features + MiniLM")
    block_key = "independent_contextual" if contextual else "independent"
    if version == "v2":
        block_key = block_key.replace("independent", "independent_v2")
        team = None
        if random_draw is not None:
            result = {**result, "random_draw": {key: value for key, value in random_draw.items() if key != "split"}}
    path = CONTEXTUAL_CLASSIFIER_PATH if contextual else DEFAULT_CLASSIFIER_PATH
    fingerprint = hashlib.sha256(path.read_bytes()).hexdigest()
    block = dict(metrics.get(block_key, {}))
    if block.get("classifier_sha256") != fingerprint and "after" in block:
        block["before"] = block["after"]
    result = {key: value for key, value in result.items() if key != "split"}
    block.update({"classifier_sha256": fingerprint, "after": result})
    if contextual and team is not None:
        # The static classifier's team figures ("test") come from core/insights/evaluation.py.
        block["test"] = {key: value for key, value in team.items() if key != "split"}
    metrics[block_key] = block
    THEME_METRICS_PATH.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"recorded the independent figures in {THEME_METRICS_PATH.name}")


if __name__ == "__main__":
    raise SystemExit(main())
