"""Make every chapter, figure, table and headline number citable.

* :func:`citation_metadata` reads ``CITATION.cff`` (title, authors, site URL): the single
  source of the review's citation metadata.
* :func:`cite_this` renders the "Cite this chapter" block that ends every chapter: release
  version and date, data SHA-256, the chapter URL, BibTeX and plain-text citations, links
  to the downloads, and an index of the chapter's citable items, each a link to a stable
  HTML anchor: figures and tables (their MyST ``:name:`` labels), section targets
  (``(label)=``), headline numbers (``#num-<key>``) and pooled results (``#<result_id>``,
  e.g. ``#ae/VDZ+aTNF/primary``, the id used in ``results.csv``).

All text placed in the block is HTML-escaped (it is data, never markup).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from docutils.nodes import make_id
from IPython.display import HTML

from .. import paths
from ..datapackage import Dataset, load_dataset
from ..review.synthesis import synthesis_table
from .bibliography import latex_escape
from .formatting import fmt_row
from .releases import read_releases

#: Files the site serves under ``downloads/`` (see :mod:`analysis.publish.downloads`).
DOWNLOADS = {
    "results.csv": "every pooled estimate with its certainty (CSV)",
    "results.json": "every pooled estimate (JSON)",
    "pool_inputs.csv": "every study count that enters each pool (to re-run any pool)",
    "datapackage.json": "codebook of the two CSV files (fields, units)",
    "data-package.zip": "the data package (datapackage.json + CSVs, releases, snapshots)",
    "CITATION.cff": "citation metadata",
}


def citation_metadata(root: Path | str | None = None) -> dict:
    """The parsed ``CITATION.cff`` of the repository at ``root`` (default: this one).

    Raises
    ------
    FileNotFoundError
        If the file is missing (the cite blocks cannot be built without it).
    """
    path = Path(root or paths.ROOT) / "CITATION.cff"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def site_url(meta: Mapping) -> str:
    """The published site's base URL, with a trailing slash."""
    return str(meta["url"]).rstrip("/") + "/"


def _authors(meta: Mapping) -> list[str]:
    names = []
    for author in meta["authors"]:
        if "name" in author:
            names.append(str(author["name"]))
        else:
            names.append(
                f"{author.get('family-names', '')}, {author.get('given-names', '')}".strip(", ")
            )
    return names


def chapter_title(chapter: str, book_dir: Path | str | None = None) -> str:
    """The first level-1 heading of ``book/<chapter>.md``."""
    text = (Path(book_dir or paths.BOOK) / f"{chapter}.md").read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, flags=re.M)
    return match.group(1).strip() if match else chapter


def chapter_labels(chapter: str, book_dir: Path | str | None = None) -> list[tuple[str, str]]:
    """Citable labels of a chapter source: ``(kind, label)`` in order of appearance.

    ``kind`` is ``"figure"`` (``:name: fig-...``), ``"table"`` (``:name: tbl-...``),
    ``"item"`` (another ``:name:``) or ``"section"`` (a ``(label)=`` target).
    """
    text = (Path(book_dir or paths.BOOK) / f"{chapter}.md").read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^:name:\s*(\S+)\s*$|^\(([^()\s]+)\)=\s*$", text, flags=re.M):
        name, target = match.groups()
        if target:
            kind = (
                "figure"
                if target.startswith("fig")
                else "table"
                if target.startswith("tbl")
                else "section"
            )
            found.append((kind, target))
        elif name.startswith("fig"):
            found.append(("figure", name))
        elif name.startswith("tbl"):
            found.append(("table", name))
        else:
            found.append(("item", name))
    return found


def anchor_id(label: str) -> str:
    """The HTML id Sphinx gives a label (docutils ``make_id``)."""
    return make_id(label)


#: Folder of the site that holds each release, as ``<site>/v/<version>/``.
VERSIONS = "v"


def chapter_url(meta: Mapping, release: Mapping, chapter: str) -> str:
    """The URL to cite a chapter by.

    The release's own, never-rebuilt copy (``<site>/v/<version>/<chapter>.html``) when the
    data are exactly the latest release's; otherwise the unversioned URL of the latest
    build (whose numbers may change).
    """
    if release.get("status") == "released":
        return site_url(meta) + f"{VERSIONS}/{release['version']}/{chapter}.html"
    return site_url(meta) + f"{chapter}.html"


def release_status(ds: Dataset) -> dict[str, str]:
    """The latest release and whether the current data are exactly that release.

    Returns
    -------
    dict
        ``version``, ``date``, ``search_date`` (empty strings without a release) and
        ``status``: ``"released"`` or ``"unreleased changes"`` (the study-level data differ
        from the latest release's evidence fingerprint) or ``"no release"``.
    """
    history = read_releases(ds.data_dir)
    if history.empty:
        return {"version": "", "date": "", "search_date": "", "status": "no release"}
    last = history.iloc[-1]
    same = last["data_sha256"] == ds.sha256
    return {
        "version": last["version"],
        "date": last["date"],
        "search_date": last["search_date"],
        "status": "released" if same else "unreleased changes",
    }


def cited_version(release: Mapping) -> str:
    """The version a citation names: the release, or ``"unreleased (after X.Y.Z)"``.

    A build whose data differ from the latest release is not that release: a citation must
    not give the release's number to numbers the release does not have.
    """
    if not release.get("version"):
        return "unreleased"
    if release.get("status") == "released":
        return release["version"]
    return f"unreleased (after {release['version']})"


def bibtex_entry(
    chapter: str, title: str, meta: Mapping, release: Mapping, ds: Dataset, url: str
) -> str:
    """A ``@misc`` BibTeX entry for one chapter of one release."""
    version = cited_version(release)
    year = (release["date"] or str(meta.get("date-released", "")))[:4]
    key = re.sub(r"[^A-Za-z0-9]+", "_", f"dtt_living_review_{chapter}_{version}")
    authors = " and ".join("{" + latex_escape(a) + "}" for a in _authors(meta))
    fields = {
        "author": authors,
        "title": "{" + latex_escape(f"{title}. In: {meta['title']}") + "}",
        "year": year,
        "version": latex_escape(version),
        "url": url,
        "note": latex_escape(
            f"Release {version}"
            + (f" of {release['date']}" if release["date"] else "")
            + f"; data SHA-256 {ds.sha256}"
        ),
    }
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@misc{{{key},\n{body}\n}}"


def plain_citation(title: str, meta: Mapping, release: Mapping, ds: Dataset, url: str) -> str:
    """The chapter's citation as one line of plain text."""
    version = cited_version(release)
    year = (release["date"] or "")[:4] or "n.d."
    return (
        f"{', '.join(_authors(meta))} ({year}). {title}. In: {meta['title']}, "
        f"version {version} (data SHA-256 {ds.sha256[:12]}). {url}"
    )


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _results_index(ds: Dataset, results) -> str:
    table = synthesis_table(results, ds.version)
    rows = []
    for _, r in table.iterrows():
        rows.append(
            f'<tr id="{_esc(r.result_id)}"><td><a class="reference internal" '
            f'href="#{_esc(r.result_id)}"><code>{_esc(r.result_id)}</code></a></td>'
            f"<td>{_esc(fmt_row(r))}</td><td>{int(r.k)}</td>"
            f"<td>{int(r.n)}</td></tr>"
        )
    return (
        '<table class="table dtt-cite-results"><thead><tr><th>Result id</th>'
        "<th>Pooled % (95% CI)</th><th>Studies</th><th>Courses</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _facts_index(facts: Mapping[str, object]) -> str:
    rows = "".join(
        f'<tr id="num-{_esc(anchor_id(key))}"><td><a class="reference internal" '
        f'href="#num-{_esc(anchor_id(key))}"><code>{_esc(key)}</code></a></td>'
        f"<td>{_esc(value)}</td></tr>"
        for key, value in facts.items()
    )
    return (
        '<table class="table dtt-cite-numbers"><thead><tr><th>Number</th><th>Value</th>'
        "</tr></thead><tbody>" + rows + "</tbody></table>"
    )


def cite_block(
    chapter: str,
    ds: Dataset | None = None,
    *,
    facts: Mapping | None = None,
    results=(),
    title: str | None = None,
    root: Path | str | None = None,
) -> str:
    """HTML of the "Cite this chapter" block (see :func:`cite_this`)."""
    root = Path(root or paths.ROOT)
    ds = ds or load_dataset()
    meta = citation_metadata(root)
    source = root / "book" / f"{chapter}.md"
    title = title or chapter_title(chapter, root / "book")
    to_root = "../" * chapter.count("/")
    release = release_status(ds)
    url = chapter_url(meta, release, chapter)
    if release["version"]:
        version = (
            f"{release['version']} (released {release['date']}, search to {release['search_date']})"
        )
        if release["status"] != "released":
            version += (
                f"; the data have changed since {release['version']}: unreleased changes, "
                "not citable as a release (the URL below shows whatever the latest build is)"
            )
    else:
        version = "no release yet"
    labels = chapter_labels(chapter, root / "book") if source.exists() else []
    items = "".join(
        f'<li>{_esc(kind)} <a class="reference internal" href="#{_esc(anchor_id(label))}">'
        f"<code>{_esc(label)}</code></a>: <code>{_esc(url)}#{_esc(anchor_id(label))}</code></li>"
        for kind, label in labels
    )
    downloads = "".join(
        f'<li><a class="reference external" href="{to_root}downloads/{_esc(name)}">'
        f"{_esc(name)}</a>: {_esc(what)}</li>"
        for name, what in DOWNLOADS.items()
    )
    parts = [
        f'<div class="admonition note dtt-cite" id="cite-this-{_esc(chapter)}">',
        '<p class="admonition-title">Cite this chapter</p>',
        "<ul>",
        f"<li><strong>Version</strong>: {_esc(version)}</li>",
        f"<li><strong>Data SHA-256</strong>: <code>{_esc(ds.sha256)}</code></li>",
        f'<li><strong>URL</strong>: <a class="reference external" href="{_esc(url)}">'
        f"{_esc(url)}</a></li>",
        "</ul>",
        "<p><strong>Plain text</strong>: "
        f"{_esc(plain_citation(title, meta, release, ds, url))}</p>",
        "<p><strong>BibTeX</strong>:</p>",
        f'<pre class="dtt-bibtex">{_esc(bibtex_entry(chapter, title, meta, release, ds, url))}'
        "</pre>",
        f"<p><strong>Downloads</strong> (this build, data version {_esc(ds.version)}):</p>",
        f"<ul>{downloads}</ul>",
    ]
    if items:
        parts.append(
            "<details><summary>Citable figures, tables and sections "
            f"({len(labels)})</summary><ul>{items}</ul></details>"
        )
    if facts:
        parts.append(
            f"<details><summary>Citable numbers ({len(facts)}): link "
            f"<code>{_esc(url)}#num-&lt;number&gt;</code></summary>"
            f"{_facts_index(facts)}</details>"
        )
    if results:
        parts.append(
            "<details><summary>Citable pooled results: link "
            f"<code>{_esc(url)}#&lt;result id&gt;</code> (ids as in results.csv)"
            f"</summary>{_results_index(ds, results)}</details>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def cite_this(
    chapter: str,
    ds: Dataset | None = None,
    *,
    facts: Mapping | None = None,
    results=(),
    title: str | None = None,
):
    """Display the "Cite this chapter" block (last cell of every chapter, ``remove-input``).

    Parameters
    ----------
    chapter : str
        File stem of the chapter (``"safety"``).
    ds : Dataset, optional
        The data package (loaded if not given).
    facts : mapping, optional
        The numbers the chapter glued (its ``glue_facts`` mapping), each given an anchor
        ``num-<key>`` in the block so a URL can point at it; none if omitted.
    results : iterable of RegimenSynthesis, optional
        The syntheses the chapter reports; each pooled result gets an anchor named by its
        result id (``#ae/VDZ+aTNF/primary``, as in ``results.csv``). Nothing is recomputed.
    title : str, optional
        The chapter's title, for a page generated at build time (no source in ``book/``).

    Returns
    -------
    IPython.display.HTML
    """
    return HTML(cite_block(chapter, ds, facts=facts, results=results, title=title))


def cite_page(page, ds: Dataset | None = None):
    """The "Cite this chapter" block of an :class:`analysis.publish.page.Page`.

    Its facts and results get anchors, as :func:`cite_this` gives them.
    """
    return cite_this(page.name, ds, facts=page.facts, results=page.results, title=page.title)


__all__ = [
    "cite_page",
    "citation_metadata",
    "cite_block",
    "cite_this",
    "chapter_labels",
    "anchor_id",
    "release_status",
    "bibtex_entry",
    "plain_citation",
    "site_url",
    "DOWNLOADS",
]
