"""Clinical subgroups: Crohn's disease vs ulcerative colitis, adults vs children (numbers).

For each outcome, the studies of the any-combination pool (each study once) are split by the
study's disease and by its population, where a study reports only one of the two groups
(studies of mixed or unstated disease or population are left out of that comparison). Each
subgroup is pooled with the primary method and the subgroups are compared three ways:

* the default random-effects test for subgroup differences, a separate tau² per subgroup
  (Q-between on chi²(G-1), R meta's ``Q.b.random``);
* the same test with one tau² common to the subgroups (``tau.common = TRUE``);
* a t-based (Hartung-Knapp style) test, ``Q_b/(G-1)`` on ``F(G-1, k-G)``
  (:func:`analysis.engine.subgroups.f_test`).

No difference is claimed where a subgroup has fewer than
:data:`~analysis.review.settings.MIN_K_SUBGROUP` studies, and every comparison gets a
credibility in the words of ICEMAN (Schandelmaier et al., CMAJ 2020;192:E901):
:func:`credibility`. These are comparisons across studies, not within them.
"""

from __future__ import annotations

import math

import pandas as pd

from ..datapackage import Dataset
from ..engine.glmm import GLMMConvergenceError
from ..engine.subgroups import f_test, subgroup_analysis
from .settings import MIN_K_SUBGROUP, PRIMARY, SUBGROUP_ALPHA
from .settings import method as method_of
from .synthesis import OUTCOMES, any_combination_rows, outcome_rows

#: Factor -> (studies column, subgroups compared and their labels).
FACTORS = {
    "disease": ("disease", {"CD": "Crohn's disease", "UC": "Ulcerative colitis"}),
    "population": ("population", {"adult": "Adults", "paediatric": "Children"}),
}
#: The three tests of each comparison: column prefix -> label.
TESTS = {
    "default": "separate tau², chi²",
    "common": "common tau², chi²",
    "t": "t-based (F)",
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
    "q_common",
    "p_common",
    "f_t",
    "df2_t",
    "p_t",
    "claim",
    "credibility",
    "credibility_reason",
    "message",
]


def credibility(ks, p_values, n_comparisons: int) -> tuple[bool, str, str]:
    """Whether a difference may be claimed, and its credibility in ICEMAN's words.

    Parameters
    ----------
    ks : sequence of int
        Studies per subgroup.
    p_values : sequence of float
        The p-values of the tests of the comparison (NaN: not tested).
    n_comparisons : int
        Subgroup comparisons made in the analysis (for the multiplicity item).

    Returns
    -------
    tuple
        ``(claim, credibility, reason)``. ``claim`` is False where a subgroup has fewer
        than :data:`MIN_K_SUBGROUP` studies or no test could be done. Credibility: every
        comparison here is between studies and was not hypothesised beforehand (no
        protocol), so it is at best ``"low"``, and only where every test has p below
        :data:`SUBGROUP_ALPHA`; otherwise ``"very low"``.
    """
    design = (
        f"between-study comparison, no hypothesis stated beforehand, one of {n_comparisons} "
        "comparisons"
    )
    tested = [p for p in p_values if not math.isnan(p)]
    if min(ks) < MIN_K_SUBGROUP:
        return False, "very low", f"no claim: a subgroup has fewer than {MIN_K_SUBGROUP} studies"
    if not tested:
        return False, "very low", "no claim: no test (a subgroup has no model)"
    below = sum(p < SUBGROUP_ALPHA for p in tested)
    if below == len(p_values):
        return True, "low", f"every test p < {SUBGROUP_ALPHA:g}; {design}"
    if below:
        return (
            True,
            "very low",
            f"{below} of {len(p_values)} tests p < {SUBGROUP_ALPHA:g}; {design}",
        )
    return True, "very low", f"no test p < {SUBGROUP_ALPHA:g}; {design}"


def _comparisons(ds: Dataset):
    studies = ds.studies.set_index("study_id")
    for outcome in OUTCOMES:
        rows = any_combination_rows(outcome_rows(ds, outcome))
        for factor, (column, labels) in FACTORS.items():
            frame = rows.assign(group=rows["study_id"].map(studies[column]))
            frame = frame[frame["group"].isin(labels)]
            frame = frame.assign(_rank=frame["group"].map(list(labels).index))
            frame = frame.sort_values(["_rank", "study_id"], kind="stable")
            if frame["group"].nunique() >= 2:
                yield outcome, factor, labels, frame


def _analyse(frame: pd.DataFrame, method, *, common: bool = False):
    return subgroup_analysis(
        frame["events"].to_numpy(),
        frame["total"].to_numpy(),
        frame["group"].tolist(),
        frame["study_id"].tolist(),
        method=method,
        common_tau2=common,
    )


def clinical_subgroups(ds: Dataset, method: str = PRIMARY) -> pd.DataFrame:
    """Every outcome x factor with data in two subgroups: the pooled subgroups and their tests.

    Returns
    -------
    DataFrame
        One row per outcome x factor x subgroup: ``outcome, factor, subgroup`` (its label),
        ``k, n, events, kind, estimate, ci_low, ci_high`` and, repeated on each row of the
        comparison, the default test ``q_between, df, p_value``, the common-tau² test
        ``q_common, p_common``, the t-based test ``f_t, df2_t, p_t`` (NaN where a subgroup
        has no model, e.g. no events, or a test cannot be done), ``claim`` (a difference
        may be claimed: every subgroup has :data:`MIN_K_SUBGROUP` studies), ``credibility``
        and ``credibility_reason`` (:func:`credibility`) and ``message``. Comparisons with
        fewer than two subgroups are left out.
    """
    m = method_of(method)
    comparisons = list(_comparisons(ds))
    records = []
    for outcome, factor, labels, frame in comparisons:
        result = _analyse(frame, m)
        modelled = all(r.kind != "counts" for r in result.results.values())
        message = result.message
        q, df, p = result.q_between, result.df, result.p_value
        q_common = p_common = f_t = p_t = float("nan")
        df2 = frame.shape[0] - frame["group"].nunique()
        if not modelled:
            q = p = float("nan")
            message = (
                message + " A subgroup has no events (or only events): no model, no test."
            ).strip()
        else:
            f_t, _, df2, p_t = f_test(result)
            try:
                common = _analyse(frame, m, common=True)
                q_common, p_common = common.q_between, common.p_value
            except (GLMMConvergenceError, ArithmeticError, ValueError) as error:
                message = (message + f" Common tau² not estimable: {error}.").strip()
        ks = [r.k for r in result.results.values()]
        claim, cred, why = credibility(ks, (p, p_common, p_t), len(comparisons))
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
                    "q_common": q_common,
                    "p_common": p_common,
                    "f_t": f_t,
                    "df2_t": df2,
                    "p_t": p_t,
                    "claim": claim,
                    "credibility": cred,
                    "credibility_reason": why,
                    "message": message,
                }
            )
    return pd.DataFrame(records, columns=COLUMNS)
