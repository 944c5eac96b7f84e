"""The Discussion chapter.

The rates of every outcome, their certainty, and how much of the 2026 review's evidence
our sources hold; its facts come from the chapters that show them.
"""

from __future__ import annotations

from ...datapackage import Dataset
from ...review.certainty import certainty_frame
from ...review.completeness import completeness_frame, outcome_completeness
from ...review.synthesis import OUTCOMES, synthesise
from ..page import Page
from .outcomes import any_certainty_facts, outcome_facts
from .studies import completeness_facts, dataset_facts, outcome_completeness_facts


def page(ds: Dataset) -> Page:
    """The Discussion: facts of the studies, the outcomes and the completeness of our data."""
    facts = (
        dataset_facts(ds)
        | completeness_facts(completeness_frame(ds))
        | outcome_facts(*(synthesise(ds, o) for o in OUTCOMES))
        | outcome_completeness_facts(outcome_completeness(ds))
        | any_certainty_facts(certainty_frame(ds))
    )
    return Page("discussion", facts=facts)
