"""Random-effects pooling of single proportions: :func:`pool_proportions`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import special

from .bayes import BayesPrior, bayes_binomial_normal
from .glmm import GLMMConvergenceError, GLMMFit, fit_glmm
from .heterogeneity import TAU2_METHODS, Heterogeneity, estimate_tau2, heterogeneity
from .results import Method, PooledProportion
from .study_ci import STUDY_CI_METHODS, study_ci
from .transforms import CC_RULES, TRANSFORMS, back_transform, escalc

MODELS = ("iv", "glmm", "bayes")
DEGENERATE = ("model", "counts", "refuse")
CI_METHODS = ("wald", "hk", "hk-adhoc")
PI_METHODS = ("t", "z")
SINGLE_STUDY = ("exact", "model")
_CHOICES = {
    "model": MODELS,
    "transform": TRANSFORMS,
    "tau2": TAU2_METHODS,
    "ci": CI_METHODS,
    "pi": PI_METHODS,
    "cc": CC_RULES,
    "study_ci": STUDY_CI_METHODS,
    "single_study": SINGLE_STUDY,
    "degenerate": DEGENERATE,
}
#: Settings of the inverse-variance logit companion of a GLMM (weights, Q, I²).
_COMPANION = Method(model="iv", transform="logit", tau2="REML", ci="hk-adhoc", pi="t", cc="only0")


class NotEstimableError(ValueError):
    """A method that refuses pools with no events (or only events) met one (no rate is invented)."""


def degenerate_kind(events, totals) -> str:
    """``"no events"``, ``"only events"`` (every study at that bound) or ``""``."""
    x, n = np.asarray(events), np.asarray(totals)
    if np.all(x == 0):
        return "no events"
    if np.all(x == n):
        return "only events"
    return ""


def resolve_method(method: Method | None = None, **overrides) -> Method:
    """Check a :class:`~analysis.engine.results.Method` and apply field overrides.

    The engine knows no method by name: the review's named methods live in
    :mod:`analysis.review.settings`, which passes a Method in.

    Parameters
    ----------
    method : Method or None
        None means ``Method()`` (inverse-variance logit, REML, Hartung-Knapp).
    **overrides
        Method fields to replace, e.g. ``transform="arcsine", tau2="DL", ci="wald"``.

    Returns
    -------
    Method

    Raises
    ------
    ValueError
        Not a Method, unknown field, or a value outside a field's choices (also for the
        fallback).
    """
    if method is None:
        method = Method()
    if not isinstance(method, Method):
        raise ValueError(f"method must be a Method or None, not {method!r}")
    names = {f.name for f in dataclasses.fields(Method)}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"unknown Method field(s) {sorted(unknown)}; fields are {sorted(names)}")
    if overrides:
        method = dataclasses.replace(method, **overrides)
    for name, choices in _CHOICES.items():
        if getattr(method, name) not in choices:
            raise ValueError(f"Method.{name}={getattr(method, name)!r}; choose one of {choices}")
    if int(method.pi_min_k) < 1:
        raise ValueError(f"Method.pi_min_k must be at least 1, not {method.pi_min_k!r}")
    if not 0 < method.level < 1:
        raise ValueError(f"Method.level must be in (0, 1), not {method.level!r}")
    if not (method.mu_prior_sd > 0 and method.tau_prior_scale > 0):
        raise ValueError("Method.mu_prior_sd and Method.tau_prior_scale must be positive")
    if method.fallback is not None:
        resolve_method(method.fallback)
    if method.few_studies is not None:
        resolve_method(method.few_studies)
    return method


def validate_counts(events, totals, labels=None):
    """Check study counts and return them as integer arrays plus string labels.

    Parameters
    ----------
    events, totals : array_like
        One value per study.
    labels : sequence, optional
        Study labels (default ``"Study 1"``, ``"Study 2"``, ...).

    Returns
    -------
    x, n : ndarray of int64
    labels : list of str

    Raises
    ------
    ValueError
        Empty input, unequal lengths, non-numeric, missing or non-integer values, negative
        events, totals below 1, events above totals. The message names the studies.
    """

    def as_int(values, name):
        arr = (
            np.asarray(values).ravel()
            if isinstance(values, np.ndarray)
            else np.asarray(
                list(values) if not np.isscalar(values) else [values], dtype=object
            ).ravel()
        )
        if arr.dtype == bool or any(isinstance(v, (bool, np.bool_)) for v in arr):
            raise ValueError(f"{name} must be counts, not booleans")
        if arr.dtype.kind in "USO" and any(isinstance(v, (str, bytes)) for v in arr):
            raise ValueError(f"{name} must be numeric counts, not text")
        try:
            f = arr.astype(float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric counts: {exc}") from None
        if not np.all(np.isfinite(f)):
            raise ValueError(
                f"{name} has missing or infinite values at positions "
                f"{np.flatnonzero(~np.isfinite(f)).tolist()}"
            )
        if np.any(f != np.round(f)):
            raise ValueError(
                f"{name} must be whole numbers; non-integer at positions "
                f"{np.flatnonzero(f != np.round(f)).tolist()}"
            )
        return f.astype(np.int64)

    x = as_int(events, "events")
    n = as_int(totals, "totals")
    if len(x) != len(n):
        raise ValueError(f"events ({len(x)}) and totals ({len(n)}) differ in length")
    if len(x) == 0:
        raise ValueError("no studies to pool")
    if labels is None:
        labels = [f"Study {i + 1}" for i in range(len(x))]
    else:
        labels = [str(v) for v in (labels.tolist() if hasattr(labels, "tolist") else labels)]
        if len(labels) != len(x):
            raise ValueError(f"labels ({len(labels)}) and events ({len(x)}) differ in length")

    def named(mask):
        return ", ".join(labels[i] for i in np.flatnonzero(mask))

    if np.any(x < 0):
        raise ValueError(f"negative events: {named(x < 0)}")
    if np.any(n < 1):
        raise ValueError(f"totals must be at least 1: {named(n < 1)}")
    if np.any(x > n):
        raise ValueError(f"events exceed totals: {named(x > n)}")
    return x, n, labels


def _crit(level: float, df: float) -> float:
    q = 1 - (1 - level) / 2
    # the functions scipy.stats.norm.ppf / t.ppf evaluate, without their per-call overhead
    return float(special.ndtri(q)) if not np.isfinite(df) else float(special.stdtrit(df, q))


def _studies(x, n, labels, m: Method, weights, yi, vi) -> pd.DataFrame:
    lo, hi = study_ci(x, n, m.study_ci, m.level)
    w = np.asarray(weights, dtype=float)
    return pd.DataFrame(
        {
            "label": labels,
            "events": x,
            "total": n,
            "proportion": x / n,
            "ci_low": lo,
            "ci_high": hi,
            "weight": 100 * w / w.sum(),
            "yi": yi,
            "vi": vi,
        }
    )


def _interval(mu, half, transform, n):
    lo, hi = back_transform(np.array([mu - half, mu + half]), transform, n)
    return float(min(lo, hi)), float(max(lo, hi))


def _assemble(
    x,
    n,
    labels,
    m: Method,
    *,
    mu,
    se,
    tau2,
    tau2_ci,
    het: Heterogeneity,
    ci_df,
    pi_df,
    studies,
    transform,
    message="",
) -> PooledProportion:
    """Back-transform and package one pooled result."""
    est = float(back_transform(np.array([mu]), transform, n)[0])
    ci_low, ci_high = _interval(mu, _crit(m.level, ci_df) * se, transform, n)
    pi_low, pi_high = _interval(mu, _crit(m.level, pi_df) * np.sqrt(se * se + tau2), transform, n)
    if len(x) < m.pi_min_k:
        pi_low = pi_high = float("nan")
    vt = het.vt
    if het.q_df > 0 and vt > 0:
        i2 = 100 * tau2 / (tau2 + vt)
        i2_lo, i2_hi = (100 * t / (t + vt) if np.isfinite(t) else 100.0 for t in tau2_ci)
        h2 = 1 + tau2 / vt
    else:
        i2, i2_lo, i2_hi, h2 = 0.0, 0.0, 0.0, 1.0
    return PooledProportion(
        estimate=est,
        ci_low=ci_low,
        ci_high=ci_high,
        pi_low=pi_low,
        pi_high=pi_high,
        mu=float(mu),
        se=float(se),
        tau2=float(tau2),
        tau2_ci_low=float(tau2_ci[0]),
        tau2_ci_high=float(tau2_ci[1]),
        i2=float(i2),
        i2_ci_low=float(i2_lo),
        i2_ci_high=float(i2_hi),
        h2=float(h2),
        q=float(het.q),
        q_df=int(het.q_df),
        q_pvalue=float(het.q_pvalue),
        k=len(x),
        n_total=int(n.sum()),
        events_total=int(x.sum()),
        method=m,
        studies=studies,
        message=message,
        ci_df=float(ci_df),
        pi_df=float(pi_df),
    )


_NAN_HETEROGENEITY = dict(
    tau2=np.nan,
    tau2_ci_low=np.nan,
    tau2_ci_high=np.nan,
    i2=np.nan,
    i2_ci_low=np.nan,
    i2_ci_high=np.nan,
    h2=np.nan,
    q=np.nan,
    q_pvalue=np.nan,
)


def _ci_name(m: Method) -> str:
    return {"clopper-pearson": "exact Clopper-Pearson", "wilson": "Wilson score"}[m.study_ci]


def _single_exact(x, n, labels, m: Method) -> PooledProportion:
    transform = "logit" if m.model == "glmm" else m.transform
    cc = "only0" if m.cc == "none" else m.cc
    yi, vi = escalc(x, n, transform, cc)
    lo, hi = study_ci(x, n, m.study_ci, m.level)
    pi = (float(lo[0]), float(hi[0])) if m.pi_min_k <= 1 else (np.nan, np.nan)
    return PooledProportion(
        estimate=float(x[0] / n[0]),
        ci_low=float(lo[0]),
        ci_high=float(hi[0]),
        pi_low=pi[0],
        pi_high=pi[1],
        mu=float(yi[0]),
        se=float(np.sqrt(vi[0])),
        **_NAN_HETEROGENEITY,
        q_df=0,
        k=1,
        n_total=int(n[0]),
        events_total=int(x[0]),
        method=m,
        studies=_studies(x, n, labels, m, [1.0], yi, vi),
        message=(
            f"Single study: its own proportion with the {_ci_name(m)} "
            f"{100 * m.level:g}% CI; nothing pooled, heterogeneity not estimable."
        ),
        kind="single_study",
    )


def _describe(what: str, x, n) -> str:
    """``'no events in 2 studies (0/13)'`` or ``'only events in the study (5/5)'``."""
    where = "the study" if len(x) == 1 else f"{len(x)} studies"
    return f"{what} in {where} ({int(x.sum())}/{int(n.sum())})"


def _pooled_counts(x, n, labels, m: Method, what: str) -> PooledProportion:
    """No model: the pooled counts x/N with the exact interval of x/N (weights ∝ n)."""
    xs, ns = np.array([x.sum()]), np.array([n.sum()])
    lo, hi = study_ci(xs, ns, m.study_ci, m.level)
    nan = np.full(len(x), np.nan)
    k = len(x)
    return PooledProportion(
        estimate=float(xs[0] / ns[0]),
        ci_low=float(lo[0]),
        ci_high=float(hi[0]),
        pi_low=np.nan,
        pi_high=np.nan,
        mu=np.nan,
        se=np.nan,
        **_NAN_HETEROGENEITY,
        q_df=k - 1,
        k=k,
        n_total=int(ns[0]),
        events_total=int(xs[0]),
        method=m,
        studies=_studies(x, n, labels, m, n.astype(float), nan, nan),
        message=(
            f"{_describe(what, x, n).capitalize()}: the pooled counts with the "
            f"{_ci_name(m)} {100 * m.level:g}% CI of {int(xs[0])}/{int(ns[0])}; no model "
            "fitted, no continuity correction, heterogeneity not estimable."
        ),
        kind="counts",
    )


def iv_pool(x, n, labels, m: Method, *, tau2=None, tau2_ci=None) -> PooledProportion:
    """Inverse-variance random-effects pool of validated counts (metafor ``rma`` + ``predict``).

    ``tau2`` and ``tau2_ci`` may be given (a common tau² from a subgroup model).
    """
    yi, vi = escalc(x, n, m.transform, m.cc)
    k = len(x)
    if tau2 is None:
        tau2 = estimate_tau2(yi, vi, m.tau2)
    het = heterogeneity(yi, vi, tau2, level=m.level)
    if tau2_ci is None:
        tau2_ci = (het.tau2_ci_low, het.tau2_ci_high)
    w = 1.0 / (vi + tau2)
    sw = w.sum()
    mu = float(np.sum(w * yi) / sw)
    var = 1.0 / sw
    ci_df = np.inf
    if m.ci in ("hk", "hk-adhoc") and k > 1:
        # Hartung & Knapp (2001); Sidik & Jonkman (2002); ad hoc: Knapp & Hartung (2003)
        rss = float(np.sum(w * (yi - mu) ** 2))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - 1)
        if m.ci == "hk-adhoc":
            s2w = max(1.0, s2w)
        var *= s2w
        ci_df = k - 1
    pi_df = k - 1 if (m.pi == "t" and k > 1) else np.inf
    return _assemble(
        x,
        n,
        labels,
        m,
        mu=mu,
        se=np.sqrt(var),
        tau2=tau2,
        tau2_ci=tau2_ci,
        het=het,
        ci_df=ci_df,
        pi_df=pi_df,
        studies=_studies(x, n, labels, m, w, yi, vi),
        transform=m.transform,
    )


def _companion(x, n):
    yi, vi = escalc(x, n, "logit", "only0")
    tau2 = estimate_tau2(yi, vi, "REML", robust=True)
    return yi, vi, tau2


def glmm_pool(x, n, labels, m: Method, *, mu, se, tau2, tau2_ci, message="") -> PooledProportion:
    """Package a GLMM fit (``mu``, ``se``, tau² on the logit scale) of validated counts."""
    yi, vi, tau2_iv = _companion(x, n)
    het = heterogeneity(yi, vi, tau2_iv, level=m.level)
    k = len(x)
    ci_df = k - 1 if m.ci in ("hk", "hk-adhoc") else np.inf
    pi_df = k - 1 if m.pi == "t" else np.inf
    return _assemble(
        x,
        n,
        labels,
        m,
        mu=mu,
        se=se,
        tau2=tau2,
        tau2_ci=tau2_ci,
        het=het,
        ci_df=ci_df,
        pi_df=pi_df,
        studies=_studies(x, n, labels, m, 1.0 / (vi + tau2_iv), yi, vi),
        transform="logit",
        message=message,
    )


def bayes_pool(x, n, labels, m: Method) -> PooledProportion:
    """Bayesian binomial-normal pool of validated counts (:mod:`analysis.engine.bayes`).

    Posterior median and equal-tailed credible interval of the median proportion, posterior
    predictive interval of a new study's proportion; weights, Q and I² (with tau² the
    squared posterior median of tau) from the inverse-variance logit REML companion.
    """
    prior = BayesPrior(mu_sd=m.mu_prior_sd, tau_scale=m.tau_prior_scale)
    post = bayes_binomial_normal(x, n, prior=prior, level=m.level)
    yi, vi, tau2_iv = _companion(x, n)
    het = heterogeneity(yi, vi, tau2_iv, level=m.level)
    tau2 = post.tau**2
    vt = het.vt
    if het.q_df > 0 and vt > 0:
        i2 = 100 * tau2 / (tau2 + vt)
        i2_lo, i2_hi = (100 * t**2 / (t**2 + vt) for t in (post.tau_ci_low, post.tau_ci_high))
        h2 = 1 + tau2 / vt
    else:
        i2 = i2_lo = i2_hi = h2 = np.nan
    pi = (post.pi_low, post.pi_high) if len(x) >= m.pi_min_k else (np.nan, np.nan)
    notes = [
        f"Bayesian binomial-normal model ({prior.label}, mu ~ N(0, {prior.mu_sd:g}\u00b2)): "
        f"posterior median with the {100 * m.level:g}% credible interval"
        + (" and posterior predictive interval." if np.isfinite(pi[0]) else ".")
    ]
    if post.prior_driven:
        notes.append("No events, or only events, in the pool: the estimate rests on the prior.")
    if not post.converged:
        notes.append(
            f"Quadrature check not met: results change by up to {post.max_change:.1e} when "
            "the nodes are doubled."
        )
    return PooledProportion(
        estimate=post.estimate,
        ci_low=post.ci_low,
        ci_high=post.ci_high,
        pi_low=float(pi[0]),
        pi_high=float(pi[1]),
        mu=post.mu,
        se=post.mu_sd,
        tau2=float(tau2),
        tau2_ci_low=float(post.tau_ci_low**2),
        tau2_ci_high=float(post.tau_ci_high**2),
        i2=float(i2),
        i2_ci_low=float(i2_lo),
        i2_ci_high=float(i2_hi),
        h2=float(h2),
        q=float(het.q),
        q_df=int(het.q_df),
        q_pvalue=float(het.q_pvalue),
        k=len(x),
        n_total=int(n.sum()),
        events_total=int(x.sum()),
        method=m,
        studies=_studies(x, n, labels, m, 1.0 / (vi + tau2_iv), yi, vi),
        message=" ".join(notes),
        posterior=post,
    )


def _fallback(x, n, labels, m: Method, error: Exception) -> PooledProportion:
    fb = m.fallback
    res = pool_counts(x, n, labels, fb)
    note = (
        f"GLMM could not be fitted ({error}); reported instead: "
        f"{fb.label or 'the fallback method'} (inverse-variance)."
    )
    return dataclasses.replace(
        res, fallback=True, requested=m, message=(note + " " + res.message).strip()
    )


def pool_counts(x, n, labels, m: Method) -> PooledProportion:
    """Pool counts already checked by :func:`validate_counts` with a resolved Method."""
    what = degenerate_kind(x, n)
    if what and m.degenerate == "counts":
        return _pooled_counts(x, n, labels, m, what)
    if what and m.degenerate == "refuse":
        raise NotEstimableError(
            f"{_describe(what, x, n)}: {m.label or 'this method'} models no rate from a "
            "pool without variation"
        )
    if len(x) == 1 and m.single_study == "exact":
        return _single_exact(x, n, labels, m)
    if m.few_studies is not None and 2 <= len(x) <= m.few_studies_max_k:
        res = pool_counts(x, n, labels, m.few_studies)
        return dataclasses.replace(res, requested=m)
    if m.model == "bayes":
        return bayes_pool(x, n, labels, m)
    if m.model == "glmm":
        try:
            fit: GLMMFit = fit_glmm(x, n, nagq=m.nagq, level=m.level)
        except GLMMConvergenceError as error:
            if m.fallback is not None:
                return _fallback(x, n, labels, m, error)
            raise
        return glmm_pool(
            x,
            n,
            labels,
            m,
            mu=float(fit.mu[0]),
            se=float(fit.se[0]),
            tau2=fit.tau2,
            tau2_ci=(fit.tau2_ci_low, fit.tau2_ci_high),
        )
    return iv_pool(x, n, labels, m)


def pool_proportions(
    events, totals, labels=None, *, method: Method | None = None, **overrides
) -> PooledProportion:
    """Pool single proportions with a random-effects model.

    Parameters
    ----------
    events, totals : array_like of int
        Events and participants per study.
    labels : sequence of str, optional
        Study labels for the ``studies`` table (default "Study 1", ...).
    method : Method, str or None
        A :class:`~analysis.engine.results.Method` (the review's named methods are in
        :data:`analysis.review.settings.METHODS`); None means ``Method()``.
    **overrides
        Method fields to replace, e.g. ``transform="arcsine", tau2="DL", ci="wald"``.

    Returns
    -------
    PooledProportion
        Full-precision estimate, CI, PI, tau² (with CI), I² (with CI), H², Q and the study
        table (``studies``) with study CIs and random-effects weights in percent.

    Raises
    ------
    ValueError
        Invalid counts (see :func:`validate_counts`) or method fields, or a continuity
        correction of "none" on the logit or raw scale with a study at 0 or all events.
    GLMMConvergenceError
        The GLMM cannot be fitted and the method names no ``fallback``.
    EstimationError
        An iterative tau² estimator failed (as metafor would stop).

    Notes
    -----
    Inverse-variance model (``model="iv"``; DerSimonian & Laird 1986; Viechtbauer 2005):
    ``y_i``, ``v_i`` from :func:`analysis.engine.transforms.escalc`; ``w_i = 1/(v_i + tau²)``;
    ``mu = Σ w_i y_i / Σ w_i``; ``Var(mu) = 1/Σ w_i``. Hartung-Knapp (Hartung & Knapp 2001):
    ``Var(mu) · q`` with ``q = Σ w_i (y_i - mu)²/(k-1)`` and a t(k-1) quantile; "hk-adhoc"
    uses ``max(1, q)`` (Knapp & Hartung 2003; metafor ``test="adhoc"``) so the CI is never
    narrower than Wald. Prediction interval (Higgins, Thompson & Spiegelhalter 2009):
    ``mu ± c sqrt(tau² + Var(mu))`` with ``c`` from t(k-1) (``pi="t"``, R meta) or z
    (``pi="z"``, metafor ``predict``). Estimates and limits are back-transformed
    (:func:`analysis.engine.transforms.back_transform`); on the logit scale the estimate is a
    median proportion.

    GLMM (``model="glmm"``): :func:`analysis.engine.glmm.fit_glmm`; CI ``mu ± c·SE`` with z
    (``ci="wald"``) or t(k-1) (``"hk"``/``"hk-adhoc"``); weights, Q and the within-study
    variance for I² come from the inverse-variance logit REML companion (0.5 continuity
    correction only for studies with 0 or all events). If the GLMM cannot be fitted and
    ``method.fallback`` is a Method (the review's primary names logit REML), that method
    is reported with ``fallback=True``, ``requested`` set and the reason in ``message``;
    otherwise :class:`~analysis.engine.glmm.GLMMConvergenceError` propagates.

    Bayesian (``model="bayes"``): :func:`analysis.engine.bayes.bayes_binomial_normal` with
    ``mu ~ N(0, mu_prior_sd²)`` and ``tau ~ HN(tau_prior_scale)``; see :func:`bayes_pool`.
    A method with ``few_studies`` hands pools of 2 to ``few_studies_max_k`` studies to that
    method (the review's primary: Bayesian for 2-4 studies, GLMM from 5).

    One study (k = 1): with ``single_study="exact"`` (every method of the book) the study's
    own proportion and its Clopper-Pearson (or Wilson) CI are returned, PI = CI, tau² = 0,
    and ``message`` says so; with ``"model"`` it is handled as metafor does.

    Examples
    --------
    >>> r = pool_proportions([3, 6, 10, 1], [11, 17, 21, 6], ci="hk-adhoc")
    >>> round(r.estimate, 3)
    0.333
    """
    x, n, labels = validate_counts(events, totals, labels)
    m = resolve_method(method, **overrides)
    return pool_counts(x, n, labels, m)
