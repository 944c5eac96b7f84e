"""Load every page of the built site in headless Chromium (slow).

The site of the session-wide ``repo`` build is served on 127.0.0.1 (random free port) and
every page (chapters and combination pages) is opened at 1280 x 900 and 390 x 844, in the
light and the dark colour scheme (``prefers-color-scheme``, which the theme turns into
``data-theme="dark"``), in Debian's ``chromium`` driven by Playwright (no browser download;
``CHROMIUM_PATH`` overrides the executable). ``DTT_BUILT_SITE=1`` checks the site already
built in this repository (``make book``) instead of building a copy. Requests that leave
localhost (CDN scripts, fonts) are answered with an empty response, so the test needs no
network. Checked: no console error or uncaught exception, no failed local request, no
broken image, no page wider than the screen, every figure vector or sharp with an alt text
that is not a file name, the summary of findings names every combination with data and
links its page, every internal link and fragment resolves, the forest plots are rendered, a
glued headline number, the cite block and the downloads are present, and axe-core
(``axe-playwright-python``) finds no critical or serious accessibility violation in either
scheme at either width. Full-page screenshots of every visit are saved (see
:func:`screenshot_dir`).
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from conftest import CHAPTERS

from analysis import paths

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The Chromium executable: ``$CHROMIUM_PATH``, else ``chromium`` on PATH."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def site_repo(request):
    """The repository whose site is checked: a fresh build of a copy (``repo``), or this
    repository's own ``book/_build/html`` when ``DTT_BUILT_SITE=1`` (quick re-checks)."""
    if os.environ.get("DTT_BUILT_SITE") == "1":
        if not (paths.ROOT / "book" / "_build" / "html" / "intro.html").is_file():
            pytest.skip("DTT_BUILT_SITE=1 but no built site: run make book")
        return paths.ROOT
    return request.getfixturevalue("repo")


@pytest.fixture(scope="module")
def server(site_repo):
    site = site_repo / "book" / "_build" / "html"
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", site
    httpd.shutdown()
    httpd.server_close()


JS_REPORT = """() => ({
  images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
                                                 ok: i.complete && i.naturalWidth > 0})),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  text: document.body.innerText,
  forest: Array.from(document.querySelectorAll('figure[id^="fig-"][id$="-forest"] img, '
                                               + '[id^="fig-"][id$="-forest"] img'))
               .map(i => ({id: i.closest('[id]').id, width: i.naturalWidth})),
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  figures: Array.from(document.querySelectorAll('figure img, .cell_output img'))
               .map(i => ({src: i.currentSrc || i.src, alt: i.getAttribute('alt') || '',
                           natural: i.naturalWidth, shown: i.getBoundingClientRect().width})),
  sof: Array.from(document.querySelectorAll('table.dtt-sof tbody tr')).map(tr => ({
         id: tr.id, head: tr.querySelector('th').innerText, text: tr.innerText,
         links: Array.from(tr.querySelectorAll('a[href]')).map(a => a.href)})),
})"""

#: Loads every lazily loaded image now (figures are ``loading="lazy"``), so that the checks
#: and the full-page screenshot see them; resolves when each has loaded or failed.
LOAD_LAZY_IMAGES = """() => Promise.all(Array.from(document.images).map(i => {
  i.loading = 'eager';
  return i.complete ? null : new Promise(r => { i.onload = i.onerror = r; });
}))"""

#: Each SVG figure's smallest text (in its own units), its viewBox width and shown width.
JS_FIGURE_TEXT = """async () => Promise.all(Array.from(document.querySelectorAll('figure img'))
  .filter(i => (i.currentSrc || i.src).endsWith('.svg')).map(async i => {
    const text = await (await fetch(i.currentSrc || i.src)).text();
    const box = text.match(/viewBox="[-\\d.]+ [-\\d.]+ ([\\d.]+)/);
    const sizes = [...text.matchAll(/font-size: ?([\\d.]+)px/g)].map(m => Number(m[1]));
    return {src: i.currentSrc || i.src, shown: i.getBoundingClientRect().width,
            viewbox: box ? Number(box[1]) : 0, smallest: sizes.length ? Math.min(...sizes) : null};
  }))"""
#: Smallest text of a figure as shown, in CSS px, at each viewport.
MIN_FIGURE_TEXT = {"1280": 10, "390": 8}

#: Viewports every page is checked at: a laptop and a phone.
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
#: Colour schemes every page is checked in (the theme follows ``prefers-color-scheme``).
SCHEMES = ("light", "dark")
#: axe-core impacts that fail the test.
BLOCKING = ("critical", "serious")


def site_pages(site: Path) -> list[str]:
    """Every page of the site to check: the chapters and the generated combination pages."""
    combinations = sorted(p.stem for p in (site / "combinations").glob("*.html"))
    return [*CHAPTERS, *(f"combinations/{c}" for c in combinations)]


def screenshot_dir() -> Path:
    """Where the screenshots go (``$SCREENSHOT_DIR``, else ``test-artifacts/screenshots``)."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or paths.ROOT / "test-artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def visits(server):
    """Open every page at both viewports in both schemes; return {(name, width, scheme): report}.

    Each report holds the page's console errors and failed requests; a full-page
    screenshot of every visit is saved in :func:`screenshot_dir` for a person to look at.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not installed (apt-get install -y chromium); browser test skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    axe_api = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python not installed"
    )
    axe = axe_api.Axe()
    base, site = server
    shots = screenshot_dir()
    reports = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS)
        for (label, viewport), scheme in itertools.product(VIEWPORTS.items(), SCHEMES):
            context = browser.new_context(viewport=viewport, color_scheme=scheme)

            def route(r):
                host = urlparse(r.request.url).hostname
                if host in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
                    r.continue_()
                else:  # offline: stub every external resource
                    r.fulfill(status=200, body="", content_type="text/plain")

            context.route("**/*", route)
            for name in site_pages(site):
                page = context.new_page()
                errors, failed = [], []
                page.on(
                    "console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda exc, e=errors: e.append(f"uncaught: {exc}"))
                page.on("requestfailed", lambda r, f=failed: f.append(r.url))
                page.on(
                    "response",
                    lambda r, f=failed: (
                        f.append(f"{r.status} {r.url}") if r.status >= 400 else None
                    ),
                )
                response = page.goto(base + f"{name}.html", wait_until="load")
                page.wait_for_load_state("networkidle")
                page.evaluate(LOAD_LAZY_IMAGES)  # figures load lazily: load them all now
                report = page.evaluate(JS_REPORT)
                report["figure_text"] = page.evaluate(JS_FIGURE_TEXT)
                # copies: axe fetches the stylesheets again itself (and resolves a CSS
                # @import against the page, a request the page never makes)
                report.update(status=response.status, errors=list(errors), failed=list(failed))
                report["axe"] = [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "targets": [n["target"] for n in v["nodes"]],
                    }
                    for v in axe.run(page).response["violations"]
                ]
                reports[name, label, scheme] = report
                suffix = "" if scheme == "light" else f"_{scheme}"
                page.screenshot(
                    path=shots / f"{name.replace('/', '_')}_{label}{suffix}.png", full_page=True
                )
                page.close()
            context.close()
        browser.close()
    return reports


@pytest.fixture(scope="module")
def pages(visits):
    """The laptop-width reports in the light scheme, by page name."""
    return {
        name: report
        for (name, label, scheme), report in visits.items()
        if label == "1280" and scheme == "light"
    }


def test_no_page_scrolls_sideways_at_1280_or_390(visits):
    wide = {f"{name} @ {w}px {s}": r["overflow"] for (name, w, s), r in visits.items()}
    assert {k: v for k, v in wide.items() if v > 0} == {}
    assert len(wide) >= 4 * (len(CHAPTERS) + 1)  # every chapter and a combination page


def test_no_serious_accessibility_violations_light_or_dark(visits):
    """axe-core: no critical or serious violation on any page, width or colour scheme."""
    found = [
        f"{name} @ {width}px {scheme}: {v['impact']} {v['id']} at {v['targets'][:3]}"
        for (name, width, scheme), report in visits.items()
        for v in report["axe"]
        if v["impact"] in BLOCKING
    ]
    assert found == [], f"{len(found)} violations:\n" + "\n".join(found)


def test_figures_are_sharp_and_described(visits):
    problems = []
    for (name, label, _), report in visits.items():
        for figure in report["figures"]:
            src, alt = figure["src"], figure["alt"].strip()
            vector = urlparse(src).path.endswith(".svg")
            if not vector and figure["natural"] < 1.5 * figure["shown"]:
                problems.append(f"{name} @ {label}: {src} is raster below 1.5x its shown width")
            if not alt or "_images/" in alt or alt.rsplit(".", 1)[-1] in {"svg", "png", "jpg"}:
                problems.append(f"{name} @ {label}: {src} has alt text {alt!r}")
    assert problems == [], "\n".join(problems)


def test_figure_text_is_text_and_large_enough(visits):
    """SVG text stays text (not paths) and is >= 10 px at 1280 and >= 8 px at 390 as shown
    (a figure narrower than that scrolls in its box at the width its text needs)."""
    problems = []
    for (name, label, scheme), report in visits.items():
        if scheme != "light":
            continue
        for figure in report["figure_text"]:
            if figure["smallest"] is None:
                problems.append(f"{name}: {figure['src']} has no text (drawn as paths?)")
                continue
            shown = figure["smallest"] * figure["shown"] / figure["viewbox"]
            if shown < MIN_FIGURE_TEXT[label] - 0.05:
                problems.append(f"{name} @ {label}: {figure['src']} text {shown:.1f} px")
    assert problems == [], "\n".join(problems)


def test_summary_of_findings_names_every_combination_and_links_its_page(pages, site_repo, server):
    import analysis as an
    from analysis.review.summary import slug

    base, site = server
    sof = an.summary_of_findings(an.load_dataset(site_repo / "data"))
    rows = {r["id"]: r for r in pages["intro"]["sof"]}
    with_data = sorted(set(sof.loc[sof["kind"] != "", "regimen"]))
    assert with_data, "no combination with data"
    for regimen in with_data:
        row = rows.get(f"sof-{slug(regimen)}")
        assert row is not None, f"summary of findings has no row for {regimen}: {sorted(rows)}"
        assert row["head"].startswith(regimen)
        assert any(level in row["text"] for level in ("High", "Moderate", "Low", "Very low"))
        page = f"combinations/{slug(regimen)}.html"
        assert base + page in row["links"], f"{regimen}: no link to {page}"
        assert (site / page).is_file()


def test_every_page_loads_without_console_errors(pages):
    for name, report in pages.items():
        assert report["status"] == 200, name
        assert report["errors"] == [], (
            f"{name}: console errors {report['errors']} (failed requests: {report['failed']})"
        )
        assert report["failed"] == [], f"{name}: failed requests {report['failed']}"


def test_no_broken_images(pages):
    for name, report in pages.items():
        broken = [i["src"] for i in report["images"] if not i["ok"]]
        assert broken == [], f"{name}: broken images {broken}"


def _ids(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_internal_links_and_fragments_resolve(pages, server):
    base, site = server
    checked, missing = set(), []
    for name, report in pages.items():
        for href in report["links"]:
            if not href.startswith(base) or href in checked:
                continue
            checked.add(href)
            url, fragment = urldefrag(href)
            rel = unquote(urlparse(url).path).lstrip("/") or "index.html"
            if rel.startswith("v/") and not (site / "v").exists():
                continue  # releases are published by `make versions` (tests/test_versions.py)
            target = site / rel
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                missing.append(f"{name}: {href} (no file)")
                continue
            if fragment and target.suffix == ".html":
                import html as h

                anchor = h.escape(unquote(fragment), quote=True)
                text = _ids(target)
                if f'id="{anchor}"' not in text and f"id='{anchor}'" not in text:
                    missing.append(f"{name}: {href} (no anchor)")
    assert missing == [], "\n".join(missing)
    assert any("/downloads/results.csv" in link for link in checked)


def test_forest_plots_are_rendered(pages):
    for name, expected in (
        ("safety", {"fig-ae-forest", "fig-sae-forest"}),
        ("efficacy", {"fig-clinical-response-forest"}),
    ):
        widths = {f["id"]: f["width"] for f in pages[name]["forest"]}
        assert expected <= set(widths), f"{name}: forest figures {sorted(widths)}"
        assert all(widths[i] > 0 for i in expected), widths


def test_glued_headline_number_and_cite_block_are_shown(pages, site_repo):
    import analysis as an

    ds = an.load_dataset(site_repo / "data")
    facts = an.outcome_facts(an.synthesise(ds, "ae"))
    assert facts["ae_any"] in pages["safety"]["text"]
    assert facts["ae_rates"] in pages["safety"]["text"]
    for name, report in pages.items():
        assert "Cite this chapter" in report["text"], name
        assert ds.sha256 in report["text"], name


def test_downloads_are_served(server):
    import json
    import urllib.request

    base, _ = server
    with urllib.request.urlopen(base + "downloads/results.json") as response:
        doc = json.load(response)
    assert doc["results"] and all("result_id" in r for r in doc["results"])
    for name in ("results.csv", "data-package.zip", "CITATION.cff"):
        with urllib.request.urlopen(base + f"downloads/{name}") as response:
            assert response.status == 200 and response.read()
