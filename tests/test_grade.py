"""Certainty rules (GRADE for single-arm rates), each pinned on a small synthetic case (fast).

No test here names a study of ``data/`` or counts its rows: the rules are checked on
hand-made pools and rows, and on a hand-made data package.
"""

import math

import pandas as pd
import pytest
from packages import write_package

import analysis as an
from analysis.engine.pooling import pool_proportions
from analysis.publish.chapters import certainty as pf
from analysis.publish.formatting import fmt_i2
from analysis.review import certainty as grade
from analysis.review.settings import METHODS, MIN_K_HETEROGENEITY, THRESHOLDS
from analysis.review.synthesis import result_record

PRIMARY = METHODS["primary"]
RISK = pd.Series({"A": "low", "B": "unclear", "C": "high"})
#: Thresholds of a made-up outcome kind (the rules take them as data).
SAFETY = grade.DecisionThresholds("safety", (0.05, 0.15), 2.0, "test")
EFFICACY = grade.DecisionThresholds("efficacy", (0.25, 0.50), 2.0, "test")


def evidence(**fields):
    """A pooled rate as any model might give it (no engine involved)."""
    base = dict(kind="random_effects", k=3, estimate=0.5, ci_low=0.4, ci_high=0.6)
    return grade.PoolEvidence(**(base | fields))


# --- starting level ----------------------------------------------------------------------


def test_every_rate_starts_high_rct_arms_included():
    rows = pd.DataFrame({"study_id": ["A"], "total": [52], "design": ["RCT"]})
    pool = pool_proportions([48], [52], method=PRIMARY)
    assert grade.assess(pool, rows, RISK)["start"] == grade.START == 4


# --- imprecision -------------------------------------------------------------------------


def test_imprecision_crossing_thresholds_not_a_width():
    # 10-29%: 19 points wide, yet it crosses 15% and its upper bound is ~3 times the lower
    assert grade.judge_imprecision(0.10, 0.29, SAFETY).downgrade == 1
    # 0-31%: crosses 5% and 15%
    assert grade.judge_imprecision(0.0, 0.31, SAFETY).downgrade == 2
    # narrow, within one zone, bounds close in ratio: precise
    assert grade.judge_imprecision(0.815, 0.979, SAFETY).downgrade == 0
    # no threshold crossed, but the upper bound is more than twice the lower
    judged = grade.judge_imprecision(0.20, 0.45, SAFETY)
    assert judged.downgrade == 1 and "2.2 times" in judged.reason
    # an interval that reaches 0 never bounds a rate below: at least serious
    zero = grade.judge_imprecision(0.0, 0.04, SAFETY)
    assert zero.downgrade == 1 and "reaches 0" in zero.reason


def test_imprecision_never_falls_as_an_interval_widens():
    grid = [i / 50 for i in range(51)]
    for low in grid:
        previous = 0
        for high in [h for h in grid if h > low]:
            now = grade.judge_imprecision(low, high, EFFICACY).downgrade
            assert now >= previous, (low, high)
            previous = now
        for wider in [w for w in grid if w < low]:
            narrow = grade.judge_imprecision(low, 1.0, EFFICACY).downgrade
            assert grade.judge_imprecision(wider, 1.0, EFFICACY).downgrade >= narrow


def test_thresholds_are_defined_per_outcome_kind_with_a_rationale():
    assert set(THRESHOLDS) == {"safety", "efficacy"}
    for kind, t in THRESHOLDS.items():
        assert t.kind == kind and t.rationale and list(t.thresholds) == sorted(t.thresholds)
        assert all(0 < v < 1 for v in t.thresholds) and t.max_ratio > 1
    assert grade.outcome_kind("sae") == grade.outcome_kind("ae") == "safety"
    assert grade.outcome_kind("clinical_remission") == "efficacy"


# --- inconsistency -----------------------------------------------------------------------


def test_inconsistency_from_tau_whatever_the_model():
    # a Bayesian (or any) model reporting tau: the range of true rates is judged
    flat = grade.judge_inconsistency(evidence(tau=0.0), EFFICACY)
    assert flat.downgrade == 0 and "1 zone" in flat.reason
    wide = grade.judge_inconsistency(evidence(estimate=0.6, tau=1.5), EFFICACY)
    assert wide.downgrade == 2 and "3 zones" in wide.reason
    some = grade.judge_inconsistency(evidence(estimate=0.6, tau=0.5), EFFICACY)
    assert some.downgrade == 1


def test_two_studies_never_read_as_no_heterogeneity():
    # two studies: tau is not estimable, even where a model reports one
    agree = evidence(
        k=2,
        tau=3.0,
        study_rates=(0.2, 0.4),
        study_ci_low=(0.05, 0.2),
        study_ci_high=(0.5, 0.6),
    )
    judged = grade.judge_inconsistency(agree, EFFICACY)
    assert judged.downgrade == 0 and "not estimable" in judged.reason
    assert "no heterogeneity" not in judged.reason and "overlap" in judged.reason
    apart = evidence(
        k=2, study_rates=(0.1, 0.8), study_ci_low=(0.02, 0.6), study_ci_high=(0.25, 0.9)
    )
    assert grade.judge_inconsistency(apart, EFFICACY).downgrade == 1
    # from the engine: two compatible studies (tau² = 0) are still "not estimable"
    pool = pool_proportions([2, 2], [8, 13], method=PRIMARY)
    from_engine = grade.judge_inconsistency(grade.PoolEvidence.from_pool(pool), SAFETY)
    assert "not estimable" in from_engine.reason and "no heterogeneity" not in from_engine.reason


def test_one_study_and_pools_without_variation_are_not_assessable():
    one = grade.PoolEvidence.from_pool(pool_proportions([3], [10], method=PRIMARY))
    assert grade.judge_inconsistency(one, SAFETY).downgrade == 0
    zero = pool_proportions([0, 0], [6, 7], method=PRIMARY)
    judged = grade.judge_inconsistency(grade.PoolEvidence.from_pool(zero), SAFETY)
    assert zero.kind == "counts" and judged.downgrade == 0
    assert judged.reason.startswith("not assessable")


def test_clearly_different_studies_are_inconsistent():
    varied = pool_proportions([2, 30, 10, 25, 5], [40, 40, 40, 30, 50], method=PRIMARY)
    judged = grade.judge_inconsistency(grade.PoolEvidence.from_pool(varied), EFFICACY)
    assert varied.tau2 > 0 and judged.downgrade == 2


# --- risk of bias and the time frame -----------------------------------------------------


def test_risk_of_bias_from_per_study_judgements():
    assert grade.judge_risk_of_bias(["A", "B"], [30, 10], RISK).downgrade == 0
    assert grade.judge_risk_of_bias(["A", "B"], [10, 30], RISK).downgrade == 1
    assert grade.judge_risk_of_bias(["A", "C"], [10, 30], RISK).downgrade == 2
    # a study with no assessment counts as unclear
    assert grade.judge_risk_of_bias(["A", "Z"], [10, 30], RISK).downgrade == 1


ROB = pd.DataFrame(
    {
        "study_id": ["A", "B", "C", "S"],
        "selection": ["low", "low", "high", "low"],
        "ascertainment": ["low", "unclear", "unclear", "low"],
        "causality": ["low", "low", "low", "high"],
        "reporting": ["low", "low", "unclear", "low"],
    }
)


def test_study_risk_follows_the_codebook_overall_rule():
    # selection or ascertainment high -> high; both low -> low unless another domain is
    # high (then unclear); otherwise unclear (data/README.md, risk_of_bias.csv overall)
    assert grade.study_risk(ROB).to_dict() == {
        "A": "low",
        "B": "unclear",
        "C": "high",
        "S": "unclear",
    }
    stated = ROB.assign(overall=["low", "high", "high", "unclear"])
    assert grade.study_risk(stated).to_dict() == {
        "A": "low",
        "B": "high",
        "C": "high",
        "S": "unclear",
    }


def test_short_follow_up_moves_from_risk_of_bias_to_indirectness():
    studies = pd.DataFrame({"study_id": ["A", "S"], "followup_weeks": [52.0, 10.0]})
    short = grade.short_followup(studies)
    assert short == ["S"]
    risk = grade.study_risk(ROB, short)
    assert risk["S"] == "low"  # its only "high" was causality, i.e. the follow-up
    rob = grade.judge_risk_of_bias(["S"], [50], risk, time_frame=short)
    assert rob.downgrade == 0 and "indirectness" in rob.reason
    rows = pd.DataFrame({"study_id": ["S"], "total": [50], "followup_weeks": [10.0]})
    indirect = grade.judge_indirectness(rows)
    assert indirect.downgrade == 1 and "follow-up 10 weeks" in indirect.reason


# --- indirectness ------------------------------------------------------------------------


def test_indirect_studies_downgrade_only_where_they_carry_the_pool():
    rows = pd.DataFrame(
        {
            "study_id": ["A", "B", "C"],
            "total": [60, 20, 20],
            "population_indirect": ["not refractory", "", ""],
            "cointervention": ["", "", ""],
        }
    )
    carried = grade.judge_indirectness(rows)
    assert carried.downgrade == 1 and "60% of courses" in carried.reason
    assert "population: not refractory" in carried.reason
    minority = rows.assign(total=[20, 40, 40])
    assert grade.judge_indirectness(minority).downgrade == 0
    triple = rows.assign(population_indirect="", cointervention=["methotrexate", "", ""])
    judged = grade.judge_indirectness(triple)
    assert judged.downgrade == 1 and "co-intervention: methotrexate" in judged.reason
    assert grade.judge_indirectness(rows.iloc[1:]).reason == "matches the review question"


# --- publication bias --------------------------------------------------------------------


def test_publication_bias_suspected_for_small_uncontrolled_bodies():
    series = pd.DataFrame(
        {
            "study_id": ["A", "B"],
            "total": [10, 8],
            "design": ["retrospective", "case_series"],
            "publication_type": ["journal_article", "conference_abstract"],
        }
    )
    judged = grade.judge_publication_bias(series)
    assert judged.downgrade == 1 and judged.reason.startswith("suspected")
    assert "1 of 2 reports a conference abstract" in judged.reason
    assert "too few to test" in judged.reason
    # a prospective cohort is still an uncontrolled series
    cohort = series.assign(design="prospective", publication_type="journal_article")
    assert grade.judge_publication_bias(cohort).downgrade == 1
    trial = series.assign(design=["RCT", "case_series"], total=[70, 8])
    assert grade.judge_publication_bias(trial).downgrade == 0
    # a trial known only from an abstract does not show the body to be complete
    abstract = trial.assign(publication_type="conference_abstract")
    assert grade.judge_publication_bias(abstract).downgrade == 1


# --- the whole assessment ----------------------------------------------------------------


def test_assess_applies_overrides_with_reasons():
    rows = pd.DataFrame(
        {
            "study_id": ["A"],
            "total": [71],
            "design": ["RCT"],
            "publication_type": ["journal_article"],
        }
    )
    pool = pool_proportions([59], [71], method=PRIMARY)  # 72-91%: one efficacy zone
    plain = grade.assess(pool, rows, RISK, outcome="clinical_response")
    assert plain["certainty"] == "High" and not any(j.downgrade for j in plain["domains"].values())
    overrides = pd.DataFrame(
        {
            "outcome": ["*"],
            "regimen": ["X+Y"],
            "domain": ["indirectness"],
            "downgrade": ["1"],
            "reason": ["indirect outcome"],
            "source": [""],
        }
    )
    result = grade.assess(pool, rows, RISK, overrides, outcome="clinical_response", regimen="X+Y")
    assert result["certainty"] == "Moderate"
    assert result["domains"]["indirectness"].override
    assert result["domains"]["indirectness"].reason == "indirect outcome"


def test_assess_takes_any_model_through_pool_evidence():
    rows = pd.DataFrame({"study_id": ["A", "B", "C"], "total": [30, 30, 30]})
    bayes = evidence(k=3, estimate=0.3, ci_low=0.1, ci_high=0.6, tau=0.8)
    result = grade.assess(bayes, rows, RISK, outcome="clinical_remission")
    assert result["domains"]["imprecision"].downgrade == 2  # crosses 25% and 50%
    assert result["domains"]["inconsistency"].downgrade >= 1


def test_floor_is_very_low():
    rows = pd.DataFrame({"study_id": ["C", "C2", "C3"], "total": [3, 4, 5]})
    pool = pool_proportions([1, 3, 0], [3, 4, 5], method=PRIMARY)
    result = grade.assess(pool, rows, pd.Series({"C": "high", "C2": "high", "C3": "high"}))
    assert sum(j.downgrade for j in result["domains"].values()) >= 4
    assert result["level"] == 1 and result["certainty"] == "Very low"


def test_every_rule_is_one_sentence_with_a_source_and_its_numbers_filled_in():
    table = pf.grade_rules_table()
    assert list(table.columns) == ["Domain", "Rule", "Source"]
    assert set(grade.DOMAINS) <= {
        d.lower().replace(" ", "_") for d in table["Domain"]
    }  # every domain has its rule
    for rule in table.itertuples():
        assert rule.Source and "{" not in rule.Rule
        assert rule.Rule.count(". ") == 0 and rule.Rule.endswith(".")
    facts = pf.rule_facts()
    assert facts["rule_min_k"] == str(MIN_K_HETEROGENEITY)
    assert facts["rule_safety_rationale"] == THRESHOLDS["safety"].rationale


# --- heterogeneity shown the same way in the book and the downloads ----------------------


@pytest.mark.parametrize("key", sorted(METHODS))
def test_no_prediction_interval_below_three_studies_in_any_method(key):
    for events, totals in (([3], [10]), ([2, 5], [10, 12])):
        try:
            pool = pool_proportions(events, totals, method=METHODS[key])
        except RuntimeError:
            continue
        assert math.isnan(pool.pi_low) and math.isnan(pool.pi_high), key


def test_two_studies_leave_tau2_and_i2_empty_in_book_and_downloads():
    pool = pool_proportions([2, 9], [10, 12], method=PRIMARY)
    record = result_record(pool)
    assert record["tau2"] is None and record["i2"] is None
    assert "not estimable" in record["message"]
    assert record["q"] == pytest.approx(pool.q)  # two studies do give Cochran's Q
    assert fmt_i2(pool) == "\u2014"
    three = pool_proportions([2, 9, 4], [10, 12, 11], method=PRIMARY)
    assert result_record(three)["i2"] == pytest.approx(three.i2) and fmt_i2(three) != "\u2014"


# --- any-combination pools carry a certainty ---------------------------------------------

STUDIES = [  # study_id, publication_type, overlaps_with, design
    ("A2020", "journal_article", "", "RCT"),
    ("B2021", "conference_abstract", "", "case_series"),
    ("C2022", "journal_article", "", "retrospective"),
]
ARMS = [
    ("A2020/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "40", "40"),
    ("B2021/VDZ+UST", "vedolizumab", "ustekinumab", "VDZ+UST", "", "6", "6"),
    ("C2022/mixed", "", "", "mixed", "VDZ+UST;VDZ+aTNF", "12", "14"),
]
OUTCOMES = [
    ("A2020/VDZ+aTNF", "clinical_remission", 20, 40, "week 12", "true"),
    ("B2021/VDZ+UST", "clinical_remission", 3, 6, "week 12", "true"),
    ("C2022/mixed", "clinical_remission", 9, 14, "week 24", "true"),
]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade") / "data"
    write_package(root, STUDIES, ARMS, OUTCOMES)
    return an.load_dataset(root)


def test_the_any_combination_pool_has_a_certainty(ds):
    frame = grade.certainty_frame(ds, ["clinical_remission"]).set_index("regimen")
    assert {"VDZ+aTNF", "VDZ+UST", "any"} <= set(frame.index)
    overall = frame.loc["any"]
    assert overall["k"] == 3 and overall["n"] == 40 + 6 + 14
    assert overall["certainty"] in grade.LEVELS.values()
    # without assessments every study counts as unclear: serious risk of bias
    assert overall["risk_of_bias"] == 1
    shown = pf.grade_table(frame.reset_index())
    assert "Any combination" in set(shown["Combination"])
    facts = pf.grade_facts(frame.reset_index())
    assert facts["grade_n"] == str(len(frame))


def test_counts_taken_from_the_reproduced_review_are_at_least_serious_risk_of_bias():
    clean = grade.Judgement(0, "all low")
    carried = pd.DataFrame({"total": [52, 10], "kind": ["target_review", "primary"]})
    judged = grade.second_hand(clean, carried)
    assert judged.downgrade == 1 and "taken from the 2026 review" in judged.reason
    minor = pd.DataFrame({"total": [5, 50], "kind": ["target_review", "primary"]})
    assert grade.second_hand(clean, minor).downgrade == 0
    assert grade.second_hand(grade.Judgement(2, "high"), carried).downgrade == 2
