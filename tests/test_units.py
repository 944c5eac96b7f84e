"""The unit of each count (course or patient), derived from the data (fast, synthetic)."""

import pytest
from packages import write_package

import analysis as an
from analysis.publish.chapters import methods as pf
from analysis.review.synthesis import _unit, count_units, study_units


def test_unit_from_the_stated_patients_and_courses():
    assert _unit(53, 50, 53) == "courses"
    assert _unit(50, 50, 53) == "patients"
    assert _unit(40, 50, 53) == "subset"
    assert _unit(12, 12, 12) == "one_each"
    assert _unit(9, 9, float("nan")) == "patients_only"
    assert _unit(9, float("nan"), 9) == "courses"
    assert _unit(7, 9, float("nan")) == "subset"
    assert _unit(7, float("nan"), float("nan")) == "unknown"


STUDIES = [("P2020", "journal_article", ""), ("Q2021", "journal_article", "")]
ARMS = [
    ("P2020/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "30", "30"),
    ("P2020/VDZ+UST", "vedolizumab", "ustekinumab", "VDZ+UST", "", "", "13"),
    ("P2020/mixed", "", "", "mixed", "VDZ+UST;VDZ+aTNF", "40", "43"),
    ("Q2021/VDZ+UST", "vedolizumab", "ustekinumab", "VDZ+UST", "", "8", ""),
]
OUTCOMES = [
    ("P2020/VDZ+aTNF", "sae", 1, 30, "week 52", "true"),
    ("P2020/VDZ+UST", "sae", 0, 13, "week 52", "true"),
    ("P2020/mixed", "ae", 20, 40, "week 52", "true"),
    ("Q2021/VDZ+UST", "sae", 0, 8, "week 24", "true"),
]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    root = tmp_path_factory.mktemp("units") / "data"
    write_package(root, STUDIES, ARMS, OUTCOMES)
    return an.load_dataset(root)


def test_whole_study_counts_say_patients_or_courses(ds):
    frame = count_units(ds).set_index(["arm_id", "outcome"])
    assert frame.loc[("P2020/mixed", "ae"), "unit"] == "patients"  # 40 patients, 43 courses
    assert frame.loc[("P2020/mixed", "ae"), "whole_study"]
    assert frame.loc[("P2020/VDZ+UST", "sae"), "unit"] == "courses"
    assert frame.loc[("Q2021/VDZ+UST", "sae"), "unit"] == "patients_only"
    units = study_units(ds)
    assert units["P2020"].startswith("whole study: patients (43 courses of 40 patients)")
    table = an.studies_table(ds).set_index("Study")
    assert table.at["Q2021", "Unit of counts"] == "per combination: patients (courses not stated)"
    facts = pf.unit_facts(ds)
    assert facts["unit_n_patients"] == "1" and facts["unit_patients_studies"] == "P2020"
