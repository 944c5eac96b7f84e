"""Load every page of the built site in headless Chromium (slow).

The site of the session-wide ``repo`` build is served on 127.0.0.1 (random free port) and
every page (chapters and combination pages) is opened at 1280 x 900 and 390 x 844 in
Debian's ``chromium`` driven by Playwright (no browser download; ``CHROMIUM_PATH``
overrides the executable). Requests that leave localhost (CDN scripts, fonts) are answered
with an empty response, so the test needs no network. Checked: no console error or
uncaught exception, no failed local request, no broken image, no page wider than the
screen, every figure vector or sharp with an alt text that is not a file name, the summary
of findings names every combination with data and links its page, every internal link and
fragment resolves, the forest plots are rendered, a glued headline number, the cite block
and the downloads are present. Full-page screenshots of every visit are saved (see
:func:`screenshot_dir`).
"""

from __future__ import annotations

import functools
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
def server(repo):
    site = repo / "book" / "_build" / "html"
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

#: Viewports every page is checked at: a laptop and a phone.
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


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
    """Open every page at both viewports; return {(name, viewport): report}.

    Each report holds the page's console errors and failed requests; a full-page
    screenshot of every visit is saved in :func:`screenshot_dir` for a person to look at.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not installed (apt-get install -y chromium); browser test skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    base, site = server
    shots = screenshot_dir()
    reports = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS)
        for label, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport)

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
                report = page.evaluate(JS_REPORT)
                report.update(status=response.status, errors=errors, failed=failed)
                reports[name, label] = report
                page.screenshot(
                    path=shots / f"{name.replace('/', '_')}_{label}.png", full_page=True
                )
                page.close()
            context.close()
        browser.close()
    return reports


@pytest.fixture(scope="module")
def pages(visits):
    """The laptop-width reports, by page name."""
    return {name: report for (name, label), report in visits.items() if label == "1280"}


def test_no_page_scrolls_sideways_at_1280_or_390(visits):
    wide = {f"{name} @ {label}px": r["overflow"] for (name, label), r in visits.items()}
    assert {k: v for k, v in wide.items() if v > 0} == {}
    assert len(wide) >= 2 * (len(CHAPTERS) + 1)  # every chapter and a combination page


def test_figures_are_sharp_and_described(visits):
    problems = []
    for (name, label), report in visits.items():
        for figure in report["figures"]:
            src, alt = figure["src"], figure["alt"].strip()
            vector = urlparse(src).path.endswith(".svg")
            if not vector and figure["natural"] < 1.5 * figure["shown"]:
                problems.append(f"{name} @ {label}: {src} is raster below 1.5x its shown width")
            if not alt or "_images/" in alt or alt.rsplit(".", 1)[-1] in {"svg", "png", "jpg"}:
                problems.append(f"{name} @ {label}: {src} has alt text {alt!r}")
    assert problems == [], "\n".join(problems)


def test_summary_of_findings_names_every_combination_and_links_its_page(pages, repo, server):
    import analysis as an
    from analysis.review.summary import slug

    base, site = server
    sof = an.summary_of_findings(an.load_dataset(repo / "data"))
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
        assert report["errors"] == [], f"{name}: console errors {report['errors']}"
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


def test_glued_headline_number_and_cite_block_are_shown(pages, repo):
    import analysis as an

    ds = an.load_dataset(repo / "data")
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
