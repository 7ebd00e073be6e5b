"""The fixed train/test splits the bundled classifiers were trained and scored on.

They live in the package (not in the training scripts) so that the tests re-score the shipped
models on exactly the rows the model cards report, and so the splits cannot drift apart.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Split = Literal["train", "test"]

# One row in five goes to test; 5 is odd, so the ToxiCR rows (all of even text hash, see the
# data README) still spread evenly over the five buckets.
TEST_BUCKET_COUNT = 5


def premo_split(comment_id: str) -> Split:
    """PREMO split: ``sha256(id) mod 5 == 0`` is test (about 20 %), the rest is train."""
    return "test" if _bucket(comment_id) == 0 else "train"


def toxicr_split(text: str) -> Split:
    """ToxiCR split by the *text*, ``sha256(lower(strip(text))) mod 5 == 0`` is test.

    Two thirds of the ToxiCR rows repeat another row's text ("Done", "Fixed."), so splitting
    by id would leak identical comments from train into test.
    """
    return "test" if _bucket(normalise_for_grouping(text)) == 0 else "train"


def toxicr_development_part(text: str) -> bool:
    """Whether a ToxiCR *training* row is in the development part used to design the tone lexicon and rule.

    ``sha256("dev:" + lower(strip(text))) mod 5 == 0`` (about a fifth of the training rows, duplicates
    together). Choices made there were checked with a model fitted on the other training rows; the test
    rows were never looked at.
    """
    return toxicr_split(text) == "train" and _bucket("dev:" + normalise_for_grouping(text)) == 0


def text_split(text: str) -> Split:
    """Split of a row of the sets read from outside the shared folder: by the text, like ToxiCR.

    Those sets repeat short texts ("Ok.", "Thanks."), so the text and not an id decides.
    """
    return toxicr_split(text)


def normalise_for_grouping(text: str) -> str:
    """The key that groups duplicate comments together: lower-cased and stripped."""
    return text.strip().lower()


def _bucket(key: str) -> int:
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % TEST_BUCKET_COUNT
