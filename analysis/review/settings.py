"""Named pooling methods: the book changes its analysis here, in one place.

* ``primary``: pools of 2-4 studies by the Bayesian binomial-normal model (``bayes``
  below: posterior median, 95% credible interval, posterior predictive interval); pools of
  5 or more studies by the binomial-normal GLMM as described next (``glmm_ml``). Single
  studies and pools without variation are reported as below, whatever their size.
* ``glmm_ml``: the first sensitivity analysis everywhere: binomial-normal GLMM (ML,
  adaptive Gauss-Hermite with 7 points) on the logit scale with the Wald z CI (R meta 8:
  ``method.random.ci = "classic"``) and a t(k-1) prediction interval from three studies
  (R meta's ``method.predict = "V"``). A pool with no events, or only events, is reported
  as its pooled counts x/N with the exact Clopper-Pearson CI (no model, no continuity
  correction). A GLMM that cannot be fitted falls back visibly to ``logit_reml_hk``.
* ``bayes``: the Bayesian binomial-normal model, ``mu ~ N(0, 2²)``, ``tau ~ HN(1)`` on the
  logit scale (:mod:`analysis.engine.bayes`), for every modelled pool; ``bayes_hn05`` and
  ``bayes_hn2``: the same with ``tau ~ HN(0.5)`` and ``HN(2)`` (prior sensitivity).
* ``glmm_hk``: the same GLMM with a Hartung-Knapp-type t(k-1) CI (``rma.glmm(test = "t")``):
  sensitivity to the interval (with two studies, t(1) spans nearly 0-100%).
* ``logit_reml_hk``: inverse variance, logit, REML, Hartung-Knapp never narrower than Wald,
  t(k-1) PI: the primary's companion (forest-plot weights, influence) and its fallback; a
  0.5 continuity correction touches only studies with 0 or all events inside a pool that
  has events.
* ``logit_pm`` and ``logit_dl``: as ``logit_reml_hk`` with the Paule-Mandel (Veroniki 2016)
  or DerSimonian-Laird (legacy) tau² estimator.
* ``arcsine_dl``: inverse variance, arcsine, DerSimonian-Laird, Wald z CI, t(k-1) PI:
  sensitivity to the scale.
* ``as_published``: inverse variance, Freeman-Tukey, DerSimonian-Laird, Wald z CI, z PI: the
  2026 paper's likely method, kept to reproduce its figures (it models pools without
  events, as the paper did; the reproduction appendix says so).
* ``glmm``: metafor ``rma.glmm`` defaults (Wald z CI and PI); raises
  ``GLMMConvergenceError`` instead of falling back.

No method gives a prediction interval, tau² or I² below :data:`MIN_K_HETEROGENEITY` studies
(two studies cannot estimate the between-study variance on which all three rest): the
engine leaves the interval empty (``pi_min_k``) and :func:`heterogeneity_estimable` says
where tau² and I² are reported, in the book and in the downloads alike.

Every sensitivity method refuses a pool with no events or only events ("not estimable")
rather than inventing a rate. Every method reports a single study with events as its own
proportion with the exact Clopper-Pearson CI (``single_study="exact"``). The engine knows no
names: :func:`method` turns a key into the :class:`~analysis.engine.results.Method` it passes
to the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..engine.results import Method

#: Key of the primary analysis in :data:`METHODS`.
PRIMARY = "primary"
#: Fewest studies for a prediction interval, tau² and I², in every method of the book.
MIN_K_HETEROGENEITY = 3
#: Fewest studies in every subgroup before a difference between subgroups is claimed.
MIN_K_SUBGROUP = 3
#: p-value below which a test for subgroup differences is counted as a difference.
SUBGROUP_ALPHA = 0.05

_LOGIT_REML_HK = Method(
    model="iv",
    transform="logit",
    tau2="REML",
    ci="hk-adhoc",
    pi="t",
    cc="only0",
    label="Logit, REML, HK",
    degenerate="refuse",
    pi_min_k=MIN_K_HETEROGENEITY,
)

_GLMM_ML = Method(
    model="glmm",
    transform="logit",
    tau2="ML",
    ci="wald",
    pi="t",
    cc="none",
    label="GLMM (logit)",
    degenerate="counts",
    pi_min_k=MIN_K_HETEROGENEITY,
    fallback=_LOGIT_REML_HK,
)
#: Largest pool given to the Bayesian model by the primary analysis.
BAYES_MAX_K = 4
_BAYES = Method(
    model="bayes",
    transform="logit",
    tau2="ML",
    ci="wald",
    pi="t",
    cc="none",
    label="Bayesian binomial-normal (tau ~ HN(1))",
    degenerate="refuse",
    pi_min_k=MIN_K_HETEROGENEITY,
    tau_prior_scale=1.0,
)

#: How tables name the primary analysis as a whole (its rows name the model in ``model``).
PRIMARY_LABEL = f"Primary: Bayes (2-{BAYES_MAX_K} studies), GLMM ({BAYES_MAX_K + 1}+)"

#: The named methods of the book (see the module docstring).
METHODS: dict[str, Method] = {
    "primary": replace(
        _GLMM_ML,
        few_studies=replace(_BAYES, degenerate="counts"),
        few_studies_max_k=BAYES_MAX_K,
    ),
    "glmm_ml": replace(_GLMM_ML, label="GLMM (logit), every pool"),
    "bayes": _BAYES,
    "bayes_hn05": replace(
        _BAYES, tau_prior_scale=0.5, label="Bayesian binomial-normal (tau ~ HN(0.5))"
    ),
    "bayes_hn2": replace(
        _BAYES, tau_prior_scale=2.0, label="Bayesian binomial-normal (tau ~ HN(2))"
    ),
    "glmm_hk": replace(
        _GLMM_ML, ci="hk", label="GLMM, t(k-1) CI", degenerate="refuse", fallback=None
    ),
    "logit_reml_hk": _LOGIT_REML_HK,
    "logit_pm": replace(_LOGIT_REML_HK, tau2="PM", label="Logit, Paule-Mandel, HK"),
    "logit_dl": replace(_LOGIT_REML_HK, tau2="DL", label="Logit, DerSimonian-Laird, HK"),
    "arcsine_dl": Method(
        model="iv",
        transform="arcsine",
        tau2="DL",
        ci="wald",
        pi="t",
        cc="none",
        label="Arcsine, DerSimonian-Laird",
        degenerate="refuse",
        pi_min_k=MIN_K_HETEROGENEITY,
    ),
    "as_published": Method(
        model="iv",
        transform="freeman-tukey",
        tau2="DL",
        ci="wald",
        pi="z",
        cc="none",
        label="Freeman-Tukey, DL (as published)",
        pi_min_k=MIN_K_HETEROGENEITY,
    ),
    "glmm": replace(
        _GLMM_ML, pi="z", label="GLMM (logit, Wald)", degenerate="model", fallback=None
    ),
}


@dataclass(frozen=True)
class DecisionThresholds:
    """Rates at which a decision about a combination would change, for one kind of outcome.

    The certainty rules judge imprecision and inconsistency against these (GRADE's
    minimally contextualised approach, Zeng et al. J Clin Epidemiol 2021;137:163 and
    2022;150:216) rather than against a fixed width of interval.

    Attributes
    ----------
    kind : str
        ``"safety"`` or ``"efficacy"``.
    thresholds : tuple of float
        Rates (0-1) that split the scale into zones a decision treats differently.
    max_ratio : float
        Largest ratio of the upper to the lower bound of a rate's 95% interval that is
        still precise (an interval reaching 0 has an infinite ratio): a baseline risk is
        uncertain in relative terms whatever its size (Iorio et al. BMJ 2015;350:h870).
    rationale : str
        Why these numbers, in one sentence (shown in the certainty chapter).
    """

    kind: str
    thresholds: tuple[float, ...]
    max_ratio: float
    rationale: str


#: Decision thresholds per kind of outcome (the review team's judgement, not elicited).
THRESHOLDS: dict[str, DecisionThresholds] = {
    "safety": DecisionThresholds(
        "safety",
        (0.05, 0.15),
        2.0,
        "below 5% of courses a harm would not by itself argue against adding a second drug, "
        "above 15% (about 1 in 7) it would weigh against it for most patients, and between "
        "the two it has to be weighed against the benefit",
    ),
    "efficacy": DecisionThresholds(
        "efficacy",
        (0.25, 0.50),
        2.0,
        "below 25% a combination does no better than a further single advanced therapy is "
        "commonly expected to do after several have failed, above 50% most treated patients "
        "benefit, and between the two the gain is uncertain",
    ),
}


def heterogeneity_estimable(pool) -> bool:
    """Whether a result reports tau² and I²: a model of :data:`MIN_K_HETEROGENEITY`+ studies.

    A single study and pooled counts have no model; two studies cannot estimate the
    between-study variance. The same rule decides what the book shows and what the
    downloads hold (empty, with a note in ``message``).
    """
    return pool.kind == "random_effects" and pool.k >= MIN_K_HETEROGENEITY


def method(key: str | Method | None = None) -> Method:
    """The Method of a key of :data:`METHODS` (None: :data:`PRIMARY`); a Method passes through.

    Raises
    ------
    ValueError
        For an unknown key.
    """
    if isinstance(key, Method):
        return key
    key = PRIMARY if key is None else key
    if key not in METHODS:
        raise ValueError(f"unknown method {key!r}; expected one of {sorted(METHODS)}")
    return METHODS[key]
