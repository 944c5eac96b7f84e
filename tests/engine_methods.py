"""Engine configurations for the engine's own tests: engine inputs only.

These are plain :class:`analysis.engine.results.Method` values written out here, so the
engine tests do not depend on the review's settings (``analysis.review.settings``); a
change to the review's methods cannot silently change what the engine tests check.
"""

from dataclasses import replace

from analysis.engine.results import Method

LOGIT_REML_HK = Method(
    model="iv",
    transform="logit",
    tau2="REML",
    ci="hk-adhoc",
    pi="t",
    cc="only0",
    label="Logit, REML, HK",
    degenerate="refuse",
    pi_min_k=3,
)

#: Named engine configurations (the names say what they are).
METHODS = {
    # binomial-normal GLMM, Wald CI; all-zero or all-event pools as counts; IV fallback
    "glmm_counts": Method(
        model="glmm",
        transform="logit",
        tau2="ML",
        ci="wald",
        pi="t",
        cc="none",
        label="GLMM (logit)",
        degenerate="counts",
        pi_min_k=3,
        fallback=LOGIT_REML_HK,
    ),
    "glmm": Method(
        model="glmm",
        transform="logit",
        tau2="ML",
        ci="wald",
        pi="z",
        cc="none",
        label="GLMM (logit, Wald)",
        pi_min_k=3,
    ),
    "logit_reml_hk": LOGIT_REML_HK,
    "logit_pm": replace(LOGIT_REML_HK, tau2="PM", label="Logit, Paule-Mandel, HK"),
    "logit_dl": replace(LOGIT_REML_HK, tau2="DL", label="Logit, DerSimonian-Laird, HK"),
    "arcsine_dl": Method(
        model="iv",
        transform="arcsine",
        tau2="DL",
        ci="wald",
        pi="t",
        cc="none",
        label="Arcsine, DerSimonian-Laird",
        degenerate="refuse",
        pi_min_k=3,
    ),
    "ft_dl": Method(
        model="iv",
        transform="freeman-tukey",
        tau2="DL",
        ci="wald",
        pi="z",
        cc="none",
        label="Freeman-Tukey, DL",
        pi_min_k=3,
    ),
}
