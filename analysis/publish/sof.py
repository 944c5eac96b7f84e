"""The summary-of-findings grid of the home page and its key findings, as escaped HTML/text.

Rows are combinations, columns the six outcomes; each cell gives the rate (or the counts of
a pool without events) with its 95% CI, the studies and courses behind it and its certainty
(GRADE symbols and word). A cell without data says so and shows what the 2026 review
reported. Every combination name links to its page; below the grid, each certainty level's
meaning in plain words (:func:`sof_legend`).
"""

from __future__ import annotations

import html

import pandas as pd

from ..review.summary import slug
from ..review.synthesis import MARKS, OUTCOMES
from .formatting import fmt_evidence, fmt_rate_cell

#: Short column names of the six outcomes.
SHORT = {
    "ae": "Adverse events",
    "sae": "Serious adverse events",
    "clinical_response": "Clinical response",
    "clinical_remission": "Clinical remission",
    "endoscopic_response": "Endoscopic response",
    "endoscopic_remission": "Endoscopic remission",
}
#: GRADE certainty symbols.
SYMBOLS = {
    4: "\u2295\u2295\u2295\u2295",
    3: "\u2295\u2295\u2295\u25ef",
    2: "\u2295\u2295\u25ef\u25ef",
    1: "\u2295\u25ef\u25ef\u25ef",
}

#: What each certainty level means, in plain words (GRADE's wording for a rate).
MEANINGS = {
    4: ("High", "we are very confident that the true rate lies close to the estimate."),
    3: (
        "Moderate",
        "the true rate is probably close to the estimate, but may be substantially different.",
    ),
    2: ("Low", "the true rate may be substantially different from the estimate."),
    1: ("Very low", "the true rate is likely to be substantially different from the estimate."),
}
#: How a rate pooled from two studies only is marked, and what that means.
TWO_STUDIES = "two-study pool"
TWO_STUDIES_NOTE = (
    "pooled from two studies only: how much the studies differ cannot be estimated, so "
    "the interval may be too narrow"
)


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _paper(row) -> str:
    """The 2026 review's figure for a cell (``"2026 review: 82% of 71"``), or ``""``."""
    if pd.isna(row["paper_pct"]):
        return ""
    text = f"2026 review: {row['paper_pct']:g}%"
    if pd.notna(row["paper_n"]):
        text += f" of {int(row['paper_n'])}"
    return text


#: The caveats a cell can carry (short words in the cell, explained under the grid).
CAVEATS = {
    "children": "includes series of children (paediatric populations)",
    "abstracts": "includes conference abstracts, preprints or letters, not full papers",
    "varied time points": "the studies counted the outcome at different times",
    "naive patients": "includes patients naive to advanced therapy, not refractory ones",
    "refractory patients": "every course from studies of patients who had failed an "
    "advanced therapy",
    "refractory in r/n": "r of the n courses from such studies; the others naive or not "
    "reported (data/prior_therapy.csv)",
    "prior therapy not reported": "the studies read do not say what the patients had failed",
}


def sof_caveats(ds) -> dict[tuple[str, str], str]:
    """What to keep in mind about each cell, from the data of the studies behind it.

    Per (regimen, outcome) with a result: ``"children"`` if a study is of a paediatric or
    mixed population, ``"abstracts"`` if a study is a conference abstract, preprint or
    letter, ``"naive patients"`` if a study's patients were naive to advanced therapy,
    ``"refractory patients"``, ``"refractory in r/n"`` (courses from studies of refractory
    patients, of all courses: :func:`analysis.review.population.pool_population`) or
    ``"prior therapy not reported"``, and the time point (``"at week
    26"``) or ``"varied time points"``. A co-intervention is already marked (§,
    :data:`analysis.review.synthesis.MARKS`).

    Parameters
    ----------
    ds : Dataset
        The data package.

    Returns
    -------
    dict
        (regimen, outcome) -> caveats separated by ``"; "`` (missing: none).
    """
    from ..review.population import pool_population
    from ..review.synthesis import synthesise

    studies = ds.studies.set_index("study_id")
    rows = ds.outcomes[ds.outcomes["analysed"]].merge(
        ds.arms[["arm_id", "study_id", "regimen"]], on="arm_id"
    )
    caveats = {}
    for outcome in OUTCOMES:
        for regimen, pool in synthesise(ds, outcome).pools.items():
            ids = [i for i in pool.studies["label"] if i in studies.index]
            found = []
            if studies.loc[ids, "population"].isin(["paediatric", "mixed"]).any():
                found.append("children")
            kinds = studies.loc[ids, "publication_type"]
            if kinds.isin(["conference_abstract", "preprint", "letter"]).any():
                found.append("abstracts")
            mine = rows[
                (rows["outcome"] == outcome)
                & (rows["regimen"] == regimen)
                & rows["study_id"].isin(ids)
            ]
            people = pool_population(ds, outcome, regimen)
            if people.naive:
                found.append("naive patients")
            if people.courses and people.refractory == people.courses:
                found.append("refractory patients")
            elif people.courses and people.refractory:
                found.append(f"refractory in {people.refractory}/{people.courses}")
            elif people.courses and not people.naive:
                found.append("prior therapy not reported")
            times = sorted(set(mine["timepoint"]) - {""})
            if len(times) == 1:
                found.append(times[0] if times[0].startswith("at ") else f"at {times[0]}")
            elif times:
                found.append("varied time points")
            if found:
                caveats[regimen, outcome] = "; ".join(found)
    return caveats


def sof_cell(row, caveats: str = "") -> str:
    """The inner HTML of one grid cell (escaped).

    Our estimate, its studies and courses, its certainty and, where the 2026 review states
    a figure for the cell, that figure beside it (often from more courses than ours).
    """
    if not row["kind"]:
        paper = _paper(row)
        return _esc("No data here" + (f"; {paper}" if paper else ""))
    counts = row["kind"] == "counts"
    estimate = fmt_rate_cell(
        counts, int(row["events"]), row["n"], row["estimate"], row["ci_low"], row["ci_high"]
    )
    evidence = fmt_evidence(row["k"], row["n"])
    if counts:
        evidence = f"{'no events' if row['events'] == 0 else 'all events'}; {evidence}"
    two = row["kind"] == "random_effects" and row["k"] == 2
    estimate += f" {row['marks']}" if row["marks"] else ""
    evidence += f"; {TWO_STUDIES}" if two else ""
    parts = [
        f'<span class="est">{_esc(estimate)}</span>',
        f'<span class="n">{_esc(evidence)}</span>',
    ]
    if pd.notna(row["level"]):
        level = int(row["level"])
        parts.append(
            f'<span class="cert dtt-cert-{level}" title="certainty of the evidence">'
            f"{SYMBOLS[level]} {_esc(row['certainty'])}</span>"
        )
    if caveats:
        parts.append(f'<span class="caveats">{_esc(caveats)}</span>')
    if _paper(row):
        parts.append(f'<span class="paper">{_esc(_paper(row))}</span>')
    return "".join(parts)


def sof_html(
    frame: pd.DataFrame,
    descriptions: dict[str, str],
    *,
    link_prefix: str = "",
    caveats: dict | None = None,
) -> str:
    """The summary-of-findings grid (a scrolling table, combination column kept in view).

    Each cell carries its outcome's name (``data-label``): on a phone the stylesheet
    (``book/_static/dtt.css``) shows one card per combination, the outcomes as labelled rows.

    Parameters
    ----------
    frame : DataFrame
        :func:`analysis.review.summary.summary_of_findings`.
    descriptions : dict
        Regimen -> plain-language name (``regimens.csv`` ``description``).
    link_prefix : str
        Path from the page to the site root (``""`` on the home page).
    caveats : dict, optional
        :func:`sof_caveats`: shown in each cell and explained under the grid.
    """
    caveats = caveats or {}
    head = "".join(f"<th>{_esc(SHORT[o])}<br><small>% (95% CI)</small></th>" for o in OUTCOMES)
    body = []
    for regimen, rows in frame.groupby("regimen", sort=False):
        cells = "".join(
            f'<td class="{"none" if not r["kind"] else "data"}" '
            f'data-label="{_esc(SHORT[r["outcome"]])}">'
            f"{sof_cell(r, caveats.get((regimen, r['outcome']), ''))}</td>"
            for _, r in rows.set_index("outcome").loc[list(OUTCOMES)].reset_index().iterrows()
        )
        link = f"{link_prefix}combinations/{slug(regimen)}.html"
        body.append(
            f'<tr id="sof-{_esc(slug(regimen))}"><th scope="row"><a class="reference internal" '
            f'href="{_esc(link)}">{_esc(regimen)}</a><br><small>'
            f"{_esc(descriptions.get(regimen, ''))}</small></th>{cells}</tr>"
        )
    return (
        '<div class="dtt-scroll dtt-sof-box full-width" tabindex="0" role="region" '
        'aria-label="Summary of findings"><table class="table dtt-table dtt-sof dtt-cards">'
        f"<thead><tr><th>Combination</th>{head}</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
        + sof_legend(link_prefix=link_prefix, caveats=bool(caveats))
    )


def sof_legend(*, link_prefix: str = "", caveats: bool = False) -> str:
    """What each certainty level means, in plain words, linking the certainty chapter.

    Parameters
    ----------
    link_prefix : str
        Path from the page to the site root (``""`` on the home page).
    caveats : bool
        Also explain the cells' caveats (:data:`CAVEATS`).
    """
    items = "".join(
        f'<li><span class="dtt-cert-{level}">{SYMBOLS[level]} <strong>{_esc(word)}</strong>'
        f"</span>: {_esc(meaning)}</li>"
        for level, (word, meaning) in MEANINGS.items()
    )
    link = _esc(f"{link_prefix}certainty.html")
    return (
        '<div class="dtt-sof-legend"><p><strong>Certainty of the evidence</strong> (GRADE; '
        f'<a class="reference internal" href="{link}">how it is rated</a>):</p>'
        f"<ul>{items}</ul><p><em>{_esc(TWO_STUDIES.capitalize())}</em>: "
        f"{_esc(TWO_STUDIES_NOTE)}.</p>" + (_caveats_note() if caveats else "") + "</div>"
    )


def sof_footnote() -> str:
    """Every symbol of the grid, in words (the certainty levels: :func:`sof_legend`)."""
    marks = "; ".join(f"{mark} {text}" for mark, text in MARKS.items())
    return (
        "A course is one patient on one "
        "combination. x/N: no study had an event (or every course had it), so the counts "
        f"are shown with their exact interval and no model is fitted. {marks}. In italics: "
        "the 2026 review's figure for the cell, pooled from its own studies (often more "
        "courses than our public sources recover; its study-level data are not public)."
    )


def _caveats_note() -> str:
    """The caveats of the cells, in words."""
    words = "; ".join(f"<em>{_esc(k)}</em>: {_esc(v)}" for k, v in CAVEATS.items())
    return (
        f"<p>Under a rate, in small type: {words}; <em>at</em> a time point: when the "
        "outcome was counted.</p>"
    )
