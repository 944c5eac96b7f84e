"""Files the published site serves under ``downloads/`` (written at publish time).

:func:`write_downloads` is called by ``scripts/build_book.py`` on the staging copy of the
site, right before it is renamed into place, from the same data and code as the chapters:

* ``results.csv`` / ``results.json``: every pooled estimate of the primary analysis and of
  the sensitivity methods (:func:`analysis.review.synthesis.results_table`) with its stable
  ``result_id``; primary rows carry their certainty and the rating of each GRADE domain;
  rows a method refused are kept with ``status`` "not estimable" and empty numbers;
* ``pool_inputs.csv``: every study count that enters each primary pool (regimen ``any`` for
  the any-combination pools), so that any pool can be re-run elsewhere (e.g. R meta);
* ``datapackage.json``: a Frictionless descriptor of the two CSV files (every field with a
  description and unit: proportions on the 0-1 scale, where the site shows percentages);
* ``data-package.zip``: every file of ``data/`` byte for byte; loading it gives the data
  fingerprint the site shows (:func:`analysis.datapackage.fingerprint`);
* ``CITATION.cff``: the citation metadata; ``SHA256SUMS``: SHA-256 of each file above.

CSV text cells are neutralised against spreadsheet formulas
(:func:`analysis.publish.exports.write_csv`). Nothing is written into ``book/``.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sys
import zipfile
from pathlib import Path

import pandas as pd

from .. import paths
from ..datapackage import Dataset, load_dataset
from ..review.certainty import DOMAINS, certainty_frame
from ..review.sensitivity import COMPARED
from ..review.settings import MIN_K_HETEROGENEITY, PRIMARY
from ..review.synthesis import OUTCOMES, pool_inputs, results_table, synthesise
from .cite import release_status
from .exports import write_csv

#: Sub-folder of the site holding the downloads.
FOLDER = "downloads"
_RATING = {0: "not serious", 1: "serious", 2: "very serious"}

#: Codebook of ``results.csv`` (and of each record of ``results.json``).
RESULTS_FIELDS = {
    "result_id": ("string", "Stable id outcome/regimen/method, the anchor on the site"),
    "outcome": (
        "string",
        "ae, sae, clinical_response, clinical_remission, "
        "endoscopic_response or endoscopic_remission",
    ),
    "regimen": ("string", "Combination label (e.g. VDZ+UST), or 'any' for every study once"),
    "method": (
        "string",
        "Method key: primary (Bayesian for 2-4 studies, GLMM from 5), glmm_ml (GLMM for "
        "every pool), bayes, bayes_hn05, bayes_hn2 (Bayesian binomial-normal with tau ~ "
        "half-normal 1, 0.5, 2), glmm_hk, logit_reml_hk, arcsine_dl",
    ),
    "status": (
        "string",
        "pooled (a model), single study (its own proportion), pooled "
        "counts (no events or only events: x/N, no model) or not estimable",
    ),
    "k": ("integer", "Studies in the pool"),
    "n": ("integer", "Treatment courses (patients on the combination) in the pool"),
    "events": ("integer", "Courses with the outcome"),
    "estimate": (
        "number",
        "Pooled proportion, 0-1 (the site shows it in %); for Bayesian rows (model "
        "'Bayesian ...') the posterior median",
    ),
    "ci_low": (
        "number",
        "Lower limit of the 95% confidence interval, 0-1; for Bayesian rows of the 95% "
        "equal-tailed credible interval",
    ),
    "ci_high": ("number", "Upper limit of the 95% confidence (Bayesian: credible) interval, 0-1"),
    "pi_low": (
        "number",
        "Lower limit of the 95% prediction interval, 0-1 (Bayesian rows: the 95% "
        "posterior predictive interval of a new study's proportion); empty below "
        f"{MIN_K_HETEROGENEITY} studies (every method), and where there is no model",
    ),
    "pi_high": ("number", "Upper limit of the 95% prediction (Bayesian: predictive) interval"),
    "tau2": (
        "number",
        "Between-study variance on the model scale (logit for the GLMM; Bayesian rows: the "
        "squared posterior median of tau); empty where not estimable (no model, or fewer "
        f"than {MIN_K_HETEROGENEITY} studies: see message)",
    ),
    "i2": (
        "number",
        "I² in percent (0-100), tau²-based as metafor computes it; empty where tau2 is",
    ),
    "q": ("number", "Cochran's Q of the inverse-variance logit model"),
    "q_df": ("integer", "Degrees of freedom of Q (k - 1)"),
    "q_pvalue": ("number", "p-value of Q (chi-squared with q_df)"),
    "model": (
        "string",
        "The model that produced the row (the fallback's where the GLMM could not be fitted)",
    ),
    "fallback": ("boolean", "True where the GLMM could not be fitted and the fallback was used"),
    "studies": ("string", "Study ids in the pool, ;-separated"),
    "marks": (
        "string",
        "Studies of the pool with a mark: ‡ count taken from the 2026 review "
        "(not independently sourced), § co-intervention (more than dual therapy)",
    ),
    "message": ("string", "What a reader must know about the row"),
    "data_version": ("string", "First 12 hex digits of the data package's SHA-256"),
    "certainty": (
        "string",
        "GRADE certainty of the primary rate: High, Moderate, Low, "
        "Very low (empty for other methods)",
    ),
    **{
        d: (
            "string",
            f"GRADE {d.replace('_', ' ')}: not serious, serious or very serious "
            "(* an override with its reason on the site)",
        )
        for d in DOMAINS
    },
}
#: Codebook of ``pool_inputs.csv``.
POOL_INPUT_FIELDS = {
    "outcome": ("string", "Outcome code (as in results.csv)"),
    "regimen": ("string", "Combination label, or 'any' for the any-combination pool"),
    "study_id": ("string", "Study id (data/studies.csv in the data package)"),
    "events": ("integer", "Courses with the outcome in this study"),
    "total": ("integer", "Courses assessed in this study"),
}


def _clean(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


def download_tables(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``results.csv`` and ``pool_inputs.csv`` as tables (numbers kept numeric).

    The results of the primary method carry ``certainty`` and one column per GRADE domain
    (``*`` marks an override); the other methods' rows leave those empty.
    """
    syntheses = [synthesise(ds, outcome) for outcome in OUTCOMES]
    table = results_table(ds, methods=COMPARED)
    frame = certainty_frame(ds).set_index("result_id")
    columns = {"certainty": frame["certainty"]}
    for domain in DOMAINS:
        columns[domain] = frame[domain].map(_RATING) + frame[f"{domain}_override"].map(
            {True: "*", False: ""}
        )
    grades = pd.DataFrame(columns)
    table = table.join(grades, on="result_id")
    primary = table["method"] == PRIMARY
    table.loc[~primary, list(grades.columns)] = None
    return table[list(RESULTS_FIELDS)], pool_inputs(syntheses)


def codebook(results: Path, inputs: Path) -> dict:
    """The Frictionless descriptor of the two download tables (every field described)."""

    def schema(fields):
        return {
            "fields": [
                {"name": name, "type": kind, "description": text}
                for name, (kind, text) in fields.items()
            ]
        }

    return {
        "name": "dtt-living-review-results",
        "title": "Dual targeted therapy in refractory IBD: pooled results and their inputs",
        "description": "Proportions are on the 0-1 scale (the site shows percentages). A "
        "course is one patient on one combination (the 2026 review's "
        "'therapeutic trial').",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {
                "name": "results",
                "path": results.name,
                "format": "csv",
                "encoding": "utf-8",
                "schema": {**schema(RESULTS_FIELDS), "primaryKey": ["result_id"]},
            },
            {
                "name": "pool_inputs",
                "path": inputs.name,
                "format": "csv",
                "encoding": "utf-8",
                "schema": schema(POOL_INPUT_FIELDS),
            },
        ],
    }


def results_json(table, ds: Dataset, release: dict) -> dict:
    """The JSON document of ``results.json`` (NaN written as ``null``)."""
    records = [
        {key: _clean(value) for key, value in row.items()}
        for row in table.to_dict(orient="records")
    ]
    return {
        "title": "Dual targeted therapy in refractory IBD: pooled results",
        "data_sha256": ds.sha256,
        "data_version": ds.version,
        "release": release.get("version") or None,
        "release_status": release.get("status"),
        "id_scheme": "outcome/regimen/method",
        "units": "proportions 0-1; i2 in percent",
        "results": records,
    }


def write_data_zip(data_dir: Path, path: Path) -> Path:
    """Zip every file of ``data_dir`` (relative paths, fixed timestamps, sorted)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in data_dir.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(
                f"data/{file.relative_to(data_dir).as_posix()}", date_time=(1980, 1, 1, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.read_bytes())
    return path


def write_downloads(
    site: Path | str, ds: Dataset | None = None, root: Path | str | None = None
) -> list[Path]:
    """Write the download files into ``<site>/downloads/``.

    Parameters
    ----------
    site : path
        The (staging) HTML site folder.
    ds : Dataset, optional
        The data package (loaded from ``<root>/data`` if not given).
    root : path, optional
        Repository root (default: this repository).

    Returns
    -------
    list of Path
        The files written.
    """
    root = Path(root or paths.ROOT)
    ds = ds or load_dataset(root / "data")
    out = Path(site) / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    table, inputs = download_tables(ds)
    release = release_status(ds)
    files = [write_csv(table, out / "results.csv"), write_csv(inputs, out / "pool_inputs.csv")]
    for name, document in (
        ("results.json", results_json(table, ds, release)),
        ("datapackage.json", codebook(files[0], files[1])),
    ):
        path = out / name
        path.write_text(
            json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
        files.append(path)
    files.append(write_data_zip(Path(ds.data_dir), out / "data-package.zip"))
    files.append(Path(shutil.copyfile(root / "CITATION.cff", out / "CITATION.cff")))
    sums = "".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n" for f in files)
    (out / "SHA256SUMS").write_text(sums, encoding="utf-8")
    return files + [out / "SHA256SUMS"]


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.publish.downloads SITE [ROOT]``: write the downloads into ``SITE``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m analysis.publish.downloads SITE [ROOT]", file=sys.stderr)
        return 2
    root = Path(argv[1]) if len(argv) > 1 else paths.ROOT
    for path in write_downloads(Path(argv[0]), root=root):
        print(f"downloads: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
