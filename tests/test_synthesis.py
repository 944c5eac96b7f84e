"""Synthesis per regimen, tables, facts and figures on a small hand-made data package.

The fixture has five studies: A and B (VDZ+aTNF), C (VDZ+UST, a conference abstract),
D (VDZ+aTNF, superseded by B: never pooled) and E (a VDZ+UST arm plus a whole-study
"mixed" arm). Expected values below are worked out by hand from these counts.
"""

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from packages import write_package
from scipy import stats

import analysis as an

STUDIES = [  # study_id, publication_type, overlaps_with
    ("A2020", "journal_article", ""),
    ("B2021", "journal_article", ""),
    ("C2022", "conference_abstract", ""),
    ("D2023", "journal_article", "B2021"),
    ("E2024", "journal_article", ""),  # a living-update study (after the 2026 review)
]
ARMS = [  # arm_id, agent_a, agent_b, regimen, regimens_included, n_patients, n_trials
    ("A2020/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "10", "10"),
    ("B2021/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "20", ""),
    ("C2022/VDZ+UST", "vedolizumab", "ustekinumab", "VDZ+UST", "", "6", "6"),
    ("D2023/VDZ+aTNF", "vedolizumab", "infliximab", "VDZ+aTNF", "", "20", "20"),
    ("E2024/VDZ+UST", "vedolizumab", "ustekinumab", "VDZ+UST", "", "4", "4"),
    ("E2024/mixed", "", "", "mixed", "VDZ+UST;VDZ+aTNF", "9", "9"),
]
OUTCOMES = [  # arm_id, outcome, events, total, timepoint, analysed
    ("A2020/VDZ+aTNF", "sae", 1, 10, "week 52", "true"),
    ("B2021/VDZ+aTNF", "sae", 4, 20, "week 52", "true"),
    ("B2021/VDZ+aTNF", "sae", 5, 20, "week 104", "false"),
    ("C2022/VDZ+UST", "sae", 0, 6, "week 24", "true"),
    ("D2023/VDZ+aTNF", "sae", 7, 20, "week 52", "true"),
    ("E2024/VDZ+UST", "sae", 1, 4, "week 24", "true"),
    ("E2024/mixed", "sae", 2, 9, "week 24", "true"),
]
PUBLISHED = [  # regimen, outcome, estimate_pct, trials
    ("VDZ+aTNF", "trials", "", "40"),
    ("VDZ+UST", "sae", "0", "12"),
]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthesis") / "data"
    write_package(root, STUDIES, ARMS, OUTCOMES, PUBLISHED, living={"E2024"})
    return an.load_dataset(root)


def test_outcome_rows_keep_analysed_rows_and_drop_superseded_studies(ds):
    rows = an.outcome_rows(ds, "sae")
    assert sorted(rows["arm_id"]) == [
        "A2020/VDZ+aTNF",
        "B2021/VDZ+aTNF",
        "C2022/VDZ+UST",
        "E2024/VDZ+UST",
        "E2024/mixed",
    ]
    assert rows.set_index("arm_id").at["B2021/VDZ+aTNF", "events"] == 4  # week 52, analysed


def test_synthesise_pools_each_regimen_and_any_combination(ds):
    syn = an.synthesise(ds, "sae")
    assert sorted(syn.pools) == ["VDZ+UST", "VDZ+aTNF"]
    atnf, ust = syn.pools["VDZ+aTNF"], syn.pools["VDZ+UST"]
    assert (atnf.k, atnf.events_total, atnf.n_total) == (2, 1 + 4, 10 + 20)
    assert (ust.k, ust.events_total, ust.n_total) == (2, 0 + 1, 6 + 4)
    # any combination: E2024 contributes its whole-study count (2/9), not its VDZ+UST arm
    anyc = syn.any_combination
    assert (anyc.k, anyc.events_total, anyc.n_total) == (4, 1 + 4 + 0 + 2, 10 + 20 + 6 + 9)
    assert sorted(anyc.studies["label"]) == ["A2020", "B2021", "C2022", "E2024"]


def test_excluding_grey_literature_leaves_a_single_study_with_its_exact_ci(ds):
    syn = an.synthesise(ds, "sae", exclude_publication_types=("conference_abstract",))
    ust = syn.pools["VDZ+UST"]
    assert ust.k == 1 and ust.estimate == pytest.approx(1 / 4)
    # Clopper-Pearson 95% for 1/4 from the beta distribution (independent of the engine)
    assert ust.ci_low == pytest.approx(stats.beta.ppf(0.025, 1, 4))
    assert ust.ci_high == pytest.approx(stats.beta.ppf(0.975, 2, 3))


def test_unknown_outcome_or_method_is_a_clear_error(ds):
    with pytest.raises(ValueError, match="unknown outcome 'death'"):
        an.synthesise(ds, "death")
    with pytest.raises(ValueError, match="unknown method 'oracle'"):
        an.synthesise(ds, "sae", method="oracle")


def test_regimen_trials_fall_back_to_patients(ds):
    trials = an.regimen_trials(ds).set_index("regimen")
    assert trials.at["VDZ+aTNF", "trials"] == 10 + 20  # B2021 has patients only; D2023 excluded
    assert trials.at["VDZ+UST", "trials"] == 6 + 4
    assert trials.at["VDZ+aTNF", "studies"] == 2


def test_completeness_table_compares_with_the_paper(ds):
    table = an.completeness_table(an.completeness_frame(ds)).set_index("Combination")
    assert table.at["VDZ+aTNF", "Courses, 2026 review"] == 40
    assert table.at["VDZ+aTNF", "Courses missing"] == 40 - 30
    # like for like: the living study E2024 does not count against the 2026 paper
    assert table.at["VDZ+UST", "Courses, 2022+2026 studies"] == 6
    assert table.at["VDZ+UST", "Courses missing"] == 12 - 6
    assert table.at["VDZ+UST", "Courses now"] == 6 + 4
    # courses with data first, studies in brackets (never "events/courses" style)
    assert table.at["VDZ+aTNF", "Serious adverse events: courses (studies)"] == "30 (2)"
    assert table.at["VDZ+aTNF", "Adverse events: courses (studies)"] == "\u2014"


def test_summary_table_rows_and_prediction_interval_from_three_studies(ds):
    table = an.summary_table(an.synthesise(ds, "sae")).set_index("Regimen")
    assert list(table.index) == ["VDZ+UST", "VDZ+aTNF", "Any combination"]
    assert table.at["VDZ+aTNF", "95% PI"] == "\u2014"  # k = 2
    assert table.at["Any combination", "95% PI"] != "\u2014"  # k = 4
    assert table.at["VDZ+aTNF", "Events"] == "5"


def test_results_table_has_stable_unique_ids(ds):
    table = an.results_table(ds)
    assert table["result_id"].is_unique
    assert {"sae/VDZ+aTNF/primary", "sae/any/as_published"} <= set(table["result_id"])
    assert (table["data_version"] == ds.version).all()


def test_facts_for_prose(ds):
    facts = an.dataset_facts(ds)
    assert (facts["n_studies"], facts["n_studies_pooled"]) == ("5", "4")
    assert facts["n_mixed_arms"] == "1"
    sae = an.outcome_facts(an.synthesise(ds, "sae"))
    assert sae["sae_n_regimens"] == "2" and sae["sae_n_tts"] == "40"
    complete = an.completeness_facts(an.completeness_frame(ds))
    assert (complete["tts_recovered"], complete["tts_paper_sum"]) == ("36", "52")  # 30 + 6
    bounds = an.published_bounds_facts(ds)
    assert bounds["published_at_bounds"] == "VDZ+UST serious adverse events 0.0% (12 courses)"


def test_forest_plot_draws_a_diamond_per_pool_and_none_for_a_single_study(ds):
    syn = an.synthesise(ds, "sae")
    fig = an.forest_plot(syn)
    try:
        ax = fig.axes[0]
        # VDZ+aTNF (2 studies) and VDZ+UST (2 studies) pooled, plus any combination
        assert {r: p.k for r, p in syn.pools.items()} == {"VDZ+UST": 2, "VDZ+aTNF": 2}
        assert len(ax.patches) == 3
        labels = [t.get_text() for t in ax.texts]
        assert "VDZ+aTNF  \u25a0" in labels and "  A2020" in labels
        assert "Pooled, k=2 (\u03c4\u00b2 not estimable)" in labels
        assert any(label.startswith("Any combination, each study once") for label in labels)
        single = an.forest_plot(syn, regimens=["VDZ+UST"], overall=False)
        assert len(single.axes[0].patches) == 1
        plt.close(single)
        svg = an.publish.forest.figure_svg(fig)
        assert svg.startswith("<?xml") and svg == an.publish.forest.figure_svg(fig)
    finally:
        plt.close(fig)


def test_formatting():
    assert an.fmt_pct(0.0923) == "9.2%"
    assert an.fmt_pct(float("nan")) == "NA"
    assert an.fmt_interval(0.05, 0.251) == "5.0\u201325.1%"


def test_leave_one_out_table_on_two_studies(ds):
    from analysis.publish.chapters.robustness import influence_display
    from analysis.review.robustness import influence_table

    table = influence_table(ds)
    row = table[(table["outcome"] == "sae") & (table["regimen"] == "VDZ+aTNF")].iloc[0]
    # leaving out A2020 leaves B2021 alone (4/20), leaving out B2021 leaves A2020 (1/10)
    assert (row["loo_min"], row["loo_max"]) == (0.1, 0.2)
    assert row["k"] == 2
    shown = influence_display(table).set_index(["Outcome", "Regimen"])
    assert (
        shown.at[("Serious adverse events", "VDZ+aTNF"), "Leave-one-out range"] == "10.0\u201320.0%"
    )


def test_subgroup_test_and_small_study_tests_need_enough_data(ds):
    from analysis.review.robustness import small_study_table, subgroup_differences

    tests = subgroup_differences(ds).set_index("outcome")
    assert list(tests.index) == ["sae"]  # the only outcome with 2 regimens
    assert tests.at["sae", "df"] == 1
    assert small_study_table(ds).empty  # no pool has ten studies


def test_outcome_completeness_splits_what_is_missing(ds):
    frame = an.outcome_completeness(ds).set_index(["regimen", "outcome"])
    row = frame.loc[("VDZ+UST", "sae")]
    # like for like: C2022's 6 courses against the paper's 12; E2024 (living) only in "now"
    assert (row["n_review"], row["paper_n"], row["missing"], row["n_now"]) == (6, 12, 6, 10)
    # all 6 of our 2022+2026 VDZ+UST courses have SAE data: the 6 missing are not held
    assert (row["not_per_regimen"], row["not_held"]) == (0, 6)
    # the paper states no SAE figure for VDZ+aTNF: nothing is called missing there
    assert pd.isna(frame.loc[("VDZ+aTNF", "sae"), "missing"])
    facts = an.outcome_completeness_facts(an.outcome_completeness(ds))
    assert (facts["oc_ours"], facts["oc_paper"], facts["oc_not_held"]) == ("6", "12", "6")


def test_results_are_remembered_per_package_and_never_across_changes(ds, tmp_path):
    import dataclasses

    assert an.load_dataset(ds.data_dir) is ds  # same bytes: the same package, not re-read
    first = an.synthesise(ds, "sae")
    assert an.synthesise(ds, "sae") is first
    # a different package (here: one study fewer) is a different key
    fewer = dataclasses.replace(
        ds, outcomes=ds.outcomes[~ds.outcomes["arm_id"].str.startswith("A2020")]
    )
    assert an.synthesise(fewer, "sae").pools["VDZ+aTNF"].k == 1
    assert first.pools["VDZ+aTNF"].k == 2
    # one changed byte in a file of the package: re-read and re-validated
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(ds.data_dir, copy)
    reread = an.load_dataset(copy)
    assert reread is not ds and reread.sha256 == ds.sha256
    path = copy / "outcomes.csv"
    path.write_text(path.read_text().replace("A2020/VDZ+aTNF,sae,1,10", "A2020/VDZ+aTNF,sae,2,10"))
    changed = an.load_dataset(copy)
    assert changed.sha256 != ds.sha256
    assert an.synthesise(changed, "sae").pools["VDZ+aTNF"].events_total == 6


def test_clinical_subgroups_on_the_data():
    ds = an.load_dataset()
    frame = an.clinical_subgroups(ds)
    assert set(frame["factor"]) == {"disease", "population"}
    # every compared study reports one group only, and each study enters once per outcome
    for (outcome, _factor), rows in frame.groupby(["outcome", "factor"]):
        assert len(rows) == 2 and rows["q_between"].nunique(dropna=False) == 1
        pooled = an.synthesise(ds, outcome).any_combination
        assert rows["k"].sum() <= pooled.k
    facts = an.subgroup_facts(frame)
    assert int(facts["sg_n_tested"]) <= int(facts["sg_n"])


def test_headline_rates_carry_the_mark_of_numbers_taken_from_the_2026_review():
    """Rule on whatever rows are marked: a pool resting on a target_review count shows ‡."""
    ds = an.load_dataset()
    marked = ds.outcomes[ds.outcomes["analysed"] & ds.outcomes["kind"].eq("target_review")]
    if marked.empty:
        pytest.skip("no analysed count is taken from the 2026 review")
    outcome = marked["outcome"].iloc[0]
    regimen = ds.arms.set_index("arm_id").at[marked["arm_id"].iloc[0], "regimen"]
    syn = an.synthesise(ds, outcome)
    assert f"{regimen} \u2021" in an.outcome_facts(syn)[f"{outcome}_rates"]
    findings = an.key_findings(
        {o: an.synthesise(ds, o) for o in an.OUTCOMES},
        an.certainty_frame(ds),
        an.outcome_completeness(ds),
    )
    if outcome in ("sae", "ae", "clinical_response", "clinical_remission"):
        assert "\u2021 count taken from the 2026 review" in findings


def test_sensitivity_without_marked_counts_drops_exactly_the_marked_rows():
    from analysis.review.sensitivity import UNMARKED, without_marked

    ds = an.load_dataset()
    view = without_marked(ds)
    assert "target_review" not in set(view.outcomes["kind"])
    assert view.arms["cointervention"].fillna("").eq("").all()
    dropped = len(ds.outcomes) - len(view.outcomes)
    marked_arms = set(ds.arms.loc[ds.arms["cointervention"].fillna("").ne(""), "arm_id"])
    marked = ds.outcomes["kind"].eq("target_review") | ds.outcomes["arm_id"].isin(marked_arms)
    assert dropped == int(marked.sum())
    comparison = an.method_comparison(ds)
    unmarked = comparison[comparison["method"] == UNMARKED].set_index(["outcome", "regimen"])
    primary = comparison[comparison["method"] == "primary"].set_index(["outcome", "regimen"])
    # every pool loses exactly the studies whose analysed rows are marked
    regimen_of = ds.arms.set_index("arm_id")["regimen"]
    analysed = ds.outcomes[ds.outcomes["analysed"] & marked]
    for row in analysed.itertuples():
        key = (row.outcome, regimen_of[row.arm_id])
        if key in primary.index and key in unmarked.index:
            assert unmarked.at[key, "k"] < primary.at[key, "k"]


def test_pools_of_counts_are_left_out_of_the_test_between_combinations():
    """Relation on the real data: every pool with no events (or only events) is named as
    left out, and no test runs with fewer than two modelled combinations."""
    import math

    from analysis.engine.pooling import degenerate_kind
    from analysis.review.robustness import subgroup_differences
    from analysis.review.synthesis import outcome_rows

    ds = an.load_dataset()
    frame = subgroup_differences(ds).set_index("outcome")
    for outcome in frame.index:
        rows = outcome_rows(ds, outcome)
        rows = rows[rows["regimen"] != "mixed"]
        kinds = {
            regimen: degenerate_kind(g["events"].astype(int), g["total"].astype(int))
            for regimen, g in rows.groupby("regimen")
        }
        counts = sorted(r for r, kind in kinds.items() if kind)
        modelled = [r for r, kind in kinds.items() if not kind]
        message = frame.at[outcome, "message"]
        for regimen in counts:
            assert regimen in message
        if len(modelled) < 2:
            assert math.isnan(frame.at[outcome, "q_between"]) and "no test" in message
        else:
            assert frame.at[outcome, "p_value"] >= 0
