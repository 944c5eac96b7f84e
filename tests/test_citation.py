"""CITATION.cff and the "Cite this chapter" blocks (fast)."""

import html
import re

import jsonschema
import pybtex.database
import pytest
from cffconvert import Citation

from analysis import paths
from analysis.datapackage import fingerprint
from analysis.datapackage.load import load_dataset
from analysis.publish import cite, releases
from analysis.review.synthesis import results_table

CFF = paths.ROOT / "CITATION.cff"


def test_citation_cff_is_valid_cff_1_2_0():
    citation = Citation(CFF.read_text(encoding="utf-8"), src=str(CFF))
    citation.validate()  # raises jsonschema.ValidationError when invalid
    assert citation.cffobj["cff-version"] == "1.2.0"


def test_an_invalid_citation_file_is_rejected():
    bad = "cff-version: 1.2.0\ntitle: x\nmessage: y\nauthors: nobody\n"
    with pytest.raises(jsonschema.ValidationError):
        Citation(bad, src="bad.cff").validate()


def test_citation_cff_follows_the_latest_release():
    meta = cite.citation_metadata()
    last = releases.read_releases().iloc[-1]
    assert str(meta["version"]) == last["version"]
    assert str(meta["date-released"]) == last["date"]


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


def test_cite_block_has_every_part(ds):
    import analysis as an

    ae, sae = an.synthesise(ds, "ae"), an.synthesise(ds, "sae")  # as safety.md
    facts = an.outcome_facts(ae, sae)
    block = cite.cite_block("safety", ds, facts=facts, results=[ae, sae])
    last = releases.read_releases().iloc[-1]
    released = cite.release_status(ds)["status"] == "released"
    assert "Cite this chapter" in block
    assert last["version"] in block and ds.sha256 in block
    site = "https://dtt-living-review.github.io/dtt-living-review/"
    assert (f"{site}v/{last['version']}/safety.html" if released else f"{site}safety.html") in block
    for name in cite.DOWNLOADS:
        assert f'href="downloads/{name}"' in block
    bibtex = re.search(r'<pre class="dtt-bibtex">(.*?)</pre>', block, re.S).group(1)
    entries = pybtex.database.parse_string(html.unescape(bibtex), "bibtex").entries
    (entry,) = entries.values()
    expected = last["version"] if released else f"unreleased (after {last['version']})"
    assert entry.fields["version"] == expected
    assert ds.sha256 in entry.fields["note"]
    # figure/table labels and result ids get anchors that the block links to
    assert 'href="#fig-ae-forest"' in block
    safety = results_table(ds)
    safety = safety[safety["outcome"].isin(["ae", "sae"]) & (safety["method"] == "primary")]
    assert len(safety) > 10
    for result_id in safety["result_id"]:
        assert f'<tr id="{html.escape(result_id)}">' in block
    assert 'id="num-ae-any"' in block
    # a pool without events is listed by its counts, as everywhere else
    counts = safety[safety["status"] == "pooled counts"].iloc[0]
    row = re.search(rf'<tr id="{re.escape(html.escape(counts.result_id))}">.*?</tr>', block).group(
        0
    )
    assert f"<td>{counts.events}/{counts.n} (" in row


def test_chapter_labels_and_anchor_ids(tmp_path):
    (tmp_path / "x.md").write_text(
        "# T\n(sec-a)=\n## A\n```{glue:figure} k\n:name: fig-b\n```\n(tbl-c)=\n```{glue:} t\n```\n"
    )
    assert cite.chapter_labels("x", tmp_path) == [
        ("section", "sec-a"),
        ("figure", "fig-b"),
        ("table", "tbl-c"),
    ]
    assert cite.chapter_title("x", tmp_path) == "T"
    assert cite.anchor_id("tbl_ae") == "tbl-ae"


def test_cite_block_escapes_hostile_metadata(ds, monkeypatch):
    meta = cite.citation_metadata() | {
        "title": "<script>alert(1)</script> {glue:text}`x`",
        "authors": [{"name": "<img src=x onerror=alert(1)>"}],
    }
    monkeypatch.setattr(cite, "citation_metadata", lambda root=None: meta)
    block = cite.cite_block("methods", ds, facts={"<b>k</b>": "<i>v</i>"})
    assert "<script>" not in block and "<img" not in block and "<b>k" not in block
    assert "&lt;script&gt;" in block


def test_release_status_flags_unreleased_changes(ds):
    from analysis.datapackage import subset

    status = cite.release_status(ds)
    last = releases.read_releases().iloc[-1]
    expected = "released" if last["data_sha256"] == fingerprint(ds) else "unreleased changes"
    assert status["status"] == expected
    changed = subset(ds, studies=ds.studies.iloc[1:])  # a view carries its own fingerprint
    assert cite.release_status(changed)["status"] == "unreleased changes"


def test_a_release_is_cited_by_its_own_versioned_url():
    meta = {"url": "https://example.org/review"}
    released = {"version": "3.1.0", "status": "released"}
    changed = {"version": "3.1.0", "status": "unreleased changes"}
    assert cite.chapter_url(meta, released, "safety") == (
        "https://example.org/review/v/3.1.0/safety.html"
    )
    assert cite.chapter_url(meta, changed, "combinations/vdz-ust") == (
        "https://example.org/review/combinations/vdz-ust.html"
    )
