"""Between-study variance (tau²) estimators, Cochran's Q, I², H² and the Q-profile CI.

Every estimator accepts an optional vector of subgroup codes: the model then has one intercept
per subgroup and a common tau² (a meta-regression on a categorical moderator, as
``rma(yi, vi, mods = ~ factor(group))``), which is what a subgroup analysis with a common tau²
needs. With intercept-dependent matrices written per group, everything is O(k).

The iterative estimators reproduce metafor 3.8-1's algorithms step by step (start values,
Fisher scoring, stopping rules, R's ``uniroot``), so that results agree with ``rma()`` to
floating-point precision rather than only to the tolerance of the iteration.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import optimize, special

#: tau² estimators: DerSimonian-Laird, restricted and full maximum likelihood, Paule-Mandel,
#: Hedges (HE), Sidik-Jonkman, and "EE" (equal effects: tau² fixed at 0).
TAU2_METHODS = ("DL", "REML", "ML", "PM", "HE", "SJ", "EE")

# metafor rma.uni control defaults (metafor 3.8-1, rma.uni: con$threshold, con$tol, ...).
_THRESHOLD = 1e-5
_TOL = np.finfo(float).eps ** 0.25
_MAXITER = 100
_TAU2_MAX = 100.0


class EstimationError(RuntimeError):
    """An iterative estimator did not converge (metafor stops with an error in the same case)."""


class Heterogeneity(NamedTuple):
    """Heterogeneity statistics for one fit (all full precision).

    ``q`` is Cochran's Q with ``q_df = k - p`` degrees of freedom; ``i2`` (percent) and ``h2``
    are tau²-based (Higgins & Thompson 2002), with ``vt`` the typical within-study variance;
    the CIs come from the Q-profile method (Viechtbauer 2007).
    """

    q: float
    q_df: int
    q_pvalue: float
    i2: float
    h2: float
    vt: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2_ci_low: float
    i2_ci_high: float


class _Design:
    """Intercept-per-group design: codes 0..G-1, with per-group sums by bincount."""

    def __init__(self, k: int, groups=None):
        if groups is None:
            self.g = np.zeros(k, dtype=np.intp)
            self.G = 1
        else:
            _, self.g = np.unique(np.asarray(groups), return_inverse=True)
            self.g = self.g.astype(np.intp)
            self.G = int(self.g.max()) + 1 if k else 0
        self.k = k
        self.p = self.G

    def sums(self, w):
        return np.bincount(self.g, weights=w, minlength=self.G)

    def wls(self, y, w):
        """Per-group weighted means and residuals."""
        sw = self.sums(w)
        mu = self.sums(w * y) / sw
        return mu, y - mu[self.g], sw

    def rss(self, y, w):
        """``y' P y`` with ``P = W - W X (X'WX)^-1 X'W``."""
        _, r, _ = self.wls(y, w)
        return float(np.sum(w * r * r))

    def tr_p(self, w):
        sw = self.sums(w)
        return float(np.sum(w) - np.sum(self.sums(w * w) / sw))

    def tr_pp(self, w):
        s1, s2, s3 = self.sums(w), self.sums(w * w), self.sums(w**3)
        return float(np.sum(w * w) - 2 * np.sum(s3 / s1) + np.sum((s2 / s1) ** 2))

    def ypp_y(self, y, w):
        _, r, _ = self.wls(y, w)
        return float(np.sum((w * r) ** 2))

    def logdet_xwx(self, w):
        return float(np.sum(np.log(self.sums(w))))


def _r_mad(y) -> float:
    """R's ``mad()``: 1.4826 * median(|y - median(y)|)."""
    return float(1.4826 * np.median(np.abs(y - np.median(y))))


def _zeroin(f, a: float, b: float, fa: float, fb: float, tol: float, maxiter: int):
    """Brent's (1973) root finder in the form R's ``uniroot`` uses (R_zeroin2).

    Reimplemented from Brent, *Algorithms for Minimization without Derivatives*, ch. 4, with
    R's stopping rule ``|c - b|/2 <= 2 eps |b| + tol/2``; metafor's PM estimator calls it with
    ``tol = eps^0.25``, so the same iteration is needed to agree beyond that tolerance.
    Returns ``(root, converged)``.
    """
    eps = np.finfo(float).eps
    c, fc = a, fa
    if fa == 0.0:
        return a, True
    if fb == 0.0:
        return b, True
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b, True
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b, False


def _tau2_he(y, v, d: _Design) -> float:
    # Hedges (1983) / metafor "HE": (RSS_OLS - tr(P_OLS V)) / (k - p)
    _, r, _ = d.wls(y, np.ones_like(y))
    rss = float(np.sum(r * r))
    tr_pv = float(np.sum(v) - np.sum(d.sums(v) / d.sums(np.ones_like(v))))
    return (rss - tr_pv) / (d.k - d.p)


def _tau2_dl(y, v, d: _Design) -> float:
    # DerSimonian & Laird (1986): (Q - (k - p)) / tr(P)
    w = 1.0 / v
    return (d.rss(y, w) - (d.k - d.p)) / d.tr_p(w)


def _tau2_sj(y, v, d: _Design) -> float:
    # Sidik & Jonkman (2005); metafor's start value var(y) (k-1)/k
    t0 = float(np.var(y))
    w = 1.0 / (v + t0)
    return t0 * d.rss(y, w) / (d.k - d.p)


def _tau2_pm(y, v, d: _Design) -> float:
    # Paule & Mandel (1982): generalised Q(tau²) = k - p, solved like metafor (uniroot)
    target = d.k - d.p

    def f(t):
        return d.rss(y, 1.0 / (v + t)) - target

    f0 = f(0.0)
    if f0 < 0:
        return 0.0
    upper = max(_TAU2_MAX, 10 * _r_mad(y) ** 2)
    fu = f(upper)
    while fu > 0:  # metafor stops here ("tau2.max too low"); we widen the bracket instead
        upper *= 10
        fu = f(upper)
        if upper > 1e12:
            raise EstimationError("Paule-Mandel: no root of the generalised Q below 1e12")
    root, ok = _zeroin(f, 0.0, upper, f0, fu, _TOL, _MAXITER)
    if not ok:
        raise EstimationError("Paule-Mandel: root search did not converge")
    return root


def _loglik(y, v, t, d: _Design, reml: bool) -> float:
    w = 1.0 / (v + t)
    rss = d.rss(y, w)
    if reml:
        return (
            -0.5 * (d.k - d.p) * np.log(2 * np.pi)
            - 0.5 * np.sum(np.log(v + t))
            - 0.5 * d.logdet_xwx(w)
            - 0.5 * rss
        )
    return -0.5 * d.k * np.log(2 * np.pi) - 0.5 * np.sum(np.log(v + t)) - 0.5 * rss


def _tau2_ml(y, v, d: _Design, reml: bool) -> float:
    # Fisher scoring exactly as metafor rma.uni (start: max(0, HE); stop: change < 1e-5),
    # then metafor's check that the likelihood at tau² = 0 is not larger.
    t = max(0.0, _tau2_he(y, v, d))
    ymc = y - y.mean()
    change, it = _THRESHOLD + 1, 0
    while change > _THRESHOLD:
        it += 1
        old = t
        w = 1.0 / (v + t)
        if reml:
            adj = (d.ypp_y(ymc, w) - d.tr_p(w)) / d.tr_pp(w)
        else:
            adj = (d.ypp_y(ymc, w) - np.sum(w)) / np.sum(w * w)
        if not np.isfinite(adj):
            adj = 0.0
        while t + adj < 0:
            adj /= 2
        t = t + adj
        change = abs(old - t)
        if it > _MAXITER:
            raise EstimationError(
                f"{'REML' if reml else 'ML'} Fisher scoring did not converge in {_MAXITER} "
                "iterations"
            )
    if _loglik(y, v, 0.0, d, reml) - _loglik(y, v, t, d, reml) > _TOL and t > _THRESHOLD:
        t = 0.0
    return max(0.0, t)


def _tau2_ml_direct(y, v, d: _Design, reml: bool) -> float:
    """Maximise the (restricted) log-likelihood over [0, upper] directly (bounded Brent)."""
    upper = max(_TAU2_MAX, 10 * float(np.var(y)) + 10 * float(np.max(v)))
    res = optimize.minimize_scalar(
        lambda t: -_loglik(y, v, t, d, reml),
        bounds=(0.0, upper),
        method="bounded",
        options={"xatol": 1e-12},
    )
    t = float(res.x)
    return 0.0 if _loglik(y, v, 0.0, d, reml) >= _loglik(y, v, t, d, reml) else t


def estimate_tau2(yi, vi, method: str = "REML", groups=None, *, robust: bool = False) -> float:
    """Estimate the between-study variance tau².

    Parameters
    ----------
    yi, vi : array_like
        Study estimates and sampling variances (all ``vi > 0``).
    method : {"DL", "REML", "ML", "PM", "HE", "SJ", "EE"}
        Estimator. "EE" returns 0 (equal-effects model).
    groups : array_like, optional
        Subgroup labels: one intercept per subgroup, common tau² (``mods = ~ factor(group)``).
    robust : bool
        For ML/REML: when metafor's Fisher scoring does not converge (metafor stops with an
        error), maximise the likelihood directly instead of raising. Used only for the
        inverse-variance companion of a GLMM (weights, Q, I²); pooled IV analyses keep
        metafor's behaviour and raise.

    Returns
    -------
    float
        tau² >= 0 (0 when k equals the number of intercepts).

    Raises
    ------
    EstimationError
        When Fisher scoring (ML, REML) or the Paule-Mandel root search fails.

    Notes
    -----
    With weights ``w = 1/(v + tau²)`` and ``P = W - W X (X'WX)^-1 X'W`` (Viechtbauer 2005,
    2010):

    * DL (DerSimonian & Laird 1986): ``(Q - (k-p)) / tr(P_0)``.
    * HE (Hedges 1983): ``(y'P_ols y - tr(P_ols V)) / (k-p)``.
    * SJ (Sidik & Jonkman 2005): ``t0 y'P(t0) y / (k-p)``, ``t0 = var(y)(k-1)/k``.
    * PM (Paule & Mandel 1982): root of ``y'P(tau²)y = k - p``.
    * ML, REML: Fisher scoring, ``Δ = (y'PPy - tr P)/tr(PP)`` (REML) or
      ``(y'PPy - Σw)/Σw²`` (ML), started at ``max(0, HE)`` and stopped when the change is
      below 1e-5, as in metafor's ``rma.uni``.

    All estimates are truncated at 0.
    """
    if method not in TAU2_METHODS:
        raise ValueError(f"unknown tau² estimator {method!r}; choose one of {TAU2_METHODS}")
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    d = _Design(len(y), groups)
    if method == "EE" or d.k <= d.p:
        return 0.0
    if np.any(v <= 0):
        raise ValueError("sampling variances must be positive")
    if method == "DL":
        t = _tau2_dl(y, v, d)
    elif method == "HE":
        t = _tau2_he(y, v, d)
    elif method == "SJ":
        t = _tau2_sj(y, v, d)
    elif method == "PM":
        t = _tau2_pm(y, v, d)
    else:
        try:
            t = _tau2_ml(y, v, d, reml=(method == "REML"))
        except EstimationError:
            if not robust:
                raise
            t = _tau2_ml_direct(y, v, d, reml=(method == "REML"))
    return max(0.0, float(t))


def cochran_q(yi, vi, groups=None) -> tuple[float, int, float]:
    """Cochran's Q (within subgroups, if given), its degrees of freedom and p-value.

    Notes
    -----
    ``Q = Σ w_i (y_i - ȳ_w)²`` with ``w_i = 1/v_i`` (Cochran 1954); ``Q ~ χ²(k - p)`` under
    homogeneity. For ``k = p`` (one study), Q = 0 with p-value 1 (metafor's convention).
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    d = _Design(len(y), groups)
    df = d.k - d.p
    if df <= 0:
        return 0.0, 0, 1.0
    q = max(0.0, d.rss(y, 1.0 / v))
    return q, df, float(special.chdtrc(df, q))  # = scipy.stats.chi2.sf(q, df)


def _q_profile(y, v, d: _Design, level: float) -> tuple[float, float]:
    """Q-profile CI for tau² (Viechtbauer 2007): solve Q(tau²) = χ² quantiles."""
    df = d.k - d.p
    alpha = 1 - level
    # chi2.ppf(p, df) = 2 gammaincinv(df/2, p), as scipy.stats computes it
    crit_hi = 2 * special.gammaincinv(df / 2, 1 - alpha / 2)  # gives the lower limit
    crit_lo = 2 * special.gammaincinv(df / 2, alpha / 2)  # gives the upper limit

    def q(t):
        return d.rss(y, 1.0 / (v + t))

    q0 = q(0.0)

    def solve(target):
        if q0 <= target:
            return 0.0
        hi = max(1.0, 10 * float(np.var(y)) + 10 * float(np.max(v)))
        while q(hi) > target:
            hi *= 4
            if hi > 1e15:
                return np.inf
        return optimize.brentq(lambda t: q(t) - target, 0.0, hi, xtol=1e-14, rtol=1e-12)

    return solve(crit_hi), solve(crit_lo)


def heterogeneity(yi, vi, tau2: float, groups=None, level: float = 0.95) -> Heterogeneity:
    """Q, I², H² and the Q-profile CIs for tau² and I².

    Parameters
    ----------
    yi, vi : array_like
        Study estimates and sampling variances.
    tau2 : float
        The tau² estimate of the fit (used for I² and H²).
    groups : array_like, optional
        Subgroup labels (one intercept per subgroup).
    level : float
        Confidence level of the Q-profile CI.

    Returns
    -------
    Heterogeneity

    Notes
    -----
    ``vt = (k - p)/tr(P_0)`` is the typical within-study variance (Higgins & Thompson 2002,
    eq. 9; metafor ``i2def = "1"``); ``I² = 100 tau²/(tau² + vt)``, ``H² = 1 + tau²/vt``.
    The CI for tau² solves ``Q(tau²) = χ²_{df; 1-α/2}`` and ``χ²_{df; α/2}`` for the
    generalised Q (Viechtbauer 2007, Stat Med 26:37); a limit is 0 when ``Q(0)`` is already
    below the quantile. The I² limits are the same map applied to the tau² limits. With one
    study (k = p) everything is 0 (H² = 1), as in metafor.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    d = _Design(len(y), groups)
    q, df, qp = cochran_q(y, v, groups)
    if df <= 0:
        return Heterogeneity(0.0, 0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    w = 1.0 / v
    vt = df / d.tr_p(w)
    lo, hi = _q_profile(y, v, d, level)

    def i2(t):
        return 100 * t / (vt + t) if np.isfinite(t) else 100.0

    return Heterogeneity(q, df, qp, i2(tau2), tau2 / vt + 1, vt, lo, hi, i2(lo), i2(hi))
