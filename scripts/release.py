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
import datetime as dt
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.datapackage import as_of, load_dataset  # noqa: E402
from analysis.publish import releases  # noqa: E402


def plan_release(ds, *, search_date: str, data_dir: Path) -> dict:
    """Compare ``ds`` with the latest release; return version, change and diff summary."""
    from analysis.review.settings import PRIMARY

    history = releases.read_releases(data_dir)
    new_results, new_studies = releases.snapshot(ds), releases.study_list(ds)
    if history.empty:
        return {
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
    if added:
        auto += " Added: " + ", ".join(added) + "."
    if removed:
        auto += " Removed: " + ", ".join(removed) + "."
    return {"version": releases.bump(last["version"], change), "change": change, "auto": auto}


def update_citation_cff(path: Path, version: str, date: str) -> None:
    """Set ``version`` and ``date-released`` in ``CITATION.cff`` (other lines untouched)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^version: .*$", f"version: {version}", text, count=1, flags=re.M)
    text = re.sub(r"^date-released: .*$", f'date-released: "{date}"', text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search-date", required=True, help="date the search ran to (ISO)")
    parser.add_argument(
        "--review-version", required=True, help="review the release belongs to (2022, 2026, living)"
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
    plan = plan_release(ds, search_date=args.search_date, data_dir=data_dir)
    summary = " ".join(filter(None, [args.summary.strip(), plan["auto"]]))
    print(f"release {plan['version']} ({plan['change'].upper()}): {summary}")
    if args.dry_run:
        return 0
    releases.write_release(
        ds,
        version=plan["version"],
        date=args.date,
        search_date=args.search_date,
        review_version=args.review_version,
        change=plan["change"],
        summary=summary,
        data_dir=data_dir,
    )
    update_citation_cff(args.root / "CITATION.cff", plan["version"], args.date)
    version = plan["version"]
    print(f"wrote data/releases.csv, data/snapshots/{version}*.csv, CITATION.cff")
    print(
        f"next: git add -A && git commit -m 'Release {version}' && git tag v{version}; "
        "then git push --tags and make versions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
