"""Rounding and wording of results: the only place numbers become text."""

from __future__ import annotations

import math

from ..engine.results import PooledProportion
from ..review.synthesis import OUTCOMES

#: En dash used in intervals.
DASH = "\u2013"
#: Shown where a number is missing from every source we have.
MISSING = "\u2014"
#: What a count no source states is shown as.
NOT_REPORTED = "not reported"


def fmt_pct(p: float, digits: int = 1) -> str:
    """Format a proportion (0-1) as a percentage, e.g. ``0.0923 -> '9.2%'``.

    Parameters
    ----------
    p : float
        Proportion on the 0-1 scale; NaN gives ``'NA'``.
    digits : int
        Decimals of the percentage.
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NA"
    return f"{100 * p:.{digits}f}%"


def fmt_interval(low: float, high: float, digits: int = 1) -> str:
    """Format an interval of proportions as ``'5.0–25.1%'``."""
    if any(v is None or math.isnan(v) for v in (low, high)):
        return "NA"
    return f"{100 * low:.{digits}f}{DASH}{100 * high:.{digits}f}%"


def fmt_estimate(result: PooledProportion, digits: int = 1) -> str:
    """Format a pooled proportion with its CI for a table cell: ``'12.3% (5.0–25.1%)'``."""
    ci = fmt_interval(result.ci_low, result.ci_high, digits)
    return f"{fmt_pct(result.estimate, digits)} ({ci})"


def fmt_estimate_ci(result: PooledProportion, digits: int = 1) -> str:
    """Format a pooled proportion with its CI: ``'12.3% (95% CI 5.0–25.1%)'``."""
    ci = fmt_interval(result.ci_low, result.ci_high, digits)
    return f"{fmt_pct(result.estimate, digits)} (95% CI {ci})"


def fmt_i2(result: PooledProportion) -> str:
    """Format I² in percent with no decimals, or ``'NA'`` for a single study."""
    if result.k < 2 or math.isnan(result.i2):
        return "NA"
    return f"{result.i2:.0f}%"


def fmt_count(n: int | float) -> str:
    """Format a count with a thousands separator (``1234 -> '1,234'``)."""
    return f"{int(n):,}"


def fmt_p(p: float) -> str:
    """Format a p-value with three decimals, ``'<0.001'`` below that, ``'NA'`` for NaN."""
    if p is None or math.isnan(p):
        return "NA"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def outcome_label(outcome: str) -> str:
    """The book's wording of an outcome code (``'sae' -> 'Serious adverse events'``)."""
    return OUTCOMES.get(outcome, outcome)


def regimen_label(regimen: str) -> str:
    """The book's wording of a regimen label (``'any' -> 'Any combination'``)."""
    return "Any combination" if regimen == "any" else regimen
