"""Releases of the living review: version rule, snapshots of every pooled result, diffs.

A *release* is a row of ``data/releases.csv`` plus two snapshot files written when it was
made:

* ``data/snapshots/<version>.csv``: every pooled result (:func:`analysis.results_table`,
  primary and as-published methods) with its stable ``result_id``
  (``outcome/regimen/method``, e.g. ``ae/VDZ+aTNF/primary``);
* ``data/snapshots/<version>-studies.csv``: the studies the release held.

Versioning rule (Metapsy-style semantic versions, :func:`classify_change`):

* **MAJOR**: a new literature search (the release's ``search_date`` differs from the
  previous release's);
* **MINOR**: the data changed without a new search (a study added, removed or corrected,
  or any pooled value moved);
* **PATCH**: no pooled value and no study changed (text, code or presentation only).

A snapshot is computed from the data *as they stood at that release*. Release 1.0.0 (the
evidence of the 2022 and 2026 reviews as rebuilt, search to 31 January 2024) predates this
project's living searches, so it is derived from the current data package by keeping the
studies whose ``review_version`` is not ``living``
(:func:`analysis.datapackage.views.as_of`); every later release is
computed from the data package of its day.

Each snapshot carries an *evidence fingerprint*
(:func:`analysis.datapackage.fingerprint`, the package's one data identity).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from .. import paths
from ..datapackage import Dataset, read_table, schema_fields
from ..datapackage.descriptor import read_descriptor, write_descriptor
from ..review.settings import PRIMARY
from ..review.synthesis import results_table, superseded_by

#: Columns of ``data/releases.csv``.
RELEASE_COLUMNS = (
    "version",
    "date",
    "search_date",
    "review_version",
    "change",
    "data_sha256",
    "site",
    "commit",
    "summary",
)
#: Values of the ``site`` column: built from the git tag ``v<version>``, or no site of its
#: own (the release exists as its snapshots only).
SITES = ("tagged", "none")
#: Values of the ``change`` column.
CHANGES = ("major", "minor", "patch")
#: Columns of a results snapshot (as :func:`analysis.results_table`), of a rows snapshot
#: (every analysed outcome row as it stood at the release) and of a studies snapshot: the
#: shared schemas of ``data/schemas/`` define them once.
SNAPSHOT_COLUMNS = schema_fields("schemas/snapshot-results.json")
ROW_COLUMNS = schema_fields("schemas/snapshot-rows.json")
STUDY_COLUMNS = schema_fields("schemas/snapshot-studies.json")
#: An estimate or CI bound that moves by less than this (absolute, 0-1 scale) has not
#: moved: 0.05 percentage points, below the one-decimal rounding of the book.
TOLERANCE = 5e-4

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse_version(version: str) -> tuple[int, int, int]:
    """Split ``'MAJOR.MINOR.PATCH'`` into integers.

    Raises
    ------
    ValueError
        If ``version`` is not three dot-separated non-negative integers.
    """
    match = _VERSION.match(str(version).strip())
    if not match:
        raise ValueError(f"not a MAJOR.MINOR.PATCH version: {version!r}")
    return tuple(int(part) for part in match.groups())


def bump(version: str | None, change: str) -> str:
    """Next version after ``version`` for a ``change`` of ``'major'``, ``'minor'`` or ``'patch'``.

    ``version=None`` (no release yet) gives ``'1.0.0'``.
    """
    if change not in CHANGES:
        raise ValueError(f"change must be one of {CHANGES}, not {change!r}")
    if version is None:
        return "1.0.0"
    major, minor, patch = parse_version(version)
    if change == "major":
        return f"{major + 1}.0.0"
    if change == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


# --------------------------------------------------------------------------- snapshots


def snapshot(ds: Dataset, methods=None) -> pd.DataFrame:
    """Every pooled result of ``ds`` as a snapshot table (see :data:`SNAPSHOT_COLUMNS`).

    ``data_version`` is the first 12 digits of the package's fingerprint (``ds.sha256``).
    """
    methods = methods or (PRIMARY, "as_published")
    table = results_table(ds, methods=tuple(methods))
    return table.reindex(columns=list(SNAPSHOT_COLUMNS))


def snapshot_rows(ds: Dataset) -> pd.DataFrame:
    """Every analysed outcome row of ``ds`` (see :data:`ROW_COLUMNS`), sorted.

    What's New compares these between releases to say which data changes moved an estimate.
    """
    return rows_of(ds.outcomes, ds.arms, ds.studies)


def rows_of(
    outcomes: pd.DataFrame,
    arms: pd.DataFrame,
    studies: pd.DataFrame,
    *,
    per_outcome: bool = True,
) -> pd.DataFrame:
    """:func:`snapshot_rows` from the three tables (also for data read from an old commit).

    ``superseded_by`` names the later report of the same cohort that replaces a row's study
    for that outcome (the row is then not pooled); it is empty where the later report has
    no analysed row of the outcome (:func:`analysis.review.synthesis.superseded_by`).
    ``per_outcome=False`` applies the rule of releases before 3.0.0 instead: a superseded
    study gave way for every outcome.
    """
    analysed = outcomes[outcomes["analysed"].astype(str).str.lower().isin(["true", "1"])]
    rows = analysed.merge(arms[["arm_id", "study_id", "regimen"]], on="arm_id").merge(
        studies[["study_id", "overlaps_with"]], on="study_id"
    )
    rows["overlaps_with"] = rows["overlaps_with"].fillna("")
    rows["superseded_by"] = superseded_by(rows) if per_outcome else rows["overlaps_with"]
    rows = rows.reindex(columns=list(ROW_COLUMNS)).fillna("")
    return (
        rows.astype({"events": int, "total": int})
        .sort_values(["outcome", "regimen", "study_id", "arm_id"])
        .reset_index(drop=True)
    )


def study_list(ds: Dataset) -> pd.DataFrame:
    """The studies of ``ds`` (see :data:`STUDY_COLUMNS`), sorted by ``study_id``."""
    return (
        ds.studies.reindex(columns=list(STUDY_COLUMNS))
        .fillna("")
        .sort_values("study_id")
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- files


def releases_path(data_dir: Path | str | None = None) -> Path:
    """Path of ``releases.csv`` in ``data_dir`` (default ``data/``)."""
    return Path(data_dir or paths.DATA) / "releases.csv"


def snapshot_paths(version: str, data_dir: Path | str | None = None) -> tuple[Path, Path]:
    """Paths of the results and studies snapshots of ``version``."""
    folder = Path(data_dir or paths.DATA) / "snapshots"
    parse_version(version)
    return folder / f"{version}.csv", folder / f"{version}-studies.csv"


def rows_path(version: str, data_dir: Path | str | None = None) -> Path:
    """Path of the rows snapshot of ``version`` (:func:`snapshot_rows`)."""
    parse_version(version)
    return Path(data_dir or paths.DATA) / "snapshots" / f"{version}-rows.csv"


def read_snapshot_rows(version: str, data_dir: Path | str | None = None) -> pd.DataFrame | None:
    """The rows snapshot of a release, or None for a release made before rows were kept."""
    if not rows_path(version, data_dir).exists():
        return None
    return read_table(f"snapshot-{version}-rows", data_dir)


def read_releases(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The release history, oldest first (empty table if there is none yet).

    The file is validated with the data package (``releases`` resource of
    ``datapackage.json``: versions unique, changes one of :data:`CHANGES`).
    """
    if not releases_path(data_dir).exists():
        return pd.DataFrame(columns=list(RELEASE_COLUMNS))
    table = read_table("releases", data_dir)
    order = table["version"].map(parse_version)
    return (
        table.assign(_order=order)
        .sort_values("_order")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def read_snapshot(
    version: str, data_dir: Path | str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The results and studies snapshots of one release."""
    results = read_table(f"snapshot-{version}", data_dir)
    for column in ("k", "n", "events"):  # counts as plain numbers for the comparisons
        results[column] = results[column].astype("float64")
    return results, read_table(f"snapshot-{version}-studies", data_dir)


def write_release(
    ds: Dataset,
    *,
    version: str,
    date: str,
    search_date: str,
    review_version: str,
    change: str,
    summary: str,
    data_dir: Path | str | None = None,
) -> pd.DataFrame:
    """Snapshot ``ds`` as release ``version`` and append it to ``releases.csv``.

    Parameters
    ----------
    ds : Dataset
        The data as they stand at this release (e.g. :func:`as_of` for a past release).
    version, date, search_date, review_version, change, summary : str
        The release row (dates ISO 8601).
    data_dir : path, optional
        Where ``releases.csv`` and ``snapshots/`` live (default ``data/``).

    Returns
    -------
    DataFrame
        The updated release history.
    """
    history = read_releases(data_dir)
    if version in set(history["version"]):
        raise ValueError(f"release {version} exists already")
    results_file, studies_file = snapshot_paths(version, data_dir)
    results_file.parent.mkdir(parents=True, exist_ok=True)
    snapshot(ds).to_csv(results_file, index=False, float_format="%.17g", lineterminator="\n")
    study_list(ds).to_csv(studies_file, index=False, lineterminator="\n")
    snapshot_rows(ds).to_csv(rows_path(version, data_dir), index=False, lineterminator="\n")
    row = {
        "version": version,
        "date": date,
        "search_date": search_date,
        "review_version": review_version,
        "change": change,
        "data_sha256": ds.sha256,
        "site": "tagged",
        "commit": "",
        "summary": summary,
    }
    history = pd.concat([history, pd.DataFrame([row])], ignore_index=True)
    history.reindex(columns=list(RELEASE_COLUMNS)).to_csv(
        releases_path(data_dir), index=False, lineterminator="\n"
    )
    declare_snapshots(version, data_dir)
    return read_releases(data_dir)


def declare_snapshots(version: str, data_dir: Path | str | None = None) -> None:
    """Add the snapshot files of ``version`` to ``datapackage.json`` as resources.

    Both use the shared schemas of ``data/schemas/``; a resource already declared is kept.
    """
    package = read_descriptor(data_dir)
    names = {r["name"] for r in package["resources"]}
    base = {"profile": "tabular-data-resource", "format": "csv", "encoding": "utf-8"}
    for name, path, title, schema in (
        (
            f"snapshot-{version}",
            f"snapshots/{version}.csv",
            f"Pooled results of release {version}",
            "schemas/snapshot-results.json",
        ),
        (
            f"snapshot-{version}-studies",
            f"snapshots/{version}-studies.csv",
            f"Studies of release {version}",
            "schemas/snapshot-studies.json",
        ),
        (
            f"snapshot-{version}-rows",
            f"snapshots/{version}-rows.csv",
            f"Analysed outcome rows of release {version}",
            "schemas/snapshot-rows.json",
        ),
    ):
        if name not in names:
            package["resources"].append(
                {"name": name, "path": path, "title": title, **base, "schema": schema}
            )
    write_descriptor(package, data_dir)


# --------------------------------------------------------------------------- diffs


def _moved(a: float, b: float, tol: float) -> bool:
    a_nan, b_nan = a is None or math.isnan(a), b is None or math.isnan(b)
    if a_nan or b_nan:
        return a_nan != b_nan
    return abs(a - b) >= tol


def diff_results(old: pd.DataFrame, new: pd.DataFrame, *, tol: float = TOLERANCE) -> pd.DataFrame:
    """Compare two results tables by ``result_id``.

    Parameters
    ----------
    old, new : DataFrame
        Snapshots or :func:`analysis.results_table` outputs.
    tol : float
        Smallest change of the estimate or a CI bound (0-1 scale) that counts as a move.

    Returns
    -------
    DataFrame
        One row per ``result_id`` in either table, with ``change`` one of ``"added"``,
        ``"removed"``, ``"moved"`` (estimate, a CI bound, k, n or events changed) or
        ``"unchanged"``, and ``old_*`` / ``new_*`` columns for ``k, n, events, estimate,
        ci_low, ci_high`` plus ``old_studies`` / ``new_studies``.
    """
    keys = ["result_id", "outcome", "regimen", "method"]
    values = ["k", "n", "events", "estimate", "ci_low", "ci_high", "studies"]
    merged = old[keys + values].merge(
        new[keys + values], on=keys, how="outer", suffixes=("_old", "_new"), indicator=True
    )
    merged = merged.rename(columns={f"{v}_{s}": f"{s}_{v}" for v in values for s in ("old", "new")})
    changes = []
    for r in merged.to_dict(orient="records"):
        if r["_merge"] == "left_only":
            changes.append("removed")
        elif r["_merge"] == "right_only":
            changes.append("added")
        else:
            counts = any(int(r[f"old_{c}"]) != int(r[f"new_{c}"]) for c in ("k", "n", "events"))
            bounds = any(
                _moved(float(r[f"old_{c}"]), float(r[f"new_{c}"]), tol)
                for c in ("estimate", "ci_low", "ci_high")
            )
            changes.append("moved" if counts or bounds else "unchanged")
    merged = merged.drop(columns="_merge").assign(change=changes)
    return merged.sort_values(["outcome", "regimen", "method"]).reset_index(drop=True)


def diff_studies(old: pd.DataFrame, new: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Study ids added and removed between two study lists (sorted)."""
    before, after = set(old["study_id"]), set(new["study_id"])
    return sorted(after - before), sorted(before - after)


#: Fields of a rows snapshot whose change makes a row "corrected".
_ROW_FIELDS = ("events", "total", "timepoint", "kind", "superseded_by")


def diff_rows(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Analysed outcome rows added, removed or corrected between two rows snapshots.

    Rows are matched by ``arm_id`` and ``outcome``. A row is ``corrected`` when its
    count, denominator, time point, kind or superseding report changed.

    Returns
    -------
    DataFrame
        One row per change: ``study_id``, ``arm_id``, ``regimen``, ``outcome``, ``change``
        (``added``, ``removed``, ``corrected``), ``old_<field>`` and ``new_<field>`` for
        each compared field, and ``notes`` (the new row's notes, else the old row's).
    """
    key = ["arm_id", "outcome"]
    keep = ["study_id", "regimen", "notes", *_ROW_FIELDS]
    # Compared as text, so that an outer merge turning counts into floats changes nothing.
    merged = (
        old[key + keep]
        .astype(str)
        .merge(
            new[key + keep].astype(str),
            on=key,
            how="outer",
            suffixes=("_old", "_new"),
            indicator=True,
        )
    )
    differs = pd.Series(False, index=merged.index)
    for name in _ROW_FIELDS:
        differs |= merged[f"{name}_old"] != merged[f"{name}_new"]
    merged["change"] = (
        merged["_merge"]
        .map({"left_only": "removed", "right_only": "added", "both": "corrected"})
        .astype(str)
    )
    merged = merged[(merged["_merge"] != "both") | differs]
    rows = pd.DataFrame(
        {
            "study_id": merged["study_id_new"].fillna(merged["study_id_old"]),
            "arm_id": merged["arm_id"],
            "regimen": merged["regimen_new"].fillna(merged["regimen_old"]),
            "outcome": merged["outcome"],
            "change": merged["change"],
            **{f"old_{f}": merged[f"{f}_old"] for f in _ROW_FIELDS},
            **{f"new_{f}": merged[f"{f}_new"] for f in _ROW_FIELDS},
            "notes": merged["notes_new"].fillna(merged["notes_old"]).fillna(""),
        }
    )
    return rows.sort_values(["outcome", "regimen", "study_id", "arm_id"]).reset_index(drop=True)


def newly_poolable(diff: pd.DataFrame, *, min_k: int = 2) -> pd.DataFrame:
    """Regimen x outcome x method results that reach ``min_k`` studies for the first time.

    Rows of :func:`diff_results` whose new ``k`` is at least ``min_k`` and whose old ``k``
    was smaller or absent; the any-combination pool (regimen ``any``) is left out.
    """
    new_k = pd.to_numeric(diff["new_k"], errors="coerce")
    old_k = pd.to_numeric(diff["old_k"], errors="coerce").fillna(0)
    mask = (new_k >= min_k) & (old_k < min_k) & (diff["regimen"] != "any")
    return diff[mask].reset_index(drop=True)


def classify_change(
    *,
    previous_search_date: str | None,
    search_date: str,
    results_diff: pd.DataFrame,
    studies_added,
    studies_removed,
) -> str:
    """Apply the versioning rule: ``'major'``, ``'minor'`` or ``'patch'``.

    MAJOR when the search date differs from the previous release's (a new search), MINOR
    when any study was added or removed or any result is not ``unchanged``, else PATCH.
    """
    if previous_search_date is not None and search_date != previous_search_date:
        return "major"
    if studies_added or studies_removed or (results_diff["change"] != "unchanged").any():
        return "minor"
    return "patch"


def summarise_diff(results_diff: pd.DataFrame, added, removed, *, method: str) -> str:
    """One sentence describing a diff (for ``releases.csv`` summaries)."""
    rows = results_diff[results_diff["method"] == method]
    moved = (rows["change"] == "moved").sum()
    new = (rows["change"] == "added").sum()
    gone = (rows["change"] == "removed").sum()
    poolable = newly_poolable(rows)
    parts = [
        f"{len(added)} studies added",
        f"{len(removed)} removed",
        f"{moved} pooled estimates changed",
        f"{new} new",
        f"{gone} dropped",
    ]
    text = ", ".join(parts) + f" ({method} method)"
    if len(poolable):
        labels = sorted({f"{r.regimen} {r.outcome}" for r in poolable.itertuples()})
        text += "; newly poolable (2+ studies): " + ", ".join(labels)
    return text + "."
