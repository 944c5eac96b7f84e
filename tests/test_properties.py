"""Property-based tests of the pooling engine (hypothesis)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.engine.heterogeneity import cochran_q, estimate_tau2
from analysis.engine.pooling import NotEstimableError, degenerate_kind, pool_proportions
from analysis.engine.study_ci import study_ci
from analysis.engine.transforms import escalc
from tests.engine_methods import METHODS

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def studies(draw, min_k=1, max_k=12, max_n=500):
    k = draw(st.integers(min_k, max_k))
    n = draw(st.lists(st.integers(1, max_n), min_size=k, max_size=k))
    x = [draw(st.integers(0, ni)) for ni in n]
    return np.array(x), np.array(n)


IV_METHODS = ["ft_dl", "logit_reml_hk", "logit_pm", "logit_dl", "arcsine_dl"]


@FAST
@given(data=studies(), key=st.sampled_from(IV_METHODS + ["glmm_counts"]))
def test_estimate_and_limits_in_unit_interval_and_ordered(data, key):
    x, n = data
    m = METHODS[key]
    if m.degenerate == "refuse" and degenerate_kind(x, n):
        with pytest.raises(NotEstimableError):
            pool_proportions(x, n, method=m)
        return
    r = pool_proportions(x, n, method=m)
    values = [r.estimate, r.ci_low, r.ci_high]
    assert all(np.isfinite(values)) and all(0.0 <= v <= 1.0 for v in values)
    assert r.ci_low <= r.estimate <= r.ci_high
    if r.kind != "random_effects":  # one study or pooled counts: nothing about heterogeneity
        assert np.isnan([r.tau2, r.i2, r.q]).all()
        return
    if r.k >= m.pi_min_k:
        assert 0.0 <= r.pi_low <= r.ci_low + 1e-12 and r.ci_high <= r.pi_high + 1e-12 <= 1 + 1e-12
    else:
        assert np.isnan([r.pi_low, r.pi_high]).all()
    assert r.tau2 >= 0 and 0 <= r.i2 <= 100
    assert r.tau2_ci_low <= r.tau2_ci_high


@FAST
@given(data=studies(min_k=2), key=st.sampled_from(IV_METHODS + ["glmm"]), seed=st.integers(0, 999))
def test_invariant_to_study_order(data, key, seed):
    x, n = data
    if key == "glmm" and (np.all(x == 0) or np.all(x == n) or np.all(n == 1)):
        return
    perm = np.random.default_rng(seed).permutation(len(x))
    try:
        a = pool_proportions(x, n, method=METHODS[key])
    except RuntimeError:  # a GLMM without a finite MLE fails whatever the order
        with pytest.raises(RuntimeError):
            pool_proportions(x[perm], n[perm], method=METHODS[key])
        return
    b = pool_proportions(x[perm], n[perm], method=METHODS[key])
    # the GLMM optimum is found to ~1e-6 in tau (relative): tau² of 100 agrees to ~1e-4
    tol = 1e-5 if key == "glmm" else 1e-9
    for f in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "q"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), abs=tol, rel=tol, nan_ok=True)


@FAST
@given(
    data=studies(min_k=2), transform=st.sampled_from(["logit", "freeman-tukey", "arcsine", "raw"])
)
def test_dl_tau2_zero_iff_q_at_most_df(data, transform):
    x, n = data
    yi, vi = escalc(x, n, transform, "only0")
    q, df, _ = cochran_q(yi, vi)
    tau2 = estimate_tau2(yi, vi, "DL")
    if q <= df:
        assert tau2 == 0.0
    else:
        assert tau2 > 0.0


@FAST
@given(
    x=st.integers(0, 300),
    extra=st.integers(0, 300),
    key=st.sampled_from(IV_METHODS + ["glmm_counts", "glmm"]),
    ci=st.sampled_from(["clopper-pearson", "wilson"]),
)
def test_single_study_is_its_own_interval(x, extra, key, ci):
    n = x + extra if x + extra > 0 else 1
    m = METHODS[key]
    if m.degenerate == "refuse" and x in (0, n):
        with pytest.raises(NotEstimableError):
            pool_proportions([x], [n], method=m, study_ci=ci)
        return
    r = pool_proportions([x], [n], method=m, study_ci=ci)
    lo, hi = study_ci([x], [n], ci)
    assert r.k == 1 and r.estimate == pytest.approx(x / n)
    assert (r.ci_low, r.ci_high) == (pytest.approx(lo[0]), pytest.approx(hi[0]))
    if m.pi_min_k > 1:
        assert np.isnan([r.pi_low, r.pi_high]).all()
    else:
        assert (r.pi_low, r.pi_high) == (r.ci_low, r.ci_high)
    assert np.isnan(r.tau2) and np.isnan(r.i2)
    if x in (0, n) and m.degenerate == "counts":
        assert r.kind == "counts" and "no model fitted" in r.message
    else:
        assert r.kind == "single_study" and "Single study" in r.message


@FAST
@given(data=studies(min_k=2))
def test_raw_scale_estimate_inside_ci(data):
    x, n = data
    if degenerate_kind(x, n):
        return  # refused (no rate modelled from a pool without variation)
    r = pool_proportions(x, n, method=METHODS["logit_dl"], transform="raw")
    assert r.ci_low <= r.estimate <= r.ci_high
    assert np.isfinite([r.estimate, r.ci_low, r.ci_high]).all()
