"""Version banners and the version list, on the repository's release history (fast)."""

import re

from analysis import paths
from analysis.publish import versions

PAGE = (
    '<html><body><main><article class="bd-article" role="main">'
    "<h1>Safety</h1></article></main></body></html>"
)


def test_an_old_release_links_the_same_page_of_the_latest():
    banner = versions.banner_html("combinations/vdz-ust.html", paths.DATA, version="1.0.0")
    latest = versions.read_releases(paths.DATA)["version"].iloc[-1]
    assert "You are reading version <strong>1.0.0</strong>" in banner
    # from v/1.0.0/combinations/ up three levels to the site root, same page
    assert re.search(f'href="../../../combinations/vdz-ust.html"[^>]*>version {latest}</a>', banner)
    assert "Since 1.0.0:" in banner and "studies added" in banner
    assert 'href="../../../versions.html"' in banner
    assert "Cite this version by <code>https://" in banner
    assert "/v/1.0.0/combinations/vdz-ust.html</code>" in banner


def test_the_latest_build_says_whether_it_is_a_release():
    released = versions.banner_html("safety.html", paths.DATA, status="released")
    changed = versions.banner_html("safety.html", paths.DATA, status="unreleased changes")
    latest = versions.read_releases(paths.DATA).iloc[-1]
    assert f"Version <strong>{latest['version']}</strong>" in released
    assert "not a release" in changed and latest["version"] in changed


def test_a_banner_is_added_once_at_the_top_of_the_article():
    banner = versions.banner_html("safety.html", paths.DATA, status="released")
    once = versions.add_banner(PAGE, banner)
    twice = versions.add_banner(once, banner)
    assert once == twice and once.count('class="dtt-version"') == 1
    assert once.index("dtt-version") < once.index("<h1>")
    assert versions.add_banner(once, "") == PAGE


def test_the_version_list_says_where_each_release_can_be_read():
    table = versions.versions_table_html(paths.DATA)
    history = versions.read_releases(paths.DATA)
    for row in history.itertuples():
        assert f'<td data-label="Version"><div>{row.version}</div></td>' in table
        if row.site == "tagged":
            assert f'href="v/{row.version}/intro.html"' in table
    assert "1.0.0</div></td>" in table and "no site of its own" in table


def test_an_archived_page_names_its_own_address_and_links_resolve():
    base = "https://example.org/site/"
    old = (
        f'<pre>url = {{{base}safety.html}}</pre><a href="{base}v/1.0.0/x.html">x</a>'
        '<a href="v/2.0.0/intro.html">2.0.0</a>'
        "<p>those of release 2.0.0; nothing has changed since.</p>"
    )
    fixed = versions.archive_fixes(old, "versions.html", "2.0.0", base)
    assert f"{base}v/2.0.0/safety.html" in fixed and f"{base}safety.html" not in fixed
    assert f"{base}v/1.0.0/x.html" in fixed  # already versioned: left alone
    assert 'href="../../v/2.0.0/intro.html"' in fixed
    assert "nothing has changed since" not in fixed and "nothing had changed" in fixed
