"""Result objects of the pooling engine (frozen dataclasses, full precision, no rounding)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import pandas as pd


def _scalars(obj, skip=()) -> dict:
    """The scalar fields of a result dataclass as a plain dict (full precision)."""
    out = {}
    for f in fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if isinstance(value, Method):
            value = value.label
        out[f.name] = value
    return out


@dataclass(frozen=True)
class Method:
    """A complete specification of how proportions are pooled.

    Parameters
    ----------
    model : {"iv", "glmm", "bayes"}
        Inverse-variance random effects on a transformed scale, the binomial-normal
        random-intercept logistic model (maximum likelihood), or the same model with priors
        (:mod:`analysis.engine.bayes`: posterior median, equal-tailed credible and
        posterior predictive intervals, by quadrature).
    transform : {"logit", "freeman-tukey", "arcsine", "raw"}
        Scale of the inverse-variance model (``"logit"`` for the GLMM).
    tau2 : {"DL", "REML", "PM", "ML", "HE", "SJ"}
        Between-study variance estimator (``"ML"`` for the GLMM).
    ci : {"wald", "hk", "hk-adhoc"}
        Pooled CI: Wald z, Hartung-Knapp t(k-1), or Hartung-Knapp never narrower than Wald.
    pi : {"t", "z"}
        Distribution of the prediction interval: t(k-1) (R meta) or z (metafor ``predict``).
    cc : {"only0", "if0all", "all", "none"}
        Continuity correction (0.5) for the scales that need it.
    label : str
        Short human-readable name, used in tables and figure legends.
    level : float
        Confidence level of the pooled CI, PI, tau² CI and study CIs (0.95).
    study_ci : {"clopper-pearson", "wilson"}
        Interval shown for each study (forest plot, study table) and used for k = 1.
    single_study : {"exact", "model"}
        k = 1: ``"exact"`` reports the study's own proportion with the ``study_ci`` interval
        (the book); ``"model"`` pools the single study on the model scale as metafor does
        (transformed-scale Wald CI; a GLMM refuses with :class:`GLMMConvergenceError`).
    degenerate : {"model", "counts", "refuse"}
        A pool where no study has an event, or every study has only events (any k):
        ``"model"`` fits the model as metafor does (continuity correction on the logit
        scale; a GLMM has no finite estimate and raises); ``"counts"`` fits no model and
        reports the pooled counts x/N with the exact interval of ``study_ci``;
        ``"refuse"`` raises :class:`~analysis.engine.pooling.NotEstimableError`.
    pi_min_k : int
        Fewest studies for a prediction interval; below it ``pi_low``/``pi_high`` are NaN.
    fallback : Method or None
        For a GLMM: the method reported instead when the GLMM cannot be fitted, with
        ``fallback=True`` and the reason in ``message``; ``None`` raises
        :class:`~analysis.engine.glmm.GLMMConvergenceError` instead.
    nagq : int
        Adaptive Gauss-Hermite points per study for the GLMM (metafor default 7).
    mu_prior_sd, tau_prior_scale : float
        For ``model="bayes"``: SD of the normal prior of the mean logit (mean 0) and scale of
        the half-normal prior of tau (logit scale).
    few_studies : Method or None
        The method used instead for pools of 2 to ``few_studies_max_k`` studies (after the
        rules for pools without variation and single studies); the result names it in
        ``method`` and this one in ``requested``.
    few_studies_max_k : int
        Most studies of a pool that ``few_studies`` takes.

    Notes
    -----
    For the GLMM, ``ci="hk"`` or ``"hk-adhoc"`` means a t(k-1) quantile with the model-based
    standard error (R meta's Hartung-Knapp option for GLMMs, ``rma.glmm(test="t")``), and
    ``transform``, ``tau2`` and ``cc`` are fixed at logit, ML and none.
    """

    model: str = "iv"
    transform: str = "logit"
    tau2: str = "REML"
    ci: str = "hk"
    pi: str = "t"
    cc: str = "only0"
    label: str = ""
    level: float = 0.95
    study_ci: str = "clopper-pearson"
    single_study: str = "exact"
    degenerate: str = "model"
    pi_min_k: int = 1
    fallback: Method | None = None
    nagq: int = 7
    mu_prior_sd: float = 2.0
    tau_prior_scale: float = 1.0
    few_studies: Method | None = None
    few_studies_max_k: int = 4


@dataclass(frozen=True)
class PooledProportion:
    """A random-effects pooled proportion with heterogeneity statistics.

    ``kind`` says what the numbers are: ``"random_effects"`` (a model was fitted),
    ``"single_study"`` (one study: its own proportion and exact interval) or ``"counts"``
    (no events, or only events, in every study: the pooled counts x/N with the exact
    interval of x/N, no model). All proportions are on the 0-1 scale; ``mu`` and ``se`` are
    on the model scale (logit, Freeman-Tukey, arcsine or raw). ``studies`` has one row per
    study with columns ``label, events, total, proportion, ci_low, ci_high, weight, yi, vi``
    (weight in percent of the inverse-variance random-effects weights; for a GLMM these come
    from the inverse-variance logit REML companion, ``yi``/``vi`` are the study's value and sampling
    variance on the model scale, continuity-corrected where the method says so).

    Attributes
    ----------
    estimate, ci_low, ci_high, pi_low, pi_high : float
        Back-transformed pooled proportion (a median proportion on the logit scale), CI and
        prediction interval. For k = 1 with ``single_study="exact"`` the PI equals the CI.
    mu, se : float
        Pooled value and its standard error on the model scale (Hartung-Knapp-scaled where
        the method uses it).
    tau2, tau2_ci_low, tau2_ci_high : float
        Between-study variance and its CI (Q-profile; profile likelihood for the GLMM).
    i2, i2_ci_low, i2_ci_high, h2 : float
        tau²-based I² in percent (with CI) and H².
    q, q_df, q_pvalue : float, int, float
        Cochran's Q (for a GLMM: of the inverse-variance logit companion).
    k, n_total, events_total : int
        Studies, participants, events.
    method : Method
        The method that produced these numbers (the fallback's, if ``fallback``).
    message : str
        Notes a reader must see: single study, GLMM fallback and its reason.
    fallback : bool
        True when the requested GLMM could not be fitted and ``method`` is its fallback.
    requested : Method or None
        The method asked for, when it differs from ``method`` (fallback, or a pool of few
        studies given to ``Method.few_studies``).
    ci_df : float
        Degrees of freedom of the t quantile used for the CI (``inf`` for z).
    pi_df : float
        Degrees of freedom of the t quantile used for the PI (``inf`` for z).
    posterior : BayesPosterior or None
        For ``model="bayes"``: the full posterior summary (priors, nodes, node-doubling
        check, ``prior_driven``). There ``estimate``, ``ci_*`` and ``pi_*`` are the
        posterior median, the equal-tailed credible interval and the posterior predictive
        interval; ``mu``/``se`` the posterior median and SD of the mean logit; ``tau2`` and
        its interval the squared posterior median and limits of tau.

    Notes
    -----
    Where heterogeneity cannot be estimated (a single study reported as itself, pooled
    counts) tau², I², Q and their CIs are NaN and ``message`` says so; a method with
    ``single_study="model"`` follows metafor instead (0, H² = 1).
    """

    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    mu: float
    se: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    k: int
    n_total: int
    events_total: int
    method: Method
    studies: pd.DataFrame = field(repr=False, compare=False)
    message: str = ""
    fallback: bool = False
    requested: Method | None = None
    ci_df: float = float("inf")
    pi_df: float = float("inf")
    kind: str = "random_effects"
    posterior: object = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """Every number and label of the result (no study table), full precision.

        ``method`` and ``requested`` are given by their labels; the study table is
        :attr:`studies`, the posterior (Bayesian methods) :attr:`posterior`.
        """
        out = _scalars(self, skip=("studies", "posterior"))
        out["requested"] = self.requested.label if self.requested is not None else ""
        return out

    def to_frame(self) -> pd.DataFrame:
        """:meth:`to_dict` as a one-row DataFrame."""
        return pd.DataFrame([self.to_dict()])


@dataclass(frozen=True)
class SubgroupResult:
    """Pooled proportions per subgroup and the test for subgroup differences.

    Attributes
    ----------
    results : dict
        Subgroup label -> :class:`PooledProportion` (in order of first appearance).
    q_between : float
        Q-between of the random-effects subgroup estimates (R meta's ``Q.b.random``).
    df : int
        Subgroups minus 1.
    p_value : float
        χ²(df) p-value of ``q_between``.
    common_tau2 : bool
        Whether one tau² was estimated across subgroups.
    tau2 : float
        The common tau² (NaN when each subgroup has its own).
    method : Method
        Method requested for every subgroup.
    message : str
        Notes (e.g. subgroups that fell back, or a test that could not be done).
    """

    results: dict
    q_between: float
    df: int
    p_value: float
    common_tau2: bool
    tau2: float
    method: Method
    message: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per subgroup (:meth:`PooledProportion.to_dict`) with a ``subgroup`` column."""
        return pd.DataFrame([{"subgroup": name, **r.to_dict()} for name, r in self.results.items()])

    def to_dict(self) -> dict:
        """The test for subgroup differences (no per-subgroup results)."""
        return _scalars(self, skip=("results",))


@dataclass(frozen=True)
class SmallStudyTest:
    """A regression test for small-study effects (funnel-plot asymmetry).

    Attributes
    ----------
    test : {"egger", "peters"}
        Which regression.
    k : int
        Number of studies.
    done : bool
        False when the test was not done (k below ``k_min``); the numbers are then NaN.
    estimate, se, statistic, df, p_value : float
        Bias coefficient, its SE, the t statistic, its degrees of freedom (k - 2), p-value.
    message : str
        Why the test was not done, or what was tested.
    """

    test: str
    k: int
    done: bool
    estimate: float
    se: float
    statistic: float
    df: float
    p_value: float
    message: str = ""

    def to_dict(self) -> dict:
        """Every field as a plain dict."""
        return _scalars(self)

    @property
    def significant(self) -> bool:
        """Done and p < 0.05 (numbers compared as numbers, never as rounded text)."""
        return self.done and not math.isnan(self.p_value) and self.p_value < 0.05
