"""Binomial-normal GLMM (random-intercept logistic model) by maximum likelihood.

``x_i ~ Binomial(n_i, expit(mu_g(i) + tau z_i))`` with ``z_i ~ N(0, 1)``: the model of
metafor's ``rma.glmm(measure = "PLO")`` (lme4 ``glmer(cbind(x, n - x) ~ 1 + (1 | study),
family = binomial, nAGQ = 7)``). The marginal likelihood of each study is integrated by
adaptive Gauss-Hermite quadrature (centred at the conditional mode, scaled by the curvature
there; Liu & Pierce 1994, Pinheiro & Bates 1995) and maximised by Newton-Raphson with
analytic score and observed information (Louis 1982 identities evaluated with the same
quadrature). No continuity correction is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

#: Quadrature points per study (metafor's ``rma.glmm`` default ``nAGQ = 7``).
NAGQ = 7
_MAX_ITER = 200
_TAU_MAX = 30.0
_MAX_STEP = 2.0
#: Upper end of the profile-likelihood search for tau (tau² = 100); beyond it the upper
#: limit of the tau² CI is reported as infinite (the data cannot bound it).
_PROFILE_TAU_MAX = 10.0  # a between-study SD beyond 30 logits means the MLE diverges


class GLMMConvergenceError(RuntimeError):
    """The GLMM could not be fitted: too few studies, no finite MLE, or no convergence.

    Raised instead of returning a silent fallback. ``pool_proportions`` catches it only when
    the :class:`~analysis.results.Method` names a ``fallback`` and then says so in ``message``
    and sets ``fallback=True`` on the result.
    """


@dataclass(frozen=True)
class GLMMFit:
    """Maximum-likelihood fit of the binomial-normal model.

    Attributes
    ----------
    mu : ndarray
        Intercepts on the logit scale, one per subgroup (one for a single pool).
    cov : ndarray
        Covariance of ``mu`` (inverse observed information, with tau profiled jointly as in
        lme4's Hessian-based ``vcov``).
    tau2 : float
        Between-study variance on the logit scale.
    tau2_ci_low, tau2_ci_high : float
        Profile-likelihood CI for tau² (likelihood-ratio, χ²(1)).
    loglik : float
        Maximised log-likelihood (including binomial coefficients).
    iterations : int
        Newton iterations used.
    """

    mu: np.ndarray
    cov: np.ndarray
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    loglik: float
    iterations: int

    @property
    def se(self) -> np.ndarray:
        """Standard errors of ``mu``."""
        return np.sqrt(np.diag(self.cov))


class _Model:
    def __init__(self, x, n, g, G, nagq):
        self.x, self.n, self.g, self.G = x, n, g, G
        t, w = np.polynomial.hermite.hermgauss(nagq)
        self.t = t
        self.logw = np.log(w) + t * t  # nodes are z* + sqrt(2) sigma t
        self.logc = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
        self._zprev = None

    def _modes(self, eta0, tau):
        """Conditional modes z* of h(z) = x eta - n log(1+e^eta) - z²/2, eta = eta0 + tau z."""
        x, n = self.x, self.n
        a, b = tau * (x - n), tau * x  # h'(z) = tau (x - n p) - z changes sign in [a, b]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        # warm start from the previous evaluation's modes (successive calls are close)
        z = np.clip(self._zprev if self._zprev is not None else np.zeros_like(x), lo, hi)
        for _ in range(200):
            p = special.expit(eta0 + tau * z)
            g = tau * (x - n * p) - z
            h = -(tau * tau) * n * p * (1 - p) - 1
            lo = np.where(g > 0, z, lo)
            hi = np.where(g < 0, z, hi)
            zn = z - g / h
            outside = (zn < lo) | (zn > hi)
            zn = np.where(outside, 0.5 * (lo + hi), zn)
            done = np.abs(zn - z) <= 1e-11 * (1 + np.abs(z))
            z = zn
            if done.all():
                break
        p = special.expit(eta0 + tau * z)
        sigma = 1.0 / np.sqrt(tau * tau * n * p * (1 - p) + 1)
        self._zprev = z if np.all(np.isfinite(z)) else None
        return z, sigma

    def evaluate(self, mu, tau, derivatives=True, hessian=True):
        """Log-likelihood and (optionally) score and observed information in (mu_1..G, tau)."""
        x, n, g, G = self.x, self.n, self.g, self.G
        eta0 = mu[g]
        zs, sigma = self._modes(eta0, tau)
        z = zs[:, None] + np.sqrt(2) * sigma[:, None] * self.t[None, :]
        eta = eta0[:, None] + tau * z
        logf = x[:, None] * eta - n[:, None] * np.logaddexp(0.0, eta) - 0.5 * z * z
        lw = self.logw[None, :] + logf
        m = lw.max(axis=1, keepdims=True)
        ew = np.exp(lw - m)
        s = ew.sum(axis=1, keepdims=True)
        ll_i = (m[:, 0] + np.log(s[:, 0]) + np.log(np.sqrt(2) * sigma)
                - 0.5 * np.log(2 * np.pi) + self.logc)
        ll = float(np.sum(ll_i))
        if not derivatives:
            return ll, None, None
        pi = ew / s
        p = special.expit(eta)
        s_mu = x[:, None] - n[:, None] * p
        s_tau = s_mu * z
        info = n[:, None] * p * (1 - p)
        # exact gradient of the quadrature approximation itself (nodes move with mu, tau):
        # implicit derivative of the mode, h'(z*) = 0, and of the scale sigma
        ps = special.expit(eta0 + tau * zs)
        a = n * ps * (1 - ps)
        s2 = sigma * sigma
        dz_mu = -s2 * tau * a
        dz_tau = s2 * ((x - n * ps) - tau * a * zs)
        dS_mu = tau * tau * a * (1 - 2 * ps) * (1 + tau * dz_mu)
        dS_tau = 2 * tau * a + tau * tau * a * (1 - 2 * ps) * (zs + tau * dz_tau)
        dsig_mu = -0.5 * sigma**3 * dS_mu
        dsig_tau = -0.5 * sigma**3 * dS_tau
        hprime = tau * s_mu - z
        r2t = np.sqrt(2) * self.t[None, :]
        d_mu = (dsig_mu / sigma
                + np.sum(pi * (s_mu + hprime * (dz_mu[:, None] + r2t * dsig_mu[:, None])), axis=1))
        d_tau = (dsig_tau / sigma
                 + np.sum(pi * (s_tau + hprime * (dz_tau[:, None] + r2t * dsig_tau[:, None])),
                          axis=1))
        grad = np.empty(G + 1)
        grad[:G] = np.bincount(g, d_mu, minlength=G)
        grad[G] = d_tau.sum()
        if not hessian:
            return ll, grad, None
        e_mu = np.sum(pi * s_mu, axis=1)
        e_tau = np.sum(pi * s_tau, axis=1)
        # Louis (1982): d² log∫f = E[d² log f] + Var[d log f] under the conditional density;
        # used as the (very close) curvature in the Newton steps
        h_mm = np.sum(pi * (s_mu * s_mu - info), axis=1) - e_mu * e_mu
        h_mt = np.sum(pi * (s_mu * s_tau - info * z), axis=1) - e_mu * e_tau
        h_tt = np.sum(pi * (s_tau * s_tau - info * z * z), axis=1) - e_tau * e_tau
        hess = np.zeros((G + 1, G + 1))
        hess[np.arange(G), np.arange(G)] = np.bincount(g, h_mm, minlength=G)
        hess[:G, G] = hess[G, :G] = np.bincount(g, h_mt, minlength=G)
        hess[G, G] = h_tt.sum()
        return ll, grad, hess


def _newton(model: _Model, mu0, tau0, fix_tau: bool = False):
    """Damped Newton-Raphson ascent on the quadrature log-likelihood.

    The gradient is exact for the quadrature approximation; the Hessian is its central
    difference (Louis' identities approximate the curvature of the exact integral, which on a
    flat ridge of the 7-point approximation stalls Newton). tau is unconstrained: the
    likelihood is even in tau.
    """
    G = model.G
    theta = np.append(np.asarray(mu0, dtype=float), tau0)
    idx = slice(0, G) if fix_tau else slice(0, G + 1)
    ll, grad, louis = model.evaluate(theta[:G], theta[G], hessian=fix_tau)
    for it in range(1, _MAX_ITER + 1):
        # far from the optimum (or for the 1-D profile steps) Louis' curvature is enough and
        # free; near the optimum of the full fit the exact (finite-difference) Hessian of the
        # quadrature likelihood gives Newton's quadratic convergence
        if (fix_tau and it <= 3) or (not fix_tau and np.max(np.abs(grad[idx])) > 1e-2):
            if louis is None:
                louis = model.evaluate(theta[:G], theta[G])[2]
            hess = louis
        else:
            hess = _fd_hessian(model, theta, only=G if fix_tau else None)
        gr = grad[idx]
        H = hess[idx, idx]
        # an ascent direction: shift the Hessian until negative definite (Levenberg)
        evals = np.linalg.eigvalsh(H)
        big = max(1.0, float(np.abs(evals).max()))
        shift = 0.0 if evals.max() < -1e-8 * big else evals.max() + 1e-4 * big
        step = np.linalg.solve(H - shift * np.eye(len(gr)), -gr)
        longest = float(np.max(np.abs(step)))
        if longest > _MAX_STEP:  # trust region: at most 2 logits per iteration
            step *= _MAX_STEP / longest
        scale = 1.0
        while True:
            cand = theta.copy()
            cand[idx] = theta[idx] + scale * step
            ll_new, g_new, louis_new = model.evaluate(cand[:G], cand[G], hessian=fix_tau)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * (1 + abs(ll)):
                break
            scale /= 2
            if scale < 1e-8:
                break
        if scale < 1e-8:
            # no ascent along a Newton direction: stationary to working precision
            if np.max(np.abs(gr)) < 1e-4 * (1 + np.sqrt(np.sum(model.n))):
                return theta, ll, grad, hess, it
            raise GLMMConvergenceError("GLMM Newton-Raphson stalled away from a maximum")
        theta, ll, grad, louis = cand, ll_new, g_new, louis_new
        gtol = (1e-6 if fix_tau else 1e-10) * (1 + np.sqrt(np.sum(model.n)))
        if np.max(np.abs(scale * step)) < 1e-10 * (1 + np.max(np.abs(theta))) or \
                np.max(np.abs(grad[idx])) < gtol:
            return theta, ll, grad, hess, it
        if abs(theta[G]) > _TAU_MAX or np.any(np.abs(theta[:G]) > 50):
            raise GLMMConvergenceError(
                "GLMM estimates diverge (between-study SD or intercept unbounded): the "
                "maximum-likelihood estimate does not exist for these data"
            )
    raise GLMMConvergenceError(f"GLMM Newton-Raphson did not converge in {_MAX_ITER} iterations")


def _quasi_newton(model: _Model, mu0, tau0, error):
    G = model.G

    def f(theta):
        ll, grad, _ = model.evaluate(theta[:G], theta[G], hessian=False)
        return -ll, -grad

    res = optimize.minimize(f, np.append(mu0, tau0), jac=True, method="L-BFGS-B",
                            bounds=[(-50, 50)] * G + [(0.0, _TAU_MAX)],
                            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9})
    ll, grad, _ = model.evaluate(res.x[:G], res.x[G], hessian=False)
    free = grad if res.x[G] > 0 else grad[:G]
    if not np.all(np.isfinite(res.x)) or np.max(np.abs(free)) > 1e-5 * (1 + np.sqrt(np.sum(model.n))) \
            or res.x[G] >= _TAU_MAX:
        raise GLMMConvergenceError(f"{error}; a quasi-Newton search did not converge either")
    return res.x, ll, res.nit


def _fd_hessian(model: _Model, theta, h: float = 1e-5, only: int | None = None):
    """Central differences of the exact gradient (columns ``0..only-1``; all by default)."""
    G = model.G
    m = G + 1 if only is None else only
    out = np.zeros((G + 1, G + 1))
    for j in range(m):
        e = np.zeros(G + 1)
        e[j] = h * max(1.0, abs(theta[j]))
        _, gp, _ = model.evaluate((theta + e)[:G], (theta + e)[G], hessian=False)
        _, gm, _ = model.evaluate((theta - e)[:G], (theta - e)[G], hessian=False)
        out[:, j] = (gp - gm) / (2 * e[j])
    if m == G + 1:
        return 0.5 * (out + out.T)
    out[:m, :m] = 0.5 * (out[:m, :m] + out[:m, :m].T)
    return out


def _start(x, n, g, G):
    xc, nc = x + 0.5, n + 1.0
    y = np.log(xc / (nc - xc))
    v = 1 / xc + 1 / (nc - xc)
    w = 1 / v
    mu = np.bincount(g, w * y, minlength=G) / np.bincount(g, w, minlength=G)
    r2 = float(np.sum(w * (y - mu[g]) ** 2))
    df = len(x) - G
    trp = float(np.sum(w) - np.sum(np.bincount(g, w * w, minlength=G) / np.bincount(g, w, minlength=G)))
    tau2 = max(0.0, (r2 - df) / trp) if df > 0 else 0.0
    return mu, max(np.sqrt(tau2), 0.3)


def fit_glmm(events, totals, groups=None, *, nagq: int = NAGQ, level: float = 0.95,
             profile_ci: bool = True) -> GLMMFit:
    """Fit the binomial-normal random-intercept model by maximum likelihood.

    Parameters
    ----------
    events, totals : array_like of int
        Events and sample sizes (validated by the caller).
    groups : array_like, optional
        Subgroup labels: one intercept per subgroup with a common tau².
    nagq : int
        Adaptive Gauss-Hermite points per study (7, metafor/lme4 default in ``rma.glmm``).
    level : float
        Level of the profile-likelihood CI for tau².
    profile_ci : bool
        Compute that CI (two root searches of the profile likelihood). The upper limit is
        ``inf`` when the profile deviance stays below the χ² cut-off up to tau² = 100.

    Returns
    -------
    GLMMFit

    Raises
    ------
    GLMMConvergenceError
        Fewer studies than parameters (e.g. k = 1); every study of a subgroup with 0 events or
        every study with all events (the MLE of the intercept is infinite); divergence or no
        convergence of the Newton iterations; a singular information matrix.

    Notes
    -----
    Study ``i`` contributes ``log ∫ Bin(x_i; n_i, expit(mu + tau z)) φ(z) dz``. The integral is
    approximated by adaptive Gauss-Hermite quadrature: with ``z*`` the mode of the integrand
    and ``σ = (tau² n p*(1-p*) + 1)^(-1/2)``, ``∫ e^{h(z)} dz ≈ √2 σ Σ_j w_j e^{t_j²}
    e^{h(z* + √2 σ t_j)}`` (Liu & Pierce 1994). The score and observed information use Louis'
    (1982) identities under the same quadrature; their inverse gives ``cov`` (lme4 computes
    ``vcov`` from the Hessian of the deviance in (theta, beta) too). tau is unconstrained in
    the iterations; the likelihood is even in tau, so ``tau2 = tau²`` and a boundary estimate
    tau² = 0 is a stationary point; there the SE of ``mu`` is ``1/sqrt(I_mu,mu)``.
    See Stijnen, Hamza & Ozdemir (2010, Stat Med 29:3046) for the model.
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    if groups is None:
        g, G, names = np.zeros(len(x), dtype=np.intp), 1, None
    else:
        names, g = np.unique(np.asarray(groups), return_inverse=True)
        g, G = g.astype(np.intp), len(names)
    k = len(x)
    if k < G + 1:
        raise GLMMConvergenceError(
            f"the GLMM needs more studies than parameters: k = {k}, parameters = {G + 1} "
            "(metafor: 'Number of parameters to be estimated is larger than the number of "
            "observations')"
        )
    if np.all(n == 1):
        raise GLMMConvergenceError(
            "every study has a single participant: the random-effect variance is not "
            "identifiable from binary outcomes of one participant per study"
        )
    for j in range(G):
        sel = g == j
        where = "" if names is None else f" in subgroup {names[j]!r}"
        if np.all(x[sel] == 0):
            raise GLMMConvergenceError(
                f"no study{where} has any event: the GLMM intercept has no finite "
                "maximum-likelihood estimate"
            )
        if np.all(x[sel] == n[sel]):
            raise GLMMConvergenceError(
                f"every study{where} has all events: the GLMM intercept has no finite "
                "maximum-likelihood estimate"
            )
    model = _Model(x, n, g, G, nagq)
    mu0, tau0 = _start(x, n, g, G)
    with np.errstate(over="ignore", under="ignore"):
        try:
            theta, ll, grad, hess, it = _newton(model, mu0, tau0)
        except GLMMConvergenceError as error:
            if "diverge" in str(error):
                raise
            # Newton can cycle on a nearly flat ridge: a quasi-Newton search with the same
            # exact gradient, accepted only if it reaches a stationary point
            theta, ll, it = _quasi_newton(model, mu0, tau0, error)
    mu, tau = theta[:G], abs(theta[G])
    if not (np.all(np.isfinite(theta)) and np.isfinite(ll)):
        raise GLMMConvergenceError("GLMM fit produced non-finite estimates")
    # the likelihood can have an interior local maximum below its value at tau = 0
    # (cf. metafor's ll0check for REML): compare with the boundary fit
    with np.errstate(over="ignore", under="ignore"):
        theta0, ll0, *_ = _newton(model, mu, 0.0, fix_tau=True)
    if ll0 > ll + 1e-9 * (1 + abs(ll)):
        mu, tau, ll = theta0[:G], 0.0, ll0
    if tau < 1e-5:
        # boundary: re-evaluate at exactly tau = 0, where the mu-tau information is zero
        tau = 0.0
        theta, ll, grad, hess, _ = _newton(model, mu, 0.0, fix_tau=True)
        mu = theta[:G]
    # observed information: central differences of the exact gradient of the quadrature
    # log-likelihood (lme4's vcov uses a finite-difference Hessian of the same deviance)
    hess = _fd_hessian(model, np.append(mu, tau))
    info = -hess[:G, :G] if tau == 0.0 else -hess
    try:
        evals = np.linalg.eigvalsh(info)
        if evals.min() <= 0:
            raise np.linalg.LinAlgError
        cov_full = np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise GLMMConvergenceError(
            "GLMM information matrix is not positive definite at the optimum"
        ) from exc
    cov = cov_full[:G, :G]
    lo = hi = np.nan
    if profile_ci:
        se_tau = float(np.sqrt(cov_full[G, G])) if tau > 0 else np.nan
        lo, hi = _profile_ci(model, mu, tau, ll, level, se_tau)
    return GLMMFit(mu=mu, cov=cov, tau2=float(tau * tau), tau2_ci_low=lo, tau2_ci_high=hi,
                   loglik=float(ll), iterations=it)


def _profile_ci(model: _Model, mu_hat, tau_hat, ll_hat, level, se_tau=np.nan):
    """Profile-likelihood CI for tau²: 2 (l_max - l_p(tau)) = χ²_1(level).

    Brackets start from the Wald guess ``tau ± 2.5 SE(tau)`` (when available), so each root
    takes a few profile fits even for very large k.
    """
    crit = stats.chi2.ppf(level, 1)
    state = {"mu": mu_hat.copy()}

    def dev(tau):
        with np.errstate(over="ignore", under="ignore"):
            theta, ll, *_ = _newton(model, state["mu"], tau, fix_tau=True)
        state["mu"] = theta[: model.G]
        return 2 * (ll_hat - ll) - crit

    def root(a, b):
        state["mu"] = mu_hat.copy()
        return optimize.brentq(dev, a, b, xtol=1e-6 * (1 + tau_hat), rtol=1e-5)

    guess = 2.5 * se_tau if np.isfinite(se_tau) and se_tau > 0 else max(tau_hat, 0.25)
    lo = 0.0
    try:
        if tau_hat > 0:
            a = max(0.0, tau_hat - guess)
            if a > 0 and dev(a) <= 0:
                a = 0.0
            if a > 0 or dev(0.0) > 0:
                lo = root(a, tau_hat)
        state["mu"] = mu_hat.copy()
        step = guess
        b = tau_hat + step
        while dev(b) < 0:
            b, step = b + step, 2 * step
            if b > _PROFILE_TAU_MAX:  # the deviance stays below the cut-off: unbounded
                return lo * lo, np.inf
        hi = root(max(tau_hat, b - step / 2 if step > guess else tau_hat), b)
    except GLMMConvergenceError:
        return lo * lo, np.inf
    return lo * lo, hi * hi
