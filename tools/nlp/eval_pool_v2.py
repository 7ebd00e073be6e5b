"""Second independent evaluation sets (v2) for the tone check, the narrative checks and the themes.

The first sets (``eval_pool.py``: ``tone``, ``narrative``, ``themes``) were fixed on 2026-12-06 and every candidate
since has been measured on them; these are larger, drawn on 2026-12-07 and labelled before anything was scored or
tuned on them. They share no item with any other pool in ``eval/`` and no performance review with any model's
training or development rows. Public text nobody on the Brightline team wrote:

* ``toxicr``: ToxiCR code-review comments (Sarker, Bosu et al., TOSEM 2023; GPL-3.0), only rows of its *test* split
  in ``../shared/data/toxicr_dev/`` that neither the v1 ``tone`` pool nor ``tone_dev`` uses;
* ``incivility``: sentences of GitHub issue comments and Linux kernel mailing-list review e-mails labelled for
  incivility by Ferreira, Rafiq and Cheng ("Incivility detection in open source code review and issue discussions",
  JSS 2024; ``ferreira-isa/incivility_detection``, GPL-3.0), read from a local clone at a fixed commit;
* ``perf``: sentences of the crowd-written "Employee Review" texts (``../shared/data/perf_review_text/``) from
  reviews no training or development file uses, and never a sentence another pool uses;
* ``changelog``: change-log entries of psf/requests (Apache-2.0), pytest-dev/pytest (MIT) and python-attrs/attrs
  (MIT), projects no other pool, training or development set reads, at fixed commits.

The items were drawn by simple word patterns and the incivility data set's own labels (never the product's checks,
models or seed phrases), so that the small classes are large enough; the ``picked`` column of each pool says which
draw an item came from, so figures can be given per draw. The repository keeps only references; :func:`resolve`
reads the texts back.

``python tools/nlp/eval_pool_v2.py build`` writes ``eval/<set>_pool.csv``; ``… export DIR`` writes
``DIR/<set>/items.csv`` (``id,text``, no source) for labelling.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_pool  # noqa: E402
from eval_pool import DATA_DIR, EVAL_DIR, MIRROR_DIR, PoolItem, _key, _sample, perf_sentences  # noqa: E402

SETS = ("tone_v2", "narrative_v2", "themes_v2")
#: Every pool this module writes (the contradiction set may share sentences with the others).
V2_POOLS = (*SETS, "contradictions_v2")
ID_PREFIX = {"tone_v2": "tone2", "narrative_v2": "narr2", "themes_v2": "them2"}
TRAIN_DIR = Path(__file__).resolve().parent

INCIVILITY = ("ferreira-isa/incivility_detection", "ferreira-isa+incivility_detection",
              "fc21471ef98b6eca59aab22a23b168ec608489b7")
INCIVILITY_FILES = {  # ref prefix: path in the repository
    "gh-uncivil": "data/classical_ml_models/gh/3_features_dataset/uncivil.csv",
    "gh-civil": "data/classical_ml_models/gh/3_features_dataset/civil.csv",
    "lkml-uncivil": "data/classical_ml_models/lkml/3_features_dataset/uncivil.csv",
    "lkml-civil": "data/classical_ml_models/lkml/3_features_dataset/civil.csv",
}
CHANGELOGS = (  # (repository, mirror folder, commit, path, licence)
    ("psf/requests", "psf+requests", "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e", "HISTORY.md", "Apache-2.0"),
    ("pytest-dev/pytest", "pytest-dev+pytest", "df87db7b0462fb764ef73fa00561adf8ad047572", "doc/en/changelog.rst",
     "MIT"),
    ("python-attrs/attrs", "python-attrs+attrs", "c1dc5dcba16ed827aa6dcad896b41a3afedb4e32", "CHANGELOG.md", "MIT"),
)
#: Files whose performance-review rows a model trains on or is developed with (the whole review is kept out).
TRAINING_FILES = (
    ("narrative_train/perf_labels.csv", None),
    ("narrative_train/perf_labels_more.csv", None),
    ("themes_train_labels.csv", "perf"),
    ("dev_data/tone_perf_dev_labels.csv", "perf"),
    ("eval/tone_dev_pool.csv", "perf"),
)

# Drawing patterns: only to make the small classes larger; the labels say what each item is.
_PERSON = re.compile(r"\b(you|your|you're|yourself|u|ur|he|she|his|her|him|they|guys|people|whoever)\b", re.I)
_JUDGEMENT = re.compile(
    r"\b(lazy|rude|careless|arrogant|attitude|incompetent|unprofessional|sloppy|negative|disrespectful|unreliable|"
    r"useless|poor|lacks?|lacking|never|fails?|failed|unwilling|difficult|complain\w*|excuses?|disorganized|"
    r"unmotivated|bad|worst|terrible|awful|weak|selfish|stubborn|hostile|toxic|gossip\w*)\b",
    re.I,
)
_CRITIQUE = eval_pool._CRITIQUE_WORDS
_CONCRETE = re.compile(
    r"\d|\b(report|reports|project|projects|presentation|launched|completed|delivered|organi[sz]ed|implemented|"
    r"trained|created|developed|designed|built|wrote|written|reduced|increased|saved|won|client|clients|customer|"
    r"customers|deadline|budget|sales|event|program|system|software|process|meeting|campaign|account|accounts)\b",
    re.I,
)
_THEME_WORDS = re.compile(
    r"\b(deliver\w*|deadline\w*|on time|schedule\w*|ship\w*|code|tests?|testing|quality|review\w*|incident\w*|"
    r"outage\w*|monitor\w*|on-call|team\w*|collaborat\w*|cooperat\w*|help\w*|communicat\w*|explain\w*|writ\w*|"
    r"present\w*|mentor\w*|coach\w*|teach\w*|train\w*|onboard\w*|responsib\w*|own\w*|initiative|follow\w* through|"
    r"technical|debug\w*|performance|expert\w*|design\w*|architect\w*|customer\w*|client\w*|user\w*)\b",
    re.I,
)

# How many items each draw gives.
TONE_DRAWS = {
    "incivility-person": 100,  # uncivil sentences labelled name calling or mocking that address a person
    "perf-judgement": 40,  # review sentences with a judgement word
    "toxicr-toxic-person": 25,  # ToxiCR toxic rows that address a person
    "toxicr-toxic-other": 25,
    "toxicr-critique": 70,  # ToxiCR non-toxic rows with a critique word
    "incivility-frustration": 15,  # uncivil sentences labelled bitter frustration or impatience
    "incivility-civil-critical": 15,  # civil sentences labelled dissatisfaction, commanding or expectation
    "toxicr-other": 25,
}
NARRATIVE_DRAWS = {"perf-concrete": 80, "perf-other": 100, "changelog": 40}  # changelog: per project
THEMES_DRAWS = {"perf-random": 200, "perf-topic-words": 100}


def _training_reviews() -> set[str]:
    reviews: set[str] = set()
    for name, source in TRAINING_FILES:
        with open(TRAIN_DIR / name, newline="", encoding="utf-8") as handle:
            reviews |= {row["ref"].split("#")[0] for row in csv.DictReader(handle)
                        if source is None or row.get("source") == source}
    return reviews


def _pooled_refs() -> set[tuple[str, str]]:
    """``(source, ref)`` of every item of every pool in ``eval/`` drawn before the v2 pools (the v3 pools, drawn
    later from what was left, would change the draw)."""
    refs: set[tuple[str, str]] = set()
    for pool in EVAL_DIR.glob("*_pool.csv"):
        name = pool.name.removesuffix("_pool.csv")
        if name in V2_POOLS or name.endswith("_v3"):
            continue
        with open(pool, newline="", encoding="utf-8") as handle:
            refs |= {(row["source"], row["ref"]) for row in csv.DictReader(handle)}
    return refs


def free_perf_sentences() -> list[PoolItem]:
    """Review sentences from reviews no model trains or is developed on, that no other pool uses, with a text
    that no such sentence has."""
    training = _training_reviews()
    pooled = {ref for source, ref in _pooled_refs() if source == "perf"}
    sentences = list(perf_sentences())
    taken = {item.text.strip().lower() for item in sentences
             if item.ref.split("#")[0] in training or item.ref in pooled}
    free, seen = [], set(taken)
    for item in sentences:
        norm = item.text.strip().lower()
        if item.ref.split("#")[0] in training or item.ref in pooled or norm in seen:
            continue
        seen.add(norm)
        free.append(item)
    return free


def _git_show(folder: str, commit: str, path: str) -> str:
    repo = MIRROR_DIR / folder / "repo"
    raw = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True, check=True).stdout
    return raw.decode("utf-8", errors="replace")


def incivility_rows() -> Iterator[tuple[PoolItem, str]]:
    """``(item, the data set's label)`` for every sentence of the four incivility files."""
    _, folder, commit = INCIVILITY
    for prefix, path in INCIVILITY_FILES.items():
        for row in csv.reader(_git_show(folder, commit, path).splitlines(keepends=True)):
            if not row or row[0] in ("", "Unnamed: 0") and row[1] in ("issue_id", "thread_id"):
                continue
            text = re.sub(r"\s+", " ", row[3]).strip()
            if 15 <= len(text) <= 400:
                yield PoolItem("", "incivility", f"{prefix}:{row[0]}", text), row[4]


def _clean_entry(text: str) -> str:
    text = re.sub(r"`#\d+ <[^>]*>`_:?\s*", "", text)  # pytest: leading issue link
    text = re.sub(r"\[#\d+\]\([^)]*\)(,\s*)?", "", text)  # attrs: issue links
    text = re.sub(r"\s*\((#\d+(,\s*)?)+\)", "", text)  # requests: (#1234)
    text = re.sub(r"\s*--\s*by :user:`[^`]*`\.?", "", text)  # pytest: credit
    text = re.sub(r":(issue|pull|user|pr):`[^`]*`", "", text)
    text = re.sub(r":[a-z]+:`([^`<]*?)\s*(<[^>]*>)?`", r"\1", text)  # other roles: keep the shown text
    text = re.sub(r"\\([\[\]_*])", r"\1", text)
    text = re.sub(r"\s*\(\s*\)", "", text)  # a reference list left empty
    return re.sub(r"\s+", " ", text).strip(" ,:")


def bulleted_paragraphs(text: str, *, stop_at_nested: bool = False) -> Iterator[tuple[int, str]]:
    """``(first line, text)`` of the first paragraph of every top-level bulleted entry of a change log, its lines
    joined (with ``stop_at_nested``, an indented bullet ends the entry)."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if re.match(r"^[-*]\s+\S", lines[index]):
            start = index
            parts = [lines[index][2:].strip()]
            index += 1
            while index < len(lines) and lines[index].startswith("  ") and lines[index].strip() and not (
                    stop_at_nested and re.match(r"^\s+[-*]\s", lines[index])):
                parts.append(lines[index].strip())
                index += 1
            yield start + 1, " ".join(parts)
        else:
            index += 1


def changelog_entries() -> Iterator[PoolItem]:
    """The first paragraph of every bulleted entry of the three change logs, references removed."""
    for name, folder, commit, path, _licence in CHANGELOGS:
        for line, paragraph in bulleted_paragraphs(_git_show(folder, commit, path)):
            entry = _clean_entry(paragraph)
            if 30 <= len(entry) <= 300 and not entry.startswith(("[Short description", "Special thanks")):
                yield PoolItem("", "changelog", f"{name}@{commit[:12]}:{path}:{line}", entry)


def _toxicr_free() -> list[dict[str, str]]:
    pooled = {ref for source, ref in _pooled_refs() if source == "toxicr"}
    return [row for row in eval_pool._toxicr_rows() if row["id"] not in pooled]


def _distinct(items: list[PoolItem], taken: set[str], count: int) -> list[PoolItem]:
    """The first ``count`` of ``items`` whose texts are not in ``taken`` yet (which grows)."""
    kept: list[PoolItem] = []
    for item in items:
        norm = item.text.strip().lower()
        if norm not in taken and len(kept) < count:
            taken.add(norm)
            kept.append(item)
    return kept


def build() -> dict[str, list[tuple[PoolItem, str]]]:
    """Every v2 set as ``(item, picked)`` in labelling order, numbered."""
    taken: set[str] = set()
    perf = free_perf_sentences()
    perf_used: set[str] = set()

    def draw(candidates: list[PoolItem], count: int, salt: str) -> list[PoolItem]:
        fresh = [item for item in candidates if item.ref not in perf_used]
        chosen = _distinct(_sample(fresh, len(fresh), salt), taken, count)
        perf_used.update(item.ref for item in chosen if item.source == "perf")
        return chosen

    toxicr = _toxicr_free()
    toxic = [PoolItem("", "toxicr", row["id"], row["text"].strip()) for row in toxicr if row["is_toxic"] == "1"]
    other = [PoolItem("", "toxicr", row["id"], row["text"].strip()) for row in toxicr if row["is_toxic"] == "0"]
    incivility = list(incivility_rows())
    by_label = lambda prefix, labels: [item for item, label in incivility  # noqa: E731
                                       if item.ref.startswith(prefix) and label in labels]
    uncivil_person = [item for item in by_label("", {"name_calling", "mocking"})
                      if "-uncivil:" in item.ref and _PERSON.search(item.text)]
    tone_groups = {
        "incivility-person": uncivil_person,
        "perf-judgement": [item for item in perf if _JUDGEMENT.search(item.text) and _PERSON.search(item.text)],
        "toxicr-toxic-person": [item for item in toxic if _PERSON.search(item.text)],
        "toxicr-toxic-other": [item for item in toxic if not _PERSON.search(item.text)],
        "toxicr-critique": [item for item in other if _CRITIQUE.search(item.text)],
        "incivility-frustration": [item for item in by_label("", {"bitter_frustration", "impatience"})
                                   if "-uncivil:" in item.ref],
        "incivility-civil-critical": [item for item in by_label("", {"dissatisfaction", "commanding", "expectation"})
                                      if "-civil:" in item.ref],
        "toxicr-other": [item for item in other if not _CRITIQUE.search(item.text)],
    }
    tone = [(item, group) for group, count in TONE_DRAWS.items()
            for item in draw(tone_groups[group], count, f"tv2-{group}")]

    changelog = list(changelog_entries())
    narrative = [(item, "perf-concrete") for item in draw([i for i in perf if _CONCRETE.search(i.text)],
                                                          NARRATIVE_DRAWS["perf-concrete"], "nv2-pc")]
    narrative += [(item, "perf-other") for item in draw(perf, NARRATIVE_DRAWS["perf-other"], "nv2-po")]
    for name, *_ in CHANGELOGS:
        entries = [item for item in changelog if item.ref.startswith(name + "@")]
        chosen = draw(entries, NARRATIVE_DRAWS["changelog"], "nv2-" + name)
        narrative += [(item, f"changelog-{name}") for item in chosen]

    themes = [(item, "perf-topic-words") for item in draw([i for i in perf if _THEME_WORDS.search(i.text)],
                                                          THEMES_DRAWS["perf-topic-words"], "thv2-w")]
    themes += [(item, "perf-random") for item in draw(perf, THEMES_DRAWS["perf-random"], "thv2-r")]

    numbered: dict[str, list[tuple[PoolItem, str]]] = {}
    for name, items in (("tone_v2", tone), ("narrative_v2", narrative), ("themes_v2", themes)):
        shuffled = sorted(items, key=lambda pair: _key(name + pair[0].source + pair[0].ref))
        numbered[name] = [(PoolItem(f"{ID_PREFIX[name]}-{index:03d}", item.source, item.ref, item.text), picked)
                          for index, (item, picked) in enumerate(shuffled, 1)]
    return numbered


#: The contradiction set: people (a fictional name shared by several crowd-written reviews, each by its own writer)
#: with at least this many reviews no model learned from, until about this many sentences.
CONTRADICTION_MIN_REVIEWS = 3
CONTRADICTION_SENTENCES = 450
_LOW_PERFORMANCE = {"low", "moderate"}


def contradiction_cases() -> list[tuple[PoolItem, str]]:
    """Every sentence of the chosen people's reviews, as ``(item, person)``: a case is one person, a writer one review.

    The sentences come from reviews no model learned from and are never a sentence of a first-set pool (a sentence
    may also be in a v2 pool: the contradiction labels answer another question). People with more reviews in the
    low or moderate performance categories come first (more concerns to find), then by a hash of the name."""
    with open(DATA_DIR / "perf_review_text" / "perf_reviews_ninebox.csv", newline="", encoding="utf-8") as handle:
        reviews = {row["id"]: row for row in csv.DictReader(handle)}
    by_person: dict[str, list[PoolItem]] = {}
    for item in free_perf_sentences():
        by_person.setdefault(reviews[item.ref.split("#")[0]]["person_name"], []).append(item)

    def writers(items: list[PoolItem]) -> set[str]:
        return {item.ref.split("#")[0] for item in items}

    people = [name for name, items in by_person.items() if len(writers(items)) >= CONTRADICTION_MIN_REVIEWS]
    people.sort(key=lambda name: (-sum(reviews[review]["performance"] in _LOW_PERFORMANCE
                                       for review in writers(by_person[name])), _key("contra" + name)))
    chosen: list[tuple[PoolItem, str]] = []
    for name in people:
        if len(chosen) + len(by_person[name]) > CONTRADICTION_SENTENCES:
            continue
        chosen += [(item, name) for item in by_person[name]]
    shuffled = sorted(chosen, key=lambda pair: _key("contradictions" + pair[0].ref))
    return [(PoolItem(f"con2-{index:03d}", item.source, item.ref, item.text), f"person-{_key(person)[:8]}")
            for index, (item, person) in enumerate(shuffled, 1)]


def write_pool(path: Path, items: list[tuple[PoolItem, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_id", "source", "ref", "picked", "text_sha256"])
        for item, picked in items:
            writer.writerow([item.item_id, item.source, item.ref, picked, _key(item.text)[:16]])


_CACHE: dict[str, str] = {}


def resolve(source: str, ref: str) -> str:
    """The text of one v2 item, read back from the shared data folder or a clone."""
    if source in ("toxicr", "perf"):
        return eval_pool.resolve(source, ref)
    if not _CACHE:
        _CACHE.update({"incivility|" + item.ref: item.text for item, _label in incivility_rows()})
        _CACHE.update({"changelog|" + item.ref: item.text for item in changelog_entries()})
    return _CACHE[f"{source}|{ref}"]


def load_pool(name: str) -> list[dict[str, str]]:
    with open(EVAL_DIR / f"{name}_pool.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_labelled(name: str) -> list[tuple[str, str, str, str]]:
    """``(item_id, text, label, source)`` for every item of ``eval/<name>_labels.csv`` (a v2 set)."""
    with open(EVAL_DIR / f"{name}_labels.csv", newline="", encoding="utf-8") as handle:
        return [(row["item_id"], resolve(row["source"], row["ref"]), row["label"], row["source"])
                for row in csv.DictReader(handle)]


# ---- labels: agreement between the two labellers, the settled file, confidence intervals ----------------------

LABELS = {
    "tone_v2": ("attack", "profane", "critique", "neutral"),
    "narrative_v2": ("specific", "vague", "character", "other"),
}
#: Sets labelled with themes (``;``-separated or ``none``) rather than one label.
THEME_SETS = ("themes_v2", "contradictions_v2")
THEMES = ("delivery", "code_quality", "reliability", "collaboration", "communication", "mentoring", "ownership",
          "technical_depth", "design", "customer_focus")


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval (95 % by default) of a share ``successes / trials``."""
    if trials <= 0:
        return None
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * ((share * (1 - share) / trials + z * z / (4 * trials * trials)) ** 0.5) / denominator
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float:
    observed = sum(first == second for first, second in pairs) / len(pairs)
    first_counts, second_counts = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first_counts[label] * second_counts[label] for label in set(first_counts) | set(second_counts))
    expected /= len(pairs) ** 2
    return 1.0 if expected >= 1 else (observed - expected) / (1 - expected)


def normalise(name: str, value: str) -> str:
    """A labeller's answer in the settled file's form (themes: sorted, ``;``-separated, or ``none``)."""
    value = value.strip().lower()
    if name not in THEME_SETS:
        return value
    themes = sorted({part.strip().replace(" ", "_").replace("-", "_") for part in re.split(r"[;,]", value)}
                    - {"", "none"})
    return ";".join(themes) or "none"


def read_labeller(path: Path, name: str) -> dict[str, str]:
    column = "themes" if name in THEME_SETS else "label"
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["id"].strip(): normalise(name, row[column] or "") for row in csv.DictReader(handle)}


def theme_agreement(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """Per theme Cohen's kappa and uses by each labeller (themes used at all), and any theme against ``none``."""
    per_theme = {}
    for theme in THEMES:
        binary = [(str(theme in a.split(";")), str(theme in b.split(";"))) for a, b in pairs]
        uses = (sum(x == "True" for x, _ in binary), sum(y == "True" for _, y in binary))
        if any(uses):
            per_theme[theme] = {"kappa": round(cohen_kappa(binary), 3), "uses": list(uses)}
    return {"per_theme": per_theme,
            "any_theme_kappa": round(cohen_kappa([(str(a != "none"), str(b != "none")) for a, b in pairs]), 3)}


def agreement(name: str, first: dict[str, str], second: dict[str, str]) -> dict[str, object]:
    """Raw agreement and Cohen's kappa (per theme for the themes set, also attack against the rest for tone)."""
    ids = [row["item_id"] for row in load_pool(name)]
    pairs = [(first[item], second[item]) for item in ids]
    result: dict[str, object] = {"items": len(ids), "same": sum(a == b for a, b in pairs),
                                 "agreement": round(sum(a == b for a, b in pairs) / len(pairs), 3)}
    if name in THEME_SETS:
        result.update(theme_agreement(pairs))
    else:
        result["kappa"] = round(cohen_kappa(pairs), 3)
        key = "attack" if name == "tone_v2" else "specific"
        result[f"{key}_vs_rest_kappa"] = round(cohen_kappa([(str(a == key), str(b == key)) for a, b in pairs]), 3)
        result["counts"] = {"a": dict(Counter(a for a, _ in pairs)), "b": dict(Counter(b for _, b in pairs))}
    return result


def settle(name: str, first: dict[str, str], second: dict[str, str], decisions: dict[str, str]) -> list[list[str]]:
    """Rows of ``eval/<name>_labels.csv``: the agreed label, or the settled one where the two differ."""
    rows = []
    for pool_row in load_pool(name):
        item = pool_row["item_id"]
        a, b = first[item], second[item]
        if a != b and item not in decisions:
            raise SystemExit(f"{item}: the labellers differ ({a} / {b}) and no settled label was given")
        label = a if a == b else normalise(name, decisions[item])
        allowed = LABELS.get(name)
        if allowed and label not in allowed or not allowed and not set(label.split(";")) <= {*THEMES, "none"}:
            raise SystemExit(f"{item}: {label!r} is not a label of {name}")
        rows.append([item, pool_row["source"], pool_row["ref"], pool_row["picked"], label, a, b])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write eval/<set>_pool.csv (references only)")
    export = sub.add_parser("export", help="write <folder>/<set>/items.csv (id,text) for labelling")
    export.add_argument("folder", type=Path)
    for command, text in (("agree", "print the two labellers' agreement and the items they differ on"),
                          ("settle", "write eval/<set>_labels.csv from both label files and the settled labels")):
        step = sub.add_parser(command, help=text)
        step.add_argument("set", choices=V2_POOLS)
        step.add_argument("folder", type=Path, help="the folder holding <set>/labels_a.csv and labels_b.csv "
                          "(contradictions/ for contradictions_v2)")
    args = parser.parse_args(argv)
    if args.command in ("agree", "settle"):
        return _labels_command(args.command, args.set, args.folder)
    if not (DATA_DIR / "toxicr_dev").is_dir():
        raise SystemExit(f"{DATA_DIR} has no toxicr_dev/: the pools read the shared data folder")
    pools = {**build(), "contradictions_v2": contradiction_cases()}
    for name, items in pools.items():
        if args.command == "build":
            write_pool(EVAL_DIR / f"{name}_pool.csv", items)
            draws = Counter(picked for _, picked in items)
            print(f"{name}: {len(items)} items", f"{len(draws)} people" if name == "contradictions_v2" else dict(draws))
        else:
            (args.folder / name).mkdir(parents=True, exist_ok=True)
            with open(args.folder / name / "items.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(["id", "text"])
                writer.writerows([item.item_id, item.text] for item, _picked in items)
    return 0


#: The labelling folder of a set, where it differs from the set's name.
LABEL_FOLDERS = {"contradictions_v2": "contradictions"}


def _labels_command(command: str, name: str, folder: Path) -> int:
    folder = folder / LABEL_FOLDERS.get(name, name)
    first = read_labeller(folder / "labels_a.csv", name)
    second = read_labeller(folder / "labels_b.csv", name)
    ids = [row["item_id"] for row in load_pool(name)]
    missing = [item for item in ids if item not in first or item not in second]
    if missing:
        raise SystemExit(f"{len(missing)} items lack a label, e.g. {missing[:5]}")
    if command == "agree":
        print(json.dumps(agreement(name, first, second), indent=2))
        items = {row["item_id"]: row for row in load_pool(name)}
        differ = [item for item in ids if first[item] != second[item]]
        print(f"{len(differ)} items differ (id, a, b); settle them in {folder / 'settled.csv'} "
              "(id,label,reason)")
        for item in differ:
            print(f"{item}\t{first[item]}\t{second[item]}\t{resolve(items[item]['source'], items[item]['ref'])}")
        return 0
    decisions: dict[str, str] = {}
    settled = folder / "settled.csv"
    if settled.is_file():
        with open(settled, newline="", encoding="utf-8") as handle:
            decisions = {row["id"].strip(): row["label"] for row in csv.DictReader(handle)}
    rows = settle(name, first, second, decisions)
    with open(EVAL_DIR / f"{name}_labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_id", "source", "ref", "picked", "label", "label_1", "label_2"])
        writer.writerows(rows)
    counts = Counter(label for row in rows for label in row[4].split(";"))
    print(f"{name}: {len(rows)} items, {sum(row[5] != row[6] for row in rows)} settled; {dict(counts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
