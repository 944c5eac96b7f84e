"""The Study selection chapter: every search's flow diagram, its prose and its queries.

What is said of a search lives in :mod:`analysis.publish.searches` (Methods and the
release notes use it too); this module assembles the page.
"""

from __future__ import annotations

from ...datapackage import Dataset
from ...review.selection import search_flows
from .. import searches
from ..page import Page


def page(ds: Dataset) -> Page:
    """The Study selection chapter.

    Keys: :func:`~analysis.publish.searches.search_facts`; one PRISMA figure per search
    (:func:`~analysis.publish.searches.figure_key`); ``selection_searches`` (MyST);
    tables ``search_table`` and ``prisma_table``.
    """
    page = Page("selection", facts=searches.search_facts(ds))
    for flow in search_flows(ds):
        page.figures[searches.figure_key(flow)] = searches.flow_diagram(
            flow, title=searches.flow_title(flow)
        )
    page.markdown["selection_searches"] = searches.selection_markdown(ds)
    page.table("search_table", searches.query_table(ds))
    page.table("prisma_table", searches.flow_table(ds))
    return page
