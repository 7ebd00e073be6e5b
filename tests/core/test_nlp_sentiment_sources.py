"""The labelled sentiment sets: read from where the user points, skipped when absent, one label set."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.research_data import RESEARCH_DATA as SHARED_DATA

from brightline.core.nlp.sentiment_sources import (
    EXTRA_DATA_ENVIRONMENT_VARIABLE,
    SOURCES,
    default_extra_data_dir,
    load_sources,
)
from brightline.core.nlp.splits import text_split


def source(key: str):
    return next(item for item in SOURCES if item.key == key)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_absent_files_are_left_out_without_an_error(tmp_path: Path) -> None:
    assert load_sources(tmp_path / "shared", tmp_path / "extra") == {}
    assert load_sources(tmp_path / "shared", None) == {}


def test_the_extra_sets_are_read_with_one_label_set_and_a_split_by_text(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    write_csv(extra / source("github").relative_path, ["id", "dataset", "text", "oracle"],
              [["1", "github_test_0", 'Reverted."', "0"], ["2", "github_test_0", "This is a mess!\"", "-1"],
               ["3", "github_test_0", "Great, thanks", "1"], ["4", "github_test_0", "  ", "1"]])
    write_csv(extra / source("jira").relative_path, ["id", "dataset", "text", "oracle"],
              [["1", "OrtuJIRA_test_0", 'He said "ok"', "0"], ["2", "OrtuJIRA_test_0", "odd", "2"]])
    write_csv(extra / source("lin_so").relative_path, ["id", "text", "oracle"], [["6", "Sadly it fails.", "-1"]])
    loaded = load_sources(tmp_path / "no-shared", extra)
    assert list(loaded) == ["github", "jira", "lin_so"]
    # The stray closing quote of the GitHub copy is dropped; a blank text and an unknown label are skipped.
    assert [(row.text, row.label) for row in loaded["github"]] == [
        ("Reverted.", "neutral"), ("This is a mess!", "negative"), ("Great, thanks", "positive")]
    assert [(row.text, row.label) for row in loaded["jira"]] == [('He said "ok"', "neutral")]
    assert [(row.text, row.label, row.split) for row in loaded["lin_so"]] == [
        ("Sadly it fails.", "negative", text_split("Sadly it fails."))]


def test_the_split_by_text_keeps_duplicates_together_and_sends_about_a_fifth_to_test() -> None:
    assert text_split("Thanks!") == text_split("  thanks!  ")
    splits = [text_split(f"comment number {index}") for index in range(2000)]
    assert 0.15 < splits.count("test") / len(splits) < 0.25


def test_the_extra_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(EXTRA_DATA_ENVIRONMENT_VARIABLE, raising=False)
    assert default_extra_data_dir() is None
    monkeypatch.setenv(EXTRA_DATA_ENVIRONMENT_VARIABLE, str(tmp_path))
    assert default_extra_data_dir() == tmp_path


def test_every_source_names_its_origin_and_licence() -> None:
    assert len({item.key for item in SOURCES}) == len(SOURCES) >= 5
    for item in SOURCES:
        assert item.origin and item.licence and item.relative_path.endswith(".csv")


def test_the_shared_sets_load_with_their_published_sizes() -> None:
    if not (SHARED_DATA / "senti4sd").is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: the shared data folder is only on development machines")
    loaded = load_sources(SHARED_DATA, None)
    assert {key: len(rows) for key, rows in loaded.items()} == {"senti4sd": 4423, "premo": 1791}
    assert {row.label for rows in loaded.values() for row in rows} == {"negative", "neutral", "positive"}
    assert sum(row.split == "test" for row in loaded["senti4sd"]) == 1326
    assert sum(row.split == "test" for row in loaded["premo"]) == 364
