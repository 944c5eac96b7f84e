"""dtt-living-review analysis package: one import for the chapters (``import analysis as an``).

The package is four layers, dependencies running one way (checked by import-linter,
``.importlinter``): :mod:`analysis.publish` -> :mod:`analysis.review` ->
:mod:`analysis.datapackage` and :mod:`analysis.engine` (numpy, scipy and pandas only).
One call per step of the data flow: :func:`load_dataset` (validated data package) ->
:func:`synthesise` (per-regimen pooled proportions of one outcome, built on
:func:`pool_proportions`) -> :func:`page` (everything one page of the book shows: facts,
tables such as :func:`summary_table`, figures such as :func:`forest_plot`) -> glued into
the book by :func:`glue_page`, ending with :func:`cite_page`.

Every name below is imported on first use (PEP 562), so ``import analysis.engine`` loads
no plotting or notebook library.
"""

from __future__ import annotations

import importlib

#: Public name -> module that defines it (relative to this package).
_EXPORTS = {
    # engine
    "Method": "engine.results",
    "PooledProportion": "engine.results",
    "SubgroupResult": "engine.results",
    "SmallStudyTest": "engine.results",
    "pool_proportions": "engine.pooling",
    "resolve_method": "engine.pooling",
    "validate_counts": "engine.pooling",
    "GLMMConvergenceError": "engine.glmm",
    "EstimationError": "engine.heterogeneity",
    "subgroup_analysis": "engine.subgroups",
    "leave_one_out": "engine.influence",
    "small_study_test": "engine.influence",
    # data package
    "Dataset": "datapackage.load",
    "fingerprint": "datapackage.load",
    "load_dataset": "datapackage.load",
    "DataValidationError": "datapackage.validate",
    "Problem": "datapackage.validate",
    "check_data_dir": "datapackage.validate",
    "validate_data_dir": "datapackage.validate",
    "as_of": "datapackage.views",
    "provenance": "datapackage.provenance",
    # review
    "METHODS": "review.settings",
    "PRIMARY": "review.settings",
    "method": "review.settings",
    "OUTCOMES": "review.synthesis",
    "SAFETY": "review.synthesis",
    "EFFICACY": "review.synthesis",
    "RegimenSynthesis": "review.synthesis",
    "outcome_rows": "review.synthesis",
    "regimen_trials": "review.synthesis",
    "results_table": "review.synthesis",
    "synthesise": "review.synthesis",
    "method_comparison": "review.sensitivity",
    "sensitivity_summary": "review.sensitivity",
    "completeness_frame": "review.completeness",
    "outcome_completeness": "review.completeness",
    "certainty_frame": "review.certainty",
    "read_risk_of_bias": "review.certainty",
    "reproduction_frame": "review.reproduction",
    "summary_of_findings": "review.summary",
    "clinical_subgroups": "review.subgroups",
    "combinations": "review.summary",
    # publish
    "escape_text": "publish.exports",
    "neutralise_formulas": "publish.exports",
    "write_csv": "publish.exports",
    "forest_plot": "publish.forest",
    "sensitivity_plot": "publish.chapters.sensitivity",
    "prisma_diagram": "publish.searches",
    "flow_diagram": "publish.searches",
    "risk_of_bias_plot": "publish.chapters.certainty",
    "summary_table": "publish.chapters.outcomes",
    "completeness_table": "publish.chapters.studies",
    "studies_table": "publish.chapters.studies",
    "clinical_subgroup_table": "publish.chapters.subgroups",
    "combinations_markdown": "publish.chapters.combinations",
    "outcome_completeness_table": "publish.chapters.studies",
    "sensitivity_table": "publish.chapters.sensitivity",
    "grade_table": "publish.chapters.certainty",
    "grade_rules_table": "publish.chapters.certainty",
    "any_certainty_facts": "publish.chapters.outcomes",
    "unit_facts": "publish.chapters.methods",
    "count_units": "review.synthesis",
    "risk_of_bias_table": "publish.chapters.certainty",
    "method_settings_table": "publish.chapters.methods",
    "coverage_table": "publish.chapters.methods",
    "reproduction_table": "publish.chapters.reproduction",
    "fmt_estimate_ci": "publish.formatting",
    "fmt_interval": "publish.formatting",
    "fmt_pct": "publish.formatting",
    "completeness_facts": "publish.chapters.studies",
    "outcome_completeness_facts": "publish.chapters.studies",
    "dataset_facts": "publish.chapters.studies",
    "describe_method": "publish.chapters.methods",
    "method_facts": "publish.chapters.methods",
    "outcome_facts": "publish.chapters.outcomes",
    "key_findings": "publish.chapters.intro",
    "subgroup_facts": "publish.chapters.subgroups",
    "published_bounds_facts": "publish.chapters.methods",
    "validation_facts": "publish.chapters.methods",
    "sensitivity_facts": "publish.chapters.sensitivity",
    "glue_facts": "publish.glue",
    "glue_figure": "publish.glue",
    "glue_table": "publish.glue",
    "glue_markdown": "publish.glue",
    "glue_page": "publish.glue",
    "glue_html": "publish.glue",
    "combination_page": "publish.chapters.combinations",
    "sof_html": "publish.sof",
    "sof_footnote": "publish.sof",
    "sof_caveats": "publish.sof",
    "html_table": "publish.glue",
    "cite_this": "publish.cite",
    "cite_page": "publish.cite",
    "page": "publish.chapters",
    "Page": "publish.page",
}
#: Sub-packages and modules reachable as attributes (``an.review``, ``an.paths``).
_MODULES = ("paths", "engine", "datapackage", "review", "publish")

__all__ = sorted(_EXPORTS) + list(_MODULES)


def __getattr__(name: str):
    """Import a public name (or sub-package) on first access."""
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
