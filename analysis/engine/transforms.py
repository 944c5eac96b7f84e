"""Scales for pooling proportions: forward transformation, sampling variance, back-transformation.

The four scales follow metafor's ``escalc`` measures ``PLO`` (logit), ``PFT`` (Freeman-Tukey
double arcsine, metafor's half-angle definition), ``PAS`` (arcsine square root) and ``PR``
(raw proportion), including metafor's continuity-correction convention (Viechtbauer 2010).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

#: Names of the supported scales, in the order used by tables.
TRANSFORMS = ("logit", "freeman-tukey", "arcsine", "raw")
#: Continuity-correction rules (metafor ``escalc(to=...)``).
CC_RULES = ("only0", "if0all", "all", "none")
#: Value added to events and non-events where a correction applies (metafor ``add=1/2``).
CONTINUITY_CORRECTION = 0.5
#: Scales whose variance or value is undefined at 0 or all events, so they take a correction.
_NEEDS_CC = frozenset({"logit", "raw"})


def _check_transform(transform: str) -> str:
    if transform not in TRANSFORMS:
        raise ValueError(f"unknown transform {transform!r}; choose one of {TRANSFORMS}")
    return transform


def needs_correction(transform: str) -> bool:
    """Whether a scale takes a continuity correction for studies with 0 or all events.

    Parameters
    ----------
    transform : {"logit", "freeman-tukey", "arcsine", "raw"}
        The scale.

    Returns
    -------
    bool
        True for logit and raw, False for the arcsine scales (finite at 0 and n).
    """
    return _check_transform(transform) in _NEEDS_CC


def continuity_correct(events, totals, cc: str = "only0", add: float = CONTINUITY_CORRECTION):
    """Add ``add`` to events and non-events of the studies selected by ``cc``.

    Parameters
    ----------
    events, totals : array_like of int
        Events and sample sizes.
    cc : {"only0", "if0all", "all", "none"}
        ``only0``: studies with 0 or all events; ``if0all``: every study if any study has 0 or
        all events; ``all``: every study; ``none``: no study.
    add : float
        The correction (0.5).

    Returns
    -------
    x, n : ndarray of float
        Corrected events and totals (``n`` grows by ``2 * add`` where corrected).
    corrected : ndarray of bool
        Which studies were corrected.

    Notes
    -----
    This is metafor's ``escalc(add=1/2, to=cc)`` rule for single proportions
    (Viechtbauer 2010, J Stat Softw 36(3)); R meta uses the same default ("only0").
    """
    if cc not in CC_RULES:
        raise ValueError(f"unknown continuity correction {cc!r}; choose one of {CC_RULES}")
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    extreme = (x == 0) | (x == n)
    if cc == "only0":
        corrected = extreme
    elif cc == "if0all":
        corrected = np.full(x.shape, bool(extreme.any()))
    elif cc == "all":
        corrected = np.ones(x.shape, dtype=bool)
    else:
        corrected = np.zeros(x.shape, dtype=bool)
    return x + add * corrected, n + 2 * add * corrected, corrected


def escalc(events, totals, transform: str = "logit", cc: str = "only0"):
    """Study estimates ``yi`` and sampling variances ``vi`` on a transformed scale.

    Parameters
    ----------
    events, totals : array_like of int
        Events and sample sizes (validated by the caller).
    transform : {"logit", "freeman-tukey", "arcsine", "raw"}
        The scale.
    cc : {"only0", "if0all", "all", "none"}
        Continuity correction, applied on the logit and raw scales only.

    Returns
    -------
    yi, vi : ndarray of float
        Estimates and sampling variances.

    Raises
    ------
    ValueError
        If ``cc="none"`` leaves a study with an infinite logit or a zero variance.

    Notes
    -----
    With ``p = x/n`` (after correction where it applies):

    * logit: ``y = log(x/(n-x))``, ``v = 1/x + 1/(n-x)``.
    * Freeman-Tukey (Freeman & Tukey 1950; metafor's half-angle form):
      ``y = [asin(sqrt(x/(n+1))) + asin(sqrt((x+1)/(n+1)))]/2``, ``v = 1/(4n+2)``.
    * arcsine: ``y = asin(sqrt(p))``, ``v = 1/(4n)``.
    * raw: ``y = p``, ``v = p(1-p)/n``.

    These are metafor's ``PLO``, ``PFT``, ``PAS`` and ``PR`` (Viechtbauer 2010).
    """
    _check_transform(transform)
    if transform in _NEEDS_CC:
        x, n, _ = continuity_correct(events, totals, cc)
    else:
        x = np.asarray(events, dtype=float)
        n = np.asarray(totals, dtype=float)
    if transform == "logit":
        if np.any((x == 0) | (x == n)):
            raise ValueError(
                "a study with 0 or all events has an infinite logit: use a continuity "
                "correction (cc='only0') or the GLMM"
            )
        return np.log(x / (n - x)), 1.0 / x + 1.0 / (n - x)
    if transform == "freeman-tukey":
        y = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
        return y, 1.0 / (4 * n + 2)
    if transform == "arcsine":
        return np.arcsin(np.sqrt(x / n)), 1.0 / (4 * n)
    p = x / n
    v = p * (1 - p) / n
    if np.any(v <= 0):
        raise ValueError(
            "a study with 0 or all events has zero variance on the raw scale: use a "
            "continuity correction (cc='only0')"
        )
    return p, v


def harmonic_mean(totals) -> float:
    """Harmonic mean of sample sizes, ``1/mean(1/n)`` (Miller 1978)."""
    n = np.asarray(totals, dtype=float)
    return float(1.0 / np.mean(1.0 / n))


def pft(p, n):
    """Freeman-Tukey transform of a proportion ``p`` for sample size ``n``.

    metafor's ``transf.pft``.
    """
    x = np.asarray(p, dtype=float) * n
    return 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))


def ipft(y, n):
    """Inverse Freeman-Tukey transform (Miller 1978), clipped to [0, 1].

    Parameters
    ----------
    y : array_like
        Values on metafor's half-angle Freeman-Tukey scale.
    n : float or array_like
        Sample size; for a pooled value, the harmonic mean of the study sizes.

    Returns
    -------
    ndarray
        Proportions in [0, 1].

    Notes
    -----
    With ``t = 2y`` (Freeman-Tukey's full angle), Miller (1978, Am Stat 32:138):
    ``p = 1/2 [1 - sgn(cos t) sqrt(1 - (sin t + (sin t - 1/sin t)/n)^2)]``.
    Values below ``pft(0, n)`` map to 0 and above ``pft(1, n)`` to 1, as metafor's
    ``transf.ipft`` does, which also removes the square root's invalid region.
    """
    y = np.asarray(y, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sin(2 * y)
        z = 0.5 * (1 - np.sign(np.cos(2 * y)) * np.sqrt(1 - (s + (s - 1 / s) / n) ** 2))
    z = np.where(y > pft(1.0, n), 1.0, z)
    z = np.where(y < pft(0.0, n), 0.0, z)
    return np.clip(z, 0.0, 1.0)


def back_transform(y, transform: str, totals=None):
    """Back-transform values from a model scale to the proportion scale.

    Parameters
    ----------
    y : array_like
        Values on the model scale (pooled estimate, CI or PI limits).
    transform : {"logit", "freeman-tukey", "arcsine", "raw"}
        The scale.
    totals : array_like of int, optional
        Study sizes; required for Freeman-Tukey (harmonic-mean inverse, Miller 1978).

    Returns
    -------
    ndarray
        Proportions. Logit, Freeman-Tukey and arcsine results lie in [0, 1]; raw values are
        returned unchanged (they can leave [0, 1], as in metafor).

    Notes
    -----
    logit: ``1/(1+exp(-y))``; arcsine: ``sin(y)^2`` with ``y`` clipped to ``[0, pi/2]``
    (metafor ``transf.iarcsin``); Freeman-Tukey: :func:`ipft` with the harmonic mean of
    ``totals`` (metafor ``transf.ipft.hm``); raw: identity.
    """
    _check_transform(transform)
    y = np.asarray(y, dtype=float)
    if transform == "logit":
        return expit(y)
    if transform == "arcsine":
        return np.sin(np.clip(y, 0.0, np.pi / 2)) ** 2
    if transform == "freeman-tukey":
        if totals is None:
            raise ValueError("the Freeman-Tukey back-transformation needs the study sizes")
        return ipft(y, harmonic_mean(totals))
    return y.copy()
