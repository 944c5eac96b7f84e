"""Clinical subgroups: three tests, no claim from small subgroups, ICEMAN wording (fast).

Synthetic counts and a hand-made data package only; no study of ``data/`` is named.
"""

import math

import pandas as pd
import pytest
from packages import write_package
from scipy import stats

import analysis as an
from analysis.engine.subgroups import f_test, subgroup_analysis
from analysis.review.settings import METHODS, MIN_K_SUBGROUP
from analysis.review.subgroups import credibility

LOGIT = METHODS["logit_reml_hk"]


def test_t_based_test_is_q_between_on_the_f_distribution():
    events, totals = [2, 3, 4, 10, 12, 14], [20, 20, 20, 20, 20, 20]
    groups = ["a", "a", "a", "b", "b", "b"]
    result = subgroup_analysis(events, totals, groups, method=LOGIT)
    stat, df1, df2, p = f_test(result)
    assert (df1, df2) == (1, 4)
    assert stat == pytest.approx(result.q_between)
    assert p == pytest.approx(stats.f.sf(result.q_between, 1, 4))
    # the F test allows for the variances' uncertainty: never smaller than the chi² p here
    assert p >= result.p_value


def test_t_based_test_needs_more_studies_than_subgroups():
    result = subgroup_analysis([2, 10], [20, 20], ["a", "b"], method=LOGIT)
    stat, _, df2, p = f_test(result)
    assert df2 == 0 and math.isnan(stat) and math.isnan(p)


def test_no_claim_from_a_subgroup_below_the_minimum():
    claim, cred, why = credibility([5, MIN_K_SUBGROUP - 1], (0.001, 0.001, 0.001), 4)
    assert not claim and cred == "very low" and "fewer than" in why


def test_credibility_is_at_best_low_and_needs_every_test():
    claim, cred, why = credibility([4, 4], (0.01, 0.02, 0.03), 4)
    assert claim and cred == "low" and "between-study" in why and "one of 4" in why
    claim, cred, why = credibility([4, 4], (0.01, 0.2, 0.03), 4)
    assert claim and cred == "very low" and "2 of 3 tests" in why
    _, cred, why = credibility([4, 4], (0.5, 0.6, 0.7), 4)
    assert cred == "very low" and why.startswith("no test p <")
    claim, _, why = credibility([4, 4], (float("nan"),) * 3, 4)
    assert not claim and "no test" in why


STUDIES = [(f"S{i}", "journal_article", "") for i in range(1, 9)]
ARMS = [
    (f"S{i}/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "20", "20") for i in range(1, 9)
]
EVENTS = [4, 5, 6, 5, 14, 15, 13, 16]
OUTCOMES = [
    (f"S{i}/VDZ+aTNF", "clinical_remission", e, 20, "week 12", "true")
    for i, e in zip(range(1, 9), EVENTS, strict=True)
]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    root = tmp_path_factory.mktemp("subgroups") / "data"
    write_package(root, STUDIES, ARMS, OUTCOMES)
    studies = pd.read_csv(root / "studies.csv", dtype=str, keep_default_na=False)
    studies["disease"] = ["CD"] * 4 + ["UC"] * 4
    studies["population"] = ["adult"] * 6 + ["paediatric"] * 2
    studies.to_csv(root / "studies.csv", index=False)
    return an.load_dataset(root)


def test_clinical_subgroups_give_three_tests_and_a_credibility(ds):
    frame = an.clinical_subgroups(ds)
    disease = frame[frame["factor"] == "disease"]
    assert len(disease) == 2 and disease["claim"].all()
    row = disease.iloc[0]
    assert row["p_value"] < 0.05 and row["p_common"] < 0.05 and row["p_t"] < 0.05
    assert row["credibility"] == "low"
    age = frame[frame["factor"] == "population"].iloc[0]
    assert not age["claim"] and "fewer than" in age["credibility_reason"]
    facts = an.subgroup_facts(frame)
    assert facts["sg_n"] == "2" and facts["sg_n_no_claim"] == "1" and facts["sg_n_low"] == "1"
    table = an.clinical_subgroup_table(frame)
    assert {"Separate \u03c4\u00b2", "Common \u03c4\u00b2", "t-based"} <= set(table.columns)
    assert table["Credibility (ICEMAN)"].str.startswith("low").any()
