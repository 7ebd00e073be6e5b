"""Sub-word tokens of the bundled static model: the one pass every NLP feature is computed from.

Tokenising is most of the cost of the static embedding (a Rust WordPiece tokenizer; the mean of
the token vectors after it is cheap). The classifiers and the insights pipeline therefore tokenise
a text once, keep the token ids as flat numpy arrays (:class:`TokenBatch`), and compute the
embedding and every classifier feature from those ids.

Tokenisation follows ``model2vec.StaticModel.encode`` exactly, so :func:`.embeddings.embed`
returns what it returned before this module existed: a text is cut to ``MAX_TOKENS`` times the
median token length in characters, tokenised without special tokens, and cut to ``MAX_TOKENS``
tokens. ``[UNK]`` tokens stay in the batch (the classifiers count them, e.g. for emoji); the
embedding leaves them out, as model2vec does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "MAX_TOKENS",
    "STATIC_MODEL_MISSING_ERROR",
    "STATIC_MODEL_PATH",
    "StaticVocabulary",
    "TokenBatch",
    "computed_ahead",
    "static_vocabulary",
    "tokenize",
]

STATIC_MODEL_PATH = Path(__file__).resolve().parent / "models" / "minilm-static"
# Sub-word tokens kept per text; beyond this a static mean barely moves and long pastes stay cheap.
MAX_TOKENS = 512
# Texts handed to the Rust tokenizer at once: bounds the memory of its per-text Encoding objects.
TOKENIZE_CHUNK_SIZE = 4096

STATIC_MODEL_MISSING_ERROR = "The bundled static embedding model is missing from {path}."

_load_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class TokenBatch:
    """Token ids of ``len(self)`` texts: row ``i`` is ``ids[starts[i]:starts[i + 1]]``.

    ``ids`` is int32 and includes ``[UNK]``; ``starts`` is int64 with one more entry than rows.
    """

    ids: NDArray[np.int32]
    starts: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.starts) - 1

    @property
    def lengths(self) -> NDArray[np.int64]:
        """Tokens per row."""
        return np.diff(self.starts)

    def rows_of_tokens(self) -> NDArray[np.int64]:
        """For every token, the row it belongs to."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    def concatenate(self, other: TokenBatch) -> TokenBatch:
        """This batch's rows followed by ``other``'s."""
        starts = np.concatenate([self.starts, other.starts[1:] + self.starts[-1]])
        return TokenBatch(np.concatenate([self.ids, other.ids]), starts)

    def join_rows(self, first: NDArray[np.int64], stop: NDArray[np.int64]) -> TokenBatch:
        """A batch whose row ``j`` is rows ``first[j]`` to ``stop[j] - 1`` of this one, concatenated.

        Used to rebuild a whole comment from its sentences, which gives exactly the tokens of the
        whole text when the pieces cover every non-blank character (the tokenizer never joins
        characters across whitespace or punctuation, where sentences begin and end).
        """
        token_first = self.starts[first]
        lengths = self.starts[stop] - token_first
        starts = np.zeros(len(first) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        if len(first) == len(self) and np.array_equal(token_first, self.starts[:-1]) and np.array_equal(
            lengths, self.lengths
        ):
            return self
        positions = np.repeat(token_first - starts[:-1], lengths) + np.arange(int(starts[-1]), dtype=np.int64)
        return TokenBatch(self.ids[positions], starts)


@dataclass(frozen=True, slots=True)
class StaticVocabulary:
    """What the token-level code needs from the bundled static model, loaded once."""

    tokenizer: Tokenizer
    vectors: NDArray[np.float32]
    unknown_id: int
    character_limit: int
    pieces: tuple[str, ...]

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


@cache
def static_vocabulary() -> StaticVocabulary:
    """The bundled static model's tokenizer, token vectors (float32) and vocabulary."""
    with _load_lock:
        if not (STATIC_MODEL_PATH / "model.safetensors").is_file():
            raise FileNotFoundError(STATIC_MODEL_MISSING_ERROR.format(path=STATIC_MODEL_PATH))
        from model2vec import StaticModel

        # float32 in memory: the float16 file halves the wheel, float32 keeps the means exact and fast.
        model = StaticModel.from_pretrained(STATIC_MODEL_PATH, quantize_to="float32", force_download=False)
        model.tokenizer.enable_truncation(MAX_TOKENS)
        vocabulary = model.tokenizer.get_vocab()
        pieces = tuple(sorted(vocabulary, key=vocabulary.__getitem__))
        return StaticVocabulary(
            tokenizer=model.tokenizer,
            vectors=np.ascontiguousarray(model.embedding, dtype=np.float32),
            unknown_id=int(model.unk_token_id) if model.unk_token_id is not None else -1,
            character_limit=MAX_TOKENS * int(model.median_token_length),
            pieces=pieces,
        )


def tokenize(texts: Sequence[str]) -> TokenBatch:
    """Token ids of ``texts`` under the static model's tokenizer (see the module docstring)."""
    vocabulary = static_vocabulary()
    limit = vocabulary.character_limit
    id_chunks: list[NDArray[np.int32]] = []
    length_chunks: list[NDArray[np.int64]] = []
    for start in range(0, len(texts), TOKENIZE_CHUNK_SIZE):
        chunk = [text if len(text) <= limit else text[:limit] for text in texts[start : start + TOKENIZE_CHUNK_SIZE]]
        encodings = vocabulary.tokenizer.encode_batch_fast(chunk, add_special_tokens=False)
        id_lists = [encoding.ids for encoding in encodings]
        lengths = np.fromiter(map(len, id_lists), dtype=np.int64, count=len(id_lists))
        length_chunks.append(lengths)
        id_chunks.append(np.fromiter(chain.from_iterable(id_lists), dtype=np.int32, count=int(lengths.sum())))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    if length_chunks:
        np.cumsum(np.concatenate(length_chunks), out=starts[1:])
    ids = np.concatenate(id_chunks) if id_chunks else np.zeros(0, dtype=np.int32)
    return TokenBatch(ids, starts)


Item = TypeVar("Item")
Result = TypeVar("Result")


def computed_ahead(function: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[tuple[Item, Result]]:
    """Each item with ``function(item)``, in order, the next item's result computed meanwhile.

    ``function`` runs in one helper thread, one item ahead of the caller. It pays off when
    ``function`` is mostly work that releases the GIL (the Rust tokenizer): the caller's Python
    work on one item then overlaps the tokenising of the next instead of waiting for it.
    """
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="brightline-ahead") as helper:
        pending: list[tuple[Item, Future[Result]]] = [(item, helper.submit(function, item))
                                                      for item in _first(iterator)]
        while pending:
            item, future = pending.pop()
            pending = [(following, helper.submit(function, following)) for following in _first(iterator)]
            yield item, future.result()


def _first(iterator: Iterator[Item]) -> list[Item]:
    """The iterator's next item as a one-item list, or an empty list at its end."""
    for item in iterator:
        return [item]
    return []
