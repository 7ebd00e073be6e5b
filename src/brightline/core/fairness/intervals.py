"""Confidence intervals for proportions."""

from __future__ import annotations

import math

__all__ = ["wilson_interval"]


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / n``.

    Returns ``(low, high)`` as fractions in ``[0, 1]``. Unlike the textbook
    ``p ± z·√(p(1−p)/n)`` interval it never leaves ``[0, 1]`` and does not collapse to a
    single point at 0 % or 100 %, which matters for the small groups an audit meets.
    Edge cases: ``successes == 0`` gives ``low == 0.0`` exactly and ``successes == n`` gives
    ``high == 1.0`` exactly; the point estimate always lies inside the interval.

    Raises ``ValueError`` when ``n < 1``, ``successes`` is outside ``0..n`` or
    ``confidence`` is not strictly between 0 and 1.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    from scipy.stats import norm  # loaded where used: start-up stays light
    z = float(norm.ppf(0.5 + confidence / 2.0))
    proportion = successes / n
    z_squared_over_n = z * z / n
    denominator = 1.0 + z_squared_over_n
    centre = (proportion + z_squared_over_n / 2.0) / denominator
    half_width = (z / denominator) * math.sqrt(proportion * (1.0 - proportion) / n + z * z / (4.0 * n * n))
    # Clamp the exact endpoints: floating-point error would otherwise put 0 % at 1e-17
    # or 100 % just outside its own interval.
    low = 0.0 if successes == 0 else min(max(centre - half_width, 0.0), proportion)
    high = 1.0 if successes == n else max(min(centre + half_width, 1.0), proportion)
    return low, high
