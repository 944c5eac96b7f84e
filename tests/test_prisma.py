"""PRISMA 2020 counts and diagrams (fast)."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.datapackage.load import load_dataset  # noqa: E402
from analysis.publish.figures import prisma_diagram  # noqa: E402
from analysis.publish.formatting import NOT_REPORTED  # noqa: E402
from analysis.review import selection as prisma  # noqa: E402

STUDIES = pd.DataFrame(
    {
        "study_id": ["A", "B", "C", "D"],
        "review_version": ["2022", "living", "living", "2026"],
        "overlaps_with": ["", "", "B", ""],
    }
)


def test_count_matching_rules():
    assert prisma.count_matching(STUDIES, "review_version=living") == 2
    assert prisma.count_matching(STUDIES, "review_version=living;overlaps_with=") == 1
    assert prisma.count_matching(STUDIES, "review_version=2022|2026") == 2
    assert prisma.count_matching(STUDIES, "overlaps_with!=") == 1
    with pytest.raises(ValueError):
        prisma.count_matching(STUDIES, "colour=red")


def _write(tmp_path, text):
    (tmp_path / "prisma.csv").write_text(
        "review_version,stage,count,reason,source,locator,notes\n" + text
    )
    return prisma.read_prisma(tmp_path)


def test_counts_are_sourced_derived_or_not_reported(tmp_path):
    table = _write(
        tmp_path,
        "x,identified,100,,doi:1,abstract,\n"
        "x,excluded_full_text,7,wrong population,doi:1,Fig 1,\n"
        "x,previous_studies,,,data/studies.csv,review_version=2022,\n"
        "x,new_studies,,,data/studies.csv,review_version=living,\n",
    )
    counts = prisma.prisma_counts(table, "x", STUDIES)
    assert counts["identified"] == 100
    assert counts["screened"] is None  # no row: not reported
    assert counts["previous_studies"] == 1 and counts["new_studies"] == 2
    assert counts["reasons"] == [("wrong population", 7)]
    assert counts["updated"]


def test_diagram_shows_counts_and_not_reported():
    counts = {"identified": 3688, "included_studies": 13, "reasons": [], "updated": False}
    ax = prisma_diagram(counts)
    texts = " ".join(" ".join(t.get_text().split()) for t in ax.texts)
    assert "3,688" in texts and "(n = 13)" in texts
    assert NOT_REPORTED in texts
    assert "previous version" not in texts
    updated = prisma_diagram(
        {"previous_studies": 13, "new_studies": 14, "included_studies": 27, "updated": True}
    )
    texts = " ".join(" ".join(t.get_text().split()) for t in updated.texts)
    assert "previous version" in texts and "(n = 27)" in texts


def test_repository_counts_match_their_sources():
    ds = load_dataset()
    table = prisma.read_prisma(ds.data_dir)
    c2022 = prisma.prisma_counts(table, "2022", ds.studies)
    assert c2022["identified"] == 3688 and c2022["included_studies"] == 13
    c2026 = prisma.prisma_counts(table, "2026", ds.studies)
    assert c2026["included_studies"] == 27 and c2026["previous_studies"] == 13
    studies = ds.studies
    first = prisma.prisma_counts(table, "living", ds.studies)
    assert first["new_reports"] == (studies["search_date"] == "2026-11-24").sum()
    assert first["identified"] is None and first["screened"] is None  # not recorded
    second = prisma.prisma_counts(table, "living-2", ds.studies)
    log = pd.read_csv(ds.data_dir / "search_log.csv")
    assert second["identified"] == log["records_found"].sum()
    assert second["full_text_assessed"] == log["included_candidates"].sum()
    assert second["identified"] - second["duplicates_removed"] == second["screened"]
    assert second["screened"] - second["excluded_screening"] == second["full_text_assessed"]
    assert second["new_reports"] == (studies["search_date"] == "2026-12-02").sum()
    # the flow adds up: previous + new - those the new reports supersede = included
    superseded_now = (
        studies["overlaps_with"]
        .isin(studies.loc[studies["search_date"] == "2026-12-02", "study_id"])
        .sum()
    )
    assert (
        second["previous_studies"] + second["new_studies"] - superseded_now
        == second["included_studies"]
        == studies["overlaps_with"].eq("").sum()
    )
