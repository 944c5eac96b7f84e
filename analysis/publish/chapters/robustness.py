"""The Robustness chapter.

Subgroup differences between combinations, leave-one-out influence and small-study tests.
"""

from __future__ import annotations

import pandas as pd

from ...datapackage import Dataset
from ...review import robustness as rb
from ...review.robustness import INFLUENCE_THRESHOLD
from ...review.synthesis import OUTCOMES
from ..formatting import MISSING, fmt_count, fmt_interval, fmt_p, fmt_pct, regimen_label
from ..page import Page


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


def page(ds: Dataset) -> Page:
    """The Robustness chapter: :func:`robustness_facts` and its three tables.

    Tables ``subgroup_table``, ``influence_table`` and ``small_study_table``.
    """
    subgroups = rb.subgroup_differences(ds)
    influence = rb.influence_table(ds)
    small = rb.small_study_table(ds)
    page = Page("robustness", facts=robustness_facts(subgroups, influence, small))
    page.table("subgroup_table", subgroup_table(subgroups))
    page.table("influence_table", influence_display(influence))
    page.table("small_study_table", small_study_display(small))
    return page
