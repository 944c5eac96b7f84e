"""The Included studies appendix.

The studies, what they hold against the 2026 review, and how refractory their patients
were. :func:`dataset_facts` (the data package in numbers) is reused by the home page,
Methods and the Discussion.
"""

from __future__ import annotations

import pandas as pd

from ...datapackage import Dataset
from ...review.completeness import completeness_frame, completeness_summary, outcome_completeness
from ...review.synthesis import MIXED, OUTCOMES, regimen_trials, study_units
from ..formatting import MISSING, NONE, NOT_REPORTED, fmt_count, fmt_pct, fmt_studies
from ..page import Page


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
            "Disease": table["disease"].str.replace("_", " "),
            "Regimens": table["regimens"],
            "Unit of counts": table["units"],
            "Review": table["review_version"],
            "Overlaps (excluded)": table["overlaps_with"].replace("", MISSING),
        }
    ).reset_index(drop=True)


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


def population_facts(ds: Dataset) -> dict[str, str]:
    """How refractory the analysed studies' patients were, and whether a regression can run.

    Keys: ``pt_studies`` (analysed studies with a prior-therapy row), ``pt_refractory``,
    ``pt_naive``, ``pt_not_reported`` (studies by ``refractory``), ``pt_median_k`` (studies
    stating a median or mean number of prior advanced therapies), ``pt_regression`` (a
    sentence: the exploratory meta-regression run, or why not).
    """
    from ...review.population import MIN_K_REGRESSION, regression_feasible

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


def page(ds: Dataset) -> Page:
    """The Included studies appendix.

    Keys: :func:`dataset_facts`, :func:`completeness_facts`,
    :func:`outcome_completeness_facts` and :func:`population_facts`; tables
    ``studies_table``, ``completeness_table``, ``outcome_completeness_table`` and
    ``prior_therapy_table`` (interactive).
    """
    completeness = completeness_frame(ds)
    per_outcome = outcome_completeness(ds)
    page = Page("studies")
    page.facts = (
        dataset_facts(ds)
        | completeness_facts(completeness)
        | outcome_completeness_facts(per_outcome)
        | population_facts(ds)
    )
    page.table("studies_table", studies_table(ds))
    page.table("completeness_table", completeness_table(completeness))
    page.table("outcome_completeness_table", outcome_completeness_table(per_outcome))
    page.table("prior_therapy_table", prior_therapy_table(ds), interactive=True)
    return page
