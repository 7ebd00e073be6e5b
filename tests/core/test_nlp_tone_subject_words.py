"""The second stage's subject-word block: words read with who or what their sentence judges.

The sentences are written for this test; no evaluation or development file holds them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from brightline.core.nlp.classifiers import MODELS_PATH, SecondStage, load_linear_classifier
from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE
from brightline.core.nlp.tone import LEXICON_FEATURES, TARGET_FEATURES, subject_words


def test_the_same_words_are_marked_by_whom_they_judge() -> None:
    about_you = subject_words("You obviously didn't run the linter.")
    about_the_patch = subject_words("This patch obviously didn't run the linter.")
    no_subject = subject_words("Stop ignoring the linter.")
    assert "p:obviously" in about_you and "p:<p> obviously" in about_you
    assert "w:obviously" in about_the_patch and "p:obviously" not in about_the_patch
    assert "n:ignoring" in no_subject and "n:stop ignoring" in no_subject
    # "your <noun>" judges the thing owned, not its owner.
    assert "w:flaky" in subject_words("Your test is flaky.")
    # He, she and you read as one word, so their pairs are shared.
    assert "p:<p> never" in subject_words("He never answers.") and "p:<p> never" in subject_words("You never answer.")


def test_each_key_is_given_once() -> None:
    keys = subject_words("You broke it. You broke it again.")
    assert len(keys) == len(set(keys))


def _stage(vocabulary: dict[str, int] | None, table: np.ndarray | None) -> SecondStage:
    zeros = np.zeros
    return SecondStage(first_stage_weights=zeros((1, 3)), lexicon_weights=zeros((len(LEXICON_FEATURES), 3)),
                       target_weights=zeros((len(TARGET_FEATURES), 3)), embedding_weights=zeros((4, 3), np.float32),
                       intercepts=zeros(3), attack_threshold=0.5, profane_threshold=0.5,
                       subject_vocabulary=vocabulary, subject_table=table)


def test_the_block_adds_its_weights_divided_by_the_root_of_the_summed_squared_idf() -> None:
    vocabulary = {"p:obviously": 0, "p:<p> obviously": 1, "w:obviously": 2}
    table = np.array([[0.0, 2.0, 0.0, 4.0], [0.0, 1.0, 0.0, 5.0], [1.0, 0.0, 0.0, 9.0]])
    stage = _stage(vocabulary, table)
    scores = stage.subject_scores(["You obviously forgot.", "This obviously broke.", "Fine."])
    assert np.allclose(scores[0], [0.0, 3.0 / 3.0, 0.0])  # two keys: (2 + 1) / sqrt(4 + 5)
    assert np.allclose(scores[1], [1.0 / 3.0, 0.0, 0.0])
    assert np.allclose(scores[2], 0.0)  # no key of the vocabulary: nothing added
    none = np.zeros(3)
    probabilities = stage.probabilities(none, np.zeros((3, len(LEXICON_FEATURES)), np.float32),
                                        np.zeros((3, len(TARGET_FEATURES)), np.float32), np.zeros((3, 4), np.float32),
                                        ["You obviously forgot.", "This obviously broke.", "Fine."])
    assert probabilities[0, 1] > probabilities[0, 0] and np.allclose(probabilities[2], 1 / 3)
    # A stage without the block scores as before and needs no texts.
    plain = _stage(None, None).probabilities(none, np.zeros((3, len(LEXICON_FEATURES)), np.float32),
                                             np.zeros((3, len(TARGET_FEATURES)), np.float32),
                                             np.zeros((3, 4), np.float32))
    assert np.allclose(plain, 1 / 3)


def _model_with_block(folder: Path, table: np.ndarray, words: list[str]) -> Path:
    """A copy of the shipped tone model whose default second stage carries a subject-word block."""
    shutil.copytree(MODELS_PATH / "tone", folder)
    arrays = load_file(str(folder / "second_stage.safetensors"))
    save_file({**arrays, "subject_weights": table.astype(np.float32)}, str(folder / "second_stage.safetensors"))
    (folder / "words.json").write_text(json.dumps(words), encoding="utf-8")
    description = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    description["second_stage"]["subject_words_file"] = "words.json"
    (folder / "model.json").write_text(json.dumps(description), encoding="utf-8")
    return folder


def test_a_shipped_block_is_read_and_moves_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, str(tmp_path / "no-contextual-model"))
    text = "You obviously copied the old module."
    stock = load_linear_classifier(MODELS_PATH / "tone")
    assert stock.second_stage is not None and stock.second_stage.subject_vocabulary is None
    (before,) = stock.predict([text])
    # One key, weighed heavily towards an attack: the check now flags the sentence (no hostile word, but about a
    # person and praising no one, so the sure model opens the gate) and names the word behind it.
    folder = _model_with_block(tmp_path / "tone", np.array([[0.0, 40.0, 0.0, 1.0]]), ["p:obviously"])
    changed = load_linear_classifier(folder)
    assert changed.second_stage is not None and changed.second_stage.subject_vocabulary == {"p:obviously": 0}
    (after,) = changed.predict([text])
    assert before.label == "ok" and (after.label, after.kind) == ("toxic", "attack")
    assert "obviously" in [trigger.text for trigger in after.triggers]
    # The same word about the work is another key: nothing changes there.
    work = "This patch obviously copied the old module."
    assert changed.predict([work])[0].label == stock.predict([work])[0].label == "ok"


def test_a_block_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    folder = _model_with_block(tmp_path / "tone", np.zeros((2, 4)), ["p:obviously"])
    with pytest.raises(ValueError, match="subject_weights"):
        load_linear_classifier(folder)
