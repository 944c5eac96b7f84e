"""Rounding and wording of results: the only place numbers become text."""

from __future__ import annotations

import html
import math
import re

from ..engine.results import PooledProportion
from ..review.settings import heterogeneity_estimable
from ..review.synthesis import OUTCOMES

#: En dash used in intervals.
DASH = "\u2013"
#: Shown where a number is missing from every source we have.
MISSING = "\u2014"
#: What a count no source states is shown as.
NOT_REPORTED = "not reported"
#: Wording of an empty list in prose ("studies removed: none").
NONE = "none"


def fmt_pct(p: float, digits: int = 1) -> str:
    """Format a proportion (0-1) as a percentage, e.g. ``0.0923 -> '9.2%'``.

    Parameters
    ----------
    p : float
        Proportion on the 0-1 scale; NaN gives ``'NA'``.
    digits : int
        Decimals of the percentage.
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NA"
    return f"{100 * p:.{digits}f}%"


def fmt_interval(low: float, high: float, digits: int = 1) -> str:
    """Format an interval of proportions as ``'5.0–25.1%'`` (a dash where it is missing)."""
    if any(v is None or math.isnan(v) for v in (low, high)):
        return MISSING
    return f"{100 * low:.{digits}f}{DASH}{100 * high:.{digits}f}%"


def fmt_rate_cell(counts: bool, events, n, estimate, ci_low, ci_high, digits: int = 1) -> str:
    """A rate for a table cell; pooled counts (no model) as counts, never as a rate.

    ``'12.3% (5.0–25.1%)'``; ``counts``: ``'0/13 (0.0–24.7%)'``. The one wording behind
    :func:`fmt_pool_cell` (a result), :func:`fmt_row` (a results table row) and the tables
    that hold the numbers as columns.
    """
    ci = fmt_interval(ci_low, ci_high, digits)
    if counts:
        return f"{fmt_count(events)}/{fmt_count(n)} ({ci})"
    return f"{fmt_pct(estimate, digits)} ({ci})"


def fmt_pool_cell(result: PooledProportion, digits: int = 1) -> str:
    """:func:`fmt_rate_cell` of a pooled result."""
    return fmt_rate_cell(
        result.kind == "counts",
        result.events_total,
        result.n_total,
        result.estimate,
        result.ci_low,
        result.ci_high,
        digits,
    )


def fmt_estimate_ci(result: PooledProportion, digits: int = 1) -> str:
    """Format a pooled proportion with its CI: ``'12.3% (95% CI 5.0–25.1%)'``."""
    ci = fmt_interval(result.ci_low, result.ci_high, digits)
    return f"{fmt_pct(result.estimate, digits)} (95% CI {ci})"


def fmt_result(result: PooledProportion, digits: int = 1) -> str:
    """A result in words with its CI: a rate, or the counts where no model was fitted.

    ``'12.3% (95% CI 5.0–25.1%)'``; pooled counts: ``'0/13 courses (0.0%, 95% CI
    0.0–24.7%)'``.
    """
    if result.kind == "counts":
        ci = fmt_interval(result.ci_low, result.ci_high, digits)
        return (
            f"{fmt_count(result.events_total)}/{fmt_courses(result.n_total)} "
            f"({fmt_pct(result.estimate, digits)}, 95% CI {ci})"
        )
    return fmt_estimate_ci(result, digits)


def fmt_row(row) -> str:
    """A row of :func:`analysis.review.synthesis.results_table` as a table cell.

    ``'12.3% (5.0–25.1%)'``; pooled counts ``'0/13 (0.0–24.7%)'``; ``'not estimable'``.
    """
    if row["status"] == "not estimable":
        return "not estimable"
    return fmt_rate_cell(
        row["status"] == "pooled counts",
        row["events"],
        row["n"],
        row["estimate"],
        row["ci_low"],
        row["ci_high"],
    )


def fmt_i2(result: PooledProportion) -> str:
    """Format the (tau²-based) I² in percent with no decimals; a dash where not estimable.

    Not estimable where :func:`~analysis.review.settings.heterogeneity_estimable` says so
    (fewer than three studies cannot estimate the between-study variance on which this I²
    rests, or no model): the downloads leave the same cells empty.
    """
    if not heterogeneity_estimable(result) or math.isnan(result.i2):
        return MISSING
    return f"{result.i2:.0f}%"


def fmt_q(result: PooledProportion) -> str:
    """Cochran's Q with its df and p (``'3.21 (2), p = 0.201'``); a dash where not estimable."""
    if result.kind != "random_effects" or math.isnan(result.q):
        return MISSING
    return f"{result.q:.2f} ({result.q_df}), p {'<' if result.q_pvalue < 0.001 else '='} " + (
        "0.001" if result.q_pvalue < 0.001 else f"{result.q_pvalue:.3f}"
    )


def fmt_count(n: int | float) -> str:
    """Format a count with a thousands separator (``1234 -> '1,234'``)."""
    return f"{int(n):,}"


def fmt_n(count: int, word: str, plural: str | None = None) -> str:
    """A count with its noun: ``'1 record'``, ``'602 records'``, ``'3 queries'``."""
    return f"{fmt_count(count)} {word if int(count) == 1 else plural or word + 's'}"


def fmt_courses(n: int) -> str:
    """``'1 course'``, ``'52 courses'`` (a course: one patient on one combination)."""
    return fmt_n(n, "course")


def fmt_studies(k: int) -> str:
    """``'1 study'``, ``'4 studies'``."""
    return fmt_n(k, "study", "studies")


def fmt_evidence(k: int, n: int) -> str:
    """What stands behind a number: ``'2 studies, 16 courses'``."""
    return f"{fmt_studies(k)}, {fmt_courses(n)}"


def fmt_list(items) -> str:
    """Items in prose: ``'a'``, ``'a and b'``, ``'a, b and c'`` (``NONE`` if there are none)."""
    items = [str(i) for i in items]
    if not items:
        return NONE
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def fmt_reported(value, missing: str = NOT_REPORTED) -> str:
    """A count with thousands separators, or ``missing`` for ``None`` (PRISMA counts).

    ``missing`` is "not reported" for a count no source states, "not recorded" for a
    count of a search whose records were not kept.
    """
    return missing if value is None else f"{value:,}"


def fmt_p(p: float) -> str:
    """Format a p-value with three decimals, ``'<0.001'`` below that, ``'NA'`` for NaN."""
    if p is None or math.isnan(p):
        return "NA"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def outcome_label(outcome: str) -> str:
    """The book's wording of an outcome code (``'sae' -> 'Serious adverse events'``)."""
    return OUTCOMES.get(outcome, outcome)


def regimen_label(regimen: str) -> str:
    """The book's wording of a regimen label (``'any' -> 'Any combination'``)."""
    return "Any combination" if regimen == "any" else regimen


def label_cells(table: str, columns) -> str:
    """Give every body cell of an HTML table its column's name (``data-label``).

    On a phone the stylesheet shows each row as a card, each cell beside that name; the
    cell's content is wrapped in one ``<div>`` so that it stays one block there.
    """
    names = [html.escape(str(c), quote=True) for c in columns]
    head, sep, body = table.partition("<tbody>")

    def row(match: re.Match) -> str:
        cells = iter(names)

        def cell(m: re.Match) -> str:
            attributes = m.group(1) or ""
            return f'<td data-label="{next(cells, "")}"{attributes}><div>{m.group(2)}</div></td>'

        return re.sub(r"<td(\s[^>]*)?>(.*?)</td>", cell, match.group(0), flags=re.S)

    return head + sep + re.sub(r"<tr\b.*?</tr>", row, body, flags=re.S)
