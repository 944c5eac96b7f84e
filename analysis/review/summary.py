"""Summary of findings: every combination x outcome, its rate, evidence and certainty (numbers).

Combinations are every regimen of ``regimens.csv`` that has an arm in the data or a figure in
the 2026 review, so a combination with no efficacy (or no safety) data still gets its row.
"""

from __future__ import annotations

import re

import pandas as pd

from ..datapackage import Dataset
from .certainty import certainty_frame
from .settings import PRIMARY
from .synthesis import MIXED, OUTCOMES, synthesise

#: The 2026 review whose figures are shown beside ours.
PAPER = "anderson2026"


def combinations(ds: Dataset) -> list[str]:
    """Regimens with an arm in the data (superseded reports included) or a 2026 figure.

    In the order of ``regimens.csv``.
    """
    held = set(ds.arms.loc[ds.arms["regimen"] != MIXED, "regimen"])
    published = set(ds.published.loc[ds.published["review"] == PAPER, "regimen"])
    return [r for r in ds.regimens["regimen"] if r in held | published]


def slug(regimen: str) -> str:
    """The page name of a combination: ``'VDZ+UST' -> 'vdz-ust'``."""
    return re.sub(r"[^a-z0-9]+", "-", regimen.lower()).strip("-")


def summary_of_findings(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """One row per combination x outcome.

    Returns
    -------
    DataFrame
        ``regimen, outcome, kind`` (the result's kind, or ``""`` without data), ``k, n,
        events, estimate, ci_low, ci_high, level`` (certainty 1-4, ``<NA>`` without data),
        ``certainty``, ``paper_pct`` and ``paper_n`` (the 2026 review's figure and its
        courses where it states them), ``marks`` (marked studies of the pool).
    """
    pools = {o: synthesise(ds, o, method) for o in OUTCOMES}
    grade = certainty_frame(ds, method=method).set_index(["regimen", "outcome"])
    paper = ds.published[(ds.published["review"] == PAPER)].set_index(["regimen", "outcome"])
    records = []
    for regimen in combinations(ds):
        for outcome, syn in pools.items():
            pool = syn.pools.get(regimen)
            record = {
                "regimen": regimen,
                "outcome": outcome,
                "kind": "",
                "k": 0,
                "n": 0,
                "events": 0,
                "estimate": float("nan"),
                "ci_low": float("nan"),
                "ci_high": float("nan"),
                "level": pd.NA,
                "certainty": "",
                "marks": "",
            }
            if pool is not None:
                record.update(
                    kind=pool.kind,
                    k=pool.k,
                    n=pool.n_total,
                    events=pool.events_total,
                    estimate=pool.estimate,
                    ci_low=pool.ci_low,
                    ci_high=pool.ci_high,
                    marks=syn.pool_marks(regimen),
                )
                if (regimen, outcome) in grade.index:
                    row = grade.loc[(regimen, outcome)]
                    record.update(level=int(row["level"]), certainty=row["certainty"])
            if (regimen, outcome) in paper.index:
                figure = paper.loc[(regimen, outcome)]
                record.update(paper_pct=figure["estimate_pct"], paper_n=figure["trials"])
            records.append(record)
    frame = pd.DataFrame(records)
    for column in ("paper_pct", "paper_n"):
        if column not in frame:
            frame[column] = float("nan")
    frame["level"] = frame["level"].astype("Int64")
    frame["paper_n"] = frame["paper_n"].astype("Int64")
    return frame
