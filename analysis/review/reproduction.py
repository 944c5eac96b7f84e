"""Reproduce the published reviews' per-regimen figures from our study-level data.

Every per-regimen pooled rate in ``data/published.csv`` (the 2026 paper's abstract and the
2022 review) is set against ours, computed from the evidence that review had: the 2022
review against our studies with ``review_version == "2022"``, the 2026 review against those
of 2022 and 2026 (the data of release 1.0.0, :func:`analysis.datapackage.views.as_of`). Each row
gives our rate under the method the paper most likely used (``as_published``: Freeman-Tukey
double arcsine with DerSimonian-Laird) and under our primary method, the difference, and
one of four verdicts (:data:`VERDICTS`):

* **recovered independently and matches**: our as-published rate, from counts none of which
  was taken from the 2026 review, rounds to the published figure with the same courses;
* **matches only because taken from the review**: it matches, but at least one count in
  the pool was worked back from the review itself (``kind = target_review``): a
  percentage turned into a count and back reproduces nothing;
* **differs**: we have data but a different figure, with the ``detail`` why (fewer
  courses than the paper: studies we lack; more courses; same courses but another method,
  definition or time point);
* **no data**: none of the rows we analyse reports that regimen x outcome (``detail`` says
  whether rows exist that we do not analyse, e.g. a time point outside dual therapy).
"""

from __future__ import annotations

import math

import pandas as pd

from ..datapackage import Dataset, as_of
from .settings import PRIMARY
from .synthesis import from_target_review, synthesise

#: Review -> (label, review versions of the evidence it had).
REVIEWS = {
    "anderson2026": ("Anderson 2026 (abstract)", ("2022", "2026")),
    "alayo2022": ("Alayo 2022", ("2022",)),
}
#: Published figures are rounded to one decimal of a percent.
ROUNDING = 0.05
#: The verdicts, in display order.
MATCH, CIRCULAR, DIFFERS, NO_DATA = (
    "recovered independently and matches",
    "matches only because taken from the review",
    "differs",
    "no data",
)
VERDICTS = (MATCH, CIRCULAR, DIFFERS, NO_DATA)


def reproduction_frame(ds: Dataset) -> pd.DataFrame:
    """One row per published per-regimen figure, with our numbers (full precision).

    Returns
    -------
    DataFrame
        ``review, review_label, outcome, regimen, published_pct, published_ci_low_pct,
        published_ci_high_pct, published_trials`` (the figure's courses, else the regimen's
        stated total), ``figure_trials_stated``, ``ours_pct`` (as published), ``ours_k``,
        ``ours_n``, ``ours_events``, ``from_review`` (counts of the pool taken from the
        review), ``primary_pct``, ``primary_ci_low_pct``, ``primary_ci_high_pct``,
        ``difference_pp`` (ours as published minus published), ``verdict``, ``detail``,
        ``evidence``.
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
            as_pub_syn, primary_syn = cache[row.outcome]
            as_pub = as_pub_syn.pools.get(row.regimen)
            primary = primary_syn.pools.get(row.regimen)
            used = as_pub_syn.regimen_rows[as_pub_syn.regimen_rows["regimen"] == row.regimen]
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
                "from_review": int(from_target_review(used).sum()),
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
            unused = _unanalysed_rows(view, row.outcome, row.regimen)
            record["verdict"], record["detail"] = _verdict(record, unused)
            records.append(record)
    return pd.DataFrame.from_records(records)


def _unanalysed_rows(ds: Dataset, outcome: str, regimen: str) -> int:
    """Rows of a regimen x outcome that exist in the data but are not analysed."""
    arms = ds.arms.loc[ds.arms["regimen"] == regimen, "arm_id"]
    rows = ds.outcomes[
        (ds.outcomes["outcome"] == outcome)
        & ~ds.outcomes["analysed"]
        & ds.outcomes["arm_id"].isin(arms)
    ]
    return len(rows)


def _verdict(r: dict, unused: int) -> tuple[str, str]:
    """The verdict of one published figure and why, in words."""
    if r["ours_k"] == 0:
        if unused > 0:
            return NO_DATA, (
                "we hold rows for it but analyse none (their time point or "
                "definition does not fit; see their notes)"
            )
        target = r["published_trials"]
        where = "" if pd.isna(target) else f" of the paper's {int(target)} courses"
        return NO_DATA, f"none{where} in the sources we could read"
    same = abs(r["difference_pp"]) < ROUNDING
    target = r["published_trials"]
    n = r["ours_n"]
    if same and (pd.isna(target) or n == int(target)):
        if r["from_review"]:
            which = (
                "our only count"
                if r["ours_k"] == 1
                else f"{r['from_review']} of our {r['ours_k']} counts"
            )
            return CIRCULAR, f"{which} was worked back from the review's own figure"
        return MATCH, f"{r['ours_events']}/{n} courses"
    if not pd.isna(target) and n < int(target):
        return DIFFERS, f"studies we lack: our {n} vs the paper's {int(target)} courses"
    if not pd.isna(target) and n > int(target):
        return DIFFERS, f"more data: our {n} vs the paper's {int(target)} courses"
    return DIFFERS, "same courses, another figure: method, definition or time point differs"
