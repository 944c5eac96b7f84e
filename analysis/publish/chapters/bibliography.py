"""The Bibliography chapter: every study report of the data package, cited."""

from __future__ import annotations

from ...datapackage import Dataset
from ..bibliography import included_studies_markdown
from ..page import Page


def page(ds: Dataset) -> Page:
    """The Bibliography: ``n_studies_cited`` and ``study_citations`` (MyST)."""
    page = Page("bibliography", facts={"n_studies_cited": str(len(ds.studies))})
    page.markdown["study_citations"] = included_studies_markdown(ds.studies)
    return page
