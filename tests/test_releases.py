"""Releases: version rule, snapshots, diffs and the What's New tables (fast)."""

import dataclasses
import shutil

import pandas as pd
import pytest

from analysis import paths
from analysis.datapackage import as_of, fingerprint
from analysis.datapackage.descriptor import read_descriptor
from analysis.datapackage.load import load_dataset
from analysis.publish import releases, whats_new


def _results(rows):
    cols = [
        "result_id",
        "outcome",
        "regimen",
        "method",
        "k",
        "n",
        "events",
        "estimate",
        "ci_low",
        "ci_high",
        "studies",
    ]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], columns=cols)


def _row(outcome, regimen, k, n, events, est, lo, hi, studies="A"):
    return (
        f"{outcome}/{regimen}/primary",
        outcome,
        regimen,
        "primary",
        k,
        n,
        events,
        est,
        lo,
        hi,
        studies,
    )


def test_bump_and_parse():
    assert releases.bump(None, "minor") == "1.0.0"
    assert releases.bump("1.2.3", "major") == "2.0.0"
    assert releases.bump("1.2.3", "minor") == "1.3.0"
    assert releases.bump("1.2.3", "patch") == "1.2.4"
    with pytest.raises(ValueError):
        releases.parse_version("1.2")
    with pytest.raises(ValueError):
        releases.bump("1.0.0", "huge")


def test_diff_results_classifies_every_change():
    old = _results(
        [
            _row("ae", "X", 1, 10, 2, 0.20, 0.05, 0.5),
            _row("ae", "Y", 2, 20, 5, 0.25, 0.1, 0.4),
            _row("ae", "Z", 1, 5, 1, 0.2, 0.01, 0.7),
            _row("sae", "X", 1, 10, 0, 0.0, 0.0, 0.3),
        ]
    )
    new = _results(
        [
            _row("ae", "X", 1, 10, 2, 0.20 + 1e-6, 0.05, 0.5),  # rounding noise
            _row("ae", "Y", 3, 30, 9, 0.30, 0.15, 0.45),  # moved
            _row("sae", "X", 1, 10, 0, 0.0, 0.0, 0.3),
            _row("cr", "Q", 2, 12, 6, 0.5, 0.2, 0.8),
        ]
    )  # added
    diff = releases.diff_results(old, new).set_index("result_id")["change"]
    assert diff["ae/X/primary"] == "unchanged"
    assert diff["ae/Y/primary"] == "moved"
    assert diff["ae/Z/primary"] == "removed"
    assert diff["cr/Q/primary"] == "added"
    assert diff["sae/X/primary"] == "unchanged"
    poolable = releases.newly_poolable(releases.diff_results(old, new))
    assert set(poolable["result_id"]) == {"cr/Q/primary"}  # Y had k=2 already


def test_a_count_change_is_a_move_even_if_the_estimate_is_equal():
    old = _results([_row("ae", "X", 1, 10, 2, 0.2, 0.05, 0.5)])
    new = _results([_row("ae", "X", 1, 20, 4, 0.2, 0.05, 0.5)])
    assert releases.diff_results(old, new)["change"].tolist() == ["moved"]


def test_versioning_rule():
    unchanged = pd.DataFrame({"change": ["unchanged"]})
    moved = pd.DataFrame({"change": ["unchanged", "moved"]})
    rule = releases.classify_change
    assert (
        rule(
            previous_search_date="2024-01-31",
            search_date="2026-11-24",
            results_diff=unchanged,
            studies_added=[],
            studies_removed=[],
        )
        == "major"
    )
    assert (
        rule(
            previous_search_date="2024-01-31",
            search_date="2024-01-31",
            results_diff=moved,
            studies_added=[],
            studies_removed=[],
        )
        == "minor"
    )
    assert (
        rule(
            previous_search_date="2024-01-31",
            search_date="2024-01-31",
            results_diff=unchanged,
            studies_added=["A"],
            studies_removed=[],
        )
        == "minor"
    )
    assert (
        rule(
            previous_search_date="2024-01-31",
            search_date="2024-01-31",
            results_diff=unchanged,
            studies_added=[],
            studies_removed=[],
        )
        == "patch"
    )


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


def test_as_of_keeps_only_the_release_studies(ds):
    view = as_of(ds, {"2022", "2026"})
    assert set(view.studies["review_version"]) <= {"2022", "2026"}
    assert set(view.arms["study_id"]) <= set(view.studies["study_id"])
    assert set(view.outcomes["arm_id"]) <= set(view.arms["arm_id"])
    # a report superseded only by a living study is not superseded in the 1.0.0 view
    assert set(view.studies["overlaps_with"]) - {""} <= set(view.studies["study_id"])
    assert view.sha256 == fingerprint(view) != fingerprint(ds)


def test_evidence_fingerprint_ignores_release_files(ds, tmp_path):
    """Writing a release must not change the fingerprint of the data it describes."""
    before = fingerprint(ds)
    copy = dataclasses.replace(ds, data_dir=tmp_path)
    shutil.copy(paths.DATA / "datapackage.json", tmp_path)
    releases.write_release(
        copy,
        version="1.0.0",
        date="2026-01-01",
        search_date="2026-01-01",
        review_version="living",
        change="major",
        summary="test",
        data_dir=tmp_path,
    )
    assert fingerprint(ds) == before
    declared = {r["path"] for r in read_descriptor(tmp_path)["resources"]}
    assert {
        "snapshots/1.0.0.csv",
        "snapshots/1.0.0-studies.csv",
        "snapshots/1.0.0-rows.csv",
    } <= declared
    rows = releases.read_snapshot_rows("1.0.0", tmp_path)
    assert len(rows) == int(ds.outcomes["analysed"].sum())
    history = releases.read_releases(tmp_path)
    assert history["data_sha256"].tolist() == [before]
    # one data identity: the release, its status, BibTeX and results.json carry one value
    from analysis.publish import cite, downloads

    status = cite.release_status(copy)
    assert status["status"] == "released" and copy.sha256 == before
    meta = cite.citation_metadata()
    assert before in cite.bibtex_entry("safety", "Safety", meta, status, copy, "https://x/")
    assert downloads.results_json(pd.DataFrame(), copy, status)["data_sha256"] == before
    results, studies = releases.read_snapshot("1.0.0", tmp_path)
    assert list(results.columns) == list(releases.SNAPSHOT_COLUMNS)
    assert results["data_version"].eq(before[:12]).all()
    assert results["result_id"].is_unique
    with pytest.raises(ValueError):
        releases.write_release(
            copy,
            version="1.0.0",
            date="x",
            search_date="x",
            review_version="living",
            change="major",
            summary="again",
            data_dir=tmp_path,
        )


def test_release_history_of_the_repository_follows_the_rule():
    history = releases.read_releases(paths.DATA)
    assert history["version"].tolist()[:2] == ["1.0.0", "2.0.0"]
    first, second = history.iloc[0], history.iloc[1]
    assert first["search_date"] == "2024-01-31" and first["review_version"] == "2026"
    assert second["review_version"] == "living" and second["change"] == "major"
    previous = None
    for row in history.itertuples():
        if previous is not None:
            expected = "major" if row.search_date != previous.search_date else row.change
            assert row.change == expected
            assert releases.bump(previous.version, row.change) == row.version
        results, studies = releases.read_snapshot(row.version)
        assert results["data_version"].eq(row.data_sha256[:12]).all()
        assert results["result_id"].is_unique and len(studies)
        previous = row
    # 1.0.0 was derived without the living update's studies
    _, studies_1 = releases.read_snapshot("1.0.0")
    assert "living" not in set(studies_1["review_version"])


def test_latest_release_changes_name_added_studies_and_moves():
    change = whats_new.latest_release_changes(paths.DATA)
    _, old = releases.read_snapshot(change.old)
    _, new = releases.read_snapshot(change.new)
    assert change.added == sorted(set(new["study_id"]) - set(old["study_id"]))
    table = whats_new.changes_table(change)
    assert table.columns.tolist()[3:5] == [change.old, change.new]
    moved = table[table["Change (pp)"].str.match(r"^[+-]\d")]
    assert len(moved) == (change.changed["change"] == "moved").sum()


def test_study_citations_refuse_markup():
    assert whats_new.study_citations(["A1", "B-2"]) == "{cite:t}`A1`; {cite:t}`B-2`"
    with pytest.raises(ValueError):
        whats_new.study_citations(["x`}{bad"])


# ------------------------------------------------------------------ rows behind a change


def _tables(rows, overlaps=None):
    """Outcomes, arms and studies tables from (study, regimen, outcome, events, total, tp)."""
    outcomes = pd.DataFrame(
        [
            {
                "arm_id": f"{s}/{r}",
                "outcome": o,
                "events": e,
                "total": t,
                "timepoint": tp,
                "analysed": "true",
                "kind": "primary",
                "notes": f"note {s}",
            }
            for s, r, o, e, t, tp in rows
        ]
    )
    arms = pd.DataFrame(
        [{"arm_id": f"{s}/{r}", "study_id": s, "regimen": r} for s, r, *_ in rows]
    ).drop_duplicates()
    studies = pd.DataFrame(
        [{"study_id": s, "overlaps_with": (overlaps or {}).get(s, "")} for s in arms["study_id"]]
    ).drop_duplicates()
    return outcomes, arms, studies


def test_rows_of_supersedes_per_outcome_or_for_every_outcome():
    tables = _tables(
        [
            ("Old", "VDZ+UST", "ae", 1, 10, "wk 12"),
            ("Old", "VDZ+UST", "sae", 0, 10, "wk 12"),
            ("New", "VDZ+UST", "ae", 2, 20, "wk 24"),
        ],
        overlaps={"Old": "New"},
    )
    rows = releases.rows_of(*tables).set_index(["study_id", "outcome"])["superseded_by"]
    # New has AE but no SAE: Old gives way for AE only
    assert rows[("Old", "ae")] == "New" and rows[("Old", "sae")] == ""
    old_rule = releases.rows_of(*tables, per_outcome=False).set_index(["study_id", "outcome"])
    assert old_rule.loc[("Old", "sae"), "superseded_by"] == "New"


def test_diff_rows_and_the_explanation_of_each_moved_pool():
    before = releases.rows_of(
        *_tables(
            [
                ("A", "VDZ+UST", "clinical_remission", 11, 12, "end"),
                ("B", "VDZ+UST", "clinical_remission", 3, 4, "wk 8"),
                ("C", "UST+aTNF", "clinical_remission", 5, 9, "wk 8"),
                ("D", "UST+aTNF", "clinical_remission", 1, 2, "wk 8"),
            ]
        )
    )
    after = releases.rows_of(
        *_tables(
            [
                ("A", "VDZ+UST", "clinical_remission", 11, 12, "end"),
                ("B", "VDZ+UST", "clinical_remission", 2, 4, "wk 12"),  # corrected
                ("H", "VDZ+UST", "clinical_remission", 8, 21, "wk 52"),  # added
                ("C", "UST+aTNF", "clinical_remission", 5, 9, "wk 8"),
            ],  # D removed
            overlaps={"A": "H"},  # A now superseded
        )
    )
    rows = releases.diff_rows(before, after)
    assert sorted(zip(rows["study_id"], rows["change"], strict=True)) == [
        ("A", "corrected"),
        ("B", "corrected"),
        ("D", "removed"),
        ("H", "added"),
    ]
    results = _results(
        [
            _row("clinical_remission", "VDZ+UST", 2, 16, 14, 0.85, 0.6, 0.95, "A;B"),
            _row("clinical_remission", "UST+aTNF", 2, 11, 6, 0.5, 0.2, 0.8, "C;D"),
        ]
    )
    moved = _results(
        [
            _row("clinical_remission", "VDZ+UST", 2, 25, 10, 0.40, 0.2, 0.6, "B;H"),
            _row("clinical_remission", "UST+aTNF", 1, 9, 5, 0.56, 0.2, 0.8, "C"),
        ]
    )
    studies = pd.DataFrame({"study_id": ["A", "B", "C", "D", "H"]})
    change = whats_new.compare(
        results, studies, moved, studies, old="1", new="2", old_rows=before, new_rows=after
    )
    table = whats_new.changes_table(change).set_index("Combination")["Data changes behind it"]
    assert table["VDZ+UST"] == (
        "A: now superseded by H (not pooled); B: 3/4 → 2/4; time point wk 8 → wk 12; "
        "+ H 8/21 (wk 52)"
    )
    assert table["UST+aTNF"] == "− D 1/2"
    notes = whats_new.row_changes_table(change).set_index("Study")
    assert notes.loc["B", "Before"] == "3/4 at wk 8 (primary)"
    assert notes.loc["H", "Notes"] == "note H" and notes.loc["D", "After"] == "—"
    # the same pools with no row changed: the method moved them, and the rule is named
    same = whats_new.compare(
        results, studies, moved, studies, old="1", new="2", old_rows=before, new_rows=before
    )
    assert set(whats_new.changes_table(same)["Data changes behind it"]) == {
        "no outcome row of this pool changed; pooling model or its settings "
        "(the same rows give another estimate)"
    }
    # an old release without rows says so instead of guessing
    blind = whats_new.compare(results, studies, moved, studies, old="1", new="2")
    assert (
        whats_new.changes_table(blind)["Data changes behind it"]
        .str.startswith("not recorded")
        .all()
    )


def test_every_release_keeps_its_rows_and_they_match_its_results():
    history = releases.read_releases()
    for version in history["version"]:
        rows = releases.read_snapshot_rows(version)
        assert rows is not None, version
        results, _ = releases.read_snapshot(version)
        primary = results[(results["method"] == "primary") & (results["regimen"] != "any")]
        pooled = rows[rows["superseded_by"] == ""]
        for result in primary.itertuples():
            pool = pooled[
                (pooled["outcome"] == result.outcome) & (pooled["regimen"] == result.regimen)
            ]
            assert pool["total"].sum() == result.n, result.result_id


def test_a_study_no_longer_in_the_data_is_named_not_cited():
    text = whats_new.cite_studies(["Alayo2021", "Alayo2020"], {"Alayo2020"})
    assert text == "{cite:t}`Alayo2020`; `Alayo2021` (no longer in the data package)"
    assert whats_new.cite_studies([], set()) == "none"
    with pytest.raises(ValueError):
        whats_new.cite_studies(["x`}{bad"], set())


def test_whats_new_names_the_rule_shows_renames_and_never_counts_as_a_rate():
    """A moved pool without data changes names its rule; a renamed study is renamed."""
    base = {"outcome": "sae", "regimen": "X", "old_k": 2, "new_k": 2, "old_n": 10, "new_n": 10}
    no_events = pd.Series(
        base
        | {"old_events": 0, "new_events": 0, "old_estimate": 0.08, "new_estimate": 0.0}
        | {"old_ci_low": 0.0, "old_ci_high": 1.0, "new_ci_low": 0.0, "new_ci_high": 0.308}
    )
    assert whats_new.rule_change(no_events).startswith("rule for pools with no events")
    assert whats_new._estimate(no_events, "new").startswith("0/10 (0.0")
    assert "0.0%" not in whats_new._estimate(no_events, "new").split("(")[0]
    interval = no_events.copy()
    interval[["old_events", "new_events", "old_estimate", "new_estimate"]] = [2, 2, 0.2, 0.2]
    assert whats_new.rule_change(interval).startswith("interval rule")
    rows = pd.DataFrame(
        {
            "study_id": ["Old2021", "New2020"],
            "arm_id": ["Old2021/mixed", "New2020/mixed"],
            "regimen": ["mixed", "mixed"],
            "outcome": ["ae", "ae"],
            "change": ["removed", "added"],
            "old_events": [2, None],
            "old_total": [35, None],
            "old_timepoint": ["end", None],
            "old_kind": ["primary", None],
            "old_superseded_by": ["", None],
            "new_events": [None, 2],
            "new_total": [None, 35],
            "new_timepoint": [None, "end"],
            "new_kind": [None, "primary"],
            "new_superseded_by": [None, ""],
            "notes": ["", ""],
        }
    )
    change = whats_new.Comparison("1", "2", pd.DataFrame(), ["New2020"], ["Old2021"], rows=rows)
    assert change.renamed == {"Old2021": "New2020"}
    table = whats_new.row_changes_table(change)
    assert list(table["Study"]) == ["New2020"]
    assert table["Change"].iloc[0].startswith("renamed (was Old2021)")
