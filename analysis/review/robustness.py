"""Differences between regimens, influence of single studies, and small-study effects.

Every function returns numbers (proportions on the 0-1 scale, p-values as floats); the
Robustness chapter formats them (:mod:`analysis.publish.chapters.robustness`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from ..datapackage import Dataset
from ..engine.influence import leave_one_out, small_study_test
from ..engine.pooling import degenerate_kind
from ..engine.results import PooledProportion
from ..engine.subgroups import subgroup_analysis
from .settings import PRIMARY
from .settings import method as method_of
from .synthesis import MIXED, OUTCOMES, outcome_rows, synthesise

#: A leave-one-out estimate this far (proportion scale) from the pooled one is flagged.
INFLUENCE_THRESHOLD = 0.10
#: Significance level of the tests, compared with the p-values as numbers.
ALPHA = 0.05


def subgroup_differences(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Test for differences between regimens, per outcome (random-effects Q-between).

    Regimens are compared when an outcome has data for at least two of them; mixed
    whole-study arms are left out. These are non-randomised comparisons across studies.

    Returns
    -------
    DataFrame
        ``outcome, regimens, studies, q_between, df, p_value, significant, message``.
    """
    records = []
    for outcome in OUTCOMES:
        rows = outcome_rows(ds, outcome)
        rows = rows[rows["regimen"] != MIXED]
        # a pool with no events, or only events, has no model estimate to compare
        degenerate = sorted(
            regimen
            for regimen, group in rows.groupby("regimen")
            if degenerate_kind(group["events"].astype(int), group["total"].astype(int))
        )
        left_out = (
            f"Left out (no events or only events, no model): {', '.join(degenerate)}."
            if degenerate
            else ""
        )
        rows = rows[~rows["regimen"].isin(degenerate)]
        if rows["regimen"].nunique() < 2:
            if rows["regimen"].nunique() + len(degenerate) >= 2:
                records.append(
                    {
                        "outcome": outcome,
                        "regimens": rows["regimen"].nunique(),
                        "studies": len(rows),
                        "q_between": float("nan"),
                        "df": 0,
                        "p_value": float("nan"),
                        "significant": False,
                        "message": (
                            left_out + " Fewer than two combinations left: no test."
                        ).strip(),
                    }
                )
            continue
        res = subgroup_analysis(
            rows["events"].astype(int).to_numpy(),
            rows["total"].astype(int).to_numpy(),
            rows["regimen"].tolist(),
            rows["study_id"].tolist(),
            method=method_of(method),
        )
        records.append(
            {
                "outcome": outcome,
                "regimens": len(res.results),
                "studies": len(rows),
                "q_between": res.q_between,
                "df": res.df,
                "p_value": res.p_value,
                "significant": bool(res.p_value < ALPHA),
                "message": " ".join(filter(None, [left_out, res.message])),
            }
        )
    return pd.DataFrame(
        records,
        columns=[
            "outcome",
            "regimens",
            "studies",
            "q_between",
            "df",
            "p_value",
            "significant",
            "message",
        ],
    )


def pools(ds: Dataset, method: str, min_k: int) -> Iterator[tuple[str, str, PooledProportion]]:
    """(outcome, regimen, pool) for every pool of at least ``min_k`` studies.

    The any-combination pool is included with regimen ``"any"``.
    """
    for outcome in OUTCOMES:
        syn = synthesise(ds, outcome, method)
        found = dict(syn.pools)
        if syn.any_combination is not None:
            found["any"] = syn.any_combination
        for regimen, pool in found.items():
            if pool.k >= min_k:
                yield outcome, regimen, pool


def influence_table(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Leave-one-out for every pool of two or more studies (every regimen and any combination).

    Returns
    -------
    DataFrame
        ``outcome, regimen, k, estimate, ci_low, ci_high, loo_min, loo_max`` (range of the
        estimates with one study left out), ``most_influential`` (the study whose omission
        moves the estimate most), ``change`` (that move, 0-1 scale) and ``influential``
        (change of at least :data:`INFLUENCE_THRESHOLD`).
    """
    records = []
    for outcome, regimen, pool in pools(ds, method, min_k=2):
        s = pool.studies
        loo = leave_one_out(
            s["events"].to_numpy(), s["total"].to_numpy(), s["label"].tolist(), method_of(method)
        )
        change = (loo["estimate"] - pool.estimate).abs()
        worst = change.idxmax()
        records.append(
            {
                "outcome": outcome,
                "regimen": regimen,
                "k": pool.k,
                "estimate": pool.estimate,
                "ci_low": pool.ci_low,
                "ci_high": pool.ci_high,
                "loo_min": loo["estimate"].min(),
                "loo_max": loo["estimate"].max(),
                "most_influential": loo.at[worst, "omitted"],
                "change": float(change[worst]),
                "influential": bool(change[worst] >= INFLUENCE_THRESHOLD),
            }
        )
    return pd.DataFrame(records)


def small_study_table(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Peters and Egger tests for every pool, done only where k >= 10.

    Returns
    -------
    DataFrame
        One row per pool with ``k >= 10``: ``outcome, regimen, k`` and, per test
        (``peters``, ``egger``), ``<test>_p`` (NaN when not done) and ``<test>_message``.
    """
    records = []
    for outcome, regimen, pool in pools(ds, method, min_k=10):
        s = pool.studies
        record = {"outcome": outcome, "regimen": regimen, "k": pool.k}
        for name in ("peters", "egger"):
            test = small_study_test(
                s["events"].to_numpy(), s["total"].to_numpy(), test=name, method=method_of(method)
            )
            record[f"{name}_p"] = test.p_value
            record[f"{name}_message"] = test.message
        records.append(record)
    return pd.DataFrame(
        records,
        columns=[
            "outcome",
            "regimen",
            "k",
            "peters_p",
            "peters_message",
            "egger_p",
            "egger_message",
        ],
    )
