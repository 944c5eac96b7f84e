"""Write ``cases.csv``: study counts (``case,events,total``) for the cross-check with R.

Fixed cases cover what this review meets (one study, zero events, all events, two studies,
tiny and large series, heterogeneity) and seeded random cases cover the rest:

    python validation/make_cases.py SEED COUNT > cases.csv

``validation/cases.csv`` was written with seed 2026 and 40 random cases;
``scripts/crosscheck.sh`` draws a new seed on every run.
"""

from __future__ import annotations

import csv
import sys

import numpy as np

#: Cases named after the situation they test (events, total per study).
FIXED = {
    "one_study": [(48, 52)],
    "one_study_zero": [(0, 13)],
    "one_study_all": [(3, 3)],
    "two_studies": [(2, 8), (2, 13)],
    "two_studies_near_all": [(3, 3), (5, 6)],
    "two_studies_zero": [(0, 10), (0, 27)],
    "three_zero": [(0, 4), (0, 5), (0, 4)],
    "all_events": [(12, 12), (5, 5), (9, 10)],
    "mostly_zero": [(0, 10), (0, 15), (1, 20)],
    "one_event_in_many": [(0, 6), (1, 7), (0, 3), (0, 9)],
    "small_series": [(0, 2), (3, 20), (5, 30), (10, 52)],
    "homogeneous": [(20, 100), (22, 100), (19, 100), (21, 100)],
    "heterogeneous": [(2, 40), (30, 40), (10, 40), (25, 30), (5, 50)],
    "tiny_n": [(1, 2), (2, 3), (0, 2), (3, 3)],
    "large_n": [(410, 1000), (380, 900), (1200, 2500)],
    "zero_and_all": [(0, 10), (10, 10)],
    "all_single_participants": [(0, 1), (1, 1), (1, 1), (0, 1)],
}


def cases(seed: int, count: int):
    """Yield ``(name, [(events, total), ...])``: the fixed cases, then ``count`` random ones.

    Random cases: k from 2 to 14 studies of 2 to 119 patients, a typical proportion drawn
    from Beta(1.2, 1.2) and a between-study SD on the logit scale of 0, 0.3, 1 or 2.
    """
    yield from FIXED.items()
    rng = np.random.default_rng(seed)
    for i in range(count):
        k = int(rng.integers(2, 15))
        p = rng.beta(1.2, 1.2)
        spread = rng.choice([0.0, 0.3, 1.0, 2.0])
        totals = rng.integers(2, 120, size=k)
        logits = np.log(p / (1 - p)) + rng.normal(0, spread, size=k)
        events = rng.binomial(totals, 1 / (1 + np.exp(-logits)))
        yield f"random_{seed}_{i:03d}", list(zip(events.tolist(), totals.tolist(), strict=True))


def main(argv: list[str]) -> int:
    """Write the cases of ``SEED COUNT`` (default 2026 40) to standard output."""
    seed = int(argv[0]) if argv else 2026
    count = int(argv[1]) if len(argv) > 1 else 40
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["case", "events", "total"])
    for name, rows in cases(seed, count):
        for events, total in rows:
            writer.writerow([name, events, total])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
