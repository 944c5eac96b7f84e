"""Build the Jupyter Book so that the site never shows stale or half-built results.

Jupyter Book 1 keys its execution cache on code cells and Sphinx re-reads only the
chapters whose source changed, so a changed CSV would otherwise leave old numbers on the
site. This script fingerprints every input of the build:

* ``data``: every file under ``data/``;
* ``code``: the ``analysis`` package, ``requirements.txt``, ``pyproject.toml``, this script;
* ``config``: ``book/_config.yml``, ``book/_toc.yml``, ``book/references.bib`` and other
  non-chapter files of ``book/``;
* ``chapters``: one hash per chapter source (``book/**/*.md``).

and decides:

* nothing changed and the site exists: do nothing (a no-op rebuild executes no chapter);
* only chapter sources changed: incremental build; Sphinx re-reads and MyST-NB
  re-executes just those chapters;
* anything else changed (data, code, config, or the last build failed): clean build of
  every chapter.

Chapters are executed before Sphinx runs, in parallel (one worker per core, longest
chapters first), each worker keeping one Python kernel for the chapters it executes: the
kernel's namespace is reset (``%reset -f``) before every chapter, so a chapter sees only
what it defines, while imported modules stay loaded. The executed notebooks go into a copy
of the book (``book/_build/work/src``, configured not to execute again), which Jupyter Book
renders. Kernels live for one build only: nothing computed survives into the next build.

The book is built in a work directory (``book/_build/work``); the published site
``book/_build/html`` is replaced only after the whole build succeeded (validation, every
chapter executed without error, no Sphinx warning), by renaming a complete staging copy
into place. A failed build leaves the published site byte-for-byte intact.

Usage: ``python scripts/build_book.py [--root DIR] [--force]``; exit status 0 on success
or no-op, 1 on a failed build (the published site untouched).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jupytext
import nbformat
import yaml

FINGERPRINT = "fingerprint.json"
#: Runs the jupyter-book command line of the interpreter running this script.
JUPYTER_BOOK = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"


#: What a build reads from the repository; everything else is output or tooling.
INPUTS = (
    "analysis",
    "book",
    "data",
    "scripts",
    "validation",
    "pyproject.toml",
    "requirements.txt",
    "CITATION.cff",
)
_NOT_INPUTS = ("_build", "__pycache__", "*.ipynb", ".jupyter_cache")


def copy_inputs(root: Path, dest: Path) -> Path:
    """Copy the build's :data:`INPUTS` from ``root`` to ``dest`` (no outputs, no caches).

    Used by the tests and the benchmark to build a throw-away copy of the repository.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(*_NOT_INPUTS))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def _hash_files(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    skip = {"__pycache__", "_build", ".ipynb_checkpoints", ".jupyter_cache"}
    return [
        p
        for p in folder.rglob(pattern)
        if p.is_file() and not skip.intersection(p.relative_to(folder).parts)
    ]


def fingerprint(root: Path) -> dict:
    """Hash every input of the build, grouped by what a change to it invalidates."""
    book = root / "book"
    # book/combinations/ holds pages a stock jupyter-book build generated: not inputs
    ours = [p for p in _files(book) if p.relative_to(book).parts[0] != GENERATED]
    chapters = [p for p in ours if p.suffix == ".md"]
    config = [p for p in ours if p.suffix != ".md"] + [
        p for p in (root / "CITATION.cff",) if p.exists()
    ]
    code = (
        _files(root / "analysis", "*.py")
        + _files(root / "scripts", "*.py")
        + [p for p in (root / "requirements.txt", root / "pyproject.toml") if p.exists()]
    )
    return {
        "data": _hash_files(root, _files(root / "data") + _files(root / "validation", "*.csv")),
        "code": _hash_files(root, code),
        "config": _hash_files(root, config),
        "chapters": {p.relative_to(root).as_posix(): _hash_files(root, [p]) for p in chapters},
    }


def plan(previous: dict | None, current: dict, site_exists: bool) -> str:
    """Return ``"noop"``, ``"incremental"`` or ``"clean"``."""
    if previous is None or not site_exists:
        return "clean"
    if any(previous.get(key) != current[key] for key in ("data", "code", "config")):
        return "clean"
    if previous.get("chapters") != current["chapters"]:
        return "incremental"
    return "noop"


def _run(cmd: list[str], env: dict) -> int:
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, env=env)


#: Folder of the pages generated from the data, in the executed copy of the book.
GENERATED = "combinations"
#: Run before every chapter in a reused kernel: a clean namespace, no open figure.
RESET = "%reset -f\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt"
#: Kernel of this worker process (started on its first chapter, one per build).
_KERNEL = None


def _kernel(cwd: Path):
    global _KERNEL
    if _KERNEL is None:
        from jupyter_client.manager import KernelManager

        _KERNEL = KernelManager(kernel_name="python3")
        _KERNEL.start_kernel(cwd=str(cwd))
    return _KERNEL


def execute_chapter(source: Path, target: Path, timeout: int = 300) -> float:
    """Execute one jupytext chapter in this worker's kernel; write the executed notebook.

    Returns the seconds taken. Raises ``nbclient.exceptions.CellExecutionError`` (with the
    cell's traceback) when a cell fails.
    """
    from nbclient import NotebookClient

    started = time.perf_counter()
    nb = jupytext.read(source)
    nb.cells.insert(0, nbformat.v4.new_code_cell(RESET))
    NotebookClient(nb, km=_kernel(source.parent), timeout=timeout, allow_errors=False).execute()
    nb.cells.pop(0)
    # Reproducible: the same sources give the same bytes (no random cell ids, no timestamps).
    count = 0
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":  # the shared kernel's counter depends on the order run
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count
    nbformat.write(nb, target)
    return time.perf_counter() - started


def _is_notebook(path: Path) -> bool:
    return path.read_text(encoding="utf-8").lstrip().startswith("---\njupytext:")


def generate_pages(root: Path, work: Path, env: dict) -> list[Path]:
    """Write the pages generated from the data (one per combination) into ``work/generated``.

    Returns the page sources, to be executed into ``src/combinations/`` like chapters.
    """
    folder = work / "generated" / GENERATED
    if folder.exists():
        shutil.rmtree(folder)
    cmd = [sys.executable, "-m", "analysis.publish.chapters.combinations", str(folder)]
    if _run(cmd, env):
        raise RuntimeError("the combination pages could not be generated")
    return sorted(folder.glob("*.md"))


def prepare_sources(
    root: Path, src: Path, chapters: list[Path], workers: int, generated: list[Path] = ()
) -> None:
    """Copy ``book/`` to ``src`` with ``chapters`` executed into ``.ipynb`` notebooks.

    Other chapters already in ``src`` (from the last build, unchanged) are kept as they are;
    ``generated`` pages (a fresh set, :func:`generate_pages`) replace ``src/combinations/``.
    The copy's ``_config.yml`` turns Jupyter Book's own execution off.
    """
    book = root / "book"
    src.mkdir(parents=True, exist_ok=True)
    for path in book.iterdir():
        if path.name in ("_build", GENERATED) or path.suffix == ".md":
            continue
        if path.is_dir():
            shutil.copytree(
                path,
                src / path.name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns(*_NOT_INPUTS),
            )
        else:
            shutil.copy2(path, src / path.name)
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    jobs = []
    for chapter in chapters:
        for stale in (src / chapter.name, src / f"{chapter.stem}.ipynb"):
            stale.unlink(missing_ok=True)
        if _is_notebook(chapter):
            jobs.append((chapter, src / f"{chapter.stem}.ipynb"))
        else:
            shutil.copy2(chapter, src / chapter.name)
    if generated:
        if (src / GENERATED).exists():
            shutil.rmtree(src / GENERATED)
        (src / GENERATED).mkdir()
        jobs += [(page, src / GENERATED / f"{page.stem}.ipynb") for page in generated]
    # longest first (by source size, a proxy) so that the two workers finish together
    jobs.sort(key=lambda job: -job[0].stat().st_size)
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        futures = [(job[0], pool.submit(execute_chapter, *job)) for job in jobs]
        for chapter, future in futures:
            try:
                seconds = future.result()
            except Exception as error:
                raise RuntimeError(f"{chapter.name} raised:\n{error}") from error
            print(f"build_book: executed {chapter.name} ({seconds:.1f} s)", flush=True)


def clear_staging(build_dir: Path) -> Path:
    """``build_dir/html.staging``, with leftovers of an interrupted publish removed."""
    staging = build_dir / "html.staging"
    for leftover in (staging, build_dir / "html.old"):
        if leftover.exists():
            shutil.rmtree(leftover)
    return staging


def swap_in(staging: Path, site: Path) -> None:
    """Publish a finished staging site: two renames, so readers see the old or the new."""
    old = site.parent / "html.old"
    if site.exists():
        os.replace(site, old)
    os.replace(staging, site)
    if old.exists():
        shutil.rmtree(old)


def build(root: Path, force: bool = False, workers: int | None = None) -> int:
    """Validate, build and atomically publish the book under ``root``; return exit status."""
    root = root.resolve()
    build_dir = root / "book" / "_build"
    work, site = build_dir / "work", build_dir / "html"
    src = work / "src"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    os.environ.update(PYTHONPATH=env["PYTHONPATH"], PYDEVD_DISABLE_FILE_VALIDATION="1")
    started = time.perf_counter()

    # The bibliography is generated from data/studies.csv by every build: no step to forget.
    if _run([sys.executable, str(root / "scripts" / "update_bib.py")], env):
        print("build_book: could not write book/references.bib", file=sys.stderr)
        return 1
    current = fingerprint(root)
    stamp = work / FINGERPRINT
    previous = json.loads(stamp.read_text()) if stamp.exists() and not force else None
    mode = plan(previous, current, site.exists())
    print(f"build_book: {mode} build", flush=True)
    if mode == "noop":  # every input is byte-identical to the last validated, published build
        print(f"build_book: up to date ({time.perf_counter() - started:.1f} s)")
        return 0

    if _run([sys.executable, "-m", "analysis", "validate", str(root / "data")], env):
        print("build_book: data invalid; nothing built, published site untouched", file=sys.stderr)
        return 1
    if mode == "clean" and work.exists():
        shutil.rmtree(work)
    stamp.unlink(missing_ok=True)  # a failed build must not look up to date next time

    chapters = sorted((root / "book").glob("*.md"))
    if mode == "incremental":
        changed = {k for k, v in current["chapters"].items() if previous["chapters"].get(k) != v}
        chapters = [c for c in chapters if c.relative_to(root).as_posix() in changed]
        for gone in set(previous["chapters"]) - set(current["chapters"]):
            for stale in (src / Path(gone).name, src / f"{Path(gone).stem}.ipynb"):
                stale.unlink(missing_ok=True)
    try:
        generated = generate_pages(root, work, env) if mode == "clean" else []
        prepare_sources(root, src, chapters, workers or os.cpu_count() or 1, generated)
    except Exception as error:  # a chapter raised: its traceback is in the message
        print(f"build_book: a chapter failed:\n{error}", file=sys.stderr)
        print("build_book: build failed; published site untouched", file=sys.stderr)
        return 1

    cmd = [
        sys.executable,
        "-c",
        JUPYTER_BOOK,
        "build",
        str(src),
        "--path-output",
        str(work),
        "-W",
        "-n",
        "--keep-going",
    ]
    if mode == "clean":
        cmd.append("--all")
    if _run(cmd, env):
        print("build_book: build failed; published site untouched", file=sys.stderr)
        return 1

    staging = clear_staging(build_dir)
    shutil.copytree(work / "_build" / "html", staging)
    # Downloads (results.csv/.json, data package zip, CITATION.cff) from the same data and
    # code, into the staging copy only: a failure leaves the published site untouched.
    if _run([sys.executable, "-m", "analysis.publish.downloads", str(staging), str(root)], env):
        shutil.rmtree(staging)
        print("build_book: downloads failed; published site untouched", file=sys.stderr)
        return 1
    # Version banner on every page, and the releases built by `make versions` under v/.
    if _run([sys.executable, "-m", "analysis.publish.versions", str(staging), str(root)], env):
        shutil.rmtree(staging)
        print("build_book: versions failed; published site untouched", file=sys.stderr)
        return 1
    swap_in(staging, site)
    stamp.write_text(json.dumps(current, indent=1))
    print(f"build_book: published {site} ({time.perf_counter() - started:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="repository root (default: this script's repository)",
    )
    parser.add_argument("--force", action="store_true", help="clean build even if up to date")
    args = parser.parse_args(argv)
    return build(args.root, force=args.force)


if __name__ == "__main__":
    sys.exit(main())
