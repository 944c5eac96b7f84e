"""Check every internal link and anchor of a built site, without a browser.

:func:`broken_links` reads every HTML page under a site folder (the latest build and every
release under ``v/``), collects each page's ids, and checks each ``href`` and ``src`` that
stays inside the site: the file must exist and a fragment must name an id of the page it
points to. External links (another host, ``mailto:``) are not fetched. A site built without
its releases (no ``v/`` folder: ``make book`` without ``make versions``) is not faulted for
its links into ``v/``.
"""

from __future__ import annotations

import html
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    """The ids and the links (``href``/``src``) of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        if tag in ("a", "link", "area") and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script", "source", "iframe") and attrs.get("src"):
            self.links.append(attrs["src"])


@cache
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def missing_target(site: Path, target: Path, fragment: str = "", *, unbuilt=()) -> str | None:
    """What is missing for a link to ``target`` (a resolved path) and ``fragment`` in ``site``.

    Returns ``"outside the site"``, ``"no file"`` or ``"no anchor"`` (the HTML page has no
    such ``id``, nor an ``<a name>``), or None when the link resolves, or points into a
    release under ``v/`` that ``site`` does not hold (no ``v/`` at all: ``make book`` without
    ``make versions``; or a version of ``unbuilt``).
    """
    site = Path(site).resolve()
    if target.is_dir():
        target = target / "index.html"
    if site not in target.parents and target != site:
        return "outside the site"
    head = target.relative_to(site).parts[:2]
    if head[:1] == ("v",) and (not (site / "v").is_dir() or head[1:] and head[1] in set(unbuilt)):
        return None  # releases are published by `make versions` (tests/test_versions.py)
    if not target.is_file():
        return "no file"
    if fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
        return "no anchor"
    return None


def unbuilt_releases(site: Path, data_dir: Path) -> set[str]:
    """Releases of ``data_dir``'s history (``releases.csv``) with no site under ``site/v/``
    (a test repository holds the tags of its own releases only)."""
    from analysis.publish.releases import read_releases

    built = {p.parent.name for p in Path(site).glob("v/*/index.html")}
    return set(read_releases(data_dir)["version"]) - built


def broken_links(site: Path | str, *, unbuilt=()) -> list[str]:
    """Every internal link of ``site`` whose file or anchor is missing (``"page: link"``).

    Parameters
    ----------
    site : Path or str
        A built site (``book/_build/html``).
    unbuilt : iterable of str
        Release versions this site does not hold (a test repository without their tags):
        links into ``v/<version>/`` are not checked.

    Returns
    -------
    list of str
        ``"<page>: <link> (no file)"`` or ``"<page>: <link> (no anchor)"``; empty if every
        internal link resolves.
    """
    site = Path(site).resolve()
    _parse.cache_clear()
    problems = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        if rel.startswith("_") or "/_" in rel:  # sources, static assets, theme templates
            continue
        for link in _parse(page).links:
            link = html.unescape(link)
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:")):
                continue
            if not parts.path and not parts.fragment:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            problem = missing_target(site, target, unquote(parts.fragment), unbuilt=unbuilt)
            if problem:
                problems.append(f"{rel}: {link} ({problem})")
    return problems


if __name__ == "__main__":
    import sys

    found = broken_links(sys.argv[1] if len(sys.argv) > 1 else "book/_build/html")
    print("\n".join(found) or "every internal link resolves")
    sys.exit(1 if found else 0)
