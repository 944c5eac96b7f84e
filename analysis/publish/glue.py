"""Hand results to the book: glue strings, figures, tables and MyST text into MyST-NB."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping

import itables
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, SVG, Markdown
from myst_nb import glue

from .forest import figure_svg
from .formatting import label_cells

#: Tables longer than this are interactive (sortable, filterable); shorter ones are static.
INTERACTIVE_ROWS = 12


def html_table(
    df: pd.DataFrame, *, classes=(), wide: bool = False, fit: bool = False, label: str = ""
) -> HTML:
    """Render a table as escaped HTML in a box that scrolls sideways (first column sticky).

    On a phone (``book/_static/dtt.css``) each row is a card instead, its cells labelled
    with their column's name (:func:`label_cells`).

    Parameters
    ----------
    df : DataFrame
        Table of formatted text (cell text is data, never markup: it is escaped).
    classes : sequence of str
        Extra CSS classes of the table.
    wide : bool
        Let the box use the page's margin too (``full-width``) on wide screens.
    fit : bool
        On a wide screen, fit the column (text wraps) rather than scroll sideways.
    label : str
        The box's accessible name (default: ``"Table: "`` and its first column names).

    Returns
    -------
    IPython.display.HTML
    """
    table = df.to_html(
        index=False,
        escape=True,
        border=0,
        na_rep="\u2014",
        classes=["table", "dtt-table", "dtt-cards", *(["dtt-fit"] if fit else []), *classes],
    )
    table = label_cells(table, df.columns)
    box = "dtt-scroll dtt-cards-box" + (" full-width" if wide else "")
    # Focusable and named, so that a keyboard can scroll the box (WCAG 2.1.1).
    label = html.escape(label or f"Table: {', '.join(map(str, df.columns[:3]))}", quote=True)
    return HTML(f'<div class="{box}" tabindex="0" role="region" aria-label="{label}">{table}</div>')


def interactive_table(df: pd.DataFrame, *, wide: bool = True) -> HTML:
    """A sortable, filterable table (itables' DataTables, served offline with the site).

    Cell text is escaped (itables' default); the first column stays in view while the table
    scrolls sideways, and on wide screens the table also uses the page's margin (``wide``).
    Without JavaScript, the static table is shown.
    """
    # A table id from the content, not itables' random one: the same data, the same page.
    digest = hashlib.sha256(df.to_csv(index=False).encode()).hexdigest()[:16]
    table = itables.to_html_datatable(
        df,
        table_id=f"itables_{digest}",
        connected=False,
        display_logo_when_loading=False,
        showIndex=False,
        classes="display compact",
        scrollX=True,
        fixedColumns={"start": 1},
        pageLength=25,
        lengthMenu=[10, 25, 50, 100],
        autoWidth=False,
    )
    return HTML(f'<div class="full-width">{table}</div>' if wide else table)


def glue_facts(facts: Mapping[str, object]) -> None:
    """Glue every value as text (``{glue:text}`key```), none displayed in the cell."""
    for key, value in facts.items():
        glue(key, str(value), display=False)


def glue_figure(key: str, ax) -> None:
    """Glue the figure of ``ax`` (an Axes or Figure) under ``key`` as SVG and close it.

    SVG stays crisp at any zoom; the file has no date and fixed ids (same data, same bytes).
    """
    fig = ax if isinstance(ax, plt.Figure) else ax.figure
    glue(key, SVG(figure_svg(fig)), display=False)
    plt.close(fig)


def glue_table(
    key: str,
    df: pd.DataFrame,
    *,
    interactive: bool | None = None,
    wide: bool = False,
    fit: bool = False,
) -> None:
    """Glue a table under ``key``, static or interactive.

    Interactive when longer than :data:`INTERACTIVE_ROWS` rows; ``interactive`` forces either.
    ``wide`` and ``fit``: see :func:`html_table`.
    """
    if interactive is None:
        interactive = len(df) > INTERACTIVE_ROWS
    table = interactive_table(df) if interactive else html_table(df, wide=wide, fit=fit)
    glue(key, table, display=False)


def glue_html(key: str, markup: str) -> None:
    """Glue HTML built by the package (every data text in it escaped there) under ``key``."""
    glue(key, HTML(markup), display=False)


def glue_markdown(key: str, text: str) -> None:
    """Glue MyST text under ``key`` (paste with ``{glue:md}`` and ``:format: myst``)."""
    glue(key, Markdown(text), display=False)


def glue_page(page) -> None:
    """Glue everything an :class:`analysis.publish.page.Page` shows, each under its key."""
    glue_facts(page.facts)
    for key, table in page.tables.items():
        glue_table(key, table.frame, interactive=table.interactive, wide=table.wide, fit=table.fit)
    for key, figure in page.figures.items():
        glue_figure(key, figure)
    for key, markup in page.html.items():
        glue_html(key, markup)
    for key, text in page.markdown.items():
        glue_markdown(key, text)
