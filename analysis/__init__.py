"""dtt-living-review analysis package.

One call per step of the data flow: :func:`load_dataset` (validated data package) ->
:func:`synthesise` (per-regimen pooled proportions of one outcome, built on
:func:`pool_proportions`) -> :func:`forest_plot`, :func:`summary_table`,
:func:`outcome_facts` -> glued into the book by :func:`glue_facts`, :func:`glue_figure`
and :func:`glue_table`.
"""

__version__ = "0.1.0"

from . import paths, settings
from .dataset import Dataset, data_sha256, load_dataset
from .exports import escape_text, neutralise_formulas, write_csv
from .facts import (completeness_facts, dataset_facts, describe_method, method_facts,
                    outcome_facts, published_bounds_facts)
from .formatting import fmt_estimate_ci, fmt_interval, fmt_pct
from .gluing import glue_facts, glue_figure, glue_table, html_table
from .glmm import GLMMConvergenceError
from .heterogeneity import EstimationError
from .influence import leave_one_out, small_study_test
from .plots import forest_plot
from .pooling import pool_proportions, resolve_method, validate_counts
from .provenance import provenance
from .results import Method, PooledProportion, SmallStudyTest, SubgroupResult
from .sensitivity import (method_comparison, sensitivity_facts, sensitivity_plot,
                          sensitivity_table)
from .settings import CROSSCHECK, METHODS, PRIMARY
from .subgroups import subgroup_analysis
from .synthesis import (EFFICACY, OUTCOMES, SAFETY, RegimenSynthesis, outcome_rows,
                        regimen_trials, results_table, synthesise)
from .tables import completeness_table, studies_table, summary_table
from .validate import DataValidationError, Problem, check_data_dir, validate_data_dir

__all__ = [
    "paths", "settings", "__version__",
    "Dataset", "data_sha256", "load_dataset",
    "DataValidationError", "Problem", "check_data_dir", "validate_data_dir",
    "escape_text", "neutralise_formulas", "write_csv",
    "Method", "PooledProportion", "SubgroupResult", "SmallStudyTest",
    "METHODS", "PRIMARY", "CROSSCHECK", "pool_proportions", "resolve_method", "validate_counts",
    "GLMMConvergenceError", "EstimationError",
    "subgroup_analysis", "leave_one_out", "small_study_test",
    "OUTCOMES", "SAFETY", "EFFICACY", "RegimenSynthesis", "outcome_rows", "regimen_trials",
    "results_table", "synthesise",
    "forest_plot", "summary_table", "completeness_table", "studies_table",
    "fmt_estimate_ci", "fmt_interval", "fmt_pct",
    "completeness_facts", "dataset_facts", "describe_method", "method_facts", "outcome_facts",
    "published_bounds_facts",
    "glue_facts", "glue_figure", "glue_table", "html_table", "provenance",
    "method_comparison", "sensitivity_facts", "sensitivity_plot", "sensitivity_table",
]
