"""The Versions chapter.

Every release with its links, built by :mod:`analysis.publish.versions` (which also
writes the archives' banners).
"""

from __future__ import annotations

from ...datapackage import Dataset
from .. import versions
from ..page import Page


def page(ds: Dataset) -> Page:
    """The Versions chapter: ``versions_table`` (HTML)."""
    page = Page("versions")
    page.html["versions_table"] = versions.versions_table_html(ds.data_dir)
    return page
