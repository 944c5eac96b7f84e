"""Sparse pools (issue: zero events, two studies): no invented rates, honest intervals.

Reference values: exact Clopper-Pearson limits by hand (for x = 0 the upper limit solves
(1 - p)^n = 0.025, so p = 1 - 0.025^(1/n); for x = n the lower one is 0.025^(1/n)); GLMM
pools by R metafor 3.8-1, the call above each value (PI with t(k-1) as R meta 8 computes it:
``mu ± qt(0.975, k - 1) * sqrt(tau2 + se^2)``).
"""

import numpy as np
import pandas as pd
import pytest
from packages import write_package

import analysis as an
from analysis.engine.pooling import NotEstimableError, pool_proportions
from analysis.publish.chapters.outcomes import rates_sentence, summary_table
from analysis.review.settings import METHODS
from analysis.review.synthesis import any_combination_rows, outcome_rows

PRIMARY = METHODS["primary"]
SENSITIVITY = ("glmm_hk", "logit_reml_hk", "logit_pm", "logit_dl", "arcsine_dl")


def test_no_events_in_a_pool_is_its_counts_with_the_exact_interval():
    r = pool_proportions([0, 0], [6, 7], ["A", "B"], method=PRIMARY)
    assert (r.kind, r.events_total, r.n_total, r.estimate) == ("counts", 0, 13, 0.0)
    assert r.ci_low == 0 and r.ci_high == pytest.approx(1 - 0.025 ** (1 / 13), abs=1e-12)
    assert r.ci_high == pytest.approx(0.2471, abs=5e-5)
    assert np.isnan([r.pi_low, r.pi_high, r.tau2, r.i2, r.q, r.mu]).all()
    assert not r.fallback and "no continuity correction" in r.message
    # a single study with no events is the same: 0/13 -> 0 (0-24.7%)
    one = pool_proportions([0], [13], method=PRIMARY)
    assert (one.kind, one.ci_high) == ("counts", r.ci_high)


def test_only_events_in_a_pool_is_its_counts_too():
    r = pool_proportions([2, 3], [2, 3], method=PRIMARY)
    assert (r.kind, r.estimate, r.ci_high) == ("counts", 1.0, 1.0)
    assert r.ci_low == pytest.approx(0.025 ** (1 / 5), abs=1e-12)  # 0.4782


@pytest.mark.parametrize("key", SENSITIVITY)
def test_sensitivity_methods_say_not_estimable_without_variation(key):
    for x, n in (([0, 0], [6, 7]), ([0], [13]), ([5, 5], [5, 5])):
        with pytest.raises(NotEstimableError, match="models no rate"):
            pool_proportions(x, n, method=METHODS[key])


def test_continuity_correction_only_inside_a_pool_with_events():
    r = pool_proportions([0, 3], [10, 10], method=METHODS["logit_reml_hk"])
    # the 0/10 study enters with 0.5 added to events and non-events: logit(0.5/10.5)
    assert r.studies["yi"].iloc[0] == pytest.approx(np.log(0.5 / 10.5))
    assert r.studies["yi"].iloc[1] == pytest.approx(np.log(3 / 7))


def test_two_studies_glmm_wald_interval_and_no_prediction_interval():
    # the GLMM is the first sensitivity analysis of a 2-4-study pool (Bayes is primary)
    # rma.glmm(measure = "PLO", xi = c(2, 2), ni = c(8, 13), test = "z"):
    # 0.1904761905 [0.0733653182; 0.4115092081], tau² 0
    r = pool_proportions([2, 2], [8, 13], method=METHODS["glmm_ml"])
    assert r.kind == "random_effects" and not r.fallback
    assert [r.estimate, r.ci_low, r.ci_high] == pytest.approx(
        [0.1904761905, 0.0733653182, 0.4115092081], abs=1e-4
    )
    assert r.ci_df == np.inf and np.isnan([r.pi_low, r.pi_high]).all()
    # rma.glmm(xi = c(3, 5), ni = c(3, 6), test = "z"): 0.8888888881 [0.5001464317; 0.9846]
    near = pool_proportions([3, 5], [3, 6], method=METHODS["glmm_ml"])
    assert [near.estimate, near.ci_low, near.ci_high] == pytest.approx(
        [0.8888888881, 0.5001464317, 0.9846065093], abs=1e-4
    )
    # the old t(1) interval spanned 0-100%: the Hartung-Knapp-type row keeps it visible
    hk = pool_proportions([3, 5], [3, 6], method=METHODS["glmm_hk"])
    assert hk.ci_low < 0.01 and hk.ci_high > 0.999


def test_three_studies_prediction_interval_with_k_minus_1_df():
    # m <- rma.glmm(measure = "PLO", xi = c(1, 6, 6), ni = c(8, 13, 11), test = "z")
    # est 0.4046889865 [0.2374013098; 0.5974977050], tau² 0.0191267801,
    # PI transf.ilogit(m$beta ± qt(0.975, 2) * sqrt(m$tau2 + m$se^2)) = [0.0996759; 0.8067299]
    r = pool_proportions([1, 6, 6], [8, 13, 11], method=METHODS["glmm_ml"])
    expected = [0.4046889865, 0.2374013098, 0.5974977050, 0.0996759442, 0.8067298821]
    assert [r.estimate, r.ci_low, r.ci_high, r.pi_low, r.pi_high] == pytest.approx(
        expected, abs=1e-4
    )
    assert r.tau2 == pytest.approx(0.0191267801, abs=1e-3)


# --- the data package view ---------------------------------------------------------------

STUDIES = [
    ("X2020", "journal_article", ""),
    ("Y2021", "journal_article", ""),
    ("Z2022", "journal_article", ""),
    ("W2019", "journal_article", "Z2022"),
]
ARMS = [
    ("X2020/VDZ+UST", "vedolizumab", "ustekinumab", "VDZ+UST", "", "5", "5"),
    ("X2020/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "4", "4"),
    ("Y2021/VDZ+UST", "vedolizumab", "ustekinumab", "VDZ+UST", "", "3", "3"),
    ("Y2021/mixed", "", "", "mixed", "VDZ+UST;VDZ+aTNF", "8", "8"),
    ("Z2022/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "6", "6"),
    ("W2019/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "5", "5"),
]
OUTCOMES = [
    ("X2020/VDZ+UST", "sae", 0, 5, "week 24", "true"),
    ("X2020/VDZ+aTNF", "sae", 0, 4, "week 24", "true"),
    ("Y2021/VDZ+UST", "sae", 0, 3, "week 24", "true"),
    ("Y2021/mixed", "sae", 1, 8, "week 24", "true"),
    ("Z2022/VDZ+aTNF", "sae", 1, 6, "week 24", "true"),
    ("X2020/VDZ+UST", "clinical_remission", 2, 5, "week 24", "true"),
    ("X2020/VDZ+aTNF", "clinical_remission", 1, 4, "week 24", "true"),
    ("Z2022/VDZ+aTNF", "clinical_remission", 4, 6, "week 24", "true"),
    # W2019 is an earlier report of Z2022's cohort: it gives way where Z2022 reports the
    # outcome (remission) and is the cohort's only data where Z2022 does not (AE)
    ("W2019/VDZ+aTNF", "clinical_remission", 3, 5, "week 12", "true"),
    ("W2019/VDZ+aTNF", "ae", 2, 5, "week 12", "true"),
]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    root = write_package(tmp_path_factory.mktemp("sparse") / "data", STUDIES, ARMS, OUTCOMES)
    return an.load_dataset(root)


def test_any_combination_counts_a_study_with_two_arms_once(ds):
    rows = any_combination_rows(outcome_rows(ds, "clinical_remission")).set_index("study_id")
    # X2020 has two regimen arms and no whole-study count: the sum of its arms, once
    assert rows.loc["X2020", ["events", "total"]].tolist() == [3, 9]
    assert len(rows) == 2
    syn = an.synthesise(ds, "clinical_remission")
    assert syn.any_combination.k == 2 and syn.any_combination.n_total == 9 + 6
    # a study with a whole-study count enters with that count, not its arm
    sae = any_combination_rows(outcome_rows(ds, "sae")).set_index("study_id")
    assert sae.loc["Y2021", ["events", "total", "regimen"]].tolist() == [1, 8, "mixed"]
    assert an.synthesise(ds, "sae").any_combination.k == 3


def test_no_pool_without_events_is_ranked_by_a_rate(ds):
    syn = an.synthesise(ds, "sae")
    assert syn.pools["VDZ+UST"].kind == "counts"  # 0/5 and 0/3
    sentence = rates_sentence(syn)
    rate = f"{100 * syn.pools['VDZ+aTNF'].estimate:.1f}%"  # the wording rule, not the number
    assert sentence == (
        f"The only estimated rate was {rate} (VDZ+aTNF; 2 studies, 10 courses); "
        "no serious adverse events in VDZ+UST (0/8 courses)."
    )
    table = summary_table(syn).set_index("Regimen")
    assert table.at["VDZ+UST", "Model"] == "no events: pooled counts, exact CI, no model"
    # counts, not a rate: 0/8 with the exact interval of 0/8 (1 - 0.025^(1/8) = 36.9%)
    assert table.at["VDZ+UST", "Pooled % (95% CI)"] == "0/8 (0.0\u201336.9%)"
    assert table.at["VDZ+aTNF", "I\u00b2 (\u03c4\u00b2-based)"] == "\u2014"  # not with 2
    assert table.at["VDZ+aTNF", "95% PI"] == "\u2014"  # two studies: no PI
    assert "2 studies: between-study variance not estimable" in table.at["VDZ+aTNF", "Model"]


def test_results_table_marks_counts_and_leaves_heterogeneity_empty(ds):
    table = an.results_table(ds, methods=("primary", "logit_reml_hk")).set_index("result_id")
    counts = table.loc["sae/VDZ+UST/primary"]
    assert counts["status"] == "pooled counts" and counts["ci_high"] == pytest.approx(
        1 - 0.025 ** (1 / 8)
    )
    assert pd.isna(counts[["pi_low", "pi_high", "tau2", "i2", "q"]]).all()
    refused = table.loc["sae/VDZ+UST/logit_reml_hk"]
    assert refused["status"] == "not estimable" and pd.isna(refused["estimate"])
    assert (refused["k"], refused["n"], refused["events"]) == (2, 8, 0)
    two = table.loc["sae/VDZ+aTNF/primary"]
    assert two["status"] == "pooled" and pd.isna(two["pi_low"]) and two["q_df"] == 1


def test_a_superseded_report_gives_way_only_where_the_later_one_reports(ds):
    remission = outcome_rows(ds, "clinical_remission")
    assert "W2019" not in set(remission["study_id"]) and "Z2022" in set(remission["study_id"])
    ae = outcome_rows(ds, "ae")
    assert ae["study_id"].tolist() == ["W2019"]


def test_clinical_subgroups_compare_studies_of_one_disease(ds):
    # X2020, Y2021, Z2022 and W2019 are all "IBD" in the hand-made package: no comparison
    assert an.clinical_subgroups(ds).empty
