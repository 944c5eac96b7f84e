"""Two releases built from their tags: an old release keeps its own numbers (slow).

In a throw-away git repository (a copy of this one), a major release is cut and tagged (the
next after the real history's latest), an adverse-event count is then changed and a minor
release cut and tagged, and
``scripts/build_versions.py`` builds both from their tags after ``make book``'s build of
the latest. The old release must still show its own pooled rate, say that it is not the
latest (linking to it), and give a cite URL that resolves inside the built site. The
repository is the session-wide ``releases`` fixture of ``conftest.py``: the browser test
(``tests/test_browser.py``) opens every page of the old release from the same build.
"""

from __future__ import annotations

import re

import pytest
from conftest import build_versions, page, page_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_releases(releases):
    """The session's throw-away repository with two releases (``conftest.releases``)."""
    return releases


def test_the_old_release_keeps_its_own_numbers(two_releases):
    root, first, second, old_rate, new_rate = two_releases
    page_name = "combinations/vdz-ust"
    old = page_text(root, f"v/{first}/{page_name}")
    new = page_text(root, f"v/{second}/{page_name}")
    latest = page_text(root, page_name)
    assert old_rate in old and new_rate not in old
    assert new_rate in new and new_rate in latest


def test_the_old_release_says_so_and_links_the_latest(two_releases):
    root, first, second, _, _ = two_releases
    site = root / "book" / "_build" / "html"
    text = page_text(root, f"v/{first}/safety")
    assert f"You are reading version {first}" in text
    assert f"The latest is version {second}" in text and f"Since {first}:" in text
    html = page(root, f"v/{first}/safety")
    link = re.search(r'The latest is <a href="([^"]+)"', html).group(1)
    assert (site / "v" / first / link).resolve() == (site / "safety.html").resolve()
    assert f"Version {second}" in page_text(root, "safety")  # the latest says which it is


def test_the_cite_url_of_a_release_resolves_inside_the_site(two_releases):
    from analysis.publish.cite import citation_metadata, site_url

    root, first, _, _, _ = two_releases
    base = site_url(citation_metadata(root))
    html = page(root, f"v/{first}/safety")
    url = re.search(r"<strong>URL</strong>: <a[^>]+href=\"([^\"]+)\"", html).group(1)
    assert url == f"{base}v/{first}/safety.html"
    assert (root / "book" / "_build" / "html" / url.removeprefix(base)).is_file()


def test_a_built_release_is_not_rebuilt(two_releases):
    root, first, _, _, _ = two_releases
    again = build_versions(root, first)
    assert again.returncode == 0, again.stderr
    assert f"{first} already built (cached)" in again.stdout
    assert "building" not in again.stdout


def test_every_link_of_the_site_and_its_releases_resolves(two_releases):
    from linkcheck import broken_links, unbuilt_releases

    root, first, second, _, _ = two_releases
    site = root / "book" / "_build" / "html"
    assert (site / "v" / first / "index.html").is_file()
    # the throw-away repository has no tags of the real releases before these two
    assert broken_links(site, unbuilt=unbuilt_releases(site, root / "data")) == []
