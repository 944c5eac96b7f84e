"""The committed coverage simulation (validation/coverage.py) and its table in Methods."""

import numpy as np
import pandas as pd

from analysis import paths
from analysis.publish.chapters.methods import coverage_table


def test_coverage_csv_covers_every_setting_and_interval():
    frame = pd.read_csv(paths.VALIDATION / "coverage.csv")
    assert set(frame["k"]) == {2, 3, 4} and set(frame["tau"]) == {0.5, 1.0}
    assert set(frame["method"]) == {"bayes", "glmm_wald", "glmm_hk"}
    assert len(frame) == 18 and (frame["reps"] == 500).all()
    assert np.allclose(
        frame["mcse"], np.sqrt(frame["coverage"] * (1 - frame["coverage"]) / 500), atol=2e-3
    )


def test_coverage_table_reads_the_csv():
    table = coverage_table()
    assert len(table) == 18
    assert table["95% interval"].notna().all()
    assert table["Coverage, % (MCSE)"].str.match(r"^\d+\.\d \(\d+\.\d\)$").all()
