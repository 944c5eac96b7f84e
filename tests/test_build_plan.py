"""Unit tests of the build planner (which inputs force which kind of rebuild)."""

import json

import pytest
from conftest import build_book

BASE = {"data": "d1", "code": "c1", "config": "f1", "chapters": {"book/a.md": "a1"}}


def changed(**parts):
    return json.loads(json.dumps(BASE)) | parts


@pytest.mark.parametrize(
    "current, site, expected",
    [
        (BASE, True, "noop"),
        (BASE, False, "clean"),  # site deleted
        (changed(data="d2"), True, "clean"),  # a CSV changed
        (changed(code="c2"), True, "clean"),  # analysis/ changed
        (changed(config="f2"), True, "clean"),  # _toc.yml / _config.yml
        (changed(chapters={"book/a.md": "a2"}), True, "incremental"),
    ],
)
def test_plan(current, site, expected):
    assert build_book.plan(BASE, current, site) == expected


def test_no_previous_build_is_clean():
    assert build_book.plan(None, BASE, True) == "clean"


def test_fingerprint_sees_every_data_file(tmp_path):
    for folder in ("data", "analysis", "book", "scripts"):
        (tmp_path / folder).mkdir()
    (tmp_path / "data" / "outcomes.csv").write_text("a,b\n1,2\n")
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    (tmp_path / "book" / "_toc.yml").write_text("root: intro\n")
    before = build_book.fingerprint(tmp_path)
    (tmp_path / "data" / "outcomes.csv").write_text("a,b\n1,3\n")
    after = build_book.fingerprint(tmp_path)
    assert before["data"] != after["data"]
    assert before["chapters"] == after["chapters"] and before["config"] == after["config"]
    (tmp_path / "data" / "new.csv").write_text("x\n")
    assert build_book.fingerprint(tmp_path)["data"] != after["data"]


def test_build_outputs_do_not_count_as_inputs(tmp_path):
    for folder in ("data", "analysis", "book", "scripts"):
        (tmp_path / folder).mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    before = build_book.fingerprint(tmp_path)
    (tmp_path / "book" / "_build" / "html").mkdir(parents=True)
    (tmp_path / "book" / "_build" / "html" / "intro.html").write_text("<html/>")
    assert build_book.fingerprint(tmp_path) == before
    # pages a stock `jupyter-book build book` generated (book/_ext/dtt_generated_pages.py)
    (tmp_path / "book" / "combinations").mkdir()
    (tmp_path / "book" / "combinations" / "a-b.md").write_text("# A+B\n")
    assert build_book.fingerprint(tmp_path) == before
    (tmp_path / "book" / "_static" / "combinations").mkdir(parents=True)
    (tmp_path / "book" / "_static" / "combinations" / "x.css").write_text("a {}")
    assert build_book.fingerprint(tmp_path)["config"] != before["config"]  # only that folder
