"""Certainty rules (GRADE for single-arm rates), each pinned on a small case (fast)."""

import pandas as pd

from analysis.datapackage.load import load_dataset
from analysis.engine.pooling import pool_proportions
from analysis.publish import facts as pf
from analysis.publish import tables
from analysis.review import certainty as grade
from analysis.review.settings import METHODS

PRIMARY = METHODS["primary"]
RISK = pd.Series({"A": "low", "B": "unclear", "C": "high"})


def test_every_rate_starts_high_rct_arms_included():
    # one RCT arm and one case series start at the same level: both are single-arm rates
    rows = pd.DataFrame({"study_id": ["A"], "total": [52]})
    pool = pool_proportions([48], [52], method=PRIMARY)
    assert grade.assess(pool, rows, RISK)["start"] == grade.START == 4


def test_imprecision_by_the_width_of_the_rate_interval():
    assert grade.judge_imprecision(0.40, 0.55).downgrade == 0  # 15 points
    assert grade.judge_imprecision(0.30, 0.55).downgrade == 1  # 25 points
    assert grade.judge_imprecision(0.0, 0.4471).downgrade == 2  # 0/13-like, 45 points
    # the events count of a relative effect plays no part (48 events, narrow CI)
    assert grade.judge_imprecision(0.815, 0.979).downgrade == 0


def test_inconsistency_needs_heterogeneity():
    # tau² = 0 (two studies compatible with one rate): not downgraded, however wide the PI
    flat = pool_proportions([2, 2], [8, 13], method=METHODS["glmm_ml"])
    assert flat.tau2 == 0 and grade.judge_inconsistency(flat).downgrade == 0
    # clearly different studies: tau² > 0, I² and Q say so
    varied = pool_proportions([2, 30, 10, 25, 5], [40, 40, 40, 30, 50], method=PRIMARY)
    assert varied.tau2 > 0 and varied.i2 >= 75 and varied.q_pvalue < 0.05
    assert grade.judge_inconsistency(varied).downgrade == 2
    # one study and pooled counts are not assessable
    assert grade.judge_inconsistency(pool_proportions([3], [10], method=PRIMARY)).downgrade == 0
    zero = pool_proportions([0, 0], [6, 7], method=PRIMARY)
    assert zero.kind == "counts" and grade.judge_inconsistency(zero).downgrade == 0


def test_risk_of_bias_from_per_study_judgements():
    assert grade.judge_risk_of_bias(["A", "B"], [30, 10], RISK).downgrade == 0
    assert grade.judge_risk_of_bias(["A", "B"], [10, 30], RISK).downgrade == 1
    assert grade.judge_risk_of_bias(["A", "C"], [10, 30], RISK).downgrade == 2
    # a study with no assessment counts as unclear
    assert grade.judge_risk_of_bias(["A", "Z"], [10, 30], RISK).downgrade == 1


def test_study_risk_takes_the_worst_domain():
    table = pd.DataFrame(
        {
            "study_id": ["A", "B", "C"],
            "selection": ["low", "low", "high"],
            "ascertainment": ["low", "unclear", "unclear"],
            "causality": ["low", "low", "low"],
            "reporting": ["low", "low", "unclear"],
        }
    )
    assert grade.study_risk(table).to_dict() == {"A": "low", "B": "unclear", "C": "high"}


def test_assess_applies_overrides_with_reasons():
    rows = pd.DataFrame({"study_id": ["A"], "total": [71]})
    pool = pool_proportions([59], [71], method=PRIMARY)  # CI 72-91%: 19 points
    plain = grade.assess(pool, rows, RISK)
    assert plain["certainty"] == "High" and not any(j.downgrade for j in plain["domains"].values())
    overrides = pd.DataFrame(
        {
            "outcome": ["*"],
            "regimen": ["aTNF+GUS"],
            "domain": ["indirectness"],
            "downgrade": ["1"],
            "reason": ["indirect population"],
            "source": [""],
        }
    )
    result = grade.assess(pool, rows, RISK, overrides, outcome="ae", regimen="aTNF+GUS")
    assert result["certainty"] == "Moderate"
    assert result["domains"]["indirectness"].override
    assert result["domains"]["indirectness"].reason == "indirect population"


def test_floor_is_very_low():
    rows = pd.DataFrame({"study_id": ["C", "C2", "C3"], "total": [3, 4, 5]})
    pool = pool_proportions([1, 3, 0], [3, 4, 5], method=PRIMARY)
    result = grade.assess(pool, rows, pd.Series({"C": "high", "C2": "high", "C3": "high"}))
    assert sum(j.downgrade for j in result["domains"].values()) >= 4
    assert result["level"] == 1 and result["certainty"] == "Very low"


def test_certainty_of_the_data_applies_the_vega_override():
    ds = load_dataset()
    frame = grade.certainty_frame(ds)
    assert frame["result_id"].is_unique
    assert set(frame["certainty"]) <= set(grade.LEVELS.values())
    # the override names aTNF+GUS for every outcome ("*"); VEGA reports AEs and efficacy
    vega = frame[frame["regimen"] == "aTNF+GUS"]
    assert len(vega) >= 2
    assert vega["indirectness"].eq(1).all() and vega["indirectness_override"].all()
    assert vega["indirectness_reason"].str.contains("VEGA").all()
    table = tables.grade_table(frame)
    shown = table[table["Combination"] == "aTNF+GUS"]
    assert shown["Indir."].eq("\u22121\u2020").all()  # one level down, by override
    assert shown["Why downgraded"].str.contains("Indir.: .*VEGA").all()
    facts = pf.grade_facts(frame)
    assert facts["grade_n"] == str(len(frame))
    explorer = frame[
        (frame["regimen"] == "VDZ+aTNF")
        & frame["outcome"].isin(["clinical_remission", "endoscopic_remission"])
    ]
    assert explorer["indirectness_override"].all()
    assert explorer["indirectness_reason"].str.contains("EXPLORER").all()
    composite = frame[
        (frame["outcome"] == "clinical_remission")
        & frame["regimen"].isin(["Tofa+UST", "Tofa+VDZ", "VDZ+OZA"])
    ]
    assert composite["indirectness_reason"].str.contains("clinical and biomarker").all()
    assert facts["grade_n_overrides"] == str(len(vega) + len(explorer) + len(composite))


def test_a_pool_without_events_is_never_precise():
    # 0/27: exact CI 0.0-12.8%, 12.8 points wide, under the 20-point threshold
    assert grade.judge_imprecision(0.0, 0.128).downgrade == 0
    judged = grade.judge_imprecision(0.0, 0.128, counts=True)
    assert judged.downgrade == 1 and "no events" in judged.reason
    assert grade.judge_imprecision(0.0, 0.975, counts=True).downgrade == 2  # 0/1
