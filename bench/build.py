"""Benchmark of the book build: ours against a floor book with the same table of contents.

Measured in one run, in temporary copies of the repository:

* ours: ``scripts/build_book.py`` (validation, data-aware rebuild, atomic publishing)
  for a clean build, a no-op rebuild, and a rebuild after one count in
  ``data/outcomes.csv`` changed;
* floor: ``jupyter-book build`` of a book with the same ``_toc.yml`` and ``_config.yml``
  whose chapters only import pandas, scipy.stats and matplotlib.pyplot (executed as the
  configuration says), clean (``--all``), no-op (incremental, nothing changed) and after
  one chapter was edited: the least any executed book with this table of contents costs.

Prints a table of seconds and the ratio ours / floor. Usage: ``python bench/build.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from build_book import copy_inputs  # noqa: E402  (a script, not part of the package)


def _timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode:
        sys.exit(
            f"benchmark command failed: {' '.join(cmd)}\n{result.stdout[-3000:]}"
            f"\n{result.stderr[-3000:]}"
        )
    return elapsed


def _edit_count(root: Path) -> None:
    path = root / "data" / "outcomes.csv"
    outcomes = pd.read_csv(path, dtype=str, keep_default_na=False)
    outcomes.at[0, "events"] = str(
        int(outcomes.at[0, "events"]) ^ 1 if int(outcomes.at[0, "total"]) > 1 else 0
    )
    outcomes.to_csv(path, index=False)


#: The only code of a floor chapter.
FLOOR_CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
import pandas
import scipy.stats
import matplotlib.pyplot
```
"""


def _floor_book(dest: Path) -> Path:
    book = dest / "book"
    book.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy2(ROOT / "book" / name, book / name)
    if (ROOT / "book" / "_ext").is_dir():  # local Sphinx extensions named in _config.yml
        shutil.copytree(ROOT / "book" / "_ext", book / "_ext")
    for chapter in (ROOT / "book").glob("*.md"):
        (book / chapter.name).write_text(FLOOR_CHAPTER.format(title=chapter.stem.title()))
    return book


def main() -> None:
    """Run both benchmarks and print the table."""
    jb = [
        sys.executable,
        "-c",
        "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_inputs(ROOT, Path(tmp) / "ours")
        ours_cmd = [sys.executable, str(repo / "scripts" / "build_book.py"), "--root", str(repo)]
        ours = {"clean": _timed(ours_cmd + ["--force"]), "no-op": _timed(ours_cmd)}
        _edit_count(repo)
        ours["after data edit"] = _timed(ours_cmd)

        book = _floor_book(Path(tmp) / "floor")
        floor = {"clean": _timed(jb + [str(book), "--all"]), "no-op": _timed(jb + [str(book)])}
        intro = book / "intro.md"
        intro.write_text(intro.read_text() + "\nEdited.\n")
        floor["after data edit"] = _timed(jb + [str(book)])

    print(f"{'build':<18}{'ours (s)':>10}{'floor (s)':>10}{'ratio':>8}")
    for key in ours:
        print(f"{key:<18}{ours[key]:>10.2f}{floor[key]:>10.2f}{ours[key] / floor[key]:>8.2f}")
    print("floor 'after data edit' = one chapter edited (the floor book has no data to edit)")


if __name__ == "__main__":
    main()
