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

It also serves itables' DataTables bundle offline (:func:`add_itables`) and links every
figure image to itself, so that a reader can open it at full size (:data:`FIGURE_LINKS`).

``tests/test_browser.py`` loads every page in Chromium and fails on any console error.
"""

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


def add_itables(app):
    """Serve the DataTables bundle that ships with the installed itables package, offline.

    Copies ``dt_bundle.js``/``dt_bundle.css`` from the package into a build-time static
    folder and adds a module that imports the bundle and announces it under the name the
    tables glued by ``analysis.publish.glue`` wait for (``window._itables_<version>``).
    Nothing of itables is kept in the repository.
    """
    import shutil
    from pathlib import Path

    import itables

    version = itables.__version__.replace(".", "_")
    static = Path(app.doctreedir).parent / "itables_static"
    static.mkdir(parents=True, exist_ok=True)
    source = Path(itables.__file__).parent / "html"
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


def setup(app):
    """Register the page-context hook (after the theme's own) and the offline tables."""
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("builder-inited", add_itables)
    app.add_js_file(None, body=SIDEBAR_PLACEHOLDER)
    app.add_js_file(None, body=FIGURE_LINKS)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
