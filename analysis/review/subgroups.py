"""Clinical subgroups: Crohn's disease vs ulcerative colitis, adults vs children (numbers).

For each outcome, the studies of the any-combination pool (each study once) are split by the
study's disease and by its population, where a study reports only one of the two groups
(studies of mixed or unstated disease or population are left out of that comparison). Each
subgroup is pooled with the primary method and the subgroups are compared with the
random-effects test for subgroup differences (Q-between, R meta's ``Q.b.random``). These
are comparisons across studies, not within them.
"""

from __future__ import annotations

import pandas as pd

from ..datapackage import Dataset
from ..engine.subgroups import subgroup_analysis
from .settings import PRIMARY
from .settings import method as method_of
from .synthesis import OUTCOMES, any_combination_rows, outcome_rows

#: Factor -> (studies column, subgroups compared and their labels).
FACTORS = {
    "disease": ("disease", {"CD": "Crohn's disease", "UC": "Ulcerative colitis"}),
    "population": ("population", {"adult": "Adults", "paediatric": "Children"}),
}
COLUMNS = [
    "outcome",
    "factor",
    "subgroup",
    "k",
    "n",
    "events",
    "kind",
    "estimate",
    "ci_low",
    "ci_high",
    "q_between",
    "df",
    "p_value",
    "message",
]


def clinical_subgroups(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Every outcome x factor with data in two subgroups: the pooled subgroups and their test.

    Returns
    -------
    DataFrame
        One row per outcome x factor x subgroup: ``outcome, factor, subgroup`` (its label),
        ``k, n, events, kind, estimate, ci_low, ci_high`` and, repeated on each row of the
        comparison, ``q_between, df, p_value`` (NaN where a subgroup has no model, e.g. no
        events) and ``message``. Comparisons with fewer than two subgroups are left out.
    """
    records = []
    for outcome in OUTCOMES:
        rows = any_combination_rows(outcome_rows(ds, outcome))
        studies = ds.studies.set_index("study_id")
        for factor, (column, labels) in FACTORS.items():
            frame = rows.assign(group=rows["study_id"].map(studies[column]))
            frame = frame[frame["group"].isin(labels)]
            frame = frame.assign(_rank=frame["group"].map(list(labels).index))
            frame = frame.sort_values(["_rank", "study_id"], kind="stable")
            if frame["group"].nunique() < 2:
                continue
            result = subgroup_analysis(
                frame["events"].to_numpy(),
                frame["total"].to_numpy(),
                frame["group"].tolist(),
                frame["study_id"].tolist(),
                method=method_of(method),
            )
            modelled = all(r.kind != "counts" for r in result.results.values())
            message = result.message
            q, df, p = result.q_between, result.df, result.p_value
            if not modelled:
                q = p = float("nan")
                message = (
                    message + " A subgroup has no events (or only events): no model, no test."
                ).strip()
            for group, pool in result.results.items():
                records.append(
                    {
                        "outcome": outcome,
                        "factor": factor,
                        "subgroup": labels[group],
                        "k": pool.k,
                        "n": pool.n_total,
                        "events": pool.events_total,
                        "kind": pool.kind,
                        "estimate": pool.estimate,
                        "ci_low": pool.ci_low,
                        "ci_high": pool.ci_high,
                        "q_between": q,
                        "df": df,
                        "p_value": p,
                        "message": message,
                    }
                )
    return pd.DataFrame(records, columns=COLUMNS)
