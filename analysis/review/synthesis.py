"""From the data package to per-regimen pooled results for one outcome."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import pandas as pd

from ..datapackage import Dataset, vocabulary
from ..engine.pooling import NotEstimableError, pool_proportions
from ..engine.results import PooledProportion
from .settings import METHODS, MIN_K_HETEROGENEITY, PRIMARY, heterogeneity_estimable
from .settings import method as method_of

#: The book's wording of each outcome code.
_OUTCOME_LABELS = {
    "ae": "Adverse events",
    "sae": "Serious adverse events",
    "clinical_response": "Clinical response",
    "clinical_remission": "Clinical remission",
    "endoscopic_response": "Endoscopic/radiologic response",
    "endoscopic_remission": "Endoscopic/radiologic remission",
}
#: Outcome vocabulary of ``outcomes.csv``, in the order ``datapackage.json`` defines it (the
#: one definition), with the book's wording.
OUTCOMES = {code: _OUTCOME_LABELS[code] for code in vocabulary("outcomes", "outcome")}
SAFETY = ("ae", "sae")
EFFICACY = (
    "clinical_response",
    "clinical_remission",
    "endoscopic_response",
    "endoscopic_remission",
)
#: Label of whole-study arms spanning several regimens.
MIXED = "mixed"
#: Publication types excluded by the "peer-reviewed only" sensitivity analysis.
GREY_LITERATURE = ("conference_abstract", "preprint")


def outcome_rows(ds: Dataset, outcome: str, *, exclude_publication_types=()) -> pd.DataFrame:
    """Analysed outcome rows of one outcome, joined with their arm and study.

    A study superseded by a later report of the same cohort (``studies.overlaps_with``) is
    left out when that report has an analysed row for this outcome, and kept otherwise (the
    superseded report is then the cohort's only data on the outcome: nothing is counted
    twice). Studies whose ``publication_type`` is in ``exclude_publication_types`` are left
    out.

    Returns
    -------
    DataFrame
        One row per arm: ``study_id, arm_id, regimen, events, total, kind, design,
        publication_type, population, disease`` and the other study columns.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
    rows = ds.outcomes[(ds.outcomes["outcome"] == outcome) & ds.outcomes["analysed"]]
    rows = rows.merge(
        ds.arms[
            [
                "arm_id",
                "study_id",
                "regimen",
                "regimens_included",
                "n_patients",
                "n_trials",
                "cointervention",
            ]
        ],
        on="arm_id",
        how="left",
    )
    rows = rows.merge(ds.studies, on="study_id", how="left", suffixes=("", "_study"))
    superseded = superseded_by(rows).ne("")
    keep = ~superseded & ~rows["publication_type"].isin(exclude_publication_types)
    return rows[keep].sort_values(["regimen", "study_id"]).reset_index(drop=True)


def superseded_by(rows: pd.DataFrame) -> pd.Series:
    """The later report that takes each row's place for the row's outcome (``""``: none).

    A report superseded by a later report of the same cohort (``studies.overlaps_with``)
    gives way only where that later report has an analysed row of the same outcome; where
    it has none, the superseded report is the cohort's only data on the outcome and stays.

    Parameters
    ----------
    rows : DataFrame
        Analysed outcome rows with ``study_id``, ``outcome`` and ``overlaps_with``.
    """
    present = set(zip(rows["study_id"], rows["outcome"], strict=True))
    later = rows["overlaps_with"].fillna("")
    return pd.Series(
        [
            study if study and (study, outcome) in present else ""
            for study, outcome in zip(later, rows["outcome"], strict=True)
        ],
        index=rows.index,
        dtype=object,
    )


def _pool(frame: pd.DataFrame, method: str) -> PooledProportion:
    return pool_proportions(
        frame["events"].astype(int).to_numpy(),
        frame["total"].astype(int).to_numpy(),
        frame["study_id"].tolist(),
        method=method_of(method),
    )


#: Marks shown beside a study wherever its count is pooled, and what they mean.
MARKS = {
    "\u2021": "count taken from the 2026 review, not from the study's own report",
    "\u00a7": "co-intervention: more than dual therapy (e.g. methotrexate in EXPLORER)",
}


def from_target_review(outcomes: pd.DataFrame) -> pd.Series:
    """Outcome rows whose count was taken from the 2026 review (mark ‡)."""
    return outcomes["kind"].eq("target_review")


def with_cointervention(arms: pd.DataFrame) -> pd.Series:
    """Arms given with a co-intervention beyond the two drugs (mark §)."""
    return arms["cointervention"].fillna("").astype(str).ne("")


def study_marks(rows: pd.DataFrame) -> dict[str, str]:
    """Study id -> marks for the analysed rows of a pool (only studies with a mark).

    ``rows`` join outcome rows and their arms (:func:`outcome_rows`); the marks are those
    of :data:`MARKS`: :func:`from_target_review` and :func:`with_cointervention`.
    """
    marks: dict[str, str] = {}
    flags = zip(rows["study_id"], from_target_review(rows), with_cointervention(rows), strict=True)
    for study, review, cointervention in flags:
        mark = ("\u2021" if review else "") + ("\u00a7" if cointervention else "")
        if mark:
            marks[study] = "".join(sorted(set(marks.get(study, "") + mark)))
    return marks


def _failure(error: Exception) -> str:
    """Why a pool has no estimate, in words (the error type only where it adds something)."""
    if isinstance(error, NotEstimableError):
        return f"not estimable: {error}"
    return f"{type(error).__name__}: {error}"


def any_combination_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per study for the any-combination pool: each study enters once.

    Per study (the codebook's rule): its whole-study (``mixed``) count where it reports
    one; else its single regimen arm; else the sum of its regimen arms' events and totals
    (the arms are disjoint groups of courses of the same study).

    Returns
    -------
    DataFrame
        ``study_id, events, total, regimen, arms`` (``regimen`` is ``mixed`` for a
        whole-study count, the arm's regimen for one arm, ``";"``-joined regimens for a
        sum; ``arms`` the arm ids used), sorted by ``study_id``.
    """
    records = []
    for study, frame in rows.groupby("study_id", sort=True):
        mixed = frame[frame["regimen"] == MIXED]
        use = mixed.iloc[:1] if len(mixed) else frame
        records.append(
            {
                "study_id": study,
                "events": int(use["events"].astype(int).sum()),
                "total": int(use["total"].astype(int).sum()),
                "regimen": ";".join(use["regimen"]),
                "arms": ";".join(use["arm_id"]),
            }
        )
    return pd.DataFrame(records, columns=["study_id", "events", "total", "regimen", "arms"])


@dataclass(frozen=True)
class RegimenSynthesis:
    """Per-regimen pooled proportions of one outcome under one method.

    Attributes
    ----------
    outcome, method : str
        Outcome code and key of :data:`analysis.settings.METHODS`.
    rows : DataFrame
        The analysed rows (:func:`outcome_rows`), mixed arms included.
    pools : dict
        Regimen label -> :class:`PooledProportion`, for every regimen with data.
    failures : dict
        Regimen label -> message, where the method could not be fitted (never silent).
    any_combination : PooledProportion or None
        Every study pooled once (:func:`any_combination_rows`: its whole-study count, else
        its single regimen arm, else the sum of its regimen arms).
    """

    outcome: str
    method: str
    rows: pd.DataFrame = field(repr=False)
    pools: dict[str, PooledProportion] = field(repr=False)
    failures: dict[str, str]
    any_combination: PooledProportion | None = field(repr=False)

    @property
    def label(self) -> str:
        """The outcome's wording, e.g. ``'Serious adverse events'``."""
        return OUTCOMES[self.outcome]

    @property
    def regimen_rows(self) -> pd.DataFrame:
        """Rows of single-regimen arms (mixed arms excluded)."""
        return self.rows[self.rows["regimen"] != MIXED]

    def marks(self, regimen: str | None = None) -> dict[str, str]:
        """Study id -> its marks (:data:`MARKS`) in a regimen's pool (None: any combination)."""
        rows = self.rows if regimen is None else self.rows[self.rows["regimen"] == regimen]
        return study_marks(rows)

    def pool_marks(self, regimen: str | None = None) -> str:
        """Every mark of a pool's studies, once each (``"‡§"``; ``""`` when none)."""
        return "".join(sorted(set("".join(self.marks(regimen).values()))))


def synthesise(
    ds: Dataset, outcome: str, method: str = PRIMARY, *, exclude_publication_types=()
) -> RegimenSynthesis:
    """Pool one outcome per regimen, plus an "any combination" pool.

    Parameters
    ----------
    ds : Dataset
        The data package.
    outcome : str
        One of :data:`OUTCOMES`.
    method : str
        Key of :data:`analysis.settings.METHODS` (default: the primary analysis).
    exclude_publication_types : sequence of str
        Leave out studies of these publication types (sensitivity analyses).

    Returns
    -------
    RegimenSynthesis
        Computed once per package, outcome, method and exclusion (the package is read-only
        and compared by identity, so a different package is a different key).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {sorted(METHODS)}")
    key = (outcome, method, tuple(exclude_publication_types))
    remembered = _SYNTHESES.setdefault(ds, {})
    if key not in remembered:
        remembered[key] = _synthesise(ds, *key)
    return remembered[key]


#: Syntheses already computed, per loaded package (by identity: a package is read-only).
_SYNTHESES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _synthesise(ds: Dataset, outcome: str, method: str, exclude_publication_types):
    rows = outcome_rows(ds, outcome, exclude_publication_types=exclude_publication_types)
    single = rows[rows["regimen"] != MIXED]
    pools, failures = {}, {}
    for regimen, frame in single.groupby("regimen", sort=True):
        try:
            pools[regimen] = _pool(frame, method)
        except (ArithmeticError, RuntimeError, ValueError) as error:
            failures[regimen] = _failure(error)
    overall = any_combination_rows(rows)
    any_combination = None
    if len(overall):
        try:
            any_combination = _pool(overall, method)
        except (ArithmeticError, RuntimeError, ValueError) as error:
            failures["any combination"] = _failure(error)
    return RegimenSynthesis(outcome, method, rows, pools, failures, any_combination)


def results_table(
    ds: Dataset,
    methods=(PRIMARY, "as_published"),
    *,
    exclude_publication_types=(),
    suffix: str = "",
) -> pd.DataFrame:
    """Every pooled estimate of the book as one tidy table (for downloads and diffs).

    Parameters
    ----------
    ds : Dataset
        The data package.
    methods : sequence of str
        Keys of :data:`analysis.settings.METHODS`.
    exclude_publication_types : sequence of str
        Leave out studies of these publication types (see :func:`synthesise`).
    suffix : str
        Appended to the method name in ``method`` and ``result_id`` (e.g.
        ``"_peer_reviewed"`` for a sensitivity analysis), so IDs stay unique.

    Returns
    -------
    DataFrame
        One row per outcome x regimen (and ``any`` for the any-combination pool) x
        method: ``result_id`` (``outcome/regimen/method``, stable across releases),
        ``outcome, regimen, method``, ``status`` (:data:`STATUS` values, or ``"not
        estimable"`` with empty numbers where the method refused or failed), ``k, n,
        events, estimate, ci_low, ci_high, pi_low, pi_high`` (empty below the method's
        ``pi_min_k``), ``tau2, i2, q, q_df, q_pvalue`` (empty where not estimable),
        ``model`` (the method that produced the row), ``fallback`` (True where the GLMM
        could not be fitted), ``studies, message, data_version``.
    """
    syntheses = [
        synthesise(ds, outcome, method, exclude_publication_types=exclude_publication_types)
        for method in methods
        for outcome in OUTCOMES
    ]
    return synthesis_table(syntheses, ds.version, suffix=suffix)


def synthesis_table(syntheses, data_version: str, *, suffix: str = "") -> pd.DataFrame:
    """The rows of :func:`results_table` for syntheses already computed (same columns)."""
    records = []
    for syn in syntheses:
        items = list(syn.pools.items())
        if syn.any_combination is not None:
            items.append(("any", syn.any_combination))
        for regimen, pool in items:
            records.append(
                {
                    "result_id": f"{syn.outcome}/{regimen}/{syn.method}{suffix}",
                    "outcome": syn.outcome,
                    "regimen": regimen,
                    "method": f"{syn.method}{suffix}",
                    **result_record(pool),
                    "marks": _marks_text(syn.marks(None if regimen == "any" else regimen)),
                    "data_version": data_version,
                }
            )
        for regimen, reason in syn.failures.items():
            rows = syn.regimen_rows if regimen != "any combination" else syn.rows
            if regimen != "any combination":
                rows = rows[rows["regimen"] == regimen]
            key = "any" if regimen == "any combination" else regimen
            records.append(
                {
                    "result_id": f"{syn.outcome}/{key}/{syn.method}{suffix}",
                    "outcome": syn.outcome,
                    "regimen": key,
                    "method": f"{syn.method}{suffix}",
                    "status": NOT_ESTIMABLE,
                    "k": int(rows["study_id"].nunique()),
                    "n": int(rows["total"].astype(int).sum()),
                    "events": int(rows["events"].astype(int).sum()),
                    "message": reason,
                    "studies": ";".join(sorted(rows["study_id"].unique())),
                    "data_version": data_version,
                }
            )
    table = pd.DataFrame.from_records(records, columns=RESULTS_COLUMNS)
    return table.astype({"fallback": "boolean", "q_df": "Int64"})


#: Note of a pooled result below :data:`~analysis.review.settings.MIN_K_HETEROGENEITY` studies.
HETEROGENEITY_NOTE = (
    f"{{k}} studies: between-study variance not estimable (tau², I² and the prediction "
    f"interval are given from {MIN_K_HETEROGENEITY} studies)."
)
#: ``status`` of a result: what its numbers are.
STATUS = {"random_effects": "pooled", "single_study": "single study", "counts": "pooled counts"}
#: ``status`` of a pool the method refused or could not fit (its numbers are empty).
NOT_ESTIMABLE = "not estimable"
#: Columns of :func:`results_table`, in order.
RESULTS_COLUMNS = [
    "result_id",
    "outcome",
    "regimen",
    "method",
    "status",
    "k",
    "n",
    "events",
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "q",
    "q_df",
    "q_pvalue",
    "model",
    "fallback",
    "studies",
    "marks",
    "message",
    "data_version",
]
#: Result fields of :func:`results_table` (our names -> the table's column names).
RESULT_FIELDS = {
    "k": "k",
    "n_total": "n",
    "events_total": "events",
    "estimate": "estimate",
    "ci_low": "ci_low",
    "ci_high": "ci_high",
    "pi_low": "pi_low",
    "pi_high": "pi_high",
    "tau2": "tau2",
    "i2": "i2",
    "q": "q",
    "q_df": "q_df",
    "q_pvalue": "q_pvalue",
    "method": "model",
    "fallback": "fallback",
    "message": "message",
}


def _marks_text(marks: dict[str, str]) -> str:
    """``'Sands2007 ‡; Colombel2024 §'`` (empty when no study of the pool is marked)."""
    return "; ".join(f"{study} {mark}" for study, mark in sorted(marks.items()))


def result_record(pool: PooledProportion) -> dict:
    """One pooled result as a record of :func:`results_table` (numbers stay numbers).

    Heterogeneity that a result cannot have (a single study, pooled counts: NaN in the
    engine) stays empty, and so does Q for a single study. Below
    :data:`~analysis.review.settings.MIN_K_HETEROGENEITY` studies tau² and I² stay empty
    too (:func:`~analysis.review.settings.heterogeneity_estimable`, the rule the book
    follows) and ``message`` says why; Cochran's Q, which two studies do give, stays.
    """
    values = pool.to_dict()
    record = {column: values[name] for name, column in RESULT_FIELDS.items()}
    record["status"] = STATUS[pool.kind]
    if pool.kind != "random_effects":
        record["q_df"] = None
    elif not heterogeneity_estimable(pool):
        record["tau2"] = record["i2"] = None
        record["message"] = (f"{HETEROGENEITY_NOTE.format(k=pool.k)} {record['message']}").strip()
    record["studies"] = ";".join(pool.studies["label"].astype(str))
    return record


def pool_inputs(syntheses) -> pd.DataFrame:
    """Every study count that enters each pool of the given syntheses (to re-run any pool).

    Returns
    -------
    DataFrame
        ``outcome, regimen, study_id, events, total``: one row per study of each regimen
        pool, and per study of the any-combination pool (regimen ``any``, one row per study
        as :func:`any_combination_rows` builds it).
    """
    frames = []
    for syn in syntheses:
        rows = syn.regimen_rows[["regimen", "study_id", "events", "total"]]
        frames.append(rows.assign(outcome=syn.outcome))
        overall = any_combination_rows(syn.rows)[["study_id", "events", "total"]]
        frames.append(overall.assign(outcome=syn.outcome, regimen="any"))
    table = pd.concat(frames, ignore_index=True)[
        ["outcome", "regimen", "study_id", "events", "total"]
    ]
    return table.astype({"events": int, "total": int}).reset_index(drop=True)


def regimen_trials(ds: Dataset) -> pd.DataFrame:
    """Therapeutic trials per regimen in our data (single-regimen arms, overlaps removed).

    Returns
    -------
    DataFrame
        ``regimen, studies, trials`` where trials counts ``n_trials``, or ``n_patients``
        when a source gives no trial count.
    """
    arms = ds.arms.merge(ds.studies[["study_id", "overlaps_with"]], on="study_id")
    arms = arms[(arms["regimen"] != MIXED) & arms["overlaps_with"].eq("")]
    trials = arms["n_trials"].fillna(arms["n_patients"])
    return (
        arms.assign(trials=trials)
        .groupby("regimen")
        .agg(studies=("study_id", "nunique"), trials=("trials", "sum"))
        .reset_index()
    )


#: Units a count can have (:func:`count_units`).
UNITS = {
    "courses": "courses",
    "patients": "patients",
    "one_each": "patients = courses",
    "patients_only": "patients (courses not stated)",
    "subset": "a subset",
    "unknown": "not stated",
}


def _unit(total: int, patients, courses) -> str:
    """The unit (a key of :data:`UNITS`) of one count from its arm's stated numbers."""
    p = None if pd.isna(patients) else int(patients)
    c = None if pd.isna(courses) else int(courses)
    if p is not None and c is not None and p != c:
        if total == c:
            return "courses"
        if total == p:
            return "patients"
        return "subset"
    stated = c if c is not None else p
    if stated is None:
        return "unknown"
    if total != stated:
        return "subset"
    if p is not None and c is not None:
        return "one_each"
    return "courses" if c is not None else "patients_only"


def count_units(ds: Dataset) -> pd.DataFrame:
    """The unit of every analysed count: treatment course or patient, derived from the data.

    Each outcome total is compared with its arm's ``n_patients`` and ``n_trials``
    (courses): equal to the courses where the two differ, it counts courses; equal to the
    patients, patients (a patient with two combinations counted once); where the two are
    equal each patient had one course; a total below both is a subset (e.g. those
    assessed).

    Returns
    -------
    DataFrame
        One row per analysed outcome row: ``study_id, arm_id, regimen, outcome, total,
        n_patients, n_trials, unit`` (key of :data:`UNITS`) and ``whole_study`` (a
        ``mixed`` arm).
    """
    rows = pd.concat([outcome_rows(ds, outcome) for outcome in OUTCOMES], ignore_index=True)
    units = [
        _unit(int(t), p, c)
        for t, p, c in zip(rows["total"], rows["n_patients"], rows["n_trials"], strict=True)
    ]
    frame = rows[["study_id", "arm_id", "regimen", "outcome", "total", "n_patients", "n_trials"]]
    return frame.assign(unit=units, whole_study=rows["regimen"].eq(MIXED)).reset_index(drop=True)


def study_units(ds: Dataset) -> pd.Series:
    """Each study's units of count in words (study_id -> text), whole-study counts first.

    e.g. ``"whole study: courses (53 courses of 50 patients); per combination: courses"``.
    """
    frame = count_units(ds)
    out = {}
    for study, rows in frame.groupby("study_id", sort=True):
        parts = []
        for whole, label in ((True, "whole study"), (False, "per combination")):
            part = rows[rows["whole_study"] == whole]
            if not len(part):
                continue
            kinds = list(dict.fromkeys(part["unit"]))
            text = ", ".join(UNITS[u] for u in kinds)
            if whole:
                arm = part.iloc[0]
                stated = [
                    f"{int(v)} {name}"
                    for v, name in ((arm["n_trials"], "courses"), (arm["n_patients"], "patients"))
                    if pd.notna(v)
                ]
                if stated:
                    text += f" ({' of '.join(stated)})"
            parts.append(f"{label}: {text}")
        out[study] = "; ".join(parts)
    return pd.Series(out, dtype=object)


#: The review's row of a modelled pool as :func:`modelled_pools` returns it.
_POOL_ROW = ("model", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2")


def modelled_pools(ds: Dataset, method: str) -> pd.DataFrame:
    """Every pool a method models (status ``pooled``), with its study counts.

    Pools of one study, pools reported as counts and pools the method refused are left
    out. ``validation/bayes_pools.py`` lists them for the MCMC reference of the Bayesian
    model (``tests/test_bayes.py`` checks the review's rows against it).

    Returns
    -------
    DataFrame
        ``outcome, regimen, events, totals`` (lists of int, in the order the review pools
        the studies), ``tau_scale, mu_sd`` (the method's priors, for a Bayesian method)
        and the review's row of the pool: ``model, estimate, ci_low, ci_high, pi_low,
        pi_high, tau2``.
    """
    m = method_of(method)
    syntheses = [synthesise(ds, outcome, method) for outcome in OUTCOMES]
    table = synthesis_table(syntheses, ds.version)
    table = table[table["status"].eq("pooled")]
    inputs = pool_inputs(syntheses)
    records = []
    for row in table.itertuples():
        studies = inputs[inputs["outcome"].eq(row.outcome) & inputs["regimen"].eq(row.regimen)]
        if len(studies) != row.k or studies["events"].sum() != row.events:
            raise RuntimeError(f"pool_inputs disagrees with results_table: {row.result_id}")
        records.append(
            {
                "outcome": row.outcome,
                "regimen": row.regimen,
                "events": studies["events"].astype(int).tolist(),
                "totals": studies["total"].astype(int).tolist(),
                "tau_scale": float(m.tau_prior_scale),
                "mu_sd": float(m.mu_prior_sd),
                **{key: getattr(row, key) for key in _POOL_ROW},
            }
        )
    return pd.DataFrame.from_records(records)
