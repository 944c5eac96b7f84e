"""Reconstruct the rows snapshots of releases cut before rows were kept.

Releases 1.0.0 and 2.0.0 were both cut at commit 0ba2ecc (2026-11-24) and stored only
their pooled results and study lists. What's New needs the analysed outcome rows behind
each release to say which data changes moved an estimate, so this script reads the three
tables from that commit with ``git show`` and applies the release's view (1.0.0: the
studies of the 2022 and 2026 reviews; 2.0.0: every study), exactly as ``scripts/release.py``
does for a new release. Run once from the repository root::

    python scripts/backfill_snapshot_rows.py
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.publish import releases  # noqa: E402

COMMIT = "0ba2ecc"
#: Release -> review_version values of its view (None = all studies).
RELEASES = {"1.0.0": {"2022", "2026"}, "2.0.0": None}


def _table(name: str) -> pd.DataFrame:
    text = subprocess.run(
        ["git", "show", f"{COMMIT}:data/{name}.csv"], check=True, capture_output=True, text=True
    ).stdout
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def main() -> None:
    """Write and declare the rows snapshots of :data:`RELEASES`."""
    studies, arms, outcomes = _table("studies"), _table("arms"), _table("outcomes")
    for version, keep in RELEASES.items():
        view = studies if keep is None else studies[studies["review_version"].isin(keep)]
        # As in ``as_of``: a study superseded by a report outside the view is not superseded.
        view = view.assign(
            overlaps_with=view["overlaps_with"].where(
                view["overlaps_with"].isin(view["study_id"]), ""
            )
        )
        view_arms = arms[arms["study_id"].isin(view["study_id"])]
        view_outcomes = outcomes[outcomes["arm_id"].isin(view_arms["arm_id"])]
        # Before 3.0.0 a superseded study gave way for every outcome (per_outcome=False).
        rows = releases.rows_of(view_outcomes, view_arms, view, per_outcome=False)
        path = releases.rows_path(version)
        rows.to_csv(path, index=False, lineterminator="\n")
        releases.declare_snapshots(version)
        print(f"{path}: {len(rows)} rows")


if __name__ == "__main__":
    main()
