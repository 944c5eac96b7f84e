"""Sphinx extension: remove two JavaScript console errors of the JB1 theme stack.

1. Sphinx 7.4 lists an inline script registered after ``Builder.init()`` twice (once with
   filename ``None``, once with ``''``), so sphinx-thebe's ``const THEBE_JS_URL = ...``
   runs twice and throws "Identifier 'THEBE_JS_URL' has already been declared" on every
   page. :func:`dedupe_scripts` drops the repeat.
2. pydata-sphinx-theme logs "Got invalid theme mode: . Resetting to auto." on a first
   visit because Jupyter Book leaves ``default_mode`` empty; it is set to ``auto`` (the
   theme's own fallback).
3. sphinx-book-theme hides the page's table of contents while a ``full-width`` element
   (our wide tables) is on screen, and throws "Cannot read properties of null (reading
   'classList')" on a page without sub-sections, which has no such sidebar.
   :data:`SIDEBAR_PLACEHOLDER` adds an empty, hidden one there before the theme looks.

It also serves a DataTables bundle for itables' tables offline (:func:`add_itables`): the
site's own (``book/_ext/dt_bundle/``, DataTables, FixedColumns and jQuery only, 0.23 MB),
vendored with its licenses and regenerated from pinned npm packages by
``scripts/build_dt_bundle.py`` (the book build needs no npm), and links every
figure image to itself, so that a reader can open it at full size (:data:`FIGURE_LINKS`).

For accessibility (axe-core, light and dark, in ``tests/test_browser.py``) and a light page
on a phone, :func:`postprocess_site` rewrites the written pages once the build has finished:
the sidebar's expand toggles get a name, the bibliography's citation list loses a
``role="list"`` whose children are not list items, the theme's 1.45 MB ``fontawesome.js``
is dropped (the icon webfont of the theme's stylesheet draws the same icons), so are the
search index and its language data on every page but the search page while the theme's
search-as-you-type is off (:data:`_SEARCH_DATA`), and figure images get their size and
``loading="lazy"``. :func:`page_assets` loads the DataTables bundle only on pages with an
interactive table and gives every page a description; the scroll boxes of interactive
tables are made focusable (:data:`SCROLL_FOCUS`).

``tests/test_browser.py`` loads every page in Chromium and fails on any console error.
"""

import html
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: What every page is about (its meta description, after the page's title).
DESCRIPTION = (
    "A living systematic review and meta-analysis of dual targeted therapy (two biologics, "
    "or a biologic and a small molecule) in refractory Crohn's disease and ulcerative "
    "colitis: adverse events, response and remission per combination, with the certainty "
    "of each rate."
)

#: Inline script: an empty, hidden secondary sidebar on pages that have none (fix 3).
SIDEBAR_PLACEHOLDER = (
    'document.addEventListener("DOMContentLoaded", () => {'
    ' if (!document.querySelector("div.bd-sidebar-secondary")) {'
    ' const d = document.createElement("div");'
    ' d.className = "bd-sidebar-secondary"; d.style.display = "none";'
    " document.body.appendChild(d); } });"
)


#: Inline script: every figure image opens at full size in a new tab (a phone shows a wide
#: forest plot or flow diagram at column width, too small to read).
FIGURE_LINKS = (
    'document.addEventListener("DOMContentLoaded", () => {'
    ' for (const img of document.querySelectorAll("figure img")) {'
    ' if (img.closest("a")) continue;'
    ' const a = document.createElement("a"); a.href = img.getAttribute("src");'
    ' a.target = "_blank"; a.rel = "noopener"; a.title = "Open the figure at full size";'
    " img.replaceWith(a); a.appendChild(img); } });"
)


#: Inline script: the box in which an interactive table scrolls sideways can be reached and
#: scrolled with the keyboard, and says what it is (DataTables builds it after load).
SCROLL_FOCUS = (
    "(() => { const name = (b) => { b.tabIndex = 0; b.setAttribute('role', 'region');"
    " b.setAttribute('aria-label', 'Table (scrolls sideways)'); };"
    " const run = () => document.querySelectorAll('div.dt-scroll-body:not([tabindex])')"
    ".forEach(name);"
    " document.addEventListener('DOMContentLoaded', () => { run();"
    " new MutationObserver(run).observe(document.body, {childList: true, subtree: true});"
    " }); })();"
)


def dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated scripts (same file or inline body and attributes) from a page."""
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for script in scripts:
            attributes = getattr(script, "attributes", {}) or {}
            key = (
                getattr(script, "filename", str(script)) or "",
                tuple(sorted((k, str(v)) for k, v in attributes.items())),
            )
            if key not in seen:
                seen.add(key)
                unique.append(script)
        context["script_files"] = unique
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


#: The site's own DataTables bundle (DataTables, FixedColumns, jQuery and itables' ``ITable``
#: only), vendored and regenerated by ``scripts/build_dt_bundle.py``: a fifth of itables' own.
DT_BUNDLE = Path(__file__).parent / "dt_bundle"


def dt_bundle_source(version: str) -> Path:
    """The folder to serve ``dt_bundle.js``/``dt_bundle.css`` from, for itables ``version``.

    :data:`DT_BUNDLE` when it was built for that itables (``dt_bundle.json``), else itables'
    own bundle from the installed package (complete but 0.7 MB; ``tests/test_dt_bundle.py``
    fails until the bundle is regenerated).
    """
    import json

    import itables

    manifest = DT_BUNDLE / "dt_bundle.json"
    if manifest.is_file() and json.loads(manifest.read_text("utf-8")).get("itables") == version:
        return DT_BUNDLE
    return Path(itables.__file__).parent / "html"


def add_itables(app):
    """Serve a DataTables bundle for itables' tables, offline.

    Copies ``dt_bundle.js``/``dt_bundle.css`` (:func:`dt_bundle_source`) into a build-time
    static folder and adds a module that imports the bundle and announces it under the name
    the tables glued by ``analysis.publish.glue`` wait for (``window._itables_<version>``;
    they take ``ITable`` and ``jQuery`` from it).
    """
    import shutil

    import itables

    version = itables.__version__.replace(".", "_")
    static = Path(app.doctreedir).parent / "itables_static"
    static.mkdir(parents=True, exist_ok=True)
    source = dt_bundle_source(itables.__version__)
    if source != DT_BUNDLE:
        logger.info(
            "dtt_html_fixes: book/_ext/dt_bundle was not built for itables %s; serving "
            "itables' own bundle (run scripts/build_dt_bundle.py)",
            itables.__version__,
        )
    for name in ("dt_bundle.js", "dt_bundle.css"):
        shutil.copyfile(source / name, static / name)
    (static / "dtt_itables.js").write_text(
        f'window._itables_{version} = import(new URL("dt_bundle.js", import.meta.url).href);\n'
        f"window._itables_{version}.then(() => window.dispatchEvent("
        f'new Event("itables-{itables.__version__}-ready")));\n',
        encoding="utf-8",
    )
    app.config.html_static_path.append(str(static))
    app.add_js_file("dtt_itables.js", type="module")
    app.add_css_file("dt_bundle.css")


def page_assets(app, pagename, templatename, context, doctree):
    """Load itables' bundle only where a page has an interactive table; describe the page.

    A page without one saves the bundle (0.23 MB). The description (``<meta
    name="description">``) is the page's title and :data:`DESCRIPTION`.
    """
    if "itables_" not in (context.get("body") or ""):
        context["script_files"] = [
            js for js in context.get("script_files", []) if "dtt_itables" not in str(js)
        ]
        context["css_files"] = [
            css for css in context.get("css_files", []) if "dt_bundle" not in str(css)
        ]
    title = re.sub(r"<[^>]+>", "", context.get("title") or "").strip()
    home = pagename == app.config.root_doc
    description = f"{title}: {DESCRIPTION}" if title and not home else DESCRIPTION
    context["metatags"] = (
        context.get("metatags", "")
        + f'\n<meta name="description" content="{html.escape(description, quote=True)}" />'
    )


_FONTAWESOME_JS = re.compile(
    r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>'
)
#: pydata-sphinx-theme loads Sphinx's search (``searchtools.js``, ``language_data.js``,
#: ``searchindex.js``) on every page for its search-as-you-type, even when that is off
#: (``DOCUMENTATION_OPTIONS.search_as_you_type = false``): then only the search page
#: searches, and every other page loads the index (0.09 MB and growing) for nothing.
#: ``searchtools.js`` stays (21 kB), so that pages behave as before (Sphinx's highlighting of
#: searched words looks for it).
_SEARCH_DATA = re.compile(
    r'\s*<script src="(?:\.\./)*_static/language_data\.js"></script>'
    r'\s*<script src="(?:\.\./)*searchindex\.js"></script>'
)
_SEARCH_AS_YOU_TYPE_OFF = "DOCUMENTATION_OPTIONS.search_as_you_type = false;"
_TOGGLE = re.compile(
    r'(<a class="[^"]*" href="[^"]*">([^<]*)</a><details(?: open="open")?>)'
    r"<summary>"
)
_CITATION_LIST = '<div role="list" class="citation-list">'
_IMG = re.compile(r'<img (alt="[^"]*" )?src="((?:\.\./)*_images/[^"]+\.svg)" />')
_SVG_SIZE = re.compile(r'<svg[^>]* width="([\d.]+)pt" height="([\d.]+)pt"')


_SVG_FONT = re.compile(r"font-size: ?([\d.]+)px")
#: Smallest text size (CSS px) of a figure on a wide screen and on a phone: a figure shown
#: narrower scrolls sideways in its box instead (``.dtt-figure-scroll`` in ``dtt.css``).
MIN_TEXT_PX = {"wide": 10, "phone": 8}


def _sized_image(match, page: Path) -> str:
    """An SVG figure's ``<img>`` with its size, lazy loading and a box that scrolls.

    The box (focusable, named) lets the image keep the width at which its smallest text
    is :data:`MIN_TEXT_PX` (``--dtt-need``, ``--dtt-need-phone``); it never grows past its
    natural width (``--dtt-natural``) unless its text needs it.
    """
    alt, src = match.group(1) or "", match.group(2)
    try:
        svg = (page.parent / src).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return match.group(0)
    size = _SVG_SIZE.search(svg[:2000])
    if not size:
        return match.group(0)
    width_pt = float(size.group(1))
    width, height = (round(float(v) * 4 / 3) for v in size.groups())
    fonts = [float(f) for f in _SVG_FONT.findall(svg)]  # user units: 1 = 1 pt of the figure
    style = f"--dtt-natural: {width}px"
    if fonts:
        smallest = min(fonts)
        need = {k: round(px * width_pt / smallest) for k, px in MIN_TEXT_PX.items()}
        style += f"; --dtt-need: {need['wide']}px; --dtt-need-phone: {need['phone']}px"
    return (
        '<div class="dtt-figure-scroll" tabindex="0" role="region" '
        'aria-label="Figure (scrolls sideways where the screen is narrow)">'
        f'<img {alt}src="{src}" width="{width}" height="{height}" loading="lazy" '
        f'decoding="async" style="{style}" /></div>'
    )


def postprocess_page(text: str, page: Path) -> str:
    """One written page with the fixes of :func:`postprocess_site` (idempotent)."""
    text = _FONTAWESOME_JS.sub("", text)
    if page.name != "search.html" and _SEARCH_AS_YOU_TYPE_OFF in text:
        text = _SEARCH_DATA.sub("", text)
    text = _TOGGLE.sub(
        lambda m: (
            m.group(1) + f'<summary aria-label="Show or hide the pages under {m.group(2).strip()}">'
        ),
        text,
    )
    text = text.replace(_CITATION_LIST, '<div class="citation-list">')
    return _IMG.sub(lambda m: _sized_image(m, page), text)


def redirect_page(app) -> str:
    """The site's ``index.html``: a redirect to the first page, with a title and favicon.

    A bare redirect makes browsers ask for a missing ``favicon.ico`` (a console error).
    """
    first = f"{app.config.root_doc}.html"
    title = html.escape(str(app.config.html_title or app.config.project or ""), quote=True)
    icon = (
        f'<link rel="icon" href="_static/{Path(app.config.html_favicon).name}" />'
        if app.config.html_favicon
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8" />'
        f'<meta http-equiv="Refresh" content="0; url={first}" /><title>{title}</title>'
        f'{icon}<meta name="description" content="{html.escape(DESCRIPTION, quote=True)}" />'
        f'</head><body><p><a href="{first}">{title}</a></p></body></html>\n'
    )


def postprocess_site(app, exception):
    """Rewrite every written HTML page with :func:`postprocess_page` (after a good build).

    Also writes ``index.html`` (:func:`redirect_page`) where it is missing or a bare
    redirect (sphinx-external-toc's, which then leaves it alone).
    """
    if exception is not None or app.builder.format != "html":
        return
    index = Path(app.outdir) / "index.html"
    if not index.exists() or index.read_text(encoding="utf-8").startswith("<meta http-equiv"):
        index.write_text(redirect_page(app), encoding="utf-8")
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = postprocess_page(text, page)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    """Register the page hooks (after the theme's own), tables and post-processing."""
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("html-page-context", page_assets, priority=901)
    app.connect("builder-inited", add_itables)
    app.connect("build-finished", postprocess_site)
    app.add_js_file(None, body=SIDEBAR_PLACEHOLDER)
    app.add_js_file(None, body=FIGURE_LINKS)
    app.add_js_file(None, body=SCROLL_FOCUS)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
