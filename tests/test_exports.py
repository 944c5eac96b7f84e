"""Hostile data text stays data: CSV downloads, MyST / HTML output."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from analysis.publish.exports import escape_text, neutralise_formulas, write_csv

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
]


# --- CSV injection -------------------------------------------------------------------


def test_formula_cells_get_an_apostrophe():
    df = pd.DataFrame({"text": HOSTILE + ["plain", "a=b", "", None]})
    out = neutralise_formulas(df)["text"].tolist()
    assert out[: len(HOSTILE)] == ["'" + s for s in HOSTILE]
    assert out[len(HOSTILE) : -1] == ["plain", "a=b", ""]
    assert pd.isna(out[-1])


def test_numbers_stay_numbers():
    df = pd.DataFrame(
        {
            "estimate": [-1.5, 2.0, np.nan],
            "count": pd.array([-3, 4, None], dtype="Int64"),
            "n": [-1, 0, 1],
            "flag": [True, False, True],
            "mixed": pd.Series([-2, "-2", 3.5], dtype=object),
        }
    )
    out = neutralise_formulas(df)
    pd.testing.assert_frame_equal(out.drop(columns="mixed"), df.drop(columns="mixed"))
    assert out["mixed"].tolist() == [-2, "'-2", 3.5]  # only the text cell changes
    assert out.dtypes.equals(df.dtypes)


def test_neutralise_does_not_modify_its_input():
    df = pd.DataFrame({"t": ["=1"]})
    neutralise_formulas(df)
    assert df["t"].tolist() == ["=1"]


def test_write_csv_round_trip(tmp_path):
    df = pd.DataFrame(
        {
            "study": ["Yang2020", "=cmd|' /C calc'!A0"],
            "notes": ['line 1\nline 2, "quoted"', "@evil"],
            "estimate": [-0.5, 12.25],
            "events": [3, 4],
        }
    )
    path = write_csv(df, tmp_path / "sub" / "table.csv")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["study", "notes", "estimate", "events"]
    assert rows[1] == ["Yang2020", 'line 1\nline 2, "quoted"', "-0.5", "3"]
    assert rows[2] == ["'=cmd|' /C calc'!A0", "'@evil", "12.25", "4"]


def test_write_csv_index_is_neutralised_too(tmp_path):
    df = pd.DataFrame({"x": [1]}, index=pd.Index(["=1+1"], name="label"))
    path = write_csv(df, tmp_path / "t.csv", index=True)
    assert path.read_text(encoding="utf-8").splitlines() == ["label,x", "'=1+1,1"]


# --- MyST / HTML ---------------------------------------------------------------------

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<div>raw <b>HTML</b></div>",
    "{glue:text}`secret`",
    "{eval-rst}`x` and {doc}`intro`",
    "```{code-cell} python\nimport os; os.system('rm -rf /')\n```",
    ":::{note}\nadmonition\n:::",
    "# Heading\n- list item\n1. numbered",
    "[link](javascript:alert(1)) <http://evil.example> https://evil.example",
    "*emphasis* __strong__ ~~strike~~ $x^2$ $$y$$",
    "{{ substitution }} | a | b |",
    "(target)= \\ backslash & ampersand &amp; entity \"quotes\" 'single'",
    "Crohn's disease: 4/12 (33%) patients; p < 0.05 > q",
]


@pytest.fixture(scope="module")
def myst():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    extensions = {
        "amsmath",
        "attrs_inline",
        "colon_fence",
        "deflist",
        "dollarmath",
        "fieldlist",
        "html_admonition",
        "html_image",
        "replacements",
        "smartquotes",
        "strikethrough",
        "substitution",
        "tasklist",
    }
    return create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)


def _tokens(tokens):
    for token in tokens:
        yield token
        yield from _tokens(token.children or [])


@pytest.mark.parametrize("text", ATTACKS)
def test_escape_text_is_inert_in_myst(myst, text):
    escaped = escape_text(text)
    assert "\n" not in escaped and "<" not in escaped and ">" not in escaped
    tokens = list(_tokens(myst.parse(escaped)))
    kinds = {token.type for token in tokens}
    # one paragraph of plain text: no role, directive, fence, HTML, link, math, ...
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text"}, kinds
    rendered = "".join(t.content for t in tokens if t.type == "text")
    assert rendered == " ".join(text.split("\n"))  # reads exactly as the data


def test_escape_text_html_output(myst):
    html = myst.render(escape_text("<script>alert(1)</script> {glue:text}`x`"))
    assert "<script>" not in html
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; {glue:text}`x`</p>\n"


def test_escape_text_missing_values():
    assert escape_text(None) == ""
    assert escape_text(float("nan")) == ""
    assert escape_text(12) == "12"


def test_pandas_to_html_escapes_but_styler_does_not():
    """Document the installed pandas: ``to_html`` escapes by default, ``Styler`` not."""
    df = pd.DataFrame({"title": ["<script>alert(1)</script>", "a & <b>b</b>"]})
    html = df.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert "<b>b</b>" not in df.to_html(escape=True)
    assert "<script>" in df.style.to_html()  # Styler: raw unless told to escape
    assert "<script>" not in df.style.format(escape="html").to_html()
