"""Streaming CSV classification (the engine behind ``brightline nlp classify``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from brightline.core.nlp import (
    CONFIDENCE_COLUMN,
    EMPTY_FILE_ERROR,
    LABEL_COLUMN,
    MISSING_TEXT_COLUMN_ERROR,
    NOT_UTF8_ERROR,
    OUTPUT_COLUMN_CLASH_ERROR,
    TRIGGERS_COLUMN,
    CsvClassificationError,
    classify_csv,
    classify_sentiment,
)

COMMENTS = [
    "Thanks, great work on this!",
    "Please add a docstring here.",
    "This is broken and you clearly did not test it.",
    'A cell with a "quote", a comma,\nand a line break.',
    "",
    "LGTM",
    "Why is this so slow? Terrible.",
]


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_it_writes_every_row_in_order_with_label_and_confidence(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.csv", [["id", "comment"], *[[str(i), text] for i, text in enumerate(COMMENTS)]])
    summary = classify_csv(source, tmp_path / "out.csv", task="sentiment", text_column="comment", batch_size=3)

    output = read_rows(tmp_path / "out.csv")
    assert output[0] == ["id", "comment", LABEL_COLUMN, CONFIDENCE_COLUMN]
    assert [row[:2] for row in output[1:]] == [[str(i), text] for i, text in enumerate(COMMENTS)]
    assert summary.rows == len(COMMENTS)
    assert sum(summary.label_counts.values()) == len(COMMENTS)
    expected = classify_sentiment(COMMENTS)
    assert [row[2] for row in output[1:]] == [prediction.label for prediction in expected]
    assert all(0.0 <= float(row[3]) <= 1.0 for row in output[1:])


def test_batch_size_does_not_change_the_output(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.csv", [["text"], *[[text] for text in COMMENTS * 5]])
    classify_csv(source, tmp_path / "one.csv", task="tone", text_column="text", batch_size=1)
    classify_csv(source, tmp_path / "many.csv", task="tone", text_column="text", batch_size=1000)
    assert read_rows(tmp_path / "one.csv") == read_rows(tmp_path / "many.csv")
    assert len(read_rows(tmp_path / "one.csv")) == len(COMMENTS) * 5 + 1


def test_a_header_only_file_gives_a_header_only_output(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.csv", [["text"]])
    summary = classify_csv(source, tmp_path / "out.csv", task="tone", text_column="text")
    assert summary.rows == 0
    assert read_rows(tmp_path / "out.csv") == [["text", LABEL_COLUMN, CONFIDENCE_COLUMN, TRIGGERS_COLUMN]]


def test_tone_output_names_the_words_behind_each_flag(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.csv", [["text"], ["You are an idiot"], ["I disagree with this design"]])
    classify_csv(source, tmp_path / "out.csv", task="tone", text_column="text")
    output = read_rows(tmp_path / "out.csv")
    assert output[0] == ["text", LABEL_COLUMN, CONFIDENCE_COLUMN, TRIGGERS_COLUMN]
    assert output[1][1] == "toxic" and "idiot" in output[1][3].split("; ")
    assert output[2][1] == "ok" and output[2][3] == ""


def test_tone_refuses_to_overwrite_an_existing_triggers_column(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.csv", [["text", "triggers"], ["hello", "x"]])
    with pytest.raises(CsvClassificationError) as raised:
        classify_csv(source, tmp_path / "out.csv", task="tone", text_column="text")
    assert str(raised.value) == OUTPUT_COLUMN_CLASH_ERROR.format(path=source, column="triggers")


def test_it_reads_a_byte_order_mark_and_short_rows(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes("\ufeffid,text\n1,Great job\n2\n".encode())
    classify_csv(source, tmp_path / "out.csv", task="sentiment", text_column="text")
    output = read_rows(tmp_path / "out.csv")
    assert output[0][:2] == ["id", "text"]
    assert [row[0] for row in output[1:]] == ["1", "2"]


def test_it_refuses_an_empty_file(tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_text("", encoding="utf-8")
    with pytest.raises(CsvClassificationError) as raised:
        classify_csv(source, tmp_path / "out.csv", task="sentiment", text_column="text")
    assert str(raised.value) == EMPTY_FILE_ERROR.format(path=source)


def test_it_refuses_a_missing_text_column(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.csv", [["id", "body"], ["1", "hello"]])
    with pytest.raises(CsvClassificationError) as raised:
        classify_csv(source, tmp_path / "out.csv", task="sentiment", text_column="text")
    assert str(raised.value) == MISSING_TEXT_COLUMN_ERROR.format(path=source, column="text", columns="id, body")


def test_it_refuses_to_overwrite_an_existing_label_column(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.csv", [["text", "label"], ["hello", "x"]])
    with pytest.raises(CsvClassificationError) as raised:
        classify_csv(source, tmp_path / "out.csv", task="sentiment", text_column="text")
    assert str(raised.value) == OUTPUT_COLUMN_CLASH_ERROR.format(path=source, column="label")


def test_it_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("text\nna\u00efve caf\u00e9\n".encode("latin-1"))
    with pytest.raises(CsvClassificationError) as raised:
        classify_csv(source, tmp_path / "out.csv", task="sentiment", text_column="text")
    assert str(raised.value) == NOT_UTF8_ERROR.format(path=source)


def test_it_shows_a_progress_bar_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_rows(tmp_path / "in.csv", [["text"], ["hello"], ["world"]])
    classify_csv(source, tmp_path / "quiet.csv", task="tone", text_column="text", progress=False)
    assert capsys.readouterr().err == ""
    classify_csv(source, tmp_path / "loud.csv", task="tone", text_column="text", progress=True)
    assert "rows" in capsys.readouterr().err
