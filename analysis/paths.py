"""Every path the project uses, derived from the repository root (showyourwork style)."""

from pathlib import Path

#: Repository root (the folder holding ``analysis/``, ``data/`` and ``book/``).
ROOT = Path(__file__).resolve().parent.parent
#: The data package: CSV tables plus ``datapackage.json``.
DATA = ROOT / "data"
#: The Jupyter Book sources.
BOOK = ROOT / "book"
#: The R reference values the engine is checked against (``validation/README.md``).
VALIDATION = ROOT / "validation"
#: Where the published site lives after a successful build.
SITE = BOOK / "_build" / "html"
