"""The Combinations chapter and a page per combination, generated from the data at build time.

:func:`write_combination_pages` writes one MyST notebook per combination
(``combinations/<slug>.md``) into the book copy that the build executes; each page calls
:func:`combination_page` and glues what it returns: its six outcomes at a glance (rate,
evidence, certainty and why, the 2026 review's figure), its studies (design, population,
disease, time points, risk of bias, marks) and a forest plot per outcome with data.
:func:`page` is the chapter that lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...datapackage import Dataset
from ...review.certainty import DOMAINS, ROB_DOMAINS, certainty_frame, read_risk_of_bias
from ...review.summary import combinations, slug, summary_of_findings
from ...review.synthesis import (
    MARKS,
    OUTCOMES,
    from_target_review,
    regimen_trials,
    synthesise,
    with_cointervention,
)
from ..forest import forest_plot
from ..formatting import MISSING, fmt_courses, fmt_evidence, fmt_rate_cell, fmt_studies
from ..page import Page
from ..sof import SHORT, SYMBOLS, sof_legend

_RATING = {0: "", 1: "\u22121", 2: "\u22122"}
#: Columns of a combination page's studies table.
STUDY_COLUMNS = [
    "Study",
    "Design",
    "Report",
    "Population",
    "Disease",
    "Courses",
    "Outcomes and time points",
    "Risk of bias (S, A, C, R)",
    "Superseded by",
]
_ROB = {"low": "low", "high": "HIGH", "unclear": "unclear"}


@dataclass
class CombinationPage(Page):
    """Everything one combination page shows (a :class:`~analysis.publish.page.Page`).

    Attributes
    ----------
    regimen : str
        The regimen label.
    outcomes : list
        Outcomes with data, in the book's order (one forest plot each).
    """

    regimen: str = ""
    outcomes: list = field(default_factory=list)


def _glance(frame: pd.DataFrame, grade: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in frame.itertuples(index=False):
        if not r.kind:
            result, evidence, certainty, why = "no data", MISSING, MISSING, MISSING
        else:
            result = (
                fmt_rate_cell(r.kind == "counts", r.events, r.n, r.estimate, r.ci_low, r.ci_high)
                + (", no model" if r.kind == "counts" else "")
                + (f" {r.marks}" if r.marks else "")
            )
            evidence = fmt_evidence(r.k, r.n)
            certainty = f"{SYMBOLS[int(r.level)]} {r.certainty}" if pd.notna(r.level) else MISSING
            why = MISSING
            if (r.regimen, r.outcome) in grade.index:
                g = grade.loc[(r.regimen, r.outcome)]
                why = (
                    "; ".join(
                        f"{d.replace('_', ' ')} {_RATING[g[d]]}: {g[f'{d}_reason']}"
                        for d in DOMAINS
                        if g[d]
                    )
                    or "not downgraded"
                )
        paper = MISSING
        if pd.notna(r.paper_pct):
            paper = f"{r.paper_pct:g}%" + (f" of {int(r.paper_n)}" if pd.notna(r.paper_n) else "")
        rows.append(
            {
                "Outcome": SHORT[r.outcome],
                "Rate (95% CI)": result,
                "Studies, courses": evidence,
                "Certainty": certainty,
                "Downgraded for": why,
                "2026 review": paper,
            }
        )
    return pd.DataFrame(rows)


def _studies(ds: Dataset, regimen: str, rob: pd.DataFrame) -> pd.DataFrame:
    arms = ds.arms[ds.arms["regimen"] == regimen].merge(ds.studies, on="study_id")
    outcomes = ds.outcomes[ds.outcomes["analysed"] & ds.outcomes["arm_id"].isin(arms["arm_id"])]
    rob = rob.set_index("study_id")
    rows = []
    for arm, cointervention in zip(
        arms.itertuples(index=False), with_cointervention(arms), strict=True
    ):
        mine = outcomes[outcomes["arm_id"] == arm.arm_id]
        times = "; ".join(f"{SHORT[o.outcome].lower()}: {o.timepoint}" for o in mine.itertuples())
        courses = arm.n_trials if pd.notna(arm.n_trials) else arm.n_patients
        judged = (
            ", ".join(f"{d[0].upper()} {_ROB[rob.at[arm.study_id, d]]}" for d in ROB_DOMAINS)
            if arm.study_id in rob.index
            else "not assessed"
        )
        marks = "".join(
            sorted(
                ("\u2021" if from_target_review(mine).any() else "")
                + ("\u00a7" if cointervention else "")
            )
        )
        rows.append(
            {
                "Study": arm.study_id + (f" {marks}" if marks else ""),
                "Design": arm.design.replace("_", " "),
                "Report": arm.publication_type.replace("_", " "),
                "Population": arm.population.replace("_", " "),
                "Disease": arm.disease.replace("not_stated", "not stated"),
                "Courses": MISSING if pd.isna(courses) else int(courses),
                "Outcomes and time points": times or "none reported for this combination",
                "Risk of bias (S, A, C, R)": judged,
                "Superseded by": arm.overlaps_with or MISSING,
            }
        )
    return pd.DataFrame(rows, columns=STUDY_COLUMNS)


def _held_sentence(studies: int, courses: int) -> str:
    """``"1 study with 8 courses"``, ``"11 studies with 94 courses"``."""
    return f"{fmt_studies(studies)} with {fmt_courses(courses)}"


def _outcomes_sentence(n_with_data: int, missing: list[str]) -> str:
    """How many of the six outcomes have data, in words (naming those without)."""
    if not missing:
        return "all six outcomes"
    if not n_with_data:
        return "none of the six outcomes"
    return f"{n_with_data} of the six outcomes (none for: {', '.join(missing)})"


def combination_page(ds: Dataset, regimen: str) -> CombinationPage:
    """Everything the page of one combination shows.

    Parameters
    ----------
    ds : Dataset
        The data package.
    regimen : str
        A regimen label of :func:`analysis.review.summary.combinations`.

    Returns
    -------
    CombinationPage
    """
    described = ds.regimens.set_index("regimen")["description"].to_dict()
    title = f"{regimen}: {described.get(regimen, regimen)}"
    frame = summary_of_findings(ds)
    frame = frame[frame["regimen"] == regimen]
    grade = certainty_frame(ds)
    grade = grade[grade["regimen"] == regimen].set_index(["regimen", "outcome"])
    page = CombinationPage(f"combinations/{slug(regimen)}", title, regimen=regimen)
    shown = {"interactive": False, "wide": True, "fit": True}
    page.table("glance_table", _glance(frame, grade), **shown)
    page.html["cert_legend"] = sof_legend(link_prefix="../")
    studies = _studies(ds, regimen, read_risk_of_bias(ds.data_dir))
    page.table("studies_table", studies, **shown)
    for outcome in OUTCOMES:
        syn = synthesise(ds, outcome)
        if regimen in syn.pools:
            page.outcomes.append(outcome)
            key = f"forest_{outcome}"
            page.figures[key] = forest_plot(
                syn,
                regimens=[regimen],
                overall=False,
                title=f"{regimen}: {OUTCOMES[outcome].lower()}",
            )
            pool = syn.pools[regimen]
            page.alt[key] = (
                f"Forest plot of {OUTCOMES[outcome].lower()} on {regimen}: "
                f"{fmt_studies(pool.k)} with their exact "
                "95% confidence intervals and the summary."
            )
    with_data = frame[frame["kind"] != ""]
    held = studies[studies["Superseded by"] == MISSING]
    page.facts = {
        "comb_title": title,
        "comb_held": _held_sentence(
            len(held), int(pd.to_numeric(held["Courses"], errors="coerce").sum())
        ),
        "comb_outcomes": _outcomes_sentence(
            len(with_data), [SHORT[o].lower() for o in frame.loc[frame["kind"] == "", "outcome"]]
        ),
        "comb_marks": "; ".join(f"{m} {t}" for m, t in MARKS.items()),
    }
    return page


def page_source(regimen: str, outcomes) -> str:
    """The MyST notebook of one combination page (thin: it calls the package)."""
    name = slug(regimen)
    figures = (
        "\n".join(
            f"(comb-{name}-{o.replace('_', '-')})=\n### {OUTCOMES[o]}\n\n"
            f"```{{glue:figure}} forest_{o}\n:name: fig-{name}-{o.replace('_', '-')}\n"
            f":alt: Forest plot of {OUTCOMES[o].lower()} on {regimen}, study by study, with "
            f"the summary.\n\n{OUTCOMES[o]} on {regimen}: studies (exact 95% CI) and summary.\n"
            "```\n"
            for o in outcomes
        )
        or "No outcome of this combination has data.\n"
    )
    return f'''---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(comb-{name})=
# {regimen}

```{{code-cell}} ipython3
:tags: [remove-cell]
import analysis as an

ds = an.load_dataset()
page = an.combination_page(ds, "{regimen}")
an.glue_page(page)
```

**{{glue:text}}`comb_title`.** Our data hold {{glue:text}}`comb_held` on this
combination, with results for {{glue:text}}`comb_outcomes`; each outcome's studies and
courses are in the table below.
Every number below is computed from the data package on every build.

(comb-{name}-glance)=
## At a glance

```{{glue:}} glance_table
```

**Table.** The six outcomes: rate or, where no course had the event (or every course had it),
the counts with their exact interval; studies and courses; certainty (GRADE) and what it was
downgraded for; the figure of the 2026 review. {{glue:text}}`comb_marks`.

```{{glue:}} cert_legend
```

(comb-{name}-studies)=
## Studies

```{{glue:}} studies_table
```

**Table.** Studies of this combination. Risk of bias (Murad 2018): S selection,
A ascertainment, C causality (follow-up), R reporting. A superseded report counts only for
outcomes its later report lacks.

(comb-{name}-forest)=
## Forest plots

{figures}
```{{code-cell}} ipython3
:tags: [remove-input]
an.cite_page(page, ds)
```
'''


def write_combination_pages(ds: Dataset, folder: Path | str) -> list[Path]:
    """Write a page per combination into ``folder``, and only those.

    A page whose text is unchanged is not rewritten (its time stamp stays, so a build does
    not re-execute it); pages of combinations no longer in the data are removed.

    Returns
    -------
    list of Path
        Every page of the folder, one per combination.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for regimen in combinations(ds):
        outcomes = [o for o in OUTCOMES if regimen in synthesise(ds, o).pools]
        path = folder / f"{slug(regimen)}.md"
        text = page_source(regimen, outcomes)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in set(folder.glob("*.md")) - set(written):
        stale.unlink()
    return written


def combinations_markdown(ds: Dataset, sof: pd.DataFrame) -> str:
    """A MyST list linking every combination page, with its studies, courses and outcomes.

    Link texts keep only letters, digits, spaces and ``+-(),./`` (data never becomes markup).

    ``sof`` is :func:`analysis.review.summary.summary_of_findings`.
    """
    courses = regimen_trials(ds).set_index("regimen")
    described = ds.regimens.set_index("regimen")["description"]
    lines = []
    for regimen, frame in sof.groupby("regimen", sort=False):
        have = [SHORT[o].lower() for o in frame.loc[frame["kind"] != "", "outcome"]]
        k = int(courses.at[regimen, "studies"]) if regimen in courses.index else 0
        n = int(courses.at[regimen, "trials"]) if regimen in courses.index else 0
        held = fmt_evidence(k, n) if k else "no study in our data"
        name = re.sub(r"[^A-Za-z0-9 +\-(),./]", "", f"{regimen} ({described.get(regimen, '')})")
        lines.append(
            f"- {{doc}}`{name} <combinations/{slug(regimen)}>`: {held}; results for "
            f"{', '.join(have) if have else 'no outcome'}"
        )
    return "\n".join(lines)


def page(ds: Dataset) -> Page:
    """The Combinations chapter: ``n_combinations`` and ``combinations_list`` (MyST links)."""
    sof = summary_of_findings(ds)
    page = Page("combinations", facts={"n_combinations": str(sof["regimen"].nunique())})
    page.markdown["combinations_list"] = combinations_markdown(ds, sof)
    return page


def main(argv: list[str] | None = None) -> int:
    """Write the combination pages into FOLDER.

    ``python -m analysis.publish.chapters.combinations FOLDER``
    """
    import sys

    from ...datapackage import load_dataset

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m analysis.publish.chapters.combinations FOLDER", file=sys.stderr)
        return 2
    for path in write_combination_pages(load_dataset(), argv[0]):
        print(f"pages: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
