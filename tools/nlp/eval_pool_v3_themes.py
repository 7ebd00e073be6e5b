"""A third independent evaluation set for the feedback themes (``themes_v3``; issue 17, item 3; session 14).

The first themes set (``eval_pool.py``) is development data now and the second (``eval_pool_v2.py``) has been scored
by several candidates, so this set is drawn from public text that no pool in ``eval/``, no development pool and no
training file uses, and is labelled by two labellers who see only the items and the guide's themes task (never the
seed phrases, the matchers or the classifiers) before anything is scored on it. Nobody on the Brightline team wrote
any of it:

* ``perf``: sentences of the crowd-written "Employee Review" texts (``../shared/data/perf_review_text/``) that no
  pool, training or development file uses, from reviews that no themes training or development file (and no other
  training file) draws a sentence from. Few are left: they are the sentences the first and second sets did not
  draw from the reviews they share, so a review here may also have sentences in those evaluation sets (and in the
  first narrative and tone sets, development data of those checks, never of the themes);
* ``heated``: sentences of GitHub pull-request discussion comments from the STRUDEL group's replication package
  (``sophieball/toxicity-detector``, MIT; ``src/data/too_heated_prs_matched_by_length.csv``), read as
  ``eval_pool_v3.heated_items`` reads them, from comments no v3 pool drew from: reviewers and authors on each
  other's work. This package is an evaluation source since session 12; nothing trains on it;
* ``prcomment``: sentences of PRemo pull-request comments (Coutinho et al. 2025, MIT,
  ``../shared/data/premo_pr_emotions/``) of rows the sentiment model never trains on (its test split), never of
  psf/requests, never a row ``dev_pool3`` or a v3 pool drew from.

About half the items are drawn because they use a topic word (:data:`_TOPIC`, a word pattern written for the draw,
not the product's seed phrases), so that the themes are not nearly all ``none``, and half at random, as the second
set was drawn; the ``picked`` column says which. At most one item comes from a comment and two from a review. No item
shares a text (lower-cased, runs of punctuation and spaces made one space) with any text an earlier pool, development
pool or training file reads (:func:`used_texts`).

``python tools/nlp/eval_pool_v3_themes.py build`` writes ``eval/themes_v3_pool.csv`` (references and a short hash
of each text; the texts are read back from the shared data folder and the clone, never committed). ``… export DIR``
writes ``DIR/items.csv`` (``id,text``, shuffled, no source) and ``DIR/DEFINITION.md`` (the guide's themes task word
for word). ``… labels DIR`` reads ``DIR/labels_a.csv`` and ``DIR/labels_b.csv``, prints the agreement (Cohen's kappa
per theme and any theme against none) and the disagreements, and once ``DIR/labels_c.csv`` (a third labeller, the
disagreements only) settles them, writes ``eval/themes_v3_labels.csv`` with both labellers' originals.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dev_pool3  # noqa: E402
import eval_pool  # noqa: E402
import eval_pool_v2  # noqa: E402
import eval_pool_v3  # noqa: E402
import evidence_pool  # noqa: E402
from eval_pool import DATA_DIR, EVAL_DIR, MIRROR_DIR, ROOT, PoolItem, _key  # noqa: E402
from eval_pool_v2 import THEMES  # noqa: E402
from eval_pool_v3 import normalise  # noqa: E402

NAME = "themes_v3"
ID_PREFIX = "them3"
NLP_DIR = Path(__file__).resolve().parent
SOURCES = ("perf", "heated", "prcomment")

#: Files whose review sentences a model trains on or is developed with: no sentence of this set comes from a review
#: any of them draws from. The first themes set is among them (the themes are developed on it).
REVIEW_FILES = (
    "themes_train_labels.csv",
    "narrative_train/perf_labels.csv",
    "narrative_train/perf_labels_more.csv",
    "narrative_train/dev3_themes_pool.csv",
    "narrative_train/dev3_narrative_pool.csv",
    "dev_data/tone_perf_dev_labels.csv",
    "eval/tone_dev_pool.csv",
    "eval/themes_pool.csv",
)
#: Files of text written out in full (a ``text`` column) that a model trains or is developed on.
TEXT_FILES = (
    NLP_DIR / "narrative_train" / "statements.csv",
    NLP_DIR / "narrative_train" / "review_statements.csv",
    NLP_DIR / "dev_data" / "tone_synthetic.csv",
    ROOT / "tests" / "fixtures" / "themes_labelled.csv",
)

#: Words of the topics, only to draw about half the items among sentences that may have a theme (the labels decide):
#: the second set's topic words and a few more of work and colleagues.
_TOPIC = re.compile(
    eval_pool_v2._THEME_WORDS.pattern + r"|\b(tasks?|projects?|colleagues?|co-?workers?|peers?|feedback|meetings?|"
    r"lead\w*|reliab\w*|organi[sz]\w*|accountab\w*|support\w*|document\w*|releas\w*|bugs?|late|punctual\w*|"
    r"clients?|workload|priorit\w*|estimat\w*|refactor\w*|maintain\w*|readab\w*)\b",
    re.I,
)
_MARKUP = re.compile(r"#{2,}|\[[ xX]\]|\*\*|@\w")

#: How many items each draw gives, in this order (an earlier draw takes a text, a comment or a review's place first).
DRAWS = {
    "perf-topic-words": 45,  # review sentences with a topic word (every one left)
    "heated-topic-words": 90,  # pull-request thread sentences with a topic word
    "prcomment-topic-words": 15,  # PRemo sentences with a topic word (few are left)
    "perf-random": 45,
    "heated-random": 60,
    "prcomment-random": 45,
}
#: At most this many items from one review (``perf``) or one comment (the others).
PER_ROW = {"perf": 2, "heated": 1, "prcomment": 1}


def row_of(source: str, ref: str) -> str:
    """The review or comment an item comes from (``ref`` without its sentence index)."""
    return ref.split("#")[0]


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def other_pool_paths() -> list[Path]:
    """Every other pool: ``eval/*_pool.csv`` (v1, v2, v3, development, evidence) and the third development pool."""
    pools = [path for path in sorted(EVAL_DIR.glob("*_pool.csv")) if path.name != f"{NAME}_pool.csv"]
    return pools + [dev_pool3.pool_path(task) for task in dev_pool3.TASKS]


def used_refs() -> set[tuple[str, str]]:
    """``(source, ref)`` of every item of another pool and of every review sentence a training or development file
    labels (files without a ``source`` column hold review sentences)."""
    refs = {(row["source"], row["ref"]) for path in other_pool_paths() for row in _csv(path)}
    for name in REVIEW_FILES:
        refs |= {(row.get("source", "perf"), row["ref"]) for row in _csv(NLP_DIR / name)}
    return refs


def training_reviews() -> set[str]:
    """Reviews that a training or development file (:data:`REVIEW_FILES`) draws a sentence from."""
    return {row_of("perf", row["ref"]) for name in REVIEW_FILES for row in _csv(NLP_DIR / name)
            if row.get("source", "perf") == "perf"}


def _resolver(pool: Path):  # type: ignore[no-untyped-def]
    name = pool.name.removesuffix("_pool.csv")
    if name.startswith("dev3_"):
        return dev_pool3.resolve
    if name == "evidence":
        return lambda source, ref: evidence_pool.resolve(source, ref)
    if name.endswith("_v3"):
        return eval_pool_v3.resolve
    if name.endswith("_v2"):
        return eval_pool_v2.resolve
    return lambda source, ref: (eval_pool_v2.resolve(source, ref) if source == "incivility"
                                else eval_pool.resolve(source, ref))


def used_texts() -> set[str]:
    """Normalised texts of every item of every other pool, every review sentence a training or development file
    labels, every text-bearing training file, every statement the narrative model trains on, the senti4sd sentences
    the narrative work labelled, and (supersets)
    every row of the shared ToxiCR half, every incivility sentence and every change-log entry read before."""
    texts: set[str] = set()
    for pool in other_pool_paths():
        resolve = _resolver(pool)
        texts |= {normalise(resolve(row["source"], row["ref"])) for row in _csv(pool)}
    for name in REVIEW_FILES:
        texts |= {normalise(eval_pool.resolve("perf", row["ref"])) for row in _csv(NLP_DIR / name)
                  if row.get("source", "perf") == "perf"}
    for path in TEXT_FILES:
        texts |= {normalise(row["text"]) for row in _csv(path)}
    texts |= {normalise(text) for text in forum_sentences()}
    texts |= {normalise(text) for text in narrative_training_texts()}
    texts |= {normalise(row["text"]) for row in _csv(DATA_DIR / "toxicr_dev" / "toxicr_dev.csv")}
    texts |= {normalise(item.text) for item, _kind in eval_pool_v2.incivility_rows()}
    for entries in (eval_pool.changelog_entries(), eval_pool_v2.changelog_entries(), dev_pool3.changelog_entries(),
                    eval_pool_v3.changelog_entries()):
        texts |= {normalise(item.text) for item in entries}
    texts.discard("")
    return texts


def narrative_training_texts() -> list[str]:
    """Every statement the narrative model trains on (``train_narrative.load_examples``: review sentences, the team's
    statements, fixtures, code-review comment sentences, development rows), which ``narrative_sources.py`` reads."""
    sys.path.insert(0, str(ROOT / "src"))
    import train_narrative

    return [example.text for example in train_narrative.load_examples()]


def forum_sentences() -> list[str]:
    """The Senti4SD sentences of ``narrative_train/senti4sd_judging_labels.csv`` (``narrative_sources.py``)."""
    sys.path.insert(0, str(ROOT / "src"))
    from brightline.core.narrative.sentences import split_sentences

    posts = {row["id"]: row["text"] for row in _csv(DATA_DIR / "senti4sd" / "senti4sd_polarity.csv")}
    sentences = []
    for row in _csv(NLP_DIR / "narrative_train" / "senti4sd_judging_labels.csv"):
        post, index = row["ref"].split("#")
        sentences.append(split_sentences(posts[post])[int(index)].text.strip())
    return sentences


# ---- candidates ----------------------------------------------------------------------------------------------------

def perf_candidates(refs: set[tuple[str, str]]) -> list[PoolItem]:
    """Review sentences no pool or training file uses, from reviews no training or development file draws from."""
    reviews = training_reviews()
    return [item for item in eval_pool.perf_sentences()
            if ("perf", item.ref) not in refs and row_of("perf", item.ref) not in reviews]


def heated_candidates(refs: set[tuple[str, str]]) -> list[PoolItem]:
    """Pull-request thread sentences of comments no other pool draws from."""
    rows = {(source, row_of(source, ref)) for source, ref in refs}
    return [item for item, _thread in eval_pool_v3.heated_items()
            if ("heated", row_of("heated", item.ref)) not in rows and not _MARKUP.search(item.text)]


def premo_candidates(refs: set[tuple[str, str]]) -> list[PoolItem]:
    """PRemo sentences of test-split rows (never psf/requests) no other pool draws from."""
    rows = {row_of(source, ref) for source, ref in refs if source == "prcomment"}
    return [item for item in dev_pool3.premo_sentences()
            if row_of("prcomment", item.ref) not in rows and eval_pool_v3._premo_test_split(row_of("", item.ref))
            and eval_pool_v3._usable(item.text) and not _MARKUP.search(item.text)]


# ---- the draw ------------------------------------------------------------------------------------------------------

class _Drawer:
    """Deterministic draws without a repeated or used text, a reference drawn twice, or more than
    :data:`PER_ROW` items of one review or comment."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.refs: set[tuple[str, str]] = set()
        self.rows: Counter[tuple[str, str]] = Counter()

    def draw(self, candidates: Iterable[PoolItem], count: int, salt: str) -> list[PoolItem]:
        kept: list[PoolItem] = []
        for item in sorted(candidates, key=lambda item: _key(salt + item.source + item.ref)):
            if len(kept) == count:
                break
            norm, row = normalise(item.text), (item.source, row_of(item.source, item.ref))
            if (norm in self.taken or (item.source, item.ref) in self.refs
                    or self.rows[row] >= PER_ROW[item.source]):
                continue
            self.taken.add(norm)
            self.refs.add((item.source, item.ref))
            self.rows[row] += 1
            kept.append(item)
        return kept


def build() -> list[tuple[PoolItem, str]]:
    """The set as ``(item, picked)`` in labelling order, numbered."""
    refs = used_refs()
    candidates = {"perf": perf_candidates(refs), "heated": heated_candidates(refs),
                  "prcomment": premo_candidates(refs)}
    drawer = _Drawer(used_texts())
    chosen: list[tuple[PoolItem, str]] = []
    for picked, count in DRAWS.items():
        source, kind = picked.split("-", 1)
        pool = candidates[source]
        if kind == "topic-words":
            pool = [item for item in pool if _TOPIC.search(item.text)]
        chosen += [(item, picked) for item in drawer.draw(pool, count, f"thv3-{picked}")]
    shuffled = sorted(chosen, key=lambda pair: _key(NAME + pair[0].source + pair[0].ref))
    return [(PoolItem(f"{ID_PREFIX}-{index:03d}", item.source, item.ref, item.text), picked)
            for index, (item, picked) in enumerate(shuffled, 1)]


def resolve(source: str, ref: str) -> str:
    """The text of one item, read back from the shared data folder or the clone."""
    if source == "perf":
        return eval_pool.resolve(source, ref)
    if source in ("heated", "prcomment"):
        return eval_pool_v3.resolve(source, ref)
    raise ValueError(f"unknown source {source!r}")


def available() -> str | None:
    """Why the set cannot be rebuilt here, or ``None``."""
    return eval_pool_v3.available() or (None if (DATA_DIR / "senti4sd").is_dir() else f"{DATA_DIR} has no senti4sd/")


def pool_path() -> Path:
    return EVAL_DIR / f"{NAME}_pool.csv"


def labels_path() -> Path:
    return EVAL_DIR / f"{NAME}_labels.csv"


def load_pool() -> list[dict[str, str]]:
    return _csv(pool_path())


def load_labelled() -> list[tuple[str, str, str, str]]:
    """``(item_id, text, label, source)`` for every item of ``eval/themes_v3_labels.csv``."""
    return [(row["item_id"], resolve(row["source"], row["ref"]), row["label"], row["source"])
            for row in _csv(labels_path())]


def definition() -> str:
    """The guide's themes task, word for word, with the allowed labels and the output format."""
    guide = dev_pool3.GUIDE.read_text(encoding="utf-8")
    section = guide[guide.index("## Task 3: themes"):]
    section = section[:section.index("\n## ", 1)].rstrip()
    return (
        "# Labelling: themes\n\nLabel every row of `items.csv` (columns `id,text`) on your own, from this definition "
        "alone (copied from the project's labelling guide). Read each text on its own; judge only what the words say. "
        "Do not look up where a text came from, and do not look at any software that checks text. Work alone: do not "
        "compare labels with anyone.\n\n"
        f"{section}\n\n## Output\n\nWrite `labels_<your letter>.csv` with the header `id,label,note` (note may be "
        "empty) and one row per input row, in the input's order. Allowed labels: one or more of the topics above "
        f"({', '.join(f'`{theme}`' for theme in THEMES)}) separated by `;`, or `none`.\n"
    )


def export(folder: Path, items: list[tuple[PoolItem, str]]) -> None:
    """``<folder>/items.csv`` (``id,text``, in the set's shuffled order) and ``<folder>/DEFINITION.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "items.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([["id", "text"],
                                                          *([item.item_id, item.text] for item, _ in items)])
    (folder / "DEFINITION.md").write_text(definition(), encoding="utf-8")


# ---- labels: agreement, disagreements, the settled file ------------------------------------------------------------

def read_labels(path: Path) -> dict[str, str]:
    """``id: themes`` of one labeller's file (``id`` or ``item_id``; ``label`` or ``themes``), themes sorted and
    ``;``-separated, or ``none``."""
    rows = _csv(path)
    key = "item_id" if rows and "item_id" in rows[0] else "id"
    column = "label" if rows and "label" in rows[0] else "themes"
    return {row[key].strip(): eval_pool_v2.normalise("themes_v2", row[column] or "") for row in rows}


def valid(label: str) -> bool:
    """A normalised answer: themes of the guide (``none`` beside a theme is dropped when reading), or ``none``."""
    return set(label.split(";")) <= {*THEMES, "none"}


def agreement(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """Items, items with the same themes, Cohen's kappa of any theme against none and per theme (with each labeller's
    uses), and each labeller's theme counts."""
    result: dict[str, object] = {"items": len(pairs), "same": sum(a == b for a, b in pairs)}
    result.update(eval_pool_v2.theme_agreement(pairs))
    result["counts"] = {letter: dict(Counter(theme for pair in pairs for theme in pair[index].split(";")))
                        for index, letter in enumerate("ab")}
    return result


def labels_command(folder: Path, out: Path | None = None) -> int:
    """Print the agreement and the disagreements; with ``labels_c.csv``, write ``eval/themes_v3_labels.csv``."""
    readable = available() is None
    rows = eval_pool_v3.two_labellers(
        load_pool(), folder, out or labels_path(), read=read_labels, valid=valid, summary=agreement,
        text=lambda row: resolve(row["source"], row["ref"]) if readable else "(text not readable here)")
    if rows is not None:
        counts = Counter(theme for row in rows for theme in row[4].split(";"))
        print(f"{NAME}: {len(rows)} items, {sum(row[5] != row[6] for row in rows)} settled; {dict(counts)}")
    return 0


def _draws(items: Iterator[tuple[PoolItem, str]] | list[tuple[PoolItem, str]]) -> dict[str, int]:
    return dict(Counter(picked for _, picked in items))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write eval/themes_v3_pool.csv (references only)")
    exporting = sub.add_parser("export", help="write <folder>/items.csv and DEFINITION.md for labelling")
    exporting.add_argument("folder", type=Path)
    labels = sub.add_parser("labels", help="agreement and disagreements; with labels_c.csv, eval/themes_v3_labels.csv")
    labels.add_argument("folder", type=Path, help="the folder holding labels_a.csv and labels_b.csv")
    args = parser.parse_args(argv)
    if args.command == "labels":
        return labels_command(args.folder)
    reason = available()
    if reason:
        raise SystemExit(f"the set reads the shared data folder and the clones ({MIRROR_DIR}): {reason}")
    items = build()
    if args.command == "export":
        export(args.folder, items)
        print(f"{NAME}: {len(items)} items written to {args.folder}")
        return 0
    eval_pool_v2.write_pool(pool_path(), items)
    print(f"{NAME}: {len(items)} items", _draws(items))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
