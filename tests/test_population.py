"""Which patients stand behind a pool (review.population), on a hand-made package."""

import csv

from analysis.datapackage import load_dataset
from analysis.review.population import pool_population
from tests.packages import write_package

STUDIES = [("A", "journal_article", ""), ("B", "journal_article", ""), ("C", "letter", "")]
ARMS = [
    ("A/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", 10, 10),
    ("B/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", 30, 30),
    ("C/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", 20, 20),
]
OUTCOMES = [
    (f"{s}/VDZ+aTNF", "ae", 2, n, "w12", "true") for s, n in (("A", 10), ("B", 30), ("C", 20))
]


def test_courses_by_refractoriness_and_weighted_prior_number(tmp_path):
    root = write_package(tmp_path / "data", STUDIES, ARMS, OUTCOMES)
    header = [
        "study_id",
        "prior_advanced_n",
        "prior_advanced_median",
        "prior_advanced_stat",
        "prior_anti_tnf_pct",
        "prior_vedolizumab_pct",
        "prior_ustekinumab_pct",
        "prior_jak_pct",
        "refractory",
        "reported",
        "read",
        "source",
        "locator",
        "quote",
        "notes",
    ]
    rows = [
        {
            "study_id": "A",
            "prior_advanced_median": "4",
            "prior_advanced_stat": "median",
            "refractory": "yes",
            "reported": "yes",
            "read": "abstract",
            "quote": "x",
        },
        {
            "study_id": "B",
            "prior_advanced_median": "2",
            "prior_advanced_stat": "median",
            "refractory": "no",
            "reported": "yes",
            "read": "abstract",
            "quote": "y",
        },
        {
            "study_id": "C",
            "refractory": "not_reported",
            "reported": "not_reported",
            "read": "abstract",
        },
    ]
    with (root / "prior_therapy.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in header} for r in rows)
    population = pool_population(load_dataset(root, validate=False), "ae", "VDZ+aTNF")
    assert (population.courses, population.refractory, population.naive) == (60, 10, 30)
    assert population.not_reported == 20 and population.k_prior == 2
    assert population.prior_median == (4 * 10 + 2 * 30) / 40  # weighted by courses
    assert "refractory 10 of 60 courses" in population.words()


def test_summary_cells_say_how_refractory_the_patients_were(tmp_path):
    from analysis.publish.sof import CAVEATS, sof_caveats

    root = write_package(tmp_path / "data", STUDIES, ARMS, OUTCOMES)
    (root / "prior_therapy.csv").write_text(
        "study_id,prior_advanced_n,prior_advanced_median,prior_advanced_stat,prior_anti_tnf_pct,"
        "prior_vedolizumab_pct,prior_ustekinumab_pct,prior_jak_pct,refractory,reported,read,"
        "source,locator,quote,notes\n"
        "A,,,,,,,,yes,yes,abstract,,,x,\nB,,,,,,,,no,yes,abstract,,,y,\n"
    )
    cell = sof_caveats(load_dataset(root, validate=False))["VDZ+aTNF", "ae"]
    assert "naive patients" in cell and "refractory in 10/60" in cell
    assert {"naive patients", "refractory in r/n", "prior therapy not reported"} <= set(CAVEATS)
