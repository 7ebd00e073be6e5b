"""The second independent evaluation pools stay apart from every other pool and from every model's training rows."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import sys
from pathlib import Path

import pytest

from brightline.core.insights.themes import CONTEXTUAL_CLASSIFIER_PATH, DEFAULT_CLASSIFIER_PATH

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "nlp"
V2_SETS = ("tone_v2", "narrative_v2", "themes_v2")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _pool_module():
    sys.path.insert(0, str(TOOLS))
    spec = importlib.util.spec_from_file_location("eval_pool_v2", TOOLS / "eval_pool_v2.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_v2_pool_is_about_three_hundred_items_with_unique_ids_and_references() -> None:
    seen: set[tuple[str, str]] = set()
    for name in V2_SETS:
        rows = _rows(TOOLS / "eval" / f"{name}_pool.csv")
        assert 290 <= len(rows) <= 330
        assert len({row["item_id"] for row in rows}) == len(rows)
        references = {(row["source"], row["ref"]) for row in rows}
        assert len(references) == len(rows) and not references & seen
        seen |= references


def test_no_v2_item_is_in_another_pool_and_no_v2_review_sentence_comes_from_a_training_review() -> None:
    others: set[tuple[str, str]] = set()
    for pool in (TOOLS / "eval").glob("*_pool.csv"):
        if pool.name.removesuffix("_pool.csv") not in (*V2_SETS, "contradictions_v2"):
            others |= {(row["source"], row["ref"]) for row in _rows(pool)}
    assert others
    training_reviews: set[str] = set()
    for name in ("narrative_train/perf_labels.csv", "narrative_train/perf_labels_more.csv"):
        training_reviews |= {row["ref"].split("#")[0] for row in _rows(TOOLS / name)}
    for name in ("themes_train_labels.csv", "dev_data/tone_perf_dev_labels.csv", "eval/tone_dev_pool.csv"):
        training_reviews |= {row["ref"].split("#")[0] for row in _rows(TOOLS / name) if row["source"] == "perf"}
    assert training_reviews
    for name in V2_SETS:
        rows = _rows(TOOLS / "eval" / f"{name}_pool.csv")
        assert not {(row["source"], row["ref"]) for row in rows} & others
        reviews = {row["ref"].split("#")[0] for row in rows if row["source"] == "perf"}
        assert not reviews & training_reviews
        assert {row["source"] for row in rows} <= {"toxicr", "perf", "incivility", "changelog"}


def test_the_v2_pools_draw_no_change_log_any_model_or_other_pool_reads() -> None:
    module = _pool_module()
    v2_projects = {name for name, *_ in module.CHANGELOGS}
    earlier = {name for name, *_ in __import__("eval_pool").CHANGELOGS} | {"pallets/click"}
    earlier |= {row["ref"].split("@")[0] for row in _rows(TOOLS / "eval" / "evidence_pool.csv")
                if row["source"] != "perf"}
    assert not v2_projects & earlier
    used = {row["ref"].split("@")[0] for row in _rows(TOOLS / "eval" / "narrative_v2_pool.csv")
            if row["source"] == "changelog"}
    assert used == v2_projects


def test_the_pools_rebuild_to_the_committed_references_and_text_hashes() -> None:
    module = _pool_module()
    if not (module.DATA_DIR / "toxicr_dev").is_dir() or not all(
        (module.MIRROR_DIR / folder / "repo").is_dir() for _, folder, *_ in module.CHANGELOGS
    ) or not (module.MIRROR_DIR / module.INCIVILITY[1] / "repo").is_dir():
        pytest.skip("the shared data folder or the clones the pools read are absent")
    from brightline.core.nlp.splits import toxicr_split

    for name, items in {**module.build(), "contradictions_v2": module.contradiction_cases()}.items():
        committed = _rows(TOOLS / "eval" / f"{name}_pool.csv")
        rebuilt = [(item.item_id, item.source, item.ref, picked, module._key(item.text)[:16]) for item, picked in items]
        assert rebuilt == [(row["item_id"], row["source"], row["ref"], row["picked"], row["text_sha256"])
                           for row in committed]
        for item, _picked in items:
            assert module.resolve(item.source, item.ref) == item.text
            if item.source == "toxicr":
                assert toxicr_split(item.text) == "test"  # never a row the tone models train on


def test_the_report_shows_the_second_theme_set_and_its_random_draw_after_the_first() -> None:
    from brightline.core.insights.transparency import build_transparency_report

    first = {"sentences": 260, "micro_precision": 0.68, "micro_recall": 0.6, "micro_f1": 0.64, "per_theme": []}
    second = {"sentences": 300, "micro_precision": 0.61, "micro_recall": 0.52, "micro_f1": 0.56, "per_theme": [],
              "random_draw": {"sentences": 200, "micro_precision": 0.55, "micro_recall": 0.5, "micro_f1": 0.52}}
    metrics = {key: {"after": first} for key in ("independent", "independent_contextual")}
    metrics |= {key: {"after": second} for key in ("independent_v2", "independent_v2_contextual")}
    report = {entry.kind: entry for entry in build_transparency_report(
        sentiment_metrics={}, theme_metrics=metrics, versions={}, reviews={}, window_days=30)}
    figures = [(figure.dataset, figure.metric, figure.value, figure.n) for figure in report["theme"].accuracy]
    assert figures[:3] == [("crowd-written performance-review sentences, labelled independently", metric, value, 260)
                           for metric, value in (("micro precision", 0.68), ("micro recall", 0.6), ("micro F1", 0.64))]
    assert ("second independently labelled set of review sentences, held out", "micro recall", 0.52, 300) in figures
    assert ("the same set, its 200 randomly drawn sentences", "micro precision", 0.55, 200) in figures
    assert [figure.value for figure in report["theme_summary"].accuracy] == [0.68, 0.6, 0.64]


def test_held_out_theme_figures_of_a_classifier_no_longer_shipped_are_not_shown() -> None:
    """After a retraining, the held-out set's figures recorded for the previous classifier (its fingerprint) leave the
    report until the set is scored again; the first set's stay with the fingerprint they were recorded with."""
    from brightline.core.insights.transparency import build_transparency_report

    second = {"sentences": 300, "micro_precision": 0.61, "micro_recall": 0.52, "micro_f1": 0.56, "per_theme": []}

    def held_out(sha: str) -> list[str]:
        metrics = {key: {"classifier_sha256": sha, "after": second}
                   for key in ("independent_v2", "independent_v2_contextual")}
        report = {entry.kind: entry for entry in build_transparency_report(
            sentiment_metrics={}, theme_metrics=metrics, versions={}, reviews={}, window_days=30)}
        return [figure.dataset for figure in report["theme"].accuracy if "held out" in figure.dataset]

    assert held_out("0" * 64) == []
    shipped = {hashlib.sha256(path.read_bytes()).hexdigest() for path in (DEFAULT_CLASSIFIER_PATH,
                                                                        CONTEXTUAL_CLASSIFIER_PATH)}
    assert any(held_out(sha) for sha in shipped)


def test_the_tone_evaluation_keeps_each_sets_figures_in_its_own_place() -> None:
    from tests.bench_scripts import load_bench

    store = load_bench("tone_eval").store_result
    stored = store({}, {"items": 270}, contextual=False)
    stored = store(stored, {"items": 315}, contextual=False, version="v2")
    stored = store(stored, {"items": 250}, contextual=False, version="v3")
    stored = store(stored, {"items": 270, "first_stage": "c"}, contextual=True)
    stored = store(stored, {"items": 315, "first_stage": "c"}, contextual=True, version="v2")
    stored = {**stored, "attack_reader": {"v3": {"items": 250, "first_stage": "r"}}}
    stored = store(stored, {"items": 271}, contextual=False)
    assert stored == {"items": 271, "v2": {"items": 315}, "v3": {"items": 250},
                      "attack_reader": {"v3": {"items": 250, "first_stage": "r"}},
                      "contextual_first_stage": {"items": 270, "first_stage": "c",
                                                 "v2": {"items": 315, "first_stage": "c"}}}


def test_each_person_of_the_contradiction_set_has_three_writers_none_a_training_review() -> None:
    rows = _rows(TOOLS / "eval" / "contradictions_v2_pool.csv")
    writers: dict[str, set[str]] = {}
    for row in rows:
        assert row["source"] == "perf"
        writers.setdefault(row["picked"], set()).add(row["ref"].split("#")[0])
    assert len(rows) >= 300 and len(writers) >= 30
    assert all(len(reviews) >= 3 for reviews in writers.values())
    every_review = [review for reviews in writers.values() for review in reviews]
    assert len(every_review) == len(set(every_review))  # a review (a writer) speaks about one person only
    with (TOOLS / "narrative_train" / "perf_labels.csv").open(encoding="utf-8", newline="") as handle:
        assert not {row["ref"].split("#")[0] for row in csv.DictReader(handle)} & set(every_review)


def test_the_contradiction_measure_on_real_reviews_counts_people_and_expected_topics(tmp_path: Path,
                                                                                     monkeypatch) -> None:
    module = _pool_module()
    if not (module.DATA_DIR / "perf_review_text").is_dir():
        pytest.skip("the shared data folder is absent")
    from tests.bench_scripts import load_bench

    bench = load_bench("themes_eval")
    import eval_pool_v2

    # Plumbing only: training sentences (never evaluation items) stand in for a labels file.
    reviews: dict[str, str] = {}
    for row in _rows(TOOLS / "themes_train_labels.csv"):
        reviews.setdefault(row["ref"].split("#")[0], row["ref"])
        if len(reviews) == 6:
            break
    refs = list(reviews.values())
    lines = ["item_id,source,ref,picked,label,label_1,label_2"]
    lines += [f"x{i},perf,{ref},person-a,delivery,delivery,delivery" for i, ref in enumerate(refs[:3])]
    lines += [f"y{i},perf,{ref},person-b,none,none,none" for i, ref in enumerate(refs[3:])]
    (tmp_path / "contradictions_v2_labels.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(eval_pool_v2, "EVAL_DIR", tmp_path)
    measured = bench.measure_contradictions_v2(static=True)
    assert (measured["people"], measured["sentences"], measured["people_with_expected"]) == (2, 6, 1)
    figures = {(figure["dataset"].split(", each ")[-1], figure["metric"]): figure for figure in measured["figures"]}
    assert len(figures) == 6
    for way in ("writer's review as one comment", "writer's sentences as separate comments"):
        assert figures[(way, "recall")]["n"] == 1
        assert figures[(way, "false-alarm rate (people without one)")]["n"] == 1
        assert figures[(way, "recall")]["value"] in (0.0, 1.0)
    composed = {"kind": "contradiction", "figures": [{"dataset": "300 composed cases", "metric": "precision"}]}
    merged = bench.merge_contradiction_slot(composed, {"figures": measured["figures"]})
    assert [figure["dataset"] for figure in merged["figures"]][0] == "300 composed cases"
    assert len(merged["figures"]) == 7 and merged["kind"] == "contradiction"
    alarms = figures[("writer's review as one comment", "false-alarm rate (people without one)")]
    assert f"false alarms on {round(alarms['value'])} of 1 people" in merged["note"]
    assert merged["note"].count("On independently labelled real reviews:") == 1
    assert bench.merge_contradiction_slot(merged, merged)["note"] == merged["note"]  # re-recording adds nothing
