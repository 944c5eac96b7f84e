"""Named pooling methods: the book changes its analysis here, in one place.

| key | model | scale | tau² | pooled CI | PI | role |
| --- | --- | --- | --- | --- | --- | --- |
| ``primary`` | GLMM (ML, AGQ 7) | logit | ML | t(k-1) | t(k-1) | primary analysis (R meta's default model for proportions); falls back visibly to ``logit_reml_hk`` when the GLMM cannot be fitted |
| ``as_published`` | inverse variance | Freeman-Tukey | DL | Wald z | z | the 2026 paper's likely method |
| ``logit_reml_hk`` | inverse variance | logit | REML | HK never narrower than Wald | t(k-1) | companion of the primary (forest-plot weights, influence) |
| ``logit_pm`` | inverse variance | logit | PM | HK never narrower than Wald | t(k-1) | sensitivity: tau² estimator (Veroniki 2016) |
| ``logit_dl`` | inverse variance | logit | DL | HK never narrower than Wald | t(k-1) | sensitivity: tau² estimator (legacy) |
| ``arcsine_dl`` | inverse variance | arcsine | DL | Wald z | t(k-1) | sensitivity: scale |
| ``glmm`` | GLMM (ML, AGQ 7) | logit | ML | Wald z | z | metafor ``rma.glmm`` defaults; raises ``GLMMConvergenceError`` on failure |

Every method reports a single study (k = 1) as its own proportion with the exact
Clopper-Pearson CI (``single_study="exact"``). The engine knows no names: :func:`method`
turns a key into the :class:`~analysis.engine.results.Method` it passes to the engine.
"""

from __future__ import annotations

from ..engine.results import Method

#: Key of the primary analysis in :data:`METHODS`.
PRIMARY = "primary"

_LOGIT_REML_HK = Method(model="iv", transform="logit", tau2="REML", ci="hk-adhoc", pi="t",
                        cc="only0", label="Logit, REML, HK")

#: The named methods of the book (see the module docstring for the table).
METHODS: dict[str, Method] = {
    "primary": Method(model="glmm", transform="logit", tau2="ML", ci="hk", pi="t", cc="none",
                      label="GLMM (logit)", fallback=_LOGIT_REML_HK),
    "as_published": Method(model="iv", transform="freeman-tukey", tau2="DL", ci="wald", pi="z",
                           cc="none", label="Freeman-Tukey, DL (as published)"),
    "logit_reml_hk": _LOGIT_REML_HK,
    "logit_pm": Method(model="iv", transform="logit", tau2="PM", ci="hk-adhoc", pi="t",
                       cc="only0", label="Logit, Paule-Mandel, HK"),
    "logit_dl": Method(model="iv", transform="logit", tau2="DL", ci="hk-adhoc", pi="t",
                       cc="only0", label="Logit, DerSimonian-Laird, HK"),
    "arcsine_dl": Method(model="iv", transform="arcsine", tau2="DL", ci="wald", pi="t",
                         cc="none", label="Arcsine, DerSimonian-Laird"),
    "glmm": Method(model="glmm", transform="logit", tau2="ML", ci="wald", pi="z", cc="none",
                   label="GLMM (logit, Wald)"),
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
