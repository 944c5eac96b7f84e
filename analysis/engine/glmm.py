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
from scipy import optimize, special

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

    Raised instead of returning a silent fallback. ``pool_proportions`` catches it only
    when the :class:`~analysis.engine.results.Method` names a ``fallback`` and then says so
    in ``message`` and sets ``fallback=True`` on the result.
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


_SQRT2 = np.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
_NODES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _nodes(nagq: int):
    """Gauss-Hermite nodes and log-weights (times e^{t²}), computed once per ``nagq``."""
    if nagq not in _NODES:
        t, w = np.polynomial.hermite.hermgauss(nagq)
        t.setflags(write=False)
        logw = np.log(w) + t * t  # nodes are z* + sqrt(2) sigma t
        logw.setflags(write=False)
        _NODES[nagq] = (t, logw)
    return _NODES[nagq]


class BinomialNormalModel:
    """The quadrature log-likelihood of the binomial-normal model and its derivatives.

    Engine-internal (used by :func:`fit_glmm` and by :mod:`analysis.engine.crosscheck` to
    compare log-likelihoods): ``evaluate(mu, tau)`` returns the log-likelihood and, on
    request, the exact gradient and the Louis curvature.
    """

    def __init__(self, x, n, g, G, nagq):
        self.x, self.n, self.g, self.G = x, n, g, G
        self.t, self.logw = _nodes(nagq)
        self.r2t = _SQRT2 * self.t
        self.xc, self.nc = x[:, None], n[:, None]
        self.logc = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
        self._const = self.logc - _LOG_SQRT_2PI + np.log(_SQRT2)
        self._zprev = None  # (eta0, tau, z*, dz*/deta0, dz*/dtau) of the previous evaluation

    def _eta0(self, mu):
        return mu[self.g] if self.G > 1 else np.full(len(self.x), float(mu[0]))

    def _modes(self, eta0, tau):
        """Conditional modes z* of h(z) = x eta - n log(1+e^eta) - z²/2, eta = eta0 + tau z.

        Returns z*, the AGQ scale sigma = (-h''(z*))^(-1/2), p* = expit(eta0 + tau z*),
        a* = n p* (1 - p*) and sigma². Safeguarded Newton (bisection inside a sign-change
        bracket), warm-started from the previous call's modes moved along their derivatives.
        """
        x, n = self.x, self.n
        tx, tn, t2n = tau * x, tau * n, tau * tau * n
        a, b = tx - tn, tx  # h'(z) = tau (x - n p) - z changes sign in [a, b]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        prev = self._zprev
        if prev is None:
            z = np.zeros_like(x)
        else:
            # warm start: the previous modes moved to first order (successive calls are close)
            e0, t0, z0, dz_e, dz_t = prev
            d_eta = eta0 - e0
            if abs(tau - t0) <= 0.25 and np.abs(d_eta).max() <= 0.5:
                z = z0 + dz_e * d_eta + dz_t * (tau - t0)
            else:  # a long jump: the linear prediction is not to be trusted
                z = z0
        z = np.minimum(np.maximum(z, lo), hi)
        for _ in range(200):
            p = special.expit(eta0 + tau * z)
            g = tx - tn * p - z
            curv = t2n * p * (1 - p) + 1  # -h''(z) >= 1: h is strictly concave
            lo = np.where(g > 0, z, lo)
            hi = np.where(g < 0, z, hi)
            step = g / curv
            zn = z + step
            tol = 1e-11 * (1 + np.abs(z))
            # a Newton step beyond the bracket, or a long one onto an end of it (which can
            # cycle between the ends), is replaced by bisection
            outside = (zn < lo) | (zn > hi) | (((zn == lo) | (zn == hi)) & (np.abs(step) > tol))
            if outside.any():
                zn = np.where(outside, 0.5 * (lo + hi), zn)
                step = zn - z
            z = zn
            if (np.abs(step) <= tol).all():
                break
        p = special.expit(eta0 + tau * z)
        av = n * p * (1 - p)
        s2 = 1.0 / (tau * tau * av + 1)
        sigma = np.sqrt(s2)
        if np.isfinite(z).all():
            # implicit derivatives of the mode (h'(z*) = 0), used for the next warm start
            self._zprev = (eta0, tau, z, -s2 * tau * av, s2 * ((x - n * p) - tau * av * z))
        else:
            self._zprev = None
        return z, sigma, p, av, s2

    def evaluate(self, mu, tau, derivatives=True, hessian=True):
        """Log-likelihood and (optionally) score and observed information in (mu_1..G, tau)."""
        x, n, g, G = self.x, self.n, self.g, self.G
        xc, nc = self.xc, self.nc
        eta0 = self._eta0(mu)
        zs, sigma, ps, a, s2 = self._modes(eta0, tau)
        ss = _SQRT2 * sigma
        z = zs[:, None] + ss[:, None] * self.t
        eta = eta0[:, None] + tau * z
        lw = xc * eta - nc * np.logaddexp(0.0, eta) - 0.5 * z * z + self.logw
        m = lw.max(axis=1)
        ew = np.exp(lw - m[:, None])
        s = ew.sum(axis=1)
        ll = float(np.sum(m + np.log(s * sigma) + self._const))
        if not derivatives:
            return ll, None, None
        pi = ew / s[:, None]
        p = special.expit(eta)
        s_mu = xc - nc * p
        # exact gradient of the quadrature approximation itself (nodes move with mu, tau):
        # implicit derivative of the mode, h'(z*) = 0, and of the scale sigma
        dz_mu = -s2 * tau * a
        dz_tau = s2 * ((x - n * ps) - tau * a * zs)
        c = tau * tau * a * (1 - 2 * ps)
        dS_mu = c * (1 + tau * dz_mu)
        dS_tau = 2 * tau * a + c * (zs + tau * dz_tau)
        half_s2 = -0.5 * s2  # dsigma/sigma = -sigma²/2 dS
        dls_mu = half_s2 * dS_mu
        dls_tau = half_s2 * dS_tau
        pis = pi * s_mu
        pih = pi * (tau * s_mu - z)  # pi h'(z)
        e_mu = pis.sum(axis=1)
        e_tau = np.einsum("ij,ij->i", pis, z)
        eh = pih.sum(axis=1)
        eht = pih @ self.r2t
        # d/dtheta of log sigma + log sum_j w_j e^{h(z_j)}, z_j = z* + sqrt(2) sigma t_j
        d_mu = dls_mu + e_mu + eh * dz_mu + eht * (sigma * dls_mu)
        d_tau = dls_tau + e_tau + eh * dz_tau + eht * (sigma * dls_tau)
        grad = np.empty(G + 1)
        if G == 1:
            grad[0] = d_mu.sum()
        else:
            grad[:G] = np.bincount(g, d_mu, minlength=G)
        grad[G] = d_tau.sum()
        if not hessian:
            return ll, grad, None
        info = nc * p * (1 - p)
        s_tau = s_mu * z
        # Louis (1982): d² log∫f = E[d² log f] + Var[d log f] under the conditional density;
        # used as the (very close) curvature in the Newton steps
        h_mm = np.einsum("ij,ij->i", pis, s_mu) - (pi * info).sum(axis=1) - e_mu * e_mu
        piz = pi * z
        h_mt = np.einsum("ij,ij->i", pis, s_tau) - np.einsum("ij,ij->i", piz, info) - e_mu * e_tau
        h_tt = (
            np.einsum("ij,ij->i", pi * s_tau, s_tau)
            - np.einsum("ij,ij->i", piz * z, info)
            - e_tau * e_tau
        )
        hess = np.zeros((G + 1, G + 1))
        if G == 1:
            hess[0, 0] = h_mm.sum()
            hess[0, 1] = hess[1, 0] = h_mt.sum()
        else:
            hess[np.arange(G), np.arange(G)] = np.bincount(g, h_mm, minlength=G)
            hess[:G, G] = hess[G, :G] = np.bincount(g, h_mt, minlength=G)
        hess[G, G] = h_tt.sum()
        return ll, grad, hess


def _backtrack(evaluate, x, step, ll):
    """Take a damped ascent step.

    Cap ``step`` at :data:`_MAX_STEP` (trust region), then halve it until the
    log-likelihood does not fall. Returns ``(x_new, step_taken, evaluate(x_new))``, or
    ``(None, None, None)`` when no step down to 1e-8 of the full one ascends (stationary
    to working precision).
    """
    longest = float(np.max(np.abs(step)))
    if longest > _MAX_STEP:  # at most 2 logits per iteration
        step = step * (_MAX_STEP / longest)
    scale = 1.0
    while scale >= 1e-8:
        cand = x + scale * step
        found = evaluate(cand)
        if np.isfinite(found[0]) and found[0] >= ll - 1e-12 * (1 + abs(ll)):
            return cand, scale * step, found
        scale /= 2
    return None, None, None


def _newton(model: BinomialNormalModel, mu0, tau0, fix_tau: bool = False):
    """Damped Newton-Raphson ascent on the quadrature log-likelihood.

    The gradient is exact for the quadrature approximation; the Hessian is its central
    difference (Louis' identities approximate the curvature of the exact integral, which on a
    flat ridge of the 7-point approximation stalls Newton). tau is unconstrained: the
    likelihood is even in tau.
    """
    G = model.G
    theta = np.append(np.asarray(mu0, dtype=float), tau0)
    idx = slice(0, G) if fix_tau else slice(0, G + 1)
    ll, grad, louis = model.evaluate(theta[:G], theta[G])
    fd, gnorm_fd = None, np.inf
    for it in range(1, _MAX_ITER + 1):
        # far from the optimum (or for the 1-D profile steps) Louis' curvature is enough and
        # free; near the optimum of the full fit the exact (finite-difference) Hessian of the
        # quadrature likelihood gives Newton's quadratic convergence
        gnorm = float(np.max(np.abs(grad[idx])))
        if (fix_tau and it <= 3) or (not fix_tau and gnorm > 1e-2):
            if louis is None:
                louis = model.evaluate(theta[:G], theta[G])[2]
            hess = louis
        elif fix_tau:
            hess = _fd_hessian(model, theta, only=G)
        else:
            # the finite-difference Hessian is kept while Newton converges fast with it
            # (the gradient falls at least tenfold per step), recomputed otherwise
            if fd is None or gnorm > 0.1 * gnorm_fd:
                fd = _fd_hessian(model, theta)
            gnorm_fd = gnorm
            hess = fd
        gr = grad[idx]
        H = hess[idx, idx]
        # an ascent direction: shift the Hessian until negative definite (Levenberg)
        evals = np.linalg.eigvalsh(H)
        big = max(1.0, float(np.abs(evals).max()))
        shift = 0.0 if evals.max() < -1e-8 * big else evals.max() + 1e-4 * big
        step = np.linalg.solve(H - shift * np.eye(len(gr)), -gr)

        def evaluate(sub, theta=theta, want_hessian=fix_tau or gnorm > 1e-3):
            full = theta.copy()
            full[idx] = sub
            return model.evaluate(full[:G], full[G], hessian=want_hessian)

        sub, taken, found = _backtrack(evaluate, theta[idx], step, ll)
        if sub is None:
            # no ascent along a Newton direction: stationary to working precision
            if np.max(np.abs(gr)) < 1e-4 * (1 + np.sqrt(np.sum(model.n))):
                return theta, ll, grad, hess, it
            raise GLMMConvergenceError("GLMM Newton-Raphson stalled away from a maximum")
        theta = theta.copy()
        theta[idx] = sub
        ll, grad, louis = found
        gtol = (1e-6 if fix_tau else 1e-10) * (1 + np.sqrt(np.sum(model.n)))
        if (
            np.max(np.abs(taken)) < 1e-10 * (1 + np.max(np.abs(theta)))
            or np.max(np.abs(grad[idx])) < gtol
        ):
            return theta, ll, grad, hess, it
        if abs(theta[G]) > _TAU_MAX or np.any(np.abs(theta[:G]) > 50):
            raise GLMMConvergenceError(
                "GLMM estimates diverge (between-study SD or intercept unbounded): the "
                "maximum-likelihood estimate does not exist for these data"
            )
    raise GLMMConvergenceError(f"GLMM Newton-Raphson did not converge in {_MAX_ITER} iterations")


def _quasi_newton(model: BinomialNormalModel, mu0, tau0, error):
    G = model.G

    def f(theta):
        ll, grad, _ = model.evaluate(theta[:G], theta[G], hessian=False)
        return -ll, -grad

    res = optimize.minimize(
        f,
        np.append(mu0, tau0),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-50, 50)] * G + [(0.0, _TAU_MAX)],
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
    )
    ll, grad, _ = model.evaluate(res.x[:G], res.x[G], hessian=False)
    free = grad if res.x[G] > 0 else grad[:G]
    if (
        not np.all(np.isfinite(res.x))
        or np.max(np.abs(free)) > 1e-5 * (1 + np.sqrt(np.sum(model.n)))
        or res.x[G] >= _TAU_MAX
    ):
        raise GLMMConvergenceError(f"{error}; a quasi-Newton search did not converge either")
    return res.x, ll, res.nit


def _fd_hessian(model: BinomialNormalModel, theta, h: float = 1e-5, only: int | None = None):
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
    trp = float(
        np.sum(w) - np.sum(np.bincount(g, w * w, minlength=G) / np.bincount(g, w, minlength=G))
    )
    tau2 = max(0.0, (r2 - df) / trp) if df > 0 else 0.0
    return mu, max(np.sqrt(tau2), 0.3)


def fit_glmm(
    events, totals, groups=None, *, nagq: int = NAGQ, level: float = 0.95, profile_ci: bool = True
) -> GLMMFit:
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
    model = BinomialNormalModel(x, n, g, G, nagq)
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
        if tau > 0:
            se_tau = float(np.sqrt(cov_full[G, G]))
        else:
            # l_p(tau) = l(0) + H_tt tau²/2 + O(tau⁴) (even in tau, H_mt = 0 at tau = 0):
            # 1/sqrt(-H_tt) plays the part of SE(tau) for the start of the upper search
            se_tau = float(1 / np.sqrt(-hess[G, G])) if hess[G, G] < 0 else np.nan
        # path of the intercepts along the profile at the MLE: -H_mm^-1 H_mt
        dmu = -np.linalg.solve(hess[:G, :G], hess[:G, G]) if tau > 0 else None
        lo, hi = _profile_ci(
            model, mu, tau, ll, level, se_tau, dmu_dtau=dmu, ll_zero=ll0 if tau > 0 else None
        )
    return GLMMFit(
        mu=mu,
        cov=cov,
        tau2=float(tau * tau),
        tau2_ci_low=lo,
        tau2_ci_high=hi,
        loglik=float(ll),
        iterations=it,
    )


def _profile_ci(
    model: BinomialNormalModel,
    mu_hat,
    tau_hat,
    ll_hat,
    level,
    se_tau=np.nan,
    *,
    dmu_dtau=None,
    ll_zero=None,
):
    """Profile-likelihood CI for tau²: 2 (l_max - l_p(tau)) = χ²_1(level).

    Each limit is a root of the signed root deviance ``r(tau) = sign(tau - tau_hat)
    sqrt(2 (l_max - l_p(tau)))`` at ``∓sqrt(χ²)``: ``r`` is close to linear in tau, and its
    derivative is free (``dl_p/dtau`` is the tau score at the profile optimum, by the
    envelope theorem), so a bracketed Newton search (in tau for the lower limit, in log tau
    for the upper one, where the profile flattens) started at the Wald limit
    ``tau ± z SE(tau)`` needs a few profile fits per limit. Each profile fit maximises over
    the intercepts (whose information block is diagonal) from a first-order prediction along
    the profile path. ``ll_zero`` is the profile log-likelihood at tau = 0 when the caller
    has it (the boundary fit).
    """
    crit = float(2 * special.gammaincinv(0.5, level))  # scipy.stats.chi2.ppf(level, 1)
    c = np.sqrt(crit)
    G = model.G
    gtol = 1e-6 * (1 + np.sqrt(np.sum(model.n)))
    start_dmu = np.zeros(G) if dmu_dtau is None else np.asarray(dmu_dtau, dtype=float)
    state = {}

    def reset():
        state.update(tau=tau_hat, mu=mu_hat.copy(), dmu=start_dmu, h=np.zeros(G))

    def profile(tau):
        """Profile log-likelihood at tau and its derivative; path state for the next call.

        Newton in the intercepts (separable: one curvature per group), with Louis' curvature
        for the first step and then the secant of the exact gradient (superlinear even where
        Louis' curvature of the integral differs from that of its 7-point approximation).
        """
        mu = state["mu"] + state["dmu"] * (tau - state["tau"])
        ll, grad, hess = model.evaluate(mu, tau)
        louis = np.diag(hess)[:G].copy()
        # Louis' curvature; where it is not negative (large tau: the 7-point rule
        # approximates the integral's curvature poorly) the last secant curvature of the
        # path, else a forward difference of the exact gradient
        h = np.where(louis < 0, louis, state["h"])
        if not np.all(h < 0) and np.isfinite(ll):
            e = 1e-4 * np.maximum(1.0, np.abs(mu))
            gp = model.evaluate(mu + e, tau, hessian=False)[1][:G]
            h = np.where(h < 0, h, (gp - grad[:G]) / e)
        for _ in range(30):
            gm = grad[:G]
            if not np.isfinite(ll) or not np.all(h < 0):
                break
            if np.max(np.abs(gm)) < gtol:
                break
            cand, _, found = _backtrack(
                lambda m: model.evaluate(m, tau, hessian=False), mu, -gm / h, ll
            )
            if cand is None:
                break
            ll_new, g_new, _ = found
            d = cand - mu
            with np.errstate(divide="ignore", invalid="ignore"):
                sec = (g_new[:G] - gm) / d
            h = np.where((d != 0) & (sec < 0), sec, h)
            mu, ll, grad = cand, ll_new, g_new
        else:
            h = np.zeros(G)  # no convergence: hand over below
        if not (np.isfinite(ll) and np.max(np.abs(grad[:G])) < gtol):
            # no usable curvature or no convergence: the general damped Newton
            with np.errstate(over="ignore", under="ignore"):
                theta, ll, grad, *_ = _newton(model, mu, tau, fix_tau=True)
            mu = theta[:G]
        if np.any(np.abs(mu) > 50):
            raise GLMMConvergenceError("profile likelihood: intercept diverges")
        # first-order path of the intercepts, -H_mm^-1 H_mt (Louis), for the next warm start
        dmu = -hess[:G, G] / louis if np.all(louis < 0) else np.zeros(G)
        state.update(tau=tau, mu=mu, dmu=dmu, h=h if np.all(h < 0) else state["h"])
        return ll, grad[G]

    def signed_root(tau):
        ll, dll = profile(tau)
        d = max(2.0 * (ll_hat - ll), 0.0)
        s = 1.0 if tau >= tau_hat else -1.0
        r = s * np.sqrt(d)
        # r' = -s l_p'(tau) / sqrt(D)
        dr = -s * dll / np.sqrt(d) if d > 0 else np.nan
        return r, dr

    def solve(target, a, b, tau, log_scale=False):
        """Root of r(tau) = target: Newton from tau, bisection when Newton leaves the bracket.

        ``[a, b]`` brackets the root (r(a) < target < r(b); b is None while not yet known).
        Stops when the step is below 1e-6 (1 + tau), or when the error left after a Newton
        step, ``|r''/(2 r')| step²`` with r'' from the last two derivatives, is below
        1e-10 (1 + tau) (quadratic convergence: one profile fit fewer).
        """
        prev = None
        for _ in range(100):
            r, dr = signed_root(tau)
            if r < target:
                a = tau
            else:
                b = tau
            if not (np.isfinite(dr) and dr > 0):
                new = np.nan
            elif log_scale:  # Newton in log(tau): r is closer to linear there
                new = tau * np.exp(min(-(r - target) / (dr * tau), 2.0))
            else:
                new = tau - (r - target) / dr
            newton = np.isfinite(new) and (b is None or a < new < b) and new > 0
            # the Newton variable v (tau or log tau) and dr/dv
            v, dv = (np.log(tau), dr * tau) if log_scale else (tau, dr)
            if newton and prev is not None and prev[0] != v and np.isfinite(prev[1]):
                k2 = abs((dv - prev[1]) / (v - prev[0])) / (2 * dv)
                step = np.log(new / tau) if log_scale else new - tau
                err = 10 * k2 * step * step * (new if log_scale else 1.0)
                if err <= 1e-10 * (1 + abs(tau)) and (b is not None or new < _PROFILE_TAU_MAX):
                    return new
            prev = (v, dv)
            if b is None:
                if not np.isfinite(new) or new <= tau:
                    new = tau + max(tau - tau_hat, 0.25)  # expand the bracket outwards
                if new >= _PROFILE_TAU_MAX:
                    new = _PROFILE_TAU_MAX
                    if tau == _PROFILE_TAU_MAX:  # the deviance stays below the cut-off
                        return np.inf
            elif not (np.isfinite(new) and a < new < b):
                new = 0.5 * (a + b)
            tol = 1e-6 * (1 + abs(tau))
            if abs(new - tau) <= tol or (b is not None and b - a <= tol):
                return new
            tau = new
        raise GLMMConvergenceError("profile likelihood: no convergence of the CI search")

    have_se = np.isfinite(se_tau) and se_tau > 0
    lo = 0.0
    try:
        if tau_hat > 0:
            if ll_zero is None:
                reset()
                ll_zero = profile(0.0)[0]
            d0 = 2.0 * (ll_hat - ll_zero)
            if d0 > crit:  # otherwise the lower limit is 0
                reset()
                start = tau_hat - c * se_tau if have_se else 0.5 * tau_hat
                if not 0 < start < tau_hat:
                    start = 0.5 * tau_hat
                lo = solve(-c, 0.0, tau_hat, start)
        reset()
        start = tau_hat + c * se_tau if have_se else tau_hat + max(tau_hat, 0.25)
        if not np.isfinite(start) or start <= tau_hat:
            start = tau_hat + max(tau_hat, 0.25)
        hi = solve(c, tau_hat, None, min(start, _PROFILE_TAU_MAX), log_scale=True)
    except GLMMConvergenceError:
        return lo * lo, np.inf
    return lo * lo, hi * hi
