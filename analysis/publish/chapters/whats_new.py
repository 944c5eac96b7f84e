"""The What's New chapter: what changed since the last release and in it.

The comparisons live in :mod:`analysis.publish.whats_new` (the release script and the
archives use them too); this module assembles the page.
"""

from __future__ import annotations

from ...datapackage import Dataset
from .. import whats_new as wn
from ..page import Page

#: Facts that are lists of study citations (MyST), pasted as markdown.
CITES = {"added_cites": "Studies added", "removed_cites": "Studies removed"}


def page(ds: Dataset) -> Page:
    """The What's New chapter.

    Keys: :func:`~analysis.publish.whats_new.whats_new_facts` (the study lists as MyST
    ``added_cites``, ``removed_cites``); tables ``releases_table``, ``changes_table``,
    ``row_changes_table``, ``poolable_table``, ``since_table`` and ``since_rows_table``.
    """
    facts = wn.whats_new_facts(ds)
    page = Page("whats_new", facts={k: v for k, v in facts.items() if k not in CITES})
    page.markdown = {key: f"{words}: {facts[key]}." for key, words in CITES.items()}
    changes, row_changes, poolable = wn.latest_tables(ds.data_dir)
    since_changes, since_rows = wn.since_tables(ds)
    page.table("releases_table", wn.history_table(ds.data_dir), fit=True)
    page.table("changes_table", changes)
    page.table("row_changes_table", row_changes)
    page.table("poolable_table", poolable)
    page.table("since_table", since_changes)
    page.table("since_rows_table", since_rows)
    return page
