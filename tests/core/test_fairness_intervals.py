"""Wilson score interval against published values (Newcombe 1998, Table I)."""

import pytest

from brightline.core.fairness import wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_it_matches_newcombes_published_wilson_intervals(successes, n, low, high):
    computed_low, computed_high = wilson_interval(successes, n)
    assert computed_low == pytest.approx(low, abs=5e-5)
    assert computed_high == pytest.approx(high, abs=5e-5)


def test_it_pins_the_exact_endpoints_at_zero_and_one():
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 1.0


def test_a_wider_confidence_gives_a_wider_interval():
    narrow = wilson_interval(30, 100, confidence=0.90)
    wide = wilson_interval(30, 100, confidence=0.99)
    assert wide[0] < narrow[0] < 0.3 < narrow[1] < wide[1]


@pytest.mark.parametrize(("successes", "n", "confidence"), [(0, 0, 0.95), (5, 4, 0.95), (-1, 4, 0.95), (1, 4, 1.0)])
def test_it_refuses_impossible_input(successes, n, confidence):
    with pytest.raises(ValueError):
        wilson_interval(successes, n, confidence=confidence)
