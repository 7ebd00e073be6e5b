"""A third development pool for the narrative checks and the themes (issue 16, 2026-12-07): texts no pool, evaluation
set or training file uses yet, to be labelled by two labellers from ``tools/nlp/eval/GUIDE.md``.

Development data, never an evaluation set: the held-out figures stay those of the v2 sets (``eval_pool_v2.py``).
Public text nobody on the Brightline team wrote:

* ``perf``: sentences of the crowd-written "Employee Review" texts (``../shared/data/perf_review_text/``) that no
  pool in ``eval/`` and no training or development file uses, from reviews none of the v2 sets (including the
  contradiction set) draws a sentence from, with a text no used sentence has. Few are left: every review that no
  first-set pool draws from was labelled whole for the narrative model (``narrative_train/perf_labels_more.csv``),
  so these are the remaining sentences of the reviews the first sets drew from;
* ``changelog``: entries of the change logs of pallets/click (BSD-3-Clause; not the entries of
  ``narrative_train/click_changelog_labels.csv``), encode/httpx (BSD-3-Clause), psf/black (MIT), pallets/flask
  (BSD-3-Clause) and pypa/pip (MIT), never an entry a first-set or evidence pool uses, at fixed commits of the local
  clones; references removed as ``eval_pool.parse_changelog(myst=True)`` removes them. Part of each project's draw
  is of entries with a general word ("improve", "various", "better" ...), the kind a change log writes without
  saying what changed;
* ``prcomment``: sentences of pull-request discussion comments from PRemo (Coutinho et al. 2025,
  ``opus-research/sentiment-dataset``, MIT; ``../shared/data/premo_pr_emotions/``), outside the psf/requests project
  (a v2 change log's project): praise and judgements of work as reviewers write them ("great job, this is a big
  improvement"), drawn partly by a praise or judgement word and partly at random.

The drawing patterns only make the weak and judging statements common enough; the labels say what each item is.
The repository keeps only references (``source``, ``ref``); :func:`resolve` reads the texts back.

``python tools/nlp/dev_pool3.py build`` writes ``narrative_train/dev3_<task>_pool.csv``; ``… export DIR`` writes
``DIR/<task>/items.csv`` (``item_id,text``, no source) and ``DIR/<task>/DEFINITION.md`` (the guide's task).
``… labels TASK DIR`` reads the two labellers' ``DIR/<task>/labels_a.csv`` and ``labels_b.csv``, prints their
agreement (Cohen's kappa) and writes ``narrative_train/dev3_<task>_labels.csv`` (``item_id,source,ref,picked,label,
label_a,label_b``): ``label`` is the label both gave, or the one settled in ``DIR/<task>/settled.csv``
(``item_id,label``), else empty (the item is left out of training).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_pool  # noqa: E402
import eval_pool_v2  # noqa: E402
from eval_pool import DATA_DIR, EVAL_DIR, PoolItem, _git_show, _key, _sample, parse_changelog  # noqa: E402
from eval_pool_v2 import THEMES, _distinct  # noqa: E402

TRAIN_DIR = Path(__file__).resolve().parent / "narrative_train"
GUIDE = EVAL_DIR / "GUIDE.md"
TASKS = ("narrative", "themes")

CHANGELOGS = (  # (repository, mirror folder, commit, path, licence)
    ("pallets/click", "pallets+click", "2c8cd3ac958a7eb316d67f2d316c27086c4c0369", "CHANGES.md", "BSD-3-Clause"),
    ("encode/httpx", "encode+httpx", "ae1b9f66238f75ced3ced5e4485408435de10768", "CHANGELOG.md", "BSD-3-Clause"),
    *((name, folder, commit, path, licence) for (name, folder, commit, path), licence
      in zip(eval_pool.CHANGELOGS, ("BSD-3-Clause", "MIT", "MIT"), strict=True)),
)
PREMO = DATA_DIR / "premo_pr_emotions" / "premo_pr_comments.csv"
PREMO_LEFT_OUT = {"requests"}

_GENERAL_CHANGE = re.compile(
    r"\b(improv\w*|better|various|several|minor|misc\w*|clean\w*|refactor\w*|enhanc\w*|polish\w*|tweak\w*|"
    r"general|overall|many|more robust|significant\w*)\b", re.I)
_JUDGING = re.compile(
    r"\b(great|nice|awesome|excellent|good|amazing|impressive|fantastic|brilliant|wonderful|perfect|clean|elegant|"
    r"love|well done|kudos|huge|significant|valuable|invaluable|helpful|thorough|careful|sloppy|messy|poor|bad|"
    r"terrible|lazy|confus\w*|unclear|hard work|effort|contribution\w*|improvement\w*|appreciate\w*)\b", re.I)
_TOPIC = eval_pool_v2._THEME_WORDS
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z@\"'])")

# How many items each draw gives.
CHANGELOG_DRAWS = {"general-word": 8, "other": 24}  # per project
PREMO_NARRATIVE_DRAWS = {"prcomment-judging": 220, "prcomment-other": 100}
PREMO_THEMES_DRAWS = {"prcomment-topic": 270}


def v2_reviews() -> set[str]:
    """The reviews any v2 set (the contradiction set too) draws a sentence from: never development data."""
    v2 = [item for items in eval_pool_v2.build().values() for item, _ in items]
    v2 += [item for item, _ in eval_pool_v2.contradiction_cases()]
    return {item.ref.split("#")[0] for item in v2 if item.source == "perf"}


def _used_perf() -> tuple[set[str], set[str]]:
    """(refs, reviews) no new item may come from: every sentence a training or development file or any pool uses,
    and every review of a v2 set or of a training file."""
    refs: set[str] = set()
    for name, source in eval_pool_v2.TRAINING_FILES:
        with open(eval_pool_v2.TRAIN_DIR / name, newline="", encoding="utf-8") as handle:
            refs |= {row["ref"] for row in csv.DictReader(handle) if source is None or row.get("source") == source}
    refs |= {ref for source, ref in eval_pool_v2._pooled_refs() if source == "perf"}
    return refs, v2_reviews() | eval_pool_v2._training_reviews()


def free_perf() -> list[PoolItem]:
    refs, reviews = _used_perf()
    sentences = list(eval_pool.perf_sentences())
    taken = {item.text.strip().lower() for item in sentences if item.ref in refs or item.ref.split("#")[0] in reviews}
    free: list[PoolItem] = []
    for item in sentences:
        norm = item.text.strip().lower()
        if item.ref in refs or item.ref.split("#")[0] in reviews or norm in taken:
            continue
        taken.add(norm)
        free.append(item)
    return free


def changelog_entries() -> Iterator[PoolItem]:
    for name, folder, commit, path, _licence in CHANGELOGS:
        for line, entry in parse_changelog(_git_show(folder, commit, path), myst=True):
            yield PoolItem("", "changelog", f"{name}@{commit[:12]}:{path}:{line}", entry)


def _used_changelog() -> tuple[set[str], set[str]]:
    refs: set[str] = set()
    for pool in ("narrative_pool.csv", "evidence_pool.csv"):
        with open(EVAL_DIR / pool, newline="", encoding="utf-8") as handle:
            refs |= {row["ref"] for row in csv.DictReader(handle) if row["source"] == "changelog"}
    with open(TRAIN_DIR / "click_changelog_labels.csv", newline="", encoding="utf-8") as handle:
        refs |= {row["ref"] for row in csv.DictReader(handle)}
    texts = {item.text.strip().lower() for item in eval_pool.changelog_entries() if item.ref in refs}
    return refs, texts


def premo_sentences() -> Iterator[PoolItem]:
    with open(PREMO, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["project"] in PREMO_LEFT_OUT:
                continue
            for index, sentence in enumerate(_SENTENCE.split(re.sub(r"\s+", " ", row["text"]).strip())):
                sentence = sentence.strip()
                if (25 <= len(sentence) <= 250 and not sentence.endswith("?") and "`" not in sentence
                        and "http" not in sentence and not sentence.startswith((">", "@", "```"))):
                    yield PoolItem("", "prcomment", f"{row['id']}#{index}", sentence)


def build() -> dict[str, list[tuple[PoolItem, str]]]:
    """Both pools as ``(item, picked)`` in labelling order, numbered."""
    perf = free_perf()
    narrative: list[tuple[PoolItem, str]] = [(item, "perf-free") for item in perf]
    themes: list[tuple[PoolItem, str]] = [(item, "perf-free") for item in perf]

    used_refs, taken = _used_changelog()
    entries = [item for item in changelog_entries() if item.ref not in used_refs]
    for name, *_ in CHANGELOGS:
        mine = [item for item in entries if item.ref.startswith(name + "@")]
        general = [item for item in mine if _GENERAL_CHANGE.search(item.text)]
        chosen = _distinct(_sample(general, len(general), "d3-g-" + name), taken, CHANGELOG_DRAWS["general-word"])
        narrative += [(item, "changelog-general-word") for item in chosen]
        rest = [item for item in mine if item not in chosen]
        chosen = _distinct(_sample(rest, len(rest), "d3-c-" + name), taken, CHANGELOG_DRAWS["other"])
        narrative += [(item, "changelog-other") for item in chosen]

    comments = list(premo_sentences())
    seen: set[str] = set()
    judging = [item for item in comments if _JUDGING.search(item.text)]
    chosen = _distinct(_sample(judging, len(judging), "d3-pj"), seen, PREMO_NARRATIVE_DRAWS["prcomment-judging"])
    narrative += [(item, "prcomment-judging") for item in chosen]
    rest = [item for item in comments if item not in chosen]
    chosen = _distinct(_sample(rest, len(rest), "d3-po"), seen, PREMO_NARRATIVE_DRAWS["prcomment-other"])
    narrative += [(item, "prcomment-other") for item in chosen]
    used = {item.ref for item, _ in narrative if item.source == "prcomment"}
    topic = [item for item in comments if item.ref not in used and _TOPIC.search(item.text)]
    chosen = _distinct(_sample(topic, len(topic), "d3-pt"), seen, PREMO_THEMES_DRAWS["prcomment-topic"])
    themes += [(item, "prcomment-topic") for item in chosen]

    numbered: dict[str, list[tuple[PoolItem, str]]] = {}
    for name, items in (("narrative", narrative), ("themes", themes)):
        shuffled = sorted(items, key=lambda pair: _key("dev3" + name + pair[0].source + pair[0].ref))
        numbered[name] = [(PoolItem(f"d3{name[0]}-{index:03d}", item.source, item.ref, item.text), picked)
                          for index, (item, picked) in enumerate(shuffled, 1)]
    return numbered


_CACHE: dict[str, dict[str, str]] = {}


def resolve(source: str, ref: str) -> str:
    """The text of one pool item, read back from the shared data folder or a change-log clone."""
    if source == "perf":
        return eval_pool.resolve(source, ref)
    if source not in _CACHE:
        items = changelog_entries() if source == "changelog" else premo_sentences()
        _CACHE[source] = {item.ref: item.text for item in items}
    return _CACHE[source][ref]


def pool_path(task: str) -> Path:
    return TRAIN_DIR / f"dev3_{task}_pool.csv"


def load_pool(task: str) -> list[dict[str, str]]:
    with open(pool_path(task), newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def definition(task: str) -> str:
    """The task's section of the labelling guide, word for word, with the labels and the output format."""
    guide = GUIDE.read_text(encoding="utf-8")
    heading = {"narrative": "## Task 2: narrative", "themes": "## Task 3: themes"}[task]
    section = guide[guide.index(heading):]
    section = section[:section.index("\n## ", 1)].rstrip()
    labels = ("`specific`, `vague`, `character` or `other`, one per item" if task == "narrative" else
              "one or more of the topics above separated by `;`, or `none`")
    return (
        f"# Labelling: {task}\n\nLabel every row of `items.csv` (columns `item_id,text`) on your own, from this "
        "definition alone (copied from the project's labelling guide). Read each text on its own; judge only what "
        "the words say. Do not look up where a text came from, and do not look at any software that checks text.\n\n"
        f"{section}\n\n## Output\n\nWrite `labels_<your letter>.csv` with the header `item_id,label` and one row per "
        f"input row, in the input's order. Allowed labels: {labels}.\n"
    )


NARRATIVE_LABELS = ("specific", "vague", "character", "other")


def labels_path(task: str) -> Path:
    return TRAIN_DIR / f"dev3_{task}_labels.csv"


def normalise(task: str, value: str) -> str:
    """A labeller's answer in the labels file's form (themes: sorted, ``;``-separated, or ``none``)."""
    return eval_pool_v2.normalise("narrative_v2" if task == "narrative" else "themes_v2", value)


def read_labeller(path: Path, task: str) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    key = "item_id" if rows and "item_id" in rows[0] else "id"
    column = "label" if rows and "label" in rows[0] else "themes"
    return {row[key].strip(): normalise(task, row[column] or "") for row in rows}


def valid(task: str, label: str) -> bool:
    return label in NARRATIVE_LABELS if task == "narrative" else set(label.split(";")) <= {*THEMES, "none"}


def agreement(task: str, pairs: list[tuple[str, str]]) -> dict[str, object]:
    """Raw agreement and Cohen's kappa (narrative: also specific against the rest and weak against the rest;
    themes: any theme against none, and per theme)."""
    kappa = eval_pool_v2.cohen_kappa
    result: dict[str, object] = {"items": len(pairs), "same": sum(a == b for a, b in pairs)}
    if task == "narrative":
        result["kappa"] = round(kappa(pairs), 3)
        result["specific_vs_rest_kappa"] = round(kappa([(str(a == "specific"), str(b == "specific"))
                                                        for a, b in pairs]), 3)
        weak = {"vague", "character"}
        result["weak_vs_rest_kappa"] = round(kappa([(str(a in weak), str(b in weak)) for a, b in pairs]), 3)
        result["counts"] = {"a": dict(Counter(a for a, _ in pairs)), "b": dict(Counter(b for _, b in pairs))}
    else:
        result.update(eval_pool_v2.theme_agreement(pairs))
    return result


def labels_command(task: str, folder: Path, *, pool: list[dict[str, str]] | None = None,
                   target: Path | None = None) -> int:
    """Agreement and the agreed labels of ``folder/<task>/labels_{a,b}.csv`` on this pool; ``pool`` and ``target``:
    another pool's rows (its labels in ``folder`` itself) and the labels file to write."""
    folder = folder / task if pool is None else folder
    first = read_labeller(folder / "labels_a.csv", task)
    second = read_labeller(folder / "labels_b.csv", task)
    pool = load_pool(task) if pool is None else pool
    missing = [row["item_id"] for row in pool if row["item_id"] not in first or row["item_id"] not in second]
    if missing:
        raise SystemExit(f"{len(missing)} items lack a label, e.g. {missing[:5]}")
    bad = [(item, label) for labels in (first, second) for item, label in labels.items() if not valid(task, label)]
    if bad:
        raise SystemExit(f"labels outside the definition: {bad[:5]}")
    decisions: dict[str, str] = {}
    if (folder / "settled.csv").is_file():
        decisions = read_labeller(folder / "settled.csv", task)
    pairs = [(first[row["item_id"]], second[row["item_id"]]) for row in pool]
    print(json.dumps(agreement(task, pairs), indent=2))
    rows = []
    for row, (a, b) in zip(pool, pairs, strict=True):
        label = a if a == b else decisions.get(row["item_id"], "")
        rows.append([row["item_id"], row["source"], row["ref"], row["picked"], label, a, b])
    with open(target or labels_path(task), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_id", "source", "ref", "picked", "label", "label_a", "label_b"])
        writer.writerows(rows)
    kept = Counter(label for *_, label, _a, _b in rows if label)
    print(f"{task}: {len(rows)} items, {sum(a != b for a, b in pairs)} differ, {len(decisions)} settled; "
          f"labels kept {dict(kept)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write narrative_train/dev3_<task>_pool.csv (references only)")
    export = sub.add_parser("export", help="write <folder>/<task>/items.csv and DEFINITION.md for labelling")
    export.add_argument("folder", type=Path)
    labels = sub.add_parser("labels", help="agreement; write narrative_train/dev3_<task>_labels.csv")
    labels.add_argument("task", choices=TASKS)
    labels.add_argument("folder", type=Path, help="the folder holding <task>/labels_a.csv and labels_b.csv")
    args = parser.parse_args(argv)
    if args.command == "labels":
        return labels_command(args.task, args.folder)
    pools = build()
    for task, items in pools.items():
        if args.command == "build":
            eval_pool_v2.write_pool(pool_path(task), items)
            print(f"{task}: {len(items)} items", dict(Counter(picked for _, picked in items)))
        else:
            (args.folder / task).mkdir(parents=True, exist_ok=True)
            with open(args.folder / task / "items.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(["item_id", "text"])
                writer.writerows([item.item_id, item.text] for item, _ in items)
            (args.folder / task / "DEFINITION.md").write_text(definition(task), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
