"""Influence and small-study effects: leave-one-out pooling, Egger and Peters tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .glmm import GLMMConvergenceError
from .heterogeneity import EstimationError
from .pooling import pool_counts, resolve_method, validate_counts
from .results import Method, SmallStudyTest
from .transforms import escalc

#: Fewest studies for a small-study test (R meta ``metabias(k.min = 10)``; Sterne et al. 2011).
K_MIN = 10
SMALL_STUDY_TESTS = ("peters", "egger")
LOO_COLUMNS = [
    "omitted",
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "mu",
    "se",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "fallback",
    "message",
]


def leave_one_out(
    events, totals, labels=None, method: Method | None = None, **overrides
) -> pd.DataFrame:
    """Pool again with each study left out in turn.

    Parameters
    ----------
    events, totals : array_like of int
        Events and participants per study.
    labels : sequence of str, optional
        Study labels (name the ``omitted`` column).
    method : Method, str or None
        As in :func:`analysis.engine.pooling.pool_proportions` (None: the primary analysis).
    **overrides
        Method fields to replace.

    Returns
    -------
    DataFrame
        One row per omitted study: ``omitted, k, estimate, ci_low, ci_high, pi_low,
        pi_high, mu, se, tau2, i2, q, q_pvalue, fallback, message``. Empty (with these
        columns) for k = 1. A fit that fails without a fallback gives a row of NaN numbers
        with the error in ``message`` (never silently replaced); with k = 2 every row is a
        single study (exact CI, see ``message``).

    Notes
    -----
    metafor ``leave1out`` and R meta ``metainf`` (Viechtbauer & Cheung 2010).
    """
    x, n, labels = validate_counts(events, totals, labels)
    m = resolve_method(method, **overrides)
    rows = []
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        if not keep.any():
            break
        row = {"omitted": labels[i], "k": int(keep.sum())}
        try:
            r = pool_counts(x[keep], n[keep], [labels[j] for j in np.flatnonzero(keep)], m)
            result = r.to_dict()
            row.update({c: result[c] for c in LOO_COLUMNS[2:]})
        except (GLMMConvergenceError, EstimationError, ValueError) as error:
            row.update(
                dict.fromkeys(LOO_COLUMNS[2:-2], np.nan),
                fallback=False,
                message=f"{type(error).__name__}: {error}",
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=LOO_COLUMNS)


def small_study_test(
    events,
    totals,
    *,
    test: str = "peters",
    method: Method | None = None,
    k_min: int = K_MIN,
    **overrides,
) -> SmallStudyTest:
    """Regression test for small-study effects, done only when k >= ``k_min``.

    Parameters
    ----------
    events, totals : array_like of int
        Events and participants per study.
    test : {"peters", "egger"}
        Peters-type regression on 1/n, or Egger's regression on the standard error.
    method : Method, str or None
        Supplies the scale and continuity correction (a GLMM method uses the logit scale
        with the 0.5 correction for studies with 0 or all events).
    k_min : int
        Fewest studies for the test (10).
    **overrides
        Method fields to replace.

    Returns
    -------
    SmallStudyTest
        ``done=False`` with NaN numbers and the reason in ``message`` when k < ``k_min``.

    Notes
    -----
    With ``y_i``, ``v_i`` on the method's scale:

    * Egger et al. (1997, BMJ 315:629): ordinary least squares of ``y_i/sqrt(v_i)`` on
      ``1/sqrt(v_i)``; the intercept is the bias coefficient, tested with t(k-2). This
      equals metafor ``regtest(model = "lm", predictor = "sei")``.
    * Peters et al. (2006, JAMA 295:676), adapted to single proportions: weighted least
      squares of ``y_i`` on ``1/n_i`` with weights ``1/v_i`` (multiplicative dispersion);
      the slope is tested with t(k-2) (metafor ``regtest(model = "lm", predictor =
      "ninv")``). Preferred for proportions because the SE of a logit depends on the
      proportion itself, which makes SE-based funnels asymmetric without any bias
      (Hunter et al. 2014).

    Tests are not done below 10 studies (Sterne et al. 2011, BMJ 343:d4002).
    """
    if test not in SMALL_STUDY_TESTS:
        raise ValueError(f"unknown test {test!r}; choose one of {SMALL_STUDY_TESTS}")
    x, n, _ = validate_counts(events, totals)
    m = resolve_method(method, **overrides)
    k = len(x)
    if k < k_min:
        return SmallStudyTest(
            test,
            k,
            False,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            f"not done: k = {k} < {k_min} studies",
        )
    transform = "logit" if m.model == "glmm" else m.transform
    cc = "only0" if (m.model == "glmm" or m.cc == "none") else m.cc
    yi, vi = escalc(x, n, transform, cc)
    sei = np.sqrt(vi)
    if test == "egger":
        design = np.column_stack([np.ones(k), 1 / sei])
        resp, wts, coef_index = yi / sei, np.ones(k), 0
    else:
        design = np.column_stack([np.ones(k), 1 / n])
        resp, wts, coef_index = yi, 1 / vi, 1
    sw = np.sqrt(wts)
    xw, yw = design * sw[:, None], resp * sw
    beta, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    resid = yw - xw @ beta
    df = k - 2
    sigma2 = float(resid @ resid) / df
    cov = sigma2 * np.linalg.inv(xw.T @ xw)
    est = float(beta[coef_index])
    se = float(np.sqrt(cov[coef_index, coef_index]))
    t = est / se if se > 0 else (0.0 if est == 0 else np.inf)
    p = float(2 * stats.t.sf(abs(t), df))
    what = "intercept of y/se on 1/se" if test == "egger" else "slope of y on 1/n (weights 1/v)"
    return SmallStudyTest(
        test,
        k,
        True,
        est,
        se,
        float(t),
        float(df),
        p,
        f"{test.capitalize()} test on the {transform} scale: {what}",
    )
