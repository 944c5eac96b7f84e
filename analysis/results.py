"""Result objects of the pooling engine (frozen dataclasses, full precision, no rounding)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Method:
    """A complete specification of how proportions are pooled.

    Parameters
    ----------
    model : {"iv", "glmm"}
        Inverse-variance random effects on a transformed scale, or the binomial-normal
        random-intercept logistic model (maximum likelihood).
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
    """

    model: str = "iv"
    transform: str = "logit"
    tau2: str = "REML"
    ci: str = "hk"
    pi: str = "t"
    cc: str = "only0"
    label: str = ""


@dataclass(frozen=True)
class PooledProportion:
    """A random-effects pooled proportion with heterogeneity statistics.

    All proportions are on the 0-1 scale; ``mu`` and ``se`` are on the model scale
    (logit, Freeman-Tukey, arcsine or raw). ``studies`` has one row per study with
    columns ``label, events, total, proportion, ci_low, ci_high, weight`` (weight in
    percent of the inverse-variance random-effects weights; NaN for a GLMM fit when
    no inverse-variance companion is available).
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
