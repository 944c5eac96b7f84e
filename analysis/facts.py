"""Numbers and phrases for chapter prose, computed (never typed) and ready to glue."""

from __future__ import annotations

import pandas as pd

from .dataset import Dataset
from .formatting import fmt_count, fmt_estimate_ci, fmt_pct
from .synthesis import MIXED, OUTCOMES, RegimenSynthesis, regimen_trials

#: Wording used when nothing can be said.
NONE = "none"


def outcome_facts(*syntheses: RegimenSynthesis) -> dict[str, str]:
    """Facts about each outcome's synthesis, keyed ``<outcome>_<fact>``.

    Keys: ``n_studies`` (studies contributing, mixed arms included), ``n_tts`` (trials in
    single-regimen pools), ``n_regimens`` (regimens with data), ``n_pooled`` (regimens
    with at least two studies), ``range`` (lowest to highest pooled rate with regimens),
    ``any`` (any-combination pooled rate with CI), ``n_not_estimable``, ``method``.
    """
    facts = {}
    for syn in syntheses:
        facts.update(_one_outcome_facts(syn))
    return facts


def _one_outcome_facts(syn: RegimenSynthesis) -> dict[str, str]:
    o = syn.outcome
    pools = syn.pools
    facts = {
        "n_studies": fmt_count(syn.rows["study_id"].nunique()),
        "n_tts": fmt_count(sum(p.n_total for p in pools.values())),
        "n_regimens": fmt_count(len(pools)),
        "n_pooled": fmt_count(sum(p.k >= 2 for p in pools.values())),
        "n_not_estimable": fmt_count(len(syn.failures)),
        "any": fmt_estimate_ci(syn.any_combination) if syn.any_combination else NONE,
        "method": syn.method,
    }
    if pools:
        low = min(pools, key=lambda r: pools[r].estimate)
        high = max(pools, key=lambda r: pools[r].estimate)
        facts["range"] = (f"from {fmt_pct(pools[low].estimate)} ({low}) "
                          f"to {fmt_pct(pools[high].estimate)} ({high})")
    else:
        facts["range"] = "not estimable (no regimen has data)"
    return {f"{o}_{key}": value for key, value in facts.items()}


def dataset_facts(ds: Dataset) -> dict[str, str]:
    """Facts about the data package: counts of studies, arms, regimens and trials.

    Keys: ``n_studies``, ``n_studies_pooled`` (overlapping cohorts removed), ``n_arms``,
    ``n_regimens``, ``n_tts`` (single-regimen arms), ``n_outcome_rows``,
    ``n_outcomes_with_data`` (of the six), ``data_version``, and the 2026 paper's
    ``paper_studies`` and ``paper_tts`` where ``published.csv`` states them.
    """
    trials = regimen_trials(ds)
    studies = ds.studies
    pub = ds.published[(ds.published["review"] == "anderson2026")
                       & (ds.published["regimen"] == "any")]
    paper_tts = pub["trials"].dropna()
    paper_studies = pub["studies"].dropna()
    analysed = ds.outcomes[ds.outcomes["analysed"]]
    return {
        "n_studies": fmt_count(len(studies)),
        "n_studies_pooled": fmt_count(studies["overlaps_with"].eq("").sum()),
        "n_arms": fmt_count((ds.arms["regimen"] != MIXED).sum()),
        "n_mixed_arms": fmt_count((ds.arms["regimen"] == MIXED).sum()),
        "n_regimens": fmt_count(len(trials)),
        "n_tts": fmt_count(trials["trials"].sum()),
        "n_outcome_rows": fmt_count(len(ds.outcomes)),
        "n_outcomes_with_data": f"{analysed['outcome'].nunique()} of {len(OUTCOMES)}",
        "data_version": ds.version,
        "paper_studies": fmt_count(paper_studies.max()) if len(paper_studies) else NONE,
        "paper_tts": fmt_count(paper_tts.max()) if len(paper_tts) else NONE,
    }


_TRANSFORMS = {"logit": "logit", "freeman-tukey": "Freeman-Tukey double arcsine",
               "arcsine": "arcsine square root", "raw": "untransformed proportion"}
_TAU2 = {"DL": "DerSimonian-Laird", "REML": "restricted maximum likelihood",
         "PM": "Paule-Mandel", "ML": "maximum likelihood", "HE": "Hedges",
         "SJ": "Sidik-Jonkman"}
_CI = {"wald": "Wald (z) CI", "hk": "Hartung-Knapp CI (t, k-1 df)",
       "hk-adhoc": "Hartung-Knapp CI never narrower than Wald"}


def describe_method(method) -> str:
    """Describe a :class:`analysis.results.Method` in words for the methods chapter."""
    if method.model == "glmm":
        core = ("binomial-normal generalised linear mixed model (random-intercept logistic "
                "regression, maximum likelihood, adaptive Gauss-Hermite quadrature)")
    else:
        core = (f"inverse-variance random effects on the {_TRANSFORMS[method.transform]} scale, "
                f"tau\u00b2 by {_TAU2[method.tau2]}")
    return f"{core}, {_CI.get(method.ci, method.ci)}"


def method_facts() -> dict[str, str]:
    """``<key>_label`` describing each named method of :data:`analysis.settings.METHODS`."""
    from .settings import METHODS

    return {f"{key}_label": describe_method(method) for key, method in METHODS.items()}


def completeness_facts(ds: Dataset) -> dict[str, str]:
    """How much of the 2026 paper's evidence our sources recover.

    Keys: ``paper_regimens`` (regimens with a stated TT count in the paper),
    ``tts_recovered`` (TTs of our 2022 and 2026 studies, capped at the paper's count per
    regimen, over those regimens), ``tts_paper_sum``, ``tts_recovered_pct``, ``regimens_complete``
    (regimens where we hold at least the paper's TTs, listed) and ``n_cells_missing``
    (regimen x outcome cells with no data, of ``n_cells``).
    """
    from .tables import MISSING, completeness_table

    table = completeness_table(ds)
    stated = table[table["TTs, 2026 paper"] != MISSING]
    paper = stated["TTs, 2026 paper"].astype(int)
    recovered = stated["TTs, 2022+2026 studies"].clip(upper=paper)
    complete = stated.loc[stated["TTs, 2022+2026 studies"] >= paper, "Regimen"].tolist()
    cells = table[list(OUTCOMES.values())]
    return {
        "paper_regimens": fmt_count(len(stated)),
        "tts_recovered": fmt_count(recovered.sum()),
        "tts_paper_sum": fmt_count(paper.sum()),
        "tts_recovered_pct": fmt_pct(recovered.sum() / paper.sum()) if paper.sum() else NONE,
        "regimens_complete": ", ".join(complete) if complete else NONE,
        "n_cells_missing": fmt_count((cells == MISSING).to_numpy().sum()),
        "n_cells": fmt_count(cells.size),
    }


def published_bounds_facts(ds: Dataset, review: str = "anderson2026") -> dict[str, str]:
    """The published pooled rates that sit exactly at 0% or 100%, as a phrase.

    Key ``published_at_bounds``, e.g. ``"UPA+VDZ adverse events 0.0% (2 TTs); ..."``:
    evidence of a transformation that reaches the bounds (Freeman-Tukey) in ``review``.
    """
    pub = ds.published[(ds.published["review"] == review)
                       & ds.published["outcome"].isin(list(OUTCOMES))
                       & ds.published["estimate_pct"].isin([0.0, 100.0])]
    phrases = [f"{r.regimen} {OUTCOMES[r.outcome].lower()} {r.estimate_pct:.1f}%"
               + ("" if pd.isna(r.trials) else f" ({int(r.trials)} TTs)")
               for r in pub.itertuples(index=False)]
    return {"published_at_bounds": "; ".join(phrases) if phrases else NONE}
