"""Regenerate the site's DataTables bundle (``book/_ext/dt_bundle/``) from pinned npm packages.

itables ships one DataTables bundle with a dozen extensions (0.7 MB); the site's tables use
sorting, search, paging, sideways scroll and a pinned first column only, so the book serves a
bundle of just DataTables, its default styling, FixedColumns and jQuery, built here with
esbuild from the same package versions as itables' own bundle. The entry module and
stylesheet (``scripts/dt_bundle/index.js``, ``index.css``) are itables' own
(``packages/dt_for_itables/src``, MIT) with the unused extensions left out, so the ``ITable``
class that the tables of ``analysis.publish.glue`` call is itables' code.

The output is committed (a vendored third-party file, with its licenses in ``LICENSE.txt``
and the versions and hashes in ``dt_bundle.json``): ``make book`` needs neither npm nor the
network. Only this script does (Node.js and the npm registry), when a maintainer changes the
itables of ``requirements.txt`` or the pins:

1. copy ``packages/dt_for_itables/src/index.js`` and ``index.css`` of the new itables release
   over ``scripts/dt_bundle/``, leaving out the same extensions (see the header of each),
   and set :data:`ITABLES` to that release;
2. set the versions of ``scripts/dt_bundle/package.json`` to those of that release's
   ``packages/dt_for_itables/package-lock.json`` and refresh our lock file
   (``npm install --package-lock-only`` in ``scripts/dt_bundle``);
3. run this script, then ``make book`` and ``python bench/page_weight.py``.

The build is reproducible: ``npm ci`` from the lock file in a temporary folder (no install
scripts), esbuild pinned, so the same inputs give the same bytes (``--check`` rebuilds and
compares with the committed files). Until the bundle is regenerated for a new itables, the
book falls back to itables' own bundle (``book/_ext/dtt_html_fixes.py``) and
``tests/test_dt_bundle.py`` fails.

Usage: ``python scripts/build_dt_bundle.py [--check]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "scripts" / "dt_bundle"
TARGET = ROOT / "book" / "_ext" / "dt_bundle"
#: The itables release whose ``dt_for_itables`` entry module ``scripts/dt_bundle`` copies.
ITABLES = "2.9.1"
#: The bundle's files, as itables names its own.
OUTPUTS = ("dt_bundle.js", "dt_bundle.css")
#: The npm packages whose code is in the bundle (their licenses go into ``LICENSE.txt``).
BUNDLED = (
    "datatables.net",
    "datatables.net-dt",
    "datatables.net-fixedcolumns",
    "datatables.net-fixedcolumns-dt",
    "jquery",
)


def _run(cmd: list[str], cwd: Path) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"build_dt_bundle: {' '.join(cmd)} failed\n{result.stdout}\n{result.stderr}")


def _license(work: Path) -> str:
    """The licenses of everything in the bundle: itables' entry module and each package."""
    parts = [
        "The site's DataTables bundle (dt_bundle.js, dt_bundle.css) is built by "
        "scripts/build_dt_bundle.py\nfrom the following MIT-licensed code.\n",
        f"== dt_for_itables (itables {ITABLES}: the entry module and stylesheet) ==\n"
        + (SOURCE / "LICENSE-dt_for_itables").read_text(encoding="utf-8").strip()
        + "\n",
    ]
    for name in BUNDLED:
        package = work / "node_modules" / name
        version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        file = next(p for p in sorted(package.iterdir()) if p.name.upper().startswith("LICENSE"))
        text = file.read_text(encoding="utf-8").strip()
        parts.append(f"== {name} {version} ==\n{text}\n")
    return "\n".join(parts)


def build(dest: Path) -> dict:
    """Bundle into ``dest``: the two files, ``LICENSE.txt`` and ``dt_bundle.json``."""
    with tempfile.TemporaryDirectory(prefix="dt_bundle-") as tmp:
        work = Path(tmp)
        for name in ("package.json", "package-lock.json", "index.js", "index.css"):
            shutil.copy2(SOURCE / name, work / name)
        _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], work)
        esbuild = str(work / "node_modules" / ".bin" / "esbuild")
        _run([esbuild, "index.js", "--bundle", "--format=esm", "--minify",
              "--outfile=dt_bundle.js"], work)  # fmt: skip
        _run([esbuild, "index.css", "--bundle", "--minify", "--outfile=dt_bundle.css"], work)
        dest.mkdir(parents=True, exist_ok=True)
        for name in OUTPUTS:
            shutil.copyfile(work / name, dest / name)
        (dest / "LICENSE.txt").write_text(_license(work), encoding="utf-8")
        lock = json.loads((work / "package-lock.json").read_text(encoding="utf-8"))
    manifest = {
        "itables": ITABLES,
        "packages": {
            key.removeprefix("node_modules/"): value["version"]
            for key, value in sorted(lock["packages"].items())
            if key and not key.startswith("node_modules/@esbuild/")
        },
        "sha256": {
            name: hashlib.sha256((dest / name).read_bytes()).hexdigest() for name in OUTPUTS
        },
    }
    (dest / "dt_bundle.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="rebuild and compare with the committed files"
    )
    args = parser.parse_args(argv)
    import itables

    if itables.__version__ != ITABLES:
        sys.exit(
            f"build_dt_bundle: itables {itables.__version__} is installed but scripts/dt_bundle "
            f"holds the entry module of itables {ITABLES}: update it first (see the docstring)"
        )
    if shutil.which("npm") is None:
        sys.exit("build_dt_bundle: needs Node.js and npm (only to regenerate the bundle)")
    if not args.check:
        manifest = build(TARGET)
        sizes = ", ".join(f"{n} {(TARGET / n).stat().st_size / 1e3:.0f} kB" for n in OUTPUTS)
        print(f"build_dt_bundle: wrote {TARGET.relative_to(ROOT)} ({sizes}) for itables "
              f"{manifest['itables']}")  # fmt: skip
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        names = (*OUTPUTS, "LICENSE.txt", "dt_bundle.json")
        differ = [n for n in names if (Path(tmp) / n).read_bytes() != (TARGET / n).read_bytes()]
    if differ:
        print(f"build_dt_bundle: differs from the committed bundle: {', '.join(differ)}",
              file=sys.stderr)  # fmt: skip
        return 1
    print("build_dt_bundle: the committed bundle is what the pinned sources build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
