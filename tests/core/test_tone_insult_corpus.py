"""The development loader of the Impermium insult corpus (``tools/nlp/train_tone_attack.py --with-insults``)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import train_tone_attack  # noqa: E402


def test_comments_are_read_as_written():
    assert train_tone_attack._unescape_comment('"You are a\\xa0 really well-rounded idiot."') == (
        "You are a really well-rounded idiot.")
    assert train_tone_attack._unescape_comment('"first line\\nsecond line"') == "first line second line"
    assert train_tone_attack._unescape_comment('"caf\\\\xc3\\\\xa9 owner"') == "café owner"


def test_only_rows_where_the_corpus_agrees_with_the_product_are_taken(tmp_path):
    path = tmp_path / "fulltrain.csv"
    rows = [
        ("1", '"You are clearly stupid."'),            # an insult: an attack
        ("0", '"Thanks, that fixed the build for me."'),  # calm: other
        ("0", '"The senator is a lazy liar."'),         # an attack on someone outside the thread: left out
        ("0", '"Thanks, that fixed the build for me."'),  # a duplicate: kept once
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", "Comment", "Date", "Insult", "Usage"])
        for index, (insult, comment) in enumerate(rows):
            writer.writerow([index, comment, "", insult, "PublicTest"])
    texts, labels, counts = train_tone_attack.insult_corpus_rows(path)
    assert list(zip(texts, labels, strict=True)) == [("You are clearly stupid.", "attack"),
                                                     ("Thanks, that fixed the build for me.", "other")]
    assert counts == {"attack": 1, "other": 1, "profane": 0, "left_out": 1}
