"""Stage 2, frictionless: each table against what ``datapackage.json`` declares.

Types, required values, enums, patterns, minimum / maximum, unique and primary keys, and
foreign keys between tables are all checked by ``frictionless`` on the package as a whole;
its errors are translated into messages that say what is expected (``'12.0' is not an
integer: write 12``; ``unknown study 'X' (not in studies.csv)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frictionless import Package, Resource, Schema

from .problems import Problem

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


#: What one row of each table is, for messages about a value not found in it.
NOUNS = {"drugs": "drug", "regimens": "regimen", "studies": "study", "arms": "arm"}


@dataclass
class Read:
    """One table as stage 1 read it: its declared resource, header and rows.

    ``rows`` are ``(spreadsheet_row, cells aligned with header, broken)``; broken rows had
    the wrong number of cells (reported already): their values still count as known for
    foreign keys, but errors found in them are not reported again.
    """

    file: str
    resource: dict
    header: list[str]
    rows: list[tuple[int, list[str], bool]]


def _descriptor(name: str, read: Read, available: dict[str, list[str]]) -> dict:
    """The schema reduced to the columns the file has; foreign keys to available tables."""
    schema = read.resource["schema"]
    fields = {f["name"]: f for f in schema["fields"]}
    order = [f["name"] for f in schema["fields"] if f["name"] in read.header]
    descriptor: dict = {"fields": [fields[column] for column in order]}
    if "missingValues" in schema:
        descriptor["missingValues"] = schema["missingValues"]
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else list(key)
    if key and all(k in order for k in key):
        descriptor["primaryKey"] = key
    keys = []
    for fk in schema.get("foreignKeys", []):
        target = fk["reference"]["resource"] or name
        columns = [fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"]
        ref_columns = fk["reference"]["fields"]
        ref_columns = [ref_columns] if isinstance(ref_columns, str) else ref_columns
        if all(c in order for c in columns) and all(
            c in available.get(target, []) for c in ref_columns
        ):
            keys.append(fk)
    if keys:
        descriptor["foreignKeys"] = keys
    return descriptor


def check_schemas(reads: dict[str, Read]) -> tuple[list[Problem], dict[str, set]]:
    """Validate every table against its schema, foreign keys included, with frictionless.

    Parameters
    ----------
    reads : dict
        Resource name -> :class:`Read`, for every table stage 1 could read.

    Returns
    -------
    problems : list of Problem
        Translated frictionless errors (none for rows stage 1 reported as broken).
    invalid : dict
        Resource name -> ``(row, column)`` cells with a wrong type or value (the rules of
        stage 3 skip them).
    """
    available = {}
    for name, read in reads.items():
        declared = [f["name"] for f in read.resource["schema"]["fields"]]
        available[name] = [c for c in declared if c in read.header]
    resources, context = [], {}
    for name, read in reads.items():
        descriptor = _descriptor(name, read, available)
        order = [f["name"] for f in descriptor["fields"]]
        position = {column: read.header.index(column) for column in order}
        data = [order] + [[cells[position[c]] for c in order] for _, cells, _ in read.rows]
        resources.append(Resource(name=name, data=data, schema=Schema.from_descriptor(descriptor)))
        context[name] = (read, descriptor, order, data)
    report = Package(resources=resources).validate(limit_errors=10**9)
    problems: list[Problem] = []
    invalid: dict[str, set] = {name: set() for name in reads}
    for task in report.tasks:
        read, descriptor, order, data = context[task.name]
        fields = {f["name"]: f for f in descriptor["fields"]}
        key = descriptor.get("primaryKey", [])
        rows = read.rows

        def where(row_number: int, rows=rows) -> tuple[int, bool]:
            # frictionless numbers the inline rows 2, 3, ...; map back to the file's rows
            number, _, broken = rows[row_number - 2]
            return number, broken

        for error in task.errors:
            kind = error.type
            row_number = getattr(error, "row_number", None)
            if row_number is None:
                problems.append(Problem(read.file, None, None, error.message))
                continue
            row, broken = where(row_number)
            if broken:
                continue
            name = getattr(error, "field_name", None)
            cell = getattr(error, "cell", None)
            first = _POSITION.search(getattr(error, "note", "") or "")
            first_row = where(int(first.group(1)))[0] if first else None
            if kind == "type-error":
                message = _type_message(fields[name], cell)
                invalid[task.name].add((row, name))
            elif kind == "constraint-error":
                message = _constraint_message(fields[name], cell, error.note)
                invalid[task.name].add((row, name))
            elif kind == "unique-error":
                message = f"duplicate {name} {cell!r} (first at row {first_row})"
            elif kind == "primary-key":
                if len(key) == 1 and fields[key[0]].get("constraints", {}).get("unique"):
                    continue  # already reported as a unique-error
                values = data[row_number - 1]
                shown = ", ".join(f"{k}={values[order.index(k)]!r}" for k in key)
                message = f"duplicate row for {shown} (first at row {first_row})"
                name = key[-1]
            elif kind == "foreign-key":
                name, message = _foreign_key_message(task.name, descriptor, error, reads)
                if message is None:
                    continue
            else:
                message = f"{kind}: {error.note}"
            problems.append(Problem(read.file, row, name, message))
    return problems, invalid


def _foreign_key_message(name: str, descriptor: dict, error, reads: dict[str, Read]):
    """``unknown study 'X' (not in studies.csv)`` for the first column of the broken key.

    ``None`` as the message for a value with stray spaces (its own problem).
    """
    column = error.field_names[0]
    value = error.cells[[f["name"] for f in descriptor["fields"]].index(column)]
    target = next(
        (fk["reference"]["resource"] or name)
        for fk in descriptor["foreignKeys"]
        if (fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]) == error.field_names
    )
    if isinstance(value, str) and value != value.strip():
        return column, None  # reported as stray spaces by the rules; the value may be known
    noun = NOUNS.get(target, "value")
    return column, f"unknown {noun} {value!r} (not in {reads[target].file})"
