"""Every sentence, table and diagram about the searches, generated from the data package.

The Study selection chapter, the Methods chapter and the release notes call these
functions; a new search round (a row of ``data/searches.csv`` with its queries and records)
appears everywhere with no code or chapter edit.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyBboxPatch

from ..datapackage import Dataset
from ..review.selection import STAGES, SearchFlow, search_flows
from .bibliography import study_citations
from .formatting import NOT_REPORTED, fmt_count, fmt_n, fmt_reported

#: PRISMA's wording of each query method.
METHOD_WORDS = {
    "database": "over the stored public web pages (PubMed and PMC records, publisher, "
    "congress and review pages), which stand in for a bibliographic database",
    "register": "of trial registries",
    "citation": "of citation searching (study tables and reference lists of included studies "
    "and reviews)",
    "website": "of congress, publisher and medical-information websites",
    "other": "for reports met while doing something else (checking overlapping cohorts, "
    "completing the bibliography)",
}
#: Title of a published review's search.
PUBLISHED_TITLES = {"2022": "2022 review (Alayo et al.)", "2026": "2026 review (Anderson et al.)"}


def long_date(iso: str) -> str:
    """``'2026-12-02' -> '2 December 2026'``."""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def flow_title(flow: SearchFlow) -> str:
    """``'Living search 3 (6 December 2026)'`` or the published review's name."""
    if flow.round is None:
        return PUBLISHED_TITLES.get(flow.review_version, flow.search_id)
    return f"Living search {flow.round} ({long_date(flow.date)})"


def figure_key(flow: SearchFlow) -> str:
    """Glue key of a search's PRISMA diagram (``prisma_living_3``)."""
    return "prisma_" + flow.search_id.replace("-", "_")


def _reasons(pairs) -> str:
    return "; ".join(f"{reason} {fmt_count(n)}" for reason, n in pairs)


def _queries_sentence(flow: SearchFlow) -> str:
    q = flow.queries
    if q.empty:
        return "Its queries were not recorded."
    by_method = q.groupby("method", sort=False)["queries"].sum()
    parts = [
        f"{fmt_n(int(n), 'query', 'queries')} {METHOD_WORDS.get(m, m)}"
        for m, n in by_method.items()
    ]
    families = q["family"].nunique()
    return (
        f"It ran {fmt_n(int(q['queries'].sum()), 'query', 'queries')} in "
        f"{fmt_n(families, 'family', 'families')}: " + "; ".join(parts) + "."
    )


def _records_sentence(flow: SearchFlow) -> str:
    c = flow.counts
    if not flow.kept:
        return (
            "The records its queries returned were not kept, so its diagram shows no record "
            "counts (a count of result slots is not a count of records): only the reports it "
            "included are known."
        )
    returned = c["identified"] + c["other_identified"]
    met = c["duplicates_removed"] + c["other_duplicates"]
    new = c["screened"] + c["other_screened"]
    excluded = c["excluded_screening"] + c["other_excluded"]
    assessed = c["full_text_assessed"] + c["other_assessed"]
    text = (
        f"Its queries returned {fmt_n(returned, 'record')}; {fmt_count(met)} had been met before "
        f"(the same identifier earlier in this search or in an earlier one), leaving "
        f"{fmt_n(new, 'new record')} to screen. {fmt_count(excluded)} were excluded on their "
        f"title and excerpt ({_reasons(flow.screening_reasons)})"
    )
    if c["not_retrieved"]:
        text += f", {fmt_count(c['not_retrieved'])} could not be read"
    text += f", and {fmt_n(assessed, 'report')} were assessed for eligibility"
    if flow.reasons:
        text += f" ({_reasons(flow.reasons)} excluded)"
    text += "."
    if flow.records == "re-recorded":
        text += (
            " Its records were re-recorded after the event, by re-running every recorded "
            "query against the same stored pages (see `data/searches.csv`)."
        )
    return text


def _included_sentence(flow: SearchFlow) -> str:
    c = flow.counts
    if not c["new_reports"]:
        return (
            f"It found no new report: the review still includes "
            f"{fmt_n(c['included_studies'], 'study', 'studies')}."
        )
    cited = study_citations(flow.new_study_ids, role="cite:t") if flow.new_study_ids else ""
    text = (
        f"It added {fmt_n(c['new_reports'], 'report')} of "
        f"{fmt_n(c['new_studies'], 'new study', 'new studies')}"
        + (f" ({cited})" if cited else "")
        + f", for {fmt_n(c['included_studies'], 'study', 'studies')} after superseded reports "
        "are removed"
    )
    return text + "."


def round_paragraph(flow: SearchFlow) -> str:
    """The MyST paragraph that reports one living search round, every number computed."""
    return " ".join(
        (
            f"**{flow_title(flow)}.**",
            _queries_sentence(flow),
            _records_sentence(flow),
            _included_sentence(flow),
        )
    )


def published_paragraph(flow: SearchFlow) -> str:
    """The paragraph of a published review's search (counts as its report states them)."""
    c = flow.counts
    text = f"**{flow_title(flow)}.** "
    if flow.updated:
        text += (
            f"It kept the {fmt_reported(c['previous_studies'])} studies of the previous "
            f"version and added {fmt_reported(c['new_studies'])}, for "
            f"{fmt_reported(c['included_studies'])} in total (search to {long_date(flow.date)})."
        )
    else:
        text += (
            f"It identified {fmt_reported(c['identified'])} records and included "
            f"{fmt_reported(c['included_studies'])} studies (search to {long_date(flow.date)}); "
            "the counts between these stages are not in the sources we could read."
        )
    return text


def selection_markdown(ds: Dataset) -> str:
    """MyST text of the Study selection chapter's searches: a paragraph and a diagram each.

    The diagrams are glued under :func:`figure_key` (see the chapter); the text pastes them
    with ``{glue:figure}``.
    """
    blocks = []
    for flow in search_flows(ds):
        paragraph = round_paragraph(flow) if flow.round else published_paragraph(flow)
        key = figure_key(flow)
        blocks.append(
            f"{paragraph}\n\n```{{glue:figure}} {key}\n:name: fig-{key.replace('_', '-')}\n"
            f":alt: PRISMA 2020 flow diagram of the {flow_title(flow)}: records identified, "
            f"duplicates, records screened and excluded, reports assessed and studies "
            f"included.\n\nPRISMA 2020 flow diagram: {flow_title(flow)}.\n```"
        )
    return "\n\n".join(blocks)


def methods_sentence(ds: Dataset) -> str:
    """The Methods chapter's account of the living searches, generated from the data."""
    rounds = [f for f in search_flows(ds) if f.round is not None]
    if not rounds:
        return "No living search has been run yet."
    dates = ", ".join(f"{long_date(f.date)} (search {f.round})" for f in rounds)
    kept = [f for f in rounds if f.kept]
    lost = [f for f in rounds if not f.kept]
    text = f"The living update has run {fmt_n(len(rounds), 'search', 'searches')}: {dates}. "
    if kept:
        queries = sum(int(f.queries["queries"].sum()) for f in kept)
        returned = sum(f.counts["identified"] + f.counts["other_identified"] for f in kept)
        screened = sum(f.counts["screened"] + f.counts["other_screened"] for f in kept)
        text += (
            f"For {fmt_n(len(kept), 'search', 'searches')} every query and every record it "
            f"returned is kept ({fmt_n(queries, 'query', 'queries')}, "
            f"{fmt_n(returned, 'record')}, {fmt_count(screened)} after duplicates were found by "
            "identifier), so every count of their flow diagrams is computed from those rows. "
        )
    if lost:
        text += (
            f"The records of search {', '.join(str(f.round) for f in lost)} were not kept: "
            "its diagram gives only the reports it included. "
        )
    return text + (
        "Every query and record is in `data/search_queries.csv` and `data/search_records.csv`."
    )


def searches_since(ds: Dataset, date: str) -> str:
    """A sentence on the living searches run after ``date`` (a release's search date).

    Empty when none was; otherwise, for each, its date, queries, records and new reports.
    """
    later = [f for f in search_flows(ds) if f.round is not None and f.date > date]
    if not later:
        return ""
    parts = []
    for flow in later:
        c = flow.counts
        records = (
            f"{fmt_n(c['identified'] + c['other_identified'], 'record')}"
            if flow.kept
            else "records not kept"
        )
        queries = int(flow.queries["queries"].sum()) if not flow.queries.empty else 0
        parts.append(
            f"search {flow.round} of {long_date(flow.date)} ({fmt_n(queries, 'query', 'queries')}, "
            f"{records}, {fmt_n(c['new_reports'] or 0, 'new report')})"
        )
    return "Searches since that release: " + "; ".join(parts) + "."


def search_facts(ds: Dataset) -> dict[str, str]:
    """Facts about the searches for glue: the number of living rounds, the latest's date.

    Keys ``search_rounds`` and ``search_latest`` (long date).
    """
    rounds = [f for f in search_flows(ds) if f.round is not None]
    return {
        "search_rounds": fmt_count(len(rounds)),
        "search_latest": long_date(rounds[-1].date) if rounds else NOT_REPORTED,
    }


def query_table(ds: Dataset) -> pd.DataFrame:
    """Queries and records per living round, method and family (text, for display)."""
    rows = []
    for flow in search_flows(ds):
        for q in flow.queries.itertuples(index=False):
            rows.append(
                {
                    "Search": flow.round,
                    "Date": flow.date,
                    "Method": q.method,
                    "Family": q.family,
                    "Queries": int(q.queries),
                    "Records": int(q.records) if flow.kept else NOT_REPORTED,
                }
            )
    return pd.DataFrame(rows)


def flow_table(ds: Dataset) -> pd.DataFrame:
    """Every PRISMA count of every search, with where it comes from (text, for display)."""
    rows = []
    for flow in search_flows(ds):
        if flow.round is None:
            stated = ds.prisma[ds.prisma["review_version"] == flow.review_version]
            origin = {r.stage: f"{r.source} ({r.locator})" for r in stated.itertuples()}
        for stage, value in flow.counts.items():
            if value is None and stage not in ("identified", "screened"):
                continue
            if flow.round is None:
                source = origin.get(stage, "computed: included - previous")
                if value is None:
                    source = NOT_REPORTED
            elif stage in ("previous_studies", "new_studies", "new_reports", "included_studies"):
                source = "computed from data/studies.csv"
            else:
                source = (
                    "computed from data/search_records.csv" if flow.kept else "records not kept"
                )
            rows.append(
                {
                    "Search": flow_title(flow),
                    "Stage": STAGES[stage],
                    "Count": fmt_reported(value),
                    "From": source,
                }
            )
    return pd.DataFrame(rows)


def flow_diagram(flow: SearchFlow, title: str | None = None):
    """The PRISMA 2020 diagram of one search (:func:`analysis.review.selection.search_flows`).

    Records from other methods (citation searching, websites, ...) are counted beside
    those from databases in each box; a living search whose records were not kept reads
    "not recorded" where a record count would be.
    """
    counts = dict(flow.counts)
    counts["reasons"] = flow.reasons
    counts["updated"] = flow.updated
    missing = NOT_REPORTED if flow.round is None else "not recorded"
    return prisma_diagram(counts, title=title, missing=missing)


def prisma_diagram(counts: dict, ax=None, title: str | None = None, *, missing=NOT_REPORTED):
    """Draw a PRISMA 2020 flow diagram.

    Parameters
    ----------
    counts : dict
        As returned by :func:`prisma_counts` (missing stages are shown as "not reported").
        With ``counts["updated"]`` the template for updated reviews is drawn (previous
        studies, new studies, total).
    ax : matplotlib Axes, optional
        Where to draw (a new 9 x 7 inch figure if not given).
    title : str, optional
        Title above the diagram.
    missing : str
        Wording of a count that is ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """

    def count_of(stage: str) -> str:
        return fmt_reported(counts.get(stage), missing)

    def plus_other(stage: str, other: str) -> str:
        more = f"; other methods {count_of(other)}" if counts.get("other_identified") else ""
        return count_of(stage) + more

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 9.5))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.1, 1)  # room for the total box under the flow
    ax.axis("off")
    updated = counts.get("updated", False)
    # column centre and width: previous-version box, main flow, exclusion boxes
    main, side, prev = (
        ((0.525, 0.29), (0.845, 0.29), (0.185, 0.25))
        if updated
        else ((0.36, 0.36), (0.80, 0.34), None)
    )
    height = 0.15

    def box(col, y, text, shaded=False, h=height):
        x, w = col
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0.004,rounding_size=0.01",
                fc="0.94" if shaded else "white",
                ec="0.35",
                lw=0.9,
            )
        )
        lines = []
        for line in text.split("\n"):
            lines.extend(textwrap.wrap(line, width=max(int(w * 80), 12)) or [""])
        ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=10)

    def arrow(x0, y0, x1, y1):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops=dict(arrowstyle="-|>", color="0.3", lw=0.9, shrinkA=0, shrinkB=0),
        )

    y = {"identification": 0.9, "screening": 0.67, "eligibility": 0.44, "included": 0.2}
    for label, yy in y.items():
        ax.text(
            0.0,
            yy,
            label.capitalize(),
            rotation=90,
            va="center",
            ha="left",
            fontsize=10,
            fontweight="bold",
            color="0.35",
        )
    box(
        main,
        y["identification"],
        f"{STAGES['identified']}\n(n = {plus_other('identified', 'other_identified')})",
    )
    box(
        side,
        y["identification"],
        f"{STAGES['duplicates_removed']}\n"
        f"(n = {plus_other('duplicates_removed', 'other_duplicates')})",
        True,
    )
    box(
        main,
        y["screening"],
        f"{STAGES['screened']}\n(n = {plus_other('screened', 'other_screened')})",
    )
    box(
        side,
        y["screening"],
        f"{STAGES['excluded_screening']}\n"
        f"(n = {plus_other('excluded_screening', 'other_excluded')})",
        True,
    )
    box(
        main,
        y["eligibility"],
        f"{STAGES['full_text_assessed']}\n"
        f"(n = {plus_other('full_text_assessed', 'other_assessed')})",
    )
    reasons = counts.get("reasons") or []
    reason_text = "\n".join(f"{r}: {fmt_reported(k, missing)}" for r, k in reasons) or (
        "none" if counts.get("full_text_assessed") is not None else f"({missing})"
    )
    if counts.get("not_retrieved"):
        reason_text += f"\nNot retrieved: {counts['not_retrieved']:,}"
    box(side, y["eligibility"], f"{STAGES['excluded_full_text']}\n{reason_text}", True)
    for row in ("identification", "screening", "eligibility"):
        arrow(main[0] + main[1] / 2, y[row], side[0] - side[1] / 2, y[row])
    arrow(main[0], y["identification"] - height / 2, main[0], y["screening"] + height / 2)
    arrow(main[0], y["screening"] - height / 2, main[0], y["eligibility"] + height / 2)
    if updated:
        box(
            main,
            y["included"],
            f"{STAGES['new_studies']} (n = {count_of('new_studies')})\n"
            f"{STAGES['new_reports']} (n = {count_of('new_reports')})",
            h=0.17,
        )
        box(
            prev,
            y["identification"],
            f"{STAGES['previous_studies']}\n(n = {count_of('previous_studies')})",
        )
        total = (0.4, 0.62)
        text = f"{STAGES['included_studies']} (n = {count_of('included_studies')})"
        previous, new, included = (
            counts.get(k) for k in ("previous_studies", "new_studies", "included_studies")
        )
        if all(isinstance(v, int) for v in (previous, new, included)) and (
            previous + new != included
        ):
            text += (
                f"\n{previous} previous + {new} new \u2212 {previous + new - included} "
                "superseded by a new report of the same cohort"
            )
        box(total, -0.02, text, h=0.12)
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + 0.085)
        arrow(prev[0], y["identification"] - height / 2, prev[0], 0.04)
        arrow(main[0], y["included"] - 0.085, main[0], 0.04)
    else:
        box(
            main,
            y["included"],
            f"Studies included in review\n(n = {count_of('included_studies')})",
        )
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + height / 2)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return ax
