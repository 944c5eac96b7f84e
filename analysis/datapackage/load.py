"""Load the data package (``data/``) into typed DataFrames."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from .descriptor import read_descriptor
from .resources import TABLES
from .validate import check_data_dir


@dataclass(frozen=True, eq=False)
class Dataset:
    """The validated data package (read-only: its tables are never modified in place).

    Compared and hashed by identity, so that results computed from one loaded package can be
    remembered for it (:func:`analysis.review.synthesis.synthesise`).

    Each table is a DataFrame typed from ``datapackage.json``: integer fields are
    pandas nullable ``Int64``, number fields ``float64``, boolean fields ``bool`` and
    string fields ``object`` with missing values as empty strings.
    """

    drugs: pd.DataFrame
    regimens: pd.DataFrame
    studies: pd.DataFrame
    arms: pd.DataFrame
    outcomes: pd.DataFrame
    published: pd.DataFrame
    data_dir: Path
    sha256: str

    @property
    def version(self) -> str:
        """Short data version: the first 12 hex digits of :attr:`sha256`."""
        return self.sha256[:12]


def data_sha256(data_dir: Path | str | None = None) -> str:
    """SHA-256 over every file of the data package (relative path and bytes, sorted).

    Parameters
    ----------
    data_dir : path, optional
        The data directory (default ``data/``).

    Returns
    -------
    str
        Hex digest; changes whenever any byte of any data file changes.
    """
    root = Path(data_dir or paths.DATA)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _read_table(path: Path, fields: list[dict]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for field in fields:
        name, kind = field["name"], field.get("type", "string")
        if name not in frame:
            continue
        column = frame[name].str.strip()
        if kind == "integer":
            frame[name] = pd.to_numeric(column.replace("", None)).astype("Int64")
        elif kind == "number":
            frame[name] = pd.to_numeric(column.replace("", None)).astype("float64")
        elif kind == "boolean":
            frame[name] = column.str.lower().eq("true")
        else:
            frame[name] = column.astype(object)
    return frame


#: The package last loaded, by (directory, SHA-256 of its files, validated).
_LOADED: dict[tuple, Dataset] = {}


def load_dataset(data_dir: Path | str | None = None, *, validate: bool = True) -> Dataset:
    """Read (and by default validate) the data package.

    Parameters
    ----------
    data_dir : path, optional
        The data directory (default ``data/``).
    validate : bool
        Run :func:`analysis.datapackage.validate.validate_data_dir` first and raise
        :class:`analysis.datapackage.validate.DataValidationError` listing every problem.

    Returns
    -------
    Dataset
        The same object for the same directory and the same bytes (SHA-256 of every file):
        a chapter that loads the package again, in the same process, neither re-reads nor
        re-validates it; any change to any file gives a new, freshly validated package.
    """
    root = Path(data_dir or paths.DATA)
    sha256 = data_sha256(root) if root.is_dir() else ""
    key = (root.resolve(), sha256, validate)
    if sha256 and key in _LOADED:  # same bytes: the same (validated) package
        return _LOADED[key]
    if validate:
        check_data_dir(root)
    schemas = {r["name"]: r for r in read_descriptor(root)["resources"]}
    tables = {
        name: _read_table(root / schemas[name]["path"], schemas[name]["schema"]["fields"])
        for name in TABLES
    }
    dataset = Dataset(**tables, data_dir=root, sha256=sha256)
    _LOADED.clear()  # keep one package: a process builds one book from one data state
    _LOADED[key] = dataset
    return dataset
