"""Figures: forest plots of per-regimen pooled proportions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import Polygon

from .formatting import fmt_interval, fmt_pct
from .synthesis import RegimenSynthesis

#: Local style of every figure (applied in a context, never globally).
STYLE = {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
         "axes.spines.left": False, "figure.dpi": 110, "savefig.dpi": 110}
_ROW = 0.24  # inches per row


def _layout(syn: RegimenSynthesis) -> list[tuple]:
    """Rows top to bottom: ("header", regimen) | ("study", row) | ("pool", regimen, pool)."""
    rows = []
    for regimen, pool in syn.pools.items():
        rows.append(("header", regimen))
        rows.extend(("study", study) for study in pool.studies.itertuples(index=False))
        rows.append(("pool", regimen, pool))
    return rows


def forest_plot(syn: RegimenSynthesis, *, ax: Axes | None = None,
                title: str | None = None) -> Axes:
    """Forest plot of one outcome with regimens as subgroups.

    Each regimen shows its studies (square sized by random-effects weight, Clopper-Pearson
    95% CI) and a diamond for the pooled proportion (95% CI), with k and TTs in the label;
    the right-hand text gives events/total and the percentage with its CI.

    Parameters
    ----------
    syn : RegimenSynthesis
        Result of :func:`analysis.synthesis.synthesise`.
    ax : Axes, optional
        Axes to draw on; a new figure sized to the number of rows if omitted.
    title : str, optional
        Title (default: the outcome's wording).

    Returns
    -------
    Axes
    """
    rows = _layout(syn)
    with plt.rc_context(STYLE):
        if ax is None:
            fig, ax = plt.subplots(figsize=(9.5, max(1.8, _ROW * (len(rows) + 3))))
            fig.subplots_adjust(left=0.25, right=0.58, top=1 - 0.5 / fig.get_figheight(),
                                bottom=0.55 / fig.get_figheight())
        colours = sns.color_palette("colorblind", max(1, len(syn.pools)))
        regimen_index = {r: i for i, r in enumerate(syn.pools)}
        text = ax.get_yaxis_transform()
        fallbacks = False
        for y, row in zip(range(len(rows), 0, -1), rows):
            if row[0] == "header":
                ax.text(-0.02, y, row[1], transform=text, ha="right", va="center",
                        fontweight="bold")
            elif row[0] == "study":
                s = row[1]
                weight = s.weight if np.isfinite(s.weight) else 100.0 / max(1, len(rows))
                ax.plot([s.ci_low, s.ci_high], [y, y], color="0.35", lw=1)
                ax.plot(s.proportion, y, "s", color="0.2", ms=3 + 7 * np.sqrt(weight / 100))
                ax.text(-0.02, y, f"  {s.label}", transform=text, ha="right", va="center")
                ax.text(1.02, y, f"{s.events}/{s.total}", transform=text, va="center")
                ax.text(1.32, y, f"{fmt_pct(s.proportion)} ({fmt_interval(s.ci_low, s.ci_high)})",
                        transform=text, va="center")
            else:
                _, regimen, pool = row
                colour = colours[regimen_index[regimen]]
                ax.add_patch(Polygon([(pool.ci_low, y), (pool.estimate, y + 0.35),
                                      (pool.ci_high, y), (pool.estimate, y - 0.35)],
                                     closed=True, color=colour))
                mark = "\u2020" if pool.fallback else ""
                fallbacks = fallbacks or pool.fallback
                ax.text(-0.02, y, f"  Pooled{mark} (k={pool.k}, TTs={pool.n_total})",
                        transform=text, ha="right", va="center", fontstyle="italic")
                ax.text(1.02, y, f"{pool.events_total}/{pool.n_total}", transform=text,
                        va="center", fontweight="bold")
                ax.text(1.32, y, f"{fmt_pct(pool.estimate)} "
                                 f"({fmt_interval(pool.ci_low, pool.ci_high)})",
                        transform=text, va="center", fontweight="bold")
        ax.set_xlim(0, 1)
        ax.set_ylim(0.3, len(rows) + 0.9)
        ax.set_yticks([])
        ax.set_xticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
        ax.grid(axis="x", color="0.9")
        ax.set_xlabel("Proportion with the outcome (95% CI)")
        ax.text(1.02, len(rows) + 0.6, "Events/TTs", transform=text, fontweight="bold")
        ax.text(1.32, len(rows) + 0.6, "% (95% CI)", transform=text, fontweight="bold")
        ax.set_title(title if title is not None else syn.label, loc="left",
                     fontweight="bold")
        if fallbacks:
            ax.annotate("\u2020 GLMM not estimable (e.g. no events): inverse-variance logit "
                        "REML with Hartung-Knapp CI shown instead", xy=(0, 0),
                        xycoords="axes fraction", xytext=(0, -36), textcoords="offset points",
                        va="top", fontsize=8, fontstyle="italic")
        if not rows:
            ax.text(0.5, 0.5, "No regimen has data for this outcome", ha="center",
                    va="center", transform=ax.transAxes)
    return ax
