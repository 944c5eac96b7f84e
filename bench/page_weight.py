"""Weight of every page of the built site: the bytes a reader's browser loads with it.

The site in ``book/_build/html`` (``make book``) is served on 127.0.0.1 and every page
(chapters, combination pages, search and index; not the releases under ``v/``) is opened,
with an empty cache, in headless Chromium driven by Playwright (Debian's ``chromium``, no
browser download; ``CHROMIUM_PATH`` overrides it), at Lighthouse's mobile screen (412 x 823,
``--desktop``: 1350 x 940). A page's weight is the sum of the bodies of every response it
loads until the network is quiet (the page, its scripts, styles, fonts, images in view and
whatever the scripts fetch), uncompressed: what Lighthouse's *total byte weight* counts on a
server that does not compress. The gzip column is the same sum with each body compressed
(level 6), near what GitHub Pages sends. Requests that leave localhost are counted but
answered empty (the site should make none).

Prints the heaviest pages, the page weight budget (1.5 MB = 1,500,000 bytes) with every page
over it, the largest resources (with the number of pages that load each) and what the
lightest chapter is made of, by kind. Exits 1 when a page is over the budget.

Usage: ``python bench/page_weight.py [--desktop] [--top N] [--budget MB]``.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from local_site import chromium_path, serve  # noqa: E402  (a script, not part of the package)

SITE = ROOT / "book" / "_build" / "html"

#: Lighthouse's emulated screens (CSS px) and device pixel ratios.
SCREENS = {
    "mobile": ({"width": 412, "height": 823}, 1.75),
    "desktop": ({"width": 1350, "height": 940}, 1),
}


def _chromium() -> str:
    return chromium_path() or sys.exit(
        "page_weight: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)"
    )


def _pages(site: Path) -> list[str]:
    """Every HTML page of the site relative to its root, without the releases (``v/``)."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if p.relative_to(site).parts[0] not in {"v", "_static", "_sources", "_images"}
    )


def _kind(url: str) -> str:
    suffix = Path(urlparse(url).path).suffix.lower()
    return {
        ".js": "script",
        ".mjs": "script",
        ".css": "style",
        ".woff2": "font",
        ".woff": "font",
        ".ttf": "font",
        ".svg": "image",
        ".png": "image",
        ".jpg": "image",
        ".html": "document",
    }.get(suffix, suffix.lstrip(".") or "other")


def weigh(base: str, pages: list[str], screen: str) -> dict[str, dict[str, tuple[int, int]]]:
    """For each page, ``{url: (bytes, gzip bytes)}`` of every response it loads (cold cache)."""
    from playwright.sync_api import sync_playwright

    viewport, scale = SCREENS[screen]
    loads: dict[str, dict[str, tuple[int, int]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        for name in pages:
            context = browser.new_context(
                viewport=viewport, device_scale_factor=scale, is_mobile=screen == "mobile"
            )
            context.route(
                lambda url: not url.startswith(base),
                lambda route: route.fulfill(status=204, body=""),
            )
            bodies: dict[str, tuple[int, int]] = {}

            def record(response, bodies=bodies):
                try:
                    body = response.body()
                except Exception:  # a redirect or an aborted request has no body
                    return
                bodies[response.url.split("?")[0]] = (len(body), len(gzip.compress(body, 6)))

            page = context.new_page()
            page.on("response", record)
            page.goto(base + name, wait_until="load")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            loads[name] = bodies
            context.close()
        browser.close()
    return loads


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def report(loads, base: str, top: int, budget: float) -> int:
    """Print the tables; return how many pages weigh more than ``budget`` bytes."""
    totals = {
        page: (sum(b for b, _ in r.values()), sum(g for _, g in r.values()))
        for page, r in loads.items()
    }
    ranked = sorted(totals.items(), key=lambda kv: -kv[1][0])
    weights = [t for t, _ in totals.values()]
    print(
        f"{len(loads)} pages: median {_mb(sorted(weights)[len(weights) // 2])}, "
        f"heaviest {_mb(max(weights))}, lightest {_mb(min(weights))}; "
        f"budget {_mb(budget)} per page"
    )
    print(f"\n{'page':<40} {'bytes':>10} {'gzip':>10} {'files':>6}  / budget")
    for page, (total, zipped) in ranked[:top]:
        print(
            f"{page:<40} {_mb(total):>10} {_mb(zipped):>10} {len(loads[page]):>6}  "
            f"{total / budget:.2f}"
        )
    over = [page for page, (total, _) in ranked if total > budget]
    print(f"\npages over the budget: {len(over)}" + (f" ({', '.join(over)})" if over else ""))

    sizes: dict[str, tuple[int, int]] = {}
    used = collections.Counter()
    for r in loads.values():
        for url, size in r.items():
            sizes[url] = size
            used[url] += 1
    print(f"\nlargest resources (of {len(sizes)}), with the pages that load each:")
    print(f"{'resource':<58} {'bytes':>10} {'gzip':>10} {'pages':>6}")
    for url, (size, zipped) in sorted(sizes.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{url.removeprefix(base):<58} {_mb(size):>10} {_mb(zipped):>10} {used[url]:>6}")

    lightest = min(totals, key=lambda p: totals[p][0])
    kinds = collections.defaultdict(lambda: [0, 0, 0])
    for url, (size, zipped) in loads[lightest].items():
        entry = kinds[_kind(url)]
        entry[0] += size
        entry[1] += zipped
        entry[2] += 1
    print(f"\nthe lightest page, {lightest} ({_mb(totals[lightest][0])}), by kind:")
    for kind, (size, zipped, count) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        share = size / totals[lightest][0]
        print(f"  {kind:<10} {_mb(size):>10} {_mb(zipped):>10} {count:>4} files  {share:.0%}")
    return len(over)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--desktop", action="store_true", help="Lighthouse's desktop screen")
    parser.add_argument("--top", type=int, default=15, help="rows of each table")
    parser.add_argument("--budget", type=float, default=1.5, help="MB (10^6 bytes) per page")
    parser.add_argument("--site", type=Path, default=SITE, help="the built site")
    args = parser.parse_args(argv)
    if not (args.site / "intro.html").is_file():
        sys.exit(f"page_weight: no built site in {args.site} (run make book)")
    with serve(args.site) as base:
        loads = weigh(base, _pages(args.site), "desktop" if args.desktop else "mobile")
    return 1 if report(loads, base, args.top, args.budget * 1e6) else 0


if __name__ == "__main__":
    sys.exit(main())
