"""Independent evaluation set for the missing-evidence check: statements about work that may name their evidence.

Public text nobody on the Brightline team wrote for the purpose, drawn deterministically:

* ``perf``: sentences of the crowd-written "Employee Review" nine-box texts (as in :mod:`eval_pool`), half
  of them chosen because they mention an artefact (a report, a project, a presentation ...), none used by
  another evaluation pool (they may come from reviews the narrative and theme models were trained on: this set measures
  the missing-evidence rule, which reads no model, and is never used for that model);
* ``changelog``: change-log entries of psf/black (MIT), pypa/pip (MIT), pallets/flask (BSD-3-Clause),
  encode/httpx (BSD-3-Clause) and apache/commons-lang (Apache-2.0) at fixed commits, **with** the
  references their authors wrote (pull-request numbers, issue links, ticket keys), unlike the narrative
  pool, which removes them;
* ``commit``: commit messages (subject and first paragraph of the body, which for a squash merge is the
  pull request's description) of the same five repositories, half of them naming a pull request, issue,
  commit or ticket and half naming none.

The repository keeps only references and labels; :func:`resolve` reads the texts back from the clones and
the data folder. ``python tools/nlp/evidence_pool.py build`` writes ``eval/evidence_pool.csv``;
``… export FILE`` writes ``id,text,source`` for labelling outside the repository.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_pool import EVAL_DIR, MIRROR_DIR, PoolItem, _key, _sample, perf_sentences, write_pool  # noqa: E402

# (repository, mirror folder, commit, change log)
REPOS = (
    ("psf/black", "psf+black", "8947c48ef2077c3a301b03c1e814dc2e3f78436e", "CHANGES.md"),
    ("pypa/pip", "pypa+pip", "6d309205789d368b2749d93fd6193d584811efd5", "NEWS.rst"),
    ("pallets/flask", "pallets+flask", "2ac89889f4cc330eabd50f295dcef02828522c69", "CHANGES.rst"),
    ("encode/httpx", "encode+httpx", "ae1b9f66238f75ced3ced5e4485408435de10768", "CHANGELOG.md"),
    ("apache/commons-lang", "apache+commons-lang", "d15939ef46f0bd4144994df8be95cf5a7f91eb52", "RELEASE-NOTES.txt"),
)
LICENCES = {
    "psf/black": "MIT",
    "pypa/pip": "MIT",
    "pallets/flask": "BSD-3-Clause",
    "encode/httpx": "BSD-3-Clause",
    "apache/commons-lang": "Apache-2.0",
}
# How many change-log entries and commit messages each repository gives.
CHANGELOG_COUNTS = {"psf/black": 18, "pypa/pip": 14, "pallets/flask": 10, "encode/httpx": 14, "apache/commons-lang": 24}
COMMIT_COUNTS = {"psf/black": 16, "pypa/pip": 16, "pallets/flask": 12, "encode/httpx": 12, "apache/commons-lang": 16}
PERF_ARTEFACT = 24
PERF_OTHER = 20

_ARTEFACT = re.compile(
    r"\b(report|reports|project|presentation|document|dashboard|spreadsheet|proposal|plan|launch|release|"
    r"ticket|incident|analysis|system|tool|process|website|campaign|deadline)\b",
    re.IGNORECASE,
)
# Only for drawing a balanced sample of commits; the labels, not this, say whether evidence is named.
_NAMES_SOMETHING = re.compile(r"#\d+|https?://|\b[0-9a-f]{7,40}\b|\b[A-Z][A-Z0-9]+-\d+\b|\bPR ?\d+", re.IGNORECASE)
_TRAILER = re.compile(r"^(signed-off-by|co-authored-by|reviewed-by|change-id|cherry picked from)\b", re.IGNORECASE)


def _used_refs() -> set[str]:
    used: set[str] = set()
    for pool in EVAL_DIR.glob("*_pool.csv"):
        if pool.name == "evidence_pool.csv":
            continue
        with open(pool, newline="", encoding="utf-8") as handle:
            used |= {row["ref"] for row in csv.DictReader(handle)}
    return used


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _git(folder: str, *args: str) -> str:
    repo = MIRROR_DIR / folder / "repo"
    raw = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _full_commit(folder: str, commit: str) -> str:
    return _git(folder, "rev-parse", commit).strip()


def changelog_entries(name: str, folder: str, commit: str, path: str) -> Iterator[PoolItem]:
    """Bulleted entries of one change log, references kept as written."""
    lines = _git(folder, "show", f"{commit}:{path}").splitlines()
    bullet = re.compile(r"^\s*(?:[-*]|o)\s+\S")
    index = 0
    while index < len(lines):
        if bullet.match(lines[index]):
            start = index
            parts = [re.sub(r"^\s*(?:[-*]|o)\s+", "", lines[index]).strip()]
            index += 1
            while index < len(lines) and lines[index].startswith("  ") and lines[index].strip():
                if bullet.match(lines[index]):
                    break
                parts.append(lines[index].strip())
                index += 1
            entry = _clean(" ".join(parts))
            if 30 <= len(entry) <= 320:
                yield PoolItem("", "changelog", f"{name}@{commit[:12]}:{path}:{start + 1}", entry)
        else:
            index += 1


def commit_messages(name: str, folder: str, commit: str) -> Iterator[PoolItem]:
    """Subject and first body paragraph of the last 3,000 commits before ``commit`` (no merges)."""
    log = _git(folder, "log", "--no-merges", "-n", "3000", "--format=%H%x00%B%x1e", commit)
    for record in log.split("\x1e"):
        if "\x00" not in record:
            continue
        sha, body = record.strip().split("\x00", 1)
        paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
        if not paragraphs:
            continue
        kept = [paragraphs[0]]
        if len(paragraphs) > 1 and not _TRAILER.match(paragraphs[1].strip()):
            kept.append(paragraphs[1])
        lines = [line for line in "\n".join(kept).splitlines() if not _TRAILER.match(line.strip())]
        text = _clean(" ".join(lines))
        if "dependabot" in text.lower() or text.lower().startswith(("bump ", "[pre-commit.ci]", "merge ")):
            continue
        if 30 <= len(text) <= 320:
            yield PoolItem("", "commit", f"{name}@{sha}", text)


def build() -> list[PoolItem]:
    used = _used_refs()
    perf = [item for item in perf_sentences() if item.ref not in used]
    artefact = [item for item in perf if _ARTEFACT.search(item.text)]
    chosen = _sample(artefact, PERF_ARTEFACT, "ev-pa")
    taken = {item.ref for item in chosen}
    chosen += _sample([item for item in perf if item.ref not in taken], PERF_OTHER, "ev-po")
    for name, folder, commit, path in REPOS:
        full = _full_commit(folder, commit)
        entries = list(changelog_entries(name, folder, full, path))
        chosen += _sample(entries, CHANGELOG_COUNTS[name], "ev-c" + name)
        commits = list(commit_messages(name, folder, full))
        naming = [item for item in commits if _NAMES_SOMETHING.search(item.text)]
        plain = [item for item in commits if not _NAMES_SOMETHING.search(item.text)]
        half = COMMIT_COUNTS[name] // 2
        chosen += _sample(naming, half, "ev-n" + name) + _sample(plain, COMMIT_COUNTS[name] - half, "ev-p" + name)
    seen: set[str] = set()
    unique = []
    for item in chosen:
        if item.text.lower() not in seen:
            seen.add(item.text.lower())
            unique.append(item)
    shuffled = sorted(unique, key=lambda item: _key("evidence" + item.source + item.ref))
    return [PoolItem(f"e{index:03d}", item.source, item.ref, item.text) for index, item in enumerate(shuffled, 1)]


_CACHE: dict[str, str] = {}


def resolve(source: str, ref: str) -> str:
    """The text of one item, read back from the shared data folder or a clone."""
    if not _CACHE:
        _CACHE.update({item.ref: item.text for item in perf_sentences()})
        for name, folder, commit, path in REPOS:
            full = _full_commit(folder, commit)
            _CACHE.update({item.ref: item.text for item in changelog_entries(name, folder, full, path)})
            _CACHE.update({item.ref: item.text for item in commit_messages(name, folder, full)})
    return _CACHE[ref]


def source_name(item_source: str, ref: str) -> str:
    """Where an item comes from, in words, with its licence."""
    if item_source == "perf":
        return "crowd-written performance review (Employee Review nine-box data set)"
    repo = ref.split("@", 1)[0]
    kind = "change log" if item_source == "changelog" else "commit message"
    return f"{kind} of {repo} ({LICENCES[repo]})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write eval/evidence_pool.csv (references only)")
    export = sub.add_parser("export", help="write id,text,source for labelling, outside the repository")
    export.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    items = build()
    if args.command == "build":
        write_pool(EVAL_DIR / "evidence_pool.csv", items)
        counts: dict[str, int] = {}
        for item in items:
            counts[item.source] = counts.get(item.source, 0) + 1
        print(f"evidence: {len(items)} items {counts}")
    else:
        args.file.parent.mkdir(parents=True, exist_ok=True)
        with open(args.file, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["id", "text", "source"])
            for item in items:
                writer.writerow([item.item_id, item.text, source_name(item.source, item.ref)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
