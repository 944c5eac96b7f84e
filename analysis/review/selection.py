"""Study selection: the PRISMA 2020 flow of every search, computed from the data package.

Two kinds of search are in ``data/searches.csv``:

* the published reviews' searches (``records`` = ``stated``): their counts are those their
  reports state (``data/prisma.csv``, each with source and locator); a stage no source
  states is ``None`` ("not reported"), and new studies = included - previous where both
  are stated;
* each living round (``records`` = ``recorded``, ``re-recorded`` or ``not_recorded``):
  every count is computed from the record-level rows (``search_queries.csv``, one per
  query; ``search_records.csv``, one per record a query returned) and from the studies
  table. Nothing is typed or summed by hand. A record met before (earlier in the round,
  or in an earlier round) is a duplicate, found by its ``record_id``; the first sighting
  carries the decision. A round whose records were not kept has ``None`` for every
  record count, and the book says so.

Queries of method ``database`` or ``register`` form PRISMA's left column ("databases and
registers"); ``citation``, ``website`` and ``other`` its right column ("other methods").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..datapackage import Dataset, studies_within

#: PRISMA 2020 box wording of each stage.
STAGES = {
    "previous_studies": "Studies included in previous version of review",
    "identified": "Records identified from databases and registers",
    "duplicates_removed": "Records removed before screening (duplicates)",
    "screened": "Records screened",
    "excluded_screening": "Records excluded",
    "not_retrieved": "Reports not retrieved",
    "full_text_assessed": "Reports assessed for eligibility",
    "excluded_full_text": "Reports excluded",
    "other_identified": "Records identified from other methods",
    "other_duplicates": "Records from other methods met before",
    "other_screened": "Records from other methods screened",
    "other_excluded": "Records from other methods excluded",
    "other_assessed": "Reports from other methods assessed for eligibility",
    "new_studies": "New studies included in review",
    "new_reports": "Reports of new included studies",
    "included_studies": "Total studies included in review",
}
#: Query methods of PRISMA's left column; the others are "other methods".
DATABASE_METHODS = ("database", "register")
#: How a search's records are known (``searches.records``) -> whether rows exist.
RECORDED = ("recorded", "re-recorded")


@dataclass(frozen=True)
class SearchFlow:
    """The PRISMA 2020 flow of one search.

    Attributes
    ----------
    search_id, review_version, date, records : str
        As in ``searches.csv`` (``records``: stated, recorded, re-recorded, not_recorded).
    round : int or None
        The living round (None for a published review's search).
    counts : dict
        Stage (:data:`STAGES`) -> int, or None where not reported / not recorded.
    reasons : list of (str, int)
        Reports excluded after assessment, by reason (both columns), most frequent first.
    screening_reasons : list of (str, int)
        Records excluded at screening, by reason (both columns), most frequent first.
    queries : DataFrame
        Queries per method and family: ``method, family, queries, records``.
    new_study_ids : list of str
        Studies first included by this search that no later report supersedes.
    updated : bool
        Whether it updates a previous version (draws the updated-review template).
    notes : str
        ``searches.notes``.
    """

    search_id: str
    review_version: str
    round: int | None
    date: str
    records: str
    counts: dict
    reasons: list = field(default_factory=list)
    screening_reasons: list = field(default_factory=list)
    queries: pd.DataFrame = field(default_factory=pd.DataFrame)
    new_study_ids: list = field(default_factory=list)
    updated: bool = True
    notes: str = ""

    @property
    def kept(self) -> bool:
        """Whether record-level rows exist for this search."""
        return self.records in RECORDED


def found_by(studies: pd.DataFrame, date: str) -> pd.DataFrame:
    """The studies found by the searches up to ``date``, superseded only among themselves."""
    return studies_within(studies[studies["search_date"] <= date])


def _study_counts(studies: pd.DataFrame, date: str, previous_date: str | None) -> dict:
    """Previous, new and total studies of a search ending on ``date``, from studies.csv."""
    found = found_by(studies, date)
    counts = {
        "new_reports": int((studies["search_date"] == date).sum()),
        "new_studies": len(_new_studies(studies, date)),
        "included_studies": int(found["overlaps_with"].eq("").sum()),
    }
    if previous_date is not None:
        counts["previous_studies"] = int(
            found_by(studies, previous_date)["overlaps_with"].eq("").sum()
        )
    return counts


def _new_studies(studies: pd.DataFrame, date: str) -> list[str]:
    """Studies first found by the search ending on ``date`` that no report of it supersedes."""
    found = found_by(studies, date)
    return sorted(
        found.loc[(found["search_date"] == date) & found["overlaps_with"].eq(""), "study_id"]
    )


def record_sightings(ds: Dataset) -> pd.DataFrame:
    """Every record row in search order, with its first-sighting decision and duplicate flag.

    Returns
    -------
    DataFrame
        ``search_records`` joined to its query's ``method`` and ``family``, ordered by round,
        query order and rank, plus ``duplicate`` (the record was met before) and
        ``final_decision`` / ``final_reason`` (those of its first sighting).
    """
    queries = ds.search_queries.reset_index(drop=True)
    order = pd.Series(range(len(queries)), index=queries["query_id"])
    rows = ds.search_records.merge(
        queries[["query_id", "method", "family"]], on="query_id", how="left"
    )
    rows = rows.assign(_order=rows["query_id"].map(order))
    rows = rows.sort_values(["round", "_order", "rank"], kind="stable").reset_index(drop=True)
    rows["duplicate"] = rows["record_id"].duplicated()
    first = rows[~rows["duplicate"]].set_index("record_id")
    rows["final_decision"] = rows["record_id"].map(first["decision"])
    rows["final_reason"] = rows["record_id"].map(first["reason"])
    return rows.drop(columns="_order")


def _tally(series: pd.Series) -> list[tuple[str, int]]:
    counts = series.value_counts()
    return [(str(reason), int(n)) for reason, n in counts.items()]


def _round_counts(rows: pd.DataFrame) -> tuple[dict, list, list]:
    """Record counts of one round's sightings (see :func:`record_sightings`)."""
    left = rows["method"].isin(DATABASE_METHODS)
    new = ~rows["duplicate"]
    decision = rows["final_decision"]
    assessed = new & decision.isin(["ineligible", "included"])
    counts = {
        "identified": int(left.sum()),
        "duplicates_removed": int((left & ~new).sum()),
        "screened": int((left & new).sum()),
        "excluded_screening": int((left & new & (decision == "excluded")).sum()),
        "not_retrieved": int((new & (decision == "not_retrieved")).sum()),
        "full_text_assessed": int((left & assessed).sum()),
        "other_identified": int((~left).sum()),
        "other_duplicates": int((~left & ~new).sum()),
        "other_screened": int((~left & new).sum()),
        "other_excluded": int((~left & new & (decision == "excluded")).sum()),
        "other_assessed": int((~left & assessed).sum()),
        "included_records": int((new & (decision == "included")).sum()),
    }
    reasons = _tally(rows.loc[new & (decision == "ineligible"), "final_reason"])
    screening = _tally(rows.loc[new & (decision == "excluded"), "final_reason"])
    return counts, reasons, screening


def _query_table(ds: Dataset, number: int, rows: pd.DataFrame) -> pd.DataFrame:
    queries = ds.search_queries[ds.search_queries["round"] == number]
    per_query = rows.groupby("query_id").size()
    table = queries.assign(records=queries["query_id"].map(per_query).fillna(0).astype(int))
    return (
        table.groupby(["method", "family"], sort=False)
        .agg(queries=("query_id", "size"), records=("records", "sum"))
        .reset_index()
    )


def _published_flow(ds: Dataset, search) -> SearchFlow:
    rows = ds.prisma[ds.prisma["review_version"] == search.review_version]
    counts: dict = {stage: None for stage in STAGES}
    reasons = []
    for row in rows.itertuples(index=False):
        value = None if pd.isna(row.count) else int(row.count)
        if row.stage == "excluded_full_text":
            reasons.append((row.reason or "reason not stated", value))
        else:
            counts[row.stage] = value
    previous, total = counts["previous_studies"], counts["included_studies"]
    if counts["new_studies"] is None and previous is not None and total is not None:
        counts["new_studies"] = total - previous  # computed: previous + new = total
    return SearchFlow(
        search_id=search.search_id,
        review_version=search.review_version,
        round=None,
        date=search.date,
        records=search.records,
        counts=counts,
        reasons=reasons,
        updated=previous is not None,
        notes=search.notes,
    )


def search_flows(ds: Dataset) -> list[SearchFlow]:
    """The PRISMA flow of every search of ``searches.csv``, in date order.

    Parameters
    ----------
    ds : Dataset
        The data package (its ``searches``, ``search_queries``, ``search_records``,
        ``prisma`` and ``studies`` tables).

    Returns
    -------
    list of SearchFlow
        Published reviews' searches with their stated counts; living rounds with counts
        computed from their records (``None`` where a round's records were not kept) and
        study counts computed from ``studies.csv``.
    """
    searches = ds.searches.sort_values("date").reset_index(drop=True)
    sightings = record_sightings(ds) if len(ds.search_records) else None
    flows, previous_date = [], None
    for search in searches.itertuples(index=False):
        if search.records == "stated":
            flows.append(_published_flow(ds, search))
            previous_date = search.date
            continue
        number = int(search.round)
        counts: dict = {stage: None for stage in STAGES}
        counts |= _study_counts(ds.studies, search.date, previous_date)
        reasons, screening = [], []
        rows = (
            sightings[sightings["round"] == number]
            if sightings is not None
            else pd.DataFrame(columns=["query_id"])
        )
        if search.records in RECORDED and sightings is not None:
            record_counts, reasons, screening = _round_counts(rows)
            counts |= {k: v for k, v in record_counts.items() if k in STAGES}
        flows.append(
            SearchFlow(
                search_id=search.search_id,
                review_version=search.review_version,
                round=number,
                date=search.date,
                records=search.records,
                counts=counts,
                reasons=reasons,
                screening_reasons=screening,
                queries=_query_table(ds, number, rows),
                new_study_ids=_new_studies(ds.studies, search.date),
                notes=search.notes,
            )
        )
        previous_date = search.date
    return flows


def living_rounds(ds: Dataset) -> list[SearchFlow]:
    """The living search rounds' flows (:func:`search_flows` with a round), in order."""
    return [flow for flow in search_flows(ds) if flow.round is not None]
