"""Stage 3, plain pandas-free Python: cross-table rules the schema cannot express.

:data:`RULES` is a named list; each rule reads the ``table.column`` entries it needs and is
skipped when one is unavailable (a missing table or column is reported by stage 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .problems import Problem, Tables

#: ``arms.regimen`` of a whole-study arm over several regimens.
MIXED = "mixed"
#: ``published.regimen`` of a whole-review figure.
ANY_REGIMEN = "any"
#: Columns holding identifiers or references: no leading or trailing spaces allowed.
ID_COLUMNS = {
    "drugs": ("drug", "class_label"),
    "regimens": ("regimen", "class_a", "class_b"),
    "studies": ("study_id", "overlaps_with"),
    "arms": ("arm_id", "study_id", "agent_a", "agent_b", "regimen", "source", "locator"),
    "outcomes": ("arm_id", "source", "locator"),
    "published": ("regimen", "source", "locator"),
}

_INT = re.compile(r"^\s*\d+\s*$")


def _int(value: str | None) -> int | None:
    """Parse a non-negative integer cell (``None`` if empty, malformed or invalid)."""
    return int(value) if value is not None and _INT.match(value) else None


def _number(value: str | None) -> float | None:
    """Parse a number cell (``None`` if empty, malformed or invalid)."""
    try:
        return float(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Rule:
    """A cross-table rule.

    Attributes
    ----------
    name : str
        What the rule requires, in words.
    needs : tuple of str
        ``table.column`` entries the rule reads; the rule is skipped when any is
        unavailable (that is reported already).
    check : callable
        ``check(tables) -> iterable of Problem``.
    """

    name: str
    needs: tuple[str, ...]
    check: Callable[[Tables], Iterable[Problem]]


def _arm_id_prefix(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    known = t["studies"].first_rows("study_id")
    for row, (arm, study) in arms.rows("arm_id", "study_id"):
        if arm and study in known and not arm.startswith(study + "/"):
            yield arms.problem(
                row, "arm_id", f"arm_id {arm!r} does not start with its study_id '{study}/'"
            )


def _arm_regimen_matches(t: Tables) -> Iterator[Problem]:
    arms, drugs, regimens = t["arms"], t["drugs"], t["regimens"]
    class_of = {}
    for _, (drug, label) in drugs.rows("drug", "class_label"):
        class_of.setdefault(drug, label)
    by_pair: dict[tuple[str, str], str] = {}
    for _, (label, a, b) in regimens.rows("regimen", "class_a", "class_b"):
        by_pair.setdefault(tuple(sorted((a, b))), label)
    labels = set(regimens.first_rows("regimen"))
    for row, (a, b, regimen) in arms.rows("agent_a", "agent_b", "regimen"):
        if regimen == MIXED or not regimen:
            continue
        if regimen not in labels:
            yield arms.problem(
                row,
                "regimen",
                f"unknown regimen {regimen!r} (not in regimens.csv, and not '{MIXED}')",
            )
            continue
        if not (a and b) or a == b or a not in class_of or b not in class_of:
            continue  # missing, repeated or unknown agents: reported by other rules
        pair = tuple(sorted((class_of[a], class_of[b])))
        expected = by_pair.get(pair)
        if expected is None:
            yield arms.problem(
                row,
                "regimen",
                f"no regimen in regimens.csv for the classes of {a} ({class_of[a]}) "
                f"and {b} ({class_of[b]})",
            )
        elif expected != regimen:
            yield arms.problem(
                row,
                "regimen",
                f"regimen {regimen!r} does not match the agents: {a} ({class_of[a]}) + "
                f"{b} ({class_of[b]}) is {expected!r} in regimens.csv",
            )


def _arm_shape(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    columns = ("agent_a", "agent_b", "regimen", "regimens_included")
    for row, (a, b, regimen, included) in arms.rows(*columns):
        if regimen == MIXED:
            for column, drug in (("agent_a", a), ("agent_b", b)):
                if drug:
                    yield arms.problem(
                        row, column, f"a '{MIXED}' arm has no agents (found {drug!r})"
                    )
            if not included:
                yield arms.problem(
                    row,
                    "regimens_included",
                    f"a '{MIXED}' arm needs regimens_included (regimens separated by ';')",
                )
        elif regimen:
            for column, drug in (("agent_a", a), ("agent_b", b)):
                if not drug:
                    yield arms.problem(
                        row,
                        column,
                        f"missing agent: an arm with regimen {regimen!r} needs agent_a "
                        f"and agent_b (or regimen '{MIXED}')",
                    )
            if a and a == b:
                yield arms.problem(row, "agent_b", f"agent_b is the same drug as agent_a ({a!r})")
            if included:
                yield arms.problem(
                    row,
                    "regimens_included",
                    f"regimens_included is only for '{MIXED}' arms (regimen is {regimen!r})",
                )


def _arm_has_size(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    for row, (patients, trials) in arms.rows("n_patients", "n_trials"):
        if patients == "" and trials == "":
            yield arms.problem(row, "n_patients", "missing arm size: give n_patients or n_trials")
        p, n = _int(patients), _int(trials)
        if p is not None and n is not None and n < p:
            yield arms.problem(
                row,
                "n_trials",
                f"{n} trials < {p} patients (each patient contributes at least one trial)",
            )


def _events_le_total(t: Tables) -> Iterator[Problem]:
    outcomes = t["outcomes"]
    for row, (events, total) in outcomes.rows("events", "total"):
        e, n = _int(events), _int(total)
        if e is not None and n is not None and e > n:
            yield outcomes.problem(row, "events", f"{e} events > total {n}")


def _total_le_arm(t: Tables) -> Iterator[Problem]:
    outcomes, arms = t["outcomes"], t["arms"]
    size: dict[str, tuple[int, str, int]] = {}
    for row, (arm, patients, trials) in arms.rows("arm_id", "n_patients", "n_trials"):
        if arm in size:
            continue
        if _int(trials) is not None:
            size[arm] = (_int(trials), "n_trials", row)
        elif _int(patients) is not None:
            size[arm] = (_int(patients), "n_patients", row)
    for row, (arm, total) in outcomes.rows("arm_id", "total"):
        n = _int(total)
        if n is None or arm not in size:
            continue
        limit, column, arm_row = size[arm]
        if n > limit:
            yield outcomes.problem(
                row,
                "total",
                f"total {n} > {column} {limit} of arm {arm!r} (arms.csv:{arm_row}:{column})",
            )


def _one_analysed_row(t: Tables) -> Iterator[Problem]:
    outcomes = t["outcomes"]
    first: dict[tuple[str, str], int] = {}
    for row, (arm, outcome, analysed) in outcomes.rows("arm_id", "outcome", "analysed"):
        if analysed != "true":
            continue
        key = (arm, outcome)
        if key in first:
            yield outcomes.problem(
                row,
                "analysed",
                f"second analysed=true row for arm {arm!r} x outcome {outcome!r} "
                f"(first at row {first[key]}): at most one may be pooled",
            )
        else:
            first[key] = row


def _no_self_overlap(t: Tables) -> Iterator[Problem]:
    studies = t["studies"]
    for row, (study, overlaps) in studies.rows("study_id", "overlaps_with"):
        if overlaps and overlaps == study:
            yield studies.problem(row, "overlaps_with", f"study {study!r} overlaps itself")


def _study_identified(t: Tables) -> Iterator[Problem]:
    studies = t["studies"]
    for row, (doi, pmid, url) in studies.rows("doi", "pmid", "url"):
        if doi == "" and pmid == "" and url == "":
            yield studies.problem(
                row, "doi", "the study needs a source: give a doi, a pmid or a url"
            )
    for row, (url,) in studies.rows("url"):
        if url and not url.startswith(("http://", "https://")):
            yield studies.problem(
                row, "url", f"url {url!r} does not start with http:// or https://"
            )


def _published_regimen_known(t: Tables) -> Iterator[Problem]:
    published = t["published"]
    labels = t["regimens"].first_rows("regimen")
    for row, (regimen,) in published.rows("regimen"):
        if regimen and regimen != ANY_REGIMEN and regimen not in labels:
            yield published.problem(
                row,
                "regimen",
                f"unknown regimen {regimen!r} (not in regimens.csv, and not '{ANY_REGIMEN}')",
            )


def _published_ci(t: Tables) -> Iterator[Problem]:
    published = t["published"]
    columns = ("estimate_pct", "ci_low_pct", "ci_high_pct")
    for row, cells in published.rows(*columns):
        est, low, high = (_number(c) for c in cells)
        if low is not None and high is not None and low > high:
            yield published.problem(row, "ci_low_pct", f"ci_low_pct {low:g} > ci_high_pct {high:g}")
        elif est is not None:
            if low is not None and est < low:
                yield published.problem(
                    row, "estimate_pct", f"estimate_pct {est:g} < ci_low_pct {low:g}"
                )
            if high is not None and est > high:
                yield published.problem(
                    row, "estimate_pct", f"estimate_pct {est:g} > ci_high_pct {high:g}"
                )


def _regimen_pairs_unique(t: Tables) -> Iterator[Problem]:
    regimens = t["regimens"]
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for row, (label, a, b) in regimens.rows("regimen", "class_a", "class_b"):
        pair = tuple(sorted((a, b)))
        if pair in first:
            other_row, other = first[pair]
            yield regimens.problem(
                row,
                "regimen",
                f"classes {a} + {b} already have regimen {other!r} (row {other_row}): "
                "each pair of classes has one label",
            )
        else:
            first[pair] = (row, label)


_SOURCE = re.compile(r"^(10\.\d{4,9}/\S+|(PMID:?\s*)?\d{1,9}|https?://\S+)$")


def _source_format(t: Tables) -> Iterator[Problem]:
    for name in ("arms", "outcomes", "published"):
        if not t.has(f"{name}.source"):
            continue
        table = t[name]
        for row, (source,) in table.rows("source"):
            if source and not _SOURCE.match(source):
                yield table.problem(
                    row,
                    "source",
                    f"source {source!r} is not a DOI (10.NNNN/...), a PMID (digits) or a "
                    "URL (http...): put where in the source in 'locator'",
                )


def _no_stray_spaces(t: Tables) -> Iterator[Problem]:
    for name, columns in ID_COLUMNS.items():
        if name not in t:
            continue
        table = t[name]
        for column in columns:
            if column not in table.columns:
                continue
            for row, value in table.raw[column].items():
                if value != value.strip():
                    yield table.problem(
                        int(row), column, f"{value!r} has leading or trailing spaces"
                    )


#: PRISMA stages of a published review that must add up: previous + new = included.
_PRISMA_SUMS = (("previous_studies", "new_studies", "included_studies"),)
#: Stages that can only shrink along the flow of a published review.
_PRISMA_FLOW = ("identified", "screened", "full_text_assessed", "new_reports", "included_studies")


def _prisma_arithmetic(t: Tables) -> Iterator[Problem]:
    prisma = t["prisma"]
    stated: dict[str, dict[str, tuple[int, int]]] = {}
    for row, (version, stage, count, reason) in prisma.rows(
        "review_version", "stage", "count", "reason"
    ):
        value = _int(count)
        if value is None or not version or not stage or reason:
            continue
        if stage in stated.setdefault(version, {}):
            yield prisma.problem(row, "stage", f"{version} states {stage!r} twice")
        stated[version][stage] = (row, value)
    for version, stages in stated.items():
        for a, b, total in _PRISMA_SUMS:
            if a in stages and b in stages and total in stages:
                row, value = stages[total]
                if stages[a][1] + stages[b][1] != value:
                    yield prisma.problem(
                        row,
                        "count",
                        f"{version}: {total} {value} is not {a} {stages[a][1]} + {b} "
                        f"{stages[b][1]}",
                    )
        flow = [(stage, stages[stage]) for stage in _PRISMA_FLOW if stage in stages]
        for (before, (_, high)), (after, (row, low)) in zip(flow, flow[1:], strict=False):
            if low > high and not (after == "included_studies" and "previous_studies" in stages):
                yield prisma.problem(
                    row, "count", f"{version}: {after} {low} exceeds {before} {high}"
                )


def _arm_size_quoted(t: Tables) -> Iterator[Problem]:
    arms = t["arms"]
    for row, (patients, trials, quote) in arms.rows("n_patients", "n_trials", "quote"):
        if (patients or trials) and not quote:
            yield arms.problem(
                row, "quote", "an arm's size needs the source's words (quote) that state it"
            )


def _searches_well_formed(t: Tables) -> Iterator[Problem]:
    searches = t["searches"]
    living = []
    for row, (version, rnd, date, records) in searches.rows(
        "review_version", "round", "date", "records"
    ):
        if version == "living":
            if _int(rnd) is None:
                yield searches.problem(row, "round", "a living search needs its round number")
            else:
                living.append((date or "", _int(rnd), row))
            if records == "stated":
                yield searches.problem(
                    row, "records", "a living search's counts are computed, never 'stated'"
                )
        elif version:
            if rnd:
                yield searches.problem(row, "round", "only living searches have a round")
            if records and records != "stated":
                yield searches.problem(
                    row, "records", "a published review's search has 'stated' counts"
                )
    for expected, (_, rnd, row) in enumerate(sorted(living), start=1):
        if rnd != expected:
            yield searches.problem(
                row, "round", f"rounds are numbered 1, 2, ... in date order: expected {expected}"
            )


def _study_search_known(t: Tables) -> Iterator[Problem]:
    studies, searches = t["studies"], t["searches"]
    dates: dict[str, set[str]] = {}
    for _, (version, date) in searches.rows("review_version", "date"):
        dates.setdefault(version or "", set()).add(date or "")
    for row, (version, date) in studies.rows("review_version", "search_date"):
        if date and version and date not in dates.get(version, set()):
            known = ", ".join(sorted(dates.get(version, set()))) or "none"
            yield studies.problem(
                row,
                "search_date",
                f"search date {date} is not a search of review version {version!r} in "
                f"searches.csv (known: {known}); add the search round first",
            )


def _search_rounds_of(t: Tables) -> dict[int, tuple[str, str]]:
    """Living round -> (date, records) from searches.csv."""
    out = {}
    for _, (rnd, date, records) in t["searches"].rows("round", "date", "records"):
        if _int(rnd) is not None:
            out[_int(rnd)] = (date or "", records or "")
    return out


def _queries_in_rounds(t: Tables) -> Iterator[Problem]:
    queries = t["search_queries"]
    rounds = _search_rounds_of(t)
    for row, (rnd, date) in queries.rows("round", "date"):
        number = _int(rnd)
        if number is None:
            continue
        if number not in rounds:
            yield queries.problem(
                row, "round", f"round {number} is not in searches.csv: add the round first"
            )
        elif date and rounds[number][0] and date > rounds[number][0]:
            yield queries.problem(
                row, "date", f"run after the end of round {number} ({rounds[number][0]})"
            )


#: Decisions that need a reason.
_NEEDS_REASON = {"excluded", "not_retrieved", "ineligible"}


def _records_consistent(t: Tables) -> Iterator[Problem]:
    records, queries, studies = t["search_records"], t["search_queries"], t["studies"]
    round_of = {q: _int(r) for _, (q, r) in queries.rows("query_id", "round")}
    order = {q: i for i, (_, (q,)) in enumerate(queries.rows("query_id"))}
    study_date = {s: d for _, (s, d) in studies.rows("study_id", "search_date")}
    rounds = _search_rounds_of(t)
    rows = sorted(
        records.rows("round", "query_id", "rank", "record_id", "decision", "reason", "study_id"),
        key=lambda r: (_int(r[1][0]) or 0, order.get(r[1][1], 0), _int(r[1][2]) or 0),
    )
    first: dict[tuple, tuple[int, str, str]] = {}
    for row, (rnd, query, _, record, decision, reason, study) in rows:
        key = (rnd, record)  # a later round may screen a record again; it is a duplicate there
        if query in round_of and _int(rnd) != round_of[query]:
            yield records.problem(
                row, "round", f"query {query} belongs to round {round_of[query]}, not {rnd}"
            )
        if not record:
            continue
        if key not in first:
            if not decision:
                yield records.problem(
                    row, "decision", f"first record of {record}: a decision is needed"
                )
            first[key] = (row, decision or "", study or "")
        elif decision and decision != first[key][1]:
            yield records.problem(
                row,
                "decision",
                f"{record} was decided {first[key][1]!r} at row {first[key][0]}: "
                f"a repeat may leave the decision empty but not contradict it",
            )
        if decision in _NEEDS_REASON and not reason:
            yield records.problem(row, "reason", f"a record {decision} needs a reason")
        if decision == "included":
            if not study:
                yield records.problem(row, "study_id", "an included record names its study")
            elif study not in study_date:
                yield records.problem(
                    row, "study_id", f"study {study!r} is not in studies.csv: add it first"
                )
            elif _int(rnd) in rounds and study_date[study] != rounds[_int(rnd)][0]:
                yield records.problem(
                    row,
                    "study_id",
                    f"{study} was included in round {rnd} ({rounds[_int(rnd)][0]}) but its "
                    f"search_date is {study_date[study]}",
                )
        elif study and study not in study_date:
            yield records.problem(row, "study_id", f"study {study!r} is not in studies.csv")


def _recorded_rounds_name_their_studies(t: Tables) -> Iterator[Problem]:
    studies, records = t["studies"], t["search_records"]
    rounds = _search_rounds_of(t)
    recorded = {
        date: rnd for rnd, (date, how) in rounds.items() if how in ("recorded", "re-recorded")
    }
    included = {
        (_int(rnd), study)
        for _, (rnd, decision, study) in records.rows("round", "decision", "study_id")
        if decision == "included"
    }
    for row, (study, date) in studies.rows("study_id", "search_date"):
        if date in recorded and (recorded[date], study) not in included:
            yield studies.problem(
                row,
                "search_date",
                f"{study} is dated to round {recorded[date]} ({date}), whose records are "
                "kept, but no record of that round includes it (search_records.csv)",
            )


def _risk_of_bias_for_analysed(t: Tables) -> Iterator[Problem]:
    studies, arms, outcomes = t["studies"], t["arms"], t["outcomes"]
    study_of = {arm: study for _, (arm, study) in arms.rows("arm_id", "study_id")}
    analysed = {
        study_of.get(arm)
        for _, (arm, flag) in outcomes.rows("arm_id", "analysed")
        if flag == "true"
    }
    assessed = set(t["risk_of_bias"].first_rows("study_id"))
    for row, (study,) in studies.rows("study_id"):
        if study in analysed and study not in assessed:
            yield studies.problem(
                row,
                "study_id",
                f"study {study!r} has analysed outcomes but no risk-of-bias row (risk_of_bias.csv)",
            )


#: The cross-table rules, checked in this order after the schema checks.
RULES: tuple[Rule, ...] = (
    Rule(
        "arm_id starts with its study_id + '/'",
        ("arms.arm_id", "arms.study_id", "studies.study_id"),
        _arm_id_prefix,
    ),
    Rule(
        "arm regimen = regimens.csv label of its agents' class pair",
        (
            "arms.agent_a",
            "arms.agent_b",
            "arms.regimen",
            "drugs.drug",
            "drugs.class_label",
            "regimens.regimen",
            "regimens.class_a",
            "regimens.class_b",
        ),
        _arm_regimen_matches,
    ),
    Rule(
        "mixed arm: no agents, regimens_included; other arms: two different agents",
        ("arms.agent_a", "arms.agent_b", "arms.regimen", "arms.regimens_included"),
        _arm_shape,
    ),
    Rule(
        "arm has n_patients or n_trials; n_trials >= n_patients",
        ("arms.n_patients", "arms.n_trials"),
        _arm_has_size,
    ),
    Rule("events <= total", ("outcomes.events", "outcomes.total"), _events_le_total),
    Rule(
        "total <= the arm's n_trials (else n_patients)",
        ("outcomes.arm_id", "outcomes.total", "arms.arm_id", "arms.n_patients", "arms.n_trials"),
        _total_le_arm,
    ),
    Rule(
        "at most one analysed=true row per arm x outcome",
        ("outcomes.arm_id", "outcomes.outcome", "outcomes.analysed"),
        _one_analysed_row,
    ),
    Rule(
        "a study is not superseded by itself",
        ("studies.study_id", "studies.overlaps_with"),
        _no_self_overlap,
    ),
    Rule(
        "a study has a doi, a pmid or a url (http...)",
        ("studies.doi", "studies.pmid", "studies.url"),
        _study_identified,
    ),
    Rule(
        "published regimen is in regimens.csv or 'any'",
        ("published.regimen", "regimens.regimen"),
        _published_regimen_known,
    ),
    Rule(
        "published ci_low_pct <= estimate_pct <= ci_high_pct",
        ("published.estimate_pct", "published.ci_low_pct", "published.ci_high_pct"),
        _published_ci,
    ),
    Rule(
        "each class pair has one regimen label",
        ("regimens.regimen", "regimens.class_a", "regimens.class_b"),
        _regimen_pairs_unique,
    ),
    Rule(
        "an arm's size has its quote",
        ("arms.n_patients", "arms.n_trials", "arms.quote"),
        _arm_size_quoted,
    ),
    Rule(
        "PRISMA of a published review adds up (previous + new = included; the flow shrinks)",
        ("prisma.review_version", "prisma.stage", "prisma.count", "prisma.reason"),
        _prisma_arithmetic,
    ),
    Rule(
        "searches: living rounds numbered 1..N in date order; published reviews 'stated'",
        ("searches.review_version", "searches.round", "searches.date", "searches.records"),
        _searches_well_formed,
    ),
    Rule(
        "a study's search_date is the date of a search of its review version",
        (
            "studies.review_version",
            "studies.search_date",
            "searches.review_version",
            "searches.date",
        ),
        _study_search_known,
    ),
    Rule(
        "a query belongs to a known round and ran by its end",
        ("search_queries.round", "search_queries.date", "searches.round", "searches.date"),
        _queries_in_rounds,
    ),
    Rule(
        "search records: a decision on first sight, never contradicted; reasons and studies given",
        (
            "search_records.round",
            "search_records.query_id",
            "search_records.rank",
            "search_records.record_id",
            "search_records.decision",
            "search_records.reason",
            "search_records.study_id",
            "search_queries.query_id",
            "search_queries.round",
            "studies.study_id",
            "studies.search_date",
            "searches.round",
            "searches.date",
            "searches.records",
        ),
        _records_consistent,
    ),
    Rule(
        "a round with kept records includes every study dated to it",
        (
            "studies.study_id",
            "studies.search_date",
            "search_records.round",
            "search_records.decision",
            "search_records.study_id",
            "searches.round",
            "searches.date",
            "searches.records",
        ),
        _recorded_rounds_name_their_studies,
    ),
    Rule(
        "a study with analysed outcomes has a risk-of-bias row",
        (
            "studies.study_id",
            "arms.arm_id",
            "arms.study_id",
            "outcomes.arm_id",
            "outcomes.analysed",
            "risk_of_bias.study_id",
        ),
        _risk_of_bias_for_analysed,
    ),
    Rule("source is a DOI, a PMID or a URL", (), _source_format),
    Rule("no leading or trailing spaces in identifiers", (), _no_stray_spaces),
)
