"""The data package: loading, validation (files, schema, cross-table rules), views, provenance."""

from .descriptor import schema_fields, vocabulary
from .load import Dataset, fingerprint, load_dataset, read_table, read_text_table
from .resources import EVIDENCE_TABLES, TABLES
from .validate import DataValidationError, Problem, check_data_dir, validate_data_dir
from .views import as_of, studies_within, subset

__all__ = [
    "TABLES",
    "EVIDENCE_TABLES",
    "Dataset",
    "fingerprint",
    "read_table",
    "read_text_table",
    "schema_fields",
    "vocabulary",
    "load_dataset",
    "DataValidationError",
    "Problem",
    "check_data_dir",
    "validate_data_dir",
    "as_of",
    "subset",
    "studies_within",
]
