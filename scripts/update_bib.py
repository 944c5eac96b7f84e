"""Regenerate book/references.bib from data/studies.csv.

Usage: ``python scripts/update_bib.py [--check]``; ``--check`` exits 1 if the file is out of
sync instead of writing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.publish import bibliography as bib  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, do not write")
    args = parser.parse_args(argv)
    if args.check:
        ok = bib.bib_in_sync()
        print(
            "references.bib in sync"
            if ok
            else "references.bib OUT OF SYNC: run python scripts/update_bib.py",
            file=sys.stdout if ok else sys.stderr,
        )
        return 0 if ok else 1
    print(f"wrote {bib.write_bib()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
