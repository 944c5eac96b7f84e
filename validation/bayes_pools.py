"""The modelled pools of the data package as MCMC cases, stored by their counts.

Lists every pool that the review's Bayesian method ``bayes`` (``tau ~ HN(1)``) models:
each outcome x regimen pool and each any-combination pool whose row of
:func:`analysis.review.synthesis.results_table` has status ``pooled`` (pools of one study,
pools reported as counts and pools the model refuses are not modelled). Each pool is one
row with its study counts in the order the review pools them, the prior and a label naming
the pool and the data fingerprint it was taken from:

    case,events,totals,tau_scale,mu_sd
    pool clinical_remission/VDZ+aTNF as of data 784d0850954f,8;3;1;4;5,21;4;4;7;9,1,2

``validation/bayes_mcmc.py`` runs these cases after its synthetic ones, and
``tests/test_bayes.py`` recomputes each from its stored counts, so a later data update
cannot break the comparison (it can only leave new pools without a reference, which the
test reports).

Usage: ``python validation/bayes_pools.py > validation/bayes_pools.csv`` (the project's
environment; the MCMC environment does not need pandas or the review).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import paths  # noqa: E402
from analysis.datapackage import load_dataset  # noqa: E402
from analysis.review.synthesis import modelled_pools  # noqa: E402


def main() -> int:
    """Print the modelled pools of ``data/`` as cases (CSV)."""
    ds = load_dataset(paths.ROOT / "data")
    pools = modelled_pools(ds, "bayes")
    print("case,events,totals,tau_scale,mu_sd")
    for p in pools.itertuples():
        print(
            f"pool {p.outcome}/{p.regimen} as of data {ds.sha256[:12]},"
            f"{';'.join(map(str, p.events))},{';'.join(map(str, p.totals))},"
            f"{p.tau_scale:g},{p.mu_sd:g}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
