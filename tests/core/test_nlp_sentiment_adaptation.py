"""bench/sentiment_loso_adaptation.py and tools/nlp/themes_dev_calibration.py: the rules they measure."""

from __future__ import annotations

import numpy as np
from tests.bench_scripts import load_bench, load_tool


def test_a_negative_sentence_inside_a_friendly_comment_makes_it_negative_only_when_mixed_in() -> None:
    bench = load_bench("sentiment_loso_adaptation")
    texts = ["Thanks for the patch, it reads well. This part is a mess and wastes my time.", "Looks good."]
    flat, owner = bench.sentences_of(texts)
    assert flat[0].startswith("Thanks") and flat[-1] == "Looks good."
    assert owner.tolist() == [0, 0, 1]
    # Whole comment, then its two sentences, then the one-sentence comment.
    probabilities = np.array([[0.3, 0.2, 0.5], [0.1, 0.6, 0.3],
                              [0.05, 0.15, 0.8], [0.9, 0.05, 0.05], [0.1, 0.6, 0.3]])
    assert bench.read(probabilities, owner, 0.0).tolist() == ["positive", "neutral"]
    assert bench.read(probabilities, owner, 0.5).tolist() == ["negative", "neutral"]
    # A sentence less negative than the whole text never lowers it.
    calm = probabilities.copy()
    calm[2:4, 0] = 0.0
    assert bench.read(calm, owner, 1.0).tolist() == ["positive", "neutral"]


def test_source_terms_are_zero_for_a_text_from_an_unseen_source_except_the_average_bias() -> None:
    bench = load_bench("sentiment_loso_adaptation")
    from scipy import sparse

    features = sparse.csr_matrix(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    source = np.array([0, 1, -1])
    assert bench.design(features, source, 2, "shipped") is features
    intercepts = bench.design(features, source, 2, "source intercepts").toarray()
    scale = bench.INTERCEPT_SCALE
    np.testing.assert_allclose(intercepts[:, 2:], [[scale, 0], [0, scale], [scale / 2, scale / 2]])
    split = bench.design(features, source, 2, "shared + per-source").toarray()
    assert split.shape == (3, 2 + 2 + 2 * 2)
    np.testing.assert_allclose(split[:, 4:], [[1, 2, 0, 0], [0, 0, 3, 4], [0, 0, 0, 0]])


def test_theme_calibration_keeps_at_most_the_cap_and_prefers_the_shipped_setting_on_a_tie() -> None:
    tool = load_tool("themes_dev_calibration")
    scores = np.array([[0.9, 0.8, 0.7], [0.2, 0.6, 0.1]])
    assert tool.predict(scores, 0.5, 1).tolist() == [[True, False, False], [False, True, False]]
    assert tool.predict(scores, 0.5, 3).tolist() == [[True, True, True], [False, True, False]]
    assert tool.prf(np.array([2, 4, 3])) == (0.5, 2 / 3, 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    tallies = {(0.5, 0.5, 2): np.array([2, 4, 4]), (0.7, 0.3, 1): np.array([2, 4, 4]),
               (0.6, 0.45, 2): np.array([1, 4, 4])}
    assert tool.best_setting(tallies, (0.5, 0.5, 2)) == (0.5, 0.5, 2)
    tallies[(0.7, 0.3, 1)] = np.array([3, 4, 4])
    assert tool.best_setting(tallies, (0.5, 0.5, 2)) == (0.7, 0.3, 1)


def test_the_worst_sentence_moves_only_negative_and_the_rows_still_sum_to_one() -> None:
    bench = load_bench("sentiment_loso_adaptation")
    owner = np.array([0, 0, 1])
    probabilities = np.array([[0.3, 0.2, 0.5], [0.1, 0.6, 0.3],
                              [0.05, 0.15, 0.8], [0.9, 0.05, 0.05], [0.1, 0.6, 0.3]])
    mixed = bench.with_worst_sentence(probabilities, owner, 0.5)
    assert mixed.shape == (2, 3)
    assert np.allclose(mixed.sum(axis=1), 1.0)
    # The first comment's negative goes half-way to 0.9 (0.6), then the row is renormalised; the other keeps its own.
    assert np.allclose(mixed[0], np.array([0.6, 0.2, 0.5]) / 1.3)
    assert np.allclose(mixed[1], probabilities[1])
    # The texts' rows passed in are not changed in place.
    assert probabilities[0, 0] == 0.3
