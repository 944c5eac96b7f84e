"""The data validator: a valid base passes; each malformed case is rejected exactly."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.__main__ import main
from analysis.datapackage.validate import (
    RULES,
    DataValidationError,
    Problem,
    check_data_dir,
    validate_data_dir,
)

CORPUS = Path(__file__).parent / "bad_data"
BASE = CORPUS / "_base"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))


# --- building a case ---------------------------------------------------------------


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _apply(root: Path, op: str, arg: dict) -> None:
    path = root / arg["file"]
    if op == "set":
        rows = _rows(path)
        rows[arg["row"] - 1][rows[0].index(arg["column"])] = str(arg["value"])
        _write_rows(path, rows)
    elif op == "replace":
        text = path.read_text(encoding="utf-8")
        assert arg["old"] in text, arg
        path.write_text(text.replace(arg["old"], arg["new"], 1), encoding="utf-8")
    elif op == "replace_all":
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(arg["old"], arg["new"]), encoding="utf-8")
    elif op == "append":
        path.write_text(path.read_text(encoding="utf-8") + arg["text"], encoding="utf-8")
    elif op == "append_lines":
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("".join(line + arg["text"] + "\n" for line in lines), encoding="utf-8")
    elif op == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(arg["text"], encoding="utf-8")
    elif op == "delete":
        path.unlink()
    elif op == "drop_column":
        rows = _rows(path)
        index = rows[0].index(arg["column"])
        _write_rows(path, [r[:index] + r[index + 1 :] for r in rows])
    elif op == "add_column":
        rows = _rows(path)
        _write_rows(path, [rows[0] + [arg["column"]]] + [r + [arg["value"]] for r in rows[1:]])
    elif op == "duplicate_row":
        rows = _rows(path)
        _write_rows(path, rows + [rows[arg["row"] - 1]])
    elif op == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    elif op == "encode":
        path.write_bytes(path.read_text(encoding="utf-8").encode(arg["encoding"]))
    else:
        raise ValueError(f"unknown operation {op!r}")


def make_base(dest: Path) -> Path:
    """Copy the valid base dataset (with the current schema) to ``dest``."""
    shutil.copytree(BASE, dest)
    shutil.copy2(paths.DATA / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(paths.DATA / "schemas", dest / "schemas")
    return dest


def make_case(dest: Path, name: str) -> Path:
    root = make_base(dest)
    for step in CASES[name]["ops"]:
        ((op, arg),) = step.items()
        _apply(root, op, arg)
    return root


@pytest.fixture
def base(tmp_path):
    return make_base(tmp_path / "data")


# --- the corpus ----------------------------------------------------------------------


def test_base_is_valid(base):
    assert validate_data_dir(base) == []
    check_data_dir(base)  # does not raise


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_case_is_rejected_with_its_message(tmp_path, name):
    root = make_case(tmp_path / "data", name)
    got = [str(p) for p in validate_data_dir(root)]
    assert got == CASES[name]["expect"]


def test_corpus_cases_cover_the_required_defects():
    required = {
        "missing_column",
        "extra_column",
        "wrong_type",
        "negative_count",
        "non_integer_count",
        "events_over_total",
        "total_over_arm_trials",
        "total_over_arm_patients",
        "duplicate_drug",
        "duplicate_study",
        "unknown_study",
        "unknown_arm",
        "unknown_drug",
        "regimen_not_matching_agents",
        "mixed_arm_with_agent",
        "mixed_arm_without_regimens",
        "outcome_outside_vocabulary",
        "outcome_without_source",
        "arm_without_locator",
        "doi_with_prefix",
        "pmid_with_prefix",
        "empty_file",
        "utf8_bom",
        "not_utf8",
        "trailing_empty_rows",
        "trailing_empty_columns",
        "excel_float",
        "thousands_separator",
        "two_analysed_rows",
        "overlaps_unknown_study",
        "published_unknown_regimen",
        "undeclared_file",
        "snapshot_duplicate_row",
        "release_unknown_change",
        "override_unknown_regimen",
        "prisma_unknown_stage",
    }
    assert required <= set(CASES)


# --- behaviour -----------------------------------------------------------------------


def test_every_problem_is_reported_at_once(tmp_path):
    root = make_base(tmp_path / "data")
    for name in ("unknown_drug", "events_over_total", "doi_with_prefix", "utf8_bom"):
        for step in CASES[name]["ops"]:
            ((op, arg),) = step.items()
            _apply(root, op, arg)
    got = [str(p) for p in validate_data_dir(root)]
    # file order (drugs, regimens, studies, arms, outcomes, published), then row order
    assert got == [
        CASES["utf8_bom"]["expect"][0],
        CASES["doi_with_prefix"]["expect"][0],
        CASES["unknown_drug"]["expect"][0],
        CASES["events_over_total"]["expect"][0],
    ]


def test_check_data_dir_raises_with_every_problem(tmp_path):
    root = make_case(tmp_path / "data", "regimen_not_matching_agents")
    _apply(root, "set", {"file": "outcomes.csv", "row": 3, "column": "events", "value": "12"})
    with pytest.raises(DataValidationError) as info:
        check_data_dir(root)
    error = info.value
    assert isinstance(error, ValueError)
    assert [str(p) for p in error.problems] == (
        CASES["regimen_not_matching_agents"]["expect"] + CASES["events_over_total"]["expect"]
    )
    assert all(str(p) in str(error) for p in error.problems)
    assert str(error).startswith("2 problems in the data package")


def test_problem_is_a_small_frozen_dataclass():
    problem = Problem("outcomes.csv", 14, "events", "12 events > total 10")
    assert str(problem) == "outcomes.csv:14:events: 12 events > total 10"
    assert str(Problem("drugs.csv", None, None, "missing file")) == "drugs.csv: missing file"
    assert str(Problem("arms.csv", 3, None, "empty row")) == "arms.csv:3: empty row"
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.row = 2
    assert [f.name for f in dataclasses.fields(Problem)] == ["file", "row", "column", "message"]


def test_rules_read_as_a_named_list():
    assert len(RULES) >= 10
    assert all(rule.name and callable(rule.check) for rule in RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_a_missing_table_does_not_cascade(tmp_path):
    root = make_case(tmp_path / "data", "missing_file")  # no regimens.csv
    _apply(root, "delete", {"file": "drugs.csv"})
    assert [str(p) for p in validate_data_dir(root)] == [
        "drugs.csv: missing file (the 'drugs' table)",
        "regimens.csv: missing file (the 'regimens' table)",
    ]


def test_missing_datapackage_and_directory(tmp_path):
    root = make_base(tmp_path / "data")
    (root / "datapackage.json").unlink()
    assert [str(p) for p in validate_data_dir(root)] == ["datapackage.json: missing file"]
    assert len(validate_data_dir(tmp_path / "nowhere")) == 1


def test_many_trailing_empty_rows_are_one_problem(tmp_path):
    root = make_base(tmp_path / "data")
    _apply(root, "append", {"file": "outcomes.csv", "text": ",,,,,,,,,,\n" * 300})
    assert [str(p) for p in validate_data_dir(root)] == [
        "outcomes.csv:8: empty rows 8-307 (spreadsheet artefact?): delete them"
    ]


def test_multiline_cell_counts_as_one_spreadsheet_row(tmp_path):
    root = make_base(tmp_path / "data")
    _apply(root, "set", {"file": "arms.csv", "row": 2, "column": "notes", "value": "a\nb\nc"})
    _apply(root, "set", {"file": "arms.csv", "row": 3, "column": "agent_a", "value": "x"})
    assert [str(p) for p in validate_data_dir(root)] == [
        "arms.csv:3:agent_a: unknown drug 'x' (not in drugs.csv)"
    ]


def test_column_order_does_not_matter(tmp_path):
    root = make_base(tmp_path / "data")
    rows = _rows(root / "drugs.csv")
    _write_rows(root / "drugs.csv", [list(reversed(r)) for r in rows])
    assert validate_data_dir(root) == []


def test_load_dataset_validates(tmp_path):
    from analysis.datapackage.load import load_dataset

    good = make_base(tmp_path / "good")
    dataset = load_dataset(good)
    assert len(dataset.outcomes) == 6
    bad = make_case(tmp_path / "bad", "unknown_arm")
    with pytest.raises(DataValidationError, match="unknown arm"):
        load_dataset(bad)


# --- command line --------------------------------------------------------------------


def test_cli_ok(base, capsys):
    assert main(["validate", str(base)]) == 0
    out, err = capsys.readouterr()
    assert out == "OK: 3 studies, 4 arms, 6 outcome rows\n"
    assert err == ""


def test_cli_reports_problems_and_fails(tmp_path, capsys):
    root = make_case(tmp_path / "data", "events_over_total")
    assert main(["validate", str(root)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == CASES["events_over_total"]["expect"][0]
    assert lines[-1].startswith("1 problem in ")


def test_cli_usage_error():
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_windows_line_endings_are_accepted(tmp_path):
    root = make_base(tmp_path / "data")
    for path in root.glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert validate_data_dir(root) == []


def test_other_resources_of_the_package_are_checked_against_their_schema(tmp_path):
    import json

    root = make_base(tmp_path / "data")
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"].append(
        {
            "name": "releases",
            "path": "releases.csv",
            "schema": {
                "fields": [
                    {"name": "version", "type": "string"},
                    {"name": "studies", "type": "integer"},
                ]
            },
        }
    )
    (root / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (root / "releases.csv").write_text("version,studies\nv1,3\nv2,x\n", encoding="utf-8")
    assert [str(p) for p in validate_data_dir(root)] == [
        "releases.csv:3:studies: 'x' is not an integer"
    ]
