"""One module per page of the book; each builds its page as one object.

``page(name, ds)`` returns the :class:`~analysis.publish.page.Page` of a chapter (its
facts, tables, figures, HTML and MyST text, each under the key its MyST text pastes), so
that a chapter is one cell: ``an.glue_page(an.page("safety", ds))``. What a page shows is
computed in its module here; shared wording is in :mod:`analysis.publish.formatting`,
shared components (forest plots, the summary of findings, searches, releases, cite
blocks) in the modules beside this package. Nothing outside this package imports it
(import-linter).
"""

from __future__ import annotations

import importlib

from ...datapackage import Dataset
from ..page import Page

#: Page name (the chapter's file stem) -> ``module:function`` of this package.
PAGES = {
    "intro": "intro:page",
    "methods": "methods:page",
    "selection": "selection:page",
    "safety": "outcomes:safety_page",
    "efficacy": "outcomes:efficacy_page",
    "combinations": "combinations:page",
    "certainty": "certainty:page",
    "sensitivity": "sensitivity:page",
    "robustness": "robustness:page",
    "subgroups": "subgroups:page",
    "reproduction": "reproduction:page",
    "discussion": "discussion:page",
    "studies": "studies:page",
    "whats_new": "whats_new:page",
    "versions": "versions:page",
    "bibliography": "bibliography:page",
}


def page(name: str, ds: Dataset) -> Page:
    """Build the page ``name`` (a key of :data:`PAGES`) from the data package ``ds``.

    Raises
    ------
    KeyError
        If no page has that name (the message lists the names).
    """
    if name not in PAGES:
        raise KeyError(f"no page {name!r}; pages: {', '.join(PAGES)}")
    module, function = PAGES[name].split(":")
    return getattr(importlib.import_module(f".{module}", __name__), function)(ds)
