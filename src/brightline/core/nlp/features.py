"""The classifiers' features, computed from sub-word token ids (one definition for runtime and trainer).

A text's tokens (:mod:`.tokens`) give three feature blocks:

1. **Sub-word n-grams**: every token id and every pair of adjacent token ids that occurred in at
   least two training texts, each occurrence weighted by its idf. The block is divided by the
   square root of the summed squared idf of the occurrences (the L2 norm the block would have if
   no feature repeated), so a long text does not score higher for being long.
2. **Sub-word characters**: each token occurrence stands for the character 2–5-grams of its piece,
   marked ``<`` where a word starts and ``>`` where it ends (``refactoring`` is ``ref ##act
   ##orin ##g``: ``<ref``, ``act``, ``orin``, ``g>``), weighted by idf and normalised the same way.
   Rare and misspelt words share grams with common ones, which is what the character n-grams of
   the old TF-IDF features contributed.
3. **The static embedding**: :func:`.embeddings.embed_tokens`, unit length.

A linear model over blocks 1 and 2 is a per-token (and per-pair) table of weights, so scoring is a
gather-and-sum over the ids; ``tools/nlp/train_classifiers.py`` builds the same blocks as sparse
matrices to fit the model and then folds the idf and character grams into those tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .tokens import TokenBatch

__all__ = [
    "CONTINUATION_PREFIX",
    "WORD_END_MARK",
    "WORD_START_MARK",
    "adjacent_pairs",
    "continuation_mask",
    "marked_piece",
    "piece_variants",
]

CONTINUATION_PREFIX = "##"
WORD_START_MARK = "<"
WORD_END_MARK = ">"


def adjacent_pairs(tokens: TokenBatch, vocabulary_size: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every pair of neighbouring tokens within a row: ``(row, first_id * vocabulary_size + second_id)``."""
    ids = tokens.ids.astype(np.int64)
    if len(ids) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = ids[:-1] * vocabulary_size + ids[1:]
    rows = tokens.rows_of_tokens()[:-1]
    within_row = np.ones(len(keys), dtype=bool)
    # The pair that starts on a row's last token crosses into the next row.
    row_ends = tokens.starts[1:-1] - 1
    within_row[row_ends[(row_ends >= 0) & (row_ends < len(keys))]] = False
    return rows[within_row], keys[within_row]


def continuation_mask(pieces: Sequence[str]) -> NDArray[np.bool_]:
    """Which vocabulary pieces continue a word (``##ing``) rather than start one."""
    return np.fromiter(
        (piece.startswith(CONTINUATION_PREFIX) and len(piece) > len(CONTINUATION_PREFIX) for piece in pieces),
        dtype=bool,
        count=len(pieces),
    )


def piece_variants(tokens: TokenBatch, continues_word: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Per token occurrence ``2 * id + ends_word``: whether the next token of the row starts a new word."""
    ids = tokens.ids.astype(np.int64)
    next_continues = np.zeros(len(ids), dtype=bool)
    if len(ids) > 1:
        next_continues[:-1] = continues_word[ids[1:]]
        # A row's last token ends a word whatever the next row starts with.
        row_ends = tokens.starts[1:] - 1
        next_continues[row_ends[row_ends >= 0]] = False
    return ids * 2 + ~next_continues


def marked_piece(piece: str, *, ends_word: bool) -> str:
    """The text whose character n-grams stand for one token occurrence (see the module docstring)."""
    if piece.startswith(CONTINUATION_PREFIX) and len(piece) > len(CONTINUATION_PREFIX):
        text = piece[len(CONTINUATION_PREFIX) :]
    else:
        text = WORD_START_MARK + piece
    return text + WORD_END_MARK if ends_word else text
