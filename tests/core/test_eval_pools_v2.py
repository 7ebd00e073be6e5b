"""The second independent evaluation pools stay apart from every other pool and from every model's training rows."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

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
        if pool.name.removesuffix("_pool.csv") not in V2_SETS:
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

    for name, items in module.build().items():
        committed = _rows(TOOLS / "eval" / f"{name}_pool.csv")
        rebuilt = [(item.item_id, item.source, item.ref, picked, module._key(item.text)[:16]) for item, picked in items]
        assert rebuilt == [(row["item_id"], row["source"], row["ref"], row["picked"], row["text_sha256"])
                           for row in committed]
        for item, _picked in items:
            assert module.resolve(item.source, item.ref) == item.text
            if item.source == "toxicr":
                assert toxicr_split(item.text) == "test"  # never a row the tone models train on
