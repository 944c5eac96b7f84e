"""Views of the data package: the evidence of a past review version, or a subset."""

from __future__ import annotations

import dataclasses

import pandas as pd

from .load import Dataset, fingerprint


def studies_within(studies: pd.DataFrame) -> pd.DataFrame:
    """Studies of a view, superseded only by reports inside it.

    A study superseded by a report the view does not hold (a later review version, a
    later search) is not superseded in it: its ``overlaps_with`` is cleared. The one rule
    behind :func:`as_of` and the PRISMA flow of each search
    (:func:`analysis.review.selection.search_flows`).
    """
    return studies.assign(
        overlaps_with=studies["overlaps_with"].where(
            studies["overlaps_with"].isin(studies["study_id"]), ""
        )
    )


def as_of(ds: Dataset, review_versions) -> Dataset:
    """The data package restricted to studies of the given ``review_version`` values.

    Parameters
    ----------
    ds : Dataset
        The current data package.
    review_versions : iterable of str
        ``studies.review_version`` values to keep (e.g. ``{"2022", "2026"}`` for release
        1.0.0).

    Returns
    -------
    Dataset
        Studies, their arms and those arms' outcome rows; drugs, regimens and published
        figures unchanged; ``sha256`` is the :func:`~analysis.datapackage.load.fingerprint`
        of the view.
    """
    keep = set(review_versions)
    studies = studies_within(ds.studies[ds.studies["review_version"].isin(keep)])
    arms = ds.arms[ds.arms["study_id"].isin(studies["study_id"])]
    outcomes = ds.outcomes[ds.outcomes["arm_id"].isin(arms["arm_id"])]
    return subset(ds, studies=studies, arms=arms, outcomes=outcomes)


def subset(ds: Dataset, *, studies=None, arms=None, outcomes=None) -> Dataset:
    """A view of ``ds`` with some of its study-level tables replaced by subsets.

    Tables not given are kept; ``sha256`` becomes the view's fingerprint,
    so that a view is never mistaken for the data it comes from. The caller keeps the
    tables consistent (an arm's outcome rows go with the arm).
    """
    given = {"studies": studies, "arms": arms, "outcomes": outcomes}
    view = dataclasses.replace(
        ds, **{name: t.reset_index(drop=True) for name, t in given.items() if t is not None}
    )
    return dataclasses.replace(view, sha256=fingerprint(view))
