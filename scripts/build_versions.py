r"""Build every release not yet built, each from its own git tag, and publish them under v/.

Usage: ``python scripts/build_versions.py [--root DIR] [--only X.Y.Z ...]`` (``make versions``).

For each release of ``data/releases.csv`` with ``site = tagged``:

1. skip it if ``book/_build/versions/<version>/`` holds a finished build (a release never
   changes, so it is built once; the Pages workflow caches that folder);
2. otherwise check out its sources and data, from the tag ``v<version>`` (or the
   ``commit`` column where the tag is missing), into a temporary git worktree, and run
   *that release's own* ``scripts/build_book.py`` there: the release's numbers come from the
   release's data and code, never from newer ones;
3. move the finished site into the cache (a failed build leaves nothing there).

Then, if the latest site exists (``make book``), it is republished atomically with every
cached release under ``v/<version>/`` and each page's version banner
(:mod:`analysis.publish.versions`). Exit status 1 if any release failed to build.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_book import clear_staging, swap_in  # noqa: E402  (the same atomic publish)

from analysis.publish import versions  # noqa: E402
from analysis.publish.releases import read_releases  # noqa: E402


def git(root: Path, *args: str) -> str:
    """Run git in ``root``; return its stdout (stripped)."""
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def source_commit(root: Path, version: str, recorded: str = "") -> str:
    """The commit a release is built from: its tag ``v<version>``, else ``recorded``."""
    try:
        return git(root, "rev-parse", "--verify", "--quiet", f"v{version}^{{commit}}")
    except subprocess.CalledProcessError:
        if recorded:
            return git(root, "rev-parse", "--verify", f"{recorded}^{{commit}}")
        raise SystemExit(
            f"release {version} has no source: tag it (git tag v{version} <commit>) "
            "or fill its commit column in data/releases.csv"
        ) from None


def build_release(root: Path, version: str, commit: str, cache: Path) -> bool:
    """Build one release from ``commit`` into ``cache/<version>``; True on success."""
    with tempfile.TemporaryDirectory(prefix=f"dtt-{version}-") as tmp:
        tree = Path(tmp) / "src"
        git(root, "worktree", "add", "--detach", str(tree), commit)
        try:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            # cwd = the release's tree: ``python -m analysis`` there imports its own package
            result = subprocess.run(
                [sys.executable, str(tree / "scripts" / "build_book.py"), "--root", str(tree)],
                cwd=tree,
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                print(result.stdout[-3000:] + result.stderr[-3000:], file=sys.stderr)
                print(f"build_versions: {version} failed to build", file=sys.stderr)
                return False
            staging = cache / f"{version}.staging"
            if staging.exists():
                shutil.rmtree(staging)
            shutil.copytree(tree / "book" / "_build" / "html", staging)
            os.replace(staging, cache / version)
        finally:
            git(root, "worktree", "remove", "--force", str(tree))
    return True


def republish(root: Path) -> None:
    """Republish ``book/_build/html`` atomically with the cached releases and banners."""
    build_dir = root / "book" / "_build"
    site = build_dir / "html"
    if not site.exists():
        print("build_versions: no latest site yet; run make book to publish the releases")
        return
    staging = clear_staging(build_dir)
    shutil.copytree(site, staging, ignore=shutil.ignore_patterns(versions.VERSIONS))
    versions.publish(staging, root)
    swap_in(staging, site)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument("--only", nargs="*", default=None, help="build only these versions")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    cache = root / "book" / "_build" / "versions"
    cache.mkdir(parents=True, exist_ok=True)
    releases = read_releases(root / "data")
    failed = []
    for row in releases[releases["site"] == "tagged"].itertuples(index=False):
        if args.only is not None and row.version not in args.only:
            continue
        if (cache / row.version / "index.html").exists():
            print(f"build_versions: {row.version} already built (cached)")
            continue
        commit = source_commit(root, row.version, row.commit)
        print(f"build_versions: building {row.version} from {commit[:12]}", flush=True)
        if not build_release(root, row.version, commit, cache):
            failed.append(row.version)
    republish(root)
    if failed:
        print(f"build_versions: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"build_versions: published {sorted(p.name for p in cache.iterdir() if p.is_dir())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
