"""Forest plots of per-regimen pooled proportions, drawn the way R meta draws them.

One figure per outcome (or per combination): each regimen's studies with their exact 95% CI
(squares sized by weight), the regimen's summary (a diamond, in the combination's own
colour, the same in every figure), its 95% prediction interval from three studies (a row of
its own, with its numbers), and the any-combination diamond (each study once) at the
bottom. Columns on the right give events/courses, % (95% CI) and the weight; where a
diamond is a GLMM, which gives studies no weights, the column says that the weights are the
inverse-variance model's. Text stays text in the SVG (``svg.fonttype: none``). What a row
is, is said in words: a single study is not "pooled", a pool without events is its counts
(hollow diamond, no model), and with two studies the between-study variance cannot be
estimated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from ..engine.results import PooledProportion
from ..review.settings import heterogeneity_estimable
from ..review.synthesis import MARKS, RegimenSynthesis
from .formatting import fmt_count, fmt_interval, fmt_pct

#: Every figure's style (applied in a context, never globally); SVG with a fixed salt and
#: no date, so the same data give the same file.
STYLE = {
    "font.size": 10,
    "font.family": ["DejaVu Sans", "sans-serif"],  # SVG text: a sans-serif where not installed
    "font.sans-serif": ["DejaVu Sans"],
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.spines.left": False,
    "svg.hashsalt": "dtt-living-review",
    "svg.fonttype": "none",  # text stays text: sharp, searchable, read by screen readers
}
#: Regimen labels in a fixed order: each gets the same colour in every figure.
REGIMEN_ORDER = (
    "VDZ+aTNF",
    "UST+aTNF",
    "VDZ+UST",
    "NAT+aTNF",
    "aTNF+GUS",
    "Tofa+aTNF",
    "Tofa+UST",
    "Tofa+VDZ",
    "UPA+UST",
    "UPA+VDZ",
    "aTNF+apremilast",
    "aTNF+anakinra",
    "VDZ+OZA",
)
#: Colour of the any-combination summary.
ANY_COLOUR = "#222222"
_ROW = 0.26  # inches per row
_MARK_NOTE = "; ".join(f"{mark} {text}" for mark, text in MARKS.items())


def regimen_colour(regimen: str) -> str:
    """The colour of a combination in every figure (colour-blind palette, fixed order).

    Regimens not in :data:`REGIMEN_ORDER` (a new label) get a colour after those.
    """
    palette = sns.color_palette("colorblind", 10) + sns.color_palette("dark", 10)
    order = list(REGIMEN_ORDER)
    index = order.index(regimen) if regimen in order else len(order) + sum(map(ord, regimen)) % 7
    r, g, b = palette[index % len(palette)]
    return f"#{int(255 * r):02x}{int(255 * g):02x}{int(255 * b):02x}"


@dataclass
class _Row:
    kind: str  # "header" | "study" | "summary" | "pi" (a summary's prediction interval)
    label: str
    regimen: str = ""
    study: object = None
    pool: PooledProportion | None = None


def summary_label(pool: PooledProportion) -> str:
    """What a summary row is: pooled (k), single study, pooled counts, two studies, fallback."""
    if pool.kind == "counts":
        what = "no events" if pool.events_total == 0 else "all events"
        return f"{what.capitalize()}: counts, no model (k={pool.k})"
    if pool.kind == "single_study":
        return "Single study: not pooled"
    text = f"Pooled, k={pool.k}"
    if pool.fallback:
        text += " \u2020"
    if not heterogeneity_estimable(pool):
        text += " (\u03c4\u00b2 not estimable)"
    return text


def _rows(syn: RegimenSynthesis, regimens) -> list[_Row]:
    rows = []
    for regimen in regimens:
        pool = syn.pools[regimen]
        marks = syn.marks(regimen)
        rows.append(_Row("header", regimen, regimen))
        for study in pool.studies.itertuples(index=False):
            rows.append(
                _Row(
                    "study",
                    f"{study.label} {marks.get(study.label, '')}".rstrip(),
                    regimen,
                    study=study,
                )
            )
        rows.append(_Row("summary", summary_label(pool), regimen, pool=pool))
        if _has_pi(pool):
            rows.append(_Row("pi", "95% prediction interval", regimen, pool=pool))
    return rows


def _has_pi(pool: PooledProportion) -> bool:
    """Whether a summary has a prediction interval to draw (three studies or more)."""
    return pool.kind != "counts" and bool(np.isfinite(pool.pi_low) and np.isfinite(pool.pi_high))


def _diamond(ax, pool: PooledProportion, y: float, colour: str) -> None:
    hollow = pool.kind == "counts"
    ax.add_patch(
        Polygon(
            [
                (pool.ci_low, y),
                (pool.estimate, y + 0.32),
                (pool.ci_high, y),
                (pool.estimate, y - 0.32),
            ],
            closed=True,
            facecolor="white" if hollow else colour,
            edgecolor=colour,
            lw=1.4,
            zorder=3,
        )
    )


def _prediction_bar(ax, pool: PooledProportion, y: float, colour: str) -> None:
    """The 95% prediction interval of a summary, as a bar with end ticks on its own row."""
    ax.plot(
        [pool.pi_low, pool.pi_high], [y, y], color=colour, lw=1.4, solid_capstyle="butt", zorder=2
    )
    for x in (pool.pi_low, pool.pi_high):
        ax.plot([x, x], [y - 0.18, y + 0.18], color=colour, lw=1.4, zorder=2)


#: Right-hand columns: x position (axes fraction) and alignment.
_COLUMNS = {"n": (1.05, "left"), "ci": (1.33, "left"), "w": (2.20, "right")}
_HEADINGS = {"n": "Events/\ncourses", "ci": "% (95% CI)", "w": "Weight"}
#: The weight column's heading where a diamond is a GLMM: the weights are not its own.
_IV_WEIGHT = "Weight in\nIV model*"


def _row_values(row: _Row) -> dict[str, str]:
    """The right-hand column texts of one row (a prediction interval prints its numbers)."""
    if row.kind == "pi":
        return {"ci": f"PI {fmt_interval(row.pool.pi_low, row.pool.pi_high)}"}
    if row.kind == "study":
        s = row.study
        return {
            "n": f"{s.events}/{s.total}",
            "ci": f"{fmt_pct(s.proportion)} ({fmt_interval(s.ci_low, s.ci_high)})",
            "w": f"{s.weight:.0f}%",
        }
    pool = row.pool
    return {
        "n": f"{fmt_count(pool.events_total)}/{fmt_count(pool.n_total)}",
        "ci": f"{fmt_pct(pool.estimate)} ({fmt_interval(pool.ci_low, pool.ci_high)})",
    }


def _draw_row(ax, y: float, row: _Row) -> None:
    text = ax.get_yaxis_transform()
    colour = ANY_COLOUR if row.regimen == "any" else regimen_colour(row.regimen)
    label = dict(transform=text, ha="right", va="center")
    if row.kind == "header":
        ax.text(-0.03, y, f"{row.label}  \u25a0", fontweight="bold", **label)
        ax.text(-0.03, y, "\u25a0", fontweight="bold", color=colour, **label)
        return
    if row.kind == "pi":
        _prediction_bar(ax, row.pool, y, colour)
        ax.text(-0.03, y, row.label, fontstyle="italic", **label)
    elif row.kind == "study":
        s = row.study
        ax.plot([s.ci_low, s.ci_high], [y, y], color="0.35", lw=1)
        ax.plot(
            s.proportion, y, "s", color="0.25", ms=3 + 8 * np.sqrt(max(float(s.weight), 0.0) / 100)
        )
        ax.text(-0.03, y, f"  {row.label}", **label)
    else:
        if row.pool.kind != "single_study":  # a single study is its own row: no diamond
            _diamond(ax, row.pool, y, colour)
        ax.text(-0.03, y, row.label, fontstyle="italic", **label)
    weight = "bold" if row.kind == "summary" else "normal"
    style = "italic" if row.kind == "pi" else "normal"
    for key, value in _row_values(row).items():
        x, align = _COLUMNS[key]
        ax.text(
            x, y, value, transform=text, va="center", ha=align, fontweight=weight, fontstyle=style
        )


def forest_plot(
    syn: RegimenSynthesis, *, regimens=None, overall: bool = True, title: str | None = None
) -> Figure:
    """Forest plot of one outcome with regimens as subgroups.

    Parameters
    ----------
    syn : RegimenSynthesis
        Result of :func:`analysis.review.synthesis.synthesise`.
    regimens : sequence of str, optional
        The regimens to draw (default: every regimen with data).
    overall : bool
        Draw the any-combination summary at the bottom.
    title : str, optional
        Title (default: the outcome's wording).

    Returns
    -------
    matplotlib.figure.Figure
    """
    regimens = [r for r in (regimens if regimens is not None else syn.pools) if r in syn.pools]
    rows = _rows(syn, regimens)
    if overall and syn.any_combination is not None:
        rows.append(
            _Row(
                "summary",
                f"Any combination, each study once (k={syn.any_combination.k})",
                "any",
                pool=syn.any_combination,
            )
        )
        if _has_pi(syn.any_combination):
            rows.append(_Row("pi", "95% prediction interval", "any", pool=syn.any_combination))
    notes, glmm = _notes(rows)
    with plt.rc_context(STYLE):
        # inches: title and column headings; axis (0.6) and the notes (about two lines each)
        top, bottom = 0.8, 0.75 + 0.36 * len(notes)
        height = _ROW * (len(rows) + 1) + top + bottom
        fig = plt.figure(figsize=(8.6, height))
        ax = fig.add_axes((0.30, bottom / height, 0.30, 1 - (top + bottom) / height))
        for y, row in zip(range(len(rows), 0, -1), rows, strict=True):
            _draw_row(ax, y, row)
        headings = _HEADINGS | ({"w": _IV_WEIGHT} if glmm else {})
        for key, heading in headings.items():
            x, align = _COLUMNS[key]
            ax.text(
                x,
                len(rows) + 0.9,
                heading,
                transform=ax.get_yaxis_transform(),
                fontweight="bold",
                va="bottom",
                ha=align,
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0.2, len(rows) + 0.8)
        ax.set_yticks([])
        ticks = np.linspace(0, 1, 6)
        ax.set_xticks(ticks, [f"{v:.0%}" for v in ticks])
        ax.grid(axis="x", color="0.9")
        ax.set_xlabel("Proportion of courses with the outcome (95% CI)")
        fig.text(
            0.02,
            1 - 0.25 / height,
            title if title is not None else syn.label,
            fontweight="bold",
            fontsize=12,
            va="top",
        )
        fig.text(
            0.02, 0.15 / height, "\n".join(notes), fontsize=10, va="bottom", color="0.25", wrap=True
        )
        if not rows:
            ax.text(
                0.5,
                0.5,
                "No combination has data for this outcome",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    return fig


def _notes(rows: list[_Row]) -> tuple[list[str], bool]:
    """The notes under a forest plot, and whether a diamond is a fitted GLMM.

    Where one is, the weights (and square sizes) are said to be another model's: a GLMM
    gives studies no weights.
    """
    summaries = [r.pool for r in rows if r.kind == "summary"]
    glmm = any(p.kind == "random_effects" and p.method.model == "glmm" for p in summaries)
    weights = (
        "* Weights and square sizes come from an inverse-variance logit random-effects "
        "model, not from the GLMM of the diamonds (a GLMM gives studies no weights); "
        "in pooled counts, each study's share of courses."
        if glmm
        else "Squares sized by the study's weight; in pooled counts, its share of courses."
    )
    notes = [
        "Squares: studies (exact 95% CI). Diamonds: summaries; hollow: pooled counts, no "
        "model. Prediction interval (3+ studies): where a new study's rate would be expected "
        "to fall.",
        weights,
    ]
    if any(p.fallback for p in summaries):
        notes.append("\u2020 GLMM not estimable: inverse-variance logit model instead.")
    if any(_has_mark(row.label) for row in rows if row.kind == "study"):
        notes.append(_MARK_NOTE + ".")
    return notes, glmm


def _has_mark(label: str) -> bool:
    """Whether a study label carries one of the :data:`MARKS`."""
    return any(mark in label for mark in MARKS)


def figure_svg(fig: Figure) -> str:
    """The figure as SVG text (no date, fixed ids: the same data give the same bytes)."""
    buffer = io.StringIO()
    with plt.rc_context(STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()
