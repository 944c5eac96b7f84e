"""The engine against the committed R reference values (validation/), and those values
against a live run of validation/reference.R where R is installed.

``reference.csv`` was written by ``validation/reference.R`` (metafor ``rma``/``rma.glmm`` +
``predict``); tolerances 1e-6 absolute for inverse-variance settings, 1e-3 for the GLMM.
"""

import shutil
import subprocess

import pandas as pd
import pytest

from analysis import paths
from analysis.engine.crosscheck import COLUMNS, CROSSCHECK, NUMBERS, compare, main, run_cases

VALIDATION = paths.ROOT / "validation"
CASES = VALIDATION / "cases.csv"
REFERENCE = VALIDATION / "reference.csv"


@pytest.fixture(scope="module")
def ours():
    return run_cases(pd.read_csv(CASES))


def test_every_case_and_setting_has_a_reference_row(ours):
    reference = pd.read_csv(REFERENCE)
    assert list(ours.columns) == COLUMNS == list(reference.columns)
    assert set(reference["setting"]) == set(CROSSCHECK)
    assert len(ours) == len(reference) == reference["case"].nunique() * len(CROSSCHECK)


def test_every_number_agrees_with_metafor(ours):
    problems = compare(ours, pd.read_csv(REFERENCE), cases=pd.read_csv(CASES))
    unexplained = problems[problems["note"] == ""]
    assert unexplained.empty, "\n" + unexplained.to_string(index=False)
    # the only differences are our GLMM refusals where no finite ML estimate exists
    assert set(problems["case"]) == {"zero_and_all", "all_single_participants"}
    assert set(problems["column"]) == {"err"}
    notes = problems.groupby("case")["note"].agg(set)
    assert {n.split(" (")[0] for n in notes["zero_and_all"]} == {"no finite ML estimate"}
    assert {n.split(" (")[0] for n in notes["all_single_participants"]} == {"flat likelihood"}


def test_compare_reports_a_disagreement(ours):
    reference = pd.read_csv(REFERENCE)
    moved = reference.copy()
    row = moved.index[(moved["case"] == "two_studies") & (moved["setting"] == "PLO_REML")][0]
    moved.loc[row, "est"] += 2e-6
    problems = compare(ours, moved, cases=pd.read_csv(CASES))
    problems = problems[problems["note"] == ""]
    assert problems[["case", "setting", "column"]].values.tolist() == [
        ["two_studies", "PLO_REML", "est"]
    ]


def test_glmm_refuses_where_r_refuses(ours):
    reference = pd.read_csv(REFERENCE, keep_default_na=False)
    glmm = reference[reference["setting"] == "GLMM_PLO"].set_index("case")
    refused = set(glmm.index[glmm["err"] != ""])
    assert {"one_study", "one_study_zero", "two_studies_zero", "three_zero"} <= refused
    mine = ours[ours["setting"] == "GLMM_PLO"].set_index("case")
    # we refuse where R refuses, and where no finite estimate exists although lme4 stops
    extra = {"zero_and_all", "all_single_participants"}
    assert set(mine.index[mine["err"].fillna("") != ""]) == refused | extra
    assert mine.loc[sorted(refused), "est"].isna().all()


def test_cli_writes_csv_and_compares(tmp_path, capsys):
    out = tmp_path / "ours.csv"
    assert main([str(CASES), "-o", str(out), "--compare", str(REFERENCE)]) == 0
    assert list(pd.read_csv(out).columns) == COLUMNS
    assert "agree with metafor" in capsys.readouterr().err


def _r_with_metafor():
    if not shutil.which("Rscript"):
        return "Rscript not found (install r-base-core r-cran-metafor r-cran-lme4)"
    check = subprocess.run(
        ["Rscript", "-e", "library(metafor); library(lme4)"], capture_output=True, text=True
    )
    return "" if check.returncode == 0 else "R packages metafor/lme4 not installed"


@pytest.mark.slow
def test_committed_reference_is_what_reference_r_writes(tmp_path):
    reason = _r_with_metafor()
    if reason:
        pytest.skip(f"live R cross-check skipped: {reason}")
    fresh = tmp_path / "reference.csv"
    with fresh.open("w") as handle:
        subprocess.run(
            ["Rscript", str(VALIDATION / "reference.R"), str(CASES)], stdout=handle, check=True
        )
    new, old = pd.read_csv(fresh), pd.read_csv(REFERENCE)
    new = new[new["setting"].isin(old["setting"].unique())].reset_index(drop=True)
    pd.testing.assert_frame_equal(new[["case", "setting", "k"]], old[["case", "setting", "k"]])
    pd.testing.assert_frame_equal(new[NUMBERS], old[NUMBERS], rtol=0, atol=1e-12)
