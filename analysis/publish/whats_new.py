"""The "What's New" chapter: release history and what changed, computed from snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..datapackage import Dataset
from ..review.settings import PRIMARY
from .bibliography import study_citations
from .formatting import (
    MISSING,
    fmt_count,
    fmt_evidence,
    fmt_rate_cell,
    outcome_label,
)
from .releases import (
    diff_results,
    diff_rows,
    diff_studies,
    newly_poolable,
    read_releases,
    read_snapshot,
    read_snapshot_rows,
    snapshot,
    snapshot_rows,
    study_list,
)
from .searches import searches_since

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
    rows : DataFrame or None
        :func:`analysis.publish.releases.diff_rows` of the analysed outcome rows, or None
        when the older state kept no rows snapshot.
    """

    old: str
    new: str
    results: pd.DataFrame = field(repr=False)
    added: list
    removed: list
    method: str = PRIMARY
    rows: pd.DataFrame | None = field(default=None, repr=False)

    def rows_behind(self, regimen: str, outcome: str) -> pd.DataFrame | None:
        """Row changes of one pool (``regimen == "any"``: every row of the outcome)."""
        if self.rows is None:
            return None
        rows = self.rows[self.rows["outcome"] == outcome]
        return rows if regimen == "any" else rows[rows["regimen"] == regimen]

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
    def renamed(self) -> dict[str, str]:
        """Studies renamed: removed id -> added id with the same outcome rows.

        The same rows: combination, outcome, counts and time point, e.g.
        ``{"Alayo2021": "Alayo2020"}``. Empty without rows snapshots.
        """
        if self.rows is None or not self.added or not self.removed:
            return {}
        keys = ["regimen", "outcome", "events", "total", "timepoint"]

        def rows_of(study: str, side: str) -> set:
            mine = self.rows[self.rows["study_id"] == study]
            mine = mine[mine[f"{side}_events"].notna()]
            return {
                tuple(str(r[k if k in ("regimen", "outcome") else f"{side}_{k}"]) for k in keys)
                for _, r in mine.iterrows()
            }

        found = {}
        for old in self.removed:
            before = rows_of(old, "old")
            for new in self.added:
                if before and new not in found.values() and rows_of(new, "new") == before:
                    found[old] = new
                    break
        return found

    @property
    def any_change(self) -> bool:
        """Whether any study or any result (of any method) changed."""
        return bool(self.added or self.removed or (self.results["change"] != "unchanged").any())


def compare(
    old_results,
    old_studies,
    new_results,
    new_studies,
    *,
    old: str,
    new: str,
    method: str = PRIMARY,
    old_rows: pd.DataFrame | None = None,
    new_rows: pd.DataFrame | None = None,
) -> Comparison:
    """Build a :class:`Comparison` from two results tables and two study lists.

    ``old_rows`` and ``new_rows`` are rows snapshots
    (:func:`analysis.publish.releases.snapshot_rows`); without both, the comparison cannot
    say which data changes moved an estimate.
    """
    added, removed = diff_studies(old_studies, new_studies)
    rows = None if old_rows is None or new_rows is None else diff_rows(old_rows, new_rows)
    return Comparison(
        old, new, diff_results(old_results, new_results), added, removed, method, rows
    )


def since_last_release(ds: Dataset, data_dir=None) -> Comparison | None:
    """Current data against the latest release (``None`` if there is no release)."""
    history = read_releases(data_dir or ds.data_dir)
    if history.empty:
        return None
    version = history["version"].iloc[-1]
    results, studies = read_snapshot(version, data_dir or ds.data_dir)
    return compare(
        results,
        studies,
        snapshot(ds),
        study_list(ds),
        old=version,
        new="current data",
        old_rows=read_snapshot_rows(version, data_dir or ds.data_dir),
        new_rows=snapshot_rows(ds),
    )


def latest_release_changes(data_dir) -> Comparison | None:
    """The latest release against the one before it (``None`` with fewer than two)."""
    history = read_releases(data_dir)
    if len(history) < 2:
        return None
    old, new = history["version"].iloc[-2], history["version"].iloc[-1]
    return compare(
        *read_snapshot(old, data_dir),
        *read_snapshot(new, data_dir),
        old=old,
        new=new,
        old_rows=read_snapshot_rows(old, data_dir),
        new_rows=read_snapshot_rows(new, data_dir),
    )


#: At most this many row changes are spelled out in a cell of the changes table.
_MAX_LISTED = 4


def _count(row, side: str) -> str:
    return f"{row[f'{side}_events']}/{row[f'{side}_total']}"


def describe_row_change(row, *, with_regimen: bool = False) -> str:
    """One row change of :func:`analysis.publish.releases.diff_rows` in a few words.

    E.g. ``"+ Hassan2024 6/14 (week 24)"``, ``"− Sands2007 48/52"`` or
    ``"KentuckyUSTVDZ: now superseded by Hassan2024"``.
    """
    study = f"{row['study_id']} {row['regimen']}" if with_regimen else row["study_id"]
    if row["change"] == "added":
        text = f"+ {study} {_count(row, 'new')} ({row['new_timepoint']})"
        if row["new_superseded_by"]:
            text += f", superseded by {row['new_superseded_by']} (not pooled)"
        return text
    if row["change"] == "removed":
        return f"− {study} {_count(row, 'old')}"
    parts = []
    if _count(row, "old") != _count(row, "new"):
        parts.append(f"{_count(row, 'old')} → {_count(row, 'new')}")
    if row["old_timepoint"] != row["new_timepoint"]:
        parts.append(f"time point {row['old_timepoint']} → {row['new_timepoint']}")
    if row["old_kind"] != row["new_kind"]:
        parts.append(f"kind {row['old_kind']} → {row['new_kind']}")
    if row["old_superseded_by"] != row["new_superseded_by"]:
        parts.append(
            f"now superseded by {row['new_superseded_by']} (not pooled)"
            if row["new_superseded_by"]
            else f"pooled again (no longer superseded by {row['old_superseded_by']})"
        )
    return f"{study}: " + "; ".join(parts)


def rule_change(row) -> str:
    """Which rule moved an estimate whose outcome rows did not change, from the two results.

    One row of :attr:`Comparison.changed` (same data, different number): a pool without
    events (or with only events) now shown as its counts; the pool over every combination
    now counting each study once; the same estimate with a new interval (the interval
    method); otherwise the pooling model.
    """
    new_events, new_n = row["new_events"], row["new_n"]
    if pd.notna(new_events) and new_events in (0, new_n) and row["new_estimate"] in (0, 1):
        if not (pd.notna(row["old_estimate"]) and row["old_estimate"] in (0, 1)):
            what = "no events" if new_events == 0 else "only events"
            return (
                f"rule for pools with {what}: now their counts with an exact interval, "
                "no model (was a model estimate)"
            )
    if row["regimen"] == "any" and row["old_k"] != row["new_k"]:
        return (
            "rule for the pool over every combination: each study counted once "
            f"({int(row['old_k'])} \u2192 {int(row['new_k'])} studies)"
        )
    if pd.notna(row["old_estimate"]) and abs(row["old_estimate"] - row["new_estimate"]) < 5e-4:
        return "interval rule: same estimate, confidence interval computed another way"
    return "pooling model or its settings (the same rows give another estimate)"


def explain_change(comparison: Comparison, regimen: str, outcome: str, row=None) -> str:
    """The data changes behind one moved estimate, or the rule that moved it.

    ``row``, the estimate's row of :attr:`Comparison.changed`, lets a change without data
    changes name its rule (:func:`rule_change`). A renamed study is said to be renamed.
    """
    rows = comparison.rows_behind(regimen, outcome)
    if rows is None:
        return f"not recorded (release {comparison.old} kept no outcome rows)"
    renamed = comparison.renamed
    if renamed and not rows.empty:
        moved = set(renamed) | set(renamed.values())
        names = sorted(
            {f"{o} \u2192 {n}" for o, n in renamed.items() if o in set(rows["study_id"])}
        )
        rows = rows[~rows["study_id"].isin(moved)]
        if names and rows.empty:
            return (
                "study renamed, same counts: "
                + ", ".join(names)
                + (f"; {rule_change(row)}" if row is not None else "")
            )
    if rows.empty:
        if row is not None:
            return f"no outcome row of this pool changed; {rule_change(row)}"
        return "no outcome row of this pool changed: the method or its rules changed"
    if len(rows) > _MAX_LISTED:
        counts = rows["change"].value_counts()
        return ", ".join(
            f"{counts[c]} {'row' if counts[c] == 1 else 'rows'} {c}"
            for c in ("added", "removed", "corrected")
            if c in counts
        )
    return "; ".join(
        describe_row_change(r, with_regimen=regimen == "any") for _, r in rows.iterrows()
    )


def _estimate(row, prefix: str) -> str:
    """Pooled % (95% CI), studies, courses of one side of a results diff row.

    A pool without events (or with only events) is shown as its counts
    (``0/27 (0.0–12.8%)``), never as ``0.0%``.
    """
    estimate = row[f"{prefix}_estimate"]
    if pd.isna(estimate):
        return MISSING
    events, n = row[f"{prefix}_events"], int(row[f"{prefix}_n"])
    counts = pd.notna(events) and int(events) in (0, n) and float(estimate) in (0.0, 1.0)
    rate = fmt_rate_cell(
        counts,
        None if pd.isna(events) else int(events),
        n,
        float(estimate),
        float(row[f"{prefix}_ci_low"]),
        float(row[f"{prefix}_ci_high"]),
    )
    evidence = fmt_evidence(int(row[f"{prefix}_k"]), n)
    return f"{rate}, {evidence}"


def changes_table(comparison: Comparison) -> pd.DataFrame:
    """Results that moved, appeared or disappeared, with old and new values.

    Columns: ``Combination``, ``Outcome``, ``Change (pp)`` (percentage points), ``<old>``
    and ``<new>`` (pooled % (95% CI), studies, courses; "—" where there was or is no
    estimate) and ``Data changes behind it`` (:func:`explain_change`).
    """
    rows = []
    for _, row in comparison.changed.iterrows():
        diff = row["new_estimate"] - row["old_estimate"]
        rows.append(
            {
                "Combination": "any combination" if row["regimen"] == "any" else row["regimen"],
                "Outcome": outcome_label(row["outcome"]),
                comparison.old: _estimate(row, "old"),
                comparison.new: _estimate(row, "new"),
                "Change (pp)": _CHANGE[row["change"]] if pd.isna(diff) else f"{100 * diff:+.1f}",
                "Data changes behind it": explain_change(
                    comparison, row["regimen"], row["outcome"], row
                ),
            }
        )
    columns = [  # the change first: in view on a narrow screen without scrolling
        "Combination",
        "Outcome",
        "Change (pp)",
        comparison.old,
        comparison.new,
        "Data changes behind it",
    ]
    return pd.DataFrame(rows, columns=columns)


def row_changes_table(comparison: Comparison) -> pd.DataFrame:
    """Every analysed outcome row added, removed or corrected, with its notes.

    Columns: ``Study``, ``Combination``, ``Outcome``, ``Change``, ``Before`` and ``After``
    (events/courses at the time point, kind), ``Notes`` (the row's notes in the data).
    """
    columns = ["Study", "Combination", "Outcome", "Change", "Before", "After", "Notes"]
    if comparison.rows is None:
        return pd.DataFrame(
            {"Study": [f"release {comparison.old} kept no outcome rows: nothing to compare"]}
        )

    def state(row, side: str) -> str:
        if pd.isna(row[f"{side}_events"]):
            return MISSING
        text = f"{_count(row, side)} at {row[f'{side}_timepoint']} ({row[f'{side}_kind']})"
        if row[f"{side}_superseded_by"]:
            text += f"; superseded by {row[f'{side}_superseded_by']}, not pooled"
        return text

    renamed = comparison.renamed
    rows = [
        {
            "Study": r["study_id"],
            "Combination": r["regimen"],
            "Outcome": outcome_label(r["outcome"]),
            "Change": r["change"],
            "Before": state(r, "old"),
            "After": state(r, "new"),
            "Notes": r["notes"],
        }
        for _, r in comparison.rows.iterrows()
        if r["study_id"] not in renamed  # shown once, under its new name
    ]
    old_name = {new: old for old, new in renamed.items()}
    for row in rows:
        if row["Study"] in old_name:
            row["Change"] = f"renamed (was {old_name[row['Study']]}), same counts"
            row["Before"] = row["After"]
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
            "Data fingerprint": history["data_sha256"].str[:12],
            "What changed": history["summary"],
        }
    ).reset_index(drop=True)


def since_tables(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Changes and row-changes tables of the current data against the latest release.

    :func:`changes_table` and :func:`row_changes_table`; a single explanatory row each
    when nothing changed (or there is no release).
    """
    since = since_last_release(ds)
    if since is None:
        note = pd.DataFrame({"Combination": ["no release yet"]})
        return note, note
    changes, rows = changes_table(since), row_changes_table(since)
    if changes.empty:
        changes = pd.DataFrame(
            {"Combination": [f"no pooled estimate changed since release {since.old}"]}
        )
    if rows.empty:
        rows = pd.DataFrame(
            {"Study": [f"no analysed outcome row changed since release {since.old}"]}
        )
    return changes, rows


def latest_tables(data_dir) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Changes, row-changes and newly-poolable tables of the latest release.

    Placeholders (one explanatory row) where there is nothing to show.
    """
    change = latest_release_changes(data_dir)
    if change is None:
        note = pd.DataFrame({"Combination": ["fewer than two releases: nothing to compare"]})
        return note, note, note
    changes, rows, poolable = (
        changes_table(change),
        row_changes_table(change),
        poolable_table(change),
    )
    if changes.empty:
        changes = pd.DataFrame({"Combination": ["no pooled estimate changed"]})
    if rows.empty:
        rows = pd.DataFrame({"Study": ["no analysed outcome row changed"]})
    if poolable.empty:
        poolable = pd.DataFrame({"Regimen": ["none"]})
    return changes, rows, poolable


#: The comparison facts of :func:`whats_new_facts` when there is nothing to compare.
_NO_COMPARISON = {
    "prev_release": "none",
    "n_added": "0",
    "n_removed": "0",
    "n_moved": "0",
    "n_new_estimates": "0",
    "n_poolable": "0",
    "added_cites": "none",
    "removed_cites": "none",
}


def whats_new_facts(ds: Dataset) -> dict[str, str]:
    """Facts for the What's New chapter prose (all strings).

    Keys: ``release`` (latest version), ``release_date``, ``release_search``,
    ``n_releases``, ``since_status`` (a sentence on changes since the latest release),
    ``prev_release``, ``n_added``, ``n_removed``, ``n_moved``, ``n_new_estimates``,
    ``n_poolable``, ``added_cites`` / ``removed_cites`` (MyST citations) and
    ``evidence_sha``.
    """
    history = read_releases(ds.data_dir)
    facts = {"n_releases": fmt_count(len(history)), "evidence_sha": ds.sha256[:12]}
    if history.empty:
        return (
            facts
            | _NO_COMPARISON
            | {
                "release": "none",
                "release_date": "none",
                "release_search": "none",
                "since_status": "No release has been made yet.",
            }
        )
    last = history.iloc[-1]
    facts |= {
        "release": last["version"],
        "release_date": last["date"],
        "release_search": last["search_date"],
    }
    since = since_last_release(ds)
    searches = searches_since(ds, last["search_date"])
    if since.any_change:
        facts["since_status"] = (
            f"The data have changed since release {last['version']}: "
            f"{len(since.added)} studies added"
            + (f" ({', '.join(since.added)})" if len(since.added) else "")
            + f", {len(since.removed)} removed and "
            f"{len(since.changed)} pooled estimates (primary method) changed; these changes "
            "are not yet part of a release."
        )
    elif last["data_sha256"] != ds.sha256:
        facts["since_status"] = (
            f"No pooled estimate and no study has changed since release {last['version']}, "
            "but the data package has (its fingerprint differs: searches, notes or "
            "judgements); these changes are not yet part of a release."
        )
    else:
        facts["since_status"] = (
            f"The data and every pooled estimate are those of release "
            f"{last['version']}; nothing has changed since."
        )
    if searches:
        facts["since_status"] += " " + searches
    change = latest_release_changes(ds.data_dir)
    facts |= _NO_COMPARISON
    if change is not None:
        rows = change.changed
        facts |= {
            "prev_release": change.old,
            "n_added": fmt_count(len(change.added) - len(change.renamed)),
            "n_removed": fmt_count(len(change.removed) - len(change.renamed)),
            "n_moved": fmt_count((rows["change"] == "moved").sum()),
            "n_new_estimates": fmt_count((rows["change"] == "added").sum()),
            "n_poolable": fmt_count(len(change.poolable)),
            "added_cites": cite_studies(
                [s for s in change.added if s not in change.renamed.values()],
                set(ds.studies["study_id"]),
            ),
            "removed_cites": cite_studies(
                [s for s in change.removed if s not in change.renamed],
                set(ds.studies["study_id"]),
            )
            + renamed_note(change.renamed, set(ds.studies["study_id"])),
        }
    return facts


def renamed_note(renamed: dict[str, str], known) -> str:
    """What was renamed, appended to the list of removed studies (``""`` if nothing).

    E.g. ``". Renamed, not removed (same counts): `Alayo2021` → {cite:t}`Alayo2020`"``.
    """
    if not renamed:
        return ""
    study_citations(list(renamed))  # raises on an id that is not safe to write into MyST
    pairs = "; ".join(
        f"`{old}` \u2192 {cite_studies([new], known)}" for old, new in renamed.items()
    )
    return f". Renamed, not removed (same counts): {pairs}"


def cite_studies(ids, known) -> str:
    """MyST citations of ``ids``, naming an id not in ``known`` as plain code text.

    A study removed or renamed since has no bibliography entry any more: citing it would
    break the build.
    """
    ids = list(ids)
    if not ids:
        return "none"
    study_citations(ids)  # raises on an id that is not safe to write into MyST
    cited = study_citations([i for i in ids if i in known])
    gone = [f"`{i}` (no longer in the data package)" for i in ids if i not in known]
    return "; ".join(part for part in ([cited] if cited != "none" else []) + gone)
