"""bench/sentiment_loso_prior_shift.py: the class prior of a new source re-estimated from its unlabelled texts."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from tests.bench_scripts import load_bench
from tests.core.test_nlp_sentiment_loso import NEGATIVE, NEUTRAL, POSITIVE
from tests.core.test_nlp_sentiment_sources import write_csv

from brightline.core.nlp.sentiment_sources import SOURCES


def bench_module() -> ModuleType:
    return load_bench("sentiment_loso_prior_shift")


def shifted_posteriors(prior: list[float], rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows drawn with ``prior`` from three overlapping Gaussians; exact posteriors under a uniform prior."""
    generator = np.random.default_rng(seed)
    truth = generator.choice(3, size=rows, p=prior)
    values = generator.normal(loc=np.array([-1.5, 0.0, 1.5])[truth], scale=1.0)
    likelihood = np.exp(-0.5 * (values[:, None] - np.array([-1.5, 0.0, 1.5])[None, :]) ** 2)
    return likelihood / likelihood.sum(axis=1, keepdims=True), truth


def test_em_and_bbse_recover_the_prior_of_shifted_texts_without_their_labels() -> None:
    bench = bench_module()
    target, _ = shifted_posteriors([0.1, 0.7, 0.2], 20_000, seed=1)
    held_out = [shifted_posteriors([1 / 3, 1 / 3, 1 / 3], 20_000, seed=2)]
    uniform = np.full(3, 1 / 3)
    np.testing.assert_allclose(bench.em_prior(target, uniform), [0.1, 0.7, 0.2], atol=0.02)
    np.testing.assert_allclose(bench.bbse_prior(target, held_out), [0.1, 0.7, 0.2], atol=0.03)
    # Moving the posteriors to the estimated prior makes fewer rows negative, as there are fewer negatives.
    moved = bench.shift(target, uniform, bench.em_prior(target, uniform))
    assert np.allclose(moved.sum(axis=1), 1.0)
    assert (moved.argmax(axis=1) == 0).sum() < (target.argmax(axis=1) == 0).sum()


def test_calibration_undoes_an_overconfident_temperature() -> None:
    bench = bench_module()
    posteriors, truth = shifted_posteriors([1 / 3, 1 / 3, 1 / 3], 20_000, seed=3)
    sharpened = bench.calibrated(posteriors, 0.5, np.zeros(3))  # as if every log-probability were doubled
    temperature, biases = bench.fit_calibration([(sharpened, truth)])
    assert temperature == pytest.approx(2.0, rel=0.05)
    np.testing.assert_allclose(bench.calibrated(sharpened, temperature, biases), posteriors, atol=0.02)


def write_sources(root: Path, github_labels: list[str]) -> tuple[Path, Path]:
    def rows(suffix: str) -> list[tuple[str, str]]:
        return ([(f"{text} {suffix}", "positive") for text in POSITIVE]
                + [(f"{text} {suffix}", "negative") for text in NEGATIVE]
                + [(f"{text} {suffix}", "neutral") for text in NEUTRAL])
    shared, extra = root / "shared", root / "extra"
    write_csv(shared / "senti4sd" / "senti4sd_polarity.csv", ["id", "text", "label", "split"],
              [[str(i), text, label, "test" if i % 3 == 0 else "train"]
               for i, (text, label) in enumerate(rows("on stack overflow"))])
    write_csv(shared / "premo_pr_emotions" / "premo_pr_comments.csv", ["id", "message_url", "text", "polarity"],
              [[str(i), f"https://example.test/{i}", text, label]
               for i, (text, label) in enumerate(rows("in the pull request"))])
    github = next(source for source in SOURCES if source.key == "github")
    oracle = {"negative": "-1", "neutral": "0", "positive": "1"}
    write_csv(extra / github.relative_path, ["id", "dataset", "text", "oracle"],
              [[str(i), "github_test_0", f'{text}"', oracle[label]]
               for i, ((text, _), label) in enumerate(zip(rows("on github"), github_labels, strict=True))])
    return shared, extra


def test_a_left_out_source_s_estimates_never_read_its_own_labels(tmp_path: Path) -> None:
    bench = bench_module()
    labels = ["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6
    cache = tmp_path / "cache"
    first = bench.evaluate(*write_sources(tmp_path / "a", labels), cache)
    # The same texts with the labels turned around: only the scores of the left-out github rows may change.
    fitted = sorted(path.name for path in cache.iterdir())
    assert len(fitted) == 3 + 3 + 3  # outer, inner pairs, source-balanced
    second = bench.evaluate(*write_sources(tmp_path / "b", labels[::-1]), cache)
    assert list(first["left_out"]) == list(first["in_domain"]) == list(first["oracle"]) == [
        "senti4sd", "premo", "github"]
    for name, block in first["left_out"]["github"]["methods"].items():
        assert block["estimated_negative_share"] == second["left_out"]["github"]["methods"][name][
            "estimated_negative_share"], name
    assert first["left_out"]["github"]["methods"] != second["left_out"]["github"]["methods"]
    estimated = [block["estimated_negative_share"] for entry in first["left_out"].values()
                 for block in entry["methods"].values() if block["estimated_negative_share"] is not None]
    assert estimated and all(0.0 <= share <= 1.0 for share in estimated)
    assert set(first["training_variants"]["source-balanced"]) == {"senti4sd", "premo", "github"}
    # The models that never saw github's labels were not refitted; a rerun reads every probability from the cache.
    assert len(list(cache.iterdir())) == len(fitted) + 5
    again = bench.evaluate(*write_sources(tmp_path / "a", labels), cache)
    assert again == first and len(list(cache.iterdir())) == len(fitted) + 5
    table = bench.markdown(first)
    assert "| calibrated + EM |" in table and "| true negative share | 0.33 | 0.33 | 0.33 |" in table


def test_it_needs_three_sources_to_calibrate_on_held_out_ones(tmp_path: Path) -> None:
    shared, _ = write_sources(tmp_path, ["neutral"] * 18)
    with pytest.raises(SystemExit, match="fewer than three"):
        bench_module().evaluate(shared, None, None)


def test_the_scores_counted_in_numpy_equal_scikit_learns() -> None:
    from sklearn.metrics import f1_score

    bench = bench_module()
    generator = np.random.default_rng(3)
    for size in (1, 5, 40, 300):
        for _ in range(25):
            truth, predicted = generator.integers(0, 3, size), generator.integers(0, 3, size)
            expected = {
                "macro_f1": round(float(f1_score(truth, predicted, labels=[0, 1, 2], average="macro",
                                                 zero_division=0)), 4),
                "negative_f1": round(float(f1_score(truth, predicted, labels=[bench.NEGATIVE], average=None,
                                                    zero_division=0)[0]), 4)}
            assert bench.scores(truth, predicted) == expected
