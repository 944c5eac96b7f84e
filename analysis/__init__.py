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
from .facts import (completeness_facts, dataset_facts, describe_method, method_facts,
                    outcome_facts)
from .formatting import fmt_estimate_ci, fmt_interval, fmt_pct
from .gluing import glue_facts, glue_figure, glue_table, html_table
from .plots import forest_plot
from .pooling import pool_proportions
from .provenance import provenance
from .results import Method, PooledProportion
from .sensitivity import (method_comparison, sensitivity_facts, sensitivity_plot,
                          sensitivity_table)
from .settings import METHODS, PRIMARY
from .synthesis import (EFFICACY, OUTCOMES, SAFETY, RegimenSynthesis, outcome_rows,
                        regimen_trials, results_table, synthesise)
from .tables import completeness_table, studies_table, summary_table

__all__ = [
    "paths", "settings", "__version__",
    "Dataset", "data_sha256", "load_dataset",
    "Method", "PooledProportion", "METHODS", "PRIMARY", "pool_proportions",
    "OUTCOMES", "SAFETY", "EFFICACY", "RegimenSynthesis", "outcome_rows", "regimen_trials",
    "results_table", "synthesise",
    "forest_plot", "summary_table", "completeness_table", "studies_table",
    "fmt_estimate_ci", "fmt_interval", "fmt_pct",
    "completeness_facts", "dataset_facts", "describe_method", "method_facts", "outcome_facts",
    "glue_facts", "glue_figure", "glue_table", "html_table", "provenance",
    "method_comparison", "sensitivity_facts", "sensitivity_plot", "sensitivity_table",
]
