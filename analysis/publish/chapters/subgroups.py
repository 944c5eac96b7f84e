"""The Clinical subgroups chapter.

Crohn's disease against ulcerative colitis, adults against children, with three tests
and the credibility of a difference (ICEMAN).
"""

from __future__ import annotations

import pandas as pd

from ...datapackage import Dataset
from ...review.settings import MIN_K_SUBGROUP, SUBGROUP_ALPHA
from ...review.subgroups import clinical_subgroups
from ...review.synthesis import OUTCOMES
from ..formatting import (
    MISSING,
    NONE,
    fmt_count,
    fmt_interval,
    fmt_list,
    fmt_p,
    fmt_pct,
    outcome_label,
)
from ..page import Page


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
        "sg_significant": fmt_list(listed) if listed else NONE,
        "sg_n_no_claim": fmt_count(int((~tests["claim"].astype(bool)).sum())),
        "sg_n_low": fmt_count(int((tests["credibility"] == "low").sum())),
        "sg_min_k": str(MIN_K_SUBGROUP),
        "sg_alpha": f"{SUBGROUP_ALPHA:g}",
    }


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


def page(ds: Dataset) -> Page:
    """The Clinical subgroups chapter: :func:`subgroup_facts` and ``subgroup_table``."""
    frame = clinical_subgroups(ds)
    page = Page("subgroups", facts=subgroup_facts(frame))
    page.table("subgroup_table", clinical_subgroup_table(frame))
    return page
