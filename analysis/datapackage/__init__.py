"""The data package: loading, validation (files, schema, cross-table rules), views, provenance."""

from .load import TABLES, Dataset, data_sha256, load_dataset
from .validate import DataValidationError, Problem, check_data_dir, validate_data_dir
from .views import as_of, evidence_sha256, subset

__all__ = [
    "TABLES",
    "Dataset",
    "data_sha256",
    "load_dataset",
    "DataValidationError",
    "Problem",
    "check_data_dir",
    "validate_data_dir",
    "as_of",
    "subset",
    "evidence_sha256",
]
