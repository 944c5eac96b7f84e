"""Numbers and phrases for chapter prose, computed (never typed) and ready to glue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from .. import paths
from ..datapackage import Dataset
from ..review.certainty import LEVELS, rule_thresholds
from ..review.completeness import completeness_summary
from ..review.reproduction import CIRCULAR, DIFFERS, MATCH, NO_DATA
from ..review.robustness import INFLUENCE_THRESHOLD
from ..review.settings import (
    BAYES_MAX_K,
    METHODS,
    MIN_K_SUBGROUP,
    PRIMARY,
    SUBGROUP_ALPHA,
    THRESHOLDS,
)
from ..review.synthesis import (
    MARKS,
    MIXED,
    OUTCOMES,
    RegimenSynthesis,
    count_units,
    regimen_trials,
)
from .formatting import (
    fmt_count,
    fmt_courses,
    fmt_evidence,
    fmt_p,
    fmt_pct,
    fmt_result,
    outcome_label,
)

#: Wording used when nothing can be said.
NONE = "none"


def outcome_facts(*syntheses: RegimenSynthesis) -> dict[str, str]:
    """Facts about each outcome's synthesis, keyed ``<outcome>_<fact>``.

    Keys: ``n_studies`` (studies contributing, mixed arms included), ``n_tts`` (courses in
    single-regimen pools), ``n_regimens`` (regimens with data), ``n_pooled`` (regimens
    with at least two studies), ``rates`` (a sentence: the range of the rates the pools
    have, each with its studies and courses, and the pools with no events or only events
    named as counts, never ranked), ``any`` (the any-combination result with its CI),
    ``n_not_estimable``, ``method``.
    """
    facts = {}
    for syn in syntheses:
        facts.update(_one_outcome_facts(syn))
    return facts


def _behind(pool) -> str:
    return fmt_evidence(pool.k, pool.n_total)


#: Pools with fewer courses are named with their counts, apart from the rates.
FEW_COURSES = 5


def rates_sentence(syn: RegimenSynthesis) -> str:
    """The rates of one outcome in words, ranking only pools that have a rate.

    e.g. ``"Estimated rates ranged from 6.2% (Tofa+VDZ; 2 studies, 16 courses) to 8.3% (...);
    no serious adverse events in NAT+aTNF (0/52 courses) and Tofa+UST (0/13 courses)."``
    Pools with no events, or only events, are named with their counts, and so are pools of
    fewer than :data:`FEW_COURSES` courses, apart ("too few courses to say anything"). A combination
    carries the marks of its studies (:data:`analysis.review.synthesis.MARKS`, e.g. ‡ for a
    count taken from the 2026 review).
    """
    label = syn.label.lower()

    def named(regimen: str) -> str:  # the combination with the marks of its studies
        marks = syn.pool_marks(regimen)
        return f"{regimen} {marks}" if marks else regimen

    enough = {r: p for r, p in syn.pools.items() if p.n_total >= FEW_COURSES}
    few = [
        f"{named(r)} ({fmt_count(p.events_total)}/{fmt_courses(p.n_total)})"
        for r, p in syn.pools.items()
        if p.n_total < FEW_COURSES
    ]
    rated = {r: p for r, p in enough.items() if p.kind != "counts"}
    none = [
        f"{named(r)} (0/{fmt_courses(p.n_total)})"
        for r, p in enough.items()
        if p.kind == "counts" and p.events_total == 0
    ]
    every = [
        f"{named(r)} ({fmt_count(p.events_total)}/{fmt_courses(p.n_total)})"
        for r, p in enough.items()
        if p.kind == "counts" and p.events_total > 0
    ]
    parts = []
    if len(rated) >= 2:
        low = min(rated, key=lambda r: rated[r].estimate)
        high = max(rated, key=lambda r: rated[r].estimate)
        parts.append(
            f"estimated rates ranged from {fmt_pct(rated[low].estimate)} ({named(low)}; "
            f"{_behind(rated[low])}) to {fmt_pct(rated[high].estimate)} ({named(high)}; "
            f"{_behind(rated[high])})"
        )
    elif rated:
        ((regimen, pool),) = rated.items()
        parts.append(
            f"the only estimated rate was {fmt_pct(pool.estimate)} ({named(regimen)}; "
            f"{_behind(pool)})"
        )
    if none:
        parts.append(f"no {label} in {_and(none)}")
    if every:
        parts.append(f"{label} in every course of {_and(every)}")
    if few:
        parts.append(f"too few courses to say anything for {_and(few)}")
    if not parts:
        return f"No combination has data on {label}."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _one_outcome_facts(syn: RegimenSynthesis) -> dict[str, str]:
    pools = syn.pools
    facts = {
        "n_studies": fmt_count(syn.rows["study_id"].nunique()),
        "n_tts": fmt_count(sum(p.n_total for p in pools.values())),
        "n_regimens": fmt_count(len(pools)),
        "n_pooled": fmt_count(sum(p.k >= 2 for p in pools.values())),
        "n_not_estimable": fmt_count(len(syn.failures)),
        "any": fmt_result(syn.any_combination) if syn.any_combination else NONE,
        "rates": rates_sentence(syn),
        "method": syn.method,
    }
    return {f"{syn.outcome}_{key}": value for key, value in facts.items()}


def dataset_facts(ds: Dataset) -> dict[str, str]:
    """Facts about the data package: counts of studies, arms, regimens and trials.

    Keys: ``n_studies``, ``n_studies_pooled`` (overlapping cohorts removed), ``n_arms``,
    ``n_regimens``, ``n_tts`` (single-regimen arms), ``n_outcome_rows``,
    ``n_outcomes_with_data`` (of the six), ``data_version``, and the 2026 paper's
    ``paper_studies`` and ``paper_tts`` where ``published.csv`` states them.
    """
    trials = regimen_trials(ds)
    studies = ds.studies
    pub = ds.published[
        (ds.published["review"] == "anderson2026") & (ds.published["regimen"] == "any")
    ]
    paper_tts = pub["trials"].dropna()
    paper_studies = pub["studies"].dropna()
    analysed = ds.outcomes[ds.outcomes["analysed"]]
    return {
        "n_studies": fmt_count(len(studies)),
        "n_studies_pooled": fmt_count(studies["overlaps_with"].eq("").sum()),
        "n_arms": fmt_count((ds.arms["regimen"] != MIXED).sum()),
        "n_mixed_arms": fmt_count((ds.arms["regimen"] == MIXED).sum()),
        "n_regimens": fmt_count(len(trials)),
        "n_tts": fmt_count(trials["trials"].sum()),
        "n_outcome_rows": fmt_count(len(ds.outcomes)),
        "n_outcomes_with_data": f"{analysed['outcome'].nunique()} of {len(OUTCOMES)}",
        "data_version": ds.version,
        "paper_studies": fmt_count(paper_studies.max()) if len(paper_studies) else NONE,
        "paper_tts": fmt_count(paper_tts.max()) if len(paper_tts) else NONE,
    }


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


def completeness_facts(frame: pd.DataFrame) -> dict[str, str]:
    """How much of the 2026 paper's evidence our sources recover, as text.

    ``frame`` is :func:`analysis.review.completeness.completeness_frame`. Keys:
    ``paper_regimens`` (regimens with a stated TT count in the paper), ``tts_recovered``
    (TTs of our 2022 and 2026 studies, capped at the paper's count per regimen, over those
    regimens), ``tts_paper_sum``, ``tts_recovered_pct``, ``regimens_complete`` (regimens
    where we hold at least the paper's TTs, listed) and ``n_cells_missing`` (regimen x
    outcome cells with no data, of ``n_cells``).
    """
    summary = completeness_summary(frame)
    return {
        "paper_regimens": fmt_count(summary["paper_regimens"]),
        "tts_recovered": fmt_count(summary["tts_recovered"]),
        "tts_paper_sum": fmt_count(summary["tts_paper_sum"]),
        "tts_recovered_pct": (NONE if summary["tts_paper_sum"] == 0 else fmt_pct(summary["share"])),
        "regimens_complete": ", ".join(summary["regimens_complete"]) or NONE,
        "n_cells_missing": fmt_count(summary["n_cells_missing"]),
        "n_cells": fmt_count(summary["n_cells"]),
    }


def outcome_completeness_facts(frame: pd.DataFrame) -> dict[str, str]:
    """Courses with outcome data against the paper's per-outcome figures, as text.

    Keys: ``oc_figures`` (regimen x outcome figures with a stated course count),
    ``oc_paper`` (their courses), ``oc_ours`` (ours, capped at the paper's per figure),
    ``oc_pct``, ``oc_not_per_regimen`` and ``oc_not_held`` (the missing courses split).
    """
    stated = frame[frame["paper_n"].notna()]
    paper = stated["paper_n"].astype(int)
    ours = stated["n_review"].clip(upper=paper)
    return {
        "oc_figures": fmt_count(len(stated)),
        "oc_paper": fmt_count(paper.sum()),
        "oc_ours": fmt_count(ours.sum()),
        "oc_pct": fmt_pct(ours.sum() / paper.sum()) if paper.sum() else NONE,
        "oc_not_per_regimen": fmt_count(stated["not_per_regimen"].sum()),
        "oc_not_held": fmt_count(stated["not_held"].sum()),
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


def sensitivity_facts(summary: dict) -> dict[str, str]:
    """:func:`analysis.review.sensitivity.sensitivity_summary` as text for the chapter."""
    where = summary["max_spread_where"]
    return {
        "n_compared": fmt_count(summary["n_compared"]),
        "max_spread": f"{100 * summary['max_spread']:.1f}" if where else "0",
        "max_spread_where": (
            f"{outcome_label(where[0]).lower()}, {where[1]}"
            if where
            else "no regimen has two or more studies"
        ),
        "n_changed_grey": fmt_count(summary["n_changed_grey"]),
        "n_changed_unmarked": fmt_count(summary["n_changed_unmarked"]),
        "n_total": fmt_count(summary["n_total"]),
    }


def robustness_facts(
    subgroups: pd.DataFrame, influence: pd.DataFrame, small: pd.DataFrame
) -> dict[str, str]:
    """Counts for the robustness chapter's prose.

    From the numeric tables of :mod:`analysis.review.robustness` (p-values compared as
    numbers, never as rounded text).
    """
    tested = subgroups[subgroups["p_value"].notna()] if len(subgroups) else subgroups
    return {
        "n_subgroup_outcomes": fmt_count(len(subgroups)),
        "n_subgroup_tests": fmt_count(len(tested)),
        "n_subgroup_significant": fmt_count(
            int(subgroups["significant"].sum()) if len(subgroups) else 0
        ),
        "n_loo_pools": fmt_count(len(influence)),
        "n_influential": fmt_count(int(influence["influential"].sum()) if len(influence) else 0),
        "influence_threshold_pp": f"{100 * INFLUENCE_THRESHOLD:.0f}",
        "n_small_study_pools": fmt_count(len(small)),
    }


def rule_facts() -> dict[str, str]:
    """The numbers of the certainty rules as text (never typed in the chapter).

    Keys ``rule_<name>`` for every entry of
    :func:`analysis.review.certainty.rule_thresholds`, and ``rule_safety_rationale``,
    ``rule_efficacy_rationale`` (why the decision thresholds are where they are).
    """
    t = rule_thresholds()

    def cuts(values) -> str:
        return _and([f"{100 * v:g}%" for v in values])

    safety, efficacy = t["max_ratio"]
    ratio = f"{safety:g}" if safety == efficacy else f"{safety:g} (safety) or {efficacy:g}"
    facts = {
        "start": t["start"].lower(),
        "carry_share": f"{t['carry_share']:.0%}",
        "min_followup_weeks": f"{t['min_followup_weeks']:g}",
        "min_k": str(t["min_k"]),
        "safety_thresholds": cuts(t["safety_thresholds"]),
        "efficacy_thresholds": cuts(t["efficacy_thresholds"]),
        "max_ratio": ratio,
        "min_k_pb": str(t["min_k_pb"]),
    }
    facts |= {f"{kind}_rationale": THRESHOLDS[kind].rationale for kind in THRESHOLDS}
    return {f"rule_{key}": value for key, value in facts.items()}


def grade_facts(frame: pd.DataFrame) -> dict[str, str]:
    """Counts of results per certainty level.

    ``frame`` is :func:`analysis.review.certainty.certainty_frame`.

    Keys: ``grade_n``, ``grade_n_high``, ``grade_n_moderate``, ``grade_n_low``,
    ``grade_n_very_low``, ``grade_n_overrides`` (results with at least one override).
    """
    counts = frame["certainty"].value_counts() if len(frame) else pd.Series(dtype=int)
    facts = {"grade_n": fmt_count(len(frame))}
    for label in LEVELS.values():
        facts[f"grade_n_{label.lower().replace(' ', '_')}"] = fmt_count(counts.get(label, 0))
    flags = [c for c in frame.columns if c.endswith("_override")]
    overridden = frame[flags].any(axis=1).sum() if len(frame) else 0
    facts["grade_n_overrides"] = fmt_count(int(overridden))
    return facts


def any_certainty_facts(frame: pd.DataFrame) -> dict[str, str]:
    """The certainty of each outcome's any-combination rate: ``<outcome>_any_certainty``.

    ``frame`` is :func:`analysis.review.certainty.certainty_frame`; e.g. ``"very low
    certainty"``, for each outcome of the frame (``"not graded"`` where the outcome has no
    any-combination pool).
    """
    overall = frame[frame["regimen"] == "any"].set_index("outcome")
    return {
        f"{outcome}_any_certainty": (
            f"{overall.at[outcome, 'certainty'].lower()} certainty"
            if outcome in overall.index
            else "not graded"
        )
        for outcome in dict.fromkeys(frame["outcome"])
        if outcome in OUTCOMES
    }


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
        "unit_patients_studies": _and(studies) if studies else NONE,
        "unit_n_one_each": fmt_count(counts.get("one_each", 0)),
        "unit_n_patients_only": fmt_count(counts.get("patients_only", 0)),
        "unit_n_subset": fmt_count(counts.get("subset", 0)),
    }


def reproduction_facts(frame: pd.DataFrame) -> dict[str, str]:
    """Counts of published figures by verdict, for the chapter prose.

    Keys: ``repro_n``, ``repro_n_match`` (recovered independently and matches),
    ``repro_n_circular`` (matches only because taken from the review), ``repro_n_differs``,
    ``repro_n_nodata``, ``repro_matched`` and ``repro_circular`` (the figures listed).
    """
    counts = frame["verdict"].value_counts()

    def listed(verdict: str) -> str:
        rows = frame[frame["verdict"] == verdict]
        return (
            _and(
                [
                    f"{r.regimen} {outcome_label(r.outcome).lower()} {r.published_pct:.1f}% "
                    f"({r.ours_events}/{r.ours_n})"
                    for r in rows.itertuples()
                ]
            )
            if len(rows)
            else NONE
        )

    return {
        "repro_n": str(len(frame)),
        "repro_n_match": str(counts.get(MATCH, 0)),
        "repro_n_circular": str(counts.get(CIRCULAR, 0)),
        "repro_n_differs": str(counts.get(DIFFERS, 0)),
        "repro_n_nodata": str(counts.get(NO_DATA, 0)),
        "repro_matched": listed(MATCH),
        "repro_circular": listed(CIRCULAR),
    }


def key_findings(syntheses: dict, certainty: pd.DataFrame, per_outcome: pd.DataFrame) -> str:
    """A few key findings in plain words (MyST list), every number computed.

    Parameters
    ----------
    syntheses : dict
        Outcome -> :class:`~analysis.review.synthesis.RegimenSynthesis` (primary method).
    certainty : DataFrame
        :func:`analysis.review.certainty.certainty_frame`.
    per_outcome : DataFrame
        :func:`analysis.review.completeness.outcome_completeness`.
    """
    lines = []
    for outcome in ("sae", "ae", "clinical_response", "clinical_remission"):
        syn = syntheses[outcome]
        sentence = rates_sentence(syn)
        if syn.any_combination is not None:
            graded = any_certainty_facts(certainty).get(f"{outcome}_any_certainty", "not graded")
            sentence += (
                f" Over every combination (each study once): {fmt_result(syn.any_combination)}"
                f" ({graded})."
            )
        lines.append(f"- **{syn.label}.** {sentence}")
    counts = certainty["certainty"].value_counts()
    low = int(counts.get("Low", 0) + counts.get("Very low", 0))
    lines.append(
        f"- **Certainty.** {low} of the {len(certainty)} rates have low or very low certainty "
        f"({int(counts.get('High', 0))} high, {int(counts.get('Moderate', 0))} moderate): "
        "small, mostly retrospective and uncontrolled series; the rates describe what happened "
        "to treated patients, not what a combination adds over one drug."
    )
    text = "\n".join(lines)
    used = [f"{m} {meaning}" for m, meaning in MARKS.items() if m in text]
    if used:
        lines.append(f"- **Marks.** {'; '.join(used)}.")
    oc = outcome_completeness_facts(per_outcome)
    lines.append(
        f"- **Completeness.** For the combinations whose courses the 2026 review states, our "
        f"public sources hold outcome data for {oc['oc_ours']} of its {oc['oc_paper']} courses "
        f"({oc['oc_pct']}); most of the rest are reported only for whole cohorts."
    )
    return "\n".join(lines)


def subgroup_facts(frame: pd.DataFrame) -> dict[str, str]:
    """Counts of the clinical subgroup comparisons (p-values compared as numbers).

    Keys: ``sg_n`` (comparisons), ``sg_n_tested``, ``sg_n_significant`` (default test
    p < :data:`~analysis.review.settings.SUBGROUP_ALPHA`), ``sg_significant`` (those
    comparisons in words, with all three tests and whether a difference may be claimed),
    ``sg_n_no_claim`` (a subgroup below
    :data:`~analysis.review.settings.MIN_K_SUBGROUP` studies), ``sg_n_low`` (credibility
    low, the best these comparisons can reach), ``sg_min_k`` and ``sg_alpha``.
    """
    tests = frame.drop_duplicates(["outcome", "factor"])
    tested = tests[tests["p_value"].notna()]
    hits = tested[tested["p_value"] < SUBGROUP_ALPHA]
    words = {"disease": "Crohn's disease vs ulcerative colitis", "population": "adults vs children"}
    listed = [
        f"{outcome_label(r.outcome).lower()}, {words[r.factor]} (p = {fmt_p(r.p_value)}; "
        f"common \u03c4\u00b2 p = {fmt_p(r.p_common)}; t-based p = {fmt_p(r.p_t)}: "
        + (f"credibility {r.credibility}" if r.claim else r.credibility_reason)
        + ")"
        for r in hits.itertuples()
    ]
    return {
        "sg_n": fmt_count(len(tests)),
        "sg_n_tested": fmt_count(len(tested)),
        "sg_n_significant": fmt_count(len(hits)),
        "sg_significant": _and(listed) if listed else NONE,
        "sg_n_no_claim": fmt_count(int((~tests["claim"].astype(bool)).sum())),
        "sg_n_low": fmt_count(int((tests["credibility"] == "low").sum())),
        "sg_min_k": str(MIN_K_SUBGROUP),
        "sg_alpha": f"{SUBGROUP_ALPHA:g}",
    }


def population_facts(ds: Dataset) -> dict[str, str]:
    """How refractory the analysed studies' patients were, and whether a regression can run.

    Keys: ``pt_studies`` (analysed studies with a prior-therapy row), ``pt_refractory``,
    ``pt_naive``, ``pt_not_reported`` (studies by ``refractory``), ``pt_median_k`` (studies
    stating a median or mean number of prior advanced therapies), ``pt_regression`` (a
    sentence: the exploratory meta-regression run, or why not).
    """
    from ..review.population import MIN_K_REGRESSION, regression_feasible

    table = ds.prior_therapy
    counts = table["refractory"].value_counts()
    feasible = regression_feasible(ds)
    best = max(feasible.values()) if feasible else 0
    regression = (
        f"At most {best} studies of any outcome state a median or mean number of prior advanced "
        f"therapies, fewer than the {MIN_K_REGRESSION} an exploratory meta-regression of the "
        "rate on that number needs here, so none is run; the number is shown per study instead."
        if best < MIN_K_REGRESSION
        else f"Up to {best} studies of an outcome state a median number of prior therapies."
    )
    return {
        "pt_studies": fmt_count(len(table)),
        "pt_refractory": fmt_count(int(counts.get("yes", 0))),
        "pt_naive": fmt_count(int(counts.get("no", 0))),
        "pt_not_reported": fmt_count(int(counts.get("not_reported", 0))),
        "pt_median_k": fmt_count(
            int(pd.to_numeric(table["prior_advanced_median"], errors="coerce").notna().sum())
        ),
        "pt_regression": regression,
    }


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
