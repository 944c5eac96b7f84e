r"""Make a release of the living review: snapshot every pooled result and record what changed.

Usage::

    python scripts/release.py --search-date 2026-11-24 --review-version living \\
        [--date 2026-11-24] [--summary "First living update"] [--as-of 2022,2026] [--dry-run]

The version number follows the rule of :mod:`analysis.publish.releases` (MAJOR = new search date,
MINOR = data changed, PATCH = no pooled value and no study changed) and is computed, never
typed. ``--as-of`` restricts the data to studies of the given ``review_version`` values: it
is how release 1.0.0 (the 2022 and 2026 reviews' evidence, search to 2024-01-31) was derived
from today's data package, which also holds the living update's studies. The command writes
``data/snapshots/<version>.csv``, ``data/snapshots/<version>-studies.csv`` and
``data/snapshots/<version>-rows.csv`` (the analysed outcome rows, which What's New compares),
declares them in ``datapackage.json``, appends a row to ``data/releases.csv`` (``site =
tagged``) and sets ``version`` and ``date-released`` in ``CITATION.cff``.

Then commit, tag and publish (the release's own site is built from its tag)::

    git add -A && git commit -m "Release X.Y.Z"
    git tag vX.Y.Z && git push && git push --tags
    make versions          # builds vX.Y.Z into book/_build/html/v/X.Y.Z/
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from analysis.datapackage import as_of, load_dataset  # noqa: E402
from analysis.publish import releases  # noqa: E402
from analysis.publish.formatting import fmt_rate_cell  # noqa: E402


def plan_release(ds, *, search_date: str, data_dir: Path) -> dict:
    """Compare ``ds`` with the latest release; return version, change and diff summary."""
    from analysis.review.settings import PRIMARY

    history = releases.read_releases(data_dir)
    new_results, new_studies = releases.snapshot(ds), releases.study_list(ds)
    if history.empty:
        return {
            "moved": pd.DataFrame(),
            "version": "1.0.0",
            "change": "major",
            "auto": (
                f"First release: {len(new_studies)} studies, "
                f"{(new_results['method'] == PRIMARY).sum()} pooled estimates ({PRIMARY} method)."
            ),
        }
    last = history.iloc[-1]
    old_results, old_studies = releases.read_snapshot(last["version"], data_dir)
    diff = releases.diff_results(old_results, new_results)
    added, removed = releases.diff_studies(old_studies, new_studies)
    change = releases.classify_change(
        previous_search_date=last["search_date"],
        search_date=search_date,
        results_diff=diff,
        studies_added=added,
        studies_removed=removed,
    )
    auto = releases.summarise_diff(diff, added, removed, method=PRIMARY)
    moved = diff[(diff["method"] == PRIMARY) & (diff["change"] != "unchanged")]
    if added:
        auto += " Added: " + ", ".join(added) + "."
    if removed:
        auto += " Removed: " + ", ".join(removed) + "."
    return {
        "version": releases.bump(last["version"], change),
        "change": change,
        "auto": auto,
        "moved": moved,
    }


def _cell(row, side: str) -> str:
    """One side of a moved pool as the book shows it (pools of counts as counts)."""
    value = getattr(row, f"{side}_estimate")
    if value != value:  # no estimate on this side (a new or a dropped pool)
        return "-"
    events, n = getattr(row, f"{side}_events"), getattr(row, f"{side}_n")
    return fmt_rate_cell(
        events in (0, n),
        events,
        n,
        value,
        getattr(row, f"{side}_ci_low"),
        getattr(row, f"{side}_ci_high"),
    )


def describe_moves(moved) -> list[str]:
    """One line per pool that moves: ``ae/VDZ+aTNF: 19.0% (7.3–41.2%) -> ... (moved)``."""
    lines = []
    for row in moved.itertuples(index=False):
        lines.append(
            f"  {row.outcome}/{row.regimen}: {_cell(row, 'old')} -> {_cell(row, 'new')} "
            f"({row.change})"
        )
    return lines


def latest_search(ds) -> tuple[str, str]:
    """Date and review version of the latest search of ``searches.csv``."""
    searches = ds.searches.sort_values("date")
    if searches.empty:
        raise SystemExit("no search in data/searches.csv: give --search-date")
    last = searches.iloc[-1]
    return last["date"], last["review_version"]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_and_tag(root: Path, version: str, data_dir: Path) -> str:
    """Commit the release files, tag ``vX.Y.Z`` and record the tagged commit; return it.

    Two commits, both made here: the release itself (tagged), then the record of its commit
    in ``releases.csv`` (where tags are not fetched, the build reads the commit from there).
    """
    _git(root, "add", "-A", "data", "CITATION.cff")
    _git(root, "commit", "-q", "-m", f"Release {version}")
    _git(root, "tag", f"v{version}")
    commit = _git(root, "rev-parse", "HEAD")
    path = releases.releases_path(data_dir)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        if row["version"] == version:
            row["commit"] = commit
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _git(root, "add", str(path))
    _git(root, "commit", "-q", "-m", f"Record the commit of release {version} (tag v{version})")
    return commit


def update_citation_cff(path: Path, version: str, date: str) -> None:
    """Set ``version`` and ``date-released`` in ``CITATION.cff`` (other lines untouched)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^version: .*$", f"version: {version}", text, count=1, flags=re.M)
    text = re.sub(r"^date-released: .*$", f'date-released: "{date}"', text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--search-date", default="", help="date the search ran to (default: the latest search)"
    )
    parser.add_argument(
        "--review-version", default="", help="review version (default: the latest search's)"
    )
    parser.add_argument(
        "--commit", action="store_true", help="also commit, tag vX.Y.Z and record the commit"
    )
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="release date")
    parser.add_argument("--summary", default="", help="what changed, in words")
    parser.add_argument(
        "--as-of",
        default="",
        help="keep only studies of these review_version values (comma-separated)",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    args = parser.parse_args(argv)

    data_dir = args.root / "data"
    ds = load_dataset(data_dir)
    if args.as_of:
        ds = as_of(ds, [v.strip() for v in args.as_of.split(",")])
    search_date, review_version = latest_search(ds)
    search_date = args.search_date or search_date
    args.review_version = args.review_version or review_version
    plan = plan_release(ds, search_date=search_date, data_dir=data_dir)
    summary = " ".join(filter(None, [args.summary.strip(), plan["auto"]]))
    print(f"release {plan['version']} ({plan['change'].upper()}): {summary}")
    print(f"data fingerprint {ds.sha256}")
    if len(plan["moved"]):
        print("pools that move (primary method, old -> new):")
        print("\n".join(describe_moves(plan["moved"])))
    if args.dry_run:
        return 0
    releases.write_release(
        ds,
        version=plan["version"],
        date=args.date,
        search_date=search_date,
        review_version=args.review_version,
        change=plan["change"],
        summary=summary,
        data_dir=data_dir,
    )
    update_citation_cff(args.root / "CITATION.cff", plan["version"], args.date)
    version = plan["version"]
    print(f"wrote data/releases.csv, data/snapshots/{version}*.csv, CITATION.cff")
    if args.commit:
        commit = commit_and_tag(args.root, version, data_dir)
        print(f"committed and tagged v{version} at {commit}; next: git push --tags, make versions")
        return 0
    print(
        f"next: git add -A && git commit -m 'Release {version}' && git tag v{version}; "
        "then git push --tags and make versions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
