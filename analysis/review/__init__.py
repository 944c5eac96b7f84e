"""Methods of this review, returning numbers (:mod:`analysis.publish` turns them into text).

Named methods (``settings``), synthesis per regimen, sensitivity, robustness, certainty
(GRADE), reproduction of the published reviews, completeness and study selection (PRISMA).
"""
