"""The Reproduction chapter.

The published reviews' figures against ours, with a verdict that says whether a match was
recovered or only taken from the review.
"""

from __future__ import annotations

import pandas as pd

from ...datapackage import Dataset
from ...review.reproduction import CIRCULAR, DIFFERS, MATCH, NO_DATA, ROUNDING, reproduction_frame
from ..formatting import MISSING, NONE, fmt_interval, fmt_list, fmt_pct, outcome_label
from ..page import Page


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
            fmt_list(
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


def page(ds: Dataset) -> Page:
    """The Reproduction chapter: :func:`reproduction_facts` and ``reproduction_table``."""
    frame = reproduction_frame(ds)
    page = Page("reproduction", facts=reproduction_facts(frame))
    page.table("reproduction_table", reproduction_table(frame))
    return page
