"""bench/sentiment_loso.py: one source left out at a time, the tools' labels scored on the same rows."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from tests.bench_scripts import load_bench

from brightline.core.nlp.sentiment_sources import SOURCES
from brightline.core.nlp.splits import premo_split

POSITIVE = ["Thanks, great work!", "Love this fix, thank you", "Awesome, nice job", "Great idea, thanks a lot",
            "Perfect, works well", "Nice, thank you so much"]
NEGATIVE = ["This is awful and broken", "I hate this terrible hack", "Ugh, this sucks", "Horrible, it broke again",
            "This is a stupid mess", "Terrible, useless patch"]
NEUTRAL = ["Rename the variable", "Moved the file to src", "See the linked issue", "Updated the docs",
           "Rebased on main", "Added a test for the parser"]


def loso_module() -> ModuleType:
    return load_bench("sentiment_loso")


def labelled(suffix: str) -> list[tuple[str, str]]:
    return ([(f"{text} {suffix}", "positive") for text in POSITIVE] + [(f"{text} {suffix}", "negative")
                                                                        for text in NEGATIVE]
            + [(f"{text} {suffix}", "neutral") for text in NEUTRAL])


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    shared, extra = tmp_path / "shared", tmp_path / "extra"
    write_csv(shared / "senti4sd" / "senti4sd_polarity.csv", ["id", "text", "label", "split"],
              [[str(i), text, label, "test" if i % 3 == 0 else "train"]
               for i, (text, label) in enumerate(labelled("on stack overflow"))])
    premo = labelled("in the pull request")
    write_csv(shared / "premo_pr_emotions" / "premo_pr_comments.csv", ["id", "message_url", "text", "polarity"],
              [[str(i), f"https://example.test/{i}", text, label] for i, (text, label) in enumerate(premo)])
    # One tool always right, one always "neutral".
    (extra / "sentiment-replication").mkdir(parents=True)
    (extra / "sentiment-replication" / "dataset.json").write_text(json.dumps([
        {"message_url": f"https://example.test/{i}",
         "tools": {"SentiStrength": label, "SentiStrengthSE": "neutral", "SentiCR": "neutral", "DEVA": label,
                   "Senti4SD": "neutral"}}
        for i, (_, label) in enumerate(premo)]), encoding="utf-8")
    github = next(source for source in SOURCES if source.key == "github")
    oracle = {"negative": "-1", "neutral": "0", "positive": "1"}
    write_csv(extra / github.relative_path, ["id", "dataset", "text", "oracle"],
              [[str(i), "github_test_0", f'{text}"', oracle[label]]
               for i, (text, label) in enumerate(labelled("on github"))])
    return shared, extra


def test_each_source_is_left_out_once_and_the_tools_are_scored_on_the_premo_rows(folders) -> None:
    shared, extra = folders
    loso = loso_module()
    result = loso.evaluate(shared, extra)
    assert list(result["sources"]) == ["senti4sd", "premo", "github"]
    for key, entry in result["sources"].items():
        assert key not in entry["trained_on"] and len(entry["trained_on"]) == 2
        assert entry["left_out"]["n"] == 18 and entry["left_out"]["negatives"] == 6
        assert 0.0 <= entry["left_out"]["negative_f1"] <= 1.0
    tools = result["sources"]["premo"]["tools"]
    assert tools["DEVA"]["all_rows"]["macro_f1"] == 1.0 and tools["DEVA"]["all_rows"]["negative_f1"] == 1.0
    assert tools["SentiCR"]["all_rows"]["negative_f1"] == 0.0
    test_rows = sum(premo_split(str(i)) == "test" for i in range(18))
    assert tools["DEVA"]["test_split"]["n"] == test_rows == result["sources"]["premo"]["left_out_test_split"]["n"]
    assert "tools" not in result["sources"]["github"]
    table = loso.markdown(result)
    assert table.count("\n| ") == 4  # header rule and one row per source
    assert "| 1.000 / 1.000 (test " in table and "| 0.167 / 0.000 (test " in table  # DEVA; always neutral


def test_it_refuses_to_run_with_fewer_than_two_sources(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="fewer than two"):
        loso_module().evaluate(tmp_path, None)


def test_it_prints_the_stored_table_of_the_shipped_model(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    loso = loso_module()
    stored = json.loads((loso.MODELS_PATH / "sentiment" / "metrics.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(sys, "argv", ["sentiment_loso.py", "--markdown", "--from-metrics"])
    loso.main()
    table = capsys.readouterr().out
    for entry in stored["leave_one_source_out"]["sources"].values():
        assert f"| {entry['title']} ({entry['platform']}) |" in table
        assert f"**{entry['left_out']['macro_f1']:.3f} / {entry['left_out']['negative_f1']:.3f}**" in table


def test_only_refits_the_named_folds_and_scores_them_against_the_aligned_labels_too(
        folders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared, extra = folders
    loso = loso_module()
    # "This is awful and broken on github" is a problem report under the aligned definition; the second row names
    # a label the source does not give that text, so it must be ignored.
    alignment = tmp_path / "alignment.csv"
    write_csv(alignment, ["source", "id", "text_sha256", "label", "aligned_label", "reason"],
              [["github", "1", loso.text_key("This is awful and broken on github"), "negative", "neutral", "report"],
               ["github", "2", loso.text_key("Rename the variable on github"), "positive", "negative", "wrong"]])
    monkeypatch.setattr(loso, "ALIGNMENT_PATH", alignment)
    result = loso.evaluate(shared, extra, {"github"})
    assert list(result["sources"]) == ["github"]
    entry = result["sources"]["github"]
    assert entry["left_out"]["negatives"] == 6
    assert entry["left_out_aligned_labels"]["negatives"] == 5 and entry["left_out_aligned_labels"]["n"] == 18
    assert "against the aligned labels" in loso.markdown(result)
    with pytest.raises(SystemExit, match="no such source"):
        loso.evaluate(shared, extra, {"jira"})
