"""Safe output of data text: CSV downloads and text placed into MyST / HTML.

Study titles, notes, quotes and citations are *data*, never markup or formulas:

* :func:`write_csv` writes every CSV the site offers for download, after
  :func:`neutralise_formulas` (OWASP "CSV injection": a text cell beginning with
  ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe so a
  spreadsheet shows it as text instead of running it as a formula).
* :func:`escape_text` makes a string inert inside MyST Markdown and HTML: HTML
  special characters become character references and every other ASCII punctuation
  character that Markdown / MyST could read as syntax (roles, directives, fences,
  emphasis, links, tables, math, substitutions) is backslash-escaped.

For tables, prefer ``DataFrame.to_html(escape=True)`` (the pandas default), which
escapes ``&``, ``<`` and ``>`` in every cell; raw HTML output of a notebook cell is
not parsed as MyST, so roles and directives in it stay text.  ``Styler`` does *not*
escape unless told (``Styler.format(escape="html")``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP), plus
#: their full-width forms, which some spreadsheets normalise.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: HTML special characters and their character references (valid in MyST and HTML).
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
#: ASCII punctuation that CommonMark / MyST may treat as syntax; backslash-escaped.
_MARKDOWN = set("\\`*_{}[]()#+-.!|:$~^=@%")


def _neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    A *text* cell (a Python ``str``) beginning with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return (or a full-width ``＝ ＋ － ＠``) gets a leading ``'``, as the
    OWASP CSV-injection guidance recommends. Numbers stored as numbers (``-1.5`` in a
    numeric column, or a ``float`` in an object column) are not text and stay numbers;
    missing values stay missing. The index and column labels are left unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        Any table.

    Returns
    -------
    pandas.DataFrame
        A copy; ``df`` is not modified.
    """
    out = df.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if pd.api.types.is_datetime64_any_dtype(column):
            continue
        if not column.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES)).any():
            continue
        out.isetitem(position, column.map(_neutralise))
    return out


def write_csv(df: pd.DataFrame, path: Path | str, *, index: bool = False) -> Path:
    r"""Write a table for download, formulas neutralised (see :func:`neutralise_formulas`).

    UTF-8 without byte-order mark, ``\n`` line endings, fields quoted when needed.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : path
        Destination file; parent directories are created.
    index : bool
        Write the index as a first column (default no).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = neutralise_formulas(df.reset_index() if index else df)
    safe.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return path


def escape_text(s: object) -> str:
    """Make data text inert in MyST Markdown and HTML.

    HTML special characters (``& < > " '``) become character references, every other
    ASCII punctuation character that MyST / CommonMark may read as syntax is
    backslash-escaped (so ``{glue:text}`x```, ```` ```{code-cell} ````, ``:::``,
    ``[link](url)``, ``*emphasis*``, ``$math$``, ``|table|``, ``{{ subst }}`` come out
    as literal text) and line breaks become spaces (so no block syntax such as a
    heading, list or fence can start a line). The rendered text reads as the input.

    Parameters
    ----------
    s : object
        The text (``None`` and NaN give ``""``; other objects are passed to ``str``).

    Returns
    -------
    str
        Text safe to put in a MyST Markdown paragraph or table cell. For raw HTML
        contexts use :func:`html.escape` instead (backslashes are not special there).
    """
    if s is None or (isinstance(s, float) and s != s):
        return ""
    text = " ".join(str(s).replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    out = []
    for char in text:
        if char in _HTML:
            out.append(_HTML[char])
        elif char in _MARKDOWN:
            out.append("\\" + char)
        elif char == "\t":
            out.append(" ")
        elif ord(char) < 32 or char == "\x7f":
            continue  # other control characters: drop
        else:
            out.append(char)
    return "".join(out)
