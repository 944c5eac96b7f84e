"""Hand results to the book: glue strings, figures, tables and MyST text into MyST-NB."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, SVG, Markdown
from myst_nb import glue

from .forest import figure_svg


def html_table(df: pd.DataFrame) -> HTML:
    """Render a table as escaped HTML (cell text is data, never markup).

    Parameters
    ----------
    df : DataFrame
        Table of formatted text.

    Returns
    -------
    IPython.display.HTML
        ``df.to_html(escape=True)`` without the index, styled by the book theme.
    """
    return HTML(
        df.to_html(
            index=False, escape=True, border=0, na_rep="\u2014", classes=["table", "dtt-table"]
        )
    )


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


def glue_table(key: str, df: pd.DataFrame) -> None:
    """Glue a table as escaped HTML under ``key``."""
    glue(key, html_table(df), display=False)


def glue_markdown(key: str, text: str) -> None:
    """Glue MyST text under ``key`` (paste with ``{glue:md}`` and ``:format: myst``)."""
    glue(key, Markdown(text), display=False)
