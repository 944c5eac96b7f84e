"""Benchmark of the pooling engine against R metafor, in one run.

* Pools: every regimen x outcome group of ``data/outcomes.csv`` (rows with ``analysed`` true)
  joined with ``data/arms.csv`` on ``arm_id`` and grouped by ``arms.regimen``, under every
  named method of ``analysis.review.settings.METHODS`` (GLMM included). If ``data/`` has no such
  rows, a synthetic set of 40 groups is used instead, and the output says so.
* Ours: ``pool_proportions`` in-process (best of 3 repetitions; everything the book gets:
  estimate, CI, PI, tau² with its CI, I² with its CI, Q, study CIs, IV weights for the GLMM).
* metafor: the equivalent calls timed inside R with ``proc.time()`` around the loop, so R's
  start-up and the reading of the input are excluded: ``rma()`` + ``predict()`` +
  ``confint()`` (our tau² CI) for the inverse-variance methods, ``rma.glmm()`` + ``predict()``
  for the GLMM methods (``test="t"`` for the primary); k = 1 pools are timed like every other
  (our methods report the exact study CI there, metafor fits or refuses). Skipped, with a
  note, when ``Rscript`` or metafor is missing.
* One pool of 10,000 synthetic studies under each method (target < 1 s); metafor is not
  timed there (``rma.uni`` builds k x k matrices: 800 MB at k = 10,000). The Bayesian
  methods are left out there (a quadrature grid per study: meant for small pools).
* The Bayesian model (``analysis.engine.bayes``, quadrature with its node-doubling check):
  a 4-study pool (target < 0.2 s) and every pool of 2-4 studies of the data, i.e. the pools
  the primary analysis gives it (target < 2 s for 40 pools), each as a ratio to the GLMM
  (``glmm_ml``) on the same pools. No R equivalent is timed (bayesmeta is normal-normal).

Usage: ``python bench/engine.py`` (``make bench``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.engine.pooling import pool_proportions  # noqa: E402
from analysis.review.settings import METHODS  # noqa: E402

R_METHODS = {
    "primary": 'g <- rma.glmm(measure="PLO", xi=x, ni=n, test="t"); '
    "predict(g, transf=transf.ilogit)",
    "as_published": 'm <- rma(measure="PFT", xi=x, ni=n, method="DL"); '
    "predict(m, transf=transf.ipft.hm, targs=list(ni=n)); confint(m)",
    "logit_reml_hk": 'm <- rma(measure="PLO", xi=x, ni=n, method="REML", test="adhoc"); '
    "predict(m, transf=transf.ilogit); confint(m)",
    "logit_pm": 'm <- rma(measure="PLO", xi=x, ni=n, method="PM", test="adhoc"); '
    "predict(m, transf=transf.ilogit); confint(m)",
    "logit_dl": 'm <- rma(measure="PLO", xi=x, ni=n, method="DL", test="adhoc"); '
    "predict(m, transf=transf.ilogit); confint(m)",
    "arcsine_dl": 'm <- rma(measure="PAS", xi=x, ni=n, method="DL"); '
    "predict(m, transf=transf.iarcsin); confint(m)",
    "glmm": 'g <- rma.glmm(measure="PLO", xi=x, ni=n); predict(g, transf=transf.ilogit)',
}

R_SCRIPT = r"""
suppressMessages(library(metafor))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
groups <- split(d, d$group)
methods <- list(%s)
out <- c()
for (name in names(methods)) {
  f <- methods[[name]]
  t0 <- proc.time()[["elapsed"]]
  for (s in groups) {
    x <- s$events; n <- s$total
    try(suppressWarnings(f(x, n)), silent = TRUE)
  }
  out[name] <- proc.time()[["elapsed"]] - t0
}
cat(paste(names(out), out, sep = "=", collapse = "\n"), "\n")
"""


def load_groups() -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Regimen x outcome groups of the data package (or a synthetic fallback set)."""
    try:
        out = pd.read_csv(ROOT / "data" / "outcomes.csv")
        arms = pd.read_csv(ROOT / "data" / "arms.csv")
        rows = out[out["analysed"].astype(str).str.lower() == "true"].merge(
            arms[["arm_id", "regimen"]], on="arm_id", how="inner"
        )
        groups = [
            (f["events"].to_numpy(int), f["total"].to_numpy(int))
            for _, f in rows.groupby(["regimen", "outcome"])
        ]
        if groups:
            return groups, f"data/: {len(groups)} regimen x outcome groups, {len(rows)} arms"
    except (OSError, KeyError, ValueError):
        pass
    rng = np.random.default_rng(2026)
    groups = []
    for _ in range(40):
        k = int(rng.integers(1, 8))
        n = rng.integers(5, 150, k)
        groups.append((rng.binomial(n, rng.beta(2, 3)), n))
    return groups, "SYNTHETIC fallback: data/ has no analysed outcome rows (40 groups)"


def time_ours(groups, reps: int = 3) -> dict[str, float]:
    times = {}
    for key in METHODS:
        best = np.inf
        for _ in range(reps):
            t0 = time.perf_counter()
            for x, n in groups:
                try:
                    pool_proportions(x, n, method=METHODS[key])
                except (RuntimeError, ValueError):
                    pass
            best = min(best, time.perf_counter() - t0)
        times[key] = best
    return times


def time_metafor(groups) -> dict[str, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "groups.csv"
        pd.DataFrame(
            [
                {"group": i, "events": e, "total": t}
                for i, (x, n) in enumerate(groups)
                for e, t in zip(x, n, strict=True)
            ]
        ).to_csv(data, index=False)
        script = Path(tmp) / "bench.R"
        body = ", ".join(f'"{k}" = function(x, n) {{ {v} }}' for k, v in R_METHODS.items())
        script.write_text(R_SCRIPT % body)
        res = subprocess.run(["Rscript", str(script), str(data)], capture_output=True, text=True)
        if res.returncode != 0:
            print(f"metafor timing failed: {res.stderr.strip()[-500:]}")
            return None
    times = {}
    for line in res.stdout.split():
        key, value = line.split("=")
        times[key] = float(value)
    return times


def best_of(fn, reps: int = 5) -> float:
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bayes_section(groups) -> None:
    """Time the Bayesian pool: one 4-study pool and every 2-4-study pool, vs the GLMM."""
    bayes, glmm = METHODS["bayes"], METHODS["glmm_ml"]
    x4, n4 = [3, 6, 10, 1], [11, 17, 21, 6]
    t_b = best_of(lambda: pool_proportions(x4, n4, method=bayes))
    t_g = best_of(lambda: pool_proportions(x4, n4, method=glmm))
    small = [(x, n) for x, n in groups if 2 <= len(x) <= 4 and 0 < x.sum() < n.sum()]

    def run(method):
        for x, n in small:
            try:
                pool_proportions(x, n, method=method)
            except (RuntimeError, ValueError):
                pass

    tb_all = best_of(lambda: run(bayes), reps=3)
    tg_all = best_of(lambda: run(glmm), reps=3)
    print("\nBayesian binomial-normal model (quadrature + node-doubling check):")
    print(
        f"  4-study pool      {t_b:7.3f} s  ({t_b / t_g:5.1f}x the GLMM's {t_g:.3f} s; "
        f"target < 0.2 s: {'met' if t_b < 0.2 else 'MISSED'})"
    )
    per40 = tb_all / max(len(small), 1) * 40
    print(
        f"  {len(small)} pools of 2-4 studies {tb_all:7.3f} s  ({tb_all / tg_all:5.1f}x the "
        f"GLMM's {tg_all:.3f} s; {per40:.2f} s per 40 pools, target < 2 s: "
        f"{'met' if per40 < 2 else 'MISSED'})"
    )


def main() -> int:
    groups, source = load_groups()
    print(
        f"Pools: {source}; k per pool {min(len(x) for x, _ in groups)}-"
        f"{max(len(x) for x, _ in groups)}; {len(METHODS)} methods"
    )
    pool_proportions([3, 6, 10, 1], [11, 17, 21, 6])  # warm-up (imports, first calls)
    ours = time_ours(groups)
    theirs = time_metafor(groups)
    rows = []
    for key in METHODS:
        r = theirs.get(key, np.nan) if theirs else np.nan
        rows.append(
            {
                "method": key,
                "ours_s": ours[key],
                "metafor_s": r,
                "speed-up": r / ours[key] if theirs else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    # the ratio to metafor over the methods metafor has (not the Bayesian ones: see below)
    timed = table["method"].isin(list(R_METHODS))
    total_ours, total_r = table.loc[timed, "ours_s"].sum(), table.loc[timed, "metafor_s"].sum()
    table.loc[len(table)] = {
        "method": "TOTAL (with R)",
        "ours_s": total_ours,
        "metafor_s": total_r,
        "speed-up": total_r / total_ours if theirs else np.nan,
    }
    with pd.option_context("display.float_format", "{:.4f}".format):
        print(table.to_string(index=False))
    if theirs is None:
        print("metafor: not timed (Rscript or metafor missing)")
    else:
        verdict = "meets" if total_r / total_ours >= 5 else "MISSES"
        print(
            f"Engine is {total_r / total_ours:.1f}x faster than metafor ({verdict} the 5x target)"
        )

    bayes_section(groups)

    rng = np.random.default_rng(10_000)
    n = rng.integers(20, 500, 10_000)
    x = rng.binomial(n, 1 / (1 + np.exp(-rng.normal(-1.0, 0.7, n.size))))
    print("\nOne pool of 10,000 synthetic studies (target < 1 s):")
    for key in METHODS:
        if METHODS[key].model == "bayes":
            print(f"  {key:14s} (not timed: the Bayesian model is for small pools)")
            continue
        t0 = time.perf_counter()
        r = pool_proportions(x, n, method=METHODS[key])
        dt = time.perf_counter() - t0
        print(
            f"  {key:14s} {dt:7.3f} s  estimate {r.estimate:.4f}"
            f"{'  (fallback)' if r.fallback else ''}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
