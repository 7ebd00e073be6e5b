"""The bundled static embedding model and the backend switch."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from brightline.core.nlp import (
    EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE,
    SENTENCE_TRANSFORMERS_MISSING_ERROR,
    UNKNOWN_BACKEND_ERROR,
    embed,
    selected_backend,
)

SENTENCES = [
    "The build is broken again after your merge.",
    "Your merge broke the CI build.",
    "Thanks for the thorough review, great catch!",
    "We should add a unit test for the parser edge case.",
]


def cosine(left: np.ndarray, right: np.ndarray) -> float:
    return float(np.dot(left, right))


def test_it_returns_one_unit_float32_row_per_text() -> None:
    vectors = embed(SENTENCES)
    assert vectors.shape == (4, 256)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_it_is_deterministic_and_independent_of_batch_neighbours() -> None:
    together = embed(SENTENCES)
    alone = np.vstack([embed([sentence]) for sentence in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_array_equal(embed(SENTENCES), together)


def test_it_puts_paraphrases_closer_than_unrelated_sentences() -> None:
    broken_build, merge_broke_ci, thanks, unit_test = embed(SENTENCES)
    assert cosine(broken_build, merge_broke_ci) > cosine(broken_build, thanks) + 0.2
    assert cosine(broken_build, merge_broke_ci) > cosine(broken_build, unit_test)
    assert cosine(merge_broke_ci, broken_build) > cosine(merge_broke_ci, thanks)


def test_it_handles_empty_input_and_empty_text() -> None:
    assert embed([]).shape == (0, 256)
    vectors = embed(["", "fine"])
    assert not vectors[0].any()
    assert np.linalg.norm(vectors[1]) == pytest.approx(1.0, abs=1e-5)


def test_it_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        embed("a single string is a sequence of characters")


def test_the_default_backend_is_the_static_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE, raising=False)
    assert selected_backend() == "static"


def test_it_refuses_an_unknown_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE, "word2vec")
    expected = UNKNOWN_BACKEND_ERROR.format(backend="word2vec", choices="static, sentence-transformers")
    with pytest.raises(ValueError) as raised:
        embed(["hello"])
    assert str(raised.value) == expected


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed here, so the missing-package error cannot occur",
)
def test_it_explains_that_the_full_model_backend_needs_sentence_transformers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE, "sentence-transformers")
    with pytest.raises(ImportError) as raised:
        embed(["hello"])
    assert str(raised.value) == SENTENCE_TRANSFORMERS_MISSING_ERROR
