"""The bundled static embedding model and the backend switch."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import numpy as np
import pytest

from brightline.core.nlp import (
    EMBEDDING_BACKEND_ENVIRONMENT_VARIABLE,
    SENTENCE_TRANSFORMERS_MISSING_ERROR,
    UNKNOWN_BACKEND_ERROR,
    embed,
    selected_backend,
)
from brightline.core.nlp.tokens import computed_ahead

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


def test_computed_ahead_keeps_order_and_computes_each_item_once_one_item_ahead():
    calls: list[int] = []
    seen_by_caller: list[int] = []

    def square(number: int) -> int:
        calls.append(number)
        return number * number

    def numbers() -> Iterator[int]:
        for number in range(5):
            seen_by_caller.append(number)
            yield number

    results = []
    for item, result in computed_ahead(square, numbers()):
        # Never more than one item beyond the one handed out is read or computed.
        assert len(seen_by_caller) <= item + 2
        results.append((item, result))
    assert results == [(n, n * n) for n in range(5)]
    assert sorted(calls) == list(range(5))
    assert list(computed_ahead(square, [])) == []


def test_computed_ahead_raises_the_helper_threads_error_to_the_caller():
    def fail_on_two(number: int) -> int:
        if number == 2:
            raise ValueError("bad item 2")
        return number

    received = []
    with pytest.raises(ValueError, match="bad item 2"):
        for item, _ in computed_ahead(fail_on_two, range(5)):
            received.append(item)
    assert received == [0, 1]
