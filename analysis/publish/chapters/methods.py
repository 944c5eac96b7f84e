"""The Methods chapter.

Every analysis in words, its settings, and how the engine is checked (R reference cases,
the coverage simulation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from ... import paths
from ...datapackage import Dataset
from ...datapackage.provenance import provenance
from ...review.sensitivity import COMPARED
from ...review.settings import BAYES_MAX_K, METHODS, PRIMARY, PRIMARY_LABEL
from ...review.synthesis import OUTCOMES, count_units
from ..formatting import NONE, fmt_count, fmt_list
from ..page import Page
from ..searches import methods_sentence
from .studies import dataset_facts

_TRANSFORMS = {
    "logit": "logit",
    "freeman-tukey": "Freeman-Tukey double arcsine",
    "arcsine": "arcsine square root",
    "raw": "untransformed proportion",
}


_TAU2 = {
    "DL": "DerSimonian-Laird",
    "REML": "restricted maximum likelihood",
    "PM": "Paule-Mandel",
    "ML": "maximum likelihood",
    "HE": "Hedges",
    "SJ": "Sidik-Jonkman",
}


_CI = {
    "wald": "Wald (z) confidence interval",
    "hk": "confidence interval with a t quantile on k-1 df (Hartung-Knapp type)",
    "hk-adhoc": "Hartung-Knapp confidence interval never narrower than Wald",
}


def describe_method(method) -> str:
    """Describe a :class:`analysis.engine.results.Method` in words for the methods chapter."""
    if method.model == "bayes":
        text = (
            "Bayesian binomial-normal random-effects model on the logit scale, mu ~ "
            f"N(0, {method.mu_prior_sd:g}\u00b2), tau ~ half-normal({method.tau_prior_scale:g}), "
            "by deterministic quadrature: posterior median, equal-tailed "
            f"{100 * method.level:g}% credible interval"
        )
        if method.pi_min_k > 1:
            text += f", posterior predictive interval from {method.pi_min_k} studies"
        return text
    if method.model == "glmm":
        core = (
            "binomial-normal generalised linear mixed model (random-intercept logistic "
            "regression, maximum likelihood, adaptive Gauss-Hermite quadrature)"
        )
    else:
        core = (
            f"inverse-variance random effects on the {_TRANSFORMS[method.transform]} scale, "
            f"tau\u00b2 by {_TAU2[method.tau2]}"
        )
    text = f"{core}, {_CI.get(method.ci, method.ci)}"
    if method.pi_min_k > 1:
        text += f", prediction interval (t, k-1 df) from {method.pi_min_k} studies"
    if method.few_studies is not None:
        text = (
            f"pools of 2-{method.few_studies_max_k} studies: "
            f"{describe_method(method.few_studies)}; larger pools: {text}"
        )
    return text


def method_facts() -> dict[str, str]:
    """``<key>_label`` describing each named method of :data:`analysis.review.settings.METHODS`.

    Also ``t_quantile_2``: the quantile of t with 1 df that multiplies a Hartung-Knapp-type
    interval with two studies; ``level_pct`` (``"95%"``) and ``pi_min_k``: the confidence
    level and the fewest studies with a prediction interval, of the primary analysis's
    GLMM; ``bayes_max_k`` and ``glmm_min_k`` (the split of the primary analysis by pool
    size), ``bayes_tau_scale``, ``bayes_mu_sd``, ``bayes_pi_min_k`` and
    ``bayes_prior_scales`` (the half-normal scales of the prior-sensitivity rows); what the
    priors mean for a proportion: ``bayes_mu_low_pct`` / ``bayes_mu_high_pct`` (95% of the
    mean's prior mass), ``bayes_tau_median`` and ``bayes_tau_median_odds`` (the odds ratio
    of a study one prior-median SD above the mean), ``bayes_tau_above_2_pct``.
    """
    primary = METHODS[PRIMARY]
    facts = {f"{key}_label": describe_method(method) for key, method in METHODS.items()}
    facts["t_quantile_2"] = f"{float(special.stdtrit(1, 1 - (1 - primary.level) / 2)):.1f}"
    facts["level_pct"] = f"{100 * primary.level:g}%"
    facts["pi_min_k"] = str(primary.pi_min_k)
    bayes = primary.few_studies
    facts["bayes_max_k"] = str(BAYES_MAX_K)
    facts["glmm_min_k"] = str(BAYES_MAX_K + 1)
    facts["bayes_tau_scale"] = f"{bayes.tau_prior_scale:g}"
    facts["bayes_mu_sd"] = f"{bayes.mu_prior_sd:g}"
    facts["bayes_pi_min_k"] = str(bayes.pi_min_k)
    facts["bayes_prior_scales"] = " and ".join(
        f"{METHODS[key].tau_prior_scale:g}" for key in ("bayes_hn05", "bayes_hn2")
    )
    # what the priors mean on the scale of a proportion (computed, never typed)
    z = float(special.ndtri(0.975))
    facts["bayes_mu_low_pct"] = f"{100 * special.expit(-z * bayes.mu_prior_sd):.0f}%"
    facts["bayes_mu_high_pct"] = f"{100 * special.expit(z * bayes.mu_prior_sd):.0f}%"
    tau_median = bayes.tau_prior_scale * float(special.ndtri(0.75))  # half-normal median
    facts["bayes_tau_median"] = f"{tau_median:.2f}"
    facts["bayes_tau_median_odds"] = f"{np.exp(tau_median):.1f}"
    tail = 2 * float(special.ndtr(-2 / bayes.tau_prior_scale))  # P(tau > 2)
    facts["bayes_tau_above_2_pct"] = f"{100 * tail:.0f}%"
    return facts


def validation_facts(folder: Path | str | None = None) -> dict[str, str]:
    """How many R reference cases and settings the engine is checked against.

    Keys ``validation_cases`` and ``validation_settings``, counted from
    ``validation/reference.csv``; ``bayes_reference_cases`` and ``bayes_reference_draws``
    (MCMC draws per case) from ``validation/bayes_reference.csv``.
    """
    folder = Path(folder or paths.VALIDATION)
    reference = pd.read_csv(folder / "reference.csv")
    mcmc = pd.read_csv(folder / "bayes_reference.csv")
    return {
        "validation_cases": fmt_count(reference["case"].nunique()),
        "validation_settings": fmt_count(reference["setting"].nunique()),
        "bayes_reference_cases": fmt_count(mcmc["case"].nunique()),
        "bayes_reference_draws": fmt_count(int(mcmc["draws"].iloc[0])),
    }


def published_bounds_facts(ds: Dataset, review: str = "anderson2026") -> dict[str, str]:
    """The published pooled rates that sit exactly at 0% or 100%, as a phrase.

    Key ``published_at_bounds``, e.g. ``"UPA+VDZ adverse events 0.0% (2 courses); ..."``:
    evidence of a transformation that reaches the bounds (Freeman-Tukey) in ``review``.
    """
    pub = ds.published[
        (ds.published["review"] == review)
        & ds.published["outcome"].isin(list(OUTCOMES))
        & ds.published["estimate_pct"].isin([0.0, 100.0])
    ]
    phrases = [
        f"{r.regimen} {OUTCOMES[r.outcome].lower()} {r.estimate_pct:.1f}%"
        + ("" if pd.isna(r.trials) else f" ({int(r.trials)} courses)")
        for r in pub.itertuples(index=False)
    ]
    return {"published_at_bounds": "; ".join(phrases) if phrases else NONE}


def unit_facts(ds: Dataset) -> dict[str, str]:
    """How many analysed counts are of courses and how many of patients (for Methods).

    Keys: ``unit_n_rows`` (analysed counts), ``unit_n_courses`` (of courses where a study
    states more courses than patients), ``unit_n_patients`` (of patients although the study
    states more courses), ``unit_patients_studies`` (those studies), ``unit_n_one_each``
    (patients = courses), ``unit_n_patients_only`` (patients, courses not stated),
    ``unit_n_subset`` (a subset of the arm).
    """
    frame = count_units(ds)
    counts = frame["unit"].value_counts()
    studies = sorted(frame.loc[frame["unit"] == "patients", "study_id"].unique())
    return {
        "unit_n_rows": fmt_count(len(frame)),
        "unit_n_courses": fmt_count(counts.get("courses", 0)),
        "unit_n_patients": fmt_count(counts.get("patients", 0)),
        "unit_patients_studies": fmt_list(studies) if studies else NONE,
        "unit_n_one_each": fmt_count(counts.get("one_each", 0)),
        "unit_n_patients_only": fmt_count(counts.get("patients_only", 0)),
        "unit_n_subset": fmt_count(counts.get("subset", 0)),
    }


#: What each analysis of :func:`method_settings_table` is for.
_ROLES = {
    PRIMARY: "Primary analysis",
    "glmm_ml": "Sensitivity: GLMM for every pool (the primary model from 5 studies)",
    "bayes": "Sensitivity: Bayesian model for every pool (primary for 2-4 studies)",
    "bayes_hn05": "Sensitivity: prior of the heterogeneity, tau ~ half-normal(0.5)",
    "bayes_hn2": "Sensitivity: prior of the heterogeneity, tau ~ half-normal(2)",
    "glmm_hk": "Sensitivity: Hartung-Knapp t(k-1) interval",
    "logit_reml_hk": "Sensitivity: inverse-variance, logit scale",
    "arcsine_dl": "Sensitivity: inverse-variance, arcsine scale",
    "as_published": "Reproduction of the 2026 review only",
}


def method_settings_table() -> pd.DataFrame:
    """Every analysis of the book with its label in tables and its settings in words.

    Rows: the primary analysis, its fallback, the sensitivity methods
    (:data:`analysis.review.sensitivity.COMPARED`, and the primary analysis on peer-reviewed
    reports) and the method used only to reproduce the 2026 review.
    """
    rows = []
    for key in (*COMPARED, "as_published"):
        method = METHODS[key]
        label = PRIMARY_LABEL if key == PRIMARY else method.label
        rows.append((_ROLES.get(key, key), label, describe_method(method)))
        if key == PRIMARY and method.fallback is not None:
            rows.append(
                (
                    "Fallback where the GLMM cannot be fitted",
                    method.fallback.label,
                    describe_method(method.fallback),
                )
            )
    rows.insert(
        len(COMPARED) + 1,
        (
            "Sensitivity: peer-reviewed reports only",
            f"{PRIMARY_LABEL}, peer-reviewed reports only",
            "as the primary analysis, without conference abstracts and preprints",
        ),
    )
    rows.insert(
        len(COMPARED) + 2,
        (
            "Sensitivity: without marked counts",
            f"{PRIMARY_LABEL}, without \u2021 and \u00a7 counts",
            "as the primary analysis, without counts taken from the 2026 review (\u2021) "
            "and arms with a co-intervention (\u00a7)",
        ),
    )
    return pd.DataFrame(rows, columns=["Analysis", "Label in tables", "Settings"])


def read_coverage(folder: Path | str | None = None) -> pd.DataFrame:
    """``validation/coverage.csv``: the coverage simulation of ``validation/coverage.py``."""
    return pd.read_csv(Path(folder or paths.VALIDATION) / "coverage.csv")


def coverage_facts(folder: Path | str | None = None) -> dict[str, str]:
    """The settings of the coverage simulation, read from its output (never typed).

    Keys ``coverage_ks`` (``"2 to 4"``), ``coverage_n`` (``"5 to 20"``), ``coverage_p_true``
    (``"30%"``), ``coverage_taus`` (``"0.5 or 1"``) and ``coverage_reps``.
    """
    frame = read_coverage(folder)
    taus = sorted(frame["tau"].unique())
    return {
        "coverage_ks": f"{frame['k'].min()} to {frame['k'].max()}",
        "coverage_n": f"{frame['n_min'].min()} to {frame['n_max'].max()}",
        "coverage_p_true": f"{100 * frame['p_true'].iloc[0]:g}%",
        "coverage_taus": " or ".join(f"{t:g}" for t in taus),
        "coverage_reps": fmt_count(int(frame["reps"].iloc[0])),
    }


#: How :func:`coverage_table` names the intervals of ``validation/coverage.csv``.
_COVERAGE_METHODS = {
    "bayes": "Bayesian, tau ~ HN(1): credible interval",
    "glmm_wald": "GLMM: Wald z interval",
    "glmm_hk": "GLMM: t(k-1) interval (Hartung-Knapp type)",
}


def coverage_table(folder=None) -> pd.DataFrame:
    """The coverage simulation of ``validation/coverage.py`` as a table for the book.

    One row per setting (studies, true tau) and interval: coverage of the true median rate
    in percent with its Monte Carlo SE, median width in percentage points, and the
    replicates the GLMM could not fit. Read from ``validation/coverage.csv``; nothing is
    simulated at build time.
    """
    frame = read_coverage(folder)
    return pd.DataFrame(
        {
            "Studies": frame["k"],
            "True tau": frame["tau"].map("{:g}".format),
            "95% interval": frame["method"].map(_COVERAGE_METHODS),
            "Coverage, % (MCSE)": [
                f"{100 * c:.1f} ({100 * s:.1f})"
                for c, s in zip(frame["coverage"], frame["mcse"], strict=True)
            ],
            "Median width, points": (100 * frame["median_width"]).map("{:.0f}".format),
            "Not fitted": frame["failed"],
            "Pools modelled": frame["modelled"],
        }
    )


def page(ds: Dataset) -> Page:
    """The Methods chapter.

    Keys: the data package's provenance and
    :func:`~analysis.publish.chapters.studies.dataset_facts`,
    :func:`method_facts`, :func:`published_bounds_facts`, :func:`validation_facts`,
    :func:`unit_facts`, :func:`coverage_facts`; tables ``method_settings`` and
    ``coverage``; ``search_methods_text`` (MyST: the searches, from
    :func:`analysis.publish.searches.methods_sentence`).
    """
    page = Page("methods")
    page.facts = (
        provenance(ds)
        | dataset_facts(ds)
        | method_facts()
        | published_bounds_facts(ds)
        | validation_facts()
        | unit_facts(ds)
        | coverage_facts()
    )
    page.table("method_settings", method_settings_table())
    page.table("coverage", coverage_table())
    page.markdown["search_methods_text"] = methods_sentence(ds)
    return page
