"""Public, human-labelled attacks for training the tone check's second stage, read from a clone (never committed).

**OLID** (Offensive Language Identification Dataset; Zampieri, Malmasi, Nakov, Rosenthal, Farra and Kumar,
"Predicting the Type and Target of Offensive Posts in Social Media", NAACL 2019; the data of SemEval-2019 task 6,
OffensEval): 13,240 English tweets, each labelled by crowd workers (the agreement of three) on three levels: offensive
or not (``OFF`` / ``NOT``); for an offensive tweet, a targeted insult or threat (``TIN``) or untargeted profanity
(``UNT``); for a targeted one, whom it targets: an individual (``IND``: a named person, a famous one or "an unnamed
person interacting in the conversation"), a group (``GRP``) or something else (``OTH``: an organisation, a situation,
an issue). Mentions are replaced by ``@USER`` and links by ``URL`` in the data itself.

Read from ``OLIDv1.0/olid-training-v1.0.tsv`` of the repository ``wenliangdai/multi-task-offensive-language-detection``
(its clone under the mirror folder, at :data:`OLID_COMMIT`). **Licence**: the data's own README states none; that
repository, which redistributes it unchanged, is licensed CC BY 4.0 (its ``LICENSE``), which allows training and
shipping weights with attribution (the tone model card gives it). Only the training file is read.

The levels map to the second stage's labels (``attack`` / ``profane`` / ``other``) by the product's definition (the
guide's task 1, ``eval/GUIDE.md``):

* ``OFF TIN IND`` (an insult or threat aimed at one person): ``attack``;
* ``OFF UNT`` (swearing aimed at no one): ``profane``;
* ``NOT`` (no offence, no profanity): ``other``; most are political opinions and disagreement, the nearest the set has
  to blunt critique without an attack;
* ``OFF TIN GRP`` and ``OFF TIN OTH`` are left out: an insult to a group or an organisation is neither the guide's
  attack on the person nor plain critique.

OLID's ``NOT`` is not always the product's "other": the set calls many judgements of a person inoffensive ("he is
lying to protect himself", "she is nothing") and some swearing too, and the shipped check flagged 38 % of a thousand
of them (session 13). :func:`calm_rows` therefore keeps a ``NOT`` tweet as ``other`` only when it holds no hostile
word and no swearing (``tone.hostile_wording``, ``tone.swearing``), and an ``UNT`` tweet as ``profane`` only when it
swears and refers to no person, the rule the Impermium insult corpus was read with (``train_tone_attack.py``).
It also leaves out the attacks that threaten (a word of violence or punishment, :data:`_THREAT`: OLID's ``TIN``
joins insults and threats): the guide's attack is an insult, a judgement of the person or contempt, and its critique
holds "kill the worker"; a reader trained with OLID's threats flagged that phrase (P(attack) 0.87, session 13).

Each tweet is cleaned before use: the run of ``@USER`` mentions that opens a reply and a trailing ``URL`` are dropped,
the other mentions read as "someone", ``#`` is dropped from hashtags, ``&amp;`` reads as ``&``. Texts left with
fewer than three words are left out; a text seen twice is kept once.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

MIRROR_DIR = Path(os.environ.get("BRIGHTLINE_MIRROR", "/work/.mirror"))
OLID_REPOSITORY = "wenliangdai/multi-task-offensive-language-detection"
OLID_FOLDER = "wenliangdai+multi-task-offensive-language-detection"
OLID_COMMIT = "48c38816dc442361dc0fe39a3311e7cfb751b134"
OLID_PATH = "OLIDv1.0/olid-training-v1.0.tsv"
OLID_LICENCE = "CC BY 4.0 (the redistributing repository's licence; the data's README states none)"

_LEADING_MENTIONS = re.compile(r"^(?:\s*@USER\b)+\s*")
_MENTION = re.compile(r"@USER\b")
_TRAILING_URL = re.compile(r"(?:\s*\bURL\b)+\s*$")
#: Words of violence or punishment: an OLID attack holding one is read as a threat and left out (:func:`calm_rows`).
_THREAT = re.compile(r"\b(?:kill\w*|die|dies|died|dead|death|shoot\w*|shot|hang\w*|hung|murder\w*|beat\w*|punch\w*"
                     r"|slap\w*|stab\w*|burn\w*|jail\w*|prison\w*|lock\w* (?:him|her|them|you) up|execut\w*"
                     r"|hurt\w*|destroy\w*|arrest\w*|gun|guns)\b", re.IGNORECASE)


def olid_label(level_a: str, level_b: str, level_c: str) -> str | None:
    """The second stage's label of an OLID row, or ``None`` to leave it out (see the module's docstring)."""
    if level_a == "NOT":
        return "other"
    if level_b == "UNT":
        return "profane"
    if level_b == "TIN" and level_c == "IND":
        return "attack"
    return None


def clean_tweet(raw: str) -> str:
    text = raw.strip().strip('"').replace('""', '"').replace("&amp;", "&").replace("&gt;", ">").replace("&lt;", "<")
    text = _LEADING_MENTIONS.sub("", text)
    text = _TRAILING_URL.sub("", text)
    text = _MENTION.sub("someone", text).replace("#", "")
    return " ".join(text.split())


def _olid_file() -> str:
    folder = MIRROR_DIR / OLID_FOLDER / "repo" / ".git"
    if not folder.is_dir():
        raise SystemExit(f"OLID needs the clone of {OLID_REPOSITORY} under {MIRROR_DIR} ({OLID_FOLDER})")
    return subprocess.run(["git", "--git-dir", str(folder), "show", f"{OLID_COMMIT}:{OLID_PATH}"],
                          check=True, capture_output=True, text=True).stdout


def olid_rows() -> list[tuple[str, str, str]]:
    """``(tweet id, cleaned text, label)`` of the OLID training tweets kept (see the module's docstring)."""
    reader = csv.DictReader(io.StringIO(_olid_file()), delimiter="\t", quoting=csv.QUOTE_NONE)
    labelled = ((row["id"], clean_tweet(row["tweet"]), olid_label(row["subtask_a"], row["subtask_b"], row["subtask_c"]))
                for row in reader)
    return distinct_rows(labelled)


def distinct_rows(candidates: Iterable[tuple[str, str, str | None]]) -> list[tuple[str, str, str]]:
    """The labelled ``(id, text, label)`` candidates, without those left out (label ``None``), those of fewer than
    three words, and every repeat of a text already kept (compared in lower case)."""
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for identifier, text, label in candidates:
        key = text.lower()
        if label is None or len(text.split()) < 3 or key in seen:
            continue
        seen.add(key)
        rows.append((identifier, text, label))
    return rows


def calm_rows(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """``rows`` with the rows the product's definition disagrees with left out (see the module's docstring): ``other``
    with a hostile word or swearing, ``profane`` that refers to a person, ``attack`` that threatens."""
    from brightline.core.nlp.tone import hostile_wording, read_texts, swearing, target_features

    texts = [row[1] for row in rows]
    reading = read_texts(texts)
    hostile = hostile_wording(reading, target_features(texts))
    swears = swearing(texts)
    kept = []
    for index, row in enumerate(rows):
        label = row[2]
        if (label == "attack" and not _THREAT.search(row[1])
                or label == "other" and not hostile[index] and not swears[index]
                or label == "profane" and swears[index] and not reading.mentions_person[index]):
            kept.append(row)
    return kept


CONVABUSE_REPOSITORY = "amandacurry/convabuse"
CONVABUSE_FOLDER = "amandacurry+convabuse"
CONVABUSE_COMMIT = "c0a9469f48956e868276c605d499010ea3c7c0d0"
CONVABUSE_PATHS = ("2_splits/ConvAbuseEMNLPtrain.csv", "2_splits/ConvAbuseEMNLPvalid.csv",
                   "2_splits/ConvAbuseEMNLPtest.csv")
CONVABUSE_LICENCE = "CC BY 4.0 (the repository's LICENSE)"
_ABUSIVE_LEVELS = ("-1", "-2", "-3")


def convabuse_label(row: dict[str, str]) -> str | None:
    """The second stage's label of a row of ConvAbuse's split files (one column per annotator and answer, ``1`` where
    the annotator chose it; empty for annotators who did not see the row), or ``None`` to leave it out: see
    :func:`convabuse_rows`."""
    annotators = sorted({key.split("_")[0] for key in row if key.startswith("Annotator")
                         and row.get(key.split("_")[0] + "_is_abuse.1") in ("0", "1")})
    abusive = [name for name in annotators if any(row[f"{name}_is_abuse.{level}"] == "1" for level in _ABUSIVE_LEVELS)]
    calm = [name for name in annotators if row[f"{name}_is_abuse.1"] == "1"]
    sexual = sum(row[f"{name}_sex_harassment"] == "1" or row[f"{name}_sexist"] == "1" for name in abusive)
    aimed = sum(row[f"{name}_target.system"] == "1" or row[f"{name}_target.individual"] == "1" for name in abusive)
    if abusive and 2 * len(abusive) > len(annotators) and 2 * aimed > len(abusive) and 2 * sexual <= len(abusive) and (
            not _THREAT.search(row["user"])):
        return "attack"
    if annotators and len(calm) == len(annotators):
        return "other"
    return None


def convabuse_rows() -> list[tuple[str, str, str]]:
    """``(example id, user utterance, label)`` of ConvAbuse (Cercas Curry, Abercrombie and Rieser, "ConvAbuse: Data,
    Analysis, and Benchmarks for Nuanced Abuse Detection in Conversational AI", EMNLP 2021; **CC BY 4.0**): what users
    wrote to two conversational agents, each utterance labelled by three to eight annotators on a five-point scale from
    not abusive to very strongly abusive, with the abuse's type and target (the agent, another individual, a group).

    An utterance most annotators call abusive and aimed at the agent or an individual is an ``attack`` (abuse the
    annotators call sexual harassment or sexism, and threats, :data:`_THREAT`, are left out: neither is the guide's
    insult or judgement of a colleague); one every annotator calls not abusive is ``other``; the rest are left out.
    Read from the three split files of the clone at :data:`CONVABUSE_COMMIT`; :func:`calm_rows` then applies."""
    folder = MIRROR_DIR / CONVABUSE_FOLDER / "repo"
    if (folder / ".git").is_dir():
        folder = folder / ".git"  # a clone with a work tree; the mirror's own copies are bare
    if not (folder / "HEAD").is_file():
        raise SystemExit(f"ConvAbuse needs the clone of {CONVABUSE_REPOSITORY} under {MIRROR_DIR} ({CONVABUSE_FOLDER})")
    candidates: list[tuple[str, str, str | None]] = []
    for path in CONVABUSE_PATHS:
        content = subprocess.run(["git", "--git-dir", str(folder), "show", f"{CONVABUSE_COMMIT}:{path}"],
                                 check=True, capture_output=True, text=True).stdout
        candidates.extend((row["example_id"], " ".join(row["user"].split()), convabuse_label(row))
                          for row in csv.DictReader(io.StringIO(content)))
    return distinct_rows(candidates)


if __name__ == "__main__":
    from collections import Counter

    every = olid_rows()
    print(len(every), Counter(label for _id, _text, label in every))
    calm = calm_rows(every)
    print(len(calm), Counter(label for _id, _text, label in calm))
    conv = convabuse_rows()
    print("ConvAbuse", len(conv), Counter(label for _id, _text, label in conv))
    calm = calm_rows(conv)
    print("ConvAbuse", len(calm), Counter(label for _id, _text, label in calm))
