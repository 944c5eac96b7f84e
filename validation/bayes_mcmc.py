"""MCMC reference values for the Bayesian binomial-normal model (validation only).

Runs long NUTS chains (numpyro, fixed seeds) for each case below and writes the posterior
median and the 2.5% and 97.5% quantiles of ``expit(mu)``, ``tau`` and a new study's
proportion ``expit(theta_new)``, with their Monte Carlo standard errors, to
``validation/bayes_reference.csv``. ``tests/test_bayes.py`` compares the engine's quadrature
(:func:`analysis.engine.bayes.bayes_binomial_normal`) with them.

Cases: the synthetic ones of :data:`CASES` (4 x 20,000 draws each), then one per modelled
pool of the data package as listed, by its counts, in ``validation/bayes_pools.csv``
(``validation/bayes_pools.py``; 4 x 10,000 draws each, :data:`POOL_SAMPLES`). A pool whose
counts and prior are those of an earlier case (e.g. the ``real_`` cases below) is not run
twice: that case is its reference. Each case's seed is ``2026 +`` its position in the
list, so a case gives the same draws whichever other cases run with it, and ``--keep``
copies the rows of cases already in a reference file (same name, counts and prior) instead
of running them again.

numpyro is not a dependency of the book: install it in a separate environment,

    python3 -m venv /work/venv-mcmc
    /work/venv-mcmc/bin/pip install -r validation/requirements-mcmc.txt
    /work/venv-mcmc/bin/python validation/bayes_mcmc.py > validation/bayes_reference.csv

or, to run only the cases not yet in the committed file (e.g. after a data update and
``python validation/bayes_pools.py > validation/bayes_pools.csv``)::

    /work/venv-mcmc/bin/python validation/bayes_mcmc.py --keep validation/bayes_reference.csv \
        > /tmp/bayes_reference.csv && mv /tmp/bayes_reference.csv validation/bayes_reference.csv

Model (non-centred): ``mu ~ N(0, 2²)``, ``tau ~ HalfNormal(scale)``, ``z_i ~ N(0, 1)``,
``x_i ~ Binomial(n_i, expit(mu + tau z_i))``; ``theta_new = mu + tau z_new`` with ``z_new``
drawn for each posterior draw. Monte Carlo standard errors by batch means: each chain is
cut into 25 consecutive batches, the quantile is taken in every batch, and the MCSE is the
SD of the 100 batch quantiles over sqrt(100) (valid under autocorrelation when batches are
much longer than the autocorrelation time).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import jax
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.infer import MCMC, NUTS

numpyro.set_host_device_count(1)
jax.config.update("jax_enable_x64", True)

#: name, events, totals, half-normal scale of tau
CASES = [
    ("k1_zero", [0], [5], 1.0),
    ("k1_small", [3], [10], 1.0),
    ("k1_all", [20], [20], 1.0),
    ("k2_one_zero", [2, 0], [10, 4], 1.0),
    ("k2_zero_pool", [0, 0], [5, 8], 1.0),
    ("k2_hetero", [3, 12], [20, 15], 1.0),
    ("k2_hetero_hn05", [3, 12], [20, 15], 0.5),
    ("k2_hetero_hn2", [3, 12], [20, 15], 2.0),
    ("k3_tiny", [1, 2, 5], [3, 7, 12], 1.0),
    ("k3_zero", [0, 1, 4], [6, 9, 14], 1.0),
    ("k4_classic", [3, 6, 10, 1], [11, 17, 21, 6], 1.0),
    ("k5_small", [2, 5, 0, 7, 4], [8, 15, 3, 20, 10], 1.0),
    ("k6_small", [1, 3, 6, 2, 9, 0], [4, 9, 12, 18, 20, 5], 1.0),
    # real pools of data/outcomes.csv (primary analysis, release of 2026)
    ("real_ae_UST+aTNF", [1, 0], [5, 3], 1.0),
    ("real_crem_UPA+UST", [3, 5, 4], [3, 6, 5], 1.0),
    ("real_crem_UST+aTNF", [8, 5, 11, 1], [8, 5, 16, 3], 1.0),
    ("real_crem_VDZ+UST", [8, 3, 1, 4], [21, 4, 4, 7], 1.0),
]
CHAINS, WARMUP, SAMPLES, BATCHES = 4, 1_000, 20_000, 25
#: Draws per chain for the data's pools (more studies: slower steps; the MCSE is about 1.4
#: times that of 20,000 draws, still far below the differences the comparison must catch).
POOL_SAMPLES = 10_000
#: The modelled pools of the data package, by their counts (``validation/bayes_pools.py``).
POOLS = Path(__file__).resolve().parent / "bayes_pools.csv"
HEADER = "case,events,totals,tau_scale,quantity,prob,value,mcse,draws,divergences"


def _counts(text: str) -> list[int]:
    return [int(v) for v in text.split(";")]


def all_cases(pools: Path = POOLS) -> list[tuple[str, list[int], list[int], float, int]]:
    """The synthetic cases, then each pool of ``pools`` not already a case (by counts).

    Returns ``(name, events, totals, tau_scale, samples per chain)``; a case's seed is
    ``2026 +`` its index in this list.
    """
    cases = [(name, x, n, scale, SAMPLES) for name, x, n, scale in CASES]
    if not pools.exists():
        return cases
    with pools.open(newline="") as f:
        for row in csv.DictReader(f):
            if float(row["mu_sd"]) != 2.0:
                raise ValueError(f"{row['case']}: the model here has mu ~ N(0, 2²)")
            x, n, scale = _counts(row["events"]), _counts(row["totals"]), float(row["tau_scale"])
            key = (sorted(zip(x, n, strict=True)), scale)
            same = [c[0] for c in cases if (sorted(zip(c[1], c[2], strict=True)), c[3]) == key]
            if same:
                print(f"{row['case']}: counts of {same[0]}, not run again", file=sys.stderr)
                continue
            cases.append((row["case"], x, n, scale, POOL_SAMPLES))
    return cases


PROBS = (0.5, 0.025, 0.975)


def model(x, n, scale):
    """The binomial-normal model with its priors, non-centred."""
    mu = numpyro.sample("mu", dist.Normal(0.0, 2.0))
    tau = numpyro.sample("tau", dist.HalfNormal(scale))
    with numpyro.plate("study", len(x)):
        z = numpyro.sample("z", dist.Normal(0.0, 1.0))
        numpyro.sample("x", dist.Binomial(n, logits=mu + tau * z), obs=x)


def quantile_mcse(draws: np.ndarray, prob: float) -> tuple[float, float]:
    """Quantile of all draws (chains x samples) and its batch-means MCSE."""
    value = float(np.quantile(draws, prob))
    batches = draws.reshape(draws.shape[0], BATCHES, -1)
    per = np.quantile(batches, prob, axis=2).ravel()
    return value, float(per.std(ddof=1) / np.sqrt(per.size))


def run(case_index: int, x, n, scale, samples: int = SAMPLES):
    """Posterior draws of expit(mu), tau and expit(theta_new) for one case."""
    kernel = NUTS(model, target_accept_prob=0.95)
    mcmc = MCMC(
        kernel,
        num_warmup=WARMUP,
        num_samples=samples,
        num_chains=CHAINS,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(2026 + case_index), np.array(x), np.array(n), scale)
    s = mcmc.get_samples(group_by_chain=True)
    mu, tau = np.asarray(s["mu"]), np.asarray(s["tau"])
    rng = np.random.default_rng(2026 + case_index)
    theta_new = mu + tau * rng.standard_normal(mu.shape)
    divergences = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    expit = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return {"p": expit(mu), "tau": tau, "p_new": expit(theta_new)}, divergences


def _kept(path: Path | None) -> dict[tuple, list[str]]:
    """Rows of a reference file by case (name, events, totals, tau_scale)."""
    if path is None:
        return {}
    kept: dict[tuple, list[str]] = {}
    with path.open() as f:
        if next(f).strip() != HEADER:
            raise ValueError(f"{path}: not a reference file")
        for line in f:
            name, x, n, scale = line.split(",")[:4]
            kept.setdefault((name, x, n, float(scale)), []).append(line.rstrip("\n"))
    return kept


def main(argv=None) -> int:
    """Run every case (or only those not in ``--keep``) and print the reference as CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="copy the rows of cases already in this file")
    args = parser.parse_args(argv)
    kept = _kept(args.keep)
    print(HEADER)
    t_all = time.perf_counter()
    for i, (name, x, n, scale, samples) in enumerate(all_cases()):
        key = (name, ";".join(map(str, x)), ";".join(map(str, n)), scale)
        if key in kept:
            print("\n".join(kept[key]))
            continue
        t0 = time.perf_counter()
        draws, div = run(i, x, n, scale, samples)
        for quantity, d in draws.items():
            for prob in PROBS:
                value, mcse = quantile_mcse(d, prob)
                print(
                    f"{name},{';'.join(map(str, x))},{';'.join(map(str, n))},{scale:g},"
                    f"{quantity},{prob},{value:.6f},{mcse:.6f},{d.size},{div}"
                )
        sys.stdout.flush()
        print(f"{name}: {time.perf_counter() - t0:.1f} s, {div} divergences", file=sys.stderr)
    print(f"total {time.perf_counter() - t_all:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
