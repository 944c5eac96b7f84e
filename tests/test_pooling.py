"""pool_proportions: inputs, methods, robustness, and values pinned to R metafor 3.8-1.

R values were computed with Debian's r-cran-metafor 3.8-1 on dat.nielweise2007
(``es <- escalc(measure = "PLO", xi = ci, ni = n2i, data = dat.nielweise2007)``); the R call
is in the comment above each value.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import paths
from analysis.engine.crosscheck import CROSSCHECK
from analysis.engine.glmm import GLMMConvergenceError
from analysis.engine.heterogeneity import estimate_tau2, heterogeneity
from analysis.engine.pooling import NotEstimableError, pool_proportions, resolve_method
from analysis.engine.results import Method
from analysis.engine.study_ci import study_ci
from analysis.engine.transforms import back_transform, escalc
from analysis.review.settings import METHODS, PRIMARY, method

NIEL = pd.read_csv(paths.ROOT / "tests" / "data" / "nielweise2007.csv", comment="#")


@pytest.fixture
def es():
    return escalc(NIEL["ci"], NIEL["n2i"], "logit")


# --- settings ---------------------------------------------------------------------------


def test_the_review_names_methods_and_the_engine_takes_only_methods():
    assert method(None) is METHODS[PRIMARY]
    assert all(method(key) is m and resolve_method(m) is m for key, m in METHODS.items())
    with pytest.raises(ValueError, match="unknown method 'mcmc'"):
        method("mcmc")
    with pytest.raises(ValueError, match="must be a Method"):
        resolve_method("primary")  # the engine knows no names
    assert resolve_method(None) == Method()


def test_overrides_replace_fields():
    r = pool_proportions(
        [3, 6, 10, 1], [11, 17, 21, 6], transform="arcsine", tau2="DL", ci="wald", model="iv"
    )
    assert (r.method.transform, r.method.tau2, r.method.ci) == ("arcsine", "DL", "wald")
    r2 = pool_proportions([3, 6, 10, 1], [11, 17, 21, 6], method=METHODS["arcsine_dl"], pi="t")
    assert r2.method == dataclasses.replace(METHODS["arcsine_dl"], pi="t")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "nope"}, "must be a Method"),
        ({"transform": "probit"}, "Method.transform"),
        ({"tau2": "XX"}, "Method.tau2"),
        ({"ci": "t"}, "Method.ci"),
        ({"colour": "red"}, "unknown Method field"),
        ({"level": 1.5}, "level"),
        ({"fallback": Method(model="iv", tau2="nope")}, "Method.tau2"),
    ],
)
def test_bad_methods_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pool_proportions([1, 2], [10, 10], **kwargs)


# --- input validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "events, totals, match",
    [
        ([5, 12], [10, 10], "exceed"),
        ([-1, 2], [10, 10], "negative"),
        ([1.5, 2], [10, 10], "whole numbers"),
        ([1, 2, 3], [10, 10], "differ in length"),
        ([], [], "no studies"),
        ([1, 2], [0, 10], "at least 1"),
        ([1, np.nan], [10, 10], "missing"),
        (["a", 2], [10, 10], "numeric"),
        (["3", 2], [10, 10], "text"),
        ([True, False], [10, 10], "booleans"),
    ],
)
def test_invalid_counts_raise(events, totals, match):
    with pytest.raises(ValueError, match=match):
        pool_proportions(events, totals, method=METHODS["logit_reml_hk"])


def test_labels_named_in_errors_and_length_checked():
    with pytest.raises(ValueError, match="Smith"):
        pool_proportions([5, 12], [10, 10], ["Jones", "Smith"])
    with pytest.raises(ValueError, match="labels"):
        pool_proportions([5, 6], [10, 10], ["only one"])


def test_whole_floats_and_series_accepted():
    a = pool_proportions(pd.Series([3.0, 6.0]), np.array([11.0, 17.0]), method=METHODS["logit_dl"])
    b = pool_proportions([3, 6], [11, 17], method=METHODS["logit_dl"])
    assert a.estimate == b.estimate


def test_no_correction_with_zero_cell_is_a_clear_error():
    with pytest.raises(ValueError, match="continuity correction"):
        pool_proportions([0, 3], [10, 10], method=METHODS["logit_dl"], cc="none")


# --- robustness: finite, documented results --------------------------------------------

ROBUST = {
    "one study": ([3], [10]),
    "all zero": ([0, 0, 0], [10, 20, 5]),
    "all events": ([10, 20, 5], [10, 20, 5]),
    "n = 1": ([0, 1, 1, 0], [1, 1, 1, 1]),
    "n = 1e7": ([1_234_567, 2_345_678, 3_000_000], [10**7] * 3),
    "rare, n = 1e7": ([3, 5, 1], [10**7] * 3),
    "identical": ([5, 5, 5, 5], [50, 50, 50, 50]),
    "zero and all": ([0, 10], [10, 10]),
}
NUMBERS = (
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "mu",
    "se",
    "tau2",
    "tau2_ci_low",
    "i2",
    "i2_ci_low",
    "h2",
    "q",
    "q_pvalue",
)


@pytest.mark.parametrize("case", sorted(ROBUST))
@pytest.mark.parametrize("key", sorted(METHODS))
def test_edge_cases_are_finite_or_refused_clearly(case, key):
    x, n = ROBUST[case]
    m = METHODS[key]
    try:
        r = pool_proportions(x, n, method=m)
    except NotEstimableError as error:
        # a sensitivity method refuses a pool without variation instead of inventing a rate
        assert m.degenerate == "refuse" and case in {"all zero", "all events"}
        assert "models no rate" in str(error)
        return
    except GLMMConvergenceError as error:
        # only a GLMM without a fallback may refuse, and only where no MLE exists
        assert m.model == "glmm" and m.fallback is None
        assert case in {"all zero", "all events", "n = 1", "zero and all"}
        assert str(error)
        return
    if case in {"all zero", "all events"} and m.degenerate == "counts":
        assert r.kind == "counts" and np.isnan([r.tau2, r.i2, r.q, r.pi_low]).all()
    finite = NUMBERS if r.kind == "random_effects" else ("estimate", "ci_low", "ci_high")
    if r.k < r.method.pi_min_k:  # the method that produced r (primary: Bayes for 2-4)
        finite = tuple(f for f in finite if f not in ("pi_low", "pi_high"))
        assert np.isnan([r.pi_low, r.pi_high]).all()
    values = np.array([getattr(r, f) for f in finite], dtype=float)
    assert np.all(np.isfinite(values)), dict(zip(finite, values, strict=True))
    assert 0 <= r.ci_low <= r.estimate <= r.ci_high <= 1
    assert np.isfinite(r.studies[["proportion", "ci_low", "ci_high", "weight"]].to_numpy()).all()
    assert r.studies["weight"].sum() == pytest.approx(100)


def test_identical_studies_have_no_heterogeneity():
    r = pool_proportions([5, 5, 5, 5], [50, 50, 50, 50], method=METHODS["logit_reml_hk"])
    assert r.tau2 == 0 and r.q == pytest.approx(0, abs=1e-12) and r.i2 == 0
    # hand calculation: logit(0.1) = -2.1972, v = 1/5 + 1/45 per study, pooled SE sqrt(v/4);
    # hk-adhoc keeps the Wald variance (q = 0 < 1) with t(3)
    se = np.sqrt((1 / 5 + 1 / 45) / 4)
    assert r.mu == pytest.approx(np.log(0.1 / 0.9)) and r.se == pytest.approx(se)
    t = stats.t.ppf(0.975, 3)
    assert r.ci_low == pytest.approx(1 / (1 + np.exp(-(np.log(1 / 9) - t * se))))


def test_primary_falls_back_visibly_when_glmm_cannot_be_fitted():
    # 0/10 and 10/10 (five studies: the GLMM's share of the primary): the likelihood grows
    # without bound in tau (no finite MLE)
    r = pool_proportions([0, 10, 0, 10, 0], [10] * 5, method=METHODS[PRIMARY])
    assert r.fallback is True and r.kind == "random_effects"
    assert r.requested == METHODS["primary"] and r.method == METHODS[PRIMARY].fallback
    assert r.method.model == "iv" and r.method.cc == "only0"
    assert "GLMM could not be fitted" in r.message
    with pytest.raises(GLMMConvergenceError, match="diverge"):
        pool_proportions([0, 10], [10, 10], method=METHODS["glmm"])
    # with two studies the primary is the Bayesian model, whose posterior is proper
    two = pool_proportions([0, 10], [10, 10], method=METHODS[PRIMARY])
    assert two.method.model == "bayes" and not two.fallback and two.posterior.converged
    assert two.requested == METHODS[PRIMARY] and 0 < two.ci_low < two.ci_high < 1


def test_primary_is_bayesian_for_two_to_four_studies_and_glmm_from_five():
    x, n = [3, 6, 10, 1, 7], [11, 17, 21, 6, 15]
    models = [pool_proportions(x[:k], n[:k], method=METHODS[PRIMARY]) for k in range(1, 6)]
    assert models[0].kind == "single_study"
    assert [r.method.model for r in models[1:]] == ["bayes", "bayes", "bayes", "glmm"]
    assert models[3].method.label == "Bayesian binomial-normal (tau ~ HN(1))"
    assert models[4].method.label == "GLMM (logit)"
    # the Bayesian row is the "bayes" sensitivity method's result, and no pool without
    # variation reaches it
    same = pool_proportions(x[:3], n[:3], method=METHODS["bayes"])
    assert models[2].estimate == same.estimate and models[2].ci_high == same.ci_high
    assert pool_proportions([0, 0], [5, 8], method=METHODS[PRIMARY]).kind == "counts"


def test_primary_uses_glmm_with_iv_weights():
    r = pool_proportions(NIEL["ci"], NIEL["n2i"], NIEL["author"], method=METHODS[PRIMARY])
    assert r.fallback is False and r.method.model == "glmm"
    assert r.ci_df == np.inf and r.pi_df == len(NIEL) - 1  # Wald z CI, t(k-1) PI
    iv = pool_proportions(NIEL["ci"], NIEL["n2i"], NIEL["author"], method=METHODS["logit_reml_hk"])
    assert r.studies["weight"].to_numpy() == pytest.approx(iv.studies["weight"].to_numpy())
    assert list(r.studies["label"]) == list(NIEL["author"])


def test_glmm_one_study_model_mode_refuses():
    with pytest.raises(GLMMConvergenceError, match="more studies than parameters"):
        pool_proportions([48], [52], method=CROSSCHECK["GLMM_PLO"])


def _profile_deviance(x, n, fit, tau, groups=None):
    """2 (l_max - l_p(tau)) by the general damped Newton in the intercepts (independent of the
    profile search's own inner fits)."""
    from analysis.engine.glmm import BinomialNormalModel, _newton

    x, n = np.asarray(x, float), np.asarray(n, float)
    g = (
        np.zeros(len(x), dtype=np.intp)
        if groups is None
        else np.unique(groups, return_inverse=True)[1].astype(np.intp)
    )
    model = BinomialNormalModel(x, n, g, len(fit.mu), 7)
    _, ll, *_ = _newton(model, fit.mu, tau, fix_tau=True)
    return 2 * (fit.loglik - ll)


@pytest.mark.parametrize(
    "x, n, groups",
    [
        (NIEL["ci"].to_numpy(), NIEL["n2i"].to_numpy(), None),
        (
            [4, 0, 10, 0, 22, 0, 8, 21, 1, 1, 15, 5, 0],
            [92, 21, 178, 3, 146, 52, 147, 244, 65, 229, 129, 25, 227],
            None,
        ),
        (
            [14, 1, 10, 91, 35, 81, 2, 6],
            [109, 239, 61, 189, 139, 141, 188, 117],
            [0, 0, 0, 0, 1, 1, 1, 1],
        ),
    ],
)
def test_glmm_tau2_profile_limits_solve_the_deviance_equation(x, n, groups):
    from analysis.engine.glmm import fit_glmm

    fit = fit_glmm(x, n, groups)
    crit = stats.chi2.ppf(0.95, 1)
    assert 0 <= fit.tau2_ci_low <= fit.tau2 <= fit.tau2_ci_high < np.inf
    for limit in (fit.tau2_ci_low, fit.tau2_ci_high):
        if limit > 0:
            assert _profile_deviance(x, n, fit, np.sqrt(limit), groups) == pytest.approx(
                crit, abs=1e-6
            )
    if fit.tau2_ci_low == 0:
        assert _profile_deviance(x, n, fit, 0.0, groups) <= crit


def test_glmm_tau2_upper_limit_is_infinite_only_beyond_tau2_100():
    from analysis.engine.glmm import fit_glmm

    crit = stats.chi2.ppf(0.95, 1)
    # two tiny studies: the profile deviance reaches the cut-off at tau² = 66.7 (< 100), so
    # the limit is finite (a bracket that jumped past tau = 10 used to report inf)
    fit = fit_glmm([0, 1], [3, 5])
    assert fit.tau2 == 0 and fit.tau2_ci_high == pytest.approx(66.698905, rel=1e-6)
    assert _profile_deviance([0, 1], [3, 5], fit, 10.0) > crit
    # one event in 35 participants over 10 studies: still below the cut-off at tau² = 100
    x, n = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [2, 3, 4, 2, 3, 6, 1, 2, 5, 7]
    fit = fit_glmm(x, n)
    assert fit.tau2_ci_high == np.inf and _profile_deviance(x, n, fit, 10.0) < crit


def test_glmm_flat_likelihood_matches_lme4():
    # rma.glmm(measure = "PLO", xi = c(0, 0, 0, 0, 1, 2, 0, 0, 0, 0),
    #          ni = c(2, 2, 2, 2, 2, 2, 1, 2, 1, 1)): -3.632658, SE 2.820684, tau² 9.810847
    r = pool_proportions(
        [0, 0, 0, 0, 1, 2, 0, 0, 0, 0], [2, 2, 2, 2, 2, 2, 1, 2, 1, 1], method=METHODS["glmm"]
    )
    assert r.mu == pytest.approx(-3.632658, abs=1e-3)
    assert r.se == pytest.approx(2.820684, abs=1e-3)
    assert r.tau2 == pytest.approx(9.810847, abs=1e-3)


def test_large_k_is_fast_enough():
    rng = np.random.default_rng(7)
    n = rng.integers(20, 400, 10_000)
    x = rng.binomial(n, 1 / (1 + np.exp(-rng.normal(-1, 0.5, n.size))))
    r = pool_proportions(x, n, method=METHODS[PRIMARY])
    assert r.k == 10_000 and np.isfinite(r.estimate) and not r.fallback


# --- values pinned to metafor 3.8-1 ----------------------------------------------------


@pytest.mark.parametrize(
    "method, expected",
    [
        # rma(yi, vi, data = es, method = "HE")$tau2
        ("HE", 0.67614550946763),
        # rma(yi, vi, data = es, method = "SJ")$tau2
        ("SJ", 0.775680564475652),
        # rma(yi, vi, data = es, method = "ML")$tau2
        ("ML", 0.607335858897959),
        # rma(yi, vi, data = es, method = "REML")$tau2
        ("REML", 0.662867669815576),
        # rma(yi, vi, data = es, method = "PM")$tau2
        ("PM", 0.662257861929907),
        # rma(yi, vi, data = es, method = "DL")$tau2
        ("DL", 0.755347342290799),
    ],
)
def test_tau2_estimators_match_metafor(es, method, expected):
    assert estimate_tau2(*es, method) == pytest.approx(expected, abs=1e-9)


def test_heterogeneity_matches_metafor(es):
    het = heterogeneity(*es, 0.662867669815576)
    # r <- rma(yi, vi, data = es); r$I2, r$H2
    assert het.i2 == pytest.approx(74.010791296226, abs=1e-9)
    assert het.h2 == pytest.approx(3.84775085458753, abs=1e-9)
    # confint(r)$random["tau^2", c("ci.lb", "ci.ub")]: 0.241502910191820, 2.01514936292272;
    # metafor's root search stops at tol = eps^0.25, ours solves to ~1e-12, hence 1e-4
    assert het.tau2_ci_low == pytest.approx(0.241502910191820, abs=1e-4)
    assert het.tau2_ci_high == pytest.approx(2.01514936292272, abs=1e-4)


def test_hk_adhoc_matches_metafor():
    r = pool_proportions(NIEL["ci"], NIEL["n2i"], method=METHODS["logit_reml_hk"], pi="t")
    # predict(rma(yi, vi, data = es, test = "adhoc"), transf = transf.ilogit)
    expected = [
        0.0355103169770747,
        0.0218051864875202,
        0.0573246767130212,
        0.00611237893963134,
        0.180606525192579,
    ]
    got = [r.estimate, r.ci_low, r.ci_high, r.pi_low, r.pi_high]
    assert got == pytest.approx(expected, abs=1e-10)


def test_study_ci_matches_scipy_binomtest():
    x = np.array([0, 1, 5, 17, 20, 3])
    n = np.array([20, 1, 9, 40, 20, 1000])
    for ci_method, scipy_name in (("clopper-pearson", "exact"), ("wilson", "wilson")):
        lo, hi = study_ci(x, n, ci_method)
        for i in range(len(x)):
            ref = stats.binomtest(int(x[i]), int(n[i])).proportion_ci(0.95, scipy_name)
            assert (lo[i], hi[i]) == (
                pytest.approx(ref.low, abs=1e-10),
                pytest.approx(ref.high, abs=1e-10),
            )


@pytest.mark.parametrize("transform", ["logit", "freeman-tukey", "arcsine", "raw"])
def test_back_transform_inverts_forward(transform):
    p = np.linspace(0.01, 0.99, 99)
    n = np.full(p.size, 10**6)
    x = np.round(p * n)
    y, _ = escalc(x, n, transform)
    back = (
        back_transform(y, transform, n)
        if transform != "freeman-tukey"
        else np.array(
            [back_transform([yi], transform, [ni])[0] for yi, ni in zip(y, n, strict=True)]
        )
    )
    assert back == pytest.approx(x / n, abs=1e-6)
