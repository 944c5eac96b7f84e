"""What produced a build: data version, table sizes, software versions, commit."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata

from .. import paths
from .load import Dataset

#: Packages whose versions are reported in the methods chapter.
PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "seaborn",
    "frictionless",
    "jupyter-book",
    "myst-nb",
)


def package_version() -> str:
    """Version of the installed ``dtt-living-review`` distribution (``pyproject.toml``)."""
    try:
        return metadata.version("dtt-living-review")
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    """The current git commit (short), or ``'unknown'`` outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=paths.ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(ds: Dataset) -> dict[str, str]:
    """Describe the inputs and software of this build.

    Parameters
    ----------
    ds : Dataset
        The loaded data package.

    Returns
    -------
    dict
        ``data_sha256``, ``data_version`` (first 12 digits), ``n_studies``, ``n_arms``,
        ``n_outcome_rows``, ``python``, ``analysis`` and one entry per package of
        :data:`PACKAGES`, ``git_commit``; all values are strings, ready to glue.
    """
    info = {
        "data_sha256": ds.sha256,
        "data_version": ds.version,
        "n_studies": str(len(ds.studies)),
        "n_arms": str(len(ds.arms)),
        "n_outcome_rows": str(len(ds.outcomes)),
        "python": platform.python_version(),
        "analysis": package_version(),
        "git_commit": git_commit(),
    }
    for name in PACKAGES:
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = "not installed"
    return info
