"""Shared fixtures: real builds of the whole book in temporary copies of the repository.

``repo`` is one build of the working tree; ``releases`` is a throw-away git repository with
two releases cut, tagged and built from their tags under ``v/`` (``make versions``). Both
are session-wide: the browser test and the version tests look at the same builds.
"""

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
from html import unescape

import pandas as pd
import pytest
from hypothesis import settings

from analysis import paths

# Property tests draw the same examples on every run (CI stays reproducible);
# HYPOTHESIS_PROFILE=explore draws new ones.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

#: Chapters every build must publish (file stems in book/_toc.yml).
CHAPTERS = (
    "intro",
    "methods",
    "safety",
    "efficacy",
    "sensitivity",
    "robustness",
    "discussion",
    "studies",
    "whats_new",
    "versions",
    "selection",
    "certainty",
    "reproduction",
    "bibliography",
    "combinations",
    "subgroups",
)


def load_script(path):
    """A Python file that is not part of the package (a script, a Sphinx extension), loaded
    as a module named after it."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: scripts/build_book.py, loaded as a module (it is a script, not part of the package).
build_book = load_script(paths.ROOT / "scripts" / "build_book.py")


def build(root):
    """Run scripts/build_book.py on a repository copy; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "build_book.py"), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=900,
    )


def site_digest(site):
    """SHA-256 of every file (path and bytes) of a built site."""
    digest = hashlib.sha256()
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(site)).encode() + path.read_bytes())
    return digest.hexdigest()


def page(root, name):
    """Text of one published page of the copy at ``root``."""
    return (root / "book" / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")


def page_text(root, name):
    """Visible text of a published page: tags stripped, entities decoded, spaces folded."""
    html = page(root, name)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def copy_repo(dest):
    """Copy what a build needs into ``dest`` (no build outputs or caches)."""
    return build_book.copy_inputs(paths.ROOT, dest)


@pytest.fixture(scope="session")
def repo(tmp_path_factory):
    """A repository copy whose book has been built once (session-wide: builds are slow).

    Tests may change the copy's data or chapters but must leave it buildable.
    """
    root = copy_repo(tmp_path_factory.mktemp("book") / "repo")
    result = build(root)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return root


def change_an_ae_count(data, regimens=None) -> str:
    """Change the first analysed adverse-event count of an arm of ``regimens`` (default: any
    single combination, not a mixed arm) in ``data/outcomes.csv``: its events become its
    total, or 0 when they were the total (so the pool keeps events and a rate, never "0 of
    N" from a rate). Returns the arm's regimen."""
    outcomes = pd.read_csv(data / "outcomes.csv", dtype=str, keep_default_na=False)
    arms = pd.read_csv(data / "arms.csv", dtype=str, keep_default_na=False)
    chosen = arms["regimen"].isin(regimens) if regimens else arms["regimen"] != "mixed"
    row = outcomes.index[
        (outcomes["outcome"] == "ae")
        & outcomes["arm_id"].isin(arms.loc[chosen, "arm_id"])
        & (outcomes["analysed"] == "true")
    ][0]
    total = outcomes.at[row, "total"]
    outcomes.at[row, "events"] = "0" if outcomes.at[row, "events"] == total else total
    outcomes.to_csv(data / "outcomes.csv", index=False, lineterminator="\n")
    return arms.set_index("arm_id").at[outcomes.at[row, "arm_id"], "regimen"]


#: The combination whose adverse-event count differs between the two releases of
#: ``releases``.
REGIMEN = "VDZ+UST"


def git(root, *args):
    """Run git in ``root`` as a throw-away author (checked)."""
    subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
            "PATH": "/usr/bin:/bin",
            "HOME": str(root),
        },
    )


def _release(root, date):
    result = subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "release.py"),
            "--root",
            str(root),
            "--search-date",
            "2026-12-02",
            "--review-version",
            "living",
            "--date",
            date,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return re.search(r"release (\d+\.\d+\.\d+)", result.stdout).group(1)


def _commit_and_tag(root, version):
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"release {version}")
    git(root, "tag", f"v{version}")


def build_versions(root, *versions):
    """Run scripts/build_versions.py on ``root`` for ``versions``; the CompletedProcess."""
    return subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "build_versions.py"),
            "--root",
            str(root),
            "--only",
            *versions,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )


def _ae_rate(root):
    import analysis as an

    pool = an.synthesise(an.load_dataset(root / "data"), "ae").pools[REGIMEN]
    return an.fmt_pct(pool.estimate)


@pytest.fixture(scope="session")
def releases(tmp_path_factory):
    """Two releases built from their tags: ``(root, first, second, old_rate, new_rate)``.

    In a throw-away git repository (a copy of this one), release ``first`` is cut and
    tagged, an adverse-event count of :data:`REGIMEN` is changed and release ``second`` cut
    and tagged; the latest is built (``make book``) and ``scripts/build_versions.py``
    builds both releases from their tags into ``book/_build/html/v/<version>/``.
    ``old_rate`` and ``new_rate`` are that combination's pooled adverse-event rate in each.
    """
    root = copy_repo(tmp_path_factory.mktemp("versions") / "repo")
    (root / ".gitignore").write_text("book/_build/\n__pycache__/\n")
    git(root, "init", "-q")
    first = _release(root, "2026-12-02")
    _commit_and_tag(root, first)
    old_rate = _ae_rate(root)

    change_an_ae_count(root / "data", {REGIMEN})
    second = _release(root, "2026-12-03")
    _commit_and_tag(root, second)
    new_rate = _ae_rate(root)
    assert old_rate != new_rate

    result = build(root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    versions = build_versions(root, first, second)
    assert versions.returncode == 0, versions.stdout[-3000:] + versions.stderr[-3000:]
    return root, first, second, old_rate, new_rate
