"""The third themes set (themes_v3) shares no row and no text with any other pool, development pool or training file."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from tests.eval_pool_helpers import REPO, TOOLS, pool_texts
from tests.eval_pool_helpers import normalised as _normalised
from tests.eval_pool_helpers import rows as _rows
from tests.eval_pool_helpers import tool_module as _module

POOL = TOOLS / "eval" / "themes_v3_pool.csv"


def _row(ref: str) -> str:
    return ref.split("#")[0]


def _other_pools() -> list[Path]:
    pools = [pool for pool in (TOOLS / "eval").glob("*_pool.csv") if pool != POOL]
    return pools + sorted((TOOLS / "narrative_train").glob("dev3_*_pool.csv"))


def _training_and_development_files() -> list[Path]:
    """Every file with references that a model trains or is developed on (not the evaluation pools)."""
    files = [TOOLS / "themes_train_labels.csv", TOOLS / "eval" / "tone_dev_pool.csv",
             TOOLS / "eval" / "themes_pool.csv"]
    folders = sorted((TOOLS / "narrative_train").glob("*.csv")) + sorted((TOOLS / "dev_data").glob("*.csv"))
    files += [path for path in folders if "ref" in _rows(path)[0]]
    return files


def test_the_set_has_about_300_items_half_drawn_for_a_topic_word() -> None:
    rows = _rows(POOL)
    assert 280 <= len(rows) <= 320
    assert len({row["item_id"] for row in rows}) == len(rows)
    assert len({(row["source"], row["ref"]) for row in rows}) == len(rows)
    assert {row["source"] for row in rows} == {"perf", "heated", "prcomment"}
    topic = sum(row["picked"].endswith("-topic-words") for row in rows)
    assert sum(row["picked"].endswith("-random") for row in rows) + topic == len(rows)
    assert 0.4 * len(rows) <= topic <= 0.6 * len(rows)
    assert all(re.fullmatch(r"[0-9a-f]{16}", row["text_sha256"]) for row in rows)


def test_no_item_shares_a_row_with_another_pool_or_a_training_or_development_file() -> None:
    rows = _rows(POOL)
    referenced: set[tuple[str, str]] = set()
    for path in _other_pools() + _training_and_development_files():
        referenced |= {(row.get("source", ""), row["ref"]) for row in _rows(path)}
    assert len(referenced) > 8000
    refs = {ref for _source, ref in referenced}
    for row in rows:
        assert (row["source"], row["ref"]) not in referenced and row["ref"] not in refs
    # A comment (pull-request threads, PRemo) is in no other pool; no comment gives two items.
    pooled_comments = {(source, _row(ref)) for source, ref in referenced if source in ("heated", "prcomment")}
    assert {source for source, _ in pooled_comments} == {"heated", "prcomment"}
    comments = [(row["source"], _row(row["ref"])) for row in rows if row["source"] != "perf"]
    assert len(set(comments)) == len(comments) and not set(comments) & pooled_comments
    # No review sentence comes from a review that a training or development file draws a sentence from.
    training_reviews = {_row(row["ref"]) for path in _training_and_development_files() for row in _rows(path)
                        if row.get("source", "perf") == "perf" and re.match(r"(v10|test_v6)-\d+#", row["ref"])}
    assert len(training_reviews) > 500
    assert not {_row(row["ref"]) for row in rows if row["source"] == "perf"} & training_reviews


def _texts_elsewhere() -> set[str]:
    """Every text another pool, a development pool or a training file reads, resolved row by row."""
    v1 = _module("eval_pool")
    texts = pool_texts(_other_pools())
    for path in _training_and_development_files():
        texts |= {_normalised(v1.resolve("perf", row["ref"])) for row in _rows(path)
                  if row.get("source", "perf") == "perf" and re.match(r"(v10|test_v6)-\d+#", row["ref"])}
    for path in (TOOLS / "narrative_train" / "statements.csv", TOOLS / "narrative_train" / "review_statements.csv",
                 TOOLS / "dev_data" / "tone_synthetic.csv", REPO / "tests" / "fixtures" / "themes_labelled.csv"):
        texts |= {_normalised(row["text"]) for row in _rows(path)}
    return texts


def test_the_set_rebuilds_to_the_committed_rows_and_shares_no_text_with_anything_else() -> None:
    module = _module("eval_pool_v3_themes")
    reason = module.available()
    if reason:
        pytest.skip(f"the shared data folder or the clones the set reads are absent: {reason}")
    elsewhere = _texts_elsewhere()
    assert len(elsewhere) > 7000
    items = module.build()
    rebuilt = [(item.item_id, item.source, item.ref, picked, module._key(item.text)[:16]) for item, picked in items]
    assert rebuilt == [(row["item_id"], row["source"], row["ref"], row["picked"], row["text_sha256"])
                       for row in _rows(POOL)]
    texts = [_normalised(item.text) for item, _ in items]
    assert len(set(texts)) == len(texts)
    assert not set(texts) & elsewhere
    assert not set(texts) & module.used_texts()  # the module's own, wider list (narrative training texts too)
    for item, _picked in items:
        assert module.resolve(item.source, item.ref) == item.text
    # PRemo rows are of the sentiment model's test split only, never psf/requests.
    sys.path.insert(0, str(REPO / "src"))
    from brightline.core.nlp.splits import premo_split

    premo = {row["id"]: row["project"] for row in _rows(module.dev_pool3.PREMO)}
    for item, _picked in items:
        if item.source == "prcomment":
            assert premo_split(_row(item.ref)) == "test" and premo[_row(item.ref)] != "requests"


def test_the_export_definition_is_the_guides_themes_task_word_for_word(tmp_path: Path) -> None:
    module = _module("eval_pool_v3_themes")
    guide = (TOOLS / "eval" / "GUIDE.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Task 3: themes"):]
    section = section[:section.index("\n## ", 1)].rstrip()
    text = module.definition()
    assert section in text and "`customer_focus`" in text
    for word in ("perf", "heated", "picked", "seed", "topic word", "strudel", "premo"):
        assert word not in text.lower().replace(section.lower(), "")
    item = module.PoolItem("them3-001", "perf", "v10-1#0", "She unblocked the data team twice.")
    module.export(tmp_path, [(item, "perf-random")])
    assert _rows(tmp_path / "items.csv") == [{"id": "them3-001", "text": "She unblocked the data team twice."}]
    assert (tmp_path / "DEFINITION.md").read_text(encoding="utf-8") == text


def _write(path: Path, key: str, labels: dict[str, str]) -> None:
    lines = [f"{key},label,note", *(f"{item},{label}," for item, label in labels.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_labels_step_reports_agreement_and_writes_the_settled_file(tmp_path: Path, capsys) -> None:
    module = _module("eval_pool_v3_themes")
    ids = [row["item_id"] for row in _rows(POOL)]
    first = {item: ("delivery" if index % 5 == 0 else "none") for index, item in enumerate(ids)}
    second = dict(first)
    second[ids[0]] = "Delivery; collaboration"  # a second theme, written loosely
    second[ids[5]] = "none"
    _write(tmp_path / "labels_a.csv", "id", first)
    _write(tmp_path / "labels_b.csv", "item_id", second)
    out = tmp_path / "themes_v3_labels.csv"
    assert module.labels_command(tmp_path, out) == 0
    printed = capsys.readouterr().out
    assert f'"same": {len(ids) - 2}' in printed and "2 items differ" in printed
    assert '"collaboration": {' in printed and '"any_theme_kappa"' in printed
    assert not out.exists()  # nothing is written before the disagreements are settled

    _write(tmp_path / "labels_c.csv", "id", {ids[0]: "delivery"})
    with pytest.raises(SystemExit):  # one disagreement is still open
        module.labels_command(tmp_path, out)
    _write(tmp_path / "labels_c.csv", "id", {ids[0]: "delivery", ids[5]: "deliveries"})
    with pytest.raises(SystemExit):  # not a theme of the guide
        module.labels_command(tmp_path, out)
    _write(tmp_path / "labels_c.csv", "id", {ids[0]: "delivery", ids[5]: "delivery"})
    assert module.labels_command(tmp_path, out) == 0
    written = _rows(out)
    assert [row["item_id"] for row in written] == ids
    assert (written[0]["label"], written[0]["label_1"], written[0]["label_2"]) == (
        "delivery", "delivery", "collaboration;delivery")
    assert (written[5]["label"], written[5]["label_2"]) == ("delivery", "none")
    assert sum(row["label"] == "delivery" for row in written) == sum(label == "delivery" for label in first.values())
    assert {row["picked"] for row in written} == {row["picked"] for row in _rows(POOL)}


def test_agreement_gives_cohens_kappa_per_theme_and_for_any_theme() -> None:
    module = _module("eval_pool_v3_themes")
    pairs = [("delivery", "delivery")] * 20 + [("none", "none")] * 20 + [("delivery", "none")] * 10
    result = module.agreement(pairs)
    # observed 0.8; expected 0.6 * 0.4 + 0.4 * 0.6 = 0.48; kappa (0.8 - 0.48) / 0.52
    assert result["any_theme_kappa"] == pytest.approx(0.615, abs=0.001)
    assert result["per_theme"]["delivery"] == {"kappa": pytest.approx(0.615, abs=0.001), "uses": [30, 20]}
    assert "mentoring" not in result["per_theme"]  # a theme nobody used has no kappa
    assert result["counts"]["a"] == {"delivery": 30, "none": 20}
