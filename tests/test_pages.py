"""Pages as objects: every chapter is one cell that glues its page, built in one module."""

import os
import re

import pytest

import analysis as an
from analysis import paths
from analysis.publish.chapters import PAGES
from analysis.publish.page import Page, Table

BOOK = paths.ROOT / "book"
CELL = re.compile(r"```\{code-cell\} ipython3\n:tags: \[[^\]]*\]\n(.*?)```", re.S)
#: Keys a chapter's MyST text pastes: {glue:text}`key`, {glue:md}`key`, ```{glue:figure} key.
PASTED = re.compile(r"\{glue(?::\w*)?\}`(\w+)`|```\{glue(?::\w*)?\} (\w+)")


@pytest.fixture(scope="module")
def real_dataset():
    return an.load_dataset()


def _chapters():
    return {
        p.stem: p.read_text(encoding="utf-8")
        for p in BOOK.glob("*.md")
        if CELL.search(p.read_text())
    }


def _pasted(text: str) -> set[str]:
    return {a or b for a, b in PASTED.findall(text)}


def _keys(page: Page) -> set[str]:
    return (
        set(page.facts) | set(page.tables) | set(page.figures) | set(page.html) | set(page.markdown)
    )


def test_every_executed_chapter_has_a_page_and_every_page_a_chapter():
    assert set(PAGES) == set(_chapters())


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_chapter_is_one_cell_that_glues_its_page_and_one_that_cites_it(name):
    cells = [c.strip() for c in CELL.findall((BOOK / f"{name}.md").read_text(encoding="utf-8"))]
    assert cells == [
        f'import analysis as an\n\nds = an.load_dataset()\npage = an.page("{name}", ds)\n'
        "an.glue_page(page)",
        "an.cite_page(page, ds)",
    ]


def test_an_unknown_page_is_refused_with_the_names():
    with pytest.raises(KeyError, match="pages: intro, methods"):
        an.page("nonexistent", None)


@pytest.mark.parametrize(
    "name", ["bibliography", "certainty", "methods", "selection", "subgroups", "versions"]
)
def test_what_a_chapter_pastes_its_page_provides(name, real_dataset):
    page = an.page(name, real_dataset)
    assert page.name == name
    missing = _pasted((BOOK / f"{name}.md").read_text(encoding="utf-8")) - _keys(page)
    assert not missing, f"{name}.md pastes keys its page does not have: {sorted(missing)}"
    assert all(isinstance(t, Table) for t in page.tables.values())


def test_the_pasted_keys_are_found_in_a_chapter():
    # the pattern above must see every kind of paste, or the test before could not fail
    text = "{glue:text}`a` and {glue:md}`b`\n```{glue:figure} c\n```\n```{glue:} d\n```"
    assert _pasted(text) == {"a", "b", "c", "d"}


def test_a_combination_page_is_a_page_named_by_its_path(real_dataset):
    regimen = an.combinations(real_dataset)[0]
    page = an.combination_page(real_dataset, regimen)
    assert isinstance(page, Page)
    assert page.name.startswith("combinations/") and page.title.startswith(regimen)
    assert {"glance_table", "studies_table"} <= set(page.tables)
    assert all(not t.interactive and t.wide and t.fit for t in page.tables.values())


def test_combination_pages_are_rewritten_only_when_changed_and_stale_ones_removed(
    real_dataset, tmp_path
):
    from analysis.publish.chapters.combinations import write_combination_pages

    stale = tmp_path / "a-combination-no-longer-in-the-data.md"
    stale.write_text("old page")
    other = tmp_path / "notes.txt"
    other.write_text("not a page")
    first = write_combination_pages(real_dataset, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.md")) == sorted(p.name for p in first)
    assert len(first) == len(an.combinations(real_dataset))
    assert not stale.exists() and other.exists()

    kept, changed = first[0], first[1]
    changed.write_text("edited by hand")
    os.utime(kept, ns=(1, 1))  # an old time stamp: rewriting would renew it
    second = write_combination_pages(real_dataset, tmp_path)
    assert second == first
    assert kept.stat().st_mtime_ns == 1
    assert changed.read_text() != "edited by hand"


def test_the_studies_table_shows_words_not_data_codes(real_dataset):
    table = an.studies_table(real_dataset)
    for column in ("Design", "Report", "Population", "Disease"):
        coded = table.loc[table[column].str.contains("_"), column].tolist()
        assert coded == [], f"{column}: {coded}"
