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
Clopper-Pearson CI (``single_study="exact"``). ``CROSSCHECK`` holds the eight settings of the
metafor oracle (``../shared/oracle/README.md``), which follow metafor instead
(``single_study="model"``).
"""

from __future__ import annotations

from .results import Method

#: Key of the primary analysis in :data:`METHODS`.
PRIMARY = "primary"

#: The named methods of the book (see the module docstring for the table).
METHODS: dict[str, Method] = {
    "primary": Method(model="glmm", transform="logit", tau2="ML", ci="hk", pi="t", cc="none",
                      label="GLMM (logit)", fallback="logit_reml_hk"),
    "as_published": Method(model="iv", transform="freeman-tukey", tau2="DL", ci="wald", pi="z",
                           cc="none", label="Freeman-Tukey, DL (as published)"),
    "logit_reml_hk": Method(model="iv", transform="logit", tau2="REML", ci="hk-adhoc", pi="t",
                            cc="only0", label="Logit, REML, HK"),
    "logit_pm": Method(model="iv", transform="logit", tau2="PM", ci="hk-adhoc", pi="t",
                       cc="only0", label="Logit, Paule-Mandel, HK"),
    "logit_dl": Method(model="iv", transform="logit", tau2="DL", ci="hk-adhoc", pi="t",
                       cc="only0", label="Logit, DerSimonian-Laird, HK"),
    "arcsine_dl": Method(model="iv", transform="arcsine", tau2="DL", ci="wald", pi="t",
                         cc="none", label="Arcsine, DerSimonian-Laird"),
    "glmm": Method(model="glmm", transform="logit", tau2="ML", ci="wald", pi="z", cc="none",
                   label="GLMM (logit, Wald)"),
}

#: The oracle's settings (metafor 3.8-1 conventions: z PI except with Knapp-Hartung, k = 1
#: pooled on the transformed scale, GLMM refusing k = 1).
CROSSCHECK: dict[str, Method] = {
    "PFT_DL": Method("iv", "freeman-tukey", "DL", "wald", "z", "none", "PFT_DL",
                     single_study="model"),
    "PLO_DL": Method("iv", "logit", "DL", "wald", "z", "only0", "PLO_DL", single_study="model"),
    "PLO_REML": Method("iv", "logit", "REML", "wald", "z", "only0", "PLO_REML",
                       single_study="model"),
    "PLO_REML_HK": Method("iv", "logit", "REML", "hk", "t", "only0", "PLO_REML_HK",
                          single_study="model"),
    "PLO_PM": Method("iv", "logit", "PM", "wald", "z", "only0", "PLO_PM", single_study="model"),
    "PAS_DL": Method("iv", "arcsine", "DL", "wald", "z", "none", "PAS_DL", single_study="model"),
    "PR_DL": Method("iv", "raw", "DL", "wald", "z", "only0", "PR_DL", single_study="model"),
    "GLMM_PLO": Method("glmm", "logit", "ML", "wald", "z", "none", "GLMM_PLO",
                       single_study="model"),
}
