"""The Bayesian binomial-normal model by quadrature: MCMC reference, brute force, properties.

Engine inputs only (no review settings), except the last section, which checks the review's
Bayesian rows of the current data package against the reference. The MCMC reference is the
committed ``validation/bayes_reference.csv`` (``validation/bayes_mcmc.py``, numpyro NUTS,
4 x 20,000 draws per synthetic case, 4 x 10,000 per pool of the data, batch-means Monte Carlo
standard errors). Each case is stored by its counts and prior, so the engine is checked on
every case whatever the data package holds now.
"""

import re

import numpy as np
import pandas as pd
import pytest
from scipy import interpolate, optimize, special

from analysis import paths
from analysis.engine.bayes import BayesPrior, bayes_binomial_normal

REFERENCE = paths.ROOT / "validation" / "bayes_reference.csv"
#: The modelled pools of the data package the reference was made from, by their counts.
POOLS = paths.ROOT / "validation" / "bayes_pools.csv"
#: Absolute floor added to 3 MCSE: the batch-means MCSE is itself estimated (100 batches:
#: about 7% relative error, and it can run low for extreme quantiles), and the quadrature's
#: own error is bounded by its node-doubling check (TOL = 1e-3 on the logit scale, i.e.
#: at most 2.5e-4 on the proportion scale). 1e-3 on the 0-1 scale (0.1 percentage points)
#: is ten times below the one-decimal rounding of the book.
FLOOR = 1e-3
FIELDS = {
    ("p", 0.5): "estimate",
    ("p", 0.025): "ci_low",
    ("p", 0.975): "ci_high",
    ("tau", 0.5): "tau",
    ("tau", 0.025): "tau_ci_low",
    ("tau", 0.975): "tau_ci_high",
    ("p_new", 0.025): "pi_low",
    ("p_new", 0.975): "pi_high",
}


def _reference():
    ref = pd.read_csv(REFERENCE)
    return [(case, frame) for case, frame in ref.groupby("case", sort=False)]


@pytest.mark.parametrize("case, frame", _reference(), ids=lambda v: v if isinstance(v, str) else "")
def test_agrees_with_long_mcmc_within_three_mcse(case, frame):
    first = frame.iloc[0]
    x = [int(v) for v in str(first["events"]).split(";")]
    n = [int(v) for v in str(first["totals"]).split(";")]
    r = bayes_binomial_normal(x, n, prior=BayesPrior(tau_scale=float(first["tau_scale"])))
    assert r.converged
    for row in frame.itertuples():
        key = (row.quantity, row.prob)
        if key not in FIELDS:
            continue  # the predictive median is not reported
        ours = getattr(r, FIELDS[key])
        assert abs(ours - row.value) <= 3 * row.mcse + FLOOR, (case, key, ours, row.value)


def test_reference_has_the_cases_the_brief_asks_for():
    ref = pd.read_csv(REFERENCE)
    cases = ref.drop_duplicates("case")
    synthetic = cases[~cases["case"].str.startswith("pool ")]
    k = synthetic["events"].astype(str).str.count(";") + 1
    assert set(k) == {1, 2, 3, 4, 5, 6}
    assert 12 <= len(synthetic) <= 20
    assert synthetic["events"].astype(str).str.contains(r"(^|;)0(;|$)").sum() >= 3
    assert synthetic["case"].str.startswith("real_").sum() >= 3
    # NUTS met a few divergent transitions in the funnel near tau = 0 in 5 of the cases (at
    # most 14 of 80,000 draws); the comparison above shows no bias at 3 MCSE
    assert (ref["divergences"] <= 5e-4 * ref["draws"]).all()


# --- brute force ------------------------------------------------------------------------


def brute_force(x, n, tau_scale=1.0, mu_sd=2.0):
    """Quantiles of mu and tau on dense uniform grids (k = 1, 2).

    mu: trapezoid (step 0.1), tau: midpoint rule (step 0.05; the integrand is even in
    tau, so the rule is as accurate as on a symmetric interval), each study's integral over
    z = (theta - mu)/tau on a uniform grid (step 0.02 on [-8, 8]); uniform rules converge
    geometrically for smooth integrands that vanish at the ends. Quantiles from cubic
    splines of the marginal densities, integrated exactly.
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    mu = np.arange(-14.0, 12.0 + 1e-9, 0.1)
    tau = np.arange(0.025, 7 * tau_scale, 0.05)
    z = np.arange(-8.0, 8.0 + 1e-9, 0.02)
    wz = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) * 0.02
    logc = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    logpost = np.empty((mu.size, tau.size))
    for j, t in enumerate(tau):
        eta = mu[:, None] + t * z[None, :]
        total = np.zeros(mu.size)
        for xi, ni, ci in zip(x, n, logc, strict=True):
            lb = ci + xi * eta - ni * np.logaddexp(0, eta)
            top = lb.max(axis=1)
            total += top + np.log(np.exp(lb - top[:, None]) @ wz)
        logpost[:, j] = total - 0.5 * (mu / mu_sd) ** 2 - 0.5 * (t / tau_scale) ** 2
    post = np.exp(logpost - logpost.max())
    f_mu = post.sum(axis=1)
    f_tau = post.sum(axis=0)

    def quantiles(grid, f, probs, even=False):
        if even:  # mirror to negative tau so that the spline sees an even function
            grid, f = np.concatenate([-grid[::-1], grid]), np.concatenate([f[::-1], f])
        spline = interpolate.CubicSpline(grid, f).antiderivative()
        start = 0.0 if even else grid[0]
        total = spline(grid[-1]) - spline(start)
        return [
            optimize.brentq(lambda v, p=p: (spline(v) - spline(start)) / total - p, start, grid[-1])
            for p in probs
        ]

    probs = (0.5, 0.025, 0.975)
    qm = quantiles(mu, f_mu, probs)
    qt = quantiles(tau, f_tau, probs, even=True)
    keys = ("mu", "mu_ci_low", "mu_ci_high", "tau", "tau_ci_low", "tau_ci_high")
    return dict(zip(keys, qm + qt, strict=True))


@pytest.mark.parametrize(
    "x, n, scale",
    [([0], [5], 1.0), ([3], [10], 1.0), ([2, 0], [10, 4], 1.0), ([3, 9], [8, 10], 0.5)],
)
def test_agrees_with_brute_force_integration(x, n, scale):
    r = bayes_binomial_normal(x, n, prior=BayesPrior(tau_scale=scale))
    ref = brute_force(x, n, tau_scale=scale)
    for key, value in ref.items():
        assert getattr(r, key) == pytest.approx(value, abs=2e-4), key
    # on the proportion scale
    assert r.estimate == pytest.approx(special.expit(ref["mu"]), abs=1e-4)
    assert r.ci_low == pytest.approx(special.expit(ref["mu_ci_low"]), abs=1e-4)
    assert r.ci_high == pytest.approx(special.expit(ref["mu_ci_high"]), abs=1e-4)


# --- properties -------------------------------------------------------------------------


CASES = [
    ([3, 6, 10, 1], [11, 17, 21, 6]),
    ([0], [5]),
    ([5, 5], [5, 5]),
    ([0, 0, 1], [3, 20, 4]),
    ([20, 30], [25, 100]),
    (list(range(5, 71, 3)), [200] * 22),
]


@pytest.mark.parametrize("x, n", CASES)
def test_node_doubling_converges_and_is_reported(x, n):
    r = bayes_binomial_normal(x, n)
    assert r.converged and r.max_change <= 1e-3
    assert r.max_change == max(r.changes.values())
    assert set(r.changes) >= {"estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau"}
    assert r.n_mu > 40 and r.n_tau > 40 and r.nagq >= 20
    assert r.ci_low < r.estimate < r.ci_high
    assert r.pi_low <= r.ci_low and r.pi_high >= r.ci_high
    assert 0 <= r.tau_ci_low < r.tau < r.tau_ci_high


def test_deterministic():
    a = bayes_binomial_normal([3, 6, 10, 1], [11, 17, 21, 6])
    b = bayes_binomial_normal([3, 6, 10, 1], [11, 17, 21, 6])
    assert a == b


@pytest.mark.parametrize("x, n", [([3, 6, 10, 1], [11, 17, 21, 6]), ([0, 2], [5, 9]), ([1], [4])])
def test_mirror_symmetry(x, n):
    r = bayes_binomial_normal(x, n)
    m = bayes_binomial_normal(np.subtract(n, x), n)
    assert m.estimate == pytest.approx(1 - r.estimate, abs=1e-6)
    assert m.ci_low == pytest.approx(1 - r.ci_high, abs=1e-6)
    assert m.pi_high == pytest.approx(1 - r.pi_low, abs=1e-6)
    assert m.tau == pytest.approx(r.tau, abs=1e-6)


def test_more_studies_narrow_the_interval():
    x, n = [3, 6], [11, 17]
    widths = [
        (lambda r: r.ci_high - r.ci_low)(bayes_binomial_normal(x * m, n * m)) for m in (1, 2, 4)
    ]
    assert widths[0] > widths[1] > widths[2]


def test_prior_sensitivity_goes_the_right_way():
    x, n = [3, 12], [20, 15]
    r = {s: bayes_binomial_normal(x, n, prior=BayesPrior(tau_scale=s)) for s in (0.5, 1.0, 2.0)}
    assert r[0.5].tau < r[1.0].tau < r[2.0].tau
    width = {s: v.ci_high - v.ci_low for s, v in r.items()}
    assert width[0.5] < width[1.0] < width[2.0]
    assert r[0.5].pi_high - r[0.5].pi_low < r[2.0].pi_high - r[2.0].pi_low


def test_one_study_learns_little_about_tau():
    r = bayes_binomial_normal([3], [10])
    prior_median = 1.0 * special.ndtri(0.75)  # half-normal(1) median 0.674
    assert r.tau == pytest.approx(prior_median, abs=0.05)
    assert r.k == 1 and not r.prior_driven


@pytest.mark.parametrize("x, n", [([0, 0], [5, 8]), ([4, 7], [4, 7]), ([0], [3])])
def test_pools_without_variation_are_prior_driven(x, n):
    r = bayes_binomial_normal(x, n)
    assert r.prior_driven and r.converged
    assert 0 < r.ci_low < r.estimate < r.ci_high < 1


def test_prior_label():
    assert BayesPrior().label == "tau ~ HN(1)"
    assert BayesPrior(tau_scale=0.5).label == "tau ~ HN(0.5)"


# --- the review's modelled pools --------------------------------------------------------


def _key(events, totals, tau_scale):
    """A case's identity: its (events, total) pairs in any order and the prior of tau."""
    x, n = (
        tuple(int(v) for v in str(c).split(";")) if isinstance(c, str) else c
        for c in (events, totals)
    )
    return tuple(sorted(zip(x, n, strict=True))), float(tau_scale)


def _reference_by_counts():
    ref = pd.read_csv(REFERENCE, dtype={"events": str, "totals": str})
    return {
        _key(f["events"].iloc[0], f["totals"].iloc[0], f["tau_scale"].iloc[0]): (case, f)
        for case, f in ref.groupby("case", sort=False)
    }


def test_every_pool_of_the_reference_data_has_a_reference_case():
    """Each pool listed from the data (bayes_pools.csv) was run, or has an earlier case of the
    same counts (the ``real_`` cases)."""
    pools = pd.read_csv(POOLS, dtype={"events": str, "totals": str})
    assert pools["mu_sd"].eq(2.0).all()  # the MCMC model's mu ~ N(0, 2²)
    assert pools["case"].str.fullmatch(r"pool \S+/\S+ as of data [0-9a-f]{12}").all()
    ref = _reference_by_counts()
    missing = [
        p.case for p in pools.itertuples() if _key(p.events, p.totals, p.tau_scale) not in ref
    ]
    assert not missing


@pytest.fixture(scope="module")
def current_pools():
    from analysis.datapackage import load_dataset
    from analysis.review.synthesis import modelled_pools

    ds = load_dataset(paths.ROOT / "data")
    return ds.version, modelled_pools(ds, "bayes")


def test_every_current_pool_with_a_reference_case_agrees(current_pools, record_property):
    """The review's Bayesian row of each modelled pool of the data, where the reference has a
    case of the same counts, agrees with MCMC within 3 MCSE + FLOOR (the issue's acceptance
    criterion). Pools of a later data update with new counts have no case until
    ``validation/bayes_mcmc.py --keep`` is run again: they are counted and reported, not
    failed; with the data the reference was made from, every pool must be covered."""
    version, pools = current_pools
    ref = _reference_by_counts()
    covered, uncovered, checked = [], [], 0
    for pool in pools.itertuples():
        name = f"{pool.outcome}/{pool.regimen}"
        match = ref.get(_key(pool.events, pool.totals, pool.tau_scale))
        if match is None:
            uncovered.append(name)
            continue
        assert pool.mu_sd == 2.0, name
        covered.append(name)
        case, frame = match
        ours = {
            ("p", 0.5): pool.estimate,
            ("p", 0.025): pool.ci_low,
            ("p", 0.975): pool.ci_high,
            ("p_new", 0.025): pool.pi_low,  # empty below 3 studies
            ("p_new", 0.975): pool.pi_high,
            ("tau", 0.5): np.sqrt(pool.tau2),  # tau² is the squared posterior median of tau
        }
        for row in frame.itertuples():
            value = ours.get((row.quantity, row.prob))
            if value is None or not np.isfinite(value):
                continue
            checked += 1
            assert abs(value - row.value) <= 3 * row.mcse + FLOOR, (name, case, row.quantity)
    made_from = set(re.findall(r"as of data ([0-9a-f]{12})", POOLS.read_text()))
    coverage = f"{len(covered)} of {len(pools)} modelled pools (data {version})"
    record_property("bayes_mcmc_coverage", coverage)
    print(
        f"MCMC reference covers {coverage}; {checked} quantities checked; not covered: {uncovered}"
    )
    assert covered
    if made_from == {version}:
        assert not uncovered
