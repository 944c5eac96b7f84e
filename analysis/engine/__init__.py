"""The pooling engine: proportions pooled with random effects (numpy, scipy, pandas only).

A :class:`~analysis.engine.results.Method` is passed in, never looked up by name. Modules:
``transforms`` (scales and continuity corrections), ``heterogeneity`` (tau² estimators, Q,
I²), ``glmm`` (binomial-normal model), ``study_ci`` (study intervals), ``pooling``
(:func:`~analysis.engine.pooling.pool_proportions`), ``subgroups``, ``influence``,
``results`` (result dataclasses) and ``crosscheck`` (comparison with R metafor).
"""
