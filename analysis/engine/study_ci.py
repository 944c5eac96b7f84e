"""Confidence intervals for single-study proportions (forest plots, study tables, k = 1)."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

#: Study-level interval methods.
STUDY_CI_METHODS = ("clopper-pearson", "wilson")


def study_ci(events, totals, method: str = "clopper-pearson", level: float = 0.95):
    """Confidence limits for each study's proportion.

    Parameters
    ----------
    events, totals : array_like of int
        Events and sample sizes (``0 <= events <= totals``, ``totals >= 1``).
    method : {"clopper-pearson", "wilson"}
        Exact (Clopper & Pearson 1934) or Wilson score (Wilson 1927) interval.
    level : float
        Confidence level.

    Returns
    -------
    low, high : ndarray
        Limits in [0, 1].

    Notes
    -----
    Vectorised forms of what ``scipy.stats.binomtest(x, n).proportion_ci(level, method)``
    returns ("exact" and "wilson"; the tests check the two agree):

    * Clopper-Pearson: ``low = B(α/2; x, n-x+1)``, ``high = B(1-α/2; x+1, n-x)`` with ``B``
      the beta quantile, and ``low = 0`` for ``x = 0``, ``high = 1`` for ``x = n``.
    * Wilson: ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``.

    R meta's forest plots use Clopper-Pearson by default (``method.ci = "CP"``).
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    alpha = 1 - level
    if method == "clopper-pearson":
        with np.errstate(invalid="ignore", divide="ignore"):
            low = np.where(x > 0, special.betaincinv(x, n - x + 1, alpha / 2), 0.0)
            high = np.where(x < n, special.betaincinv(x + 1, n - x, 1 - alpha / 2), 1.0)
        return low, high
    if method == "wilson":
        z = stats.norm.ppf(1 - alpha / 2)
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    raise ValueError(f"unknown study CI method {method!r}; choose one of {STUDY_CI_METHODS}")
