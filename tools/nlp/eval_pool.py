"""Independent evaluation sets for the feedback checks and the themes: the pool of texts and where each came from.

The texts are public text that nobody on the Brightline team wrote for the purpose:

* ``toxicr``: code-review comments from ToxiCR (Sarker, Bosu et al., TOSEM 2023; GPL-3.0), only the rows
  of its *test* split (:func:`brightline.core.nlp.splits.toxicr_split`) in the development half that
  ``../shared/data/toxicr_dev/`` holds;
* ``perf``: sentences of the crowd-written "Employee Review" nine-box texts
  (``../shared/data/perf_review_text/``; see that folder's README for its origin);
* ``changelog``: entries of the change logs of pallets/flask (BSD-3-Clause), psf/black (MIT) and
  pypa/pip (MIT) at fixed commits, read from a local clone.

The repository keeps only references (``source``, ``ref``) and the labels; :func:`resolve` reads the
texts back from the data folder and the clones, so no third-party text is committed. The labels were
given by two labellers who saw only ``tools/nlp/eval/GUIDE.md`` and the texts, never the rules or models,
and were fixed before any rule or model was tuned against them (see ``tools/nlp/eval/README.md``).

``python tools/nlp/eval_pool.py build`` rebuilds the pool (deterministic); ``… export DIR`` writes the
texts for labelling.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = Path(__file__).resolve().parent / "eval"
DATA_DIR = Path(os.environ.get("BRIGHTLINE_SHARED_DATA", ROOT.parent / "shared" / "data"))
MIRROR_DIR = Path(os.environ.get("BRIGHTLINE_MIRROR", "/work/.mirror"))

CHANGELOGS = (
    ("pallets/flask", "pallets+flask", "2ac89889f4cc330eabd50f295dcef02828522c69", "CHANGES.rst"),
    ("psf/black", "psf+black", "8947c48ef2077c3a301b03c1e814dc2e3f78436e", "CHANGES.md"),
    ("pypa/pip", "pypa+pip", "6d309205789d368b2749d93fd6193d584811efd5", "NEWS.rst"),
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_CRITIQUE_WORDS = re.compile(
    r"\b(wrong|bad|hack|kill|dead|broken|ugly|crash|disagree|remove|useless|stupid|why|don't|not|"
    r"should|mess|terrible|weird|silly|nonsense|pointless|confusing|horrible)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PoolItem:
    item_id: str
    source: str
    ref: str
    text: str


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _sample(items: list[PoolItem], count: int, salt: str) -> list[PoolItem]:
    return sorted(items, key=lambda item: _key(salt + item.ref))[:count]


def _toxicr_rows() -> list[dict[str, str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from brightline.core.nlp.splits import toxicr_split

    with open(DATA_DIR / "toxicr_dev" / "toxicr_dev.csv", newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if toxicr_split(row["text"]) == "test"]
    seen: set[str] = set()
    unique = []
    for row in rows:
        norm = row["text"].strip().lower()
        if norm in seen or len(norm) < 8 or len(norm) > 400:
            continue
        seen.add(norm)
        unique.append(row)
    return unique


def perf_sentences() -> Iterator[PoolItem]:
    with open(DATA_DIR / "perf_review_text" / "perf_reviews_ninebox.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for index, sentence in enumerate(_SENTENCE_END.split(row["text"].strip())):
                sentence = sentence.strip()
                if 25 <= len(sentence) <= 300:
                    yield PoolItem("", "perf", f"{row['id']}#{index}", sentence)


def changelog_entries() -> Iterator[PoolItem]:
    for name, folder, commit, path in CHANGELOGS:
        for line, entry in parse_changelog(_git_show(folder, commit, path)):
            yield PoolItem("", "changelog", f"{name}@{commit[:12]}:{path}:{line}", entry)


def parse_changelog(text: str, *, myst: bool = False) -> Iterator[tuple[int, str]]:
    """``(first line, entry)`` for every bulleted entry of 30 to 300 characters, issue and PR references removed
    (``:pr:`12``` and, with ``myst``, the Markdown form ``{pr}`12```)."""
    roles = r"(:(pr|issue|ghsa):|\{(pr|issue|ghsa)\})" if myst else r":(pr|issue|ghsa):"
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if re.match(r"^\s*[-*]\s+\S", line):
            start = index
            parts = [re.sub(r"^\s*[-*]\s+", "", line).strip()]
            index += 1
            while index < len(lines) and lines[index].startswith("  ") and lines[index].strip():
                parts.append(lines[index].strip())
                index += 1
            entry = " ".join(parts)
            entry = re.sub(rf"\s*({roles}`[^`]*`|\(`#\d+ <[^>]*>`_\)|\(#\d+\))\s*", " ", entry).strip()
            if 30 <= len(entry) <= 300 and "``" not in entry[:3]:
                yield start + 1, entry
        else:
            index += 1


def _git_show(folder: str, commit: str, path: str) -> str:
    repo = MIRROR_DIR / folder / "repo"
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
    ).stdout


def build() -> dict[str, list[PoolItem]]:
    toxic_rows = _toxicr_rows()
    toxic = [PoolItem("", "toxicr", row["id"], row["text"].strip()) for row in toxic_rows if row["is_toxic"] == "1"]
    critique = [
        PoolItem("", "toxicr", row["id"], row["text"].strip())
        for row in toxic_rows
        if row["is_toxic"] == "0" and _CRITIQUE_WORDS.search(row["text"])
    ]
    perf = list(perf_sentences())
    judgement_words = re.compile(
        r"\b(lazy|rude|careless|arrogant|attitude|incompetent|unprofessional|sloppy|negative|disrespectful)\b", re.I
    )
    judgement = [item for item in perf if judgement_words.search(item.text)]
    tone = _sample(toxic, 130, "tone-t") + _sample(critique, 110, "tone-c") + _sample(judgement, 30, "tone-p")
    used = {item.ref for item in tone}
    narrative_perf = _sample([item for item in perf if item.ref not in used], 190, "narr-p")
    used |= {item.ref for item in narrative_perf}
    changelog = list(changelog_entries())
    measured = re.compile(r"\d+\s*%|\bfaster\b|\bx\b|\d+ ?(ms|s|seconds|MB|times)\b|speed|reduc", re.I)
    numeric = [item for item in changelog if measured.search(item.text)]
    other_changelog = [item for item in changelog if item not in numeric]
    narrative = narrative_perf + _sample(numeric, 35, "narr-n") + _sample(other_changelog, 35, "narr-c")
    themes = _sample([item for item in perf if item.ref not in used], 260, "themes")
    pools = {"tone": tone, "narrative": narrative, "themes": themes}
    numbered: dict[str, list[PoolItem]] = {}
    for name, items in pools.items():
        shuffled = sorted(items, key=lambda item: _key(name + item.source + item.ref))
        numbered[name] = [
            PoolItem(f"{name[0]}{index:03d}", item.source, item.ref, item.text)
            for index, item in enumerate(shuffled, 1)
        ]
    return numbered


def resolve(source: str, ref: str) -> str:
    """The text of one pool item, read back from the shared data folder or a change-log clone."""
    if source == "toxicr":
        return _toxicr_index()[ref]
    if source == "perf":
        return _perf_index()[ref]
    if source == "changelog":
        return _changelog_index()[ref]
    raise ValueError(f"unknown source {source!r}")


_CACHE: dict[str, dict[str, str]] = {}


def _toxicr_index() -> dict[str, str]:
    if "toxicr" not in _CACHE:
        with open(DATA_DIR / "toxicr_dev" / "toxicr_dev.csv", newline="", encoding="utf-8") as handle:
            _CACHE["toxicr"] = {row["id"]: row["text"].strip() for row in csv.DictReader(handle)}
    return _CACHE["toxicr"]


def _perf_index() -> dict[str, str]:
    if "perf" not in _CACHE:
        _CACHE["perf"] = {item.ref: item.text for item in perf_sentences()}
    return _CACHE["perf"]


def _changelog_index() -> dict[str, str]:
    if "changelog" not in _CACHE:
        _CACHE["changelog"] = {item.ref: item.text for item in changelog_entries()}
    return _CACHE["changelog"]


def load_labelled(name: str) -> list[tuple[str, str, str, str]]:
    """``(item_id, text, label, source)`` for every item of ``eval/<name>_labels.csv``."""
    rows = []
    with open(EVAL_DIR / f"{name}_labels.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append((row["item_id"], resolve(row["source"], row["ref"]), row["label"], row["source"]))
    return rows


def write_pool(path: Path, items: list[PoolItem]) -> None:
    """A pool as the repository keeps it: references and a short hash of each text, never the text."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_id", "source", "ref", "text_sha256"])
        for item in items:
            writer.writerow([item.item_id, item.source, item.ref, _key(item.text)[:16]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write eval/<name>_pool.csv (references only)")
    export = sub.add_parser("export", help="write the texts for labelling into a folder outside the repository")
    export.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    pools = build()
    if args.command == "build":
        EVAL_DIR.mkdir(exist_ok=True)
        for name, items in pools.items():
            write_pool(EVAL_DIR / f"{name}_pool.csv", items)
            print(f"{name}: {len(items)} items")
    else:
        args.folder.mkdir(parents=True, exist_ok=True)
        for name, items in pools.items():
            with open(args.folder / f"{name}_texts.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(["item_id", "text"])
                for item in items:
                    writer.writerow([item.item_id, item.text])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
