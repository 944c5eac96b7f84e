"""Files the published site serves under ``downloads/`` (written at publish time).

:func:`write_downloads` is called by ``scripts/build_book.py`` on the staging copy of the
site, right before it is renamed into place, from the same data and code as the chapters:

* ``results.csv``: every pooled estimate (:func:`analysis.results_table`, primary and
  as-published methods) with its stable ``result_id``, method, k, n, events, estimate,
  CI, PI, tau², I² and data version (formulas neutralised by
  :func:`analysis.publish.exports.write_csv`);
* ``results.json``: the same rows plus the data SHA-256, data version and release;
* ``data-package.zip``: every file of ``data/`` byte for byte (``datapackage.json``, the
  CSVs, ``releases.csv``, the release snapshots, PRISMA counts, GRADE overrides), so its
  SHA-256 (:func:`analysis.datapackage.data_sha256`) can be checked against the one the site shows;
* ``CITATION.cff``: the citation metadata;
* ``SHA256SUMS``: SHA-256 of each file above.

Nothing is written into ``book/`` (the build fingerprints it).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sys
import zipfile
from pathlib import Path

from .. import paths
from ..datapackage import Dataset, load_dataset
from ..review.synthesis import results_table
from .cite import release_status
from .exports import write_csv

#: Sub-folder of the site holding the downloads.
FOLDER = "downloads"


def _clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


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
    table = results_table(ds)
    release = release_status(ds)
    files = [write_csv(table, out / "results.csv")]
    json_path = out / "results.json"
    json_path.write_text(
        json.dumps(results_json(table, ds, release), indent=1, ensure_ascii=False, allow_nan=False)
        + "\n",
        encoding="utf-8",
    )
    files.append(json_path)
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
