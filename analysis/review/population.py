"""Which patients stand behind a pool: prior advanced therapy and refractoriness.

From ``data/prior_therapy.csv`` (one row per analysed study, each value with its quote): for
a combination x outcome pool, how many of its courses come from studies whose patients had
failed an advanced therapy (``refractory`` yes), from studies of naive patients (no), or
from studies that do not say (not reported in what we read); and the number of prior
advanced therapies where studies state a median or mean. An exploratory meta-regression of
the rate on that number is run only where enough studies state it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..datapackage import Dataset
from .synthesis import OUTCOMES, outcome_rows

#: Fewest studies stating a median number of prior advanced therapies for the exploratory
#: meta-regression of a pooled rate on it (a rule of thumb of about ten studies per
#: covariate is usual; with single-arm rates we ask at least five, and say it is exploratory).
MIN_K_REGRESSION = 5


@dataclass(frozen=True)
class PoolPopulation:
    """How refractory the patients behind one pool were.

    Attributes
    ----------
    courses : int
        Courses in the pool.
    refractory, naive, not_reported : int
        Courses from studies whose patients had failed an advanced therapy, were naive to
        advanced therapy, or whose prior therapy the source read does not report.
    prior_median : float or None
        Course-weighted mean of the studies' stated median (or mean) number of prior
        advanced therapies, over the studies that state one.
    k_prior : int
        Studies of the pool stating that number.
    """

    courses: int
    refractory: int
    naive: int
    not_reported: int
    prior_median: float | None
    k_prior: int

    def words(self) -> str:
        """A short caveat: ``'refractory: 40 of 52 courses; 12 not reported'``."""
        parts = [f"refractory {self.refractory} of {self.courses} courses"]
        if self.naive:
            parts.append(f"{self.naive} from advanced-therapy-naive patients")
        if self.not_reported:
            parts.append(f"{self.not_reported} not reported")
        text = "; ".join(parts)
        if self.prior_median is not None:
            text += (
                f"; median prior advanced therapies {self.prior_median:.1f} "
                f"({self.k_prior} {'study' if self.k_prior == 1 else 'studies'})"
            )
        return text


def prior_therapy(ds: Dataset) -> pd.DataFrame:
    """``prior_therapy.csv`` indexed by study (empty if the package has none)."""
    table = ds.prior_therapy
    if table is None or table.empty:
        return pd.DataFrame(columns=["refractory", "prior_advanced_median"])
    return table.set_index("study_id")


def pool_population(ds: Dataset, outcome: str, regimen: str | None = None) -> PoolPopulation:
    """:class:`PoolPopulation` of the analysed rows of one outcome (one regimen, or all)."""
    rows = outcome_rows(ds, outcome)
    if regimen is not None:
        rows = rows[rows["regimen"] == regimen]
    prior = prior_therapy(ds)
    status = rows["study_id"].map(prior["refractory"]).fillna("not_reported")
    totals = rows["total"].astype(float)
    median = pd.to_numeric(rows["study_id"].map(prior["prior_advanced_median"]), errors="coerce")
    stated = median.notna()
    return PoolPopulation(
        courses=int(totals.sum()),
        refractory=int(totals[status == "yes"].sum()),
        naive=int(totals[status == "no"].sum()),
        not_reported=int(totals[~status.isin(["yes", "no"])].sum()),
        prior_median=(
            float(np.average(median[stated], weights=totals[stated])) if stated.any() else None
        ),
        k_prior=int(rows.loc[stated, "study_id"].nunique()),
    )


def regression_feasible(ds: Dataset) -> dict[str, int]:
    """For each outcome, how many analysed studies state a median number of prior therapies.

    The exploratory meta-regression of the rate on that number needs
    :data:`MIN_K_REGRESSION` of them; the book reports the counts and runs none below it.
    """
    prior = prior_therapy(ds)
    stated = set(
        prior.index[pd.to_numeric(prior["prior_advanced_median"], errors="coerce").notna()]
    )
    return {
        outcome: len(set(outcome_rows(ds, outcome)["study_id"]) & stated) for outcome in OUTCOMES
    }
