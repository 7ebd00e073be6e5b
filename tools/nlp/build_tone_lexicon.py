"""Rebuild the tone lexicon (``src/brightline/core/nlp/models/tone_lexicon/``) from its packages.

    mkdir -p /tmp/lexicon && cd /tmp/lexicon
    npm pack cuss@2.2.0
    pip download --no-deps vaderSentiment==3.3.2 lemminflect==0.2.3 textblob==0.20.1
    .venv/bin/python tools/nlp/build_tone_lexicon.py /tmp/lexicon/cuss-2.2.0.tgz \
        /tmp/lexicon/vaderSentiment-3.3.2-py2.py3-none-any.whl /tmp/lexicon/lemminflect-0.2.3-py3-none-any.whl \
        /tmp/lexicon/textblob-0.20.1-py3-none-any.whl

Nothing in the lexicon is typed by hand. Five files are written:

* ``insults.tsv``: the English entries of ``cuss`` 2.2.0 (npm, MIT, Titus Wormer) with their
  "sureness" rating (0 = usually clean, 1 = maybe profane, 2 = surely profane or a slur/insult);
  entries rated 0 are left out.
* ``judgements.tsv``: the single words of the VADER lexicon (``vaderSentiment`` 3.3.2, PyPI, MIT,
  C.J. Hutto) whose mean human valence rating is at most -1.0 (on VADER's -4..+4 scale).
* ``praise.tsv``: the single words of the same VADER lexicon rated at least +1.0 ("brilliant",
  "generous"): praise of a person is never an attack (``tone.person_predicate``).
* ``name_calling.tsv``: the words both lists condemn (``cuss`` rating 2 and VADER valence at most -1.0)
  that English uses as nouns and never as adjectives, by the part-of-speech table of ``lemminflect``
  0.2.3 (PyPI, MIT, Brad Jascob): "idiot", "moron", "loser", "crap" but not "stupid" or "dumb",
  which also describe things ("a dumb buffer").

* ``character.tsv``: adjectives of the subjectivity lexicon that ``textblob`` 0.20.1 (PyPI, MIT, Steven Loria)
  ships from Pattern (``en-sentiment.xml``, De Smedt and Daelemans, released under the PDDL) whose senses
  average a polarity of at most -0.35, have no positive sense, and have a sense rated at least 0.9 subjective
  ("sloppy", "mediocre", "discourteous"), less VADER's words (already in ``judgements.tsv``). They are read only
  where a sentence is about a person (``tone.person_directed``), never as a feature of a model.

The licences of the packages are copied into ``LICENSES.md`` next to the files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import tarfile
import zipfile
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[2] / "src" / "brightline" / "core" / "nlp" / "models" / "tone_lexicon"
JUDGEMENT_CEILING = -1.0
PRAISE_FLOOR = 1.0
_CUSS_ENTRY = re.compile(r"^\s*(?:'([^']+)'|\"([^\"]+)\"|([A-Za-z0-9]+)):\s*([012]),?\s*$")
CHARACTER_MEAN_CEILING = -0.35
CHARACTER_SUBJECTIVITY_FLOOR = 0.9
_PATTERN_WORD = re.compile(
    r'<word form="([a-z][a-z-]*[a-z])"[^>]*pos="JJ"[^>]*polarity="([-0-9.]+)" subjectivity="([0-9.]+)"')
_VADER_WORD = re.compile(r"^[a-z][a-z'-]*[a-z]$")


def cuss_entries(tarball: Path) -> tuple[dict[str, int], str]:
    with tarfile.open(tarball) as archive:
        source = archive.extractfile("package/index.js")
        licence = archive.extractfile("package/license")
        assert source is not None and licence is not None
        text = source.read().decode("utf-8")
        licence_text = licence.read().decode("utf-8")
    entries: dict[str, int] = {}
    for line in text.splitlines():
        match = _CUSS_ENTRY.match(line)
        if match:
            word = next(group for group in match.groups()[:3] if group)
            entries[word.lower()] = int(match.group(4))
    if len(entries) < 1000:
        raise SystemExit(f"read only {len(entries)} entries from {tarball}; has the package's format changed?")
    return entries, licence_text


def vader_entries(wheel: Path) -> tuple[dict[str, float], str]:
    with zipfile.ZipFile(wheel) as archive:
        lexicon = archive.read("vaderSentiment/vader_lexicon.txt").decode("utf-8")
        licence_name = next(name for name in archive.namelist() if name.endswith("LICENSE.txt"))
        licence_text = archive.read(licence_name).decode("utf-8")
    entries: dict[str, float] = {}
    for line in io.StringIO(lexicon):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 2 and _VADER_WORD.match(parts[0]):
            entries[parts[0]] = float(parts[1])
    return entries, licence_text


def parts_of_speech(wheel: Path) -> tuple[dict[str, set[str]], str]:
    with zipfile.ZipFile(wheel) as archive:
        table = gzip.decompress(archive.read("lemminflect/resources/lemma_lu.csv.gz")).decode("utf-8")
        licence_name = next(name for name in archive.namelist() if name.endswith("dist-info/LICENSE"))
        licence_text = archive.read(licence_name).decode("utf-8")
    kinds: dict[str, set[str]] = {}
    for row in csv.reader(io.StringIO(table)):
        if len(row) >= 2:
            kinds.setdefault(row[0], set()).add(row[1])
    return kinds, licence_text


def character_adjectives(wheel: Path, vader: dict[str, float]) -> tuple[list[str], str, str]:
    with zipfile.ZipFile(wheel) as archive:
        lexicon = archive.read("textblob/en/en-sentiment.xml").decode("utf-8")
        licence_name = next(name for name in archive.namelist() if name.endswith("LICENSE"))
        licence_text = archive.read(licence_name).decode("utf-8")
    licence_line = re.search(r'license="([^"]+)"', lexicon)
    senses: dict[str, list[tuple[float, float]]] = {}
    for match in _PATTERN_WORD.finditer(lexicon):
        senses.setdefault(match.group(1), []).append((float(match.group(2)), float(match.group(3))))
    words = sorted(
        word for word, rated in senses.items()
        if sum(polarity for polarity, _ in rated) / len(rated) <= CHARACTER_MEAN_CEILING
        and max(polarity for polarity, _ in rated) <= 0.0
        and max(subjectivity for _, subjectivity in rated) >= CHARACTER_SUBJECTIVITY_FLOOR
        and vader.get(word, 0.0) > JUDGEMENT_CEILING
    )
    return words, licence_text, licence_line.group(1) if licence_line else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cuss_tarball", type=Path)
    parser.add_argument("vader_wheel", type=Path)
    parser.add_argument("lemminflect_wheel", type=Path)
    parser.add_argument("textblob_wheel", type=Path)
    arguments = parser.parse_args()
    insults, cuss_licence = cuss_entries(arguments.cuss_tarball)
    valences, vader_licence = vader_entries(arguments.vader_wheel)
    kinds, lemminflect_licence = parts_of_speech(arguments.lemminflect_wheel)
    names = sorted(word for word, rating in insults.items()
                   if rating == 2 and valences.get(word, 0.0) <= JUDGEMENT_CEILING
                   and "noun" in kinds.get(word, set()) and "adj" not in kinds.get(word, set()))
    character, textblob_licence, pattern_licence = character_adjectives(arguments.textblob_wheel, valences)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with (OUTPUT / "insults.tsv").open("w", encoding="utf-8") as handle:
        handle.write("# cuss 2.2.0 (npm, MIT, Titus Wormer): English entries rated 1 or 2 for sureness\n")
        for word, rating in sorted(insults.items()):
            if rating >= 1:
                handle.write(f"{word}\t{rating}\n")
    with (OUTPUT / "judgements.tsv").open("w", encoding="utf-8") as handle:
        handle.write("# vaderSentiment 3.3.2 (PyPI, MIT, C.J. Hutto): single words with valence "
                     f"<= {JUDGEMENT_CEILING}\n")
        for word, valence in sorted(valences.items()):
            if valence <= JUDGEMENT_CEILING:
                handle.write(f"{word}\t{valence}\n")
    with (OUTPUT / "praise.tsv").open("w", encoding="utf-8") as handle:
        handle.write("# vaderSentiment 3.3.2 (PyPI, MIT, C.J. Hutto): single words with valence "
                     f">= {PRAISE_FLOOR}\n")
        for word, valence in sorted(valences.items()):
            if valence >= PRAISE_FLOOR:
                handle.write(f"{word}\t{valence}\n")
    with (OUTPUT / "name_calling.tsv").open("w", encoding="utf-8") as handle:
        handle.write("# cuss 2.2.0 rating 2 and vaderSentiment 3.3.2 valence <= -1.0, nouns and never adjectives "
                     "by lemminflect 0.2.3 (PyPI, MIT, Brad Jascob)\n")
        for word in names:
            handle.write(f"{word}\tnoun\n")
    with (OUTPUT / "character.tsv").open("w", encoding="utf-8") as handle:
        handle.write(f"# textblob 0.20.1 (PyPI, MIT), en-sentiment.xml from Pattern ({pattern_licence}): "
                     f"adjectives with mean polarity <= {CHARACTER_MEAN_CEILING}, no positive sense, a sense >= "
                     f"{CHARACTER_SUBJECTIVITY_FLOOR} subjective; not in judgements.tsv\n")
        for word in character:
            handle.write(f"{word}\tadj\n")
    (OUTPUT / "LICENSES.md").write_text(
        "# Licences of the tone lexicon's sources\n\n"
        "## insults.tsv: cuss 2.2.0 (npm registry)\n\n```\n" + cuss_licence.strip() + "\n```\n\n"
        "## judgements.tsv and praise.tsv: vaderSentiment 3.3.2 (PyPI)\n\n```\n" + vader_licence.strip() + "\n```\n\n"
        "## name_calling.tsv: parts of speech from lemminflect 0.2.3 (PyPI)\n\n```\n"
        + lemminflect_licence.strip() + "\n```\n\n"
        "## character.tsv: textblob 0.20.1 (PyPI); its en-sentiment.xml is Pattern's lexicon, released under the "
        + pattern_licence + " by its authors\n\n```\n" + textblob_licence.strip() + "\n```\n",
        encoding="utf-8",
    )
    print(json.dumps({"insults": sum(rating >= 1 for rating in insults.values()),
                      "judgements": sum(valence <= JUDGEMENT_CEILING for valence in valences.values()),
                      "name_calling": len(names), "character": len(character)}))


if __name__ == "__main__":
    main()
