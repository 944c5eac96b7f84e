"""What validation reports (:class:`Problem`) and the tables as read.

A :class:`Problem` prints as ``file:row:column: message``; :class:`Table` and
:class:`Tables` are shared by the three stages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the data package.

    Attributes
    ----------
    file : str
        File name relative to the data directory (``outcomes.csv``).
    row : int or None
        Row as a spreadsheet counts it (header = 1, first data row = 2); ``None`` for
        a problem with the whole file.
    column : str or None
        Column name (or ``column M`` for a column without a header); ``None`` for a
        problem with a whole row or file.
    message : str
        What is wrong and what is expected.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        """Return ``file:row:column: message`` (omitting an unknown row / column)."""
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
            if self.column is not None:
                where += f":{self.column}"
        elif self.column is not None:
            where += f"::{self.column}"
        return f"{where}: {self.message}"


class DataValidationError(ValueError):
    """The data package has problems; :attr:`problems` lists every one.

    Parameters
    ----------
    problems : list of Problem
        Every problem found (at least one).
    data_dir : path, optional
        The data directory, named in the message.
    """

    def __init__(self, problems: Iterable[Problem], data_dir: Path | str | None = None):
        self.problems: list[Problem] = list(problems)
        self.data_dir = data_dir
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the data package"
        if data_dir is not None:
            head += f" {data_dir}"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


# ---------------------------------------------------------------------------------
# Tables as read
# ---------------------------------------------------------------------------------


@dataclass
class Table:
    """One CSV file as read: string cells by column name, indexed by spreadsheet row.

    Attributes
    ----------
    name, file : str
        Resource name (``arms``) and file name (``arms.csv``).
    frame : pandas.DataFrame
        Every well-formed data row, cells as strings stripped of surrounding spaces
        (as :func:`analysis.datapackage.load.load_dataset` reads them), index = spreadsheet row
        number; only the columns the schema defines and the file has.
    raw : pandas.DataFrame
        The same cells as written in the file (not stripped).
    columns : set of str
        The columns of :attr:`frame`.
    broken : set of int
        Rows with the wrong number of cells (reported already): their identifiers
        still count as known, but :meth:`rows` skips them.
    invalid : set of (int, str)
        Cells that failed the schema (reported already): :meth:`rows` gives ``None``.
    """

    name: str
    file: str
    frame: pd.DataFrame
    raw: pd.DataFrame
    columns: set[str] = field(default_factory=set)
    broken: set[int] = field(default_factory=set)
    invalid: set[tuple[int, str]] = field(default_factory=set)

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        """Make a :class:`Problem` located in this table."""
        return Problem(self.file, row, column, message)

    def rows(self, *columns: str) -> Iterator[tuple[int, tuple[str | None, ...]]]:
        """Yield ``(row_number, (cell, ...))`` for the given columns.

        Cells are stripped strings; a cell that failed the schema is ``None``; rows
        with the wrong number of cells are skipped.
        """
        sub = self.frame[list(columns)]
        for row, values in zip(sub.index, sub.itertuples(index=False, name=None), strict=True):
            row = int(row)
            if row in self.broken:
                continue
            if self.invalid:
                values = tuple(
                    None if (row, column) in self.invalid else value
                    for column, value in zip(columns, values, strict=True)
                )
            yield row, values

    def first_rows(self, column: str) -> dict[str, int]:
        """Map each non-empty value of ``column`` to the first row holding it."""
        out: dict[str, int] = {}
        for row, value in self.frame[column].items():
            if value != "":
                out.setdefault(value, int(row))
        return out


class Tables(dict):
    """The readable tables by name (a table that could not be read is absent)."""

    def has(self, *needs: str) -> bool:
        """Whether every ``table.column`` (or ``table``) in ``needs`` is available."""
        for need in needs:
            table, _, column = need.partition(".")
            if table not in self or (column and column not in self[table].columns):
                return False
        return True
