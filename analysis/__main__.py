"""Command line: ``python -m analysis validate [DATA_DIR]``.

``validate`` checks the data package and prints every problem as
``file:row:column: message`` (to stderr; exit status 1), or one line
``OK: N studies, N arms, N outcome rows`` (to stdout; exit status 0).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import paths
from .datapackage.validate import validate_with_summary


def _validate(args: argparse.Namespace) -> int:
    root = Path(args.data_dir) if args.data_dir else paths.DATA
    problems, summary = validate_with_summary(root)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        n = len(problems)
        print(
            f"{n} problem{'s' if n != 1 else ''} in {root}: fix the data and run again",
            file=sys.stderr,
        )
        return 1
    print(summary)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 if the data are valid, 1 if there are problems
        (2 for a usage error, from argparse).
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Tools of the dual targeted therapy living review.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check the data package; list every problem as file:row:column: message",
        description=(
            "Check the data package (CSV files + datapackage.json) and report every "
            "problem as file:row:column: message (row 1 = header). Exit status 1 if "
            "there is any problem."
        ),
    )
    validate.add_argument(
        "data_dir", nargs="?", metavar="DATA_DIR", help=f"data directory (default {paths.DATA})"
    )
    validate.set_defaults(run=_validate)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
