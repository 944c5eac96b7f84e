"""Sensitivity of every pooled estimate to the method, to grey literature and to marked counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..datapackage import Dataset, subset
from .settings import METHODS, PRIMARY, PRIMARY_LABEL
from .synthesis import (
    GREY_LITERATURE,
    OUTCOMES,
    from_target_review,
    results_table,
    with_cointervention,
)

#: Methods compared in the book, in display order (``as_published`` lives in the
#: reproduction appendix: it models pools without events, as the 2026 paper did).
COMPARED = (
    PRIMARY,
    "glmm_ml",
    "bayes",
    "bayes_hn05",
    "bayes_hn2",
    "glmm_hk",
    "logit_reml_hk",
    "arcsine_dl",
)
#: Name of the sensitivity analysis without conference abstracts and preprints.
PEER_REVIEWED = f"{PRIMARY}_peer_reviewed"
#: Name of the sensitivity analysis without marked counts (‡ taken from the 2026 review,
#: § arms with a co-intervention such as EXPLORER's methotrexate).
UNMARKED = f"{PRIMARY}_unmarked"


def without_marked(ds: Dataset) -> Dataset:
    """The data without the counts the tables mark (‡ and §).

    Leaves out ``kind == "target_review"`` rows (‡) and every row of an arm with a
    ``cointervention`` (§).

    A view like :func:`analysis.datapackage.as_of`: studies, drugs and published figures
    unchanged, ``sha256`` the fingerprint of the view.
    """
    arms = ds.arms[~with_cointervention(ds.arms)]
    outcomes = ds.outcomes[
        ~from_target_review(ds.outcomes) & ds.outcomes["arm_id"].isin(arms["arm_id"])
    ]
    return subset(ds, arms=arms, outcomes=outcomes)


def method_comparison(ds: Dataset, methods=COMPARED) -> pd.DataFrame:
    """Every regimen x outcome pooled by each method, plus primary on peer-reviewed reports.

    Returns
    -------
    DataFrame
        The rows of :func:`analysis.review.synthesis.results_table` for ``methods`` and for
        the primary method without conference abstracts and preprints (method
        ``primary_peer_reviewed``), with a ``method_label`` column.
    """
    table = pd.concat(
        [
            results_table(ds, methods),
            results_table(
                ds, (PRIMARY,), exclude_publication_types=GREY_LITERATURE, suffix="_peer_reviewed"
            ),
            results_table(without_marked(ds), (PRIMARY,), suffix="_unmarked"),
        ],
        ignore_index=True,
    )
    labels = {key: METHODS[key].label for key in methods}
    labels[PRIMARY] = PRIMARY_LABEL
    labels[PEER_REVIEWED] = f"{PRIMARY_LABEL}, peer-reviewed reports only"
    labels[UNMARKED] = f"{PRIMARY_LABEL}, without \u2021 and \u00a7 counts"
    order = {o: i for i, o in enumerate(OUTCOMES)}
    table = table.assign(
        method_label=table["method"].map(labels),
        _o=table["outcome"].map(order),
        _any=table["regimen"].eq("any"),
    )
    return (
        table.sort_values(["_o", "_any", "regimen"], kind="stable")
        .drop(columns=["_o", "_any"])
        .reset_index(drop=True)
    )


def sensitivity_summary(comparison: pd.DataFrame) -> dict:
    """How much the estimates move between methods and without grey literature (numbers).

    Returns
    -------
    dict
        ``n_compared`` (regimen x outcome estimates with k >= 2, ``any`` excluded),
        ``max_spread`` (largest range of point estimates across the compared methods, 0-1
        scale; NaN when nothing is compared), ``max_spread_where`` ((outcome, regimen) or
        None), ``n_changed_grey`` (estimates whose primary value or k changes without grey
        literature, or that disappear) and ``n_total``.
    """
    main = comparison[~comparison["method"].isin([PEER_REVIEWED, UNMARKED])]
    pooled = main[(main["k"] >= 2) & (main["regimen"] != "any")]
    spread = pooled.groupby(["outcome", "regimen"])["estimate"].agg(lambda e: e.max() - e.min())
    primary = comparison[comparison["method"] == PRIMARY].set_index(["outcome", "regimen"])

    def changed(other: str) -> pd.Series:
        """Primary estimates whose value or k differ under ``other``, or that it lacks."""
        rows = comparison[comparison["method"] == other].set_index(["outcome", "regimen"])
        joined = primary[["estimate", "k"]].join(rows[["estimate", "k"]], rsuffix="_other")
        return (
            joined["k_other"].isna()
            | (joined["k"] != joined["k_other"])
            | ~np.isclose(joined["estimate"], joined["estimate_other"])
        )

    return {
        "n_changed_unmarked": int(changed(UNMARKED).sum()),
        "n_compared": len(spread),
        "max_spread": float(spread.max()) if len(spread) else float("nan"),
        "max_spread_where": spread.idxmax() if len(spread) else None,
        "n_changed_grey": int(changed(PEER_REVIEWED).sum()),
        "n_total": len(primary),
    }
