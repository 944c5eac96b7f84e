"""The whole book, built for real in a temporary copy of the repository.

One session-scoped build (tests/conftest.py), then the promises of a living book, in order:
the site has every chapter with figures and glued numbers; a no-op rebuild executes
nothing; a changed count changes the site; data text is escaped; and a failed build
(bad data, a chapter error, a missing glue key) leaves the published site intact.
"""

import re

import pandas as pd
import pytest
from conftest import CHAPTERS, build, change_an_ae_count, page, page_text, site_digest

pytestmark = pytest.mark.slow


def test_every_chapter_is_published(repo):
    for name in CHAPTERS:
        assert (repo / "book" / "_build" / "html" / f"{name}.html").exists(), name


def test_forest_plots_are_svg_images_in_the_site(repo):
    html = page(repo, "safety")
    images = re.findall(r'<img[^>]+src="([^"]+)"', html)
    forests = [src for src in images if src.endswith(".svg")]
    assert len(forests) >= 2, images
    for src in forests:
        svg = (repo / "book" / "_build" / "html" / src).read_text(encoding="utf-8")
        assert svg.lstrip().startswith(("<?xml", "<svg")), src


def test_every_combination_has_its_page(repo):
    import analysis as an
    from analysis.review.summary import slug

    ds = an.load_dataset(repo / "data")
    site = repo / "book" / "_build" / "html" / "combinations"
    regimens = an.combinations(ds)
    assert sorted(p.stem for p in site.glob("*.html")) == sorted(slug(r) for r in regimens)
    vdz_ust = page_text(repo, "combinations/vdz-ust")
    pool = an.synthesise(ds, "ae").pools["VDZ+UST"]
    assert an.fmt_pct(pool.estimate) in vdz_ust  # its own numbers, glued at build


def test_glued_numbers_appear_and_no_glue_markup_is_left(repo):
    import analysis as an

    ds = an.load_dataset(repo / "data")
    facts = an.dataset_facts(ds)
    intro = page_text(repo, "intro")
    assert f"data package (version {facts['data_version']})" in intro
    assert f"{facts['n_studies_pooled']} studies (from {facts['n_studies']} reports" in intro
    for name in CHAPTERS:
        assert "{glue:" not in page(repo, name), name
    assert ds.sha256 in page_text(repo, "methods")
    safety = page_text(repo, "safety")
    ae = an.outcome_facts(an.synthesise(ds, "ae"))
    assert ae["ae_rates"] in safety and ae["ae_any"] in safety


def test_noop_rebuild_executes_nothing(repo):
    site = repo / "book" / "_build" / "html"
    before = site_digest(site)
    result = build(repo)
    assert result.returncode == 0
    assert "noop build" in result.stdout and "up to date" in result.stdout
    assert "Executing" not in result.stdout + result.stderr
    assert site_digest(site) == before


def test_two_clean_builds_of_the_same_sources_give_the_same_site(repo):
    """Reproducible: no timestamps or random ids in the content."""
    import subprocess
    import sys

    site = repo / "book" / "_build" / "html"
    assert build(repo).returncode == 0  # up to date with the copy's sources
    before = site_digest(site)
    forced = subprocess.run(
        [sys.executable, str(repo / "scripts" / "build_book.py"), "--root", str(repo), "--force"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert forced.returncode == 0, forced.stdout[-3000:] + forced.stderr[-3000:]
    assert "clean build" in forced.stdout
    assert site_digest(site) == before


def test_changed_count_and_hostile_text_change_the_site(repo):
    regimen = change_an_ae_count(repo / "data")
    studies = pd.read_csv(repo / "data" / "studies.csv", dtype=str, keep_default_na=False)
    hostile = '<script>alert("x")</script> <b>bold</b> {glue:text}`n_studies` **md**'
    studies.at[0, "citation"] = hostile
    studies.to_csv(repo / "data" / "studies.csv", index=False)
    before = page_text(repo, "safety")

    result = build(repo)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "clean build" in result.stdout
    after = page_text(repo, "safety")
    assert after != before

    import analysis as an

    syn = an.synthesise(an.load_dataset(repo / "data"), "ae")
    table = an.summary_table(syn)
    shown = table[table["Regimen"].str.split().str[0] == regimen].iloc[0]
    assert str(shown["Events"]) == str(syn.pools[regimen].events_total)
    row = " ".join(
        str(shown[c]) for c in ("Regimen", "Studies", "Courses", "Events", "Pooled % (95% CI)")
    )
    sae_starts = "Serious adverse events were reported"
    assert row in after.split(sae_starts)[0]  # the AE summary table shows the edited count
    assert row not in before.split(sae_starts)[0]

    studies_page = page(repo, "studies")
    assert "<script>alert" not in studies_page
    assert "&lt;script&gt;alert" in studies_page
    assert "<b>bold</b>" not in studies_page
    assert "{glue:text}`n_studies`" in studies_page  # shown as text, not executed


def assert_failed_and_intact(repo, expected):
    site = repo / "book" / "_build" / "html"
    before = site_digest(site)
    result = build(repo)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert site_digest(site) == before


def test_bad_data_fails_and_keeps_the_site(repo):
    path = repo / "data" / "outcomes.csv"
    good = path.read_bytes()
    outcomes = pd.read_csv(path, dtype=str, keep_default_na=False)
    outcomes.at[0, "events"] = str(int(outcomes.at[0, "total"]) + 5)
    outcomes.to_csv(path, index=False)
    try:
        assert_failed_and_intact(repo, "outcomes.csv:2:events")
    finally:
        path.write_bytes(good)


@pytest.mark.parametrize(
    "addition, expected",
    [
        ("\n```{code-cell} ipython3\nraise RuntimeError('chapter broke')\n```\n", "chapter broke"),
        ("\nA number with no glue key: {glue:text}`no_such_key`.\n", "no_such_key"),
    ],
)
def test_broken_chapter_fails_and_keeps_the_site(repo, addition, expected):
    path = repo / "book" / "discussion.md"
    good = path.read_text()
    path.write_text(good + addition)
    try:
        assert_failed_and_intact(repo, expected)
    finally:
        path.write_text(good)


def test_every_internal_link_and_anchor_of_the_site_resolves(repo):
    """A link check of the whole built site (and of every release under v/, if built)."""
    from linkcheck import broken_links

    assert broken_links(repo / "book" / "_build" / "html") == []
