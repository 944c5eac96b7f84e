"""Sphinx extension: remove two JavaScript console errors of the JB1 theme stack.

1. Sphinx 7.4 lists an inline script registered after ``Builder.init()`` twice (once with
   filename ``None``, once with ``''``), so sphinx-thebe's ``const THEBE_JS_URL = ...``
   runs twice and throws "Identifier 'THEBE_JS_URL' has already been declared" on every
   page. :func:`dedupe_scripts` drops the repeat.
2. pydata-sphinx-theme logs "Got invalid theme mode: . Resetting to auto." on a first
   visit because Jupyter Book leaves ``default_mode`` empty; it is set to ``auto`` (the
   theme's own fallback).

``tests/test_browser.py`` loads every page in Chromium and fails on any console error.
"""


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


def setup(app):
    """Register the page-context hook (runs after the theme's own hooks)."""
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
