"""Validate the data package (``data/``) before anything is computed from it.

Maintainers edit the CSV files by hand, often in a spreadsheet, so every problem is
reported at once as ``file:row:column: message``, with rows counted as a spreadsheet
counts them (the header is row 1, the first data row is row 2).

Every file under ``data/`` is a resource of ``datapackage.json`` (or the descriptor, the
codebook or a shared schema); three stages check them:

1. **Files** (:mod:`.files`): missing or empty files, encodings, headers, ragged rows.
2. **Schema** (:mod:`.schema`): frictionless checks each table against what
   ``datapackage.json`` declares, foreign keys between tables included.
3. **Cross-table rules** (:mod:`.rules`): the named list :data:`RULES`.

Use :func:`validate_data_dir` to get the problems, :func:`check_data_dir` to raise
:class:`DataValidationError` if there are any.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ... import paths
from ..descriptor import read_descriptor, resolve_schema
from ..resources import NOT_TABLES, SCHEMA_FOLDER, TABLES
from .files import read_csv
from .problems import DataValidationError, Problem, Table, Tables
from .rules import RULES, Rule
from .schema import Read, check_schemas

__all__ = [
    "RULES",
    "DataValidationError",
    "Problem",
    "Rule",
    "Table",
    "Tables",
    "check_data_dir",
    "read_tables",
    "validate_data_dir",
    "validate_with_summary",
]


def _order(resources: dict[str, dict]) -> list[str]:
    return [*TABLES, *(name for name in resources if name not in TABLES)]


def _undeclared(root: Path, resources: dict[str, dict]) -> list[Problem]:
    declared = {r["path"] for r in resources.values()} | set(NOT_TABLES)
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if name in declared or name.startswith(f"{SCHEMA_FOLDER}/"):
            continue
        found.append(
            Problem(
                name,
                None,
                None,
                "file not declared in datapackage.json: add a resource for it (or delete it)",
            )
        )
    return found


def read_tables(data_dir: Path | str | None = None) -> tuple[Tables, list[Problem]]:
    """Read every table of the data package as strings, with file and schema problems.

    Parameters
    ----------
    data_dir : path, optional
        The data directory (default ``data/``).

    Returns
    -------
    tables : Tables
        Each readable table (a table that could not be read at all is absent): the six
        of :data:`~analysis.datapackage.resources.TABLES` and every other resource of
        ``datapackage.json`` whose file exists.
    problems : list of Problem
        File, header, row and schema problems (not the cross-table rules).
    """
    root = Path(data_dir or paths.DATA)
    if not root.is_dir():
        return Tables(), [Problem(str(root), None, None, "data directory not found")]
    try:
        resources = {r["name"]: r for r in read_descriptor(root)["resources"]}
    except FileNotFoundError:
        return Tables(), [Problem("datapackage.json", None, None, "missing file")]
    except (ValueError, KeyError, TypeError) as error:
        return Tables(), [Problem("datapackage.json", None, None, f"unreadable: {error}")]
    problems = _undeclared(root, resources)
    reads: dict[str, Read] = {}
    for name in _order(resources):
        if name not in resources:
            problems.append(Problem("datapackage.json", None, None, f"no resource named '{name}'"))
            continue
        resource = resources[name]
        file = resource["path"]
        if name not in TABLES and not (root / file).is_file():
            continue  # declared records (releases, snapshots, ...) are checked when present
        try:
            resource = {**resource, "schema": resolve_schema(resource, root)}
        except (OSError, ValueError) as error:
            problems.append(
                Problem("datapackage.json", None, None, f"schema of '{name}' unreadable: {error}")
            )
            continue
        fields = [f["name"] for f in resource["schema"]["fields"]]
        read = read_csv(name, file, root / file, fields, problems)
        if read is not None:
            reads[name] = Read(file, resource, *read)
    found, invalid = check_schemas(reads)
    problems.extend(found)
    tables = Tables()
    for name, read in reads.items():
        raw = pd.DataFrame(
            [cells for _, cells, _ in read.rows],
            columns=read.header,
            index=[number for number, _, _ in read.rows],
            dtype=object,
        )
        frame = raw.apply(lambda column: column.map(str.strip)) if len(raw) else raw.copy()
        broken = {number for number, _, broken in read.rows if broken}
        tables[name] = Table(name, read.file, frame, raw, set(read.header), broken, invalid[name])
    return tables, problems


def _sort_key(order: list[str]):
    def key(problem: Problem) -> tuple:
        rank = order.index(problem.file) if problem.file in order else len(order)
        if problem.file == "datapackage.json":
            rank = -1
        return (rank, problem.file, problem.row if problem.row is not None else 0)

    return key


def _validate(data_dir: Path | str | None) -> tuple[Tables, list[Problem]]:
    tables, problems = read_tables(data_dir)
    for rule in RULES:
        if tables.has(*rule.needs):
            problems.extend(rule.check(tables))
    try:
        resources = {r["name"]: r for r in read_descriptor(data_dir)["resources"]}
        order = [resources[name]["path"] for name in _order(resources) if name in resources]
    except (OSError, ValueError, KeyError, TypeError):
        order = [f"{name}.csv" for name in TABLES]
    return tables, sorted(problems, key=_sort_key(order))


def validate_data_dir(data_dir: Path | str | None = None) -> list[Problem]:
    """Every problem in the data package, in file and row order.

    Parameters
    ----------
    data_dir : path, optional
        The data directory holding ``datapackage.json`` and the CSV files
        (default ``data/``).

    Returns
    -------
    list of Problem
        Empty when the data package is valid.
    """
    return _validate(data_dir)[1]


def check_data_dir(data_dir: Path | str | None = None) -> None:
    """Raise :class:`DataValidationError` listing every problem, if there is any.

    Parameters
    ----------
    data_dir : path, optional
        The data directory (default ``data/``).

    Raises
    ------
    DataValidationError
        When :func:`validate_data_dir` finds at least one problem.
    """
    root = Path(data_dir or paths.DATA)
    problems = validate_data_dir(root)
    if problems:
        raise DataValidationError(problems, root)


def validate_with_summary(data_dir: Path | str | None = None) -> tuple[list[Problem], str]:
    """Validate once and summarise: the problems and ``OK: N studies, N arms, N outcome rows``.

    Parameters
    ----------
    data_dir : path, optional
        The data directory (default ``data/``).

    Returns
    -------
    problems : list of Problem
        As :func:`validate_data_dir`.
    summary : str
        The one-line summary (meaningful when there are no problems).
    """
    tables, problems = _validate(data_dir)

    def count(name: str) -> int:
        return len(tables[name].frame) if name in tables else 0

    return problems, (
        f"OK: {count('studies')} studies, {count('arms')} arms, {count('outcomes')} outcome rows"
    )
