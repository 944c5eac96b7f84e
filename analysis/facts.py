"""Numbers and phrases for chapter prose, computed (never typed) and ready to glue."""

from __future__ import annotations

from .dataset import Dataset
from .formatting import fmt_count, fmt_estimate_ci, fmt_pct
from .synthesis import MIXED, OUTCOMES, RegimenSynthesis, regimen_trials

#: Wording used when nothing can be said.
NONE = "none"


def outcome_facts(syn: RegimenSynthesis) -> dict[str, str]:
    """Facts about one outcome's synthesis, keyed ``<outcome>_<fact>``.

    Keys: ``n_studies`` (studies contributing, mixed arms included), ``n_tts`` (trials in
    single-regimen pools), ``n_regimens`` (regimens with data), ``n_pooled`` (regimens
    with at least two studies), ``range`` (lowest to highest pooled rate with regimens),
    ``any`` (any-combination pooled rate with CI), ``n_not_estimable``, ``method``.
    """
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
