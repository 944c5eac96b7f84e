"""PRISMA 2020 flow diagrams from the counts in ``data/prisma.csv``.

``prisma.csv`` has one row per review version x stage (x exclusion reason):
``review_version, stage, count, reason, source, locator, notes``. A count is either stated
by a source (``source`` a DOI/URL, ``locator`` where) or, for this project's own updates,
computed from ``data/studies.csv`` at build time: ``source`` is ``data/studies.csv``, the
count cell is empty and ``locator`` is a filter such as ``review_version=living;
overlaps_with=`` (conditions joined by ``;``, alternatives by ``|``, ``column!=value`` for
"not equal", an empty value for an empty cell). A stage with no row, or with an empty count
and another source, was not reported: the diagram says so and nothing is guessed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths

#: Stages of the PRISMA 2020 flow (updated-review template), in order, with box wording.
STAGES = {
    "previous_studies": "Studies included in previous version of review",
    "identified": "Records identified from databases and registers",
    "duplicates_removed": "Records removed before screening (duplicates)",
    "screened": "Records screened",
    "excluded_screening": "Records excluded",
    "full_text_assessed": "Reports assessed for eligibility",
    "excluded_full_text": "Reports excluded",
    "new_studies": "New studies included in review",
    "new_reports": "Reports of new included studies",
    "included_studies": "Total studies included in review",
}
#: The review versions with a flow diagram, in order, and their titles.
VERSIONS = {
    "2022": "2022 review (Alayo et al.)",
    "2026": "2026 review (Anderson et al.)",
    "living": "First living update (search of 24 Nov 2026)",
    "living-2": "Second living update (search of 2 Dec 2026)",
}
#: Source value of counts computed from the studies table.
DERIVED_SOURCE = "data/studies.csv"


def read_prisma(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``prisma.csv`` (validated with the data package) with ``count`` as nullable integers."""
    path = Path(data_dir or paths.DATA) / "prisma.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["count"] = pd.to_numeric(table["count"].replace("", None)).astype("Int64")
    return table


def count_matching(studies: pd.DataFrame, rule: str) -> int:
    """Number of rows of ``studies`` matching a ``locator`` filter (see module docstring)."""
    mask = pd.Series(True, index=studies.index)
    for condition in filter(None, (c.strip() for c in rule.split(";"))):
        negate = "!=" in condition
        column, value = condition.split("!=" if negate else "=", 1)
        column = column.strip()
        if column not in studies:
            raise ValueError(f"unknown column {column!r} in PRISMA rule {rule!r}")
        hit = studies[column].fillna("").astype(str).str.strip().isin(value.split("|"))
        mask &= ~hit if negate else hit
    return int(mask.sum())


def prisma_counts(
    table: pd.DataFrame, review_version: str, studies: pd.DataFrame | None = None
) -> dict:
    """Counts of one review version, derived ones computed from ``studies``.

    Returns
    -------
    dict
        Stage -> int or ``None`` (not reported) for every stage of :data:`STAGES` except
        ``excluded_full_text``, plus ``"reasons"``: list of ``(reason, count or None)`` for
        full-text exclusions and ``"updated"``: whether the version updates a previous one
        (it has a ``previous_studies`` row).
    """
    rows = table[table["review_version"] == review_version]
    if rows.empty:
        raise ValueError(f"no PRISMA counts for review version {review_version!r}")
    counts: dict = {stage: None for stage in STAGES if stage != "excluded_full_text"}
    reasons = []
    for row in rows.itertuples(index=False):
        if row.source == DERIVED_SOURCE:
            if studies is None:
                raise ValueError("derived PRISMA counts need the studies table")
            value = count_matching(studies, row.locator)
        else:
            value = None if pd.isna(row.count) else int(row.count)
        if row.stage == "excluded_full_text":
            reasons.append((row.reason or "reason not stated", value))
        else:
            counts[row.stage] = value
    counts["reasons"] = reasons
    counts["updated"] = bool((rows["stage"] == "previous_studies").any())
    return counts


def read_search_log(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``search_log.csv``: one row per query of a living search (validated with the package)."""
    return pd.read_csv(Path(data_dir or paths.DATA) / "search_log.csv", dtype={"query": str})


def search_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Queries, records, candidates and exclusions per source and date (numbers).

    Returns
    -------
    DataFrame
        ``source, date_searched, queries, records_found, screened, included_candidates,
        excluded``.
    """
    return (
        log.groupby(["source", "date_searched"], sort=False)
        .agg(
            queries=("query", "size"),
            records_found=("records_found", "sum"),
            screened=("screened", "sum"),
            included_candidates=("included_candidates", "sum"),
            excluded=("excluded", "sum"),
        )
        .reset_index()
    )
