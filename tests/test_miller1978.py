"""Miller (1978), The inverse of the Freeman-Tukey double arcsine transformation,
Am Stat 32(4):138 — example data x = 3, 6, 10, 1; n = 11, 17, 21, 6.

Miller's transform is twice metafor's half-angle ``PFT`` (hence the factor 2 and 4 below,
as in metafor's test_analysis_example_miller1978.r). Back-transformation uses the harmonic
mean of the sample sizes. Tolerance: half a unit in the fourth decimal.
"""

import numpy as np
import pytest

from analysis.engine.pooling import pool_proportions
from analysis.engine.transforms import back_transform, escalc, harmonic_mean, ipft, pft
from tests.engine_methods import METHODS

X = np.array([3, 6, 10, 1])
N = np.array([11, 17, 21, 6])
TOL = 5e-5


def test_transformed_values_page_138():
    y, v = escalc(X, N, "freeman-tukey")
    # Miller 1978, p. 138: t_i = 1.1391, 1.2888, 1.5253, 0.9515 (full angle = 2 x half angle)
    assert 2 * y == pytest.approx([1.1391, 1.2888, 1.5253, 0.9515], abs=TOL)
    # Miller 1978, p. 138: variances 1/(n + 1/2) = 0.0870, 0.0571, 0.0465, 0.1538 (= 4 v)
    assert 4 * v == pytest.approx([0.0870, 0.0571, 0.0465, 0.1538], abs=TOL)


def test_unweighted_mean_back_transformed_page_138():
    y, _ = escalc(X, N, "freeman-tukey")
    # Miller 1978, p. 138: mean transformed value 1.2262 (full angle)
    assert 2 * y.mean() == pytest.approx(1.2262, abs=TOL)
    # Miller 1978, p. 138: back-transformed with the harmonic mean n: 0.3164
    assert float(back_transform([y.mean()], "freeman-tukey", N)[0]) == pytest.approx(
        0.3164, abs=TOL
    )


def test_weighted_mean_back_transformed_page_138():
    # Miller 1978, p. 138: inverse-variance weighted mean 1.3093 (full angle), proportion 0.3595
    r = pool_proportions(X, N, method=METHODS["ft_dl"], tau2="EE")
    assert 2 * r.mu == pytest.approx(1.3093, abs=TOL)
    assert r.estimate == pytest.approx(0.3595, abs=TOL)


def test_harmonic_mean_by_hand():
    # 4 / (1/11 + 1/17 + 1/21 + 1/6) = 11.0241... (hand calculation)
    assert harmonic_mean(N) == pytest.approx(4 / (1 / 11 + 1 / 17 + 1 / 21 + 1 / 6))


def test_extremes_back_transform_to_0_and_1():
    # metafor test_analysis_example_miller1978.r: x = 0 and x = n map back to exactly 0 and 1
    y, _ = escalc([0, 10], [10, 10], "freeman-tukey")
    assert ipft(y, np.array([10, 10])).tolist() == [0.0, 1.0]


def test_study_values_round_trip():
    # metafor test_analysis_example_miller1978.r: 0/10, 4/10, 9/15, 16/20, 20/20 -> 0, .4, .6, .8, 1
    x, n = np.array([0, 4, 9, 16, 20]), np.array([10, 10, 15, 20, 20])
    y, _ = escalc(x, n, "freeman-tukey")
    assert ipft(y, n) == pytest.approx([0.0, 0.4, 0.6, 0.8, 1.0], abs=1e-12)
    assert pft(x / n, n) == pytest.approx(y, abs=1e-15)
