"""Certainty of each pooled rate (GRADE for rates from single arms): every rule in one place.

The rates of this review are single-arm proportions: the probability that a patient on a
combination has an outcome. GRADE for such absolute estimates is GRADE for prognosis
(Iorio et al., BMJ 2015;350:h870); the limitations of case series are judged per study
with the tool of Murad et al. (BMJ Evid Based Med 2018;23:60). Rules, applied to the
primary analysis of each regimen x outcome (thresholds are the constants below):

* **Starting level**: high for every pooled rate, RCT arms included: a body of studies
  that follow patients and count an outcome starts high when the question is the
  probability of the outcome (Iorio 2015), and one arm of an RCT is such a cohort here, not
  a randomised comparison.
* **Risk of bias**: from the per-study judgements of ``data/risk_of_bias.csv`` (Murad 2018
  domains); a study is at high risk if any domain is high, at unclear risk if any is
  unclear, else low; very serious (-2) when studies at high risk contribute more than
  half the courses, serious (-1) when studies at high or unclear risk do. Where the file
  has no row for a study, the study counts as unclear.
* **Inconsistency**: assessed only where heterogeneity is present (k >= 2 and tau² > 0):
  serious (-1) when I² >= 50% or Cochran's Q has p < 0.10, very serious (-2) when I² >= 75%
  and p < 0.05; a single study, pooled counts or tau² = 0 are not downgraded.
* **Indirectness**: not downgraded by rule; overrides record exceptions (population,
  regimen or time point that does not match the question).
* **Imprecision**: by the width of the 95% CI of the rate (exact for pooled counts and
  single studies): serious (-1) above 20 percentage points, very serious (-2) above 40.
* **Publication bias**: not assessable with fewer than 10 studies; not downgraded by rule.

Certainty = starting level minus downgrades, never below very low. Overrides in
``data/grade_overrides.csv`` (``outcome`` may be ``*``) replace a domain's computed
judgement and say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..datapackage import Dataset
from ..engine.results import PooledProportion
from .settings import PRIMARY
from .synthesis import OUTCOMES, synthesise

#: GRADE levels.
LEVELS = {4: "High", 3: "Moderate", 2: "Low", 1: "Very low"}
#: Downgrading domains, in GRADE order.
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
#: Starting level of every pooled rate (single-arm rates, Iorio 2015).
START = 4
#: Risk of bias: share of courses from studies at high (or high/unclear) risk.
ROB_SHARE = 0.5
#: Inconsistency thresholds (only where tau² > 0).
I2_SERIOUS, I2_VERY_SERIOUS = 50.0, 75.0
Q_P_SERIOUS, Q_P_VERY_SERIOUS = 0.10, 0.05
#: Imprecision: width of the 95% CI of the rate (0-1 scale).
CI_WIDTH_SERIOUS, CI_WIDTH_VERY_SERIOUS = 0.20, 0.40
MIN_K_PUBLICATION_BIAS = 10
#: Murad 2018 domains of ``data/risk_of_bias.csv``.
ROB_DOMAINS = ("selection", "ascertainment", "causality", "reporting")
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


def read_risk_of_bias(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``risk_of_bias.csv`` (validated with the data package; empty if absent)."""
    path = Path(data_dir or paths.DATA) / "risk_of_bias.csv"
    if not path.exists():
        return pd.DataFrame(columns=["study_id", *ROB_DOMAINS])
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def study_risk(table: pd.DataFrame) -> pd.Series:
    """Each study's overall risk of bias (study_id -> judgement).

    ``high`` if any domain is high, ``unclear`` if any is unclear, else ``low``.
    """
    judgements = table.set_index("study_id")[list(ROB_DOMAINS)]
    return judgements.apply(
        lambda row: (
            "high" if (row == "high").any() else "unclear" if (row == "unclear").any() else "low"
        ),
        axis=1,
    )


def judge_risk_of_bias(studies, totals, risk: pd.Series) -> Judgement:
    """Downgrade from the share of courses contributed by studies at high or unclear risk."""
    frame = pd.DataFrame({"study": list(studies), "n": list(totals)})
    frame["risk"] = frame["study"].map(risk).fillna("unclear")
    total = frame["n"].sum()
    high = frame.loc[frame["risk"] == "high", "n"].sum() / total
    doubtful = frame.loc[frame["risk"] != "low", "n"].sum() / total
    text = f"{doubtful:.0%} of courses at high or unclear risk" + (
        f" ({high:.0%} high)" if high else ""
    )
    if high > ROB_SHARE:
        return Judgement(2, text)
    if doubtful > ROB_SHARE:
        return Judgement(1, text)
    return Judgement(0, text)


def judge_inconsistency(pool: PooledProportion) -> Judgement:
    """Downgrade only where heterogeneity is present (tau² > 0), from I² and the Q test."""
    if pool.kind != "random_effects" or pool.k < 2:
        return Judgement(0, "not assessable (one study or pooled counts)")
    if not pool.tau2 > 0:
        return Judgement(0, f"no heterogeneity (tau² = 0, I² 0%, Q p = {pool.q_pvalue:.2f})")
    text = f"tau² {pool.tau2:.2f}, I² {pool.i2:.0f}%, Q p = {pool.q_pvalue:.3f}"
    if pool.i2 >= I2_VERY_SERIOUS and pool.q_pvalue < Q_P_VERY_SERIOUS:
        return Judgement(2, text)
    if pool.i2 >= I2_SERIOUS or pool.q_pvalue < Q_P_SERIOUS:
        return Judgement(1, text)
    return Judgement(0, text)


def judge_imprecision(ci_low: float, ci_high: float, *, counts: bool = False) -> Judgement:
    """Downgrade from the width of the 95% CI of the rate.

    A pool of counts (no course, or every course, had the outcome) is at least serious
    (``counts``): its interval runs to a bound the data cannot exclude, and no event in a few
    dozen courses cannot tell a rare outcome from an uncommon one.
    """
    width = ci_high - ci_low
    text = f"CI {100 * ci_low:.0f}-{100 * ci_high:.0f}%, {100 * width:.0f} points wide"
    if width > CI_WIDTH_VERY_SERIOUS:
        return Judgement(2, text)
    if width > CI_WIDTH_SERIOUS:
        return Judgement(1, text)
    if counts:
        return Judgement(1, text + "; no events (or only events): the bound is the information")
    return Judgement(0, text)


def judge_publication_bias(k: int) -> Judgement:
    """Not assessable below 10 studies; never downgraded by rule."""
    if k < MIN_K_PUBLICATION_BIAS:
        return Judgement(0, f"not assessable (fewer than {MIN_K_PUBLICATION_BIAS} studies)")
    return Judgement(0, "not assessed formally")


def read_overrides(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``grade_overrides.csv`` as text (validated with the data package; empty if absent)."""
    path = Path(data_dir or paths.DATA) / "grade_overrides.csv"
    columns = ["outcome", "regimen", "domain", "downgrade", "reason", "source"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def assess(
    pool: PooledProportion,
    rows: pd.DataFrame,
    risk: pd.Series,
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
        Its analysed rows (``study_id``, ``total``).
    risk : Series
        :func:`study_risk` of the per-study assessments.
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
        "risk_of_bias": judge_risk_of_bias(rows["study_id"], rows["total"].astype(int), risk),
        "inconsistency": judge_inconsistency(pool),
        "indirectness": Judgement(0, "matches the review question"),
        "imprecision": judge_imprecision(pool.ci_low, pool.ci_high, counts=pool.kind == "counts"),
        "publication_bias": judge_publication_bias(pool.k),
    }
    if overrides is not None and len(overrides):
        hit = overrides[
            overrides["outcome"].isin([outcome, "*"]) & (overrides["regimen"] == regimen)
        ]
        for row in hit.itertuples(index=False):
            domains[row.domain] = Judgement(int(row.downgrade), row.reason, override=True)
    level = max(1, START - sum(j.downgrade for j in domains.values()))
    return {"start": START, "domains": domains, "level": level, "certainty": LEVELS[level]}


def certainty_frame(ds: Dataset, outcomes=None, *, method: str = PRIMARY) -> pd.DataFrame:
    """The certainty of every regimen x outcome pool of ``method``, as data.

    Returns
    -------
    DataFrame
        One row per pool: ``result_id`` (stable id), ``outcome, regimen, kind`` (of the
        :class:`~analysis.engine.results.PooledProportion`), ``k, n, events,
        estimate, ci_low, ci_high``, ``designs`` (design -> number of studies), ``start``
        (1-4), per domain of :data:`DOMAINS` ``<domain>`` (downgrade 0-2),
        ``<domain>_reason`` and ``<domain>_override`` (bool), ``level`` (1-4) and
        ``certainty`` (its label).
    """
    overrides = read_overrides(ds.data_dir)
    risk = study_risk(read_risk_of_bias(ds.data_dir))
    records = []
    for outcome in outcomes or OUTCOMES:
        syn = synthesise(ds, outcome, method)
        for regimen, pool in syn.pools.items():
            rows = syn.regimen_rows[syn.regimen_rows["regimen"] == regimen]
            result = assess(pool, rows, risk, overrides, outcome=outcome, regimen=regimen)
            record = {
                "result_id": f"{outcome}/{regimen}/{method}",
                "outcome": outcome,
                "regimen": regimen,
                "kind": pool.kind,
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
        "start": LEVELS[START],
        "rob_share": ROB_SHARE,
        "i2_serious": I2_SERIOUS,
        "i2_very_serious": I2_VERY_SERIOUS,
        "q_p_serious": Q_P_SERIOUS,
        "q_p_very_serious": Q_P_VERY_SERIOUS,
        "ci_width_serious": CI_WIDTH_SERIOUS,
        "ci_width_very_serious": CI_WIDTH_VERY_SERIOUS,
        "min_k_pb": MIN_K_PUBLICATION_BIAS,
    }
