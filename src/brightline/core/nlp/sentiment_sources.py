"""The labelled developer-text sets the sentiment classifier is trained and evaluated on, one per source.

Nothing here is needed at run time: the trainer (``tools/nlp/train_classifiers.py``), the
leave-one-source-out evaluation (``bench/sentiment_loso.py``) and the re-scoring tests read the
sets through :func:`load_sources`. The files are never copied into the repository. Two sources
come from the shared data folder; three more are read from a folder the user points at with
``BRIGHTLINE_SENTIMENT_EXTRA_DATA`` (or ``--extra-data-dir``), laid out as the paths of the
public repository they come from (``docs/models.md`` says how to extract them). A source whose
file is absent is left out, never an error.

Every source is mapped to one label set, ``negative`` / ``neutral`` / ``positive``; each row gets a
fixed ``train`` / ``test`` split (:mod:`.splits`) so in-domain scores are comparable across runs.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .splits import Split, premo_split, text_split

__all__ = [
    "EXTRA_DATA_ENVIRONMENT_VARIABLE",
    "SOURCES",
    "LabelledRow",
    "SentimentSource",
    "default_extra_data_dir",
    "load_sources",
]

EXTRA_DATA_ENVIRONMENT_VARIABLE = "BRIGHTLINE_SENTIMENT_EXTRA_DATA"
POLARITY_OF_ORACLE = {"-1": "negative", "0": "neutral", "1": "positive"}
CROSS_PLATFORM_REPOSITORY = "disa-lab/DeepSentimentSECrossPlatform"
CROSS_PLATFORM_COMMIT = "9457ed5eb8d4912149e8d58c9e2ecc58af06fde8"


@dataclass(frozen=True, slots=True)
class LabelledRow:
    text: str
    label: str
    split: Split


@dataclass(frozen=True, slots=True)
class SentimentSource:
    """One labelled set: where it comes from, under which licence, and how to read it."""

    key: str
    title: str
    platform: str
    origin: str
    licence: str
    relative_path: str
    in_shared_data: bool
    read: Callable[[Path], list[LabelledRow]]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _senti4sd(path: Path) -> list[LabelledRow]:
    return [LabelledRow(row["text"], row["label"], "test" if row["split"] == "test" else "train")
            for row in _csv_rows(path)]


def _premo(path: Path) -> list[LabelledRow]:
    return [LabelledRow(row["text"], row["polarity"], premo_split(row["id"])) for row in _csv_rows(path)]


def _oracle_rows(rows: Iterable[dict[str, str]], clean: Callable[[str], str]) -> list[LabelledRow]:
    labelled = []
    for row in rows:
        label = POLARITY_OF_ORACLE.get(row["oracle"].strip())
        text = clean(row["text"])
        if label is not None and text.strip():
            labelled.append(LabelledRow(text, label, text_split(text)))
    return labelled


def _github(path: Path) -> list[LabelledRow]:
    # The copy's export left a stray closing quote on nearly every text ("Reverted.\"").
    return _oracle_rows(_csv_rows(path), lambda text: text[:-1].rstrip() if text.endswith('"') else text)


def _plain(path: Path) -> list[LabelledRow]:
    return _oracle_rows(_csv_rows(path), lambda text: text)


SOURCES: tuple[SentimentSource, ...] = (
    SentimentSource(
        key="senti4sd", title="Senti4SD", platform="Stack Overflow posts",
        origin="collab-uniba/Senti4SD @ 8a3467e9 (Calefato et al., EMSE 2018)",
        licence="MIT (texts: Stack Overflow, CC BY-SA)",
        relative_path="senti4sd/senti4sd_polarity.csv", in_shared_data=True, read=_senti4sd),
    SentimentSource(
        key="premo", title="PREMO", platform="GitHub pull-request comments",
        origin="opus-research/sentiment-dataset @ 637b037e (Coutinho et al., 2025)", licence="MIT",
        relative_path="premo_pr_emotions/premo_pr_comments.csv", in_shared_data=True, read=_premo),
    SentimentSource(
        key="github", title="GitHub gold standard", platform="GitHub pull-request and commit comments",
        origin=f"Novielli et al., MSR 2020; copy in {CROSS_PLATFORM_REPOSITORY} @ {CROSS_PLATFORM_COMMIT[:8]}",
        licence="CC0-1.0 (the copy's repository); the original release's licence not verified here",
        relative_path="DeepSentimentSECrossPlatform/datasets/github.csv", in_shared_data=False, read=_github),
    SentimentSource(
        key="jira", title="Jira, Ortu et al.", platform="Apache Jira issue comments",
        origin=f"Ortu et al., MSR 2016, emotions mapped to polarity (love/joy positive, anger/sadness negative); "
               f"copy in {CROSS_PLATFORM_REPOSITORY} @ {CROSS_PLATFORM_COMMIT[:8]}",
        licence="CC0-1.0 (the copy's repository); the original release's licence not verified here",
        relative_path="DeepSentimentSECrossPlatform/datasets/jira.csv", in_shared_data=False, read=_plain),
    SentimentSource(
        key="lin_so", title="Lin et al.", platform="Stack Overflow sentences",
        origin=f"Lin et al., ICSE 2018; copy in {CROSS_PLATFORM_REPOSITORY} @ {CROSS_PLATFORM_COMMIT[:8]}",
        licence="CC0-1.0 (the copy's repository); the original replication package's licence not verified here",
        relative_path="DeepSentimentSECrossPlatform/tools/deep_learning_based/rnn4sentise/LinData.csv",
        in_shared_data=False, read=_plain),
)


def default_extra_data_dir() -> Path | None:
    """The folder named by ``BRIGHTLINE_SENTIMENT_EXTRA_DATA``, if set."""
    value = os.environ.get(EXTRA_DATA_ENVIRONMENT_VARIABLE, "").strip()
    return Path(value) if value else None


def load_sources(shared_data: Path, extra_data: Path | None) -> dict[str, list[LabelledRow]]:
    """The rows of every source whose file is present, by source key, in :data:`SOURCES` order."""
    loaded: dict[str, list[LabelledRow]] = {}
    for source in SOURCES:
        root = shared_data if source.in_shared_data else extra_data
        if root is None:
            continue
        path = root / source.relative_path
        if path.is_file():
            loaded[source.key] = source.read(path)
    return loaded
