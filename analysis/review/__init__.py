"""Methods of this review: named methods (``settings``), synthesis per regimen, sensitivity,
robustness, certainty (GRADE), reproduction of the published reviews, completeness and study
selection (PRISMA). Returns numbers; :mod:`analysis.publish` turns them into text."""
