"""Sensitivity of every pooled estimate to the method and to grey literature."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from .dataset import Dataset
from .formatting import fmt_interval, fmt_pct
from .plots import STYLE
from .settings import METHODS, PRIMARY
from .synthesis import GREY_LITERATURE, OUTCOMES, results_table

#: Methods compared in the book, in display order.
COMPARED = (PRIMARY, "logit_reml_hk", "arcsine_dl", "as_published")
#: Name of the sensitivity analysis without conference abstracts and preprints.
PEER_REVIEWED = f"{PRIMARY}_peer_reviewed"


def method_comparison(ds: Dataset, methods=COMPARED) -> pd.DataFrame:
    """Every regimen x outcome pooled by each method, plus primary on peer-reviewed reports.

    Returns
    -------
    DataFrame
        The rows of :func:`analysis.synthesis.results_table` for ``methods`` and for the
        primary method without conference abstracts and preprints (method
        ``primary_peer_reviewed``), with a ``method_label`` column.
    """
    table = pd.concat([
        results_table(ds, methods),
        results_table(ds, (PRIMARY,), exclude_publication_types=GREY_LITERATURE,
                      suffix="_peer_reviewed"),
    ], ignore_index=True)
    labels = {key: METHODS[key].label for key in methods}
    labels[PEER_REVIEWED] = f"{METHODS[PRIMARY].label}, peer-reviewed reports only"
    order = {o: i for i, o in enumerate(OUTCOMES)}
    table = table.assign(method_label=table["method"].map(labels),
                         _o=table["outcome"].map(order), _any=table["regimen"].eq("any"))
    return (table.sort_values(["_o", "_any", "regimen"], kind="stable")
            .drop(columns=["_o", "_any"]).reset_index(drop=True))


def sensitivity_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per outcome x regimen, one column per method (% and 95% CI)."""
    cell = comparison.apply(lambda r: f"{fmt_pct(r['estimate'])} "
                                      f"({fmt_interval(r['ci_low'], r['ci_high'])})", axis=1)
    wide = (comparison.assign(cell=cell, k=comparison["k"])
            .pivot_table(index=["outcome", "regimen"], columns="method_label", values="cell",
                         aggfunc="first", sort=False))
    order = list(dict.fromkeys(comparison["method_label"]))
    wide = wide[[c for c in order if c in wide.columns]].fillna("\u2014").reset_index()
    wide["outcome"] = wide["outcome"].map(OUTCOMES)
    k = comparison[comparison["method"] == comparison["method"].iloc[0]].set_index(
        ["outcome", "regimen"])["k"]
    wide.insert(2, "k", [k.get((o, r), "\u2014") for o, r in zip(
        wide["outcome"].map({v: key for key, v in OUTCOMES.items()}), wide["regimen"])])
    return wide.rename(columns={"outcome": "Outcome", "regimen": "Regimen"})


def sensitivity_plot(comparison: pd.DataFrame, *, min_k: int = 2, ax: Axes | None = None) -> Axes:
    """Dot-and-whisker plot of each regimen x outcome (k >= ``min_k``) under every method.

    Returns
    -------
    Axes
    """
    data = comparison[(comparison["k"] >= min_k) & (comparison["regimen"] != "any")]
    rows = data[["outcome", "regimen"]].drop_duplicates().reset_index(drop=True)
    methods = list(dict.fromkeys(data["method_label"]))
    with plt.rc_context(STYLE):
        if ax is None:
            _, ax = plt.subplots(figsize=(8, max(2.0, 0.45 * len(rows) + 1.2)),
                                 layout="constrained")
        colours = sns.color_palette("colorblind", max(1, len(methods)))
        offsets = np.linspace(-0.3, 0.3, max(1, len(methods)))
        for i, (outcome, regimen) in enumerate(rows.itertuples(index=False)):
            y = len(rows) - i
            for j, label in enumerate(methods):
                hit = data[(data["outcome"] == outcome) & (data["regimen"] == regimen)
                           & (data["method_label"] == label)]
                if hit.empty:
                    continue
                r = hit.iloc[0]
                ax.plot([r["ci_low"], r["ci_high"]], [y + offsets[j]] * 2, color=colours[j],
                        lw=1)
                ax.plot(r["estimate"], y + offsets[j], "o", color=colours[j], ms=4,
                        label=label if i == 0 or label not in ax.get_legend_handles_labels()[1]
                        else None)
        ax.set_yticks(range(len(rows), 0, -1),
                      [f"{OUTCOMES[o]}: {r}" for o, r in rows.itertuples(index=False)])
        ax.set_xlim(0, 1)
        ax.set_xticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
        ax.grid(axis="x", color="0.9")
        ax.set_xlabel("Pooled proportion (95% CI)")
        if len(rows):
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / len(rows)),
                      ncols=2, frameon=False)
        else:
            ax.text(0.5, 0.5, f"No regimen x outcome has {min_k} or more studies",
                    ha="center", va="center", transform=ax.transAxes)
    return ax


def sensitivity_facts(comparison: pd.DataFrame) -> dict[str, str]:
    """Facts for the sensitivity chapter's prose.

    Keys: ``n_compared`` (regimen x outcome estimates with k >= 2, ``any`` excluded),
    ``max_spread`` (largest range of point estimates across the compared methods, in
    percentage points), ``max_spread_where``, ``n_changed_grey`` (estimates whose primary
    value or k changes without grey literature, or that disappear) and ``n_total``.
    """
    main = comparison[comparison["method"] != PEER_REVIEWED]
    pooled = main[(main["k"] >= 2) & (main["regimen"] != "any")]
    spread = pooled.groupby(["outcome", "regimen"])["estimate"].agg(lambda e: e.max() - e.min())
    primary = comparison[comparison["method"] == PRIMARY].set_index(["outcome", "regimen"])
    grey = comparison[comparison["method"] == PEER_REVIEWED].set_index(["outcome", "regimen"])
    joined = primary[["estimate", "k"]].join(grey[["estimate", "k"]], rsuffix="_peer")
    changed = (joined["k_peer"].isna() | (joined["k"] != joined["k_peer"])
               | ~np.isclose(joined["estimate"], joined["estimate_peer"]))
    where = spread.idxmax() if len(spread) else None
    return {
        "n_compared": str(len(spread)),
        "max_spread": f"{100 * spread.max():.1f}" if len(spread) else "0",
        "max_spread_where": (f"{OUTCOMES[where[0]].lower()}, {where[1]}" if where
                             else "no regimen has two or more studies"),
        "n_changed_grey": str(int(changed.sum())),
        "n_total": str(len(joined)),
    }
