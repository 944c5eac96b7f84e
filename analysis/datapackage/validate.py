"""Validate the data package (``data/``) before anything is computed from it.

Maintainers edit the CSV files by hand, often in a spreadsheet, so every problem is
reported at once as ``file:row:column: message``, with rows counted as a spreadsheet
counts them (the header is row 1, the first data row is row 2).

Three stages:

1. **File checks** (plain Python): missing or empty files, a UTF-8 byte-order mark,
   non-UTF-8 bytes, malformed CSV, missing / unexpected / duplicate / blank column
   headers, empty rows and ragged rows (spreadsheet artefacts).
2. **Schema checks** (`frictionless`): each table is checked against its schema in
   ``datapackage.json`` (types, required values, enums, patterns, minimum / maximum,
   unique and primary keys); frictionless errors are translated into messages that
   say what is expected (``'12.0' is not an integer: write 12``).
3. **Cross-table rules** (plain pandas): the declarative list :data:`RULES`, each a
   name, the columns it needs and a function returning problems.

Use :func:`validate_data_dir` to get the problems, :func:`check_data_dir` to raise
:class:`DataValidationError` if there are any.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import paths

#: The tables of the data package, in report order .
TABLES = ("drugs", "regimens", "studies", "arms", "outcomes", "published")
#: Tables that must have at least one data row (``published`` may be empty).
NONEMPTY_TABLES = ("drugs", "regimens", "studies", "arms", "outcomes")
#: ``arms.regimen`` of a whole-study arm over several regimens.
MIXED = "mixed"
#: ``published.regimen`` of a whole-review figure.
ANY_REGIMEN = "any"
#: Columns holding identifiers or references: no leading or trailing spaces allowed.
ID_COLUMNS = {
    "drugs": ("drug", "class_label"),
    "regimens": ("regimen", "class_a", "class_b"),
    "studies": ("study_id", "overlaps_with"),
    "arms": ("arm_id", "study_id", "agent_a", "agent_b", "regimen", "source", "locator"),
    "outcomes": ("arm_id", "source", "locator"),
    "published": ("regimen", "source", "locator"),
}

_BOM = b"\xef\xbb\xbf"


# ---------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------
# Stage 1: files, headers, rows
# ---------------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _decode(raw: bytes, file: str, problems: list[Problem]) -> str:
    """Decode UTF-8, reporting a BOM and every undecodable byte sequence's location."""
    if raw.startswith(_BOM):
        problems.append(
            Problem(
                file,
                1,
                None,
                "file starts with a UTF-8 byte-order mark (BOM): save as plain UTF-8 "
                "CSV without BOM",
            )
        )
        raw = raw[len(_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Locate each bad byte sequence: row = spreadsheet row of the record, column
    # from the cells before it on that line.
    text = raw.decode("utf-8", errors="replace")
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    record = 0
    reader = csv.reader(io.StringIO(text, newline=""))
    reported = 0
    try:
        for cells in reader:
            record += 1
            for index, cell in enumerate(cells):
                if "\ufffd" in cell:
                    column = header[index] if index < len(header) and record > 1 else None
                    shown = cell.replace("\ufffd", "?")
                    problems.append(
                        Problem(
                            file,
                            record,
                            column or f"column {_column_letter(index)}",
                            f"not valid UTF-8 in {shown!r}: save the file "
                            "as UTF-8 CSV (it looks like Windows-1252 / Latin-1)",
                        )
                    )
                    reported += 1
    except csv.Error:
        pass
    if not reported:
        problems.append(Problem(file, None, None, "file is not valid UTF-8: save as UTF-8"))
    return text


def _read_csv(
    name: str, file: str, path: Path, fields: list[str], problems: list[Problem]
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """Read one CSV file: header checks and row checks; ``None`` if unusable.

    Returns the header (schema columns present, in file order) and the data rows as
    ``(spreadsheet_row, cells aligned with the header, broken)``; a broken row had
    the wrong number of cells (reported) and was padded or cut to the header.
    """
    if not path.is_file():
        problems.append(Problem(file, None, None, f"missing file (the '{name}' table)"))
        return None
    raw = path.read_bytes()
    if not raw.replace(_BOM, b"").strip():
        problems.append(Problem(file, None, None, "file is empty (expected a header row and data)"))
        return None
    text = _decode(raw, file, problems)
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in reader:
            records.append(cells)
    except csv.Error as error:
        problems.append(
            Problem(
                file,
                len(records) + 1,
                None,
                f"malformed CSV ({error}): check the quotes in this row",
            )
        )
        return None

    header = records[0]
    if len(header) == 1 and ";" in header[0]:
        problems.append(
            Problem(
                file,
                1,
                None,
                "columns are separated by ';': save as comma-separated CSV",
            )
        )
        return None

    # Header: blank (trailing blank = spreadsheet artefact), duplicate, missing, extra.
    width = len(header)
    while width and header[width - 1].strip() == "":
        width -= 1
    if width < len(header):
        first, last = _column_letter(width), _column_letter(len(header) - 1)
        span = first if first == last else f"{first}-{last}"
        problems.append(
            Problem(
                file,
                1,
                f"column {span}",
                "empty column(s) after the last header (spreadsheet artefact): delete them",
            )
        )
    seen: dict[str, int] = {}
    for index, label in enumerate(header[:width]):
        if label.strip() == "":
            problems.append(
                Problem(file, 1, f"column {_column_letter(index)}", "column has no header")
            )
        elif label in seen:
            problems.append(
                Problem(
                    file,
                    1,
                    label,
                    f"duplicate column '{label}' (also column {_column_letter(seen[label])})",
                )
            )
        else:
            seen[label] = index
            if label not in fields:
                hint = ""
                stripped = label.strip()
                if stripped in fields:
                    hint = f" (did you mean '{stripped}'? remove the spaces)"
                elif label.lstrip("\ufeff") in fields:
                    hint = " (byte-order mark before the name)"
                problems.append(
                    Problem(
                        file,
                        1,
                        label,
                        f"unexpected column '{label}' (not in datapackage.json){hint}",
                    )
                )
    for name_ in fields:
        if name_ not in seen:
            problems.append(
                Problem(file, 1, name_, f"missing column '{name_}' (see datapackage.json)")
            )

    # Rows: empty rows (collapsed into runs), ragged rows.
    rows: list[tuple[int, list[str], bool]] = []
    empty_run: list[int] = []

    def flush_empty() -> None:
        if not empty_run:
            return
        first, last = empty_run[0], empty_run[-1]
        if first == last:
            message = "empty row (spreadsheet artefact?): delete it"
        else:
            message = f"empty rows {first}-{last} (spreadsheet artefact?): delete them"
        problems.append(Problem(file, first, None, message))
        empty_run.clear()

    for number, cells in enumerate(records[1:], start=2):
        if all(cell.strip() == "" for cell in cells):
            empty_run.append(number)
            continue
        flush_empty()
        if len(cells) > len(header):
            extra = cells[len(header) :]
            if any(cell.strip() for cell in extra):
                problems.append(
                    Problem(
                        file,
                        number,
                        None,
                        f"row has {len(cells)} cells but the header has {len(header)} "
                        "columns (an unquoted comma in a value?)",
                    )
                )
                rows.append((number, cells[: len(header)], True))
                continue
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    f"row has {len(cells) - len(header)} empty cell(s) after the last "
                    "column (spreadsheet artefact?): delete them",
                )
            )
            cells = cells[: len(header)]
        elif len(cells) < len(header):
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    f"row has {len(cells)} cells but the header has {len(header)} "
                    "columns (a missing comma or a line break inside a value?)",
                )
            )
            rows.append((number, cells + [""] * (len(header) - len(cells)), True))
            continue
        rows.append((number, cells, False))
    flush_empty()
    if not rows and name in NONEMPTY_TABLES:
        problems.append(Problem(file, None, None, "no data rows (only a header)"))

    keep = [i for i, label in enumerate(header) if label in fields and seen.get(label) == i]
    return [header[i] for i in keep], [(n, [c[i] for i in keep], b) for n, c, b in rows]


# ---------------------------------------------------------------------------------
# Stage 2: schema (frictionless)
# ---------------------------------------------------------------------------------

_WHOLE_WITH_ZEROS = re.compile(r"^\s*[+-]?\d+\.0*\s*$")
_THOUSANDS = re.compile(r"^\s*[+-]?\d{1,3}([,.\u00a0 ']\d{3})+\s*$")
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?\d*\.\d+([eE][+-]?\d+)?\s*$")
_POSITION = re.compile(r"position (\d+)")
_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)


def _type_message(field: dict, cell: str) -> str:
    kind = field.get("type", "string")
    shown = repr(cell)
    if kind == "integer":
        if _WHOLE_WITH_ZEROS.match(cell):
            whole = cell.strip().split(".")[0]
            return f"{shown} is not an integer: write {whole} (a spreadsheet number format?)"
        if _THOUSANDS.match(cell):
            digits = re.sub(r"[^\d+-]", "", cell)
            return f"{shown} has a thousands separator: write {digits}"
        if _DECIMAL.match(cell) or _DECIMAL_COMMA.match(cell):
            return f"{shown} is not an integer (expected a whole number)"
        return f"{shown} is not an integer"
    if kind == "number":
        if _THOUSANDS.match(cell) and "," in cell:
            digits = re.sub(r"[^\d+-]", "", cell)
            return f"{shown} has a thousands separator: write {digits}"
        if _DECIMAL_COMMA.match(cell):
            return f"{shown} uses a decimal comma: write {cell.strip().replace(',', '.')}"
        return f"{shown} is not a number"
    if kind == "boolean":
        true = "/".join(field.get("trueValues", ["true"]))
        false = "/".join(field.get("falseValues", ["false"]))
        return f"{shown} is not a boolean: write {true} or {false} (lower case)"
    return f"{shown} is not of type {kind}"


def _constraint_message(field: dict, cell: object, note: str) -> str:
    match = _CONSTRAINT.search(note or "")
    constraint = match.group(1) if match else "?"
    name = field["name"]
    shown = repr(cell)
    spaces = isinstance(cell, str) and cell != cell.strip()
    if constraint == "required":
        if name == "source":
            return "missing source: every number needs a source (DOI, PMID or URL)"
        if name == "locator":
            return (
                "missing locator: every number needs a locator (where in the source: "
                "abstract, Table 2, ...)"
            )
        return f"missing value: '{name}' is required"
    if constraint == "enum":
        allowed = field["constraints"]["enum"]
        what = "outcome" if name == "outcome" else "value"
        if spaces and cell.strip() in allowed:
            return f"{shown} has leading or trailing spaces: write {cell.strip()!r}"
        return f"unknown {what} {shown} (expected one of: {', '.join(map(str, allowed))})"
    if constraint == "pattern":
        if spaces:
            return f"{shown} has leading or trailing spaces"
        if name == "doi":
            return (
                f"malformed DOI {shown} (expected 10.NNNN/suffix, without "
                "'https://doi.org/' or 'doi:')"
            )
        if name == "pmid":
            return f"malformed PMID {shown} (expected digits only, without 'PMID:')"
        pattern = field["constraints"]["pattern"]
        return f"{shown} does not match the pattern {pattern} for '{name}'"
    if constraint in ("minimum", "maximum"):
        bound = field["constraints"][constraint]
        if constraint == "minimum" and bound == 0:
            return f"negative value {cell} (must be >= 0)"
        sign = ">=" if constraint == "minimum" else "<="
        return f"{cell} is out of range (must be {sign} {bound})"
    return f"{shown} violates constraint {constraint} ({note})"


def _schema_problems(
    table_file: str,
    schema: dict,
    header: list[str],
    rows: list[tuple[int, list[str]]],
) -> tuple[list[Problem], set[tuple[int, str]]]:
    """Validate the rows against the schema with frictionless; translate its errors.

    Returns the problems and the ``(row, column)`` cells with a wrong type or value.
    """
    from frictionless import Resource, Schema

    fields = {f["name"]: f for f in schema["fields"]}
    order = [f["name"] for f in schema["fields"] if f["name"] in header]
    position = {name: header.index(name) for name in order}
    descriptor: dict = {"fields": [fields[name] for name in order]}
    if "missingValues" in schema:
        descriptor["missingValues"] = schema["missingValues"]
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else list(key)
    if key and all(k in order for k in key):
        descriptor["primaryKey"] = key
    data = [order] + [[cells[position[name]] for name in order] for _, cells in rows]
    row_numbers = [number for number, _ in rows]

    def where(row_number: int) -> int:
        # frictionless numbers the inline rows 2, 3, ...; map back to the file's rows
        return row_numbers[row_number - 2]

    report = Resource(data=data, schema=Schema.from_descriptor(descriptor)).validate(
        limit_errors=10**9
    )
    problems: list[Problem] = []
    invalid: set[tuple[int, str]] = set()
    for task in report.tasks:
        for error in task.errors:
            kind = error.type
            row_number = getattr(error, "row_number", None)
            if row_number is None:
                problems.append(Problem(table_file, None, None, error.message))
                continue
            row = where(row_number)
            name = getattr(error, "field_name", None)
            cell = getattr(error, "cell", None)
            first = _POSITION.search(getattr(error, "note", "") or "")
            first_row = where(int(first.group(1))) if first else None
            if kind == "type-error":
                message = _type_message(fields[name], cell)
                invalid.add((row, name))
            elif kind == "constraint-error":
                message = _constraint_message(fields[name], cell, error.note)
                invalid.add((row, name))
            elif kind == "unique-error":
                message = f"duplicate {name} {cell!r} (first at row {first_row})"
            elif kind == "primary-key":
                if len(key) == 1 and fields[key[0]].get("constraints", {}).get("unique"):
                    continue  # already reported as a unique-error
                values = data[row_number - 1]
                shown = ", ".join(f"{k}={values[order.index(k)]!r}" for k in key)
                message = f"duplicate row for {shown} (first at row {first_row})"
                name = key[-1]
            else:
                message = f"{kind}: {error.note}"
            problems.append(Problem(table_file, row, name, message))
    return problems, invalid


# ---------------------------------------------------------------------------------
# Stage 3: cross-table rules
# ---------------------------------------------------------------------------------

_INT = re.compile(r"^\s*\d+\s*$")


def _int(value: str | None) -> int | None:
    """Parse a non-negative integer cell (``None`` if empty, malformed or invalid)."""
    return int(value) if value is not None and _INT.match(value) else None


def _number(value: str | None) -> float | None:
    """Parse a number cell (``None`` if empty, malformed or invalid)."""
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _split(value: str | None) -> list[str]:
    """Split a ';'-separated list cell."""
    return [part.strip() for part in (value or "").split(";") if part.strip()]


@dataclass(frozen=True)
class Rule:
    """A cross-table rule.

    Attributes
    ----------
    name : str
        What the rule requires, in words.
    needs : tuple of str
        ``table.column`` entries the rule reads; the rule is skipped when any is
        unavailable (that is reported already).
    check : callable
        ``check(tables) -> iterable of Problem``.
    """

    name: str
    needs: tuple[str, ...]
    check: Callable[[Tables], Iterable[Problem]]


def _arm_study_known(t: Tables) -> Iterator[Problem]:
    arms, studies = t["arms"], t["studies"]
    known = studies.first_rows("study_id")
    for row, (study,) in arms.rows("study_id"):
        if study and study not in known:
            yield arms.problem(row, "study_id", f"unknown study {study!r} (not in studies.csv)")


def _arm_id_prefix(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    known = t["studies"].first_rows("study_id")
    for row, (arm, study) in arms.rows("arm_id", "study_id"):
        if arm and study in known and not arm.startswith(study + "/"):
            yield arms.problem(
                row, "arm_id", f"arm_id {arm!r} does not start with its study_id '{study}/'"
            )


def _arm_agents_known(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    known = t["drugs"].first_rows("drug")
    for row, (a, b) in arms.rows("agent_a", "agent_b"):
        for column, drug in (("agent_a", a), ("agent_b", b)):
            if drug and drug not in known:
                yield arms.problem(row, column, f"unknown drug {drug!r} (not in drugs.csv)")


def _arm_regimen_matches(t: Tables) -> Iterator[Problem]:
    arms, drugs, regimens = t["arms"], t["drugs"], t["regimens"]
    class_of = {}
    for _, (drug, label) in drugs.rows("drug", "class_label"):
        class_of.setdefault(drug, label)
    by_pair: dict[tuple[str, str], str] = {}
    for _, (label, a, b) in regimens.rows("regimen", "class_a", "class_b"):
        by_pair.setdefault(tuple(sorted((a, b))), label)
    labels = set(regimens.first_rows("regimen"))
    for row, (a, b, regimen) in arms.rows("agent_a", "agent_b", "regimen"):
        if regimen == MIXED or not regimen:
            continue
        if regimen not in labels:
            yield arms.problem(
                row,
                "regimen",
                f"unknown regimen {regimen!r} (not in regimens.csv, and not '{MIXED}')",
            )
            continue
        if not (a and b) or a == b or a not in class_of or b not in class_of:
            continue  # missing, repeated or unknown agents: reported by other rules
        pair = tuple(sorted((class_of[a], class_of[b])))
        expected = by_pair.get(pair)
        if expected is None:
            yield arms.problem(
                row,
                "regimen",
                f"no regimen in regimens.csv for the classes of {a} ({class_of[a]}) "
                f"and {b} ({class_of[b]})",
            )
        elif expected != regimen:
            yield arms.problem(
                row,
                "regimen",
                f"regimen {regimen!r} does not match the agents: {a} ({class_of[a]}) + "
                f"{b} ({class_of[b]}) is {expected!r} in regimens.csv",
            )


def _arm_shape(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    columns = ("agent_a", "agent_b", "regimen", "regimens_included")
    for row, (a, b, regimen, included) in arms.rows(*columns):
        if regimen == MIXED:
            for column, drug in (("agent_a", a), ("agent_b", b)):
                if drug:
                    yield arms.problem(
                        row, column, f"a '{MIXED}' arm has no agents (found {drug!r})"
                    )
            if not included:
                yield arms.problem(
                    row,
                    "regimens_included",
                    f"a '{MIXED}' arm needs regimens_included (regimens separated by ';')",
                )
        elif regimen:
            for column, drug in (("agent_a", a), ("agent_b", b)):
                if not drug:
                    yield arms.problem(
                        row,
                        column,
                        f"missing agent: an arm with regimen {regimen!r} needs agent_a "
                        f"and agent_b (or regimen '{MIXED}')",
                    )
            if a and a == b:
                yield arms.problem(row, "agent_b", f"agent_b is the same drug as agent_a ({a!r})")
            if included:
                yield arms.problem(
                    row,
                    "regimens_included",
                    f"regimens_included is only for '{MIXED}' arms (regimen is {regimen!r})",
                )


def _arm_has_size(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    for row, (patients, trials) in arms.rows("n_patients", "n_trials"):
        if patients == "" and trials == "":
            yield arms.problem(row, "n_patients", "missing arm size: give n_patients or n_trials")
        p, n = _int(patients), _int(trials)
        if p is not None and n is not None and n < p:
            yield arms.problem(
                row,
                "n_trials",
                f"{n} trials < {p} patients (each patient contributes at least one trial)",
            )


def _outcome_arm_known(t: Tables) -> Iterator[Problem]:
    outcomes = t["outcomes"]
    known = t["arms"].first_rows("arm_id")
    for row, (arm,) in outcomes.rows("arm_id"):
        if arm and arm not in known:
            yield outcomes.problem(row, "arm_id", f"unknown arm {arm!r} (not in arms.csv)")


def _events_le_total(t: Tables) -> Iterator[Problem]:
    outcomes = t["outcomes"]
    for row, (events, total) in outcomes.rows("events", "total"):
        e, n = _int(events), _int(total)
        if e is not None and n is not None and e > n:
            yield outcomes.problem(row, "events", f"{e} events > total {n}")


def _total_le_arm(t: Tables) -> Iterator[Problem]:
    outcomes, arms = t["outcomes"], t["arms"]
    size: dict[str, tuple[int, str, int]] = {}
    for row, (arm, patients, trials) in arms.rows("arm_id", "n_patients", "n_trials"):
        if arm in size:
            continue
        if _int(trials) is not None:
            size[arm] = (_int(trials), "n_trials", row)
        elif _int(patients) is not None:
            size[arm] = (_int(patients), "n_patients", row)
    for row, (arm, total) in outcomes.rows("arm_id", "total"):
        n = _int(total)
        if n is None or arm not in size:
            continue
        limit, column, arm_row = size[arm]
        if n > limit:
            yield outcomes.problem(
                row,
                "total",
                f"total {n} > {column} {limit} of arm {arm!r} (arms.csv:{arm_row}:{column})",
            )


def _one_analysed_row(t: Tables) -> Iterator[Problem]:
    outcomes = t["outcomes"]
    first: dict[tuple[str, str], int] = {}
    for row, (arm, outcome, analysed) in outcomes.rows("arm_id", "outcome", "analysed"):
        if analysed != "true":
            continue
        key = (arm, outcome)
        if key in first:
            yield outcomes.problem(
                row,
                "analysed",
                f"second analysed=true row for arm {arm!r} x outcome {outcome!r} "
                f"(first at row {first[key]}): at most one may be pooled",
            )
        else:
            first[key] = row


def _overlaps_known(t: Tables) -> Iterator[Problem]:
    studies = t["studies"]
    known = studies.first_rows("study_id")
    for row, (study, overlaps) in studies.rows("study_id", "overlaps_with"):
        for other in _split(overlaps):
            if other == study:
                yield studies.problem(row, "overlaps_with", f"study {study!r} overlaps itself")
            elif other not in known:
                yield studies.problem(
                    row, "overlaps_with", f"unknown study {other!r} (not in studies.csv)"
                )


def _study_identified(t: Tables) -> Iterator[Problem]:
    studies = t["studies"]
    for row, (doi, pmid, url) in studies.rows("doi", "pmid", "url"):
        if doi == "" and pmid == "" and url == "":
            yield studies.problem(
                row, "doi", "the study needs a source: give a doi, a pmid or a url"
            )
    for row, (url,) in studies.rows("url"):
        if url and not url.startswith(("http://", "https://")):
            yield studies.problem(
                row, "url", f"url {url!r} does not start with http:// or https://"
            )


def _published_regimen_known(t: Tables) -> Iterator[Problem]:
    published = t["published"]
    labels = t["regimens"].first_rows("regimen")
    for row, (regimen,) in published.rows("regimen"):
        if regimen and regimen != ANY_REGIMEN and regimen not in labels:
            yield published.problem(
                row,
                "regimen",
                f"unknown regimen {regimen!r} (not in regimens.csv, and not '{ANY_REGIMEN}')",
            )


def _published_ci(t: Tables) -> Iterator[Problem]:
    published = t["published"]
    columns = ("estimate_pct", "ci_low_pct", "ci_high_pct")
    for row, cells in published.rows(*columns):
        est, low, high = (_number(c) for c in cells)
        if low is not None and high is not None and low > high:
            yield published.problem(row, "ci_low_pct", f"ci_low_pct {low:g} > ci_high_pct {high:g}")
        elif est is not None:
            if low is not None and est < low:
                yield published.problem(
                    row, "estimate_pct", f"estimate_pct {est:g} < ci_low_pct {low:g}"
                )
            if high is not None and est > high:
                yield published.problem(
                    row, "estimate_pct", f"estimate_pct {est:g} > ci_high_pct {high:g}"
                )


def _regimen_pairs_unique(t: Tables) -> Iterator[Problem]:
    regimens = t["regimens"]
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for row, (label, a, b) in regimens.rows("regimen", "class_a", "class_b"):
        pair = tuple(sorted((a, b)))
        if pair in first:
            other_row, other = first[pair]
            yield regimens.problem(
                row,
                "regimen",
                f"classes {a} + {b} already have regimen {other!r} (row {other_row}): "
                "each pair of classes has one label",
            )
        else:
            first[pair] = (row, label)


_SOURCE = re.compile(r"^(10\.\d{4,9}/\S+|(PMID:?\s*)?\d{1,9}|https?://\S+)$")


def _source_format(t: Tables) -> Iterator[Problem]:
    for name in ("arms", "outcomes", "published"):
        if not t.has(f"{name}.source"):
            continue
        table = t[name]
        for row, (source,) in table.rows("source"):
            if source and not _SOURCE.match(source):
                yield table.problem(
                    row,
                    "source",
                    f"source {source!r} is not a DOI (10.NNNN/...), a PMID (digits) or a "
                    "URL (http...): put where in the source in 'locator'",
                )


def _no_stray_spaces(t: Tables) -> Iterator[Problem]:
    for name, columns in ID_COLUMNS.items():
        if name not in t:
            continue
        table = t[name]
        for column in columns:
            if column not in table.columns:
                continue
            for row, value in table.raw[column].items():
                if value != value.strip():
                    yield table.problem(
                        int(row), column, f"{value!r} has leading or trailing spaces"
                    )


#: The cross-table rules, checked in this order after the schema checks.
RULES: tuple[Rule, ...] = (
    Rule("arm study is in studies.csv", ("arms.study_id", "studies.study_id"), _arm_study_known),
    Rule(
        "arm_id starts with its study_id + '/'",
        ("arms.arm_id", "arms.study_id", "studies.study_id"),
        _arm_id_prefix,
    ),
    Rule(
        "arm agents are in drugs.csv",
        ("arms.agent_a", "arms.agent_b", "drugs.drug"),
        _arm_agents_known,
    ),
    Rule(
        "arm regimen = regimens.csv label of its agents' class pair",
        (
            "arms.agent_a",
            "arms.agent_b",
            "arms.regimen",
            "drugs.drug",
            "drugs.class_label",
            "regimens.regimen",
            "regimens.class_a",
            "regimens.class_b",
        ),
        _arm_regimen_matches,
    ),
    Rule(
        "mixed arm: no agents, regimens_included; other arms: two different agents",
        ("arms.agent_a", "arms.agent_b", "arms.regimen", "arms.regimens_included"),
        _arm_shape,
    ),
    Rule(
        "arm has n_patients or n_trials; n_trials >= n_patients",
        ("arms.n_patients", "arms.n_trials"),
        _arm_has_size,
    ),
    Rule("outcome arm is in arms.csv", ("outcomes.arm_id", "arms.arm_id"), _outcome_arm_known),
    Rule("events <= total", ("outcomes.events", "outcomes.total"), _events_le_total),
    Rule(
        "total <= the arm's n_trials (else n_patients)",
        ("outcomes.arm_id", "outcomes.total", "arms.arm_id", "arms.n_patients", "arms.n_trials"),
        _total_le_arm,
    ),
    Rule(
        "at most one analysed=true row per arm x outcome",
        ("outcomes.arm_id", "outcomes.outcome", "outcomes.analysed"),
        _one_analysed_row,
    ),
    Rule(
        "overlaps_with names other studies in studies.csv",
        ("studies.study_id", "studies.overlaps_with"),
        _overlaps_known,
    ),
    Rule(
        "a study has a doi, a pmid or a url (http...)",
        ("studies.doi", "studies.pmid", "studies.url"),
        _study_identified,
    ),
    Rule(
        "published regimen is in regimens.csv or 'any'",
        ("published.regimen", "regimens.regimen"),
        _published_regimen_known,
    ),
    Rule(
        "published ci_low_pct <= estimate_pct <= ci_high_pct",
        ("published.estimate_pct", "published.ci_low_pct", "published.ci_high_pct"),
        _published_ci,
    ),
    Rule(
        "each class pair has one regimen label",
        ("regimens.regimen", "regimens.class_a", "regimens.class_b"),
        _regimen_pairs_unique,
    ),
    Rule("source is a DOI, a PMID or a URL", (), _source_format),
    Rule("no leading or trailing spaces in identifiers", (), _no_stray_spaces),
)


# ---------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------


def _sort_key(problem: Problem) -> tuple:
    files = [f"{name}.csv" for name in TABLES]
    if problem.file in files:
        rank = files.index(problem.file)
    else:  # datapackage.json first, other resources after the six tables
        rank = -1 if problem.file == "datapackage.json" else len(files)
    return (rank, problem.file, problem.row if problem.row is not None else 0)


def read_tables(data_dir: Path | str | None = None) -> tuple[Tables, list[Problem]]:
    """Read the data package's tables as strings, with file and schema problems.

    Parameters
    ----------
    data_dir : path, optional
        The data directory (default ``data/``).

    Returns
    -------
    tables : Tables
        Each readable table (a table that could not be read at all is absent): the
        six of :data:`TABLES`, plus any other tabular resource of ``datapackage.json``
        (checked against its schema only).
    problems : list of Problem
        File, header, row and schema problems (not the cross-table rules).
    """
    root = Path(data_dir or paths.DATA)
    problems: list[Problem] = []
    tables = Tables()
    descriptor_path = root / "datapackage.json"
    if not root.is_dir():
        return tables, [Problem(str(root), None, None, "data directory not found")]
    try:
        package = json.loads(descriptor_path.read_text(encoding="utf-8"))
        resources = {r["name"]: r for r in package["resources"]}
    except FileNotFoundError:
        return tables, [Problem("datapackage.json", None, None, "missing file")]
    except (ValueError, KeyError, TypeError) as error:
        return tables, [Problem("datapackage.json", None, None, f"unreadable: {error}")]
    extra = [n for n, r in resources.items() if n not in TABLES and "schema" in r]
    for name in (*TABLES, *extra):
        if name not in resources:
            problems.append(Problem("datapackage.json", None, None, f"no resource named '{name}'"))
            continue
        resource = resources[name]
        file = resource["path"]
        schema = resource["schema"]
        fields = [f["name"] for f in schema["fields"]]
        read = _read_csv(name, file, root / file, fields, problems)
        if read is None:
            continue
        header, rows = read
        good = [(number, cells) for number, cells, broken in rows if not broken]
        found, invalid = _schema_problems(file, schema, header, good)
        problems.extend(found)
        raw = pd.DataFrame(
            [cells for _, cells, _ in rows],
            columns=header,
            index=[number for number, _, _ in rows],
            dtype=object,
        )
        frame = raw.apply(lambda column: column.map(str.strip)) if len(raw) else raw.copy()
        broken = {number for number, _, broken in rows if broken}
        tables[name] = Table(name, file, frame, raw, set(header), broken, invalid)
    return tables, problems


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


def _validate(data_dir: Path | str | None) -> tuple[Tables, list[Problem]]:
    tables, problems = read_tables(data_dir)
    for rule in RULES:
        if tables.has(*rule.needs):
            problems.extend(rule.check(tables))
    return tables, sorted(problems, key=_sort_key)


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
