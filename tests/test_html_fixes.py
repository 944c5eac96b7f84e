"""Rewrites of the written pages by ``book/_ext/dtt_html_fixes.py`` (no build, no browser)."""

from __future__ import annotations

from pathlib import Path

from conftest import load_script

from analysis import paths


def _fixes():
    return load_script(paths.ROOT / "book" / "_ext" / "dtt_html_fixes.py")


HEAD = """<script>DOCUMENTATION_OPTIONS.search_as_you_type = {on};</script>
    <script src="{up}_static/searchtools.js"></script>
    <script src="{up}_static/language_data.js"></script>
    <script src="{up}searchindex.js"></script>
"""


def test_search_index_only_where_something_searches():
    fixes = _fixes()
    page = fixes.postprocess_page(HEAD.format(on="false", up="../"), Path("combinations/a.html"))
    assert "searchindex.js" not in page and "language_data.js" not in page
    assert "_static/searchtools.js" in page  # kept: Sphinx's search highlighting checks it
    assert fixes.postprocess_page(page, Path("combinations/a.html")) == page  # idempotent
    search = HEAD.format(on="false", up="")
    assert fixes.postprocess_page(search, Path("search.html")) == search
    as_you_type = HEAD.format(on="true", up="")
    assert fixes.postprocess_page(as_you_type, Path("intro.html")) == as_you_type
