"""The Sensitivity chapter: every pool under every method (plot and table)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from ...datapackage import Dataset
from ...review.sensitivity import method_comparison, sensitivity_summary
from ...review.synthesis import OUTCOMES
from ..forest import STYLE
from ..formatting import MISSING, fmt_count, fmt_row, outcome_label
from ..page import Page
from .methods import method_facts


def sensitivity_facts(summary: dict) -> dict[str, str]:
    """:func:`analysis.review.sensitivity.sensitivity_summary` as text for the chapter."""
    where = summary["max_spread_where"]
    return {
        "n_compared": fmt_count(summary["n_compared"]),
        "max_spread": f"{100 * summary['max_spread']:.1f}" if where else "0",
        "max_spread_where": (
            f"{outcome_label(where[0]).lower()}, {where[1]}"
            if where
            else "no regimen has two or more studies"
        ),
        "n_changed_grey": fmt_count(summary["n_changed_grey"]),
        "n_changed_unmarked": fmt_count(summary["n_changed_unmarked"]),
        "n_total": fmt_count(summary["n_total"]),
    }


def sensitivity_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per outcome x regimen, one column per method (% and 95% CI)."""
    cell = comparison.apply(fmt_row, axis=1)
    wide = comparison.assign(cell=cell).pivot_table(
        index=["outcome", "regimen"],
        columns="method_label",
        values="cell",
        aggfunc="first",
        sort=False,
    )
    order = list(dict.fromkeys(comparison["method_label"]))
    wide = wide[[c for c in order if c in wide.columns]].fillna(MISSING).reset_index()
    wide.columns.name = None
    rank = {o: i for i, o in enumerate(OUTCOMES)}
    wide = wide.assign(_o=wide["outcome"].map(rank), _any=wide["regimen"].eq("any"))
    wide = wide.sort_values(["_o", "_any", "regimen"], kind="stable").drop(columns=["_o", "_any"])
    wide = wide.reset_index(drop=True)
    first = comparison[comparison["method"] == comparison["method"].iloc[0]]
    k = first.set_index(["outcome", "regimen"])["k"]
    wide.insert(
        2,
        "k",
        [k.get((o, r), MISSING) for o, r in zip(wide["outcome"], wide["regimen"], strict=True)],
    )
    wide["outcome"] = wide["outcome"].map(OUTCOMES)
    return wide.rename(columns={"outcome": "Outcome", "regimen": "Regimen"})


#: Marker of each method in :func:`sensitivity_plot` (in order), so that methods differ by
#: shape as well as colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


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
            _, ax = plt.subplots(
                figsize=(8, max(2.0, 0.45 * len(rows) + 1.2)), layout="constrained"
            )
        colours = sns.color_palette("colorblind", max(1, len(methods)))
        markers = MARKERS * (len(methods) // len(MARKERS) + 1)  # shape as well as colour
        offsets = np.linspace(-0.3, 0.3, max(1, len(methods)))
        for i, (outcome, regimen) in enumerate(rows.itertuples(index=False)):
            y = len(rows) - i
            for j, label in enumerate(methods):
                hit = data[
                    (data["outcome"] == outcome)
                    & (data["regimen"] == regimen)
                    & (data["method_label"] == label)
                ]
                if hit.empty:
                    continue
                r = hit.iloc[0]
                ax.plot([r["ci_low"], r["ci_high"]], [y + offsets[j]] * 2, color=colours[j], lw=1)
                ax.plot(
                    r["estimate"],
                    y + offsets[j],
                    markers[j],
                    color=colours[j],
                    ms=5.5,
                    label=label
                    if i == 0 or label not in ax.get_legend_handles_labels()[1]
                    else None,
                )
        ax.set_yticks(
            range(len(rows), 0, -1),
            [f"{OUTCOMES[o]}: {r}" for o, r in rows.itertuples(index=False)],
        )
        ax.set_xlim(0, 1)
        ax.set_xticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
        ax.grid(axis="x", color="0.9")
        ax.set_xlabel("Pooled proportion (95% CI)")
        if len(rows):
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.12 - 0.3 / len(rows)),
                ncols=2,
                frameon=False,
            )
        else:
            ax.text(
                0.5,
                0.5,
                f"No regimen x outcome has {min_k} or more studies",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    return ax


def page(ds: Dataset) -> Page:
    """The Sensitivity chapter.

    Keys: :func:`~analysis.publish.chapters.methods.method_facts` (the methods' labels) and
    :func:`sensitivity_facts`; figure ``sensitivity_plot``; table ``sensitivity_table``.
    """
    comparison = method_comparison(ds)
    page = Page("sensitivity")
    page.facts = method_facts() | sensitivity_facts(sensitivity_summary(comparison))
    page.figures["sensitivity_plot"] = sensitivity_plot(comparison)
    page.table("sensitivity_table", sensitivity_table(comparison))
    return page
