"""Load the data package (``data/``) into typed DataFrames: the one loader, the one fingerprint.

Every table of ``data/`` reaches the review and publishing layers through this module: the
evidence tables on :class:`Dataset`, release files through :func:`read_table`. The data
identity of a package is :func:`fingerprint`, the one value that releases, cite blocks,
BibTeX, banners, downloads and snapshots carry.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from .descriptor import read_descriptor, resolve_schema
from .resources import EVIDENCE_TABLES
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
    searches: pd.DataFrame = None
    search_queries: pd.DataFrame = None
    search_records: pd.DataFrame = None
    prisma: pd.DataFrame = None
    risk_of_bias: pd.DataFrame = None
    grade_overrides: pd.DataFrame = None
    prior_therapy: pd.DataFrame = None
    indirect_populations: pd.DataFrame = None

    @property
    def version(self) -> str:
        """Short data version: the first 12 hex digits of :attr:`sha256`."""
        return self.sha256[:12]


def _files_digest(root: Path) -> str:
    """SHA-256 over every file of ``root`` (relative path and bytes): the loader's cache key."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def fingerprint(ds: Dataset) -> str:
    """The data identity of a package: SHA-256 of its evidence tables in a canonical form.

    Covers every table of :data:`~analysis.datapackage.resources.EVIDENCE_TABLES` (studies,
    arms, outcomes, published figures, searches and their records, PRISMA counts, risk of
    bias, certainty overrides; everything but the release history and its snapshots, which
    describe releases of the data rather than the data). Each table's rows are sorted by
    every column and written as CSV, so the value depends on the contents only, not on
    file layout, and a view (:func:`analysis.datapackage.views.as_of`) has one too.

    This is the one fingerprint of the project: ``data/releases.csv``, cite blocks, BibTeX,
    version banners, ``results.json`` and release snapshots all carry it, and loading the
    zipped data package of the downloads gives the same value.

    Parameters
    ----------
    ds : Dataset
        A loaded package or a view of one.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    for name in EVIDENCE_TABLES:
        frame = getattr(ds, name)
        if frame is None:
            frame = pd.DataFrame()
        frame = frame.astype(str)
        frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        digest.update(name.encode() + b"\0" + frame.to_csv(index=False).encode() + b"\0")
    return digest.hexdigest()


def _read_table(path: Path, fields: list[dict]) -> pd.DataFrame:
    if path.is_file():
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    else:  # an optional table not in this package: empty, with its columns
        frame = pd.DataFrame({f["name"]: pd.Series(dtype=str) for f in fields})
    for field in fields:
        name, kind = field["name"], field.get("type", "string")
        if name not in frame:
            continue
        column = frame[name].astype(str).str.strip()
        if kind == "integer":
            frame[name] = pd.to_numeric(column.replace("", None)).astype("Int64")
        elif kind == "number":
            frame[name] = pd.to_numeric(column.replace("", None)).astype("float64")
        elif kind == "boolean":
            frame[name] = column.str.lower().eq("true")
        else:
            frame[name] = column.astype(object)
    return frame


def read_table(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """One table of the data package, typed from its schema in ``datapackage.json``.

    Parameters
    ----------
    name : str
        Resource name (``releases``, ``snapshot-3.0.0``, ``searches``, ...) or, for a file
        that no resource declares yet (a release being written), its path relative to
        ``data_dir`` (``snapshots/4.0.0.csv``), read as text.
    data_dir : path, optional
        The data directory (default ``data/``).

    Returns
    -------
    DataFrame
        Integer fields as nullable ``Int64``, numbers as ``float64``, booleans as ``bool``,
        strings as ``object`` with missing values as empty strings. A declared resource
        whose file is absent gives an empty table with its columns.
    """
    root = Path(data_dir or paths.DATA)
    resources = {r["name"]: r for r in read_descriptor(root)["resources"]}
    if name in resources:
        resource = resources[name]
        schema = resolve_schema(resource, root)
        return _read_table(root / resource["path"], schema["fields"])
    path = root / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such table in the data package")
    return read_text_table(name, root)


def read_text_table(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """A table of the data package exactly as written: every cell a string, empty if missing.

    For output that must reproduce the cells' text (the bibliography, a release's files),
    where typing (``2018`` as an integer) would change it. ``name`` is a resource name or a
    path relative to ``data_dir``.
    """
    root = Path(data_dir or paths.DATA)
    resources = {r["name"]: r for r in read_descriptor(root)["resources"]}
    path = root / (resources[name]["path"] if name in resources else name)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


#: The package last loaded, by (directory, digest of its files, validated).
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
        Its ``sha256`` is the package's :func:`fingerprint`. The same object for the same
        directory and the same bytes: a chapter that loads the package again, in the same
        process, neither re-reads nor re-validates it; any change to any file gives a new,
        freshly validated package.
    """
    root = Path(data_dir or paths.DATA)
    files = _files_digest(root) if root.is_dir() else ""
    key = (root.resolve(), files, validate)
    if files and key in _LOADED:  # same bytes: the same (validated) package
        return _LOADED[key]
    if validate:
        check_data_dir(root)
    resources = {r["name"]: r for r in read_descriptor(root)["resources"]}
    tables = {}
    for name in EVIDENCE_TABLES:
        if name in resources:
            fields = resolve_schema(resources[name], root)["fields"]
            tables[name] = _read_table(root / resources[name]["path"], fields)
        else:  # a package without this optional table (e.g. a small test package)
            tables[name] = pd.DataFrame()
    dataset = Dataset(**tables, data_dir=root, sha256="")
    dataset = dataclasses.replace(dataset, sha256=fingerprint(dataset))
    _LOADED.clear()  # keep one package: a process builds one book from one data state
    _LOADED[key] = dataset
    return dataset
