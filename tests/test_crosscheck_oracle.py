"""Our engine against R metafor 3.8-1 on the shared oracle (../shared/oracle).

``reference.csv`` was written by ``reference.R`` (metafor ``rma``/``rma.glmm`` + ``predict``);
the tolerances are the oracle README's: 1e-6 absolute for inverse-variance settings, 1e-3 for
the GLMM (numerical integration).
"""

import pandas as pd
import pytest

from analysis import paths
from analysis.engine.crosscheck import COLUMNS, compare, main, run_cases

ORACLE = paths.ROOT.parent / "shared" / "oracle"
pytestmark = pytest.mark.skipif(
    not (ORACLE / "cases.csv").exists() or not (ORACLE / "reference.csv").exists(),
    reason=f"metafor oracle not found at {ORACLE} (cases.csv, reference.csv)",
)


@pytest.fixture(scope="module")
def ours():
    return run_cases(pd.read_csv(ORACLE / "cases.csv"))


def test_columns_and_rows_match_reference(ours):
    reference = pd.read_csv(ORACLE / "reference.csv")
    assert list(ours.columns) == COLUMNS == list(reference.columns)
    assert len(ours) == len(reference)


def test_every_number_agrees_with_metafor(ours):
    problems = compare(ours, pd.read_csv(ORACLE / "reference.csv"))
    assert problems.empty, "\n" + problems.to_string(index=False)


def test_glmm_refuses_one_study_with_a_message(ours):
    rows = ours[(ours["k"] == 1) & (ours["setting"] == "GLMM_PLO")]
    assert len(rows) == 3
    assert rows["err"].str.contains("GLMMConvergenceError").all()
    assert rows["est"].isna().all()


def test_cli_writes_csv_and_compares(tmp_path, capsys):
    out = tmp_path / "ours.csv"
    status = main([str(ORACLE / "cases.csv"), "-o", str(out), "--compare",
                   str(ORACLE / "reference.csv")])
    assert status == 0
    written = pd.read_csv(out)
    assert list(written.columns) == COLUMNS
    assert "agree with metafor" in capsys.readouterr().err
