"""Reproduce the published reviews' per-regimen figures from our study-level data.

Every per-regimen pooled rate in ``data/published.csv`` (the 2026 paper's abstract and the
2022 review) is set against ours, computed from the evidence that review had: the 2022
review against our studies with ``review_version == "2022"``, the 2026 review against those
of 2022 and 2026 (the data of release 1.0.0, :func:`analysis.datapackage.views.as_of`). Each row
gives our rate under the method the paper most likely used (``as_published``: Freeman-Tukey
double arcsine with DerSimonian-Laird) and under our primary method, the difference, and
its reason:

* ``match``: same TTs, and our as-published rate rounds to the published figure;
* ``missing studies``: we hold fewer TTs than the paper for that regimen (our n vs theirs);
* ``more data``: we hold more TTs than the paper states;
* ``method or data``: same TTs but a different figure (a definition, time point or method
  differs);
* ``no data``: none of our sources reports that regimen x outcome.
"""

from __future__ import annotations

import math

import pandas as pd

from ..datapackage import Dataset, as_of
from .settings import PRIMARY
from .synthesis import synthesise

#: Review -> (label, review versions of the evidence it had).
REVIEWS = {
    "anderson2026": ("Anderson 2026 (abstract)", ("2022", "2026")),
    "alayo2022": ("Alayo 2022", ("2022",)),
}
#: Published figures are rounded to one decimal of a percent.
ROUNDING = 0.05


def reproduction_frame(ds: Dataset) -> pd.DataFrame:
    """One row per published per-regimen figure, with our numbers (full precision).

    Returns
    -------
    DataFrame
        ``review, outcome, regimen, published_pct, published_ci_low_pct,
        published_ci_high_pct, published_trials`` (the figure's TTs, else the regimen's
        stated total), ``ours_pct`` (as published), ``ours_k``, ``ours_n``, ``ours_events``,
        ``primary_pct``, ``primary_ci_low_pct``, ``primary_ci_high_pct``,
        ``difference_pp`` (ours as published minus published), ``reason``, ``evidence``.
    """
    pub = ds.published[(ds.published["regimen"] != "any") & (ds.published["outcome"] != "trials")]
    records = []
    for review, (label, versions) in REVIEWS.items():
        rows = pub[pub["review"] == review]
        if rows.empty:
            continue
        view = as_of(ds, versions)
        stated = ds.published[
            (ds.published["review"] == review) & (ds.published["outcome"] == "trials")
        ].set_index("regimen")
        cache = {}
        for row in rows.itertuples(index=False):
            if row.outcome not in cache:
                cache[row.outcome] = (
                    synthesise(view, row.outcome, "as_published"),
                    synthesise(view, row.outcome, PRIMARY),
                )
            as_pub, primary = (syn.pools.get(row.regimen) for syn in cache[row.outcome])
            trials = row.trials
            if pd.isna(trials) and row.regimen in stated.index:
                trials = stated.loc[row.regimen, "trials"]
            record = {
                "review": review,
                "review_label": label,
                "outcome": row.outcome,
                "regimen": row.regimen,
                "published_pct": row.estimate_pct,
                "published_ci_low_pct": row.ci_low_pct,
                "published_ci_high_pct": row.ci_high_pct,
                "published_trials": trials,
                "figure_trials_stated": not pd.isna(row.trials),
                "evidence": " + ".join(versions) + " studies",
            }
            if as_pub is None:
                record.update(
                    ours_pct=math.nan, ours_k=0, ours_n=0, ours_events=0, difference_pp=math.nan
                )
            else:
                record.update(
                    ours_pct=100 * as_pub.estimate,
                    ours_k=as_pub.k,
                    ours_n=as_pub.n_total,
                    ours_events=as_pub.events_total,
                    difference_pp=100 * as_pub.estimate - row.estimate_pct,
                )
            if primary is None:
                record.update(
                    primary_pct=math.nan, primary_ci_low_pct=math.nan, primary_ci_high_pct=math.nan
                )
            else:
                record.update(
                    primary_pct=100 * primary.estimate,
                    primary_ci_low_pct=100 * primary.ci_low,
                    primary_ci_high_pct=100 * primary.ci_high,
                )
            record["reason"] = _reason(record)
            records.append(record)
    return pd.DataFrame.from_records(records)


def _reason(r: dict) -> str:
    if r["ours_k"] == 0:
        return "no data"
    n, target = r["ours_n"], r["published_trials"]
    if pd.isna(target):
        if abs(r["difference_pp"]) < ROUNDING:
            return "match"
        return "method or data"
    target = int(target)
    if n < target:
        return "missing studies"
    if n > target:
        return "more data"
    return "match" if abs(r["difference_pp"]) < ROUNDING else "method or data"
