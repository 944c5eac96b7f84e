"""Subgroups, leave-one-out and small-study tests against R metafor 3.8-1.

Data: dat.nielweise2007, standard catheters (``es <- escalc(measure = "PLO", xi = ci,
ni = n2i, data = dat.nielweise2007)``), subgroup ``grp = ifelse(year < 2000, "early", "late")``.
The R call is in the comment above each value.
"""

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.engine.influence import leave_one_out, small_study_test
from analysis.engine.subgroups import subgroup_analysis
from tests.engine_methods import METHODS

NIEL = pd.read_csv(paths.ROOT / "tests" / "data" / "nielweise2007.csv", comment="#")
GRP = np.where(NIEL["year"] < 2000, "early", "late")
IV = dict(method=METHODS["logit_reml_hk"], ci="wald")


def test_separate_tau2_and_q_between():
    s = subgroup_analysis(NIEL["ci"], NIEL["n2i"], GRP, NIEL["author"], **IV)
    assert list(s.results) == ["early", "late"]
    # rma(yi, vi, data = es, subset = grp == "early"): beta, se, tau2
    assert (s.results["early"].mu, s.results["early"].se, s.results["early"].tau2) == pytest.approx(
        (-3.1720703315101, 0.16809111935434, 0.0), abs=1e-9
    )
    # rma(yi, vi, data = es, subset = grp == "late")
    assert (s.results["late"].mu, s.results["late"].se, s.results["late"].tau2) == pytest.approx(
        (-3.54453889978992, 0.441861978204008, 1.44560846925475), abs=1e-9
    )
    # rma(b, sei = s, method = "FE") on the two subgroup estimates: QE, QEp
    assert (s.q_between, s.df, s.p_value) == pytest.approx(
        (0.620737918948259, 1, 0.430773202821273), abs=1e-9
    )


def test_common_tau2_iv():
    s = subgroup_analysis(NIEL["ci"], NIEL["n2i"], GRP, common_tau2=True, **IV)
    # rma(yi, vi, mods = ~ factor(grp), data = es)$tau2
    assert s.tau2 == pytest.approx(0.747912494758861, abs=1e-9)
    # rma(yi, vi, data = es, tau2 = <common>, subset = grp == "early"): beta, se
    assert (s.results["early"].mu, s.results["early"].se) == pytest.approx(
        (-3.20650713776465, 0.356446235305368), abs=1e-9
    )
    # rma(yi, vi, data = es, tau2 = <common>, subset = grp == "late"): beta, se
    assert (s.results["late"].mu, s.results["late"].se) == pytest.approx(
        (-3.4185305536608, 0.346068007290846), abs=1e-9
    )


def test_common_tau2_glmm():
    s = subgroup_analysis(NIEL["ci"], NIEL["n2i"], GRP, method=METHODS["glmm"], common_tau2=True)
    # rma.glmm(measure = "PLO", xi = ci, ni = n2i, mods = ~ factor(grp)):
    # beta = (-3.30468175009289, -0.356224756239489), se[1] = 0.372532335973251,
    # tau2 = 0.821246078633386
    assert s.results["early"].mu == pytest.approx(-3.30468175009289, abs=1e-3)
    assert s.results["late"].mu == pytest.approx(-3.30468175009289 - 0.356224756239489, abs=1e-3)
    assert s.results["early"].se == pytest.approx(0.372532335973251, abs=1e-3)
    assert s.tau2 == pytest.approx(0.821246078633386, abs=1e-3)


def test_single_subgroup_reports_no_test():
    s = subgroup_analysis([1, 2, 3], [10, 10, 10], ["a", "a", "a"], method=METHODS["logit_dl"])
    assert s.df == 0 and "no test" in s.message


def test_subgroup_of_one_study_is_exact_and_groups_checked():
    s = subgroup_analysis([1, 2, 3], [10, 10, 10], ["a", "a", "b"], method=METHODS["glmm_counts"])
    assert "Single study" in s.results["b"].message
    with pytest.raises(ValueError, match="groups"):
        subgroup_analysis([1, 2, 3], [10, 10, 10], ["a", "b"])


def test_leave_one_out_matches_metafor():
    loo = leave_one_out(NIEL["ci"], NIEL["n2i"], NIEL["author"], **IV)
    assert len(loo) == 18 and list(loo["omitted"][:2]) == ["Bach", "George"]
    # leave1out(rma(yi, vi, data = es), transf = transf.ilogit), rows 1-3:
    # estimate, ci.lb, ci.ub, Q, tau2, I2
    expected = [
        (
            0.0359196169383992,
            0.0222848723672508,
            0.0574068060169523,
            70.4192891632724,
            0.708794098616631,
            75.5976501109890,
        ),
        (
            0.0335368901404825,
            0.0208972630702646,
            0.0534045523989848,
            71.4227827085188,
            0.688441200663950,
            75.1056807046512,
        ),
        (
            0.0343532666490260,
            0.0210684309025125,
            0.0555396817623226,
            71.9503174465237,
            0.737925714484718,
            74.8579491292645,
        ),
    ]
    got = loo[["estimate", "ci_low", "ci_high", "q", "tau2", "i2"]].to_numpy()[:3]
    assert got == pytest.approx(np.array(expected), abs=1e-9)


def test_leave_one_out_small_k():
    assert leave_one_out([3], [10]).empty
    two = leave_one_out([3, 4], [10, 12], ["a", "b"])
    assert two["message"].str.contains("Single study").all()


def test_leave_one_out_records_glmm_failures():
    loo = leave_one_out([0, 0, 3], [10, 10, 10], method=METHODS["glmm"])
    assert loo["message"].iloc[2].startswith("GLMMConvergenceError")
    assert np.isnan(loo["estimate"].iloc[2])
    primary = leave_one_out([0, 0, 3], [10, 10, 10], method=METHODS["glmm_counts"])
    assert np.isfinite(primary["estimate"]).all() and not primary["fallback"].any()
    # without the study with events, the primary reports the pooled counts 0/20
    assert primary["estimate"].iloc[2] == 0 and "no model fitted" in primary["message"].iloc[2]


def test_egger_matches_metafor():
    r = small_study_test(NIEL["ci"], NIEL["n2i"], test="egger", method=METHODS["logit_reml_hk"])
    # regtest(rma(yi, vi, data = es), model = "lm", predictor = "sei"): zval, pval, dfs
    assert r.done and r.df == 16
    assert r.statistic == pytest.approx(-4.43252714677292, abs=1e-9)
    assert r.p_value == pytest.approx(0.000418052531565076, abs=1e-12)


def test_peters_matches_metafor():
    r = small_study_test(NIEL["ci"], NIEL["n2i"], test="peters", method=METHODS["logit_reml_hk"])
    # regtest(rma(yi, vi, data = es), model = "lm", predictor = "ninv"): zval, pval; slope 56.09
    assert r.statistic == pytest.approx(1.40076157313049, abs=1e-9)
    assert r.p_value == pytest.approx(0.180381033638712, abs=1e-9)
    assert r.estimate == pytest.approx(56.09, abs=0.005)


def test_small_study_test_not_done_below_ten():
    r = small_study_test([1, 2, 3], [10, 20, 30])
    assert not r.done and "k = 3 < 10" in r.message and np.isnan(r.p_value)
    with pytest.raises(ValueError, match="unknown test"):
        small_study_test([1] * 10, [10] * 10, test="begg")
