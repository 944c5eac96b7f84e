"""The Safety and Efficacy chapters: per outcome, the rates of every combination.

A forest plot and a summary table per outcome, and the sentences that name the rates
(:func:`rates_sentence`, which never ranks a pool by a rate it does not have). The
Discussion and the home page reuse :func:`outcome_facts` and :func:`rates_sentence`.
"""

from __future__ import annotations

import pandas as pd

from ...datapackage import Dataset
from ...engine.results import PooledProportion
from ...review.certainty import certainty_frame
from ...review.settings import heterogeneity_estimable
from ...review.synthesis import EFFICACY, OUTCOMES, SAFETY, RegimenSynthesis, synthesise
from ..forest import forest_plot
from ..formatting import (
    MISSING,
    NONE,
    fmt_count,
    fmt_courses,
    fmt_evidence,
    fmt_i2,
    fmt_interval,
    fmt_list,
    fmt_pct,
    fmt_pool_cell,
    fmt_q,
    fmt_result,
)
from ..page import Page


def outcome_facts(*syntheses: RegimenSynthesis) -> dict[str, str]:
    """Facts about each outcome's synthesis, keyed ``<outcome>_<fact>``.

    Keys: ``n_studies`` (studies contributing, mixed arms included), ``n_tts`` (courses in
    single-regimen pools), ``n_regimens`` (regimens with data), ``n_pooled`` (regimens
    with at least two studies), ``rates`` (a sentence: the range of the rates the pools
    have, each with its studies and courses, and the pools with no events or only events
    named as counts, never ranked), ``any`` (the any-combination result with its CI),
    ``n_not_estimable``, ``method``.
    """
    facts = {}
    for syn in syntheses:
        facts.update(_one_outcome_facts(syn))
    return facts


def _behind(pool) -> str:
    return fmt_evidence(pool.k, pool.n_total)


#: Pools with fewer courses are named with their counts, apart from the rates.
FEW_COURSES = 5


def rates_sentence(syn: RegimenSynthesis) -> str:
    """The rates of one outcome in words, ranking only pools that have a rate.

    e.g. ``"Estimated rates ranged from 6.2% (Tofa+VDZ; 2 studies, 16 courses) to 8.3% (...);
    no serious adverse events in NAT+aTNF (0/52 courses) and Tofa+UST (0/13 courses)."``
    Pools with no events, or only events, are named with their counts, and so are pools of
    fewer than :data:`FEW_COURSES` courses, apart ("too few courses to say anything"). A combination
    carries the marks of its studies (:data:`analysis.review.synthesis.MARKS`, e.g. ‡ for a
    count taken from the 2026 review).
    """
    label = syn.label.lower()

    def named(regimen: str) -> str:  # the combination with the marks of its studies
        marks = syn.pool_marks(regimen)
        return f"{regimen} {marks}" if marks else regimen

    enough = {r: p for r, p in syn.pools.items() if p.n_total >= FEW_COURSES}
    few = [
        f"{named(r)} ({fmt_count(p.events_total)}/{fmt_courses(p.n_total)})"
        for r, p in syn.pools.items()
        if p.n_total < FEW_COURSES
    ]
    rated = {r: p for r, p in enough.items() if p.kind != "counts"}
    none = [
        f"{named(r)} (0/{fmt_courses(p.n_total)})"
        for r, p in enough.items()
        if p.kind == "counts" and p.events_total == 0
    ]
    every = [
        f"{named(r)} ({fmt_count(p.events_total)}/{fmt_courses(p.n_total)})"
        for r, p in enough.items()
        if p.kind == "counts" and p.events_total > 0
    ]
    parts = []
    if len(rated) >= 2:
        low = min(rated, key=lambda r: rated[r].estimate)
        high = max(rated, key=lambda r: rated[r].estimate)
        parts.append(
            f"estimated rates ranged from {fmt_pct(rated[low].estimate)} ({named(low)}; "
            f"{_behind(rated[low])}) to {fmt_pct(rated[high].estimate)} ({named(high)}; "
            f"{_behind(rated[high])})"
        )
    elif rated:
        ((regimen, pool),) = rated.items()
        parts.append(
            f"the only estimated rate was {fmt_pct(pool.estimate)} ({named(regimen)}; "
            f"{_behind(pool)})"
        )
    if none:
        parts.append(f"no {label} in {fmt_list(none)}")
    if every:
        parts.append(f"{label} in every course of {fmt_list(every)}")
    if few:
        parts.append(f"too few courses to say anything for {fmt_list(few)}")
    if not parts:
        return f"No combination has data on {label}."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _one_outcome_facts(syn: RegimenSynthesis) -> dict[str, str]:
    pools = syn.pools
    facts = {
        "n_studies": fmt_count(syn.rows["study_id"].nunique()),
        "n_tts": fmt_count(sum(p.n_total for p in pools.values())),
        "n_regimens": fmt_count(len(pools)),
        "n_pooled": fmt_count(sum(p.k >= 2 for p in pools.values())),
        "n_not_estimable": fmt_count(len(syn.failures)),
        "any": fmt_result(syn.any_combination) if syn.any_combination else NONE,
        "rates": rates_sentence(syn),
        "method": syn.method,
    }
    return {f"{syn.outcome}_{key}": value for key, value in facts.items()}


def any_certainty_facts(frame: pd.DataFrame) -> dict[str, str]:
    """The certainty of each outcome's any-combination rate: ``<outcome>_any_certainty``.

    ``frame`` is :func:`analysis.review.certainty.certainty_frame`; e.g. ``"very low
    certainty"``, for each outcome of the frame (``"not graded"`` where the outcome has no
    any-combination pool).
    """
    overall = frame[frame["regimen"] == "any"].set_index("outcome")
    return {
        f"{outcome}_any_certainty": (
            f"{overall.at[outcome, 'certainty'].lower()} certainty"
            if outcome in overall.index
            else "not graded"
        )
        for outcome in dict.fromkeys(frame["outcome"])
        if outcome in OUTCOMES
    }


def model_note(pool: PooledProportion) -> str:
    """What produced a pooled row, in words a reader needs.

    Pooled counts (no events, or only events: no model), a single study (its exact CI), a
    visible GLMM fallback, or the model, saying where two studies cannot estimate the
    between-study variance.
    """
    if pool.kind == "counts":
        what = "no events" if pool.events_total == 0 else "only events"
        return f"{what}: pooled counts, exact CI, no model"
    if pool.kind == "single_study":
        return "single study, exact CI"
    if pool.fallback:
        return f"{pool.method.label} (GLMM not estimable)"
    if not heterogeneity_estimable(pool):
        return f"{pool.method.label}; {pool.k} studies: between-study variance not estimable"
    return pool.method.label


def summary_table(syn: RegimenSynthesis) -> pd.DataFrame:
    """One row per regimen: studies, courses, pooled % (95% CI), 95% PI, I², Q and the model.

    The last row is the any-combination pool (each study once); regimens whose model could
    not be fitted are listed with the reason. The PI is empty below three studies, I² and
    Q where heterogeneity cannot be estimated.
    """
    rows = []
    items = list(syn.pools.items())
    if syn.any_combination is not None:
        items.append(("Any combination", syn.any_combination))
    for regimen, pool in items:
        marks = syn.pool_marks(None if regimen == "Any combination" else regimen)
        rows.append(
            {
                "Regimen": f"{regimen} {marks}" if marks else regimen,
                "Studies": pool.k,
                "Courses": fmt_count(pool.n_total),
                "Events": fmt_count(pool.events_total),
                "Pooled % (95% CI)": fmt_pool_cell(pool),
                "95% PI": fmt_interval(pool.pi_low, pool.pi_high),
                "I² (τ²-based)": fmt_i2(pool),
                "Q (df), p": fmt_q(pool),
                "Model": model_note(pool),
            }
        )
    for regimen, reason in syn.failures.items():
        rows.append(
            {
                "Regimen": regimen,
                "Studies": MISSING,
                "Courses": MISSING,
                "Events": MISSING,
                "Pooled % (95% CI)": "not estimable",
                "95% PI": MISSING,
                "I² (τ²-based)": MISSING,
                "Q (df), p": MISSING,
                "Model": reason,
            }
        )
    return pd.DataFrame(rows)


def _outcomes_page(name: str, ds: Dataset, outcomes) -> Page:
    syntheses = {o: synthesise(ds, o) for o in outcomes}
    page = Page(name, results=list(syntheses.values()))
    page.facts = outcome_facts(*syntheses.values()) | any_certainty_facts(
        certainty_frame(ds, list(outcomes))
    )
    for outcome, syn in syntheses.items():
        page.figures[f"{outcome}_forest"] = forest_plot(syn)
        page.table(f"{outcome}_table", summary_table(syn))
    return page


def safety_page(ds: Dataset) -> Page:
    """The Safety chapter: adverse and serious adverse events, per combination.

    Keys: the facts of :func:`outcome_facts` and :func:`any_certainty_facts`,
    ``<outcome>_forest`` (forest plot) and ``<outcome>_table`` (:func:`summary_table`).
    """
    return _outcomes_page("safety", ds, SAFETY)


def efficacy_page(ds: Dataset) -> Page:
    """The Efficacy chapter: response and remission, per combination (keys as Safety's)."""
    return _outcomes_page("efficacy", ds, EFFICACY)
