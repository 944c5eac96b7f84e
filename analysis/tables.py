"""Tables of the book, as DataFrames of formatted text (rounding happens here)."""

from __future__ import annotations

import pandas as pd

from .dataset import Dataset
from .formatting import fmt_count, fmt_i2, fmt_interval, fmt_pct
from .synthesis import MIXED, OUTCOMES, RegimenSynthesis, outcome_rows, regimen_trials

#: Shown where a number is missing from every source we have.
MISSING = "\u2014"
#: Review versions whose studies are compared with the 2026 paper.
REVIEW_VERSIONS = ("2022", "2026")


def summary_table(syn: RegimenSynthesis) -> pd.DataFrame:
    """One row per regimen: studies, TTs, pooled % (95% CI), 95% PI and I².

    The last row is the any-combination pool (mixed whole-study arms included); regimens
    whose model could not be fitted are listed with the reason.
    """
    rows = []
    items = list(syn.pools.items())
    if syn.any_combination is not None:
        items.append(("Any combination", syn.any_combination))
    for regimen, pool in items:
        rows.append({
            "Regimen": regimen,
            "Studies": pool.k,
            "TTs": fmt_count(pool.n_total),
            "Events": fmt_count(pool.events_total),
            "Pooled % (95% CI)": f"{fmt_pct(pool.estimate)} ({fmt_interval(pool.ci_low, pool.ci_high)})",
            "95% PI": fmt_interval(pool.pi_low, pool.pi_high) if pool.k >= 3 else MISSING,
            "I²": fmt_i2(pool),
            "Model": model_note(pool),
        })
    for regimen, reason in syn.failures.items():
        rows.append({"Regimen": regimen, "Studies": MISSING, "TTs": MISSING, "Events": MISSING,
                     "Pooled % (95% CI)": "not estimable", "95% PI": MISSING,
                     "I²": MISSING, "Model": reason})
    return pd.DataFrame(rows)


def model_note(pool) -> str:
    """What produced a pooled row: the method, a single study, or a visible GLMM fallback."""
    if pool.k == 1 and pool.method.single_study == "exact":
        return "single study (exact CI)"
    if pool.fallback:
        return f"{pool.method.label} (GLMM not estimable)"
    return pool.method.label


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


def completeness_table(ds: Dataset) -> pd.DataFrame:
    """Per regimen: what our data hold against the 2026 paper, and which outcomes are missing.

    The comparison with the paper is like for like: the studies of the 2022 and 2026
    reviews (``review_version`` 2022 or 2026) against the paper's therapeutic-trial counts;
    the living update's studies are counted separately.

    Columns: ``Regimen``; ``Studies`` (all, overlaps removed); ``TTs, 2022+2026 studies``;
    ``TTs, 2026 paper``; ``TTs missing`` (paper minus ours, where the paper states its
    count); ``TTs now`` (all studies, living update included); and, per outcome, ``k/TTs``
    with data in all studies (a dash where no source states the outcome for that regimen).
    """
    from .releases import as_of

    now = regimen_trials(ds).set_index("regimen")
    review = regimen_trials(as_of(ds, REVIEW_VERSIONS)).set_index("regimen")
    paper = published_trials(ds)
    regimens = sorted(set(now.index) | set(review.index) | set(paper.index))
    per_outcome = {}
    for outcome in OUTCOMES:
        rows = outcome_rows(ds, outcome)
        rows = rows[rows["regimen"] != MIXED]
        per_outcome[outcome] = rows.groupby("regimen").agg(
            k=("study_id", "nunique"), n=("total", "sum"))

    def trials(table, regimen):
        return int(table.at[regimen, "trials"]) if regimen in table.index else 0

    records = []
    for regimen in regimens:
        target = paper.get(regimen, pd.NA)
        record = {
            "Regimen": regimen,
            "Studies": int(now.at[regimen, "studies"]) if regimen in now.index else 0,
            "TTs, 2022+2026 studies": trials(review, regimen),
            "TTs, 2026 paper": MISSING if pd.isna(target) else int(target),
            "TTs missing": (MISSING if pd.isna(target)
                            else max(int(target) - trials(review, regimen), 0)),
            "TTs now": trials(now, regimen),
        }
        for outcome, table in per_outcome.items():
            record[OUTCOMES[outcome]] = (f"{table.loc[regimen, 'k']}/{table.loc[regimen, 'n']}"
                                         if regimen in table.index else MISSING)
        records.append(record)
    return pd.DataFrame(records)


def studies_table(ds: Dataset) -> pd.DataFrame:
    """The included studies: id, citation, design, report type, population, disease, review."""
    arms = ds.arms.groupby("study_id")["regimen"].apply(
        lambda r: ", ".join(sorted(set(r) - {MIXED})) or MIXED)
    table = ds.studies.assign(regimens=ds.studies["study_id"].map(arms).fillna(MISSING))
    table = table.sort_values(["review_version", "study_id"])
    return pd.DataFrame({
        "Study": table["study_id"],
        "Citation": table["citation"],
        "Design": table["design"].str.replace("_", " "),
        "Report": table["publication_type"].str.replace("_", " "),
        "Population": table["population"].str.replace("_", " "),
        "Disease": table["disease"],
        "Regimens": table["regimens"],
        "Review": table["review_version"],
        "Overlaps (excluded)": table["overlaps_with"].replace("", MISSING),
    }).reset_index(drop=True)
