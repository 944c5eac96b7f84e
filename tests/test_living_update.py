"""A living update by data edits only: a new study and a new search round (slow).

The drill a maintainer follows (README, "Add a study"): edit the CSVs, build, release. No
code, chapter or test is edited; the site must show the new round (diagram and prose with
its own date and counts) and name the study in What's New, and the release must keep the
previous release's numbers as they were.
"""

import csv
import subprocess
import sys

import pytest

from tests.conftest import build, copy_repo, page_text

pytestmark = pytest.mark.slow

NEW = "Newcomer2026"
DATE = "2026-12-20"


def _append(path, row):
    with path.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerow(
            {k: row.get(k, "") for k in header}
        )


def _first_row(path):
    with path.open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def add_study_and_round(data):
    """What a maintainer writes for one new study found by a fourth search round."""
    rounds = [r for r in csv.DictReader((data / "searches.csv").open()) if r["round"]]
    number = max(int(r["round"]) for r in rounds) + 1
    _append(
        data / "searches.csv",
        {
            "search_id": f"living-{number}",
            "review_version": "living",
            "round": number,
            "date": DATE,
            "records": "recorded",
            "notes": "drill",
        },
    )
    for q, text in ((1, "vedolizumab infliximab combination"), (2, "dual biologic 2026")):
        _append(
            data / "search_queries.csv",
            {
                "round": number,
                "query_id": f"r{number}-q00{q}",
                "date": DATE,
                "method": "database",
                "source": "test",
                "family": "drill",
                "query": text,
            },
        )
    records = [
        (1, 1, "pmid:99999901", "included", "", NEW),
        (1, 2, "pmid:99999902", "excluded", "review or secondary page", ""),
        (2, 1, "pmid:99999901", "", "", ""),
        (2, 2, "pmid:99999903", "excluded", "not dual targeted therapy", ""),
    ]
    for q, rank, rid, decision, reason, study in records:
        _append(
            data / "search_records.csv",
            {
                "round": number,
                "query_id": f"r{number}-q00{q}",
                "rank": rank,
                "record_id": rid,
                "title": "a record",
                "decision": decision,
                "reason": reason,
                "study_id": study,
            },
        )
    _append(
        data / "studies.csv",
        {
            "study_id": NEW,
            "citation": "Newcomer A, Second B. A drill cohort. J Drill. 2026.",
            "year": 2026,
            "pmid": "99999901",
            "url": "https://pubmed.ncbi.nlm.nih.gov/99999901/",
            "design": "retrospective",
            "publication_type": "journal_article",
            "population": "adult",
            "disease": "CD",
            "review_version": "living",
            "search_date": DATE,
            "inclusion_status": "candidate",
        },
    )
    arm = f"{NEW}/VDZ+aTNF"
    _append(
        data / "arms.csv",
        {
            "arm_id": arm,
            "study_id": NEW,
            "agent_a": "vedolizumab",
            "agent_b": "infliximab",
            "regimen": "VDZ+aTNF",
            "n_patients": 40,
            "n_trials": 40,
            "source": "99999901",
            "locator": "abstract",
            "kind": "primary",
            "quote": "40 patients",
        },
    )
    for outcome, events in (("clinical_remission", 36), ("ae", 30)):
        _append(
            data / "outcomes.csv",
            {
                "arm_id": arm,
                "outcome": outcome,
                "events": events,
                "total": 40,
                "timepoint": "week 24",
                "analysed": "true",
                "source": "99999901",
                "locator": "abstract",
                "kind": "primary",
                "quote": f"{events} of 40",
            },
        )
    rob = _first_row(data / "risk_of_bias.csv") | {"study_id": NEW}
    _append(data / "risk_of_bias.csv", rob)
    return number


def test_a_new_study_and_round_by_data_edits_only(tmp_path):
    root = copy_repo(tmp_path / "repo")
    old_snapshot = {p.name: p.read_bytes() for p in (root / "data" / "snapshots").glob("*.csv")}
    number = add_study_and_round(root / "data")

    result = build(root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    selection = page_text(root, "selection")
    assert f"Living search {number} (20 December 2026)" in selection
    assert f"PRISMA 2020 flow diagram: Living search {number}" in selection
    # its own counts: 4 records, 1 met before, 3 screened, 2 excluded, 1 report added
    assert "returned 4 records; 1 had been met before" in selection
    assert "It added 1 report of 1 new study" in selection
    assert f"20 December 2026 (search {number})" in page_text(root, "methods")
    whats_new = page_text(root, "whats_new")
    assert "Newcomer" in whats_new and "VDZ+aTNF" in whats_new
    assert "Newcomer" in page_text(root, "bibliography")  # no manual bibliography step

    released = subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "release.py"),
            "--root",
            str(root),
            "--summary",
            "drill",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert released.returncode == 0, released.stdout + released.stderr
    assert "VDZ+aTNF" in released.stdout  # the pools that move are named
    history = list(csv.DictReader((root / "data" / "releases.csv").open()))
    assert history[-1]["search_date"] == DATE and history[-1]["change"] == "major"
    # one fingerprint: the release records the package's
    from analysis.datapackage import load_dataset

    assert history[-1]["data_sha256"] == load_dataset(root / "data").sha256
    # the previous releases keep their own numbers, byte for byte
    for name, content in old_snapshot.items():
        assert (root / "data" / "snapshots" / name).read_bytes() == content
    new_rows = (root / "data" / "snapshots" / f"{history[-1]['version']}-rows.csv").read_text()
    assert NEW in new_rows
