"""The "What's New" chapter: release history and what changed, computed from snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..datapackage import Dataset, evidence_sha256
from ..review.settings import PRIMARY
from .bibliography import study_citations
from .formatting import MISSING, fmt_count, fmt_interval, fmt_pct, outcome_label
from .releases import (
    diff_results,
    diff_studies,
    newly_poolable,
    read_releases,
    read_snapshot,
    snapshot,
    study_list,
)

_CHANGE = {"added": "new estimate", "removed": "no longer estimable", "moved": "moved"}


@dataclass(frozen=True)
class Comparison:
    """What changed between two states of the review (``old`` -> ``new``).

    Attributes
    ----------
    old, new : str
        Labels (a release version, or ``"current data"``).
    results : DataFrame
        :func:`analysis.releases.diff_results` of the two results tables.
    added, removed : list of str
        Study ids added and removed.
    method : str
        Method whose results the tables show.
    """

    old: str
    new: str
    results: pd.DataFrame = field(repr=False)
    added: list
    removed: list
    method: str = PRIMARY

    @property
    def changed(self) -> pd.DataFrame:
        """Results of :attr:`method` that are not unchanged."""
        rows = self.results[self.results["method"] == self.method]
        return rows[rows["change"] != "unchanged"]

    @property
    def poolable(self) -> pd.DataFrame:
        """Regimen x outcome results of :attr:`method` newly pooled from 2+ studies."""
        return newly_poolable(self.results[self.results["method"] == self.method])

    @property
    def any_change(self) -> bool:
        """Whether any study or any result (of any method) changed."""
        return bool(self.added or self.removed or (self.results["change"] != "unchanged").any())


def compare(
    old_results, old_studies, new_results, new_studies, *, old: str, new: str, method: str = PRIMARY
) -> Comparison:
    """Build a :class:`Comparison` from two results tables and two study lists."""
    added, removed = diff_studies(old_studies, new_studies)
    return Comparison(old, new, diff_results(old_results, new_results), added, removed, method)


def since_last_release(ds: Dataset, data_dir=None) -> Comparison | None:
    """Current data against the latest release (``None`` if there is no release)."""
    history = read_releases(data_dir or ds.data_dir)
    if history.empty:
        return None
    version = history["version"].iloc[-1]
    results, studies = read_snapshot(version, data_dir or ds.data_dir)
    return compare(results, studies, snapshot(ds), study_list(ds), old=version, new="current data")


def latest_release_changes(data_dir) -> Comparison | None:
    """The latest release against the one before it (``None`` with fewer than two)."""
    history = read_releases(data_dir)
    if len(history) < 2:
        return None
    old, new = history["version"].iloc[-2], history["version"].iloc[-1]
    return compare(*read_snapshot(old, data_dir), *read_snapshot(new, data_dir), old=old, new=new)


def _estimate(row, prefix: str) -> str:
    estimate = row[f"{prefix}_estimate"]
    if pd.isna(estimate):
        return MISSING
    ci = fmt_interval(float(row[f"{prefix}_ci_low"]), float(row[f"{prefix}_ci_high"]))
    k, n = int(row[f"{prefix}_k"]), int(row[f"{prefix}_n"])
    return f"{fmt_pct(float(estimate))} ({ci}); k={k}, n={n}"


def changes_table(comparison: Comparison) -> pd.DataFrame:
    """Results that moved, appeared or disappeared, with old and new values.

    Columns: ``Result`` (stable id), ``Outcome``, ``Regimen``, ``Change``,
    ``<old>`` and ``<new>`` (pooled % (95% CI); k studies, n TTs), ``Difference``
    (percentage points).
    """
    rows = []
    for _, row in comparison.changed.iterrows():
        diff = row["new_estimate"] - row["old_estimate"]
        rows.append(
            {
                "Result": row["result_id"],
                "Outcome": outcome_label(row["outcome"]),
                "Regimen": "any combination" if row["regimen"] == "any" else row["regimen"],
                "Change": _CHANGE[row["change"]],
                comparison.old: _estimate(row, "old"),
                comparison.new: _estimate(row, "new"),
                "Difference": MISSING if pd.isna(diff) else f"{100 * diff:+.1f} pp",
            }
        )
    columns = [
        "Result",
        "Outcome",
        "Regimen",
        "Change",
        comparison.old,
        comparison.new,
        "Difference",
    ]
    return pd.DataFrame(rows, columns=columns)


def poolable_table(comparison: Comparison) -> pd.DataFrame:
    """Regimen x outcome pairs pooled from two or more studies for the first time."""
    rows = [
        {
            "Regimen": r["regimen"],
            "Outcome": outcome_label(r["outcome"]),
            "Studies before": MISSING if pd.isna(r["old_k"]) else int(r["old_k"]),
            "Studies now": int(r["new_k"]),
            "Pooled % (95% CI)": _estimate(r, "new"),
        }
        for _, r in comparison.poolable.iterrows()
    ]
    return pd.DataFrame(
        rows, columns=["Regimen", "Outcome", "Studies before", "Studies now", "Pooled % (95% CI)"]
    )


def history_table(data_dir) -> pd.DataFrame:
    """The release history, newest first, for display."""
    history = read_releases(data_dir).iloc[::-1]
    return pd.DataFrame(
        {
            "Version": history["version"],
            "Released": history["date"],
            "Search to": history["search_date"],
            "Review": history["review_version"],
            "Change": history["change"].str.upper(),
            "Evidence SHA-256": history["data_sha256"].str[:12],
            "What changed": history["summary"],
        }
    ).reset_index(drop=True)


def since_table(ds: Dataset) -> pd.DataFrame:
    """:func:`changes_table` of the current data against the latest release.

    A single explanatory row when nothing changed (or there is no release).
    """
    since = since_last_release(ds)
    if since is None:
        return pd.DataFrame({"Result": ["no release yet"]})
    table = changes_table(since)
    if table.empty:
        return pd.DataFrame({"Result": [f"no pooled estimate changed since release {since.old}"]})
    return table


def latest_tables(data_dir) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Changes table and newly-poolable table of the latest release (placeholders if none)."""
    change = latest_release_changes(data_dir)
    if change is None:
        note = pd.DataFrame({"Result": ["fewer than two releases: nothing to compare"]})
        return note, note
    changes, poolable = changes_table(change), poolable_table(change)
    if changes.empty:
        changes = pd.DataFrame({"Result": ["no pooled estimate changed"]})
    if poolable.empty:
        poolable = pd.DataFrame({"Regimen": ["none"]})
    return changes, poolable


def whats_new_facts(ds: Dataset) -> dict[str, str]:
    """Facts for the What's New chapter prose (all strings).

    Keys: ``release`` (latest version), ``release_date``, ``release_search``,
    ``n_releases``, ``since_status`` (a sentence on changes since the latest release),
    ``prev_release``, ``n_added``, ``n_removed``, ``n_moved``, ``n_new_estimates``,
    ``n_poolable``, ``added_cites`` / ``removed_cites`` (MyST citations) and
    ``evidence_sha``.
    """
    history = read_releases(ds.data_dir)
    facts = {"n_releases": fmt_count(len(history)), "evidence_sha": evidence_sha256(ds)[:12]}
    if history.empty:
        return facts | {
            "release": "none",
            "release_date": "none",
            "release_search": "none",
            "since_status": "No release has been made yet.",
            "prev_release": "none",
            "n_added": "0",
            "n_removed": "0",
            "n_moved": "0",
            "n_new_estimates": "0",
            "n_poolable": "0",
            "added_cites": "none",
            "removed_cites": "none",
        }
    last = history.iloc[-1]
    facts |= {
        "release": last["version"],
        "release_date": last["date"],
        "release_search": last["search_date"],
    }
    since = since_last_release(ds)
    if since.any_change:
        facts["since_status"] = (
            f"The data have changed since release {last['version']}: "
            f"{len(since.added)} studies added, {len(since.removed)} removed and "
            f"{len(since.changed)} pooled estimates (primary method) changed; these changes "
            "are not yet part of a release."
        )
    else:
        facts["since_status"] = (
            f"The data and every pooled estimate are those of release "
            f"{last['version']}; nothing has changed since."
        )
    change = latest_release_changes(ds.data_dir)
    facts |= {
        "prev_release": "none",
        "n_added": "0",
        "n_removed": "0",
        "n_moved": "0",
        "n_new_estimates": "0",
        "n_poolable": "0",
        "added_cites": "none",
        "removed_cites": "none",
    }
    if change is not None:
        rows = change.changed
        facts |= {
            "prev_release": change.old,
            "n_added": fmt_count(len(change.added)),
            "n_removed": fmt_count(len(change.removed)),
            "n_moved": fmt_count((rows["change"] == "moved").sum()),
            "n_new_estimates": fmt_count((rows["change"] == "added").sum()),
            "n_poolable": fmt_count(len(change.poolable)),
            "added_cites": study_citations(change.added),
            "removed_cites": study_citations(change.removed),
        }
    return facts
