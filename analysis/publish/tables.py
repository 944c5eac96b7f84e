"""Tables of the book, as DataFrames of formatted text (numbers become text only here)."""

from __future__ import annotations

import pandas as pd

from ..datapackage import Dataset
from ..engine.results import PooledProportion
from ..review.certainty import DOMAINS, ROB_DOMAINS, RULES, study_risk
from ..review.reproduction import ROUNDING
from ..review.sensitivity import COMPARED
from ..review.settings import METHODS, PRIMARY, PRIMARY_LABEL, heterogeneity_estimable
from ..review.synthesis import MIXED, OUTCOMES, RegimenSynthesis, study_units
from .facts import describe_method, read_coverage, rule_facts
from .formatting import (
    MISSING,
    NOT_REPORTED,
    fmt_count,
    fmt_i2,
    fmt_interval,
    fmt_p,
    fmt_pct,
    fmt_pool_cell,
    fmt_q,
    fmt_rate_cell,
    fmt_row,
    fmt_studies,
    outcome_label,
    regimen_label,
)
from .sof import SYMBOLS


def model_note(pool: PooledProportion) -> str:
    """What produced a pooled row, in words a reader needs.

    Pooled counts (no events, or only events: no model), a single study (its exact CI), a
    visible GLMM fallback, or the model, saying where two studies cannot estimate the
    between-study variance.
    """
    if pool.kind == "counts":
        what = "no events" if pool.events_total == 0 else "only events"
        return f"{what}: pooled counts, exact CI, no model"
    if pool.kind == "single_study":
        return "single study, exact CI"
    if pool.fallback:
        return f"{pool.method.label} (GLMM not estimable)"
    if not heterogeneity_estimable(pool):
        return f"{pool.method.label}; {pool.k} studies: between-study variance not estimable"
    return pool.method.label


def summary_table(syn: RegimenSynthesis) -> pd.DataFrame:
    """One row per regimen: studies, courses, pooled % (95% CI), 95% PI, I², Q and the model.

    The last row is the any-combination pool (each study once); regimens whose model could
    not be fitted are listed with the reason. The PI is empty below three studies, I² and
    Q where heterogeneity cannot be estimated.
    """
    rows = []
    items = list(syn.pools.items())
    if syn.any_combination is not None:
        items.append(("Any combination", syn.any_combination))
    for regimen, pool in items:
        marks = syn.pool_marks(None if regimen == "Any combination" else regimen)
        rows.append(
            {
                "Regimen": f"{regimen} {marks}" if marks else regimen,
                "Studies": pool.k,
                "Courses": fmt_count(pool.n_total),
                "Events": fmt_count(pool.events_total),
                "Pooled % (95% CI)": fmt_pool_cell(pool),
                "95% PI": fmt_interval(pool.pi_low, pool.pi_high),
                "I² (τ²-based)": fmt_i2(pool),
                "Q (df), p": fmt_q(pool),
                "Model": model_note(pool),
            }
        )
    for regimen, reason in syn.failures.items():
        rows.append(
            {
                "Regimen": regimen,
                "Studies": MISSING,
                "Courses": MISSING,
                "Events": MISSING,
                "Pooled % (95% CI)": "not estimable",
                "95% PI": MISSING,
                "I² (τ²-based)": MISSING,
                "Q (df), p": MISSING,
                "Model": reason,
            }
        )
    return pd.DataFrame(rows)


def completeness_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.completeness.completeness_frame` as text.

    Per outcome, the courses with data and, in brackets, their studies (``"71 (1)"``; a
    dash where no source states it). A course is one patient's trial of one combination
    (the 2026 review's "therapeutic trial", TT).
    """
    table = pd.DataFrame(
        {
            "Combination": frame["regimen"],
            "Studies": frame["studies"],
            "Courses, 2022+2026 studies": frame["tts_review"],
            "Courses, 2026 review": frame["tts_paper"].map(
                lambda v: MISSING if pd.isna(v) else int(v)
            ),
            "Courses missing": frame["tts_missing"].map(
                lambda v: MISSING if pd.isna(v) else int(v)
            ),
            "Courses now": frame["tts_now"],
        }
    )
    for outcome, label in OUTCOMES.items():
        k, n = frame[f"{outcome}_k"], frame[f"{outcome}_n"]
        table[f"{label}: courses (studies)"] = [
            f"{b} ({a})" if a else MISSING for a, b in zip(k, n, strict=True)
        ]
    return table


def outcome_completeness_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.completeness.outcome_completeness` as text (dash: not stated)."""

    def cell(value):
        return MISSING if pd.isna(value) else fmt_count(value)

    return pd.DataFrame(
        {
            "Combination": frame["regimen"],
            "Outcome": frame["outcome"].map(OUTCOMES),
            "Courses with data, 2022+2026 studies": [
                f"{n} ({fmt_studies(k)})" if k else "0"
                for n, k in zip(frame["n_review"], frame["k_review"], strict=True)
            ],
            "Courses behind the 2026 paper's figure": frame["paper_n"].map(cell),
            "Missing: in our studies, not reported per combination": frame["not_per_regimen"].map(
                cell
            ),
            "Missing: in studies we do not hold": frame["not_held"].map(cell),
            "Courses with data now": frame["n_now"],
        }
    )


def studies_table(ds: Dataset) -> pd.DataFrame:
    """The included studies: id, citation, design, report type, population, disease, review.

    ``Unit of counts`` says, from the data, whether each study's analysed counts are of
    treatment courses or of patients (:func:`analysis.review.synthesis.study_units`).
    """
    arms = ds.arms.groupby("study_id")["regimen"].apply(
        lambda r: ", ".join(sorted(set(r) - {MIXED})) or MIXED
    )
    units = study_units(ds)
    table = ds.studies.assign(
        regimens=ds.studies["study_id"].map(arms).fillna(MISSING),
        units=[units.get(s, MISSING) for s in ds.studies["study_id"]],
    )
    table = table.sort_values(["review_version", "study_id"])
    return pd.DataFrame(
        {
            "Study": table["study_id"],
            "Citation": table["citation"],
            "Design": table["design"].str.replace("_", " "),
            "Report": table["publication_type"].str.replace("_", " "),
            "Population": table["population"].str.replace("_", " "),
            "Disease": table["disease"],
            "Regimens": table["regimens"],
            "Unit of counts": table["units"],
            "Review": table["review_version"],
            "Overlaps (excluded)": table["overlaps_with"].replace("", MISSING),
        }
    ).reset_index(drop=True)


def sensitivity_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per outcome x regimen, one column per method (% and 95% CI)."""
    cell = comparison.apply(fmt_row, axis=1)
    wide = comparison.assign(cell=cell).pivot_table(
        index=["outcome", "regimen"],
        columns="method_label",
        values="cell",
        aggfunc="first",
        sort=False,
    )
    order = list(dict.fromkeys(comparison["method_label"]))
    wide = wide[[c for c in order if c in wide.columns]].fillna(MISSING).reset_index()
    wide.columns.name = None
    rank = {o: i for i, o in enumerate(OUTCOMES)}
    wide = wide.assign(_o=wide["outcome"].map(rank), _any=wide["regimen"].eq("any"))
    wide = wide.sort_values(["_o", "_any", "regimen"], kind="stable").drop(columns=["_o", "_any"])
    wide = wide.reset_index(drop=True)
    first = comparison[comparison["method"] == comparison["method"].iloc[0]]
    k = first.set_index(["outcome", "regimen"])["k"]
    wide.insert(
        2,
        "k",
        [k.get((o, r), MISSING) for o, r in zip(wide["outcome"], wide["regimen"], strict=True)],
    )
    wide["outcome"] = wide["outcome"].map(OUTCOMES)
    return wide.rename(columns={"outcome": "Outcome", "regimen": "Regimen"})


def subgroup_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.robustness.subgroup_differences` as text."""
    return pd.DataFrame(
        {
            "Outcome": frame["outcome"].map(OUTCOMES),
            "Regimens": frame["regimens"],
            "Studies": frame["studies"],
            "Q-between": frame["q_between"].map(lambda q: MISSING if pd.isna(q) else f"{q:.2f}"),
            "df": frame["df"],
            "p": frame["p_value"].map(lambda p: MISSING if pd.isna(p) else fmt_p(p)),
            "Note": frame["message"],
        }
    )


def influence_display(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.robustness.influence_table` as text."""
    return pd.DataFrame(
        {
            "Outcome": frame["outcome"].map(OUTCOMES),
            "Regimen": frame["regimen"].map(regimen_label),
            "k": frame["k"],
            "Pooled % (95% CI)": [
                f"{fmt_pct(e)} ({fmt_interval(lo, hi)})"
                for e, lo, hi in zip(
                    frame["estimate"], frame["ci_low"], frame["ci_high"], strict=True
                )
            ],
            "Leave-one-out range": [
                fmt_interval(a, b) for a, b in zip(frame["loo_min"], frame["loo_max"], strict=True)
            ],
            "Most influential": frame["most_influential"],
            "Change (pp)": frame["change"].map(lambda c: f"{100 * c:.1f}"),
            "Flag": frame["influential"].map({True: "influential", False: ""}),
        },
        columns=[
            "Outcome",
            "Regimen",
            "k",
            "Pooled % (95% CI)",
            "Leave-one-out range",
            "Most influential",
            "Change (pp)",
            "Flag",
        ],
    )


def small_study_display(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.robustness.small_study_table` as text (p, or why not done)."""

    def cell(p, message):
        return message if pd.isna(p) else fmt_p(p)

    return pd.DataFrame(
        {
            "Outcome": frame["outcome"].map(OUTCOMES),
            "Regimen": frame["regimen"].map(regimen_label),
            "k": frame["k"],
            "Peters p": [
                cell(p, m) for p, m in zip(frame["peters_p"], frame["peters_message"], strict=True)
            ],
            "Egger p": [
                cell(p, m) for p, m in zip(frame["egger_p"], frame["egger_message"], strict=True)
            ],
        },
        columns=["Outcome", "Regimen", "k", "Peters p", "Egger p"],
    )


#: Short column names of the GRADE domains in :func:`grade_table`.
DOMAIN_COLUMNS = {
    "risk_of_bias": "RoB",
    "inconsistency": "Incons.",
    "indirectness": "Indir.",
    "imprecision": "Imprec.",
    "publication_bias": "Pub. bias",
}


def grade_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.certainty.certainty_frame` as a compact evidence profile.

    Columns: ``Combination``, ``Outcome``, ``Rate % (95% CI)`` (pooled counts as
    ``x/N (CI)``), ``Studies; courses`` (with their designs), one column per GRADE domain
    (:data:`DOMAIN_COLUMNS`: ``0``, ``−1`` or ``−2`` levels, ``†`` a manual override),
    ``Certainty`` (GRADE symbols and word) and ``Why downgraded`` (the reason of every
    downgrade or override, domain by domain).
    """
    records = []
    for r in frame.to_dict(orient="records"):
        rate = fmt_rate_cell(
            r["kind"] == "counts", r["events"], r["n"], r["estimate"], r["ci_low"], r["ci_high"]
        )
        designs = ", ".join(f"{n} {d.replace('_', ' ')}" for d, n in r["designs"].items())
        record = {
            "Combination": regimen_label(r["regimen"]),
            "Outcome": OUTCOMES[r["outcome"]],
            "Rate % (95% CI)": rate,
            "Studies; courses": f"{r['k']} ({designs}); {fmt_count(r['n'])}",
        }
        for domain, label in DOMAIN_COLUMNS.items():
            record[label] = ("0" if r[domain] == 0 else f"\u2212{r[domain]}") + (
                "\u2020" if r[f"{domain}_override"] else ""
            )
        record["Certainty"] = f"{SYMBOLS[r['level']]} {r['certainty']}"
        reasons = [
            f"{DOMAIN_COLUMNS[d]}: {r[f'{d}_reason']}"
            for d in DOMAINS
            if r[d] or r[f"{d}_override"]
        ]
        record["Why downgraded"] = "; ".join(reasons) or "not downgraded"
        records.append(record)
    return pd.DataFrame(records)


def grade_rules_table() -> pd.DataFrame:
    """The certainty rules, one sentence each, with their sources.

    Columns ``Domain``, ``Rule``, ``Source``: :data:`analysis.review.certainty.RULES` with
    the numbers of :func:`~analysis.publish.facts.rule_facts` filled in.
    """
    words = {key.removeprefix("rule_"): value for key, value in rule_facts().items()}
    return pd.DataFrame(
        [
            {"Domain": r.domain, "Rule": r.sentence.format(**words), "Source": r.source}
            for r in RULES
        ]
    )


def reproduction_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.reproduction.reproduction_frame` formatted for the book."""
    rows = []
    for r in frame.itertuples(index=False):
        published = f"{r.published_pct:.1f}%"
        if not pd.isna(r.published_ci_low_pct):
            published += f" ({r.published_ci_low_pct:.1f}\u2013{r.published_ci_high_pct:.1f}%)"
        trials = MISSING if pd.isna(r.published_trials) else str(int(r.published_trials))
        if not r.figure_trials_stated and trials != MISSING:
            trials = f"({trials})"
        ours = (
            MISSING
            if r.ours_k == 0
            else (
                f"{r.ours_pct:.1f}% ({r.ours_events}/{r.ours_n}; k={r.ours_k})"
                + (" \u2021" if r.from_review else "")
            )
        )
        primary = (
            MISSING
            if pd.isna(r.primary_pct)
            else (
                f"{fmt_pct(r.primary_pct / 100)} "
                f"({fmt_interval(r.primary_ci_low_pct / 100, r.primary_ci_high_pct / 100)})"
            )
        )
        rows.append(
            {
                "Review": r.review_label,
                "Outcome": outcome_label(r.outcome),
                "Regimen": r.regimen,
                "Published %": published,
                "Paper courses": trials,
                "Ours, as published": ours,
                "Difference": MISSING
                if pd.isna(r.difference_pp)
                else (
                    "0.0 pp" if abs(r.difference_pp) < ROUNDING else f"{r.difference_pp:+.1f} pp"
                ),
                "Ours, primary (95% CI)": primary,
                "Verdict": r.verdict,
                "Why": r.detail,
            }
        )
    return pd.DataFrame(rows)


def _subgroup_test(stat, df, p, name="Q") -> str:
    if pd.isna(p):
        return MISSING
    return f"{name} = {stat:.2f} ({df} df), p = {fmt_p(p)}"


def clinical_subgroup_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.subgroups.clinical_subgroups` as text (one row per subgroup).

    The three tests of each comparison (separate tau², common tau², t-based F) and the
    credibility of a difference (ICEMAN) sit on the comparison's first row.
    """
    rows = []
    first = ~frame.duplicated(["outcome", "factor"])
    for r, lead in zip(frame.itertuples(index=False), first, strict=True):
        if r.kind == "counts":
            rate = f"{r.events}/{fmt_count(r.n)} ({fmt_interval(r.ci_low, r.ci_high)}), no model"
        else:
            rate = f"{fmt_pct(r.estimate)} ({fmt_interval(r.ci_low, r.ci_high)})"
        f_df = f"{r.df}, {r.df2_t}"
        rows.append(
            {
                "Outcome": OUTCOMES[r.outcome] if lead else "",
                "Subgroup": r.subgroup,
                "Studies, courses": f"{r.k}, {fmt_count(r.n)}",
                "Rate (95% CI)": rate,
                "Separate \u03c4\u00b2": _subgroup_test(r.q_between, r.df, r.p_value)
                if lead
                else "",
                "Common \u03c4\u00b2": _subgroup_test(r.q_common, r.df, r.p_common) if lead else "",
                "t-based": _subgroup_test(r.f_t, f_df, r.p_t, "F") if lead else "",
                "Credibility (ICEMAN)": f"{r.credibility}: {r.credibility_reason}" if lead else "",
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "Outcome",
            "Subgroup",
            "Studies, courses",
            "Rate (95% CI)",
            "Separate \u03c4\u00b2",
            "Common \u03c4\u00b2",
            "t-based",
            "Credibility (ICEMAN)",
        ],
    )


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


def risk_of_bias_table(table: pd.DataFrame) -> pd.DataFrame:
    """Each study's risk-of-bias judgements with the source fragment behind each.

    Columns: ``Study``, ``Read`` (what the judgements rest on: abstract, full text, a
    secondary table), one per domain (``"high: <fragment>"``), ``Overall`` (the codebook's
    judgement over the domains, with why) and ``Notes``.
    """
    overall = study_risk(table)
    read = table["read"] if "read" in table else ""
    frame = pd.DataFrame({"Study": table["study_id"], "Read": read})
    for domain in ROB_DOMAINS:
        frame[domain.capitalize()] = [
            f"{j}: {support}" if support else j
            for j, support in zip(table[domain], table[f"{domain}_support"], strict=True)
        ]
    frame["Overall"] = table["study_id"].map(overall)
    if "overall_support" in table:
        frame["Overall"] = [
            f"{j}: {why}" if why else j
            for j, why in zip(frame["Overall"], table["overall_support"], strict=True)
        ]
    frame["Notes"] = table["notes"]
    return frame.sort_values("Study").reset_index(drop=True)


def prior_therapy_table(ds) -> pd.DataFrame:
    """Prior advanced therapy of each analysed study, as the source read states it (text).

    Columns: ``Study``, ``Refractory``, ``Prior advanced therapies``, the share previously
    exposed to anti-TNF, vedolizumab, ustekinumab and JAK inhibitors, ``Read`` and the
    ``Quote``; "not reported" where what we read is silent.
    """
    table = ds.prior_therapy
    words = {"yes": "yes", "no": "no (naive)", "not_reported": NOT_REPORTED}

    def pct(column):
        return [MISSING if pd.isna(v) else f"{v:.0f}%" for v in table[column]]

    return pd.DataFrame(
        {
            "Study": table["study_id"],
            "Refractory": table["refractory"].map(words).fillna(NOT_REPORTED),
            "Prior advanced therapies": table["prior_advanced_n"].replace("", NOT_REPORTED),
            "Anti-TNF": pct("prior_anti_tnf_pct"),
            "Vedolizumab": pct("prior_vedolizumab_pct"),
            "Ustekinumab": pct("prior_ustekinumab_pct"),
            "JAK inhibitor": pct("prior_jak_pct"),
            "Read": table["read"],
            "Quote": table["quote"],
        }
    ).sort_values("Study", ignore_index=True)
