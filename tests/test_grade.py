"""GRADE-informed certainty rules (fast)."""

import pandas as pd

from analysis.datapackage.load import load_dataset
from analysis.publish import facts as pf
from analysis.publish import tables
from analysis.review import certainty as grade


def test_starting_level():
    assert grade.starting_level(["RCT"]) == 4
    assert grade.starting_level(["RCT", "retrospective"]) == 2
    assert grade.starting_level([]) == 2


def test_imprecision_counts_each_criterion():
    assert grade.judge_imprecision(500, 0.40, 0.50).downgrade == 0
    assert grade.judge_imprecision(48, 0.81, 0.98).downgrade == 1  # events only
    assert grade.judge_imprecision(400, 0.10, 0.60).downgrade == 1  # width only
    assert grade.judge_imprecision(5, 0.0, 0.9).downgrade == 2


def test_inconsistency_from_i2_and_prediction_interval():
    assert grade.judge_inconsistency(1, float("nan"), float("nan"), float("nan")).downgrade == 0
    assert grade.judge_inconsistency(4, 20.0, 0.30, 0.50).downgrade == 0
    assert grade.judge_inconsistency(4, 60.0, 0.30, 0.50).downgrade == 1
    assert grade.judge_inconsistency(4, 10.0, 0.05, 0.90).downgrade == 1  # wide PI
    assert grade.judge_inconsistency(4, 80.0, 0.05, 0.90).downgrade == 2
    assert grade.judge_inconsistency(2, 80.0, float("nan"), float("nan")).downgrade == 1


def test_risk_of_bias_from_grey_literature_share():
    assert (
        grade.judge_risk_of_bias(["conference_abstract", "journal_article"], [30, 10]).downgrade
        == 1
    )
    assert (
        grade.judge_risk_of_bias(["conference_abstract", "journal_article"], [10, 30]).downgrade
        == 0
    )


class _Pool:
    k, i2, pi_low, pi_high, events_total, ci_low, ci_high = (
        1,
        float("nan"),
        0.8,
        0.98,
        48,
        0.81,
        0.98,
    )


def test_assess_applies_overrides_with_reasons():
    rows = pd.DataFrame({"design": ["RCT"], "publication_type": ["journal_article"], "total": [52]})
    plain = grade.assess(_Pool(), rows)
    assert plain["start"] == 4 and plain["certainty"] == "Moderate"
    overrides = pd.DataFrame(
        {
            "outcome": ["*"],
            "regimen": ["NAT+aTNF"],
            "domain": ["indirectness"],
            "downgrade": ["1"],
            "reason": ["indirect population"],
            "source": [""],
        }
    )
    result = grade.assess(_Pool(), rows, overrides, outcome="ae", regimen="NAT+aTNF")
    assert result["certainty"] == "Low"
    assert result["domains"]["indirectness"].override
    assert result["domains"]["indirectness"].reason == "indirect population"


def test_floor_is_very_low():
    rows = pd.DataFrame({"design": ["case_series"], "publication_type": ["preprint"], "total": [3]})

    class Bad(_Pool):
        k, i2, pi_low, pi_high, events_total, ci_low, ci_high = 3, 90.0, 0.0, 1.0, 1, 0.0, 1.0

    assert grade.assess(Bad(), rows)["level"] == 1


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
    assert table.loc[table["Regimen"] == "aTNF+GUS", "Indirectness"].eq("serious*").all()
    facts = pf.grade_facts(frame)
    assert facts["grade_n"] == str(len(frame))
    assert facts["grade_n_overrides"] == str(len(vega))
