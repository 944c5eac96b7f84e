"""A page of the book as one object: everything it shows, built by one function.

Each page of the book has a module in :mod:`analysis.publish.chapters` whose ``page``
function returns a :class:`Page`; the chapter's one code cell glues it
(:func:`analysis.publish.glue.glue_page`) and its last cell cites it
(:func:`analysis.publish.cite.cite_page`). A new number, table or figure of a page is
added in that one module, and the chapter's MyST text pastes it by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Table:
    """A table of a page and how it is shown (see :func:`analysis.publish.glue.glue_table`).

    Attributes
    ----------
    frame : DataFrame
        Formatted text, one row per row shown.
    interactive : bool or None
        Sortable and filterable (itables); ``None``: only when the table is long.
    wide, fit : bool
        Use the page's margin on wide screens; fit the column instead of scrolling.
    """

    frame: pd.DataFrame
    interactive: bool | None = None
    wide: bool = False
    fit: bool = False


@dataclass
class Page:
    """Everything one page shows, keyed as its MyST text pastes it.

    Attributes
    ----------
    name : str
        The page's document name in the book (``"safety"``, ``"combinations/vdz-atnf"``).
    title : str or None
        The title, for a page generated at build time (a chapter's is in its source).
    facts : dict
        Key -> text, pasted with ``{glue:text}`` and given an anchor in the cite block.
    tables : dict
        Key -> :class:`Table`.
    figures : dict
        Key -> matplotlib Figure or Axes (glued as SVG).
    alt : dict
        Figure key -> alt text describing the figure.
    html : dict
        Key -> HTML built by the package (every data text escaped there).
    markdown : dict
        Key -> MyST text (pasted with ``{glue:md}``).
    results : list
        The :class:`~analysis.review.synthesis.RegimenSynthesis` objects the page reports;
        each pooled result gets an anchor in the cite block.
    """

    name: str
    title: str | None = None
    facts: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    alt: dict = field(default_factory=dict)
    html: dict = field(default_factory=dict)
    markdown: dict = field(default_factory=dict)
    results: list = field(default_factory=list)

    def table(self, key: str, frame: pd.DataFrame, **how) -> None:
        """Add a table under ``key`` (``how``: the options of :class:`Table`)."""
        self.tables[key] = Table(frame, **how)
