"""Downloads written at publish time: results.csv/.json and the data package (fast)."""

import csv
import hashlib
import io
import json
import zipfile

import pytest

from analysis import paths
from analysis.datapackage.load import data_sha256, load_dataset
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
    assert {r["method"] for r in rows} >= {"primary", "as_published"}
    assert all(r["result_id"] == f"{r['outcome']}/{r['regimen']}/{r['method']}" for r in rows)


def test_results_json_matches_csv(site):
    doc = json.loads((site / "results.json").read_text("utf-8"))
    rows = list(csv.DictReader(io.StringIO((site / "results.csv").read_text("utf-8"))))
    assert [r["result_id"] for r in doc["results"]] == [r["result_id"] for r in rows]
    assert doc["data_sha256"] == data_sha256(paths.DATA)
    assert doc["release"]


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
