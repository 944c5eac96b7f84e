"""Load every page of the built site and of one archived release in headless Chromium (slow).

The site of the session-wide ``repo`` build is served on 127.0.0.1 (random free port) and
every page (chapters and combination pages) is opened at 1280 x 900 and 390 x 844, in the
light and the dark colour scheme (``prefers-color-scheme``, which the theme turns into
``data-theme="dark"``; each page is loaded light, then switched to dark in place), in
Debian's ``chromium`` driven by Playwright (no browser download; ``CHROMIUM_PATH``
overrides the executable), one browser per width, side by side. So is every page of an
archived release, ``v/<version>/``: the older of the two releases that the session-wide
``releases`` fixture builds from their git tags (``scripts/build_versions.py``), with the
banner that says it is not the latest and its own cite block. ``DTT_BUILT_SITE=1`` checks
the site already built in this repository (``make book``, and the oldest release under
``v/`` if ``make versions`` was run) instead of building copies. Requests that leave
localhost (CDN scripts, fonts) are answered with an empty response, so the test needs no
network. Checked: no console error or uncaught exception, no failed local request, no
broken image, no page wider than the screen, every figure vector or sharp with an alt text
that is not a file name, the summary of findings names every combination with data and
links its page, every internal link and fragment resolves, the forest plots are rendered, a
glued headline number, the cite block and the downloads are present, the summary of findings
scrolls sideways at neither width, the version banner is
shown whole with text of enough contrast, an archived page names its release, links the
latest and cites its own address, and axe-core (``axe-playwright-python``) finds no
critical or serious accessibility violation in either scheme at either width. Full-page
screenshots of every visit are saved (see :func:`screenshot_dir`).
"""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from conftest import CHAPTERS, load_script
from linkcheck import missing_target, unbuilt_releases

from analysis import paths

#: scripts/local_site.py: the Chromium executable, and a built site served locally.
_local = load_script(paths.ROOT / "scripts" / "local_site.py")
chromium_path, serve = _local.chromium_path, _local.serve

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


def built_site() -> bool:
    """True when ``DTT_BUILT_SITE=1``: check this repository's own built site."""
    return os.environ.get("DTT_BUILT_SITE") == "1"


@pytest.fixture(scope="module")
def site_repo(request):
    """The repository whose site is checked: a fresh build of a copy (``repo``), or this
    repository's own ``book/_build/html`` when ``DTT_BUILT_SITE=1`` (quick re-checks)."""
    if built_site():
        if not (paths.ROOT / "book" / "_build" / "html" / "intro.html").is_file():
            pytest.skip("DTT_BUILT_SITE=1 but no built site: run make book")
        return paths.ROOT
    return request.getfixturevalue("repo")


@pytest.fixture(scope="module")
def server(site_repo):
    site = site_repo / "book" / "_build" / "html"
    with serve(site) as base:
        yield base, site


@dataclass(frozen=True)
class Archive:
    """An archived release whose pages are visited: ``v/<version>/`` of ``site``."""

    #: The release, and the latest release (whose pages are at the site's root).
    version: str
    latest: str
    #: Its data's SHA-256, from the site's ``data/releases.csv``.
    sha256: str
    #: URL and folder of the site's root (served), and the URL the site is published at.
    base: str
    site: Path
    site_url: str
    #: Its data as released, or None when it was built by other code than this test's
    #: (``DTT_BUILT_SITE=1``: the numbers are not recomputed).
    data: Path | None
    #: Releases listed in the site's history that have no site of their own there.
    unbuilt: frozenset[str]

    @property
    def prefix(self) -> str:
        """The folder of its pages in the site, ``v/<version>/``."""
        return f"v/{self.version}/"


def release_data(root: Path, version: str, dest: Path) -> Path:
    """The ``data/`` folder of release ``version`` (its tag ``v<version>``), copied into
    ``dest``."""
    tar = subprocess.run(
        ["git", "-C", str(root), "archive", f"v{version}", "data"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as files:
        files.extractall(dest, filter="data")
    return dest / "data"


def _archive(root: Path, version: str, base: str, site: Path, data: Path | None) -> Archive:
    from analysis.publish.cite import citation_metadata, site_url
    from analysis.publish.releases import read_releases

    history = read_releases(root / "data")
    row = history[history["version"] == version].iloc[0]
    return Archive(
        version=version,
        latest=history["version"].iloc[-1],
        sha256=row["data_sha256"],
        base=base,
        site=site,
        site_url=site_url(citation_metadata(root)),
        data=data,
        unbuilt=frozenset(unbuilt_releases(site, root / "data")),
    )


@pytest.fixture(scope="module")
def archive(request, server, tmp_path_factory):
    """The archived release whose pages are visited, or None (``DTT_BUILT_SITE=1`` without
    ``make versions``).

    By default the older release of the session-wide ``releases`` build (a throw-away
    repository with two releases built from their tags, shared with tests/test_versions.py),
    served from its own site; with ``DTT_BUILT_SITE=1`` the oldest release built under
    ``v/`` of this repository's site.
    """
    if built_site():
        from analysis.publish.releases import read_releases

        base, site = server
        history = read_releases(paths.ROOT / "data")["version"]
        built = [v for v in history if (site / "v" / v / "index.html").is_file()]
        yield _archive(paths.ROOT, built[0], base, site, None) if built else None
        return
    root, first, *_ = request.getfixturevalue("releases")
    data = release_data(root, first, tmp_path_factory.mktemp("release"))
    site = root / "book" / "_build" / "html"
    with serve(site) as base:
        yield _archive(root, first, base, site, data)


JS_REPORT = """() => {
  const box = el => {
    if (!el) return null;
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return {text: el.innerText, left: r.left, right: r.right, width: r.width, height: r.height,
            shown: s.display !== 'none' && s.visibility === 'visible' && Number(s.opacity) > 0,
            clipped: el.scrollWidth - el.clientWidth,
            links: Array.from(el.querySelectorAll('a[href]')).map(a => a.href)};
  };
  return {
  theme: document.documentElement.dataset.theme,
  images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
                                                 ok: i.complete && i.naturalWidth > 0})),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  text: document.body.innerText,
  forest: Array.from(document.querySelectorAll('figure[id^="fig-"][id$="-forest"] img, '
                                               + '[id^="fig-"][id$="-forest"] img'))
               .map(i => ({id: i.closest('[id]').id, width: i.naturalWidth})),
  width: document.documentElement.clientWidth,
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  figures: Array.from(document.querySelectorAll('figure img, .cell_output img'))
               .map(i => ({src: i.currentSrc || i.src, alt: i.getAttribute('alt') || '',
                           natural: i.naturalWidth, shown: i.getBoundingClientRect().width})),
  sof: Array.from(document.querySelectorAll('table.dtt-sof tbody tr')).map(tr => ({
         id: tr.id, head: tr.querySelector('th').innerText, text: tr.innerText,
         links: Array.from(tr.querySelectorAll('a[href]')).map(a => a.href)})),
  sof_scroll: Array.from(document.querySelectorAll('table.dtt-sof')).map(t => {
         let wide = t.getBoundingClientRect().right - document.documentElement.clientWidth;
         for (let el = t; el && el !== document.body; el = el.parentElement)
           if (getComputedStyle(el).overflowX !== 'visible')  // a box that can scroll
             wide = Math.max(wide, el.scrollWidth - el.clientWidth);
         return wide; }),
  banner: box(document.querySelector('.dtt-version')),
  cite: box(document.querySelector('.dtt-cite')),
  };
}"""

#: Loads every lazily loaded image now (figures are ``loading="lazy"``), so that the checks
#: and the full-page screenshot see them; resolves when each has loaded or failed.
LOAD_LAZY_IMAGES = """() => Promise.all(Array.from(document.images).map(i => {
  i.loading = 'eager';
  return i.complete ? null : new Promise(r => { i.onload = i.onerror = r; });
}))"""

#: True once the theme follows the emulated colour scheme and no colour transition runs.
SCHEME_SETTLED = """scheme => document.documentElement.dataset.theme === scheme
  && !document.getAnimations().some(a => a instanceof CSSTransition)"""

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

#: axe-core's contrast rules on the version banner alone, every node listed (the page-wide
#: run lists violations only): which of its texts passed, failed or could not be decided.
#: Runs after the page-wide run, which injected axe.
JS_BANNER_CONTRAST = """async () => {
  const banner = document.querySelector('.dtt-version');
  if (!banner) return null;
  const r = await axe.run(banner,
    {runOnly: {type: 'rule', values: ['color-contrast', 'link-in-text-block']}});
  const nodes = kind => r[kind].flatMap(rule => rule.nodes.map(n => `${rule.id} ${n.target}`));
  return {passes: nodes('passes'), incomplete: nodes('incomplete'),
          violations: nodes('violations')};
}"""

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
def targets(server, archive):
    """Every page to visit, ``{name: url}``: the site's, then the archived release's (named
    ``v/<version>/<page>``)."""
    base, site = server
    found = {name: f"{base}{name}.html" for name in site_pages(site)}
    if archive is not None:
        for name in site_pages(archive.site / archive.prefix):
            found[archive.prefix + name] = f"{archive.base}{archive.prefix}{name}.html"
    return found


def _offline(route):
    host = urlparse(route.request.url).hostname
    if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
        route.continue_()
    else:  # offline: stub every external resource
        route.fulfill(status=200, body="", content_type="text/plain")


def visit_at(executable: str, label: str, targets: dict[str, str], shots: Path) -> dict:
    """Open every page of ``targets`` at viewport ``label`` in a browser of its own: light,
    then switched to dark in place; return ``{(name, label, scheme): report}``."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    axe = Axe()
    reports = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS)
        context = browser.new_context(viewport=VIEWPORTS[label], color_scheme=SCHEMES[0])
        context.route("**/*", _offline)
        for name, url in targets.items():
            page = context.new_page()
            errors, failed = [], []
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc, e=errors: e.append(f"uncaught: {exc}"))
            page.on("requestfailed", lambda r, f=failed: f.append(r.url))
            page.on(
                "response",
                lambda r, f=failed: f.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            response = page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            page.evaluate(LOAD_LAZY_IMAGES)  # figures load lazily: load them all now
            figure_text = page.evaluate(JS_FIGURE_TEXT)
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                page.wait_for_function(SCHEME_SETTLED, arg=scheme, timeout=15_000)
                report = page.evaluate(JS_REPORT)
                # copies: axe fetches the stylesheets again itself (and resolves a CSS
                # @import against the page, a request the page never makes)
                report.update(
                    status=response.status,
                    errors=list(errors),
                    failed=list(failed),
                    figure_text=figure_text,
                )
                report["axe"] = [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "targets": [n["target"] for n in v["nodes"]],
                    }
                    for v in axe.run(page).response["violations"]
                ]
                report["banner_contrast"] = page.evaluate(JS_BANNER_CONTRAST)
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
def visits(targets):
    """Open every page at both viewports in both schemes; return {(name, width, scheme): report}.

    One browser per viewport, side by side (each in a thread with its own Playwright). Each
    report holds the page's console errors and failed requests; a full-page screenshot of
    every visit is saved in :func:`screenshot_dir` for a person to look at.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not installed (apt-get install -y chromium); browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python not installed"
    )
    shots = screenshot_dir()
    with ThreadPoolExecutor(max_workers=len(VIEWPORTS)) as pool:
        runs = [pool.submit(visit_at, executable, label, targets, shots) for label in VIEWPORTS]
        return {key: report for run in runs for key, report in run.result().items()}


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


def test_the_summary_of_findings_needs_no_sideways_scrolling(visits):
    """The summary of findings (home page, latest and archived) fits the screen at both
    widths: neither the table nor any box around it scrolls sideways."""
    shown = {(n, w, s): r["sof_scroll"] for (n, w, s), r in visits.items() if r["sof_scroll"]}
    assert {key[0] for key in shown} >= {"intro"}
    wide = {f"{n} @ {w}px {s}": v for (n, w, s), v in shown.items() if max(v) > 0.5}
    assert wide == {}


def test_every_page_of_an_archived_release_is_visited(visits, archive):
    """Every page of the archived release, at both widths in both schemes."""
    if archive is None:
        pytest.skip("no release built under v/ (make versions)")
    names = {archive.prefix + name for name in site_pages(archive.site / archive.prefix)}
    assert len(names) > len(CHAPTERS)  # every chapter and a combination page
    visited = {key for key in visits if key[0].startswith(archive.prefix)}
    assert visited == set(itertools.product(names, VIEWPORTS, SCHEMES))


def test_every_visit_is_in_its_colour_scheme(visits):
    wrong = {f"{n} @ {w}px {s}": r["theme"] for (n, w, s), r in visits.items() if r["theme"] != s}
    assert wrong == {}


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


def _check_summary_of_findings(report, data_dir, base, site):
    """The summary of findings of ``report`` (an intro page) against the data it shows: a
    row per combination with data, each linking its page under ``base`` (``site``)."""
    import analysis as an
    from analysis.review.summary import slug

    sof = an.summary_of_findings(an.load_dataset(data_dir))
    rows = {r["id"]: r for r in report["sof"]}
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


def test_summary_of_findings_names_every_combination_and_links_its_page(pages, site_repo, server):
    base, site = server
    _check_summary_of_findings(pages["intro"], site_repo / "data", base, site)


def test_an_archived_summary_of_findings_shows_its_own_release(pages, archive):
    if archive is None or archive.data is None:
        pytest.skip("no archived release built by this code")
    _check_summary_of_findings(
        pages[f"{archive.prefix}intro"],
        archive.data,
        archive.base + archive.prefix,
        archive.site / archive.prefix,
    )


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


def test_internal_links_and_fragments_resolve(pages, server, site_repo, archive):
    """Every link to the served sites that a page shows (those drawn by scripts too, such as
    the interactive tables'), checked by tests/linkcheck.py's rule for a link."""
    base, site = server
    sites = {base: (site, unbuilt_releases(site, site_repo / "data"))}
    if archive is not None:
        sites[archive.base] = (archive.site, archive.unbuilt)
    checked, missing = set(), []
    for name, report in pages.items():
        for href in report["links"]:
            served = next((b for b in sites if href.startswith(b)), None)
            if served is None or href in checked:
                continue
            site, unbuilt = sites[served]
            checked.add(href)
            url, fragment = urldefrag(href)
            target = (site / unquote(urlparse(url).path).lstrip("/")).resolve()
            if problem := missing_target(site, target, unquote(fragment), unbuilt=unbuilt):
                missing.append(f"{name}: {href} ({problem})")
    assert missing == [], "\n".join(missing)
    assert any("/downloads/results.csv" in link for link in checked)
    if archive is not None:  # the archived pages' own links were followed too
        assert any(link.startswith(archive.base + archive.prefix) for link in checked)


def test_forest_plots_are_rendered(pages, archive):
    prefixes = ("", archive.prefix) if archive is not None else ("",)
    for prefix, (name, expected) in itertools.product(
        prefixes,
        (
            ("safety", {"fig-ae-forest", "fig-sae-forest"}),
            ("efficacy", {"fig-clinical-response-forest"}),
        ),
    ):
        name = prefix + name
        widths = {f["id"]: f["width"] for f in pages[name]["forest"]}
        assert expected <= set(widths), f"{name}: forest figures {sorted(widths)}"
        assert all(widths[i] > 0 for i in expected), widths


def _check_glued_headline(report, data_dir):
    import analysis as an

    facts = an.outcome_facts(an.synthesise(an.load_dataset(data_dir), "ae"))
    assert facts["ae_any"] in report["text"]
    assert facts["ae_rates"] in report["text"]


def test_glued_headline_number_and_cite_block_are_shown(pages, site_repo):
    import analysis as an

    ds = an.load_dataset(site_repo / "data")
    _check_glued_headline(pages["safety"], site_repo / "data")
    for name, report in pages.items():
        if name.startswith("v/"):
            continue  # an archived release (its own data): see the tests below
        assert "Cite this chapter" in report["text"], name
        assert ds.sha256 in report["text"], name


def test_an_archived_page_shows_its_own_glued_numbers(pages, archive):
    if archive is None or archive.data is None:
        pytest.skip("no archived release built by this code")
    _check_glued_headline(pages[f"{archive.prefix}safety"], archive.data)


def test_the_version_banner_is_shown_whole_with_enough_contrast(visits):
    """Every page's version banner (the latest's and an archived release's): there, inside
    the screen, its text not cut, and axe-core's contrast rules decided and passed on it."""
    problems = []
    for (name, width, scheme), report in visits.items():
        where, banner = f"{name} @ {width}px {scheme}", report["banner"]
        if banner is None:
            problems.append(f"{where}: no version banner")
            continue
        if not banner["shown"] or banner["width"] <= 0 or banner["height"] <= 0:
            problems.append(f"{where}: banner hidden")
        if banner["left"] < 0 or banner["right"] > report["width"] or banner["clipped"] > 0:
            problems.append(f"{where}: banner wider than the screen or its box ({banner})")
        contrast = report["banner_contrast"]
        if contrast["violations"] or contrast["incomplete"]:
            problems.append(f"{where}: banner contrast {contrast}")
        if not any(node.startswith("color-contrast ") for node in contrast["passes"]):
            problems.append(f"{where}: banner text not checked for contrast {contrast}")
    assert problems == [], "\n".join(problems)


def test_an_archived_page_names_its_release_links_the_latest_and_cites_itself(visits, archive):
    """The banner of every archived page says which release it is and links the same page
    of the latest; its cite block (shown) gives the release's data hash and the page's own
    address under ``v/<version>/``; no link leads to the unversioned published site."""
    if archive is None:
        pytest.skip("no release built under v/ (make versions)")
    problems = []
    for (name, width, scheme), report in visits.items():
        if not name.startswith(archive.prefix):
            continue
        where, page = f"{name} @ {width}px {scheme}", name.removeprefix(archive.prefix)
        banner, cite = report["banner"] or {"text": "", "links": []}, report["cite"]
        if f"You are reading version {archive.version} " not in banner["text"]:
            problems.append(f"{where}: banner {banner['text']!r}")
        latest = archive.base + f"{page}.html"
        if archive.version != archive.latest and (
            f"The latest is version {archive.latest}." not in banner["text"]
            or latest not in banner["links"]
        ):
            problems.append(f"{where}: banner does not link {latest}: {banner}")
        own = f"{archive.site_url}{archive.prefix}{page}.html"
        if cite is None or not cite["shown"] or cite["height"] <= 0:
            problems.append(f"{where}: no cite block shown")
        elif lacking := [
            w for w in ("Cite this chapter", archive.sha256, own) if w not in cite["text"]
        ]:
            problems.append(f"{where}: cite block lacks {lacking}")
        stray = [
            link
            for link in report["links"]
            if link.startswith(archive.site_url) and not link.startswith(f"{archive.site_url}v/")
        ]
        if stray:
            problems.append(f"{where}: links to the unversioned site {stray[:3]}")
    assert problems == [], "\n".join(problems)


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
