"""Bayesian binomial-normal random-effects model for single proportions, by quadrature.

Model (logit scale)::

    x_i ~ Binomial(n_i, expit(theta_i)),   theta_i ~ N(mu, tau²),
    mu ~ N(mu_mean, mu_sd²)  (default N(0, 2²)),   tau ~ half-normal(tau_scale)  (default 1).

The posterior of ``(mu, tau)`` is computed by deterministic quadrature, with no Markov
chain and no random numbers, so the same counts always give the same digits:

* **Inner integrals** (one per study and grid point): the study's marginal likelihood
  ``L_i(mu, tau) = ∫ Bin(x_i; n_i, expit(mu + tau z)) φ(z) dz`` by adaptive Gauss-Hermite
  quadrature centred at the mode of the integrand and scaled by its curvature there (Liu &
  Pierce 1994), as in :mod:`analysis.engine.glmm`. At ``tau = 0`` it is exact.
* **Outer integrals** over ``(mu, tau)``: a tensor grid of Chebyshev points of the second
  kind (Clenshaw-Curtis quadrature) on a box adapted to the posterior: the box is widened
  until the marginal posterior densities at its free edges are below ``1e-9`` of their
  maxima (the truncated mass is negligible) and narrowed where the densities are below
  that level, so that the grid resolves the posterior. The marginal densities of ``mu``
  and ``tau`` are Chebyshev interpolants on the grid, integrated exactly to CDFs whose
  quantiles are found by root-finding. The predictive distribution of
  ``theta_new = mu + tau z`` is ``Σ_b W_b E[Φ((t - mu)/tau_b) | tau_b]``, each expectation
  taken over ``mu`` (Clenshaw-Curtis) where ``tau_b`` is at least the conditional SD of
  ``mu``, else over ``z`` (Gauss-Hermite on the conditional CDF of ``mu``), so that the
  integrand is smooth on the scale of the nodes.
* **Error check by node doubling**: the whole computation is repeated with twice the
  outer intervals (Clenshaw-Curtis points are nested) and twice the inner points; the
  finer result is reported, and the largest change of any reported quantity
  (:attr:`BayesPosterior.max_change`) is the error estimate of the coarser rule, a
  conservative one of the finer (the rules converge geometrically for these analytic
  integrands). ``converged`` is ``max_change <= tol``.

Why hand-written: no maintained Python library does binomial-normal meta-analysis by
quadrature (PyMC, numpyro and Stan sample by MCMC: random, slow to start, Monte Carlo
error), and R's ``bayesmeta`` (Röver 2020), whose DIRECT algorithm discretises tau's
marginal posterior with a bounded divergence, covers only the normal-normal model. Here the
binomial likelihood is kept exactly (no continuity correction; zero-event studies
included), and the accuracy is checked every time by node doubling. ``validation/``
compares the numbers with long MCMC runs and brute-force grids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import fft, optimize, special

#: Outer intervals per axis (``nodes + 1`` Chebyshev points) and inner Gauss-Hermite points.
NODES = 40
NAGQ = 12
#: Largest change on node doubling accepted as converged (proportions on the 0-1 scale;
#: mu and tau on the logit scale, relative above 1): a tenth of the rounding of a
#: percentage shown with one decimal.
TOL = 1e-3
#: Reported quantities on the 0-1 scale (the others are on the logit scale).
_PROPORTIONS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")
#: Refinements (nodes x 1.5, 4 more inner points) tried when the check fails.
_REFINE = 2
#: Relative posterior density at a box edge below which the tail beyond it is ignored.
_EDGE = 1e-9
_LOG_EDGE = np.log(_EDGE)
_LOG_SQRT2_OVER_2PI = 0.5 * np.log(2.0) - 0.5 * np.log(2 * np.pi)


@dataclass(frozen=True)
class BayesPrior:
    """Priors of the Bayesian binomial-normal model (logit scale).

    Parameters
    ----------
    mu_mean, mu_sd : float
        Normal prior of the mean logit ``mu`` (default N(0, 2²): 95% of its mass between
        proportions 2% and 98%).
    tau_scale : float
        Scale of the half-normal prior of the between-study SD ``tau`` (default 1).
    """

    mu_mean: float = 0.0
    mu_sd: float = 2.0
    tau_scale: float = 1.0

    @property
    def label(self) -> str:
        """``'tau ~ HN(1)'`` (and the mu prior when it is not the default)."""
        text = f"tau ~ HN({self.tau_scale:g})"
        if (self.mu_mean, self.mu_sd) != (0.0, 2.0):
            text = f"mu ~ N({self.mu_mean:g}, {self.mu_sd:g}²), " + text
        return text


@dataclass(frozen=True)
class BayesPosterior:
    """Posterior summaries of the Bayesian binomial-normal model.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Posterior median and equal-tailed credible interval of ``expit(mu)``, the median
        proportion (0-1).
    pi_low, pi_high : float
        Equal-tailed posterior predictive interval of a new study's proportion
        ``expit(theta_new)``, ``theta_new ~ N(mu, tau²)``.
    mu, mu_ci_low, mu_ci_high, mu_sd : float
        Posterior median, credible interval and SD of ``mu`` (logit scale).
    tau, tau_ci_low, tau_ci_high : float
        Posterior median and credible interval of ``tau`` (logit scale).
    level : float
        Level of the intervals (0.95).
    prior : BayesPrior
        The priors used.
    k, n_total, events_total : int
        Studies, participants, events.
    prior_driven : bool
        No events, or only events, in the whole pool: the data cannot locate ``mu`` on one
        side and the estimate rests on the prior.
    n_mu, n_tau, nagq : int
        Nodes of the reported (finer) rule: Chebyshev points in ``mu`` and ``tau``,
        Gauss-Hermite points per study.
    max_change : float
        Largest change of any reported quantity between the coarse rule and the doubled
        one: proportions on the 0-1 scale, absolute; ``mu`` and ``tau`` (logit scale)
        relative to ``max(1, |value|)`` (absolute below 1).
    converged : bool
        ``max_change <= tol``.
    changes : dict
        Quantity -> its change on doubling.
    """

    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    mu: float
    mu_ci_low: float
    mu_ci_high: float
    mu_sd: float
    tau: float
    tau_ci_low: float
    tau_ci_high: float
    level: float
    prior: BayesPrior
    k: int
    n_total: int
    events_total: int
    prior_driven: bool
    n_mu: int
    n_tau: int
    nagq: int
    max_change: float
    converged: bool
    changes: dict = field(default_factory=dict, repr=False, compare=False)


# --- Chebyshev / Clenshaw-Curtis ---------------------------------------------------------


@lru_cache(maxsize=16)
def _cheb(N: int):
    """Chebyshev points, the values-to-coefficients matrix and Clenshaw-Curtis weights.

    Points ``-cos(pi j / N)``, ascending; weights for [-1, 1].
    """
    x = -np.cos(np.pi * np.arange(N + 1) / N)
    # coefficients from values at the ascending points (reverse to cos(pi j/N) order)
    M = fft.dct(np.eye(N + 1)[::-1], type=1, axis=0) / N
    M[0] /= 2
    M[N] /= 2
    k = np.arange(N + 1)
    integral = np.where(k % 2 == 0, 2.0 / (1.0 - k * k + (k == 1)), 0.0)
    w = M.T @ integral
    for a in (x, M, w):
        a.setflags(write=False)
    return x, M, w


@lru_cache(maxsize=16)
def _hermite(nagq: int):
    t, w = np.polynomial.hermite.hermgauss(nagq)
    return t, np.log(w) + t * t


@lru_cache(maxsize=4)
def _hermite_prob(m: int):
    z, w = np.polynomial.hermite_e.hermegauss(m)
    return z, w / w.sum()


# --- the posterior on a grid -------------------------------------------------------------


def _log_lik(x, n, logc, mu, tau, nagq):
    """Σ_i log L_i(mu, tau) on the grid ``mu`` (A, 1) x ``tau`` (1, B), shape (A, B)."""
    t, logw = _hermite(nagq)
    mu3, tau3 = mu[..., None], tau[..., None]
    x3, n3 = x, n  # broadcast over the last axis (studies)
    tx, tn = tau3 * x3, tau3 * n3
    lo, hi = np.minimum(tx - tn, tx), np.maximum(tx - tn, tx)
    z = np.zeros(np.broadcast_shapes(mu3.shape, tau3.shape, x3.shape))
    t2n = tau3 * tau3 * n3
    for _ in range(100):
        p = special.expit(mu3 + tau3 * z)
        g = tx - tn * p - z
        curv = t2n * p * (1 - p) + 1
        lo = np.where(g > 0, z, lo)
        hi = np.where(g < 0, z, hi)
        zn = z + g / curv
        # bisection where Newton leaves the bracket or jumps across more than half of it
        # (h' is sigmoid-like in z: plain Newton can cycle between the ends)
        bad = (zn < lo) | (zn > hi) | (np.abs(zn - z) > 0.5 * (hi - lo))
        zn = np.where(bad, 0.5 * (lo + hi), zn)
        step = np.abs(zn - z)
        z = zn
        if step.max() <= 1e-10:
            break
    p = special.expit(mu3 + tau3 * z)
    sigma = 1.0 / np.sqrt(t2n * p * (1 - p) + 1)
    zz = z[..., None] + (np.sqrt(2.0) * sigma)[..., None] * t
    eta = mu3[..., None] + tau3[..., None] * zz
    lw = x3[:, None] * eta - n3[:, None] * np.logaddexp(0.0, eta) - 0.5 * zz * zz + logw
    top = lw.max(axis=-1)
    ll = top + np.log(np.exp(lw - top[..., None]).sum(axis=-1) * sigma) + _LOG_SQRT2_OVER_2PI
    return (ll + logc).sum(axis=-1)


@dataclass
class _Axis:
    """Chebyshev points in v on [lo, hi], mapped to ``centre + scale sinh(v)``.

    The sinh map puts the nodes where the mass is (spacing ``scale`` near ``centre``) and
    reaches heavy tails with few nodes (spacing growing like ``e^|v|``).
    """

    centre: float
    scale: float
    lo: float
    hi: float
    N: int

    def __post_init__(self):
        u, _, w = _cheb(self.N)
        self.v = self.lo + (self.hi - self.lo) * (u + 1) / 2
        self.x = self.centre + self.scale * np.sinh(self.v)
        self.jac = self.scale * np.cosh(self.v)  # dx/dv
        self.w = w * (self.hi - self.lo) / 2 * self.jac  # weights in x

    def to_v(self, x):
        return np.arcsinh((np.asarray(x) - self.centre) / self.scale)

    def to_u(self, x):
        return np.clip(2 * (self.to_v(x) - self.lo) / (self.hi - self.lo) - 1, -1.0, 1.0)

    def quantiles(self, dens, probs):
        """Quantiles (in x) of the density ``dens`` (in x) given at the nodes."""
        c = _cheb(self.N)[1] @ (dens * self.jac)
        ci = np.polynomial.chebyshev.chebint(c, lbnd=-1)
        total = np.polynomial.chebyshev.chebval(1.0, ci)
        out = []
        for p in probs:
            u = optimize.brentq(
                lambda t, p=p: np.polynomial.chebyshev.chebval(t, ci) / total - p,
                -1.0,
                1.0,
                xtol=1e-14,
            )
            v = self.lo + (self.hi - self.lo) * (u + 1) / 2
            out.append(float(self.centre + self.scale * np.sinh(v)))
        return out


@dataclass
class _Grid:
    mu: _Axis
    tau: _Axis
    dens: np.ndarray  # posterior density / its maximum at the nodes (A, B)


def _grid(x, n, logc, prior: BayesPrior, axes, N, nagq) -> _Grid:
    am, at = axes
    mu = _Axis(am.centre, am.scale, am.lo, am.hi, N)
    tau = _Axis(at.centre, at.scale, at.lo, at.hi, N)
    logp = _log_lik(x, n, logc, mu.x[:, None], tau.x[None, :], nagq)
    logp += -0.5 * ((mu.x[:, None] - prior.mu_mean) / prior.mu_sd) ** 2
    logp += -0.5 * (tau.x[None, :] / prior.tau_scale) ** 2
    return _Grid(mu, tau, np.exp(logp - logp.max()))


def _edges(axis: _Axis, marginal, floor=None):
    """New [lo, hi] in v: widened where an edge density is not negligible, else narrowed."""
    with np.errstate(divide="ignore"):
        logm = np.log(np.maximum(marginal, 0.0)) - np.log(marginal.max())
    above = np.flatnonzero(logm > _LOG_EDGE)
    i, j = above[0], above[-1]
    grow = False
    if i == 0 and not (floor is not None and axis.lo <= floor):
        lo, grow = axis.lo - 1.0, True
    else:
        lo = axis.v[max(i - 1, 0)]
    if j == len(axis.v) - 1:
        hi, grow = axis.hi + 1.0, True
    else:
        hi = axis.v[j + 1]
    if floor is not None:
        lo = floor if lo - floor < 0.1 * (hi - lo) else lo
    return lo, hi, grow


def _adapted_grid(x, n, logc, prior, N, nagq) -> _Grid:
    """The grid on axes adapted to the posterior (see the module docstring)."""
    xc, nc = x + 0.5, n + 1.0
    y = np.log(xc / (nc - xc))
    w = 1 / (1 / xc + 1 / (nc - xc) + prior.tau_scale**2 / 4)
    w0 = 1 / prior.mu_sd**2
    centre = float((np.sum(w * y) + w0 * prior.mu_mean) / (w.sum() + w0))
    scale = float(1 / np.sqrt(w.sum() + w0))
    big = np.arcsinh(8.0)
    am = _Axis(centre, scale, -big, big, 2)
    at = _Axis(0.0, 0.5 * prior.tau_scale, 0.0, float(np.arcsinh(13.0)), 2)
    g = None
    for it in range(10):
        g = _grid(x, n, logc, prior, (am, at), N, nagq)
        mm = g.dens @ g.tau.w
        mt = g.mu.w @ g.dens
        Z = g.mu.w @ mm
        mean = float(g.mu.w @ (g.mu.x * mm) / Z)
        sd = float(np.sqrt(max(g.mu.w @ ((g.mu.x - mean) ** 2 * mm) / Z, 1e-12)))
        tmed = g.tau.quantiles(np.maximum(mt, 0.0), (0.5,))[0]
        lo, hi, grow_m = _edges(g.mu, mm)
        tlo, thi, grow_t = _edges(g.tau, mt, floor=0.0)
        # the physical range of the non-negligible region, in the new coordinates
        xlo, xhi = am.centre + am.scale * np.sinh([lo, hi])
        tx = at.scale * np.sinh([tlo, thi])
        tscale = max(tmed, 0.05 * prior.tau_scale)
        new_m = _Axis(
            mean, sd, float(np.arcsinh((xlo - mean) / sd)), float(np.arcsinh((xhi - mean) / sd)), 2
        )
        new_t = _Axis(
            0.0, tscale, float(np.arcsinh(tx[0] / tscale)), float(np.arcsinh(tx[1] / tscale)), 2
        )
        stable = (
            abs(mean - am.centre) < 0.1 * sd
            and abs(np.log(sd / am.scale)) < 0.2
            and abs(np.log(tscale / at.scale)) < 0.2
        )
        if it > 0 and stable and not (grow_m or grow_t):
            break
        am, at = new_m, new_t
    return g


# --- summaries from a grid ---------------------------------------------------------------


def _root(F, p, guess, step):
    """Root of F(t) = p (F increasing) by a bracket grown from ``guess ± step``, then Brent."""
    lo, hi = guess - step, guess + step
    while F(lo) > p:
        lo, step = lo - 2 * step, 2 * step
    while F(hi) < p:
        hi, step = hi + 2 * step, 2 * step
    return optimize.brentq(lambda t: F(t) - p, lo, hi, xtol=1e-10)


def _summaries(g: _Grid, level: float, guess=None) -> dict:
    a = (1 - level) / 2
    probs = (0.5, a, 1 - a)
    mu, tau = g.mu, g.tau
    mmu = g.dens @ tau.w  # marginal density of mu (unnormalised)
    mtau = mu.w @ g.dens
    qmu = mu.quantiles(mmu, probs)
    qtau = tau.quantiles(np.maximum(mtau, 0.0), probs)
    Z = mu.w @ mmu
    mean = mu.w @ (mu.x * mmu) / Z
    sd = np.sqrt(max(mu.w @ ((mu.x - mean) ** 2 * mmu) / Z, 0.0))
    # predictive: theta_new = mu + tau z
    col = mtau  # mass of each tau column
    W = tau.w * col
    W = W / W.sum()
    cond = g.dens / np.where(col > 0, col, 1.0)  # conditional density of mu given tau_b
    cmean = mu.w @ (mu.x[:, None] * cond)
    csd = np.sqrt(np.maximum(mu.w @ ((mu.x[:, None] - cmean) ** 2 * cond), 0.0))
    by_mu = tau.x >= csd
    M = _cheb(mu.N)[1]
    cint = np.polynomial.chebyshev.chebint(M @ (cond[:, ~by_mu] * mu.jac[:, None]), lbnd=-1)
    ends = np.polynomial.chebyshev.chebval(1.0, cint)
    zh, wh = _hermite_prob(40)
    tau_mu, tau_z = tau.x[by_mu], tau.x[~by_mu]
    coef = cint[:, :, None]  # (N + 2, Bz, 1): broadcast over the 40 nodes

    def F(t):
        total = 0.0
        if by_mu.any():
            phi = special.ndtr((t - mu.x[:, None]) / tau_mu)
            total += np.sum(W[by_mu] * (mu.w @ (cond[:, by_mu] * phi)))
        if tau_z.size:
            u2 = 2 * mu.to_u(t - tau_z[:, None] * zh)  # (Bz, 40)
            # Clenshaw's recurrence for sum_k cint[k, b] T_k(u) (far fewer operations than
            # forming every T_k(u))
            b1 = b2 = np.zeros_like(u2)
            for ck in coef[:0:-1]:
                b1, b2 = ck + u2 * b1 - b2, b1
            vals = (coef[0] + 0.5 * u2 * b1 - b2) / ends[:, None]
            total += np.sum(W[~by_mu] * (np.clip(vals, 0.0, 1.0) @ wh))
        return total

    if guess is None:  # a normal approximation: N(mean, sd² + E tau²)
        spread = np.sqrt(sd * sd + W @ tau.x**2)
        z = special.ndtri(probs[2])
        guess, step = (mean - z * spread, mean + z * spread), 0.5 * spread
    else:  # the coarser rule's quantiles
        step = 1e-3
    qpred = [_root(F, p, g, step) for p, g in zip(probs[1:], guess, strict=True)]
    e = special.expit
    return {
        "estimate": float(e(qmu[0])),
        "ci_low": float(e(qmu[1])),
        "ci_high": float(e(qmu[2])),
        "pi_low": float(e(qpred[0])),
        "pi_high": float(e(qpred[1])),
        "mu": float(qmu[0]),
        "mu_ci_low": float(qmu[1]),
        "mu_ci_high": float(qmu[2]),
        "mu_sd": float(sd),
        "theta_low": float(qpred[0]),
        "theta_high": float(qpred[1]),
        "tau": float(qtau[0]),
        "tau_ci_low": float(qtau[1]),
        "tau_ci_high": float(qtau[2]),
    }


def bayes_binomial_normal(
    events,
    totals,
    *,
    prior: BayesPrior | None = None,
    level: float = 0.95,
    nodes: int = NODES,
    nagq: int = NAGQ,
    tol: float = TOL,
) -> BayesPosterior:
    """Posterior of the Bayesian binomial-normal random-effects model, by quadrature.

    Parameters
    ----------
    events, totals : array_like of int
        Events and participants per study (checked by the caller, e.g.
        :func:`analysis.engine.pooling.validate_counts`); any k >= 1.
    prior : BayesPrior, optional
        Priors (default ``mu ~ N(0, 2²)``, ``tau ~ HN(1)``).
    level : float
        Level of the credible and predictive intervals.
    nodes : int
        Outer intervals per axis of the coarse rule (the reported rule has twice as many).
        If the doubling check fails, the rule is refined (``nodes`` x 1.5, ``nagq`` + 4)
        up to twice before the result is returned with ``converged=False``.
    nagq : int
        Gauss-Hermite points per study of the coarse rule (the reported rule: twice).
    tol : float
        Largest change on node doubling accepted as converged.

    Returns
    -------
    BayesPosterior
        Posterior median and equal-tailed intervals of ``expit(mu)``, ``mu`` and ``tau``,
        the predictive interval of ``expit(theta_new)``, the prior and the node-doubling
        check. With k = 1 the posterior of tau is its prior updated only through ``mu``;
        with no events (or only events) in the pool ``prior_driven`` is True.

    Notes
    -----
    See the module docstring for the algorithm and its error control.

    Examples
    --------
    >>> r = bayes_binomial_normal([3, 6, 10, 1], [11, 17, 21, 6])
    >>> r.converged, round(r.estimate, 2)
    (True, 0.33)
    """
    prior = BayesPrior() if prior is None else prior
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    logc = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    for _ in range(_REFINE + 1):
        with np.errstate(over="ignore", under="ignore"):
            coarse = _adapted_grid(x, n, logc, prior, nodes, nagq)
            fine = _grid(x, n, logc, prior, (coarse.mu, coarse.tau), 2 * nodes, 2 * nagq)
            s0 = _summaries(coarse, level)
            s1 = _summaries(fine, level, guess=(s0["theta_low"], s0["theta_high"]))
        changes = {
            # proportions absolute; mu and tau (logit scale) relative to max(1, |value|)
            key: abs(s1[key] - s0[key]) / (1.0 if key in _PROPORTIONS else max(1.0, abs(s1[key])))
            for key in s1
            if not key.startswith(("mu_sd", "theta"))
        }
        worst = max(changes.values())
        if worst <= tol:
            break
        nodes, nagq = int(1.5 * nodes), nagq + 4
    s1 = {key: value for key, value in s1.items() if not key.startswith("theta")}
    return BayesPosterior(
        **s1,
        level=level,
        prior=prior,
        k=len(x),
        n_total=int(n.sum()),
        events_total=int(x.sum()),
        prior_driven=bool(x.sum() == 0 or x.sum() == n.sum()),
        n_mu=2 * nodes + 1,
        n_tau=2 * nodes + 1,
        nagq=2 * nagq,
        max_change=float(worst),
        converged=bool(worst <= tol),
        changes=changes,
    )
