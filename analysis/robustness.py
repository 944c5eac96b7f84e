"""Differences between regimens, influence of single studies, and small-study effects."""

from __future__ import annotations

import pandas as pd

from .dataset import Dataset
from .formatting import fmt_interval, fmt_pct
from .influence import leave_one_out, small_study_test
from .settings import PRIMARY
from .subgroups import subgroup_analysis
from .synthesis import MIXED, OUTCOMES, outcome_rows, synthesise

#: A leave-one-out estimate this far (proportion scale) from the pooled one is flagged.
INFLUENCE_THRESHOLD = 0.10


def subgroup_differences(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Test for differences between regimens, per outcome (random-effects Q-between).

    Regimens are compared when an outcome has data for at least two of them; mixed
    whole-study arms are left out. These are non-randomised comparisons across studies.

    Returns
    -------
    DataFrame
        ``Outcome, Regimens, Studies, Q-between, df, p`` and ``Note`` (the engine's message).
    """
    records = []
    for outcome, label in OUTCOMES.items():
        rows = outcome_rows(ds, outcome)
        rows = rows[rows["regimen"] != MIXED]
        if rows["regimen"].nunique() < 2:
            continue
        res = subgroup_analysis(rows["events"].astype(int).to_numpy(),
                                rows["total"].astype(int).to_numpy(),
                                rows["regimen"].tolist(), rows["study_id"].tolist(),
                                method=method)
        records.append({"Outcome": label, "Regimens": len(res.results), "Studies": len(rows),
                        "Q-between": round(res.q_between, 2), "df": res.df,
                        "p": f"{res.p_value:.3f}", "Note": res.message})
    return pd.DataFrame(records)


def _pools(ds: Dataset, method: str, min_k: int):
    """(outcome label, regimen, pool) for every pool of at least ``min_k`` studies."""
    for outcome, label in OUTCOMES.items():
        syn = synthesise(ds, outcome, method)
        pools = dict(syn.pools)
        if syn.any_combination is not None:
            pools["Any combination"] = syn.any_combination
        for regimen, pool in pools.items():
            if pool.k >= min_k:
                yield label, regimen, pool


def influence_table(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Leave-one-out for every pool of two or more studies (every regimen and any combination).

    Returns
    -------
    DataFrame
        ``Outcome, Regimen, k, Pooled % (95% CI)``, ``Leave-one-out range`` (of the
        estimates with one study left out), ``Most influential`` (the study whose omission
        moves the estimate most), ``Change (pp)`` and ``Flag`` (a change of at least
        :data:`INFLUENCE_THRESHOLD`).
    """
    records = []
    for label, regimen, pool in _pools(ds, method, min_k=2):
        s = pool.studies
        loo = leave_one_out(s["events"].to_numpy(), s["total"].to_numpy(),
                            s["label"].tolist(), method)
        change = (loo["estimate"] - pool.estimate).abs()
        worst = change.idxmax()
        records.append({
            "Outcome": label, "Regimen": regimen, "k": pool.k,
            "Pooled % (95% CI)": f"{fmt_pct(pool.estimate)} "
                                 f"({fmt_interval(pool.ci_low, pool.ci_high)})",
            "Leave-one-out range": fmt_interval(loo["estimate"].min(),
                                                loo["estimate"].max()),
            "Most influential": loo.at[worst, "omitted"],
            "Change (pp)": round(100 * change[worst], 1),
            "Flag": "influential" if change[worst] >= INFLUENCE_THRESHOLD else "",
        })
    return pd.DataFrame(records)


def small_study_table(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Peters and Egger tests for every pool, done only where k >= 10.

    Returns
    -------
    DataFrame
        One row per pool with ``k >= 10``: ``Outcome, Regimen, k``, and the p-value (or the
        reason the test was not done) of the Peters (1/n) and Egger (SE) regressions.
        Empty when no pool has ten studies.
    """
    records = []
    for label, regimen, pool in _pools(ds, method, min_k=10):
        s = pool.studies
        tests = {name: small_study_test(s["events"].to_numpy(), s["total"].to_numpy(),
                                        test=name, method=method)
                 for name in ("peters", "egger")}
        records.append({"Outcome": label, "Regimen": regimen, "k": pool.k,
                        **{f"{name.title()} p": (f"{t.p_value:.3f}" if t.done else t.message)
                           for name, t in tests.items()}})
    return pd.DataFrame(records, columns=["Outcome", "Regimen", "k", "Peters p", "Egger p"])


def robustness_facts(subgroups: pd.DataFrame, influence: pd.DataFrame,
                     small: pd.DataFrame) -> dict[str, str]:
    """Counts for the robustness chapter's prose."""
    p = pd.to_numeric(subgroups["p"], errors="coerce") if len(subgroups) else pd.Series([])
    return {
        "n_subgroup_tests": str(len(subgroups)),
        "n_subgroup_significant": str(int((p < 0.05).sum())),
        "n_loo_pools": str(len(influence)),
        "n_influential": str(int((influence["Flag"] == "influential").sum()))
        if len(influence) else "0",
        "influence_threshold_pp": f"{100 * INFLUENCE_THRESHOLD:.0f}",
        "n_small_study_pools": str(len(small)),
    }
