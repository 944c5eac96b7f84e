"""Every release readable at its own URL: the version list, page banners, publishing.

A release with ``site = tagged`` in ``data/releases.csv`` is built from its git tag
``v<version>`` (its own sources and data, never newer ones) by ``scripts/build_versions.py``
into a cache folder, and published under ``v/<version>/`` of the site. This module holds
what the current code adds to every published page, old or new, without rebuilding it:

* :func:`banner_html`: which version a page is; on an old version, a link to the same page
  of the latest one and a one-line note of what changed since (from the snapshots that What's
  New compares);
* :func:`versions_table_html`: the version list (chapter ``versions``);
* :func:`publish`: copies the cached releases into a staging site and stamps every page
  with its banner (``python -m analysis.publish.versions SITE ROOT``, run by
  ``scripts/build_book.py`` before it swaps the staging site in).

The banner is inserted into the HTML after the build (:func:`add_banner`) because old
releases were built by code that had no banner: their pages are otherwise left byte for
byte as built.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path

import pandas as pd

from .. import paths
from ..datapackage import load_dataset
from .cite import VERSIONS, chapter_url, citation_metadata, release_status, site_url
from .formatting import label_cells
from .releases import read_releases, read_snapshot
from .whats_new import compare

#: Marks the banner in a page, so that publishing twice replaces it.
_BANNER = re.compile(r'<div class="dtt-version"[^>]*>.*?</div><!-- /dtt-version -->', re.S)
_ARTICLE = re.compile(r'<article class="bd-article"[^>]*>')
#: Inline style: old releases have no stylesheet rule for the banner.
_STYLE = (
    "margin:0 0 1.2rem;padding:.55rem .8rem;border-left:4px solid {colour};"
    "background:rgba(127,127,127,.08);font-size:.9rem;line-height:1.45"
)
_LINK_STYLE = "color:inherit;text-decoration:underline"


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def site_releases(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Releases that have a site of their own (``site == "tagged"``), oldest first."""
    history = read_releases(data_dir)
    return history[history["site"] == "tagged"].reset_index(drop=True)


def build_status(data_dir: Path | str | None = None) -> str:
    """:func:`analysis.publish.cite.release_status` of the data in ``data_dir``."""
    return release_status(load_dataset(data_dir))["status"]


def since_note(version: str, data_dir: Path | str | None = None) -> str:
    """What changed between release ``version`` and the latest release, in one line.

    E.g. ``"Since 2.0.0: 7 studies added, 2 removed; pooled estimates (primary analysis):
    24 moved, 3 new, 1 no longer estimable."``; an empty string for the latest release.
    """
    history = read_releases(data_dir)
    latest = history["version"].iloc[-1]
    if version == latest:
        return ""
    old = read_snapshot(version, data_dir)
    new = read_snapshot(latest, data_dir)
    change = compare(*old, *new, old=version, new=latest)
    kinds = change.changed["change"].value_counts()
    estimates = ", ".join(
        f"{kinds[kind]} {word}"
        for kind, word in (("moved", "moved"), ("added", "new"), ("removed", "no longer estimable"))
        if kind in kinds
    )
    renamed = len(change.renamed)
    studies = (
        f"{len(change.added) - renamed} studies added, {len(change.removed) - renamed} removed"
    )
    studies += f", {renamed} renamed" if renamed else ""
    return (
        f"Since {version}: {studies}; "
        f"pooled estimates (primary analysis): {estimates or 'none changed'}."
    )


def banner_html(
    page: str,
    data_dir: Path | str | None = None,
    *,
    version: str | None = None,
    status: str = "released",
) -> str:
    """The version banner of one page.

    Parameters
    ----------
    page : str
        The page's path in its site (``"safety.html"``, ``"combinations/vdz-ust.html"``).
    version : str, optional
        The release the page belongs to (a page under ``v/<version>/``); None for the
        latest build at the site root.
    status : str
        For the latest build: ``"released"`` (its data are the latest release's) or
        ``"unreleased changes"`` (data changed since; see :func:`analysis.cite_status`).
    """
    history = read_releases(data_dir)
    depth = page.count("/")
    to_root = "../" * depth
    if version is None:
        if history.empty:
            return ""
        last = history.iloc[-1]
        text = (
            f"Version <strong>{_esc(last['version'])}</strong> (released {_esc(last['date'])};"
            f" search to {_esc(last['search_date'])})."
        )
        if status != "released":
            text = (
                f"Built from data that changed after release {_esc(last['version'])}: "
                "not a release, numbers may still change; cite a release."
            )
        text += f' <a href="{to_root}versions.html">All versions</a>.'
        colour = "#1b7837" if status == "released" else "#b35806"
    else:
        row = history[history["version"] == version].iloc[0]
        latest = history["version"].iloc[-1]
        to_site = to_root + "../../"
        text = (
            f"You are reading version <strong>{_esc(version)}</strong> (released "
            f"{_esc(row['date'])}; search to {_esc(row['search_date'])}), kept as it was."
        )
        if version != latest:
            text += (
                f' The latest is <a href="{to_site}{_esc(page)}">version {_esc(latest)}</a>.'
                f" {_esc(since_note(version, data_dir))}"
            )
        cite_url = chapter_url(
            citation_metadata(Path(data_dir or paths.DATA).parent),
            {"version": version, "status": "released"},
            page.removesuffix(".html"),
        )
        text += (
            f" Cite this version by <code>{_esc(cite_url)}</code>."
            f' <a href="{to_site}versions.html">All versions</a>.'
        )
        colour = "#2166ac"
    # Links in the text's colour, underlined: the theme's link blue on the grey banner is
    # below 4.5:1 contrast (old releases have no stylesheet rule for the banner).
    text = re.sub(r'(<a href="[^"]*")', rf'\1 style="{_LINK_STYLE}"', text)
    return (
        f'<div class="dtt-version" role="note" style="{_STYLE.format(colour=colour)}">'
        f"{text}</div><!-- /dtt-version -->"
    )


def add_banner(page_html: str, banner: str) -> str:
    """``page_html`` with ``banner`` at the top of the article (replacing an older one)."""
    page_html = _BANNER.sub("", page_html)
    if not banner:
        return page_html
    match = _ARTICLE.search(page_html)
    if match is None:
        return page_html
    return page_html[: match.end()] + banner + page_html[match.end() :]


#: What an old release's What's New said of the data at its build, and what it says in the
#: archive, whose banner tells what changed later.
_STILL_SAME = "; nothing has changed since."
_THEN_SAME = "; nothing had changed when this version was built (the banner says what has since)."


def archive_fixes(page_html: str, page: str, version: str, base_url: str) -> str:
    """An old release's page as published under ``v/<version>/``, links mended.

    Pages built before the release had its own address name the unversioned site in their
    cite block and BibTeX: every ``base_url`` link not already under ``v/`` is pointed at
    the release's own copy. The version list's relative links (``v/X.Y.Z/...``) are made
    to resolve from inside ``v/<version>/``. "Nothing has changed since" becomes past tense
    (the banner says what changed after the release).

    Parameters
    ----------
    page_html : str
        The page as built by the release's code.
    page : str
        Its path in the release's site (``"versions.html"``).
    version : str
        The release.
    base_url : str
        The site's base URL, with a trailing slash (:func:`analysis.publish.cite.site_url`).
    """
    own = f"{base_url}{VERSIONS}/{version}/"
    page_html = re.sub(re.escape(base_url) + f"(?!{VERSIONS}/)", own, page_html)
    to_site = "../" * page.count("/") + "../../"
    page_html = re.sub(
        r'href="' + VERSIONS + r"/(\d+\.\d+\.\d+)/", rf'href="{to_site}{VERSIONS}/\1/', page_html
    )
    return page_html.replace(_STILL_SAME, _THEN_SAME)


def _stamp(site: Path, data_dir: Path, *, version: str | None, status: str) -> int:
    base_url = site_url(citation_metadata(Path(data_dir).parent)) if version else ""
    count = 0
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith(f"{VERSIONS}/") or rel.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        if version is not None:
            text = archive_fixes(text, rel, version, base_url)
        banner = banner_html(rel, data_dir, version=version, status=status)
        path.write_text(add_banner(text, banner), encoding="utf-8")
        count += 1
    return count


def publish(site: Path | str, root: Path | str | None = None, cache: Path | None = None) -> None:
    """Stamp the latest build in ``site`` and add every cached release under ``v/``.

    ``cache`` (default ``book/_build/versions``) holds one built site per release, made by
    ``scripts/build_versions.py``; releases not built there are left out (the version list
    says so). Only ``site`` is written: call it on a staging copy.
    """
    site, root = Path(site), Path(root or paths.ROOT)
    data_dir = root / "data"
    cache = Path(cache or root / "book" / "_build" / "versions")
    _stamp(site, data_dir, version=None, status=build_status(data_dir))
    target = site / VERSIONS
    if target.exists():
        shutil.rmtree(target)
    for version in site_releases(data_dir)["version"]:
        built = cache / version
        if not (built / "index.html").exists():
            continue
        shutil.copytree(built, target / version)
        _stamp(target / version, data_dir, version=version, status="released")


def versions_table_html(data_dir: Path | str | None = None, *, built=None) -> str:
    """The version list: every release, newest first, with where to read it.

    ``built`` (versions whose site exists) defaults to every release with
    ``site == "tagged"``; a release without a site says so.
    """
    history = read_releases(data_dir).iloc[::-1]
    status = build_status(data_dir)
    tagged = set(site_releases(data_dir)["version"]) if built is None else set(built)
    latest = history["version"].iloc[0] if len(history) else None
    rows = []
    for row in history.itertuples(index=False):
        if row.version in tagged:
            link = (
                f'<a class="reference external" href="{VERSIONS}/{_esc(row.version)}/intro.html">'
            )
            read = link + f"{VERSIONS}/{_esc(row.version)}/</a>"
        else:
            read = "no site of its own: results snapshot only"
        if row.version == latest and status == "released":
            read += (
                ' (the latest: also <a class="reference internal" href="intro.html">this site</a>)'
            )
        elif row.version == latest:
            read += " (the latest release; this site shows a newer build, not yet released)"
        rows.append(
            f"<tr><td>{_esc(row.version)}</td><td>{_esc(row.date)}</td>"
            f"<td>{_esc(row.search_date)}</td><td>{_esc(row.change.upper())}</td>"
            f"<td>{read}</td><td>{_esc(row.summary)}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Version", "Released", "Search to", "Change", "Read it at", "What it is")
    )
    table = (
        '<table class="table dtt-table dtt-versions dtt-cards dtt-fit">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    columns = ("Version", "Released", "Search to", "Change", "Read it at", "What it is")
    return (
        '<div class="dtt-scroll dtt-cards-box full-width" tabindex="0" role="region" '
        f'aria-label="Versions">{label_cells(table, columns)}</div>'
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.publish.versions SITE [ROOT]``: :func:`publish`."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m analysis.publish.versions SITE [ROOT]", file=sys.stderr)
        return 2
    publish(Path(argv[0]), Path(argv[1]) if len(argv) > 1 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
