"""Named pooling methods: the book changes its analysis here, in one place.

* ``primary``: GLMM (ML, adaptive Gauss-Hermite with 7 points) on the logit scale, t(k-1)
  CI and PI; R meta's default model for proportions. Falls back visibly to
  ``logit_reml_hk`` when the GLMM cannot be fitted.
* ``as_published``: inverse variance, Freeman-Tukey, DerSimonian-Laird, Wald z CI, z PI:
  the 2026 paper's likely method.
* ``logit_reml_hk``: inverse variance, logit, REML, Hartung-Knapp never narrower than Wald,
  t(k-1) PI: companion of the primary (forest-plot weights, influence).
* ``logit_pm`` and ``logit_dl``: as ``logit_reml_hk`` with the Paule-Mandel (Veroniki 2016)
  or DerSimonian-Laird (legacy) tau² estimator: sensitivity.
* ``arcsine_dl``: inverse variance, arcsine, DerSimonian-Laird, Wald z CI, t(k-1) PI:
  sensitivity to the scale.
* ``glmm``: metafor ``rma.glmm`` defaults (Wald z CI and PI); raises
  ``GLMMConvergenceError`` instead of falling back.

Every method reports a single study (k = 1) as its own proportion with the exact
Clopper-Pearson CI (``single_study="exact"``). The engine knows no names: :func:`method`
turns a key into the :class:`~analysis.engine.results.Method` it passes to the engine.
"""

from __future__ import annotations

from ..engine.results import Method

#: Key of the primary analysis in :data:`METHODS`.
PRIMARY = "primary"

_LOGIT_REML_HK = Method(
    model="iv",
    transform="logit",
    tau2="REML",
    ci="hk-adhoc",
    pi="t",
    cc="only0",
    label="Logit, REML, HK",
)

#: The named methods of the book (see the module docstring for the table).
METHODS: dict[str, Method] = {
    "primary": Method(
        model="glmm",
        transform="logit",
        tau2="ML",
        ci="hk",
        pi="t",
        cc="none",
        label="GLMM (logit)",
        fallback=_LOGIT_REML_HK,
    ),
    "as_published": Method(
        model="iv",
        transform="freeman-tukey",
        tau2="DL",
        ci="wald",
        pi="z",
        cc="none",
        label="Freeman-Tukey, DL (as published)",
    ),
    "logit_reml_hk": _LOGIT_REML_HK,
    "logit_pm": Method(
        model="iv",
        transform="logit",
        tau2="PM",
        ci="hk-adhoc",
        pi="t",
        cc="only0",
        label="Logit, Paule-Mandel, HK",
    ),
    "logit_dl": Method(
        model="iv",
        transform="logit",
        tau2="DL",
        ci="hk-adhoc",
        pi="t",
        cc="only0",
        label="Logit, DerSimonian-Laird, HK",
    ),
    "arcsine_dl": Method(
        model="iv",
        transform="arcsine",
        tau2="DL",
        ci="wald",
        pi="t",
        cc="none",
        label="Arcsine, DerSimonian-Laird",
    ),
    "glmm": Method(
        model="glmm",
        transform="logit",
        tau2="ML",
        ci="wald",
        pi="z",
        cc="none",
        label="GLMM (logit, Wald)",
    ),
}


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
