"""Subgroup analysis: pooled proportions per subgroup and the test for subgroup differences."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import special

from .glmm import GLMMConvergenceError, fit_glmm
from .heterogeneity import estimate_tau2, heterogeneity
from .pooling import glmm_pool, iv_pool, pool_counts, resolve_method, validate_counts
from .results import Method, SubgroupResult
from .transforms import escalc


def _q_between(results: dict) -> tuple[float, int, float]:
    mu = np.array([r.mu for r in results.values()])
    se = np.array([r.se for r in results.values()])
    if len(mu) < 2:
        return 0.0, 0, 1.0
    w = 1.0 / se**2
    mbar = np.sum(w * mu) / np.sum(w)
    q = float(np.sum(w * (mu - mbar) ** 2))
    df = len(mu) - 1
    return q, df, float(special.chdtrc(df, q))  # = scipy.stats.chi2.sf(q, df)


def f_test(result: SubgroupResult) -> tuple[float, int, int, float]:
    """The t-based (Hartung-Knapp style) test for subgroup differences.

    ``F = Q_b / (G - 1)`` on ``(G - 1, k - G)`` degrees of freedom, with ``Q_b`` from the
    subgroups' model-scale estimates and standard errors (Hartung-Knapp-scaled where the
    method uses it): metafor's ``test = "t"`` / ``"knha"`` test of a categorical moderator
    (Knapp & Hartung 2003), which, unlike the chi-squared test, allows for the uncertainty
    of the variance estimates.

    Returns
    -------
    tuple
        ``(F, df1, df2, p)``; NaN statistic and p-value where ``k - G < 1`` or a subgroup
        has no model-scale estimate (pooled counts).
    """
    k = sum(r.k for r in result.results.values())
    groups = len(result.results)
    df1, df2 = groups - 1, k - groups
    finite = all(np.isfinite(r.mu) and np.isfinite(r.se) for r in result.results.values())
    if df1 < 1 or df2 < 1 or not finite:
        return float("nan"), df1, df2, float("nan")
    q, _, _ = _q_between(result.results)
    stat = q / df1
    return float(stat), df1, df2, float(special.fdtrc(df1, df2, stat))


def _common_iv(x, n, labels, g, order, m: Method):
    parts = [escalc(x[g == j], n[g == j], m.transform, m.cc) for j in range(len(order))]
    yi = np.concatenate([p[0] for p in parts])
    vi = np.concatenate([p[1] for p in parts])
    codes = np.concatenate([np.full(len(p[0]), j) for j, p in enumerate(parts)])
    tau2 = estimate_tau2(yi, vi, m.tau2, groups=codes)
    het = heterogeneity(yi, vi, tau2, groups=codes, level=m.level)
    out = {}
    for j, name in enumerate(order):
        sel = g == j
        lab = [labels[i] for i in np.flatnonzero(sel)]
        if sel.sum() == 1 and m.single_study == "exact":
            out[name] = pool_counts(x[sel], n[sel], lab, m)
        else:
            out[name] = iv_pool(
                x[sel], n[sel], lab, m, tau2=tau2, tau2_ci=(het.tau2_ci_low, het.tau2_ci_high)
            )
    return out, tau2


def _common_glmm(x, n, labels, g, order, m: Method):
    multi = [j for j in range(len(order)) if (g == j).sum() > 1 or m.single_study == "model"]
    keep = np.isin(g, multi)
    fit = fit_glmm(x[keep], n[keep], g[keep], nagq=m.nagq, level=m.level)
    index = {j: i for i, j in enumerate(sorted(multi))}
    out = {}
    for j, name in enumerate(order):
        sel = g == j
        lab = [labels[i] for i in np.flatnonzero(sel)]
        if j not in index:
            out[name] = pool_counts(x[sel], n[sel], lab, m)
            continue
        i = index[j]
        out[name] = glmm_pool(
            x[sel],
            n[sel],
            lab,
            m,
            mu=float(fit.mu[i]),
            se=float(np.sqrt(fit.cov[i, i])),
            tau2=fit.tau2,
            tau2_ci=(fit.tau2_ci_low, fit.tau2_ci_high),
        )
    return out, fit.tau2


def subgroup_analysis(
    events,
    totals,
    groups,
    labels=None,
    *,
    method: Method | None = None,
    common_tau2: bool = False,
    **overrides,
) -> SubgroupResult:
    """Pool each subgroup and test for differences between subgroups.

    Parameters
    ----------
    events, totals : array_like of int
        Events and participants per study.
    groups : array_like
        Subgroup of each study (e.g. regimen, disease, population, design).
    labels : sequence of str, optional
        Study labels.
    method : Method, str or None
        As in :func:`analysis.engine.pooling.pool_proportions` (None: the primary analysis).
    common_tau2 : bool
        Estimate one tau² across subgroups (R meta ``tau.common = TRUE``): the
        inverse-variance model becomes a meta-regression on the subgroup factor
        (``rma(yi, vi, mods = ~ factor(group))``), the GLMM gets one intercept per subgroup
        and a shared random-effect variance. Default: a separate tau² per subgroup.
    **overrides
        Method fields to replace.

    Returns
    -------
    SubgroupResult
        ``results`` per subgroup (order of first appearance), ``q_between``, ``df``,
        ``p_value``.

    Raises
    ------
    ValueError
        Invalid counts, method, or ``groups`` of the wrong length.
    GLMMConvergenceError
        A GLMM subgroup cannot be fitted and the method names no fallback.

    Notes
    -----
    Test for subgroup differences under the random-effects model (Borenstein et al. 2009,
    ch. 19; R meta's ``Q.b.random``): with subgroup estimates ``mu_g`` and standard errors
    ``se_g`` on the model scale (Hartung-Knapp-scaled where the method uses it),
    ``Q_b = Σ w_g (mu_g - mū)²``, ``w_g = 1/se_g²``, ``mū = Σ w_g mu_g / Σ w_g``,
    ``Q_b ~ χ²(G - 1)``. A subgroup with one study enters with its own transformed value
    and sampling SE. Subgroups of non-randomised single-arm data are observational
    comparisons.
    """
    x, n, labels = validate_counts(events, totals, labels)
    grp = np.asarray(groups, dtype=object).ravel()
    if len(grp) != len(x):
        raise ValueError(f"groups ({len(grp)}) and events ({len(x)}) differ in length")
    if pd.isna(grp).any():
        raise ValueError("groups has missing values")
    grp = np.array([str(v) for v in grp], dtype=object)
    order = list(pd.unique(grp))
    g = np.array([order.index(v) for v in grp])
    m = resolve_method(method, **overrides)
    message = ""
    tau2 = np.nan
    if common_tau2:
        try:
            if m.model == "glmm":
                results, tau2 = _common_glmm(x, n, labels, g, order, m)
            else:
                results, tau2 = _common_iv(x, n, labels, g, order, m)
        except GLMMConvergenceError as error:
            if not m.fallback:
                raise
            fb = resolve_method(m.fallback)
            results, tau2 = _common_iv(x, n, labels, g, order, fb)
            note = (
                f"GLMM could not be fitted ({error}); reported instead: "
                f"{fb.label or m.fallback} with a common tau²."
            )
            results = {
                k: dataclasses.replace(
                    r, fallback=True, requested=m, message=(note + " " + r.message).strip()
                )
                for k, r in results.items()
            }
            message = note
    else:
        results = {}
        for j, name in enumerate(order):
            sel = g == j
            results[name] = pool_counts(x[sel], n[sel], [labels[i] for i in np.flatnonzero(sel)], m)
        fell = [k for k, r in results.items() if r.fallback]
        if fell:
            message = f"GLMM fell back to the inverse-variance method in: {', '.join(fell)}."
    q, df, p = _q_between(results)
    if df == 0:
        message = (message + " Only one subgroup: no test for subgroup differences.").strip()
    return SubgroupResult(
        results=results,
        q_between=q,
        df=df,
        p_value=p,
        common_tau2=bool(common_tau2),
        tau2=float(tau2),
        method=m,
        message=message,
    )
