"""Third independent evaluation sets (v3) for the tone check and the narrative checks (issue 16, 2026-12-07).

The second sets (``eval_pool_v2.py``) have been scored by several candidates since they were fixed, so these are
drawn from public text that no pool in ``eval/``, no development pool and no training file has used, and labelled
before anything is scored on them. Nobody on the Brightline team wrote any of it:

* ``strudel``: GitHub issue comments labelled toxic or not by the CMU STRUDEL group (Raman, Cao, Kästner, Tsvetkov
  and Vasilescu, "Stress and burnout in open source", ICSE NIER 2020, and the group's later labelled comment
  file), in the group's replication package as kept in
  ``sophieball/toxicity-detector`` (MIT, © 2020 STRUDEL): ``data/training/train_comments.csv`` and
  ``src/data/both_t_data.csv``. That copy has no code-review data (ToxiCR is never read here);
* ``heated``: comments of GitHub pull-request threads the package marks as too heated (``thread_label``) and of
  threads matched to them by length, from the same package (``src/data/too_heated_prs_matched_by_length.csv``),
  split into sentences;
* ``changelog``: change-log entries of pallets/werkzeug (BSD-3-Clause), pallets/jinja (BSD-3-Clause) and
  encode/starlette (BSD-3-Clause), projects no other pool or training file reads, references removed;
* ``phrase``: the performance-review phrases of ``maciekChmura/CS50-feedback-generator`` (``src/data.js``; no
  licence stated in the repository, so the texts are only read from the clone, never copied), generic sentences a
  reviewer may paste for 13 competencies and five rating levels, with the generator's name placeholder read as
  "Alex" (or "Alex's" before a noun) and its pronoun placeholder as "their" (or "they" before a verb);
* ``prcomment``: sentences of PRemo pull-request comments (Coutinho et al. 2025, MIT,
  ``../shared/data/premo_pr_emotions/``) of the rows the sentiment model never trains on (its test split), never
  of psf/requests, never a row the third development pool (``dev_pool3.py``) drew from.

The data sets' own labels (toxic or not, too-heated thread or not) and simple word patterns only decide which items are
drawn, so that the small classes (personal attacks, vague praise) are large enough; the ``picked`` column says which
draw an item came from. The labels that count are the two labellers'. No item shares a text (lower-cased, runs of
punctuation and spaces made one space) with any text an earlier pool, development pool or training file reads.

``python tools/nlp/eval_pool_v3.py build`` writes ``eval/<set>_pool.csv`` (references only); ``… export DIR`` writes
``DIR/<task>/items.csv`` (``id,text``, shuffled, no source) and ``DIR/<task>/DEFINITION.md`` (the guide's task
word for word). ``… labels TASK DIR`` reads ``DIR/<task>/labels_a.csv`` and ``labels_b.csv``, prints the agreement
and the disagreements, and once ``DIR/<task>/labels_c.csv`` (a third labeller, the disagreements only) settles
them, writes ``eval/<set>_labels.csv``.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dev_pool3  # noqa: E402
import eval_pool  # noqa: E402
import eval_pool_v2  # noqa: E402
import evidence_pool  # noqa: E402
from eval_pool import DATA_DIR, EVAL_DIR, MIRROR_DIR, ROOT, PoolItem, _key  # noqa: E402

TASKS = {"tone": "tone_v3", "narrative": "narrative_v3"}
ID_PREFIX = {"tone_v3": "tone3", "narrative_v3": "narr3"}
NLP_DIR = Path(__file__).resolve().parent

STRUDEL = ("sophieball/toxicity-detector", "sophieball+toxicity-detector", "f41f1c9d2e27c78abe303b95229507c8b55f46dc")
STRUDEL_LICENCE = "MIT"
STRUDEL_LABELLED = ("data/training/train_comments.csv", "src/data/both_t_data.csv")
HEATED = "src/data/too_heated_prs_matched_by_length.csv"
PHRASES = ("maciekChmura/CS50-feedback-generator", "maciekChmura+CS50-feedback-generator",
           "7e7a120acf7bbc2c318327b3998a3f0ac604f857", "src/data.js")
CHANGELOGS = (  # (repository, mirror folder, commit, path, licence)
    ("pallets/werkzeug", "pallets+werkzeug", "1b00618e787f40dfb21eba29caf8f8be7c8e1d93", "CHANGES.rst", "BSD-3-Clause"),
    ("pallets/jinja", "pallets+jinja", "5ef70112a1ff19c05324ff889dd30405b1002044", "CHANGES.rst", "BSD-3-Clause"),
    ("encode/starlette", "encode+starlette", "cb8f84f5284dc301ca7a31eb732b9e140769dd48", "docs/release-notes.md",
     "BSD-3-Clause"),
)

# Drawing patterns: only to make the small classes larger; the labels say what each item is.
_PERSON = eval_pool_v2._PERSON
_INSULT = re.compile(
    r"\b(idiot\w*|stupid\w*|moron\w*|dumb|clueless|ignorant|ignorance|pathetic|ridiculous|arrogan\w*|troll\w*|"
    r"childish|rude|rudeness|entitled|lazy|incompetent|incompeten\w*|shut up|jerk|ass|asshole|selfish|toxic|"
    r"disrespectful|insult\w*|attitude|ego|delusional|hostile|condescending|clown|joke|liar|lying|bully\w*|"
    r"harass\w*|abusive|offensive|shame|shameful|disgrace\w*|pretend\w*|whin\w*|spoiled|kiddo|noob|amateur\w*|"
    r"useless|garbage|trash|crap\w*|bullshit|fuck\w*|shit\w*|damn\w*|sucks?|get lost|grow up)\b",
    re.I,
)
_PROFANE = re.compile(r"\b(fuck\w*|shit\w*|damn\w*|crap\w*|wtf|hell|ass|bullshit|sucks?|piss\w*|bloody|freaking)\b",
                      re.I)
_CRITIQUE = eval_pool._CRITIQUE_WORDS
_GENERAL_CHANGE = dev_pool3._GENERAL_CHANGE
_JUDGING = dev_pool3._JUDGING
#: A judgement of someone's work or of a person in a comment ("great job", "thanks for the hard work", "you have
#: been very helpful"): a praise or judgement word together with a word for a person or a piece of work.
_WORK_JUDGEMENT = re.compile(
    r"\b(great|nice|awesome|excellent|good|amazing|impressive|fantastic|brilliant|wonderful|perfect|huge|"
    r"significant|valuable|invaluable|helpful|thorough|careful|sloppy|messy|poor|hard work|effort|kudos|"
    r"well done|appreciate\w*|incredible|outstanding|solid|stellar)\b", re.I)
_WORK_SUBJECT = re.compile(
    r"\b(you|your|you're|he|she|his|her|they|their|work|job|contribution\w*|effort\w*|patch\w*|PR|pull request|"
    r"change\w*|improvement\w*|fix\w*|team|feature|implementation|refactor\w*|docs|documentation)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z@\"'])")

#: How many items each draw gives (tone draws in this order; an earlier draw takes a comment first).
TONE_DRAWS = {
    "strudel-toxic-person": 70,  # comments labelled toxic that refer to a person
    "heated-person-insult": 57,  # sentences of too-heated threads with a person word and an insult word
    "strudel-toxic-other": 15,  # comments labelled toxic that refer to no person
    "profane": 15,  # sentences with a swear word and no person, in threads or comments not labelled toxic
    "strudel-critique": 30,  # sentences of comments labelled not toxic with a critique word
    "heated-critique": 30,  # sentences of heated threads with a critique word and no insult word
    "strudel-other": 25,  # sentences of comments labelled not toxic, at random
    "heated-other": 20,  # sentences of heated threads, at random
}
NARRATIVE_CHANGELOG_DRAWS = {"general-word": 10, "other": 30}  # per project
NARRATIVE_DRAWS = {
    "review-phrase": 60,  # generic performance-review phrases
    "pr-thread-judging": 30,  # pull-request thread sentences judging work or a person (praise word), no insult
    "issue-judging": 25,  # issue-comment sentences not labelled toxic judging work or a person, no insult
    "prcomment-other": 15,  # PRemo sentences at random
}


def normalise(text: str) -> str:
    """The form in which two texts count as the same: lower case, punctuation and spaces made one space."""
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def _git_show(folder: str, commit: str, path: str) -> str:
    return eval_pool_v2._git_show(folder, commit, path)


def _clean_comment(text: str) -> str:
    """A comment as one line: HTML entities decoded, quoted lines, code blocks and tables dropped."""
    text = html.unescape(text)
    text = re.sub(r"```.*?(```|$)", " ", text, flags=re.S)
    lines = [line for line in text.splitlines()
             if not line.lstrip().startswith((">", "|", "[![", "<!--", "    ")) and line.strip()]
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def _usable(text: str) -> bool:
    words = re.findall(r"[A-Za-z']+", text)
    return (20 <= len(text) <= 400 and len(words) >= 4 and "http" not in text and "`" not in text
            and sum(len(word) for word in words) >= 0.6 * len(text.replace(" ", "")))


def _units(comment_id: str, text: str, whole: bool) -> list[PoolItem]:
    """Candidate items of one comment: the whole comment when ``whole`` and it is short enough, else its sentences
    (ref ``<comment>#<n>``)."""
    source = "strudel" if whole else "heated"
    clean = _clean_comment(text)
    if whole and _usable(clean):
        return [PoolItem("", source, comment_id, clean)]
    units = []
    for index, sentence in enumerate(_SENTENCE.split(clean)):
        sentence = sentence.strip()
        if _usable(sentence) and not sentence.startswith("@friend wrote"):
            units.append(PoolItem("", source, f"{comment_id}#{index}", sentence))
    return units


def _csv_rows(folder: str, commit: str, path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_git_show(folder, commit, path))))


def strudel_comments() -> dict[str, tuple[str, str]]:
    """``comment id: (text, label)`` of the labelled issue comments, ``label`` being ``toxic``, ``not-toxic`` or
    ``unlabelled`` (a comment of the larger file that the group did not label)."""
    _, folder, commit = STRUDEL
    comments: dict[str, tuple[str, str]] = {}
    for row in _csv_rows(folder, commit, STRUDEL_LABELLED[0]):
        comments[row["_id"]] = (row["text"], "toxic" if row["toxicity"] == "y" else "not-toxic")
    for row in _csv_rows(folder, commit, STRUDEL_LABELLED[1]):
        label = {"True": "toxic", "False": "not-toxic"}.get(row["label"], "unlabelled")
        if row["_id"] not in comments or comments[row["_id"]][1] == "unlabelled":
            comments[row["_id"]] = (row["text"], label)
    return comments


def heated_comments() -> dict[str, tuple[str, str]]:
    """``comment id: (text, thread)`` of the pull-request comments, ``thread`` being ``too-heated`` (a thread
    the package marks as too heated) or ``matched`` (a thread matched to one by length)."""
    _, folder, commit = STRUDEL
    return {row["_id"]: (row["text"], "too-heated" if row["thread_label"] == "True" else "matched")
            for row in _csv_rows(folder, commit, HEATED)}


def strudel_items() -> Iterator[tuple[PoolItem, str]]:
    """``(item, label)`` for every candidate unit of the labelled issue comments."""
    for comment_id, (text, label) in strudel_comments().items():
        for item in _units(comment_id, text, whole=True):
            yield item, label


def heated_items() -> Iterator[tuple[PoolItem, str]]:
    for comment_id, (text, thread) in heated_comments().items():
        for item in _units(comment_id, text, whole=False):
            yield item, thread


def _clean_entry(text: str) -> str:
    text = re.sub(r"\s*\[#\d+\]\([^)]*\)", "", text)  # starlette: pull-request links
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # other Markdown links: keep the shown text
    text = re.sub(r"\s*\(?(:(issue|pr|ghsa|user):`[^`]*`(,\s*)?)+\)?", "", text)
    text = re.sub(r":[a-z]+:`([^`<]*?)\s*(<[^>]*>)?`", r"\1", text)
    text = text.replace("``", "`")
    text = re.sub(r"\s*\(\s*\)", "", text)
    return re.sub(r"\s+", " ", text).strip(" ,:")


def changelog_entries() -> Iterator[PoolItem]:
    """Every bulleted entry of 30 to 300 characters of the three change logs, references removed."""
    for name, folder, commit, path, _licence in CHANGELOGS:
        for line, paragraph in eval_pool_v2.bulleted_paragraphs(_git_show(folder, commit, path), stop_at_nested=True):
            entry = _clean_entry(re.sub(r"^\s+", "", paragraph))
            if 30 <= len(entry) <= 300:
                yield PoolItem("", "changelog", f"{name}@{commit[:12]}:{path}:{line}", entry)


def review_phrases() -> Iterator[PoolItem]:
    """Every phrase of the generator's list (ref ``<path>:<line>``), placeholders filled in."""
    _, folder, commit, path = PHRASES
    repo = MIRROR_DIR / folder / "repo"
    if not repo.is_dir():  # this clone was fetched as a bare folder
        repo = MIRROR_DIR / folder / "repo" / ".git"
    text = eval_pool.subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True,
                                    check=True).stdout.decode("utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r'^\s+"(.+)",?\s*$', line)
        if match and not line.rstrip().endswith(("{", "[")):
            phrase = re.sub(r"_name_ (?=(accuracy|error|managers|required)\b)", "Alex's ", match.group(1))
            phrase = re.sub(r"_gender_ (?=(could|can|is|has|does|will|was|should|would)\b)", "they ", phrase)
            phrase = phrase.replace("_name_", "Alex").replace("_gender_", "their").replace('\\"', '"')
            yield PoolItem("", "phrase", f"{path}:{number}", re.sub(r"\s+", " ", phrase).strip())


def _premo_test_split(comment_id: str) -> bool:
    sys.path.insert(0, str(ROOT / "src"))
    from brightline.core.nlp.splits import premo_split

    return premo_split(comment_id) == "test"


def premo_items() -> list[PoolItem]:
    """PRemo sentences (``dev_pool3``'s splitting, never psf/requests) of test-split rows no dev3 item comes from."""
    used_rows = set()
    for task in dev_pool3.TASKS:
        used_rows |= {row["ref"].split("#")[0] for row in dev_pool3.load_pool(task) if row["source"] == "prcomment"}
    return [item for item in dev_pool3.premo_sentences()
            if item.ref.split("#")[0] not in used_rows and _premo_test_split(item.ref.split("#")[0])]


# ---- what the new items must not share: every text an earlier pool, development pool or training file reads ----

def _pool_texts(path: Path, resolvers: dict[str, object]) -> Iterator[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            resolve = resolvers[row["source"]]
            yield resolve(row["source"], row["ref"])  # type: ignore[operator]


def used_texts() -> set[str]:
    """Normalised texts of every item of every other pool in ``eval/`` and ``narrative_train/``, of the tone
    development sources, of the text-bearing training files, and (a superset) of every row of the shared
    ToxiCR half, every incivility sentence, every review sentence and every entry of a change log used before."""
    texts: set[str] = set()
    v1, v2, dev3 = eval_pool.resolve, eval_pool_v2.resolve, dev_pool3.resolve
    resolvers = {"toxicr": v1, "perf": v1, "incivility": v2}
    for pool in sorted(EVAL_DIR.glob("*_pool.csv")):
        name = pool.name.removesuffix("_pool.csv")
        if name.endswith("_v3"):
            continue
        source_resolvers: dict[str, object] = dict(resolvers)
        source_resolvers["changelog"] = v2 if name.endswith("_v2") else v1
        if name == "evidence":
            source_resolvers = {"perf": v1, "changelog": evidence_pool.resolve, "commit": evidence_pool.resolve}
        texts |= {normalise(text) for text in _pool_texts(pool, source_resolvers)}
    for task in dev_pool3.TASKS:
        texts |= {normalise(text) for text in _pool_texts(dev_pool3.pool_path(task), {
            "perf": dev3, "changelog": dev3, "prcomment": dev3})}
    with open(DATA_DIR / "toxicr_dev" / "toxicr_dev.csv", newline="", encoding="utf-8") as handle:
        texts |= {normalise(row["text"]) for row in csv.DictReader(handle)}
    texts |= {normalise(item.text) for item, _kind in eval_pool_v2.incivility_rows()}
    texts |= {normalise(item.text) for item in eval_pool.perf_sentences()}
    for entries in (eval_pool.changelog_entries(), eval_pool_v2.changelog_entries(), dev_pool3.changelog_entries()):
        texts |= {normalise(item.text) for item in entries}
    for name in ("narrative_train/statements.csv", "narrative_train/review_statements.csv",
                 "dev_data/tone_synthetic.csv"):
        with open(NLP_DIR / name, newline="", encoding="utf-8") as handle:
            texts |= {normalise(row["text"]) for row in csv.DictReader(handle)}
    texts.discard("")
    return texts


# ---- the draw ----------------------------------------------------------------------------------------------------

def _order(items: Iterable[PoolItem], salt: str) -> list[PoolItem]:
    return sorted(items, key=lambda item: _key(salt + item.source + item.ref))


class _Drawer:
    """Deterministic draws without a repeated text, a used text or two items of one comment."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.comments: set[tuple[str, str]] = set()

    def draw(self, candidates: Iterable[PoolItem], count: int, salt: str) -> list[PoolItem]:
        kept: list[PoolItem] = []
        for item in _order(candidates, salt):
            if len(kept) == count:
                break
            norm, comment = normalise(item.text), (item.source, item.ref.split("#")[0])
            if norm in self.taken or comment in self.comments:
                continue
            self.taken.add(norm)
            self.comments.add(comment)
            kept.append(item)
        return kept


def _number(name: str, items: list[tuple[PoolItem, str]]) -> list[tuple[PoolItem, str]]:
    shuffled = sorted(items, key=lambda pair: _key(name + pair[0].source + pair[0].ref))
    return [(PoolItem(f"{ID_PREFIX[name]}-{index:03d}", item.source, item.ref, item.text), picked)
            for index, (item, picked) in enumerate(shuffled, 1)]


def build() -> dict[str, list[tuple[PoolItem, str]]]:
    """Both v3 sets as ``(item, picked)`` in labelling order, numbered."""
    drawer = _Drawer(used_texts())
    strudel = list(strudel_items())
    heated = list(heated_items())
    toxic = [item for item, label in strudel if label == "toxic"
             and ("#" not in item.ref or _INSULT.search(item.text))]  # a long comment: a sentence with an insult
    calm = [item for item, label in strudel if label == "not-toxic"]
    hot = [item for item, thread in heated if thread == "too-heated"]
    groups = {
        "strudel-toxic-person": [item for item in toxic if _PERSON.search(item.text)],
        "heated-person-insult": [item for item in hot if _PERSON.search(item.text) and _INSULT.search(item.text)],
        "strudel-toxic-other": [item for item in toxic if not _PERSON.search(item.text)],
        "profane": [item for item in calm + [item for item, _ in heated]
                    if _PROFANE.search(item.text) and not _PERSON.search(item.text)],
        "strudel-critique": [item for item in calm if _CRITIQUE.search(item.text) and not _PROFANE.search(item.text)],
        "heated-critique": [item for item in hot if _CRITIQUE.search(item.text) and not _INSULT.search(item.text)],
        "strudel-other": calm,
        "heated-other": [item for item, _ in heated],
    }
    tone = [(item, group) for group, count in TONE_DRAWS.items()
            for item in drawer.draw(groups[group], count, f"tv3-{group}")]

    narrative: list[tuple[PoolItem, str]] = []
    entries = list(changelog_entries())
    for name, *_ in CHANGELOGS:
        mine = [item for item in entries if item.ref.startswith(name + "@")]
        general = [item for item in mine if _GENERAL_CHANGE.search(item.text)]
        narrative += [(item, "changelog-general-word") for item in
                      drawer.draw(general, NARRATIVE_CHANGELOG_DRAWS["general-word"], "nv3-g-" + name)]
        narrative += [(item, "changelog-other") for item in
                      drawer.draw(mine, NARRATIVE_CHANGELOG_DRAWS["other"], "nv3-c-" + name)]
    premo = premo_items()
    judging = [item for item, _ in strudel + heated
               if _WORK_JUDGEMENT.search(item.text) and _WORK_SUBJECT.search(item.text) and len(item.text) <= 250
               and not _INSULT.search(item.text) and not _PROFANE.search(item.text)]
    narrative_groups = {
        "review-phrase": list(review_phrases()),
        "pr-thread-judging": [item for item in judging if item.source == "heated"],
        "issue-judging": [item for item, label in strudel if label != "toxic" and item in judging],
        "prcomment-other": premo,
    }
    for group, count in NARRATIVE_DRAWS.items():
        narrative += [(item, group) for item in drawer.draw(narrative_groups[group], count, f"nv3-{group}")]
    return {"tone_v3": _number("tone_v3", tone), "narrative_v3": _number("narrative_v3", narrative)}


_CACHE: dict[str, dict[str, str]] = {}


def resolve(source: str, ref: str) -> str:
    """The text of one v3 item, read back from the clones and the shared data folder."""
    if source not in _CACHE:
        if source == "strudel":
            _CACHE[source] = {item.ref: item.text for item, _ in strudel_items()}
        elif source == "heated":
            _CACHE[source] = {item.ref: item.text for item, _ in heated_items()}
        elif source == "changelog":
            _CACHE[source] = {item.ref: item.text for item in changelog_entries()}
        elif source == "phrase":
            _CACHE[source] = {item.ref: item.text for item in review_phrases()}
        elif source == "prcomment":
            _CACHE[source] = {item.ref: item.text for item in dev_pool3.premo_sentences()}
        else:
            raise ValueError(f"unknown source {source!r}")
    return _CACHE[source][ref]


def load_labelled(name: str) -> list[tuple[str, str, str, str]]:
    """``(item_id, text, label, source)`` for every item of ``eval/<name>_labels.csv`` (a v3 set)."""
    with open(EVAL_DIR / f"{name}_labels.csv", newline="", encoding="utf-8") as handle:
        return [(row["item_id"], resolve(row["source"], row["ref"]), row["label"], row["source"])
                for row in csv.DictReader(handle)]


def available() -> str | None:
    """Why the pools cannot be rebuilt here, or ``None``."""
    if not (DATA_DIR / "toxicr_dev").is_dir():
        return f"{DATA_DIR} has no toxicr_dev/"
    folders = [STRUDEL[1], PHRASES[1], *(folder for _, folder, *_ in CHANGELOGS), eval_pool_v2.INCIVILITY[1],
               *(folder for _, folder, *_ in eval_pool_v2.CHANGELOGS),
               *(folder for _, folder, *_ in dev_pool3.CHANGELOGS)]
    missing = [folder for folder in folders if not (MIRROR_DIR / folder / "repo").is_dir()]
    return f"no clone of {', '.join(missing)} in {MIRROR_DIR}" if missing else None


def pool_path(name: str) -> Path:
    return EVAL_DIR / f"{name}_pool.csv"


def definition(task: str) -> str:
    """The task's section of the labelling guide, word for word, with the allowed labels and the output format."""
    guide = dev_pool3.GUIDE.read_text(encoding="utf-8")
    heading = {"tone": "## Task 1: tone", "narrative": "## Task 2: narrative"}[task]
    section = guide[guide.index(heading):]
    section = section[:section.index("\n## ", 1)].rstrip()
    labels = ("`attack`, `profane`, `critique` or `neutral`" if task == "tone"
              else "`specific`, `vague`, `character` or `other`")
    return (
        f"# Labelling: {task}\n\nLabel every row of `items.csv` (columns `id,text`) on your own, from this "
        "definition alone (copied from the project's labelling guide). Read each text on its own; judge only what "
        "the words say. Do not look up where a text came from, and do not look at any software that checks text. "
        "Work alone: do not compare labels with anyone.\n\n"
        f"{section}\n\n## Output\n\nWrite `labels_<your letter>.csv` with the header `id,label,note` (note may be "
        f"empty) and one row per input row, in the input's order. Allowed labels: {labels}, one per item.\n"
    )


# ---- labels: agreement, disagreements, the settled file -----------------------------------------------------------

LABELS = {"tone": ("attack", "profane", "critique", "neutral"),
          "narrative": ("specific", "vague", "character", "other")}


def read_labels(path: Path) -> dict[str, str]:
    """``id: label`` of one labeller's file (``id`` or ``item_id``, then ``label``; other columns ignored)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    key = "item_id" if rows and "item_id" in rows[0] else "id"
    return {row[key].strip(): (row["label"] or "").strip().lower() for row in rows}


def agreement(task: str, pairs: list[tuple[str, str]]) -> dict[str, object]:
    """Raw agreement, Cohen's kappa over the four labels and over the class that matters against the rest
    (tone: attack; narrative: weak = vague or character, and specific)."""
    kappa = eval_pool_v2.cohen_kappa
    result: dict[str, object] = {"items": len(pairs), "same": sum(a == b for a, b in pairs),
                                 "kappa": round(kappa(pairs), 3)}
    if task == "tone":
        result["attack_vs_rest_kappa"] = round(kappa([(str(a == "attack"), str(b == "attack")) for a, b in pairs]), 3)
    else:
        weak = {"vague", "character"}
        result["weak_vs_specific_kappa"] = round(kappa([(str(a in weak), str(b in weak)) for a, b in pairs
                                                        if {a, b} <= weak | {"specific"}]), 3)
        result["specific_vs_rest_kappa"] = round(kappa([(str(a == "specific"), str(b == "specific"))
                                                        for a, b in pairs]), 3)
    result["counts"] = {"a": dict(Counter(a for a, _ in pairs)), "b": dict(Counter(b for _, b in pairs))}
    return result


def two_labellers(pool: list[dict[str, str]], folder: Path, out: Path, *, read: Callable[[Path], dict[str, str]],
                  valid: Callable[[str], bool], summary: Callable[[list[tuple[str, str]]], dict[str, object]],
                  text: Callable[[dict[str, str]], str]) -> list[list[str]] | None:
    """The labels step of a pool: read ``folder/labels_a.csv`` and ``labels_b.csv`` (``read``), check every item has
    an allowed label, print ``summary`` of the label pairs and the disagreements (with ``text`` of each), and once
    ``folder/labels_c.csv`` settles every disagreement, write ``out`` (``item_id,source,ref,picked,label,label_1,
    label_2``) and return its rows; ``None`` while it is missing."""
    first, second = read(folder / "labels_a.csv"), read(folder / "labels_b.csv")
    missing = [row["item_id"] for row in pool if row["item_id"] not in first or row["item_id"] not in second]
    if missing:
        raise SystemExit(f"{len(missing)} items lack a label, e.g. {missing[:5]}")
    bad = [(item, label) for labels in (first, second) for item, label in labels.items() if not valid(label)]
    if bad:
        raise SystemExit(f"labels outside the definition: {bad[:5]}")
    pairs = [(first[row["item_id"]], second[row["item_id"]]) for row in pool]
    print(json.dumps(summary(pairs), indent=2))
    differ = [row for row, (a, b) in zip(pool, pairs, strict=True) if a != b]
    print(f"{len(differ)} items differ (id, a, b, text); a third labeller settles them in {folder / 'labels_c.csv'}")
    for row in differ:
        print(f"{row['item_id']}\t{first[row['item_id']]}\t{second[row['item_id']]}\t{text(row)}")
    settled_path = folder / "labels_c.csv"
    if not settled_path.is_file():
        print(f"no {settled_path} yet: {out.name} not written")
        return None
    settled = read(settled_path)
    unsettled = [row["item_id"] for row in differ if not valid(settled.get(row["item_id"], ""))]
    if unsettled:
        raise SystemExit(f"{len(unsettled)} disagreements have no allowed label in labels_c.csv, e.g. {unsettled[:5]}")
    rows = [[row["item_id"], row["source"], row["ref"], row["picked"], a if a == b else settled[row["item_id"]], a, b]
            for row, (a, b) in zip(pool, pairs, strict=True)]
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_id", "source", "ref", "picked", "label", "label_1", "label_2"])
        writer.writerows(rows)
    return rows


def labels_command(task: str, folder: Path, out_dir: Path = EVAL_DIR) -> int:
    """Print the agreement and the disagreements; with ``labels_c.csv``, write ``<out_dir>/<set>_labels.csv``."""
    name = TASKS[task]
    readable = available() is None
    rows = two_labellers(
        eval_pool_v2.load_pool(name), folder / task, out_dir / f"{name}_labels.csv", read=read_labels,
        valid=lambda label: label in LABELS[task], summary=lambda pairs: agreement(task, pairs),
        text=lambda row: resolve(row["source"], row["ref"]) if readable else "(text not readable here)")
    if rows is not None:
        settled = sum(row[5] != row[6] for row in rows)
        print(f"{name}: {len(rows)} items, {settled} settled; {dict(Counter(row[4] for row in rows))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write eval/<set>_pool.csv (references only)")
    exporting = sub.add_parser("export", help="write <folder>/<task>/items.csv and DEFINITION.md for labelling")
    exporting.add_argument("folder", type=Path)
    labels = sub.add_parser("labels", help="agreement and disagreements; with labels_c.csv, eval/<set>_labels.csv")
    labels.add_argument("task", choices=tuple(TASKS))
    labels.add_argument("folder", type=Path, help="the folder holding <task>/labels_a.csv and labels_b.csv")
    args = parser.parse_args(argv)
    if args.command == "labels":
        return labels_command(args.task, args.folder)
    reason = available()
    if reason:
        raise SystemExit(f"the pools read the shared data folder and the clones: {reason}")
    pools = build()
    if args.command == "export":
        export(args.folder, pools)
        return 0
    for name in TASKS.values():
        eval_pool_v2.write_pool(pool_path(name), pools[name])
        print(f"{name}: {len(pools[name])} items", dict(Counter(picked for _, picked in pools[name])))
    return 0


def export(folder: Path, pools: dict[str, list[tuple[PoolItem, str]]]) -> None:
    """``<folder>/<task>/items.csv`` (``id,text``, in the pool's shuffled order) and ``DEFINITION.md``."""
    for task, name in TASKS.items():
        target = folder / task
        target.mkdir(parents=True, exist_ok=True)
        rows = [["id", "text"], *([item.item_id, item.text] for item, _picked in pools[name])]
        with open(target / "items.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        (target / "DEFINITION.md").write_text(definition(task), encoding="utf-8")

if __name__ == "__main__":
    raise SystemExit(main())
