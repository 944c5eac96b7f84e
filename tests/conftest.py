"""Shared fixtures: a real build of the whole book in a temporary copy of the repository."""

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
from html import unescape

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
#: scripts/build_book.py, loaded as a module (it is a script, not part of the package).
_spec = importlib.util.spec_from_file_location(
    "build_book", paths.ROOT / "scripts" / "build_book.py"
)
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)


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
