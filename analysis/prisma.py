"""PRISMA 2020 flow diagrams from the counts in ``data/prisma.csv``.

``prisma.csv`` has one row per review version x stage (x exclusion reason):
``review_version, stage, count, reason, source, locator, notes``. A count is either stated
by a source (``source`` a DOI/URL, ``locator`` where) or, for this project's own updates,
computed from ``data/studies.csv`` at build time: ``source`` is ``data/studies.csv``, the
count cell is empty and ``locator`` is a filter such as ``review_version=living;
overlaps_with=`` (conditions joined by ``;``, alternatives by ``|``, ``column!=value`` for
"not equal", an empty value for an empty cell). A stage with no row, or with an empty count
and another source, was not reported: the diagram says so and nothing is guessed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from . import paths

#: Stages of the PRISMA 2020 flow (updated-review template), in order, with box wording.
STAGES = {
    "previous_studies": "Studies included in previous version of review",
    "identified": "Records identified from databases and registers",
    "duplicates_removed": "Records removed before screening (duplicates)",
    "screened": "Records screened",
    "excluded_screening": "Records excluded",
    "full_text_assessed": "Reports assessed for eligibility",
    "excluded_full_text": "Reports excluded",
    "new_studies": "New studies included in review",
    "new_reports": "Reports of new included studies",
    "included_studies": "Total studies included in review",
}
#: What a missing count is shown as.
NOT_REPORTED = "not reported"
#: Source value of counts computed from the studies table.
DERIVED_SOURCE = "data/studies.csv"


def read_prisma(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``prisma.csv`` with ``count`` as nullable integers.

    Raises
    ------
    ValueError
        On an unknown stage, a derived row with a count typed in, or a stated count without
        a source.
    """
    path = Path(data_dir or paths.DATA) / "prisma.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    unknown = set(table["stage"]) - set(STAGES)
    if unknown:
        raise ValueError(f"{path}: unknown stage(s) {sorted(unknown)}")
    derived = table["source"] == DERIVED_SOURCE
    if (derived & table["count"].ne("")).any():
        raise ValueError(f"{path}: a count derived from {DERIVED_SOURCE} must be left empty")
    if (~derived & table["count"].ne("") & table["source"].eq("")).any():
        raise ValueError(f"{path}: every stated count needs a source")
    table["count"] = pd.to_numeric(table["count"].replace("", None)).astype("Int64")
    return table


def count_matching(studies: pd.DataFrame, rule: str) -> int:
    """Number of rows of ``studies`` matching a ``locator`` filter (see module docstring)."""
    mask = pd.Series(True, index=studies.index)
    for condition in filter(None, (c.strip() for c in rule.split(";"))):
        negate = "!=" in condition
        column, value = condition.split("!=" if negate else "=", 1)
        column = column.strip()
        if column not in studies:
            raise ValueError(f"unknown column {column!r} in PRISMA rule {rule!r}")
        hit = studies[column].fillna("").astype(str).str.strip().isin(value.split("|"))
        mask &= ~hit if negate else hit
    return int(mask.sum())


def prisma_counts(table: pd.DataFrame, review_version: str,
                  studies: pd.DataFrame | None = None) -> dict:
    """Counts of one review version, derived ones computed from ``studies``.

    Returns
    -------
    dict
        Stage -> int or ``None`` (not reported) for every stage of :data:`STAGES` except
        ``excluded_full_text``, plus ``"reasons"``: list of ``(reason, count or None)`` for
        full-text exclusions and ``"updated"``: whether the version updates a previous one
        (it has a ``previous_studies`` row).
    """
    rows = table[table["review_version"] == review_version]
    if rows.empty:
        raise ValueError(f"no PRISMA counts for review version {review_version!r}")
    counts: dict = {stage: None for stage in STAGES if stage != "excluded_full_text"}
    reasons = []
    for row in rows.itertuples(index=False):
        if row.source == DERIVED_SOURCE:
            if studies is None:
                raise ValueError("derived PRISMA counts need the studies table")
            value = count_matching(studies, row.locator)
        else:
            value = None if pd.isna(row.count) else int(row.count)
        if row.stage == "excluded_full_text":
            reasons.append((row.reason or "reason not stated", value))
        else:
            counts[row.stage] = value
    counts["reasons"] = reasons
    counts["updated"] = bool((rows["stage"] == "previous_studies").any())
    return counts


def format_count(value) -> str:
    """A count with thousands separators, or "not reported" for ``None``."""
    return NOT_REPORTED if value is None else f"{value:,}"


def prisma_diagram(counts: dict, ax=None, title: str | None = None):
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

    Returns
    -------
    matplotlib.axes.Axes
    """
    import textwrap

    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    updated = counts.get("updated", False)
    # column centre and width: previous-version box, main flow, exclusion boxes
    main, side, prev = ((0.52, 0.27), (0.85, 0.27), (0.17, 0.25)) if updated else (
        (0.36, 0.36), (0.80, 0.34), None)
    height = 0.12

    def box(col, y, text, shaded=False, h=height):
        x, w = col
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                    boxstyle="round,pad=0.004,rounding_size=0.01",
                                    fc="0.94" if shaded else "white", ec="0.35", lw=0.9))
        lines = []
        for line in text.split("\n"):
            lines.extend(textwrap.wrap(line, width=max(int(w * 95), 12)) or [""])
        ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=7.5)

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color="0.3", lw=0.9,
                                    shrinkA=0, shrinkB=0))

    y = {"identification": 0.86, "screening": 0.64, "eligibility": 0.42, "included": 0.19}
    for label, yy in y.items():
        ax.text(0.0, yy, label.capitalize(), rotation=90, va="center", ha="left",
                fontsize=8.5, fontweight="bold", color="0.35")
    box(main, y["identification"],
        f"{STAGES['identified']}\n(n = {format_count(counts.get('identified'))})")
    n = {stage: format_count(counts.get(stage)) for stage in STAGES}
    box(side, y["identification"],
        f"{STAGES['duplicates_removed']}\n(n = {n['duplicates_removed']})", True)
    box(main, y["screening"], f"{STAGES['screened']}\n(n = {format_count(counts.get('screened'))})")
    box(side, y["screening"], f"{STAGES['excluded_screening']}\n(n = {n['excluded_screening']})",
        True)
    box(main, y["eligibility"],
        f"{STAGES['full_text_assessed']}\n(n = {format_count(counts.get('full_text_assessed'))})")
    reasons = counts.get("reasons") or []
    reason_text = "\n".join(f"{r}: {format_count(n)}" for r, n in reasons) or f"({NOT_REPORTED})"
    box(side, y["eligibility"], f"{STAGES['excluded_full_text']}\n{reason_text}", True)
    for row in ("identification", "screening", "eligibility"):
        arrow(main[0] + main[1] / 2, y[row], side[0] - side[1] / 2, y[row])
    arrow(main[0], y["identification"] - height / 2, main[0], y["screening"] + height / 2)
    arrow(main[0], y["screening"] - height / 2, main[0], y["eligibility"] + height / 2)
    if updated:
        box(main, y["included"],
            f"{STAGES['new_studies']} (n = {format_count(counts.get('new_studies'))})\n"
            f"{STAGES['new_reports']} (n = {format_count(counts.get('new_reports'))})", h=0.14)
        box(prev, y["identification"],
            f"{STAGES['previous_studies']}\n(n = {format_count(counts.get('previous_studies'))})")
        total = (0.36, 0.42)
        box(total, 0.03, f"{STAGES['included_studies']} (n = "
                         f"{format_count(counts.get('included_studies'))})", h=0.06)
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + 0.07)
        arrow(prev[0], y["identification"] - height / 2, prev[0], 0.06)
        arrow(main[0], y["included"] - 0.07, main[0], 0.06)
    else:
        box(main, y["included"],
            f"Studies included in review\n(n = {format_count(counts.get('included_studies'))})")
        arrow(main[0], y["eligibility"] - height / 2, main[0], y["included"] + height / 2)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax


def prisma_table(table: pd.DataFrame, studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every count with its source, for display next to the diagrams."""
    rows = []
    for version in table["review_version"].unique():
        counts = prisma_counts(table, version, studies)
        for row in table[table["review_version"] == version].itertuples(index=False):
            value = (dict(counts["reasons"]).get(row.reason or "reason not stated")
                     if row.stage == "excluded_full_text" else counts[row.stage])
            rows.append({"Review": version, "Stage": STAGES[row.stage]
                         + (f": {row.reason}" if row.reason else ""),
                         "Count": format_count(value),
                         "Source": (f"{row.source} ({row.locator})" if row.source
                                    else NOT_REPORTED),
                         "Notes": row.notes})
    return pd.DataFrame(rows)
