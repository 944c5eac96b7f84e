"""Figures: forest plots, the method-sensitivity plot and PRISMA flow diagrams."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch, Polygon

from ..review.selection import STAGES
from ..review.synthesis import OUTCOMES, RegimenSynthesis
from .formatting import NOT_REPORTED, fmt_interval, fmt_pct, fmt_reported

#: Local style of every figure (applied in a context, never globally).
STYLE = {
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.spines.left": False,
    "figure.dpi": 110,
    "savefig.dpi": 110,
}
_ROW = 0.24  # inches per row


def _layout(syn: RegimenSynthesis) -> list[tuple]:
    """Rows top to bottom: ("header", regimen) | ("study", row) | ("pool", regimen, pool)."""
    rows = []
    for regimen, pool in syn.pools.items():
        rows.append(("header", regimen))
        rows.extend(("study", study) for study in pool.studies.itertuples(index=False))
        rows.append(("pool", regimen, pool))
    return rows


def forest_plot(syn: RegimenSynthesis, *, ax: Axes | None = None, title: str | None = None) -> Axes:
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
            fig.subplots_adjust(
                left=0.25,
                right=0.58,
                top=1 - 0.5 / fig.get_figheight(),
                bottom=0.55 / fig.get_figheight(),
            )
        colours = sns.color_palette("colorblind", max(1, len(syn.pools)))
        regimen_index = {r: i for i, r in enumerate(syn.pools)}
        text = ax.get_yaxis_transform()
        fallbacks = False
        for y, row in zip(range(len(rows), 0, -1), rows, strict=True):
            if row[0] == "header":
                ax.text(
                    -0.02, y, row[1], transform=text, ha="right", va="center", fontweight="bold"
                )
            elif row[0] == "study":
                s = row[1]
                weight = s.weight if np.isfinite(s.weight) else 100.0 / max(1, len(rows))
                ax.plot([s.ci_low, s.ci_high], [y, y], color="0.35", lw=1)
                ax.plot(s.proportion, y, "s", color="0.2", ms=3 + 7 * np.sqrt(weight / 100))
                ax.text(-0.02, y, f"  {s.label}", transform=text, ha="right", va="center")
                ax.text(1.02, y, f"{s.events}/{s.total}", transform=text, va="center")
                ax.text(
                    1.32,
                    y,
                    f"{fmt_pct(s.proportion)} ({fmt_interval(s.ci_low, s.ci_high)})",
                    transform=text,
                    va="center",
                )
            else:
                _, regimen, pool = row
                colour = colours[regimen_index[regimen]]
                ax.add_patch(
                    Polygon(
                        [
                            (pool.ci_low, y),
                            (pool.estimate, y + 0.35),
                            (pool.ci_high, y),
                            (pool.estimate, y - 0.35),
                        ],
                        closed=True,
                        color=colour,
                    )
                )
                mark = "\u2020" if pool.fallback else ""
                fallbacks = fallbacks or pool.fallback
                ax.text(
                    -0.02,
                    y,
                    f"  Pooled{mark} (k={pool.k}, TTs={pool.n_total})",
                    transform=text,
                    ha="right",
                    va="center",
                    fontstyle="italic",
                )
                ax.text(
                    1.02,
                    y,
                    f"{pool.events_total}/{pool.n_total}",
                    transform=text,
                    va="center",
                    fontweight="bold",
                )
                ax.text(
                    1.32,
                    y,
                    f"{fmt_pct(pool.estimate)} ({fmt_interval(pool.ci_low, pool.ci_high)})",
                    transform=text,
                    va="center",
                    fontweight="bold",
                )
        ax.set_xlim(0, 1)
        ax.set_ylim(0.3, len(rows) + 0.9)
        ax.set_yticks([])
        ax.set_xticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
        ax.grid(axis="x", color="0.9")
        ax.set_xlabel("Proportion with the outcome (95% CI)")
        ax.text(1.02, len(rows) + 0.6, "Events/TTs", transform=text, fontweight="bold")
        ax.text(1.32, len(rows) + 0.6, "% (95% CI)", transform=text, fontweight="bold")
        ax.set_title(title if title is not None else syn.label, loc="left", fontweight="bold")
        if fallbacks:
            ax.annotate(
                "\u2020 GLMM not estimable (e.g. no events): inverse-variance logit "
                "REML with Hartung-Knapp CI shown instead",
                xy=(0, 0),
                xycoords="axes fraction",
                xytext=(0, -36),
                textcoords="offset points",
                va="top",
                fontsize=8,
                fontstyle="italic",
            )
        if not rows:
            ax.text(
                0.5,
                0.5,
                "No regimen has data for this outcome",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    return ax


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
                    "o",
                    color=colours[j],
                    ms=4,
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


def prisma_diagram(counts: dict, ax=None, title: str | None = None):
    """Draw a PRISMA 2020 flow diagram.

    Parameters
    ----------
    counts : dict
        As returned by :func:`prisma_counts` (missing stages are shown as "not reported").
        With ``counts["updated"]`` the template for updated reviews is drawn (previous
        studies, new studies, total).
    ax : matplotlib Axes, optional
        Where to draw (a new 9 x 7 inch figure if not given).
    title : str, optional
        Title above the diagram.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    updated = counts.get("updated", False)
    # column centre and width: previous-version box, main flow, exclusion boxes
    main, side, prev = (
        ((0.52, 0.27), (0.85, 0.27), (0.17, 0.25))
        if updated
        else ((0.36, 0.36), (0.80, 0.34), None)
    )
    height = 0.12

    def box(col, y, text, shaded=False, h=height):
        x, w = col
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0.004,rounding_size=0.01",
                fc="0.94" if shaded else "white",
                ec="0.35",
                lw=0.9,
            )
        )
        lines = []
        for line in text.split("\n"):
            lines.extend(textwrap.wrap(line, width=max(int(w * 95), 12)) or [""])
        ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=7.5)

    def arrow(x0, y0, x1, y1):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops=dict(arrowstyle="-|>", color="0.3", lw=0.9, shrinkA=0, shrinkB=0),
        )

    y = {"identification": 0.86, "screening": 0.64, "eligibility": 0.42, "included": 0.19}
    for label, yy in y.items():
        ax.text(
            0.0,
            yy,
            label.capitalize(),
            rotation=90,
            va="center",
            ha="left",
            fontsize=8.5,
            fontweight="bold",
            color="0.35",
        )
    box(
        main,
        y["identification"],
        f"{STAGES['identified']}\n(n = {fmt_reported(counts.get('identified'))})",
    )
    n = {stage: fmt_reported(counts.get(stage)) for stage in STAGES}
    box(
        side,
        y["identification"],
        f"{STAGES['duplicates_removed']}\n(n = {n['duplicates_removed']})",
        True,
    )
    box(main, y["screening"], f"{STAGES['screened']}\n(n = {fmt_reported(counts.get('screened'))})")
    box(
        side,
        y["screening"],
        f"{STAGES['excluded_screening']}\n(n = {n['excluded_screening']})",
        True,
    )
    box(
        main,
        y["eligibility"],
        f"{STAGES['full_text_assessed']}\n(n = {fmt_reported(counts.get('full_text_assessed'))})",
    )
    reasons = counts.get("reasons") or []
    reason_text = "\n".join(f"{r}: {fmt_reported(n)}" for r, n in reasons) or f"({NOT_REPORTED})"
    box(side, y["eligibility"], f"{STAGES['excluded_full_text']}\n{reason_text}", True)
    for row in ("identification", "screening", "eligibility"):
        arrow(main[0] + main[1] / 2, y[row], side[0] - side[1] / 2, y[row])
    arrow(main[0], y["identification"] - height / 2, main[0], y["screening"] + height / 2)
    arrow(main[0], y["screening"] - height / 2, main[0], y["eligibility"] + height / 2)
    if updated:
        box(
            main,
            y["included"],
            f"{STAGES['new_studies']} (n = {fmt_reported(counts.get('new_studies'))})\n"
            f"{STAGES['new_reports']} (n = {fmt_reported(counts.get('new_reports'))})",
            h=0.14,
        )
        box(
            prev,
            y["identification"],
            f"{STAGES['previous_studies']}\n(n = {fmt_reported(counts.get('previous_studies'))})",
        )
        total = (0.36, 0.42)
        box(
            total,
            0.03,
            f"{STAGES['included_studies']} (n = {fmt_reported(counts.get('included_studies'))})",
            h=0.06,
        )
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + 0.07)
        arrow(prev[0], y["identification"] - height / 2, prev[0], 0.06)
        arrow(main[0], y["included"] - 0.07, main[0], 0.06)
    else:
        box(
            main,
            y["included"],
            f"Studies included in review\n(n = {fmt_reported(counts.get('included_studies'))})",
        )
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + height / 2)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax
