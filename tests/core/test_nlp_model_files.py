"""The classifier files are plain data, and a file of the wrong kind is refused with a clear message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from safetensors.numpy import load_file, save_file

from brightline.core.nlp.classifiers import (
    MISSING_ARRAY_ERROR,
    MODEL_FORMAT_VERSION,
    MODELS_PATH,
    UNSUPPORTED_MODEL_FORMAT_ERROR,
    VOCABULARY_MISMATCH_ERROR,
    load_linear_classifier,
)


def copy_of_the_sentiment_model(folder: Path) -> Path:
    target = folder / "sentiment"
    shutil.copytree(MODELS_PATH / "sentiment", target)
    return target


def rewrite_description(folder: Path, **changes: object) -> None:
    description = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    description.update(changes)
    (folder / "model.json").write_text(json.dumps(description), encoding="utf-8")


@pytest.mark.parametrize("task", ["sentiment", "tone"])
def test_the_shipped_models_are_json_and_safetensors_of_the_current_format(task: str) -> None:
    folder = MODELS_PATH / task
    # The tone check also keeps its figures on the independent evaluation set (bench/tone_eval.py), its
    # second stage (tools/nlp/train_tone_attack.py), and its tuned contextual first stage with the second stage
    # trained over its scores (tools/nlp/train_tone_contextual.py, --first-stage contextual), and its attack reader
    # (tools/nlp/train_tone_attack_encoder.py). Sentiment keeps its fine-tuned second opinion (read with the
    # optional contextual model).
    extra = ["eval_metrics.json", "second_stage.safetensors", "contextual.json", "contextual.safetensors",
             "second_stage_contextual.safetensors", "attack_encoder.json",
             "attack_encoder.safetensors"] if task == "tone" else ["second_opinion.safetensors"]
    assert sorted(path.name for path in folder.iterdir()) == sorted(["MODEL_CARD.md", "metrics.json", "model.json",
                                                                     "weights.safetensors", *extra])
    assert json.loads((folder / "model.json").read_text(encoding="utf-8"))["format_version"] == MODEL_FORMAT_VERSION
    arrays = load_file(folder / "weights.safetensors")
    assert {"intercepts", "subword_weights", "pair_keys", "piece_weights"} <= set(arrays)


def test_it_refuses_a_model_of_another_format_version(tmp_path: Path) -> None:
    folder = copy_of_the_sentiment_model(tmp_path)
    rewrite_description(folder, format_version=1)
    with pytest.raises(ValueError) as raised:
        load_linear_classifier(folder)
    assert str(raised.value) == UNSUPPORTED_MODEL_FORMAT_ERROR.format(path=folder, found=1,
                                                                      expected=MODEL_FORMAT_VERSION)


def test_it_refuses_a_model_trained_on_another_tokenizer(tmp_path: Path) -> None:
    folder = copy_of_the_sentiment_model(tmp_path)
    rewrite_description(folder, vocabulary_size=30522)
    with pytest.raises(ValueError) as raised:
        load_linear_classifier(folder)
    assert str(raised.value) == VOCABULARY_MISMATCH_ERROR.format(path=folder, found=30522, expected=29525)


def test_it_names_a_missing_weight_table(tmp_path: Path) -> None:
    folder = copy_of_the_sentiment_model(tmp_path)
    arrays = load_file(folder / "weights.safetensors")
    del arrays["piece_weights"]
    save_file(arrays, folder / "weights.safetensors")
    with pytest.raises(ValueError) as raised:
        load_linear_classifier(folder)
    assert str(raised.value) == MISSING_ARRAY_ERROR.format(path=folder, name="piece_weights")
