"""Figures: method sensitivity, PRISMA flow diagrams, risk-of-bias traffic lights.

Forest plots are in :mod:`analysis.publish.forest`.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from ..review.certainty import ROB_DOMAINS, study_risk
from ..review.selection import STAGES, SearchFlow
from ..review.synthesis import OUTCOMES
from .forest import STYLE as FOREST_STYLE
from .formatting import NOT_REPORTED, fmt_reported

#: Style of the other figures (the forest plots' style, :data:`analysis.publish.forest.STYLE`).
STYLE = FOREST_STYLE
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


def flow_diagram(flow: SearchFlow, title: str | None = None):
    """The PRISMA 2020 diagram of one search (:func:`analysis.review.selection.search_flows`).

    Records from other methods (citation searching, websites, ...) are counted beside
    those from databases in each box; a living search whose records were not kept reads
    "not recorded" where a record count would be.
    """
    counts = dict(flow.counts)
    counts["reasons"] = flow.reasons
    counts["updated"] = flow.updated
    missing = NOT_REPORTED if flow.round is None else "not recorded"
    return prisma_diagram(counts, title=title, missing=missing)


def prisma_diagram(counts: dict, ax=None, title: str | None = None, *, missing=NOT_REPORTED):
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
    missing : str
        Wording of a count that is ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """

    def count_of(stage: str) -> str:
        return fmt_reported(counts.get(stage), missing)

    def plus_other(stage: str, other: str) -> str:
        more = f"; other methods {count_of(other)}" if counts.get("other_identified") else ""
        return count_of(stage) + more

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 9.5))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.1, 1)  # room for the total box under the flow
    ax.axis("off")
    updated = counts.get("updated", False)
    # column centre and width: previous-version box, main flow, exclusion boxes
    main, side, prev = (
        ((0.525, 0.29), (0.845, 0.29), (0.185, 0.25))
        if updated
        else ((0.36, 0.36), (0.80, 0.34), None)
    )
    height = 0.15

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
            lines.extend(textwrap.wrap(line, width=max(int(w * 80), 12)) or [""])
        ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=10)

    def arrow(x0, y0, x1, y1):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops=dict(arrowstyle="-|>", color="0.3", lw=0.9, shrinkA=0, shrinkB=0),
        )

    y = {"identification": 0.9, "screening": 0.67, "eligibility": 0.44, "included": 0.2}
    for label, yy in y.items():
        ax.text(
            0.0,
            yy,
            label.capitalize(),
            rotation=90,
            va="center",
            ha="left",
            fontsize=10,
            fontweight="bold",
            color="0.35",
        )
    box(
        main,
        y["identification"],
        f"{STAGES['identified']}\n(n = {plus_other('identified', 'other_identified')})",
    )
    box(
        side,
        y["identification"],
        f"{STAGES['duplicates_removed']}\n"
        f"(n = {plus_other('duplicates_removed', 'other_duplicates')})",
        True,
    )
    box(
        main,
        y["screening"],
        f"{STAGES['screened']}\n(n = {plus_other('screened', 'other_screened')})",
    )
    box(
        side,
        y["screening"],
        f"{STAGES['excluded_screening']}\n"
        f"(n = {plus_other('excluded_screening', 'other_excluded')})",
        True,
    )
    box(
        main,
        y["eligibility"],
        f"{STAGES['full_text_assessed']}\n"
        f"(n = {plus_other('full_text_assessed', 'other_assessed')})",
    )
    reasons = counts.get("reasons") or []
    reason_text = "\n".join(f"{r}: {fmt_reported(k, missing)}" for r, k in reasons) or (
        "none" if counts.get("full_text_assessed") is not None else f"({missing})"
    )
    if counts.get("not_retrieved"):
        reason_text += f"\nNot retrieved: {counts['not_retrieved']:,}"
    box(side, y["eligibility"], f"{STAGES['excluded_full_text']}\n{reason_text}", True)
    for row in ("identification", "screening", "eligibility"):
        arrow(main[0] + main[1] / 2, y[row], side[0] - side[1] / 2, y[row])
    arrow(main[0], y["identification"] - height / 2, main[0], y["screening"] + height / 2)
    arrow(main[0], y["screening"] - height / 2, main[0], y["eligibility"] + height / 2)
    if updated:
        box(
            main,
            y["included"],
            f"{STAGES['new_studies']} (n = {count_of('new_studies')})\n"
            f"{STAGES['new_reports']} (n = {count_of('new_reports')})",
            h=0.17,
        )
        box(
            prev,
            y["identification"],
            f"{STAGES['previous_studies']}\n(n = {count_of('previous_studies')})",
        )
        total = (0.4, 0.62)
        text = f"{STAGES['included_studies']} (n = {count_of('included_studies')})"
        previous, new, included = (
            counts.get(k) for k in ("previous_studies", "new_studies", "included_studies")
        )
        if all(isinstance(v, int) for v in (previous, new, included)) and (
            previous + new != included
        ):
            text += (
                f"\n{previous} previous + {new} new \u2212 {previous + new - included} "
                "superseded by a new report of the same cohort"
            )
        box(total, -0.02, text, h=0.12)
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + 0.085)
        arrow(prev[0], y["identification"] - height / 2, prev[0], 0.04)
        arrow(main[0], y["included"] - 0.085, main[0], 0.04)
    else:
        box(
            main,
            y["included"],
            f"Studies included in review\n(n = {count_of('included_studies')})",
        )
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + height / 2)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return ax


#: Colour and symbol of each risk-of-bias judgement (symbols for readers who cannot tell
#: the colours apart), as in the robvis traffic-light plots.
ROB_STYLE = {"low": ("#1b7837", "+"), "unclear": ("#e6ab02", "?"), "high": ("#b2182b", "\u2212")}


def risk_of_bias_plot(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Traffic-light plot: one row per study, one column per domain and the overall judgement.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.review.certainty.read_risk_of_bias` (domains of Murad et al. 2018).

    Returns
    -------
    Axes
    """
    table = table.sort_values("study_id").reset_index(drop=True)
    overall = study_risk(table)
    columns = [*ROB_DOMAINS, "overall"]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.2, 0.6 + 0.28 * len(table)))
    for i, row in table.iterrows():
        y = len(table) - 1 - i
        for j, domain in enumerate(columns):
            value = overall[row["study_id"]] if domain == "overall" else row[domain]
            colour, symbol = ROB_STYLE.get(value, ("0.8", ""))
            ax.scatter(j, y, s=170, color=colour, edgecolor="white", linewidth=0.5)
            ax.text(
                j,
                y,
                symbol,
                ha="center",
                va="center",
                color="white",
                fontsize=10,
                fontweight="bold",
            )
    ax.set_xticks(range(len(columns)), [c.capitalize() for c in columns], fontsize=10)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(table)), table["study_id"].iloc[::-1], fontsize=10)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(-0.7, len(table) - 0.3)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=c, label=f"{s} {k}", markersize=8)
        for k, (c, s) in ROB_STYLE.items()
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        frameon=False,
        fontsize=10,
    )
    return ax
