"""The reader of OLID's labelled tweets for the tone check's training (``tools/nlp/tone_public_sources.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import tone_public_sources  # noqa: E402


def test_the_levels_map_to_the_second_stages_labels() -> None:
    assert tone_public_sources.olid_label("OFF", "TIN", "IND") == "attack"
    assert tone_public_sources.olid_label("OFF", "UNT", "NULL") == "profane"
    assert tone_public_sources.olid_label("NOT", "NULL", "NULL") == "other"
    # An insult to a group or an organisation is neither an attack on the person nor plain critique.
    assert tone_public_sources.olid_label("OFF", "TIN", "GRP") is None
    assert tone_public_sources.olid_label("OFF", "TIN", "OTH") is None


def test_a_tweet_loses_its_reply_mentions_and_link_and_keeps_its_words() -> None:
    assert tone_public_sources.clean_tweet("@USER @USER You never read anything before replying URL") == (
        "You never read anything before replying")
    assert tone_public_sources.clean_tweet('"@USER Ask @USER about #gun &amp; knife laws"') == (
        "Ask someone about gun & knife laws")


def test_only_the_rows_the_products_definition_agrees_with_are_kept() -> None:
    rows = [("1", "You are a pathetic liar and a coward", "attack"),
            ("2", "The meeting moved to Thursday afternoon", "other"),
            ("3", "He is a useless idiot", "other"),
            ("4", "What the fuck is going on with this weather", "profane"),
            ("5", "Fuck you and your whole family", "profane"),
            ("6", "Someone should lock him up and throw away the key", "attack")]
    kept = [row[0] for row in tone_public_sources.calm_rows(rows)]
    # A threat is not the guide's attack (its critique holds "kill the worker"), so it is left out too.
    assert kept == ["1", "2", "4"]


def test_the_clone_reads_back_as_the_documented_counts() -> None:
    folder = tone_public_sources.MIRROR_DIR / tone_public_sources.OLID_FOLDER / "repo" / ".git"
    if not folder.is_dir():
        pytest.skip(f"the clone of {tone_public_sources.OLID_REPOSITORY} is absent (development machines only)")
    rows = tone_public_sources.olid_rows()
    labels = [row[2] for row in rows]
    assert (labels.count("attack"), labels.count("other"), labels.count("profane")) == (2365, 8529, 490)
    assert len({row[1].lower() for row in rows}) == len(rows)


def _convabuse_row(text: str, answers: list[dict[str, str]]) -> dict[str, str]:
    """A row of ConvAbuse's split files: one column per annotator and answer; annotator 3 never saw this row."""
    fields = ("is_abuse.1", "is_abuse.0", "is_abuse.-1", "is_abuse.-2", "is_abuse.-3", "sex_harassment", "sexist",
              "target.generalised", "target.individual", "target.system")
    row = {"user": text}
    for number in (1, 2, 3):
        chosen = answers[number - 1] if number <= len(answers) else None
        for field in fields:
            row[f"Annotator{number}_{field}"] = "" if chosen is None else chosen.get(field, "0")
    return row


def test_convabuse_abuse_aimed_at_the_agent_by_most_annotators_is_an_attack() -> None:
    aimed = {"is_abuse.1": "0", "is_abuse.-2": "1", "target.system": "1"}
    calm = {"is_abuse.1": "1"}
    assert tone_public_sources.convabuse_label(_convabuse_row("you are a useless machine", [aimed, aimed])) == "attack"
    # One annotator of two is not most of them; every annotator calm is "other".
    assert tone_public_sources.convabuse_label(_convabuse_row("you are a useless machine", [aimed, calm])) is None
    assert tone_public_sources.convabuse_label(_convabuse_row("tell me about the weather", [calm, calm])) == "other"
    # Sexual harassment and threats are not the guide's attack; abuse aimed at a group is not aimed at a person.
    sexual = {**aimed, "sex_harassment": "1"}
    assert tone_public_sources.convabuse_label(_convabuse_row("you are a useless machine", [sexual, sexual])) is None
    assert tone_public_sources.convabuse_label(_convabuse_row("I will hurt you, machine", [aimed, aimed])) is None
    group = {"is_abuse.1": "0", "is_abuse.-1": "1", "target.generalised": "1"}
    assert tone_public_sources.convabuse_label(_convabuse_row("people like that are useless", [group, group])) is None
