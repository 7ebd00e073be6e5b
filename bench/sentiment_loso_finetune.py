"""Does fine-tuning the MiniLM transformer for sentiment make it transfer to sources it was not trained on?

    PYTHONPATH=src BRIGHTLINE_SENTIMENT_EXTRA_DATA=/tmp/senti_data \
        nice -n 10 .venv/bin/python bench/sentiment_loso_finetune.py --cache-dir /tmp/minilm-finetune \
        --folds premo,jira,lin_so,in-domain

Training only: needs PyTorch (``torch==2.13.0``, the CPU wheel, ``tools/nlp/requirements-train.txt``) and
the contextual model's weights (``scripts/setup.sh --contextual-model``); Brightline itself never loads
PyTorch. The frozen sentence embedding did not transfer (``bench/sentiment_loso_contextual.py``); this
bench trains the transformer itself, end to end from a frozen point upward, for three-class sentiment:

* the all-MiniLM-L6-v2 weights, the BERT forward pass of ``brightline.core.nlp.contextual`` written in
  PyTorch (same parameter names, so the tuned weights load in the numpy encoder), mean pooling over the
  real tokens, dropout 0.1 and a linear head over negative / neutral / positive;
* the bottom ``--frozen-layers`` layers (default 4 of 6) and the embeddings stay as they are: their
  output for every text is computed once and cached in ``--cache-dir`` (float16), so each fold trains
  only the top layers and the head (``--frozen-layers 0`` tunes every layer and the embeddings too);
* texts cut at ``--max-tokens`` (64), batches of 32 texts of similar length, AdamW (learning rate 1e-4
  for the layers, 1e-3 for the head, linear warm-up over 6 % of the steps then linear decay),
  ``--epochs`` passes (1), cross-entropy weighted by inverse class frequency when ``--balanced``.

Folds are the protocol of ``bench/sentiment_loso.py``: a source key ("KEY left out") trains on all rows of
every other source and scores all rows of that one; ``in-domain`` trains on every source's train split and
scores each test split. Beside the tuned model the table shows the shipped recipe's figures stored by
``bench/sentiment_loso.py --write-metrics`` in ``models/sentiment/metrics.json`` ("fast"), and, with
``--with-fast``, the mean of the two models' probabilities for texts whose fast top probability is below
0.7 (the fast model refitted per fold, minutes each, cached) and the plain mean of the two for every text. With
``--sentences`` each comment is also read with its most negative sentence (``bench/sentiment_loso_adaptation.py``'s
rule: its ``negative`` moves half-way towards that sentence's, never down), by each model and by their cascade and
mean; the sentences' frozen states are cached too. Each cell: macro-F1 / F1 of ``negative``.
Left-out rows also show the off-the-shelf tools' figures on the same rows (VADER everywhere, the published SE
tools on PREMO) as ``bench/sentiment_loso.py --write-metrics`` stored them. Each fold's probabilities are kept in
``--cache-dir`` (``tuned-…-FOLD.npy``, the fast model's as ``fast-…-FOLD-….npy``) for scoring them again;
``--from-results A.json,B.json`` prints the rows of earlier ``--results`` files as one table, so folds run as
separate processes give one table. ``--export-tuned FILE`` writes the last fold's tuned top layers and head in the
format the numpy runtime reads (``brightline.core.nlp.contextual.TunedLayers``; metadata ``labels``,
``first_tuned_layer``, ``max_tokens``).
``--export DIR`` writes the last fold's tuned encoder (``model.safetensors``, ``config.json``,
``tokenizer.json``, the head as ``head.safetensors``) for ``BRIGHTLINE_CONTEXTUAL_MODEL_DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
sys.path.insert(0, str(REPOSITORY / "tools" / "nlp"))
sys.path.insert(0, str(REPOSITORY / "bench"))

from sentiment_loso import LABELS, scores  # noqa: E402
from sentiment_loso_adaptation import SENTENCE_MIX, sentences_of, with_worst_sentence  # noqa: E402
from train_classifiers import DEFAULT_DATA  # noqa: E402

from brightline.core.nlp.classifiers import MODELS_PATH  # noqa: E402
from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE, contextual_model_folder  # noqa: E402
from brightline.core.nlp.sentiment_sources import LabelledRow, default_extra_data_dir, load_sources  # noqa: E402

TORCH_MISSING = ("This needs PyTorch, a training-only dependency: install torch==2.13.0 (the CPU wheel) "
                 "as tools/nlp/requirements-train.txt says.")
IN_DOMAIN = "in-domain"
UNSURE_BELOW = 0.7
BATCH = 32
LAYER_RATE = 1e-4
HEAD_RATE = 1e-3
WARM_UP = 0.06

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - the message is the point
    raise SystemExit(TORCH_MISSING) from None


def digest(texts: list[str]) -> str:
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8") + b"\0")
    return hasher.hexdigest()[:16]


class Embeddings(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        hidden = config["hidden_size"]
        self.word_embeddings = nn.Embedding(config["vocab_size"], hidden)
        self.position_embeddings = nn.Embedding(config["max_position_embeddings"], hidden)
        self.token_type_embeddings = nn.Embedding(config["type_vocab_size"], hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config["layer_norm_eps"])  # noqa: N815 - the weights' name
        self.dropout = nn.Dropout(config["hidden_dropout_prob"])

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1])
        hidden = self.word_embeddings(ids) + self.position_embeddings(positions)[None] + \
            self.token_type_embeddings.weight[0]
        return self.dropout(self.LayerNorm(hidden))


class SelfAttention(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)


class DenseNorm(nn.Module):
    def __init__(self, inner: int, hidden: int, epsilon: float, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(inner, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=epsilon)  # noqa: N815 - the weights' name
        self.dropout = nn.Dropout(dropout)

    def forward(self, values: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(values)) + residual)  # type: ignore[no-any-return]


class Attention(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        hidden = config["hidden_size"]
        self.self = SelfAttention(hidden)
        self.output = DenseNorm(hidden, hidden, config["layer_norm_eps"], config["hidden_dropout_prob"])


class Intermediate(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.dense = nn.Linear(config["hidden_size"], config["intermediate_size"])


class Layer(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.heads = config["num_attention_heads"]
        self.attention = Attention(config)
        self.intermediate = Intermediate(config)
        self.output = DenseNorm(config["intermediate_size"], config["hidden_size"], config["layer_norm_eps"],
                                config["hidden_dropout_prob"])
        self.attention_dropout = config["attention_probs_dropout_prob"]

    def forward(self, hidden: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        rows, length, width = hidden.shape

        def split(values: torch.Tensor) -> torch.Tensor:
            return values.view(rows, length, self.heads, width // self.heads).transpose(1, 2)
        attention = self.attention.self
        context = nn.functional.scaled_dot_product_attention(
            split(attention.query(hidden)), split(attention.key(hidden)), split(attention.value(hidden)),
            attn_mask=key_bias, dropout_p=self.attention_dropout if self.training else 0.0)
        attended = self.attention.output(context.transpose(1, 2).reshape(rows, length, width), hidden)
        inner = nn.functional.gelu(self.intermediate.dense(attended))
        return self.output(inner, attended)  # type: ignore[no-any-return]


class Encoder(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.layer = nn.ModuleList([Layer(config) for _ in range(config["num_hidden_layers"])])


class MiniLM(nn.Module):
    """BERT with the parameter names of the safetensors file, so ``state_dict`` is the exportable file."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.embeddings = Embeddings(config)
        self.encoder = Encoder(config)

    def run(self, hidden: torch.Tensor, mask: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Layers ``start`` to ``stop - 1`` on ``hidden`` (the embeddings' output when ``start`` is 0)."""
        key_bias = ((1.0 - mask) * -1e9)[:, None, None, :].to(hidden.dtype)
        for layer in self.encoder.layer[start:stop]:
            hidden = layer(hidden, key_bias)
        return hidden


class Classifier(nn.Module):
    def __init__(self, encoder: MiniLM, start: int, width: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.start = start
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(width, len(LABELS))

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder.embeddings(inputs) if self.start == 0 else inputs
        hidden = self.encoder.run(hidden, mask, self.start, len(self.encoder.encoder.layer))
        pooled = (hidden * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        return self.head(self.dropout(pooled))  # type: ignore[no-any-return]


def load_pretrained(folder: Path) -> tuple[MiniLM, dict[str, Any]]:
    from safetensors.torch import load_file

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    model = MiniLM(config)
    weights = {key.removeprefix("bert."): value for key, value in load_file(str(folder / "model.safetensors")).items()
               if not key.endswith("position_ids") and not key.startswith(("pooler.", "bert.pooler."))}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise SystemExit(f"the weights do not fit the architecture: missing {missing}, unexpected {unexpected}")
    return model, config


def token_ids(folder: Path, texts: list[str], max_tokens: int) -> list[NDArray[np.int32]]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return [np.asarray(encoding.ids, dtype=np.int32) for encoding in tokenizer.encode_batch(texts)]


def padded(items: list[NDArray[Any]], dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows padded to the longest (ids, or hidden states of shape (length, width)), and the mask."""
    longest = max(len(item) for item in items)
    shape = (len(items), longest, *items[0].shape[1:])
    values = torch.zeros(shape, dtype=dtype)
    mask = torch.zeros((len(items), longest), dtype=torch.float32)
    for row, item in enumerate(items):
        values[row, : len(item)] = torch.from_numpy(np.asarray(item)).to(dtype)
        mask[row, : len(item)] = 1.0
    return values, mask


def frozen_states(model: MiniLM, inputs: list[NDArray[Any]], start_layer: int,
                  layers: int) -> list[NDArray[np.float16]]:
    """Each text's hidden states after the bottom ``layers`` layers (float16, unpadded), from token ids
    (``start_layer`` 0) or from the cached states after ``start_layer`` layers."""
    model.eval()
    found: list[NDArray[np.float16]] = [np.zeros((0, 0), dtype=np.float16)] * len(inputs)
    order = np.argsort([len(item) for item in inputs], kind="stable")
    with torch.no_grad():
        for start in range(0, len(order), 128):
            batch = order[start:start + 128]
            values, mask = padded([inputs[index] for index in batch], torch.long if start_layer == 0 else torch.float32)
            hidden = model.embeddings(values) if start_layer == 0 else values
            hidden = model.run(hidden, mask, start_layer, layers).to(torch.float16).numpy()
            for row, index in enumerate(batch):
                found[index] = hidden[row, : len(inputs[index])].copy()
    return found


def batches(lengths: NDArray[np.int64], generator: np.random.Generator) -> list[NDArray[np.int64]]:
    """Shuffled batches of texts of similar length: shuffle, sort within pools of 50 batches, shuffle batches."""
    order = generator.permutation(len(lengths))
    pool = BATCH * 50
    found: list[NDArray[np.int64]] = []
    for start in range(0, len(order), pool):
        chunk = order[start:start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        found.extend(chunk[offset:offset + BATCH] for offset in range(0, len(chunk), BATCH))
    return [found[index] for index in generator.permutation(len(found))]


def train_and_score(folder: Path, inputs: list[NDArray[Any]], frozen: int, train: NDArray[np.int64],
                    labels: NDArray[np.int64], test: NDArray[np.int64], epochs: float, balanced: bool,
                    seed: int) -> tuple[NDArray[np.float64], Classifier]:
    """Fit on the ``train`` rows of ``inputs`` (ids, or frozen hidden states), return P(label) of the ``test`` rows."""
    torch.manual_seed(seed)
    encoder, config = load_pretrained(folder)
    for parameter in encoder.embeddings.parameters():
        parameter.requires_grad = frozen == 0
    for index, layer in enumerate(encoder.encoder.layer):
        for parameter in layer.parameters():
            parameter.requires_grad = index >= frozen
    model = Classifier(encoder, frozen, config["hidden_size"])
    dtype = torch.long if frozen == 0 else torch.float32
    layer_parameters = [p for p in encoder.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": layer_parameters, "lr": LAYER_RATE},
                                   {"params": list(model.head.parameters()), "lr": HEAD_RATE}], weight_decay=0.01)
    generator = np.random.default_rng(seed)
    lengths = np.array([len(inputs[index]) for index in train], dtype=np.int64)
    plan = [batch for _ in range(math.ceil(epochs)) for batch in batches(lengths, generator)]
    plan = plan[: max(1, round(epochs * math.ceil(len(train) / BATCH)))]
    warm = max(1, round(WARM_UP * len(plan)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warm, max(0.0, (len(plan) - step) / max(1, len(plan) - warm))))
    counts = np.bincount(labels, minlength=len(LABELS)).astype(np.float64)
    weights = torch.tensor(counts.sum() / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32) \
        if balanced else None
    loss_function = nn.CrossEntropyLoss(weight=weights)
    model.train()
    started = time.perf_counter()
    for step, batch in enumerate(plan):
        values, mask = padded([inputs[train[index]] for index in batch], dtype)
        loss = loss_function(model(values, mask), torch.from_numpy(labels[batch]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == len(plan) - 1:
            elapsed = time.perf_counter() - started
            print(f"  step {step + 1}/{len(plan)} loss {loss.item():.3f} ({elapsed:.0f}s, "
                  f"~{elapsed / (step + 1) * len(plan):.0f}s for the fold's training)", file=sys.stderr, flush=True)
    model.eval()
    probabilities = np.zeros((len(test), len(LABELS)))
    order = np.argsort([len(inputs[index]) for index in test], kind="stable")
    with torch.no_grad():
        for start in range(0, len(order), 128):
            rows = order[start:start + 128]
            values, mask = padded([inputs[test[index]] for index in rows], dtype)
            probabilities[rows] = torch.softmax(model(values, mask), dim=1).double().numpy()
    return probabilities, model


def save_tuned_layers(model: Any, path: Path, metadata: dict[str, str]) -> None:
    """The tuned top layers (from ``model.start``) and ``model.head`` in float16, as the numpy runtime reads them."""
    from safetensors.torch import save_file

    state = {}
    for index in range(model.start, len(model.encoder.encoder.layer)):
        for key, value in model.encoder.encoder.layer[index].state_dict().items():
            state[f"encoder.layer.{index}.{key}"] = value.detach().to(torch.float16).contiguous()
    for key, value in model.head.state_dict().items():
        state[f"head.{key}"] = value.detach().to(torch.float16).contiguous()
    save_file(state, str(path), metadata={"first_tuned_layer": str(model.start), **metadata})


def export(model: Classifier, folder: Path, target: Path) -> None:
    from safetensors.torch import save_file

    target.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().contiguous() for key, value in model.encoder.state_dict().items()}
    save_file(state, str(target / "model.safetensors"))
    save_file({key: value.detach().contiguous() for key, value in model.head.state_dict().items()},
              str(target / "head.safetensors"), metadata={"labels": ",".join(LABELS)})
    for name in ("config.json", "tokenizer.json"):
        shutil.copyfile(folder / name, target / name)


def fast_probabilities(cache: Path, name: str, train_rows: list[LabelledRow],
                       test_rows: list[LabelledRow], sentences: list[str] | None = None) -> NDArray[np.float64]:
    """The shipped recipe refitted on the fold's training rows (the shipped model itself in domain), cached; with
    ``sentences``, their probabilities follow the test rows'."""
    from train_classifiers import SENTIMENT_RECIPE, fit_sentiment_recipe, piece_grams

    from brightline.core.nlp.classifiers import bundled_classifier
    from brightline.core.nlp.tokens import tokenize

    texts = [row.text for row in test_rows] + (sentences or [])
    if name == IN_DOMAIN:
        return np.asarray(bundled_classifier("sentiment").probabilities(texts))
    recipe = digest([repr(sorted(SENTIMENT_RECIPE.items()))])
    path = cache / (f"fast-{recipe}-{name}-{digest([row.text for row in train_rows])}"
                    f"{'-sentences' if sentences else ''}.npy")
    if path.is_file():
        return np.asarray(np.load(path))
    builder, model = fit_sentiment_recipe(tokenize([row.text for row in train_rows]),
                                          [row.label for row in train_rows], piece_grams())
    assert list(model.classes_) == LABELS
    value = np.asarray(model.predict_proba(builder.transform(tokenize(texts))))
    np.save(path, value)
    return value


def sentence_inputs(cache: Path, folder: Path, sentences: list[str], max_tokens: int,
                    frozen: int) -> list[NDArray[Any]]:
    """The sentences' token ids, or their frozen hidden states when layers are frozen, computed once and cached."""
    path = cache / f"sentence-states-{digest(sentences)}-{max_tokens}-{frozen}.npz"
    if path.is_file():
        stored = np.load(path)
        return list(np.split(stored["flat"], stored["offsets"][1:-1]))
    started = time.perf_counter()
    found: list[NDArray[Any]] = list(token_ids(folder, sentences, max_tokens))
    if frozen:
        encoder, _ = load_pretrained(folder)
        found = list(frozen_states(encoder, found, 0, frozen))
    offsets = np.cumsum([0, *[len(item) for item in found]])
    np.savez(path, flat=np.concatenate(found), offsets=offsets)
    print(f"{len(sentences):,} sentences encoded in {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    return found


def stored_tools(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The off-the-shelf tools' figures on all rows of a source (VADER everywhere, the published SE tools on PREMO),
    as ``bench/sentiment_loso.py --write-metrics`` stored them beside the fast model's."""
    found: dict[str, dict[str, Any]] = {}
    for block in (entry.get("lexicon", {}), entry.get("tools", {})):
        for tool, figures in block.items():
            if figures.get("all_rows"):
                found[tool] = figures["all_rows"]
    return found


def print_table(table: list[tuple[str, dict[str, dict[str, Any]]]]) -> None:
    names = list(dict.fromkeys(key for _, cells in table for key in cells))
    print("| rows | " + " | ".join(names) + " |")
    print("| " + " | ".join(["---"] * (len(names) + 1)) + " |")
    for label, cells in table:
        print(f"| {label} | " + " | ".join(
            f"{cells[key]['macro_f1']:.3f} / {cells[key]['negative_f1']:.3f}" if key in cells else "–"
            for key in names) + " |")


def stored_fast() -> dict[str, dict[str, Any]]:
    """The shipped recipe's left-out and in-domain figures, as ``bench/sentiment_loso.py`` stored them."""
    metrics = json.loads((MODELS_PATH / "sentiment" / "metrics.json").read_text(encoding="utf-8"))
    return dict(metrics.get("leave_one_source_out", {}).get("sources", {}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--extra-data-dir", type=Path, default=default_extra_data_dir())
    parser.add_argument("--cache-dir", type=Path, required=True, help="where token ids and frozen states are kept")
    parser.add_argument("--folds", default=None,
                        help=f"comma-separated source keys to leave out, and/or {IN_DOMAIN} (default: all)")
    parser.add_argument("--frozen-layers", type=int, default=4, help="bottom layers kept as they are (0-5)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--balanced", action="store_true", help="weight the loss by inverse class frequency")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--with-fast", action="store_true",
                        help="also the shipped recipe + tuned model for unsure texts (refits the fast model)")
    parser.add_argument("--sentences", action="store_true",
                        help="also read each text with its most negative sentence (the rule of "
                             "bench/sentiment_loso_adaptation.py), for the fast model, the tuned one and the cascade")
    parser.add_argument("--export", type=Path, help="write the last fold's tuned encoder and head here")
    parser.add_argument("--export-tuned", type=Path,
                        help="write the last fold's tuned top layers and head (float16) as the numpy runtime reads "
                             "them (brightline.core.nlp.contextual.TunedLayers) to this .safetensors file")
    parser.add_argument("--results", type=Path, help="also write the table's figures as JSON here")
    parser.add_argument("--repeat", default="", help="SOURCE:N[,SOURCE:N]: train on that source's rows N times an "
                                                     "epoch (the fast model is refitted without repeats)")
    parser.add_argument("--from-results", help="comma-separated --results files of earlier runs: print their rows "
                                                  "as one table (left-out rows first) and train nothing")
    arguments = parser.parse_args()
    if arguments.from_results:
        merged: dict[str, dict[str, dict[str, Any]]] = {}
        for name in arguments.from_results.split(","):
            merged.update(json.loads(Path(name).read_text(encoding="utf-8")))
        stored_figures = stored_fast()
        for label, cells in merged.items():
            if label.endswith(" left out"):
                cells.update(stored_tools(stored_figures.get(label.removesuffix(" left out"), {})))
        print_table(sorted(merged.items(), key=lambda item: ("in domain" in item[0], item[0])))
        print("\nEach cell: macro-F1 / F1 of `negative`; tools on all rows of the left-out source.")
        return
    if not 0 <= arguments.frozen_layers <= 5:
        raise SystemExit("--frozen-layers must be between 0 and 5")
    torch.set_num_threads(arguments.threads)
    folder = contextual_model_folder()
    if folder is None:
        raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
    sources = load_sources(arguments.data_dir, arguments.extra_data_dir)
    wanted = arguments.folds.split(",") if arguments.folds else [*sources, IN_DOMAIN]
    unknown = [name for name in wanted if name not in sources and name != IN_DOMAIN]
    if unknown:
        raise SystemExit(f"no such source present: {', '.join(unknown)}")
    keys = [key for key, rows in sources.items() for _ in rows]
    rows_all = [row for rows in sources.values() for row in rows]
    texts = [row.text for row in rows_all]
    arguments.cache_dir.mkdir(parents=True, exist_ok=True)
    tag = f"{digest(texts)}-{arguments.max_tokens}"
    ids_path = arguments.cache_dir / f"ids-{tag}.npz"
    if ids_path.is_file():
        stored = np.load(ids_path)
        ids = np.split(stored["flat"], stored["offsets"][1:-1])
    else:
        ids = token_ids(folder, texts, arguments.max_tokens)
        offsets = np.cumsum([0, *[len(item) for item in ids]])
        np.savez(ids_path, flat=np.concatenate(ids), offsets=offsets)
    inputs: list[NDArray[Any]] = list(ids)
    offsets = np.cumsum([0, *[len(item) for item in ids]])
    if arguments.frozen_layers:
        def states(layers: int) -> Path:
            return arguments.cache_dir / f"states-{tag}-{layers}.npy"
        if states(arguments.frozen_layers).is_file():
            flat = np.load(states(arguments.frozen_layers))
        else:
            # Start from the deepest cached layer below the one asked for.
            below = max((layers for layers in range(1, arguments.frozen_layers) if states(layers).is_file()),
                        default=0)
            source: list[NDArray[Any]] = list(ids)
            if below:
                cached_flat = np.load(states(below))
                source = [cached_flat[offsets[index]:offsets[index + 1]] for index in range(len(ids))]
            started = time.perf_counter()
            encoder, _ = load_pretrained(folder)
            flat = np.concatenate(frozen_states(encoder, source, below, arguments.frozen_layers))
            np.save(states(arguments.frozen_layers), flat)
            print(f"frozen states of {len(ids):,} texts (layers {below + 1}-{arguments.frozen_layers}) in "
                  f"{time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
        inputs = [flat[offsets[index]:offsets[index + 1]] for index in range(len(ids))]
    sentence_texts, owner = sentences_of(texts) if arguments.sentences else ([], np.zeros(0, dtype=np.int64))
    if sentence_texts:
        inputs += sentence_inputs(arguments.cache_dir, folder, sentence_texts, arguments.max_tokens,
                                  arguments.frozen_layers)
    label_index = np.array([LABELS.index(row.label) for row in rows_all], dtype=np.int64)
    source_of = np.array(keys)
    split_of = np.array([row.split for row in rows_all])
    fast_figures = stored_fast()
    repeats = {item.split(":")[0]: int(item.split(":")[1]) for item in arguments.repeat.split(",") if item}
    # The fold's probabilities are kept under a name that says how the model was tuned, for later reading.
    fold_tag = (f"{tag}-f{arguments.frozen_layers}-e{arguments.epochs:g}-s{arguments.seed}"
                f"{'-balanced' if arguments.balanced else ''}"
                + "".join(f"-{source}x{factor}" for source, factor in sorted(repeats.items())))
    table: list[tuple[str, dict[str, dict[str, Any]]]] = []
    model: Classifier | None = None
    for name in wanted:
        started = time.perf_counter()
        if name == IN_DOMAIN:
            train, test = np.flatnonzero(split_of == "train"), np.flatnonzero(split_of == "test")
        else:
            train, test = np.flatnonzero(source_of != name), np.flatnonzero(source_of == name)
        plain_train = train
        for source, factor in repeats.items():
            # A source's training rows seen ``factor`` times an epoch (its weight in the loss times ``factor``).
            train = np.concatenate([train, *[train[source_of[train] == source]] * (factor - 1)])
        # The test texts' sentences (rows after the texts in ``inputs``) and, for each, its text's place in ``test``.
        in_test = np.isin(owner, test)
        test_sentences = len(texts) + np.flatnonzero(in_test)
        local_owner = np.searchsorted(test, owner[in_test])
        print(f"{name}: training on {len(train):,} texts, scoring {len(test):,}"
              + (f" and their {len(test_sentences):,} sentences" if sentence_texts else ""),
              file=sys.stderr, flush=True)
        probabilities, model = train_and_score(folder, inputs, arguments.frozen_layers, train, label_index[train],
                                               np.concatenate([test, test_sentences]), arguments.epochs,
                                               arguments.balanced, arguments.seed)
        np.save(arguments.cache_dir / f"tuned-{fold_tag}-{name}{'-sentences' if sentence_texts else ''}.npy",
                probabilities)
        readings = {"fine-tuned MiniLM": probabilities[: len(test)]}
        if arguments.with_fast:
            fast = fast_probabilities(arguments.cache_dir, name, [rows_all[index] for index in plain_train],
                                      [rows_all[index] for index in test],
                                      [sentence_texts[index - len(texts)] for index in test_sentences] or None)
            readings = {"fast": fast[: len(test)], **readings}
        if sentence_texts:
            readings.update({f"{key} + worst sentence": with_worst_sentence(
                everything, local_owner, SENTENCE_MIX) for key, everything in
                (("fine-tuned MiniLM", probabilities), *((("fast", fast),) if arguments.with_fast else ()))})
        if arguments.with_fast:
            for suffix in ("", " + worst sentence") if sentence_texts else ("",):
                fast_reading, tuned_reading = readings[f"fast{suffix}"], readings[f"fine-tuned MiniLM{suffix}"]
                unsure = fast_reading.max(axis=1) < UNSURE_BELOW
                readings[f"fast + fine-tuned if unsure < {UNSURE_BELOW}{suffix}"] = np.where(
                    unsure[:, None], (fast_reading + tuned_reading) / 2, fast_reading)
                readings[f"mean of fast and fine-tuned{suffix}"] = (fast_reading + tuned_reading) / 2
        truth = np.array([rows_all[index].label for index in test])
        groups = list(sources) if name == IN_DOMAIN else [name]
        for group in groups:
            mask = source_of[test] == group
            label = f"{group}, in domain (test split)" if name == IN_DOMAIN else f"{group} left out"
            stored = fast_figures.get(group, {}).get("in_domain_test_split" if name == IN_DOMAIN else "left_out")
            cells: dict[str, dict[str, Any]] = {}
            if stored:
                cells["fast (stored)"] = stored
            for key, reading in readings.items():
                if key != "fast":  # the refitted fast model's plain figures are the stored ones
                    cells[key] = scores(truth[mask].tolist(), np.array(LABELS)[reading[mask].argmax(axis=1)].tolist())
            if name != IN_DOMAIN:
                cells.update(stored_tools(fast_figures.get(group, {})))
            table.append((label, cells))
            print(f"{label}: " + ", ".join(f"{key} {cell['macro_f1']:.3f} / {cell['negative_f1']:.3f}"
                                           for key, cell in cells.items()), file=sys.stderr, flush=True)
        print(f"{name}: done in {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    print_table(table)
    print(f"\nEach cell: macro-F1 / F1 of `negative`. Fine-tuned: all-MiniLM-L6-v2, bottom {arguments.frozen_layers} "
          f"of 6 layers frozen, {arguments.max_tokens} tokens, {arguments.epochs:g} epoch(s), batch {BATCH}, "
          f"AdamW {LAYER_RATE:g} / head {HEAD_RATE:g}{', balanced loss' if arguments.balanced else ''}, "
          f"seed {arguments.seed}.")
    if arguments.results:
        arguments.results.write_text(json.dumps({label: cells for label, cells in table}, indent=2) + "\n",
                                     encoding="utf-8")
    if arguments.export_tuned and model is not None:
        save_tuned_layers(model, arguments.export_tuned, {
            "labels": ",".join(LABELS), "max_tokens": str(arguments.max_tokens),
            "trained_on": wanted[-1], "epochs": f"{arguments.epochs:g}", "seed": str(arguments.seed)})
        print(f"tuned layers written to {arguments.export_tuned}", file=sys.stderr)
    if arguments.export and model is not None:
        export(model, folder, arguments.export)
        print(f"tuned weights written to {arguments.export}", file=sys.stderr)


if __name__ == "__main__":
    main()
