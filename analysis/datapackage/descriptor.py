"""``datapackage.json``: read it (schemas given by path resolved) and write it in house style."""

from __future__ import annotations

import json
from pathlib import Path

from .. import paths


def read_descriptor(data_dir: Path | str | None = None) -> dict:
    """The parsed ``datapackage.json`` of ``data_dir`` (default ``data/``), as written."""
    root = Path(data_dir or paths.DATA)
    return json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def resolve_schema(resource: dict, data_dir: Path | str | None = None) -> dict:
    """The resource's Table Schema; a schema given as a path is read from ``data_dir``."""
    schema = resource["schema"]
    if isinstance(schema, str):
        path = Path(data_dir or paths.DATA) / schema
        if not path.is_file():  # a package without its own copy of the shared schemas
            path = paths.DATA / schema
        schema = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _dump(value, indent: int) -> str:
    """JSON with one line per field, constraint or small object (diff-friendly)."""
    pad, inner = " " * indent, " " * (indent + 2)
    if (
        isinstance(value, dict)
        and any(isinstance(v, (dict, list)) and v for v in value.values())
        and not _flat(value)
    ):
        items = [f"{inner}{json.dumps(k)}: {_dump(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if (
        isinstance(value, list)
        and value
        and any(isinstance(v, dict) for v in value)
        and not all(_flat(v) for v in value if isinstance(v, dict))
        or (isinstance(value, list) and len(value) > 1 and all(isinstance(v, dict) for v in value))
    ):
        items = [f"{inner}{_dump(v, indent + 2)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def _flat(value) -> bool:
    """A field or a foreign key: written on one line."""
    return isinstance(value, dict) and (
        "type" in value
        or "reference" in value
        or "title" in value
        and "path" in value
        and "schema" not in value
    )


def write_descriptor(package: dict, data_dir: Path | str | None = None) -> Path:
    """Write ``datapackage.json`` (fields and foreign keys one per line)."""
    path = Path(data_dir or paths.DATA) / "datapackage.json"
    path.write_text(_dump(package, 0) + "\n", encoding="utf-8")
    return path


def vocabulary(resource: str, field: str, data_dir: Path | str | None = None) -> tuple[str, ...]:
    """The allowed values (``enum``) of a field, as ``datapackage.json`` defines them.

    The one definition of a vocabulary such as the outcome codes: code reads it from here
    rather than repeating it.
    """
    for entry in read_descriptor(data_dir)["resources"]:
        if entry["name"] == resource:
            for spec in resolve_schema(entry, data_dir)["fields"]:
                if spec["name"] == field:
                    return tuple(spec["constraints"]["enum"])
    raise KeyError(f"{resource}.{field} has no vocabulary in datapackage.json")


def schema_fields(schema_file: str, data_dir: Path | str | None = None) -> tuple[str, ...]:
    """The field names of a shared schema of ``data/schemas/`` (e.g. a release snapshot's)."""
    return tuple(f["name"] for f in resolve_schema({"schema": schema_file}, data_dir)["fields"])
