"""PRISMA 2020 flows computed from record-level search data (fast).

Rules are asserted on small hand-made packages (tests/packages.py); on the real data only
relations are asserted (the flow adds up, every included record is a study), never
today's counts, so a new search round needs no test edit.
"""

import csv

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from analysis.datapackage import load_dataset, validate_data_dir  # noqa: E402
from analysis.publish import searches  # noqa: E402
from analysis.publish.formatting import NOT_REPORTED  # noqa: E402
from analysis.publish.searches import flow_diagram, prisma_diagram  # noqa: E402
from analysis.review.selection import search_flows  # noqa: E402
from tests.packages import write_package, write_searches  # noqa: E402

STUDIES = [("A", "journal_article", ""), ("B", "journal_article", ""), ("C", "letter", "B")]
ARMS = [
    ("A/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", 5, 5),
    ("B/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", 6, 6),
    ("C/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", 4, 4),
]
OUTCOMES = [
    ("A/VDZ+aTNF", "ae", 1, 5, "w12", "true"),
    ("B/VDZ+aTNF", "ae", 2, 6, "w12", "true"),
    ("C/VDZ+aTNF", "ae", 1, 4, "w12", "true"),
]
#: Round 1 finds B by a database query and C by citation searching; round 2 meets B again.
QUERIES = [
    (1, "r1-q001", "database", "q one"),
    (1, "r1-q002", "database", "q two"),
    (1, "r1-q003", "citation", "review table"),
    (2, "r2-q001", "database", "q three"),
]
RECORDS = [
    (1, "r1-q001", 1, "pmid:1", "excluded", "review or secondary page", ""),
    (1, "r1-q001", 2, "pmid:2", "included", "", "B"),
    (1, "r1-q001", 3, "pmid:3", "ineligible", "no eligible outcome", ""),
    (1, "r1-q002", 1, "pmid:1", "", "", ""),  # a duplicate, found by its identifier
    (1, "r1-q002", 2, "pmid:4", "excluded", "not dual targeted therapy", ""),
    (1, "r1-q003", 1, "url:https://x.org/t2#C", "included", "", "C"),
    (2, "r2-q001", 1, "pmid:2", "excluded", "study already included", "B"),
    (2, "r2-q001", 2, "pmid:5", "excluded", "not IBD", ""),
]


@pytest.fixture
def package(tmp_path):
    root = write_package(tmp_path / "data", STUDIES, ARMS, OUTCOMES, living=("B", "C"))
    write_searches(
        root,
        rounds=[(1, "2026-11-24", "recorded"), (2, "2026-12-02", "recorded")],
        queries=QUERIES,
        records=RECORDS,
    )
    return root


def test_the_flow_is_computed_from_the_records(package):
    assert validate_data_dir(package) == []
    flows = {f.search_id: f for f in search_flows(load_dataset(package))}
    first, second = flows["living-1"].counts, flows["living-2"].counts
    # 5 database sightings, pmid:1 met twice: 4 screened, 2 excluded, 2 assessed (1 ineligible)
    assert (first["identified"], first["duplicates_removed"], first["screened"]) == (5, 1, 4)
    assert (first["excluded_screening"], first["full_text_assessed"]) == (2, 2)
    assert (first["other_identified"], first["other_assessed"]) == (1, 1)
    assert flows["living-1"].reasons == [("no eligible outcome", 1)]
    # reports B and C are new; C is superseded by B, so one new study; A was there before
    assert (first["previous_studies"], first["new_reports"], first["new_studies"]) == (1, 2, 1)
    assert first["included_studies"] == 2
    # round 2 meets pmid:2 again: a duplicate across rounds, not a new record
    assert (second["identified"], second["duplicates_removed"], second["screened"]) == (2, 1, 1)
    assert second["new_reports"] == 0 and second["included_studies"] == 2


def test_a_round_without_kept_records_has_no_record_counts(package):
    path = package / "searches.csv"
    path.write_text(path.read_text().replace("2026-12-02,recorded", "2026-12-02,not_recorded"))
    assert validate_data_dir(package) == []
    flow = search_flows(load_dataset(package))[-1]
    assert flow.counts["identified"] is None and flow.counts["screened"] is None
    assert "were not kept" in searches.round_paragraph(flow)


def _problems(root):
    return [str(p) for p in validate_data_dir(root)]


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_contradicting_repeat_is_an_error(package):
    _edit(
        package / "search_records.csv", "1,r1-q002,1,pmid:1,x,,", "1,r1-q002,1,pmid:1,x,included,"
    )
    assert any("search_records.csv:5:decision" in p for p in _problems(package))


def test_an_excluded_record_needs_a_reason(package):
    _edit(package / "search_records.csv", "excluded,not IBD", "excluded,")
    assert any(":reason: a record excluded needs a reason" in p for p in _problems(package))


def test_a_search_date_without_a_round_is_an_error(package):
    _edit(package / "studies.csv", "2026-11-24", "2026-11-30")
    assert any(
        "studies.csv:3:search_date" in p and "add the search round" in p for p in _problems(package)
    )


def test_a_kept_round_must_include_every_study_dated_to_it(package):
    rows = list(csv.reader((package / "search_records.csv").open()))
    kept = [r for r in rows if r[7] != "C"]
    with (package / "search_records.csv").open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(kept)
    assert any("C is dated to round 1" in p for p in _problems(package))


def test_rounds_are_numbered_in_date_order(package):
    _edit(package / "searches.csv", "living-2,living,2,", "living-2,living,3,")
    assert any("searches.csv:5:round" in p for p in _problems(package))


def test_published_prisma_arithmetic_is_checked(package):
    (package / "prisma.csv").write_text(
        "review_version,stage,count,reason,source,locator,notes\n"
        "2026,previous_studies,13,,https://x.org,abstract,\n"
        "2026,new_studies,10,,https://x.org,abstract,\n"
        "2026,included_studies,27,,https://x.org,abstract,\n"
    )
    assert any(
        "prisma.csv:4:count" in p and "is not previous_studies 13" in p for p in _problems(package)
    )


def test_every_round_gets_a_paragraph_and_a_diagram(package):
    ds = load_dataset(package)
    text = searches.selection_markdown(ds)
    for flow in search_flows(ds):
        assert searches.figure_key(flow) in text
    assert "Living search 2 (2 December 2026)" in text
    assert "Living search 2" in searches.methods_sentence(ds) or "(search 2)" in (
        searches.methods_sentence(ds)
    )


def test_diagram_shows_counts_and_not_reported():
    counts = {"identified": 3688, "included_studies": 13, "reasons": [], "updated": False}
    ax = prisma_diagram(counts)
    texts = " ".join(" ".join(t.get_text().split()) for t in ax.texts)
    assert "3,688" in texts and "(n = 13)" in texts
    assert NOT_REPORTED in texts


def test_real_data_flows_add_up():
    """Relations only: they hold for any number of rounds and studies."""
    ds = load_dataset()
    flows = search_flows(ds)
    assert [f.round for f in flows if f.round] == list(range(1, len(flows) - 1))
    previous = None
    for flow in flows:
        c = flow.counts
        if flow.round is None:
            continue
        if previous is not None:
            assert c["previous_studies"] == previous
        if flow.kept:
            assert c["identified"] - c["duplicates_removed"] == c["screened"]
            assert c["screened"] >= c["excluded_screening"] + c["full_text_assessed"]
            included = ds.search_records[
                (ds.search_records["round"] == flow.round)
                & (ds.search_records["decision"] == "included")
            ]
            assert set(included["study_id"]) == set(
                ds.studies.loc[ds.studies["search_date"] == flow.date, "study_id"]
            )
        assert c["new_reports"] == (ds.studies["search_date"] == flow.date).sum()
        previous = c["included_studies"]
        fig = flow_diagram(flow)
        assert fig.texts
    assert previous == ds.studies["overlaps_with"].eq("").sum()
