"""Certainty of each pooled rate (GRADE for rates from single arms): every rule in one place.

The rates of this review are single-arm proportions: the probability that a patient on a
combination has an outcome. GRADE for such absolute estimates is GRADE for prognosis
(Iorio et al., BMJ 2015;350:h870); the limitations of case series are judged per study
with the tool of Murad et al. (BMJ Evid Based Med 2018;23:60). Each rule is one entry of
:data:`RULES` (its sentence, with the numbers of :func:`rule_thresholds` filled in by the
publishing layer, and its source), and one function below:

* starting level: :data:`START`;
* risk of bias: :func:`study_risk`, :func:`judge_risk_of_bias`;
* inconsistency: :func:`judge_inconsistency`;
* indirectness: :func:`judge_indirectness` (population, co-intervention, time frame);
* imprecision: :func:`judge_imprecision`;
* publication bias: :func:`judge_publication_bias`.

Inconsistency and imprecision read only what any model gives (:class:`PoolEvidence`: the
estimate, its interval, k and, where available, tau), so a Bayesian or any other model is
judged by the same rules. Certainty = starting level minus downgrades, never below very
low. Overrides in ``data/grade_overrides.csv`` (``outcome`` may be ``*``) replace a
domain's computed judgement and say why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from .. import paths
from ..datapackage import Dataset, read_text_table
from ..engine.results import PooledProportion
from .settings import MIN_K_HETEROGENEITY, PRIMARY, THRESHOLDS, DecisionThresholds
from .synthesis import OUTCOMES, SAFETY, any_combination_rows, synthesise, with_cointervention

#: GRADE levels.
LEVELS = {4: "High", 3: "Moderate", 2: "Low", 1: "Very low"}
#: Downgrading domains, in GRADE order.
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
#: Starting level of every pooled rate (single-arm rates, Iorio 2015).
START = 4
#: A kind of study "carries" a pool when it contributes more than this share of its courses.
CARRY_SHARE = 0.5
#: Murad 2018 domains of ``data/risk_of_bias.csv``.
ROB_DOMAINS = ("selection", "ascertainment", "causality", "reporting")
#: Shortest follow-up (weeks) that answers the question's time frame (the 12-week rule of
#: ``risk_of_bias.csv``); a shorter stated follow-up is indirectness, not risk of bias.
MIN_FOLLOWUP_WEEKS = 12.0
#: Designs whose reports are unlikely to be missing: randomised trials (registered, with a
#: protocol). A prospective cohort or single-arm study counts as an uncontrolled series,
#: because the data do not say which of them were registered.
PROTOCOL_DESIGNS = ("RCT",)
#: Reports published in full (not a conference abstract, letter or preprint).
FULL_REPORTS = ("journal_article",)
#: Fewest studies for a test of small-study effects (funnel-plot asymmetry).
MIN_K_PUBLICATION_BIAS = 10
#: Quantile of the normal distribution for the range of true study rates (95%).
Z95 = float(special.ndtri(0.975))
_RATING = {0: "not serious", 1: "serious", 2: "very serious"}


@dataclass(frozen=True)
class Rule:
    """One certainty rule: its domain, its sentence and its source.

    ``sentence`` may name thresholds as ``{key}`` (keys of :func:`rule_thresholds`, put
    into words by :func:`analysis.publish.chapters.certainty.rule_facts`); it is one sentence.
    """

    domain: str
    sentence: str
    source: str


#: Every rule of the certainty assessment, in the order of the chapter's table.
RULES: tuple[Rule, ...] = (
    Rule(
        "Starting level",
        "Every pooled rate starts at {start}, RCT arms included, because a cohort that counts "
        "an outcome answers a question about the probability of that outcome, and one arm of "
        "a trial is such a cohort here.",
        "Iorio 2015",
    ),
    Rule(
        "Risk of bias",
        "A study's risk is its overall judgement (selection or ascertainment high: high; both "
        "low and no other domain high: low; otherwise unclear; causality left out where the "
        "stated follow-up is under {min_followup_weeks} weeks, which counts under "
        "indirectness), and studies at high "
        "risk carrying more than {carry_share} of the courses give \u22122, studies at high or "
        "unclear risk (or not assessed) \u22121; at least \u22121 where counts taken from the "
        "2026 review rather than the studies' own reports (\u2021) carry more than "
        "{carry_share} of the courses.",
        "Murad 2018; GRADE guidelines 4 (Guyatt 2011)",
    ),
    Rule(
        "Inconsistency",
        "From {min_k} studies the 95% range of the studies' true rates (the estimate \u00b1 "
        "1.96 tau on the logit scale) spanning two zones between the decision thresholds "
        "gives \u22121 and three zones \u22122, with fewer studies (tau not estimable) studies "
        "whose rates fall in different zones with 95% CIs that share no value give \u22121, and a "
        "single study or a pool without variation is not assessable.",
        "GRADE guidance 36 (Guyatt 2023)",
    ),
    Rule(
        "Indirectness",
        "Studies whose population is not refractory, whose arm adds a co-intervention to the "
        "two drugs, or whose stated follow-up is under {min_followup_weeks} weeks give "
        "\u22121 where they carry more than {carry_share} of the courses.",
        "GRADE guidelines 8 (Guyatt 2011)",
    ),
    Rule(
        "Imprecision",
        "A 95% interval that crosses one decision threshold (safety {safety_thresholds}, "
        "efficacy {efficacy_thresholds}) or whose upper bound is more than {max_ratio} times "
        "its lower bound (always so when it reaches 0) gives \u22121, and one that crosses "
        "two thresholds \u22122.",
        "GRADE guidelines 32 (Zeng 2021); GRADE guidance 34 (Zeng 2022); Iorio 2015",
    ),
    Rule(
        "Publication bias",
        "Suspected (\u22121) unless more than {carry_share} of the courses come from "
        "randomised trials published in full, because small uncontrolled series, prospective "
        "or not, and abstracts are published selectively and fewer than {min_k_pb} studies "
        "cannot be tested for small-study effects.",
        "GRADE guidelines 5 (Guyatt 2011); Iorio 2015",
    ),
    Rule(
        "Certainty",
        "The starting level less the downgrades, never below very low, where a judgement in "
        "data/grade_overrides.csv (marked \u2020, with its reason) replaces a computed one.",
        "GRADE guidelines 3 (Balshem 2011)",
    ),
)


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


@dataclass(frozen=True)
class PoolEvidence:
    """What the rules of inconsistency and imprecision read from a pooled rate, any model.

    Attributes
    ----------
    kind : str
        ``"random_effects"`` (a model), ``"single_study"`` or ``"counts"`` (no events, or
        only events: no model).
    k : int
        Studies.
    estimate, ci_low, ci_high : float
        The rate and its 95% interval (confidence or credible), 0-1.
    tau : float
        Between-study standard deviation on the logit scale; NaN where the model gives
        none. Read only from :data:`~analysis.review.settings.MIN_K_HETEROGENEITY` studies.
    i2 : float
        I² in percent where the model gives it (described, never judged on); else NaN.
    study_rates, study_ci_low, study_ci_high : tuple of float
        Each study's own proportion and exact 95% CI.
    """

    kind: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    tau: float = float("nan")
    i2: float = float("nan")
    study_rates: tuple = field(default=())
    study_ci_low: tuple = field(default=())
    study_ci_high: tuple = field(default=())

    @classmethod
    def from_pool(cls, pool: PooledProportion) -> PoolEvidence:
        """From an engine result: tau only where the model is on the logit scale."""
        logit = pool.method.model == "glmm" or pool.method.transform == "logit"
        tau = math.sqrt(pool.tau2) if logit and np.isfinite(pool.tau2) else float("nan")
        studies = pool.studies
        return cls(
            kind=pool.kind,
            k=pool.k,
            estimate=pool.estimate,
            ci_low=pool.ci_low,
            ci_high=pool.ci_high,
            tau=tau if pool.kind == "random_effects" else float("nan"),
            i2=pool.i2,
            study_rates=tuple(studies["proportion"].astype(float)),
            study_ci_low=tuple(studies["ci_low"].astype(float)),
            study_ci_high=tuple(studies["ci_high"].astype(float)),
        )


def outcome_kind(outcome: str) -> str:
    """``"safety"`` for adverse events, else ``"efficacy"`` (keys of ``THRESHOLDS``)."""
    return "safety" if outcome in SAFETY else "efficacy"


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


def _zone(p: float, thresholds) -> int:
    """Index of the zone between thresholds in which ``p`` lies (0 below the first)."""
    return int(sum(p >= t for t in thresholds))


def read_risk_of_bias(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``risk_of_bias.csv`` (validated with the data package; empty if absent)."""
    path = Path(data_dir or paths.DATA) / "risk_of_bias.csv"
    if not path.exists():  # an optional table not in this package
        return pd.DataFrame(columns=["study_id", *ROB_DOMAINS])
    return read_text_table(path.name, path.parent)


def _overall_by_rule(row: pd.Series, *, with_causality: bool = True) -> str:
    """The codebook's overall judgement (``data/README.md``, risk_of_bias.csv ``overall``).

    Selection and ascertainment move a single-arm rate directly: ``high`` where either is
    high; ``low`` where both are low and no other domain considered is high; ``unclear``
    otherwise.
    """
    if "high" in (row["selection"], row["ascertainment"]):
        return "high"
    others = ["reporting", *(["causality"] if with_causality else [])]
    if row["selection"] == row["ascertainment"] == "low":
        return "unclear" if any(row[d] == "high" for d in others) else "low"
    return "unclear"


def study_risk(table: pd.DataFrame, short_followup=()) -> pd.Series:
    """Each study's overall risk of bias (study_id -> judgement) for the certainty rules.

    The ``overall`` judgement of ``risk_of_bias.csv`` (Murad 2018: a judgement over the
    domains, by the codebook's rule, not the worst domain). For the studies of
    ``short_followup`` (stated follow-up under :data:`MIN_FOLLOWUP_WEEKS`) causality is left
    out: a follow-up too short for the question is a matter of time frame, judged under
    indirectness (:func:`judge_indirectness`), not of bias. A table without ``overall`` (an
    older package) is judged by the same rule.
    """
    judgements = table.set_index("study_id")
    if "overall" in judgements and judgements["overall"].ne("").all():
        risk = judgements["overall"].copy()
    else:
        risk = judgements.apply(_overall_by_rule, axis=1)
    short = judgements.index.isin(list(short_followup))
    if short.any():
        risk[short] = judgements.loc[short].apply(_overall_by_rule, axis=1, with_causality=False)
    return risk


def short_followup(studies: pd.DataFrame) -> list[str]:
    """Studies whose stated follow-up is under :data:`MIN_FOLLOWUP_WEEKS` weeks."""
    weeks = pd.to_numeric(studies["followup_weeks"], errors="coerce")
    return studies.loc[weeks < MIN_FOLLOWUP_WEEKS, "study_id"].tolist()


def judge_risk_of_bias(studies, totals, risk: pd.Series, *, time_frame=()) -> Judgement:
    """Downgrade from the share of courses contributed by studies at high or unclear risk.

    ``time_frame``: studies of the pool whose causality was left out of ``risk``
    (:func:`study_risk`), named in the reason.
    """
    frame = pd.DataFrame({"study": list(studies), "n": list(totals)})
    frame["risk"] = [risk.get(study, "unclear") for study in frame["study"]]
    total = frame["n"].sum()
    high = frame.loc[frame["risk"] == "high", "n"].sum() / total
    doubtful = frame.loc[frame["risk"] != "low", "n"].sum() / total
    text = f"{doubtful:.0%} of courses at high or unclear risk" + (
        f" ({high:.0%} high)" if high else ""
    )
    moved = sorted(set(time_frame) & set(frame["study"]))
    if moved:
        text += f"; causality of {', '.join(moved)} (short follow-up) judged under indirectness"
    if high > CARRY_SHARE:
        return Judgement(2, text)
    if doubtful > CARRY_SHARE:
        return Judgement(1, text)
    return Judgement(0, text)


def judge_inconsistency(evidence: PoolEvidence, thresholds: DecisionThresholds) -> Judgement:
    """Downgrade where the studies' rates would lead to different decisions (GRADE 36).

    From :data:`~analysis.review.settings.MIN_K_HETEROGENEITY` studies with a tau: the
    95% range of true study rates, ``expit(logit(estimate) ± 1.96 tau)``, spanning two
    zones between the decision thresholds is serious, three very serious. Otherwise (two
    studies, or no tau) the studies themselves: rates in different zones with 95% CIs that
    share no value are serious. One study, or no events (or only events) in every study,
    is not assessable. Never "no heterogeneity" where it could not be estimated.
    """
    cuts = thresholds.thresholds
    label = f"{thresholds.kind} thresholds {', '.join(_pct(t) for t in cuts)}"
    if evidence.kind == "counts":
        what = "no events in any study" if evidence.estimate == 0 else "only events"
        return Judgement(0, f"not assessable: {what} (no variation to judge)")
    if evidence.k < 2:
        return Judgement(0, "not assessable: one study")
    if evidence.k >= MIN_K_HETEROGENEITY and np.isfinite(evidence.tau):
        centre = special.logit(min(max(evidence.estimate, 1e-12), 1 - 1e-12))
        low, high = (float(special.expit(centre + s * Z95 * evidence.tau)) for s in (-1, 1))
        zones = _zone(high, cuts) - _zone(low, cuts) + 1
        text = (
            f"tau {evidence.tau:.2f}: true study rates {_pct(low)}-{_pct(high)}, "
            f"{zones} zone{'s' if zones > 1 else ''} ({label})"
        )
        if np.isfinite(evidence.i2):
            text += f"; I\u00b2 {evidence.i2:.0f}%"
        return Judgement(min(zones - 1, 2), text)
    rates = evidence.study_rates
    zones = {_zone(p, cuts) for p in rates}
    overlap = max(evidence.study_ci_low) <= min(evidence.study_ci_high)
    why = "tau not given" if evidence.k >= MIN_K_HETEROGENEITY else "tau not estimable"
    text = (
        f"{evidence.k} studies ({why}): rates {', '.join(_pct(p) for p in sorted(rates))} in "
        f"{len(zones)} zone{'s' if len(zones) > 1 else ''} ({label}); their 95% CIs "
        f"{'overlap' if overlap else 'do not overlap'}"
    )
    return Judgement(1 if len(zones) > 1 and not overlap else 0, text)


def judge_imprecision(ci_low: float, ci_high: float, thresholds: DecisionThresholds) -> Judgement:
    """Downgrade from the 95% interval against the decision thresholds and its bound ratio.

    Crossing one threshold, or an upper bound more than ``thresholds.max_ratio`` times the
    lower (an interval that reaches 0 has an infinite ratio), is serious; crossing two
    thresholds is very serious (Zeng 2021, 2022; Iorio 2015). Works from any interval, a
    credible interval included.
    """
    cuts = thresholds.thresholds
    crossed = [t for t in cuts if ci_low < t < ci_high]
    ratio = ci_high / ci_low if ci_low > 0 else math.inf
    parts = [f"95% CI {100 * ci_low:.1f}-{100 * ci_high:.1f}%"]
    if crossed:
        parts.append(f"crosses {' and '.join(_pct(t) for t in crossed)} ({thresholds.kind})")
    else:
        parts.append(f"within one {thresholds.kind} zone")
    if math.isinf(ratio):
        parts.append("reaches 0: the data cannot exclude a rate near zero nor bound it below")
    else:
        parts.append(f"upper bound {ratio:.1f} times the lower")
    downgrade = min(len(crossed), 2)
    if ratio > thresholds.max_ratio:
        downgrade = max(downgrade, 1)
    return Judgement(downgrade, "; ".join(parts))


def _share(rows: pd.DataFrame, mask) -> float:
    totals = rows["total"].astype(int)
    return float(totals[np.asarray(mask, dtype=bool)].sum() / totals.sum())


def _column(rows: pd.DataFrame, name: str, default="") -> pd.Series:
    if name in rows:
        column = rows[name].astype(object)
        return column.where(column.notna(), default).astype(str)
    return pd.Series(default, index=rows.index, dtype=object)


def indirect_reasons(rows: pd.DataFrame) -> pd.Series:
    """Why each row's courses are indirect (``""`` where they match the question).

    Reads ``population_indirect`` (studies: why the population is not refractory),
    ``cointervention`` (arms: a drug added to the two) and ``followup_weeks`` (studies:
    under :data:`MIN_FOLLOWUP_WEEKS`).
    """
    population = _column(rows, "population_indirect")
    cointervention = _column(rows, "cointervention")
    weeks = pd.to_numeric(_column(rows, "followup_weeks"), errors="coerce")
    reasons = []
    for pop, co, wk in zip(population, cointervention, weeks, strict=True):
        found = []
        if pop:
            found.append(f"population: {pop}")
        if co:
            found.append(f"co-intervention: {co}")
        if wk < MIN_FOLLOWUP_WEEKS:
            found.append(f"follow-up {wk:g} weeks")
        reasons.append("; ".join(found))
    return pd.Series(reasons, index=rows.index, dtype=object)


def judge_indirectness(rows: pd.DataFrame) -> Judgement:
    """Serious where indirect studies (:func:`indirect_reasons`) carry the pool.

    ``rows``: the pool's analysed rows (``study_id``, ``total`` and the columns
    :func:`indirect_reasons` reads, where present).
    """
    reasons = indirect_reasons(rows)
    flagged = reasons.ne("")
    if not flagged.any():
        return Judgement(0, "matches the review question")
    share = _share(rows, flagged)
    named = "; ".join(
        f"{study} ({why})"
        for study, why in zip(rows.loc[flagged, "study_id"], reasons[flagged], strict=True)
    )
    text = f"{share:.0%} of courses from indirect studies: {named}"
    return Judgement(1 if share > CARRY_SHARE else 0, text)


def judge_publication_bias(rows: pd.DataFrame) -> Judgement:
    """Suspected unless most courses come from randomised trials published in full.

    ``rows``: the pool's analysed rows (``study_id``, ``total``, ``design``,
    ``publication_type``; a missing column counts against the pool). The reason names the
    designs and reports behind the cell.
    """
    design = _column(rows, "design")
    report = _column(rows, "publication_type")
    protocol = design.isin(PROTOCOL_DESIGNS) & report.isin(FULL_REPORTS)
    share = _share(rows, protocol)
    k = rows["study_id"].nunique()
    uncontrolled = _share(rows, ~design.isin(PROTOCOL_DESIGNS))
    grey = int((~report.isin(FULL_REPORTS)).sum())
    parts = [
        f"{share:.0%} of courses from randomised trials published in full",
        f"{uncontrolled:.0%} from uncontrolled series",
    ]
    if grey:
        parts.append(f"{grey} of {k} reports a conference abstract, letter or preprint")
    if k < MIN_K_PUBLICATION_BIAS:
        parts.append(f"{k} stud{'y' if k == 1 else 'ies'}: too few to test small-study effects")
    text = "; ".join(parts)
    if share > CARRY_SHARE:
        return Judgement(0, "not suspected: " + text)
    return Judgement(1, "suspected: " + text)


def read_overrides(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``grade_overrides.csv`` as text (validated with the data package; empty if absent)."""
    path = Path(data_dir or paths.DATA) / "grade_overrides.csv"
    columns = ["outcome", "regimen", "domain", "downgrade", "reason", "source"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    return read_text_table(path.name, path.parent)


#: ``outcomes.kind`` of a count taken from the review this project reproduces.
SECOND_HAND = "target_review"


def second_hand(judgement: Judgement, rows: pd.DataFrame) -> Judgement:
    """At least serious risk of bias where counts taken from the 2026 review carry the pool.

    A number read in the review we reproduce, not in the study's own report, cannot be
    checked against its source (how it was counted, at which time point): where such
    counts (``kind`` target_review, marked ‡) carry more than :data:`CARRY_SHARE` of the
    courses, risk of bias is at least serious.
    """
    if "kind" not in rows or judgement.downgrade >= 1:
        return judgement
    totals = rows["total"].astype(float)
    share = totals[rows["kind"] == SECOND_HAND].sum() / totals.sum()
    if share <= CARRY_SHARE:
        return judgement
    return Judgement(
        1,
        f"{judgement.reason}; {share:.0%} of courses are counts taken from the 2026 review "
        "(\u2021), not from the studies' own reports",
    )


def assess(
    pool: PooledProportion | PoolEvidence,
    rows: pd.DataFrame,
    risk: pd.Series,
    overrides: pd.DataFrame | None = None,
    *,
    outcome: str = "",
    regimen: str = "",
    time_frame=(),
) -> dict:
    """GRADE judgements for one pooled result.

    Parameters
    ----------
    pool : PooledProportion or PoolEvidence
        The primary-analysis result (any model, through :class:`PoolEvidence`).
    rows : DataFrame
        Its analysed rows: ``study_id``, ``total`` and, where known, ``design``,
        ``publication_type``, ``population_indirect``, ``cointervention`` and
        ``followup_weeks``.
    risk : Series
        :func:`study_risk` of the per-study assessments.
    overrides : DataFrame, optional
        :func:`read_overrides`; rows matching ``outcome`` (or ``*``) and ``regimen`` replace
        the computed judgement of their domain.
    outcome, regimen : str
        The cell (``outcome`` also picks the decision thresholds: :func:`outcome_kind`).
    time_frame : sequence of str
        Studies whose causality ``risk`` leaves out (:func:`short_followup`).

    Returns
    -------
    dict
        ``start`` (level), ``domains`` (domain -> :class:`Judgement`), ``level`` (final,
        1-4) and ``certainty`` (its label).
    """
    evidence = pool if isinstance(pool, PoolEvidence) else PoolEvidence.from_pool(pool)
    thresholds = THRESHOLDS[outcome_kind(outcome)]
    totals = rows["total"].astype(int)
    domains = {
        "risk_of_bias": second_hand(
            judge_risk_of_bias(rows["study_id"], totals, risk, time_frame=time_frame), rows
        ),
        "inconsistency": judge_inconsistency(evidence, thresholds),
        "indirectness": judge_indirectness(rows),
        "imprecision": judge_imprecision(evidence.ci_low, evidence.ci_high, thresholds),
        "publication_bias": judge_publication_bias(rows),
    }
    if overrides is not None and len(overrides):
        hit = overrides[
            overrides["outcome"].isin([outcome, "*"]) & (overrides["regimen"] == regimen)
        ]
        for row in hit.itertuples(index=False):
            domains[row.domain] = Judgement(int(row.downgrade), row.reason, override=True)
    level = max(1, START - sum(j.downgrade for j in domains.values()))
    return {"start": START, "domains": domains, "level": level, "certainty": LEVELS[level]}


#: Study columns the rules read (joined to the any-combination rows).
_STUDY_COLUMNS = ["study_id", "design", "publication_type", "followup_weeks"]


def read_indirect_populations(data_dir: Path | str | None = None) -> pd.Series:
    """``indirect_populations.csv``: study_id -> why its population is not the question's."""
    path = Path(data_dir or paths.DATA) / "indirect_populations.csv"
    if not path.exists():
        return pd.Series(dtype=object)
    table = read_text_table(path.name, path.parent)
    return table.set_index("study_id")["reason"]


def any_combination_evidence(ds: Dataset, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of an any-combination pool (each study once) with what the rules read.

    ``rows``: the outcome's analysed rows (:func:`~analysis.review.synthesis.outcome_rows`).
    A study's ``cointervention`` is that of any arm it contributes.
    """
    overall = any_combination_rows(rows)
    flagged = rows.loc[with_cointervention(rows), ["arm_id", "cointervention"]]
    co = dict(zip(flagged["arm_id"], flagged["cointervention"], strict=True))
    overall["cointervention"] = [
        "; ".join(co[a] for a in arms.split(";") if a in co) for arms in overall["arms"]
    ]
    return overall.merge(ds.studies[_STUDY_COLUMNS], on="study_id", how="left")


def _with_population(rows: pd.DataFrame, populations: pd.Series) -> pd.DataFrame:
    return rows.assign(population_indirect=[populations.get(s, "") for s in rows["study_id"]])


def certainty_frame(ds: Dataset, outcomes=None, *, method: str = PRIMARY) -> pd.DataFrame:
    """The certainty of every pool of ``method``, the any-combination pools included.

    Each regimen x outcome pool, and each outcome's pool over every combination (regimen
    ``any``, each study once: the headline rate of Safety and Efficacy).

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
    time_frame = short_followup(ds.studies)
    risk = study_risk(read_risk_of_bias(ds.data_dir), time_frame)
    populations = read_indirect_populations(ds.data_dir)
    records = []
    for outcome in outcomes or OUTCOMES:
        syn = synthesise(ds, outcome, method)
        cells = [
            (regimen, pool, syn.regimen_rows[syn.regimen_rows["regimen"] == regimen])
            for regimen, pool in syn.pools.items()
        ]
        if syn.any_combination is not None:
            cells.append(("any", syn.any_combination, any_combination_evidence(ds, syn.rows)))
        for regimen, pool, rows in cells:
            rows = _with_population(rows, populations)
            result = assess(
                pool,
                rows,
                risk,
                overrides,
                outcome=outcome,
                regimen=regimen,
                time_frame=time_frame,
            )
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
    """The numbers of the rules (the publishing layer puts them into words)."""
    return {
        "start": LEVELS[START],
        "carry_share": CARRY_SHARE,
        "min_followup_weeks": MIN_FOLLOWUP_WEEKS,
        "min_k": MIN_K_HETEROGENEITY,
        "safety_thresholds": THRESHOLDS["safety"].thresholds,
        "efficacy_thresholds": THRESHOLDS["efficacy"].thresholds,
        "max_ratio": tuple(THRESHOLDS[kind].max_ratio for kind in ("safety", "efficacy")),
        "min_k_pb": MIN_K_PUBLICATION_BIAS,
    }
