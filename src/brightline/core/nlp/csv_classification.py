"""Classify a CSV of texts in a stream, without loading the whole file.

Used by ``brightline nlp classify``; it has no Django dependency.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from brightline.core.csvsafe import CsvCellError, SafeWriter, read_records

from .classifiers import LinearTextClassifier, Prediction, bundled_classifier
from .tokens import TokenBatch, computed_ahead, tokenize

LABEL_COLUMN = "label"
CONFIDENCE_COLUMN = "confidence"
#: Tone only: the words behind a flag, "; "-separated (empty for ``ok``).
TRIGGERS_COLUMN = "triggers"
DEFAULT_BATCH_SIZE = 8192

EMPTY_FILE_ERROR = "{path} is empty: expected a header row naming the text column."
MISSING_TEXT_COLUMN_ERROR = "{path} has no column {column!r}; its columns are: {columns}."
# No line number: the decoder reads ahead in blocks, so the csv reader's line count would lie.
NOT_UTF8_ERROR = "{path} is not valid UTF-8 text; re-save it as UTF-8 and try again."
OUTPUT_COLUMN_CLASH_ERROR = (
    "{path} already has a column named {column!r}, which the classification output would overwrite."
)
UNSAFE_CELL_ERROR = "{path}: {problem}; nothing after it was classified."
BATCH_SIZE_ERROR = "batch_size must be a positive integer, got {batch_size}."
UNKNOWN_TASK_ERROR = "Unknown task {task!r}: expected 'sentiment' or 'tone'."


class CsvClassificationError(ValueError):
    """The input CSV cannot be classified as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class CsvClassificationSummary:
    """What :func:`classify_csv` did: rows written and how many got each label."""

    rows: int
    label_counts: dict[str, int]


def classify_csv(
    input_path: str | Path,
    output_path: str | Path,
    *,
    task: Literal["sentiment", "tone"],
    text_column: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> CsvClassificationSummary:
    """Write ``output_path``: every input row, in order, plus ``label`` and ``confidence``
    (and, for tone, ``triggers``: the words behind each flag).

    Reads ``input_path`` (UTF-8, optional BOM) ``batch_size`` rows at a time, so memory stays flat
    for large files. A missing cell in ``text_column`` is classified as empty text. Raises
    :class:`CsvClassificationError` for an empty file, a missing text column, a clash with the
    output column names, or bytes that are not UTF-8; the output file may then be incomplete.
    ``confidence`` is written with 4 decimals.
    """
    model = _classifier_for(task)
    if batch_size < 1:
        raise CsvClassificationError(BATCH_SIZE_ERROR.format(batch_size=batch_size))
    source = Path(input_path)
    with source.open(encoding="utf-8-sig", newline="") as input_handle:
        reader = (fields for _line, fields in read_records(input_handle))
        try:
            header = _read_header(reader, source)
            extra = [LABEL_COLUMN, CONFIDENCE_COLUMN] + ([TRIGGERS_COLUMN] if task == "tone" else [])
            text_index = _text_column_index(header, text_column, source, extra)
            counts: dict[str, int] = {}
            rows_written = 0
            with Path(output_path).open("w", encoding="utf-8", newline="") as output_handle:
                writer = SafeWriter(output_handle)  # labels beside text a spreadsheet must not run
                writer.writerow([*header, *extra])
                bar = _progress_bar(source, enabled=progress)
                try:
                    for batch, predictions in _classified_batches(_batches(reader, batch_size), model, text_index):
                        writer.writerows(
                            [*row, prediction.label, f"{prediction.confidence:.4f}",
                             *(["; ".join(trigger.text for trigger in prediction.triggers)] if task == "tone" else [])]
                            for row, prediction in zip(batch, predictions, strict=True)
                        )
                        for prediction in predictions:
                            counts[prediction.label] = counts.get(prediction.label, 0) + 1
                        rows_written += len(batch)
                        if bar is not None:
                            bar.update(len(batch))
                finally:
                    if bar is not None:
                        bar.close()
        except UnicodeDecodeError as error:
            raise CsvClassificationError(NOT_UTF8_ERROR.format(path=source)) from error
        except CsvCellError as error:
            raise CsvClassificationError(UNSAFE_CELL_ERROR.format(path=source, problem=error)) from None
    return CsvClassificationSummary(rows=rows_written, label_counts=counts)


def _classifier_for(task: str) -> LinearTextClassifier:
    if task not in ("sentiment", "tone"):
        raise CsvClassificationError(UNKNOWN_TASK_ERROR.format(task=task))
    return bundled_classifier(task)


def _classified_batches(
    batches: Iterator[list[list[str]]], model: LinearTextClassifier, text_index: int
) -> Iterator[tuple[list[list[str]], list[Prediction]]]:
    """Each batch with its predictions; the next batch is tokenised while this one is scored and written."""

    def texts_of(batch: list[list[str]]) -> list[str]:
        return [row[text_index] if text_index < len(row) else "" for row in batch]

    def tokens_of(batch: list[list[str]]) -> TokenBatch:
        return tokenize(texts_of(batch))

    for batch, tokens in computed_ahead(tokens_of, batches):
        yield batch, model.predict_tokens(tokens, texts=texts_of(batch))


def _read_header(reader: Iterator[list[str]], source: Path) -> list[str]:
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise CsvClassificationError(EMPTY_FILE_ERROR.format(path=source))
    return header


def _text_column_index(header: list[str], text_column: str, source: Path, extra: list[str]) -> int:
    for column in extra:
        if column in header:
            raise CsvClassificationError(OUTPUT_COLUMN_CLASH_ERROR.format(path=source, column=column))
    if text_column not in header:
        raise CsvClassificationError(
            MISSING_TEXT_COLUMN_ERROR.format(path=source, column=text_column, columns=", ".join(header))
        )
    return header.index(text_column)


def _batches(reader: Iterator[list[str]], batch_size: int) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for row in reader:
        batch.append(row)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _progress_bar(source: Path, *, enabled: bool) -> _ProgressBar | None:
    if not enabled:
        return None
    from tqdm import tqdm

    # Rows are unknown until the end (quoted cells may span lines), so the bar counts up.
    bar: _ProgressBar = tqdm(desc=f"classifying {source.name}", unit=" rows")
    return bar


class _ProgressBar(Protocol):
    def update(self, n: float | None = 1) -> bool | None: ...

    def close(self) -> None: ...
