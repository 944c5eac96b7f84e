"""Stage 1, plain Python: files, encodings, headers and rows as a spreadsheet leaves them.

Missing or empty files, a UTF-8 byte-order mark, non-UTF-8 bytes, malformed CSV, missing /
unexpected / duplicate / blank column headers, empty rows and ragged rows.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..resources import NONEMPTY_TABLES
from .problems import Problem

_BOM = b"\xef\xbb\xbf"


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


def read_csv(
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
