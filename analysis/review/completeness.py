"""How much of the 2026 paper's evidence our data hold, per regimen and outcome (numbers)."""

from __future__ import annotations

import pandas as pd

from ..datapackage import Dataset, as_of
from .synthesis import MIXED, OUTCOMES, outcome_rows, regimen_trials

#: Review versions whose studies are compared with the 2026 paper.
REVIEW_VERSIONS = ("2022", "2026")


def published_trials(ds: Dataset, review: str = "anderson2026") -> pd.Series:
    """Therapeutic trials per regimen stated by a published review (regimen -> TTs).

    A regimen's ``trials`` row is used where the review states one, else the largest
    ``trials`` figure of that regimen's outcome rows.
    """
    pub = ds.published[(ds.published["review"] == review) & (ds.published["regimen"] != "any")]
    pub = pub.dropna(subset=["trials"])
    stated = pub[pub["outcome"] == "trials"].set_index("regimen")["trials"]
    largest = pub.groupby("regimen")["trials"].max()
    return stated.combine_first(largest).astype("Int64")


def completeness_frame(ds: Dataset) -> pd.DataFrame:
    """Per regimen: what our data hold against the 2026 paper, and per outcome (numbers).

    The comparison with the paper is like for like: the studies of the 2022 and 2026
    reviews (``review_version`` 2022 or 2026) against the paper's therapeutic-trial counts;
    the living update's studies are counted separately.

    Returns
    -------
    DataFrame
        ``regimen, studies`` (all, overlaps removed), ``tts_review`` (TTs of the 2022+2026
        studies), ``tts_paper`` (the paper's count, ``<NA>`` where not stated),
        ``tts_missing`` (paper minus ours, floored at 0; ``<NA>`` where not stated),
        ``tts_now`` (all studies) and, per outcome, ``<outcome>_k`` and ``<outcome>_n``
        (studies and TTs with data in all studies; 0 where none).
    """
    now = regimen_trials(ds).set_index("regimen")
    review = regimen_trials(as_of(ds, REVIEW_VERSIONS)).set_index("regimen")
    paper = published_trials(ds)
    regimens = sorted(set(now.index) | set(review.index) | set(paper.index))
    per_outcome = {}
    for outcome in OUTCOMES:
        rows = outcome_rows(ds, outcome)
        rows = rows[rows["regimen"] != MIXED]
        per_outcome[outcome] = rows.groupby("regimen").agg(
            k=("study_id", "nunique"), n=("total", "sum")
        )

    def trials(table, regimen):
        return int(table.at[regimen, "trials"]) if regimen in table.index else 0

    records = []
    for regimen in regimens:
        target = paper.get(regimen, pd.NA)
        record = {
            "regimen": regimen,
            "studies": int(now.at[regimen, "studies"]) if regimen in now.index else 0,
            "tts_review": trials(review, regimen),
            "tts_paper": target,
            "tts_missing": (
                pd.NA if pd.isna(target) else max(int(target) - trials(review, regimen), 0)
            ),
            "tts_now": trials(now, regimen),
        }
        for outcome, table in per_outcome.items():
            have = regimen in table.index
            record[f"{outcome}_k"] = int(table.loc[regimen, "k"]) if have else 0
            record[f"{outcome}_n"] = int(table.loc[regimen, "n"]) if have else 0
        records.append(record)
    frame = pd.DataFrame(records)
    for column in ("tts_paper", "tts_missing"):
        frame[column] = frame[column].astype("Int64")
    return frame


def completeness_summary(frame: pd.DataFrame) -> dict:
    """How much of the paper's stated evidence the 2022+2026 studies recover (numbers).

    Returns
    -------
    dict
        ``paper_regimens`` (regimens with a stated count), ``tts_recovered`` (ours, capped
        at the paper's count per regimen), ``tts_paper_sum``, ``share`` (NaN if nothing is
        stated), ``regimens_complete`` (list), ``n_cells_missing`` (regimen x outcome cells
        with no data) and ``n_cells``.
    """
    stated = frame[frame["tts_paper"].notna()]
    paper = stated["tts_paper"].astype(int)
    recovered = stated["tts_review"].clip(upper=paper)
    counts = frame[[f"{o}_k" for o in OUTCOMES]]
    return {
        "paper_regimens": len(stated),
        "tts_recovered": int(recovered.sum()),
        "tts_paper_sum": int(paper.sum()),
        "share": recovered.sum() / paper.sum() if paper.sum() else float("nan"),
        "regimens_complete": stated.loc[stated["tts_review"] >= paper, "regimen"].tolist(),
        "n_cells_missing": int((counts == 0).to_numpy().sum()),
        "n_cells": int(counts.size),
    }


def _per_regimen(ds: Dataset, outcome: str) -> pd.DataFrame:
    """Studies (``k``) and courses (``n``) with the outcome, per single regimen."""
    rows = outcome_rows(ds, outcome)
    rows = rows[rows["regimen"] != MIXED]
    return rows.groupby("regimen").agg(k=("study_id", "nunique"), n=("total", "sum"))


def outcome_completeness(ds: Dataset, review: str = "anderson2026") -> pd.DataFrame:
    """Per regimen and outcome: the courses with data in our pools against the paper's figure.

    Like for like, the 2022 and 2026 studies (``review_version`` 2022 or 2026) are set
    against the courses behind each per-regimen figure the paper states; where courses are
    missing, they are split into those of our own studies that report the outcome only for
    the whole study (or not at all) and those of studies we do not hold.

    Returns
    -------
    DataFrame
        One row per regimen x outcome with data or a published figure: ``regimen, outcome,
        k_review, n_review`` (studies and courses with the outcome, 2022+2026 studies),
        ``k_now, n_now`` (all studies), ``paper_n`` (courses behind the paper's figure;
        ``<NA>`` where it states none), ``missing`` (paper minus ours), ``not_per_regimen``
        (courses of our 2022+2026 studies on the regimen without the outcome per
        regimen, capped at ``missing``) and ``not_held`` (the rest of ``missing``).
    """
    view = as_of(ds, REVIEW_VERSIONS)
    courses = regimen_trials(view).set_index("regimen")["trials"]
    pub = ds.published[
        (ds.published["review"] == review)
        & (ds.published["regimen"] != "any")
        & ds.published["outcome"].isin(list(OUTCOMES))
    ]
    records = []
    for outcome in OUTCOMES:
        then, now = _per_regimen(view, outcome), _per_regimen(ds, outcome)
        paper = pub[pub["outcome"] == outcome].set_index("regimen")["trials"]
        for regimen in sorted(set(then.index) | set(now.index) | set(paper.index)):
            n_review = int(then.at[regimen, "n"]) if regimen in then.index else 0
            target = paper.get(regimen, pd.NA)
            missing = pd.NA if pd.isna(target) else max(int(target) - n_review, 0)
            not_per = pd.NA
            if not pd.isna(missing):
                not_per = min(max(int(courses.get(regimen, 0)) - n_review, 0), missing)
            records.append(
                {
                    "regimen": regimen,
                    "outcome": outcome,
                    "k_review": int(then.at[regimen, "k"]) if regimen in then.index else 0,
                    "n_review": n_review,
                    "k_now": int(now.at[regimen, "k"]) if regimen in now.index else 0,
                    "n_now": int(now.at[regimen, "n"]) if regimen in now.index else 0,
                    "paper_n": target,
                    "missing": missing,
                    "not_per_regimen": not_per,
                    "not_held": pd.NA if pd.isna(missing) else missing - not_per,
                }
            )
    frame = pd.DataFrame(records)
    for column in ("paper_n", "missing", "not_per_regimen", "not_held"):
        frame[column] = frame[column].astype("Int64")
    return frame
