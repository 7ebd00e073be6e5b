"""The third evaluation pools (v3) share no row and no text with any other pool, development pool or training file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.eval_pool_helpers import TOOLS, pool_texts
from tests.eval_pool_helpers import normalised as _normalised
from tests.eval_pool_helpers import rows as _rows
from tests.eval_pool_helpers import tool_module as _module

V3_SETS = ("tone_v3", "narrative_v3")


def _other_pools() -> list[Path]:
    pools = [pool for pool in (TOOLS / "eval").glob("*_pool.csv") if not pool.name.endswith("_v3_pool.csv")]
    return pools + sorted((TOOLS / "narrative_train").glob("dev3_*_pool.csv"))


def test_each_v3_pool_has_about_250_items_with_unique_ids_and_references() -> None:
    seen: set[tuple[str, str]] = set()
    for name in V3_SETS:
        rows = _rows(TOOLS / "eval" / f"{name}_pool.csv")
        assert 240 <= len(rows) <= 260
        assert len({row["item_id"] for row in rows}) == len(rows)
        references = {(row["source"], row["ref"]) for row in rows}
        assert len(references) == len(rows) and not references & seen
        seen |= references


def test_the_tone_draw_has_enough_likely_attacks_and_the_narrative_draw_both_sides() -> None:
    tone = [row["picked"] for row in _rows(TOOLS / "eval" / "tone_v3_pool.csv")]
    assert sum(picked in ("strudel-toxic-person", "heated-person-insult") for picked in tone) >= 70
    assert sum("critique" in picked for picked in tone) >= 40
    narrative = [row["picked"] for row in _rows(TOOLS / "eval" / "narrative_v3_pool.csv")]
    assert sum(picked.startswith("changelog") for picked in narrative) >= 100
    assert sum(picked in ("review-phrase", "pr-thread-judging", "issue-judging") for picked in narrative) >= 100


def test_no_v3_reference_is_in_another_pool_and_no_source_was_read_before() -> None:
    others: set[tuple[str, str]] = set()
    for pool in _other_pools():
        others |= {(row["source"], row["ref"]) for row in _rows(pool)}
    assert len(others) > 2000
    premo_rows_before = {ref.split("#")[0] for source, ref in others if source == "prcomment"}
    assert premo_rows_before
    for name in V3_SETS:
        rows = _rows(TOOLS / "eval" / f"{name}_pool.csv")
        assert not {(row["source"], row["ref"]) for row in rows} & others
        assert {row["source"] for row in rows} <= {"strudel", "heated", "changelog", "phrase", "prcomment"}
        assert not {row["ref"].split("#")[0] for row in rows if row["source"] == "prcomment"} & premo_rows_before
    # No change-log project of v3 is one another pool or a training file reads.
    v3 = _module("eval_pool_v3")
    projects = {row["ref"].split("@")[0] for row in _rows(TOOLS / "eval" / "narrative_v3_pool.csv")
                if row["source"] == "changelog"}
    assert projects == {name for name, *_ in v3.CHANGELOGS}
    earlier = {ref.split("@")[0] for source, ref in others if source in ("changelog", "commit")}
    earlier |= {row["ref"].split("@")[0] for row in _rows(TOOLS / "narrative_train" / "click_changelog_labels.csv")}
    assert "pallets/flask" in earlier and "psf/requests" in earlier
    assert not projects & earlier


def _texts_elsewhere() -> set[str]:
    """Every text another pool, development source or text-bearing training file reads, resolved row by row."""
    v1, v2 = _module("eval_pool"), _module("eval_pool_v2")
    texts = pool_texts(_other_pools())
    texts |= {_normalised(row["text"]) for row in _rows(v1.DATA_DIR / "toxicr_dev" / "toxicr_dev.csv")}
    texts |= {_normalised(item.text) for item, _kind in v2.incivility_rows()}
    for name in ("narrative_train/statements.csv", "narrative_train/review_statements.csv",
                 "dev_data/tone_synthetic.csv"):
        texts |= {_normalised(row["text"]) for row in _rows(TOOLS / name)}
    return texts


def test_the_v3_pools_rebuild_to_the_committed_rows_and_share_no_text_with_anything_else() -> None:
    module = _module("eval_pool_v3")
    reason = module.available()
    if reason:
        pytest.skip(f"the shared data folder or the clones the pools read are absent: {reason}")
    elsewhere = _texts_elsewhere()
    assert len(elsewhere) > 10000
    pools = module.build()
    for name in V3_SETS:
        committed = _rows(TOOLS / "eval" / f"{name}_pool.csv")
        rebuilt = [(item.item_id, item.source, item.ref, picked, module._key(item.text)[:16])
                   for item, picked in pools[name]]
        assert rebuilt == [(row["item_id"], row["source"], row["ref"], row["picked"], row["text_sha256"])
                           for row in committed]
        texts = [_normalised(item.text) for item, _ in pools[name]]
        assert len(set(texts)) == len(texts)
        assert not set(texts) & elsewhere
        for item, _picked in pools[name]:
            assert module.resolve(item.source, item.ref) == item.text
    both = [_normalised(item.text) for name in V3_SETS for item, _ in pools[name]]
    assert len(set(both)) == len(both)


def test_the_labels_command_reports_agreement_and_writes_the_settled_file(tmp_path: Path, capsys) -> None:
    module = _module("eval_pool_v3")
    pool = _rows(TOOLS / "eval" / "tone_v3_pool.csv")
    ids = [row["item_id"] for row in pool]
    folder = tmp_path / "tone"
    folder.mkdir()
    first = {item: ("attack" if index % 4 == 0 else "critique") for index, item in enumerate(ids)}
    second = dict(first)
    second[ids[0]], second[ids[1]] = "critique", "neutral"  # two disagreements
    for letter, labels, key in (("a", first, "id"), ("b", second, "item_id")):
        with (folder / f"labels_{letter}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([key, "label", "note"])
            writer.writerows([item, labels[item].upper() if letter == "b" else labels[item], ""] for item in ids)
    out = tmp_path / "out"
    out.mkdir()
    assert module.labels_command("tone", tmp_path, out) == 0
    printed = capsys.readouterr().out
    assert f'"same": {len(ids) - 2}' in printed and "2 items differ" in printed
    assert not (out / "tone_v3_labels.csv").exists()  # nothing is written before the disagreements are settled

    (folder / "labels_c.csv").write_text(f"id,label\n{ids[0]},attack\n", encoding="utf-8")
    with pytest.raises(SystemExit):  # one disagreement is still open
        module.labels_command("tone", tmp_path, out)
    (folder / "labels_c.csv").write_text(f"id,label\n{ids[0]},attack\n{ids[1]},critique\n", encoding="utf-8")
    assert module.labels_command("tone", tmp_path, out) == 0
    written = _rows(out / "tone_v3_labels.csv")
    assert [row["item_id"] for row in written] == ids
    assert (written[0]["label"], written[0]["label_1"], written[0]["label_2"]) == ("attack", "attack", "critique")
    assert (written[1]["label"], written[1]["label_2"]) == ("critique", "neutral")
    assert sum(row["label"] == "attack" for row in written) == sum(label == "attack" for label in first.values())


def test_cohen_kappa_of_the_agreement_summary() -> None:
    module = _module("eval_pool_v3")
    pairs = [("attack", "attack")] * 20 + [("critique", "critique")] * 20 + [("attack", "critique")] * 10
    result = module.agreement("tone", pairs)
    # observed 0.8; expected 0.6 * 0.4 + 0.4 * 0.6 = 0.48; kappa (0.8 - 0.48) / 0.52
    assert result["kappa"] == pytest.approx(0.615, abs=0.001)
    assert result["attack_vs_rest_kappa"] == result["kappa"]
    narrative = module.agreement("narrative", [("vague", "character"), ("specific", "specific"), ("other", "vague")])
    assert narrative["weak_vs_specific_kappa"] == 1.0  # vague and character are both weak; "other" pairs left out


def test_the_export_definition_is_the_guides_task_word_for_word() -> None:
    module = _module("eval_pool_v3")
    guide = (TOOLS / "eval" / "GUIDE.md").read_text(encoding="utf-8")
    for task, heading in (("tone", "## Task 1: tone"), ("narrative", "## Task 2: narrative")):
        text = module.definition(task)
        section = guide[guide.index(heading):]
        section = section[:section.index("\n## ", 1)].rstrip()
        assert section in text
        assert "attack" in text if task == "tone" else "specific" in text
        assert "strudel" not in text.lower() and "picked" not in text
