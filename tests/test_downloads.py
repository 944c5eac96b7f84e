"""Downloads written at publish time: results.csv/.json and the data package (fast)."""

import csv
import hashlib
import io
import json
import zipfile

import pytest

from analysis import paths
from analysis.datapackage.load import load_dataset
from analysis.publish import downloads


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    downloads.write_downloads(site, load_dataset())
    return site / "downloads"


def test_results_csv_has_every_estimate_with_its_id(site):
    rows = list(csv.DictReader(io.StringIO((site / "results.csv").read_text("utf-8"))))
    ids = [r["result_id"] for r in rows]
    assert len(ids) == len(set(ids)) > 0
    for column in (
        "method",
        "k",
        "n",
        "estimate",
        "ci_low",
        "ci_high",
        "pi_low",
        "pi_high",
        "tau2",
        "i2",
        "data_version",
    ):
        assert column in rows[0]
    assert {r["method"] for r in rows} == {
        "primary",
        "glmm_ml",
        "bayes",
        "bayes_hn05",
        "bayes_hn2",
        "glmm_hk",
        "logit_reml_hk",
        "arcsine_dl",
    }
    assert all(r["result_id"] == f"{r['outcome']}/{r['regimen']}/{r['method']}" for r in rows)


def test_results_say_what_the_site_says(site):
    rows = {
        r["result_id"]: r
        for r in csv.DictReader(io.StringIO((site / "results.csv").read_text("utf-8")))
    }
    primary = [r for r in rows.values() if r["method"] == "primary" and r["regimen"] != "any"]
    # every primary rate has its certainty and a rating per GRADE domain
    for r in primary:
        assert r["certainty"] in {"High", "Moderate", "Low", "Very low"}
        for domain in (
            "risk_of_bias",
            "inconsistency",
            "indirectness",
            "imprecision",
            "publication_bias",
        ):
            assert r[domain].rstrip("*") in {"not serious", "serious", "very serious"}
    # single studies and pooled counts: exact CI, no PI, no I²; no method gives a PI, tau²
    # or I² below three studies; the Bayesian model is primary for 2-4 studies
    for r in primary:
        bayes = r["model"].startswith("Bayesian")
        if r["status"] in ("single study", "pooled counts") or int(r["k"]) < 3:
            assert r["pi_low"] == r["pi_high"] == "" and r["i2"] == r["tau2"] == ""
        if r["status"] == "pooled":
            assert bayes == (int(r["k"]) <= 4)
            assert (r["pi_low"] != "") == (int(r["k"]) >= 3)
        if r["status"] != "pooled":
            assert r["i2"] == r["tau2"] == ""
    for r in rows.values():  # every method, not only the primary
        if r["k"] and int(r["k"]) < 3:
            assert r["pi_low"] == r["pi_high"] == "" == r["tau2"] == r["i2"], r["result_id"]
    # the SAE pools without events are counts, and every sensitivity method refuses them
    zero = [r for r in primary if r["outcome"] == "sae" and r["events"] == "0"]
    assert zero and all(r["status"] == "pooled counts" for r in zero)
    for r in zero:
        other = rows[r["result_id"].replace("/primary", "/logit_reml_hk")]
        assert other["status"] == "not estimable" and other["estimate"] == ""


def test_pool_inputs_rebuild_every_primary_pool(site):
    inputs = list(csv.DictReader(io.StringIO((site / "pool_inputs.csv").read_text("utf-8"))))
    results = list(csv.DictReader(io.StringIO((site / "results.csv").read_text("utf-8"))))
    for r in (r for r in results if r["method"] == "primary"):
        studies = [
            i for i in inputs if (i["outcome"], i["regimen"]) == (r["outcome"], r["regimen"])
        ]
        assert len(studies) == int(r["k"]), r["result_id"]
        assert sum(int(i["events"]) for i in studies) == int(r["events"])
        assert sum(int(i["total"]) for i in studies) == int(r["n"])
        assert len({i["study_id"] for i in studies}) == len(studies)  # each study once


def test_download_codebook_is_a_valid_data_package(site):
    from frictionless import Package

    report = Package(str(site / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])
    doc = json.loads((site / "datapackage.json").read_text("utf-8"))
    for resource in doc["resources"]:
        assert all(f["description"] for f in resource["schema"]["fields"])


def test_results_json_matches_csv(site):
    doc = json.loads((site / "results.json").read_text("utf-8"))
    rows = list(csv.DictReader(io.StringIO((site / "results.csv").read_text("utf-8"))))
    assert [r["result_id"] for r in doc["results"]] == [r["result_id"] for r in rows]
    assert doc["data_sha256"] == load_dataset(paths.DATA).sha256
    assert doc["release"]


def test_the_zipped_package_has_the_fingerprint_the_site_shows(site, tmp_path):
    """One data identity: unzip the download, load it, and get the value results.json gives."""
    with zipfile.ZipFile(site / "data-package.zip") as archive:
        archive.extractall(tmp_path)
    shown = json.loads((site / "results.json").read_text("utf-8"))["data_sha256"]
    assert load_dataset(tmp_path / "data").sha256 == shown


def test_data_zip_is_the_data_package_byte_for_byte(site):
    with zipfile.ZipFile(site / "data-package.zip") as archive:
        names = set(archive.namelist())
        assert "data/datapackage.json" in names and "data/releases.csv" in names
        for path in paths.DATA.rglob("*"):
            if path.is_file():
                name = f"data/{path.relative_to(paths.DATA).as_posix()}"
                assert archive.read(name) == path.read_bytes()


def test_checksums(site):
    for line in (site / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((site / name).read_bytes()).hexdigest() == digest
