"""GRADE-informed certainty of each pooled rate, from documented rules plus overrides.

Rules (applied to the primary analysis of each regimen x outcome; constants below):

* **Starting level**: *high* when every contributing study is a randomised trial
  (``design == "RCT"``; the rate is then the combination arm's), otherwise *low*.
* **Risk of bias**: serious (-1) when conference abstracts or preprints contribute more
  than half of the therapeutic trials (unreviewed, incompletely reported); otherwise not
  downgraded (no formal risk-of-bias tool was applied to single-arm series; an override
  records any judgement).
* **Inconsistency**: one study: not assessable, not downgraded. Otherwise serious (-1) if
  I² >= 50% or (k >= 3) the 95% prediction interval is wider than 50 percentage points;
  very serious (-2) if both I² >= 75% and the prediction interval is wider than 50 points.
* **Indirectness**: not downgraded by rule (population, intervention and outcome match the
  question by eligibility); overrides record exceptions.
* **Imprecision**: one level (-1) for each of: fewer than 300 events in total (the GRADE
  optimal-information-size rule of thumb), a 95% CI wider than 30 percentage points.
* **Publication bias**: not assessable with fewer than 10 studies; not downgraded.

Certainty = starting level minus downgrades, never below *very low*. Manual overrides in
``data/grade_overrides.csv`` (``outcome, regimen, domain, downgrade, reason, source``;
``outcome`` may be ``*`` for every outcome) replace a domain's computed downgrade and
record why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..datapackage import Dataset
from .settings import PRIMARY
from .synthesis import GREY_LITERATURE, OUTCOMES, synthesise

#: GRADE levels.
LEVELS = {4: "High", 3: "Moderate", 2: "Low", 1: "Very low"}
#: Downgrading domains, in GRADE order.
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
#: Thresholds of the rules.
I2_SERIOUS, I2_VERY_SERIOUS = 50.0, 75.0
PI_WIDTH_SERIOUS = 0.5
EVENTS_OIS = 300
CI_WIDTH_SERIOUS = 0.3
GREY_SHARE = 0.5
MIN_K_PUBLICATION_BIAS = 10
_RATING = {0: "not serious", 1: "serious", 2: "very serious"}


@dataclass(frozen=True)
class Judgement:
    """One domain's downgrade (0, 1 or 2) and why; ``override`` if set by hand."""

    downgrade: int
    reason: str
    override: bool = False

    @property
    def rating(self) -> str:
        """``'not serious'``, ``'serious'`` or ``'very serious'``."""
        return _RATING[self.downgrade]


def starting_level(designs) -> int:
    """4 (high) when every design is ``RCT``, else 2 (low)."""
    designs = list(designs)
    return 4 if designs and all(d == "RCT" for d in designs) else 2


def judge_risk_of_bias(publication_types, totals) -> Judgement:
    """Serious when grey literature contributes more than half the trials."""
    frame = pd.DataFrame({"type": list(publication_types), "n": list(totals)})
    share = frame.loc[frame["type"].isin(GREY_LITERATURE), "n"].sum() / frame["n"].sum()
    if share > GREY_SHARE:
        return Judgement(1, f"{share:.0%} of TTs from conference abstracts or preprints")
    return Judgement(0, "mostly peer-reviewed reports; no formal risk-of-bias tool applied")


def judge_inconsistency(k: int, i2: float, pi_low: float, pi_high: float) -> Judgement:
    """Downgrade from I² (percent) and the width of the prediction interval."""
    if k < 2:
        return Judgement(0, "single study: not assessable")
    i2 = float("nan") if i2 is None else float(i2)
    width = (pi_high - pi_low) if k >= 3 and pd.notna(pi_low) and pd.notna(pi_high) else None
    wide = width is not None and width > PI_WIDTH_SERIOUS
    i2_text = "I² not estimable" if pd.isna(i2) else f"I² {i2:.0f}%"
    pi_text = "" if width is None else f", PI width {100 * width:.0f} pp"
    if pd.notna(i2) and i2 >= I2_VERY_SERIOUS and wide:
        return Judgement(2, i2_text + pi_text)
    if (pd.notna(i2) and i2 >= I2_SERIOUS) or wide:
        return Judgement(1, i2_text + pi_text)
    return Judgement(0, i2_text + pi_text)


def judge_imprecision(events: int, ci_low: float, ci_high: float) -> Judgement:
    """One level each for fewer than 300 events and a CI wider than 30 points."""
    width = ci_high - ci_low
    reasons = []
    if events < EVENTS_OIS:
        reasons.append(f"{events} events (< {EVENTS_OIS})")
    if width > CI_WIDTH_SERIOUS:
        reasons.append(f"CI width {100 * width:.0f} pp (> {100 * CI_WIDTH_SERIOUS:.0f})")
    text = "; ".join(reasons) or f"{events} events, CI width {100 * width:.0f} pp"
    return Judgement(len(reasons), text)


def judge_publication_bias(k: int) -> Judgement:
    """Not assessable below 10 studies; never downgraded by rule."""
    if k < MIN_K_PUBLICATION_BIAS:
        return Judgement(0, f"not assessable (k < {MIN_K_PUBLICATION_BIAS})")
    return Judgement(0, "not assessed formally")


def read_overrides(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``grade_overrides.csv`` as text (validated with the data package; empty if absent)."""
    path = Path(data_dir or paths.DATA) / "grade_overrides.csv"
    columns = ["outcome", "regimen", "domain", "downgrade", "reason", "source"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def assess(
    pool,
    rows: pd.DataFrame,
    overrides: pd.DataFrame | None = None,
    *,
    outcome: str = "",
    regimen: str = "",
) -> dict:
    """GRADE judgements for one pooled result.

    Parameters
    ----------
    pool : PooledProportion
        The primary-analysis result.
    rows : DataFrame
        Its analysed rows (``design``, ``publication_type``, ``total``).
    overrides : DataFrame, optional
        :func:`read_overrides`; rows matching ``outcome`` (or ``*``) and ``regimen`` replace
        the computed judgement of their domain.

    Returns
    -------
    dict
        ``start`` (level), ``domains`` (domain -> :class:`Judgement`), ``level`` (final,
        1-4) and ``certainty`` (its label).
    """
    domains = {
        "risk_of_bias": judge_risk_of_bias(rows["publication_type"], rows["total"]),
        "inconsistency": judge_inconsistency(pool.k, pool.i2, pool.pi_low, pool.pi_high),
        "indirectness": Judgement(0, "matches the review question"),
        "imprecision": judge_imprecision(int(pool.events_total), pool.ci_low, pool.ci_high),
        "publication_bias": judge_publication_bias(pool.k),
    }
    if overrides is not None and len(overrides):
        hit = overrides[
            overrides["outcome"].isin([outcome, "*"]) & (overrides["regimen"] == regimen)
        ]
        for row in hit.itertuples(index=False):
            domains[row.domain] = Judgement(int(row.downgrade), row.reason, override=True)
    start = starting_level(rows["design"])
    level = max(1, start - sum(j.downgrade for j in domains.values()))
    return {"start": start, "domains": domains, "level": level, "certainty": LEVELS[level]}


def certainty_frame(ds: Dataset, outcomes=None, *, method: str = PRIMARY) -> pd.DataFrame:
    """The certainty of every regimen x outcome pool of ``method``, as data.

    Returns
    -------
    DataFrame
        One row per pool: ``result_id`` (stable id), ``outcome, regimen, k, n, events,
        estimate, ci_low, ci_high``, ``designs`` (design -> number of studies), ``start``
        (1-4), per domain of :data:`DOMAINS` ``<domain>`` (downgrade 0-2),
        ``<domain>_reason`` and ``<domain>_override`` (bool), ``level`` (1-4) and
        ``certainty`` (its label).
    """
    overrides = read_overrides(ds.data_dir)
    records = []
    for outcome in outcomes or OUTCOMES:
        syn = synthesise(ds, outcome, method)
        for regimen, pool in syn.pools.items():
            rows = syn.regimen_rows[syn.regimen_rows["regimen"] == regimen]
            result = assess(pool, rows, overrides, outcome=outcome, regimen=regimen)
            record = {
                "result_id": f"{outcome}/{regimen}/{method}",
                "outcome": outcome,
                "regimen": regimen,
                "k": pool.k,
                "n": pool.n_total,
                "events": pool.events_total,
                "estimate": pool.estimate,
                "ci_low": pool.ci_low,
                "ci_high": pool.ci_high,
                "designs": rows["design"].value_counts().to_dict(),
                "start": result["start"],
            }
            for domain, judgement in result["domains"].items():
                record[domain] = judgement.downgrade
                record[f"{domain}_reason"] = judgement.reason
                record[f"{domain}_override"] = judgement.override
            record["level"] = result["level"]
            record["certainty"] = result["certainty"]
            records.append(record)
    return pd.DataFrame(records)


def rule_thresholds() -> dict:
    """The thresholds of the rules (numbers; the chapter formats them)."""
    return {
        "i2_serious": I2_SERIOUS,
        "i2_very_serious": I2_VERY_SERIOUS,
        "pi_width": PI_WIDTH_SERIOUS,
        "events": EVENTS_OIS,
        "ci_width": CI_WIDTH_SERIOUS,
        "grey_share": GREY_SHARE,
        "min_k_pb": MIN_K_PUBLICATION_BIAS,
    }
