"""Stijnen, Hamza & Ozdemir (2010), Stat Med 29:3046-67, Table II (page 3050).

dat.nielweise2007 (tests/data/nielweise2007.csv): logit-normal (inverse-variance logit,
REML) and binomial-normal (GLMM) models for the infection risk in each arm. The four-decimal
values are metafor's ``rma``/``rma.glmm`` on these data (metafor's own test of this example,
tests/testthat/test_analysis_example_stijnen2010.r), which reproduce Table II (two decimals
in the paper); the test tolerance is half a unit in the last quoted decimal (GLMM: 1e-3,
the quadrature tolerance).
"""

import pandas as pd
import pytest

from analysis import paths
from analysis.engine.pooling import pool_proportions

DATA = paths.ROOT / "tests" / "data" / "nielweise2007.csv"


@pytest.fixture(scope="module")
def niel():
    return pd.read_csv(DATA, comment="#")


IV = dict(model="iv", transform="logit", tau2="REML", ci="wald", pi="z", cc="only0")
GLMM = dict(model="glmm", ci="wald", pi="z")

CASES = [
    # Table II, p. 3050, standard catheters (xi = ci, ni = n2i), logit-normal model:
    # logit -3.3018 (SE 0.2378), tau² 0.6629, p 0.0355 [0.0226; 0.0554]
    ("ci", "n2i", IV, -3.3018, 0.2378, 0.6629, 0.0355, 0.0226, 0.0554, 5e-5),
    # Table II, p. 3050, standard catheters, binomial-normal model:
    # logit -3.4964 (SE 0.2570), tau² 0.8124, p 0.0294 [0.0180; 0.0478]
    ("ci", "n2i", GLMM, -3.4964, 0.2570, 0.8124, 0.0294, 0.0180, 0.0478, 1e-3),
    # Table II, p. 3050, anti-infective catheters (xi = ai, ni = n1i), logit-normal model:
    # logit -4.2604 (SE 0.2589), tau² 0.3928, p 0.0139 [0.0084; 0.0229]
    ("ai", "n1i", IV, -4.2604, 0.2589, 0.3928, 0.0139, 0.0084, 0.0229, 5e-5),
    # Table II, p. 3050, anti-infective catheters, binomial-normal model:
    # logit -4.8121 (SE 0.3555), tau² 0.8265, p 0.0081 [0.0040; 0.0161]
    ("ai", "n1i", GLMM, -4.8121, 0.3555, 0.8265, 0.0081, 0.0040, 0.0161, 1e-3),
]


@pytest.mark.parametrize("xcol, ncol, method, mu, se, tau2, p, lo, hi, tol", CASES)
def test_table_ii(niel, xcol, ncol, method, mu, se, tau2, p, lo, hi, tol):
    r = pool_proportions(niel[xcol], niel[ncol], niel["author"], **method)
    assert r.mu == pytest.approx(mu, abs=tol)
    assert r.se == pytest.approx(se, abs=tol)
    assert r.tau2 == pytest.approx(tau2, abs=tol)
    assert r.estimate == pytest.approx(p, abs=max(tol, 5e-5))
    assert r.ci_low == pytest.approx(lo, abs=max(tol, 5e-5))
    assert r.ci_high == pytest.approx(hi, abs=max(tol, 5e-5))


def test_paper_two_decimal_logits(niel):
    # Table II, p. 3050, as printed: IV -3.30 (0.24), GLMM -3.50 (0.26) for standard catheters
    iv = pool_proportions(niel["ci"], niel["n2i"], **IV)
    glmm = pool_proportions(niel["ci"], niel["n2i"], **GLMM)
    assert round(iv.mu, 2) == -3.30 and round(iv.se, 2) == 0.24
    assert round(glmm.mu, 2) == -3.50 and round(glmm.se, 2) == 0.26
