"""The Certainty chapter.

The rules (with their sources), the evidence profile of every pooled rate, and each
study's risk of bias (table and traffic-light plot).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from ...datapackage import Dataset
from ...review.certainty import (
    DOMAINS,
    LEVELS,
    ROB_DOMAINS,
    RULES,
    certainty_frame,
    read_risk_of_bias,
    rule_thresholds,
    study_risk,
)
from ...review.settings import THRESHOLDS
from ...review.synthesis import OUTCOMES
from ..formatting import fmt_count, fmt_list, fmt_rate_cell, regimen_label
from ..page import Page
from ..sof import SYMBOLS


def rule_facts() -> dict[str, str]:
    """The numbers of the certainty rules as text (never typed in the chapter).

    Keys ``rule_<name>`` for every entry of
    :func:`analysis.review.certainty.rule_thresholds`, and ``rule_safety_rationale``,
    ``rule_efficacy_rationale`` (why the decision thresholds are where they are).
    """
    t = rule_thresholds()

    def cuts(values) -> str:
        return fmt_list([f"{100 * v:g}%" for v in values])

    safety, efficacy = t["max_ratio"]
    ratio = f"{safety:g}" if safety == efficacy else f"{safety:g} (safety) or {efficacy:g}"
    facts = {
        "start": t["start"].lower(),
        "carry_share": f"{t['carry_share']:.0%}",
        "min_followup_weeks": f"{t['min_followup_weeks']:g}",
        "min_k": str(t["min_k"]),
        "safety_thresholds": cuts(t["safety_thresholds"]),
        "efficacy_thresholds": cuts(t["efficacy_thresholds"]),
        "max_ratio": ratio,
        "min_k_pb": str(t["min_k_pb"]),
    }
    facts |= {f"{kind}_rationale": THRESHOLDS[kind].rationale for kind in THRESHOLDS}
    return {f"rule_{key}": value for key, value in facts.items()}


def grade_facts(frame: pd.DataFrame) -> dict[str, str]:
    """Counts of results per certainty level.

    ``frame`` is :func:`analysis.review.certainty.certainty_frame`.

    Keys: ``grade_n``, ``grade_n_high``, ``grade_n_moderate``, ``grade_n_low``,
    ``grade_n_very_low``, ``grade_n_overrides`` (results with at least one override).
    """
    counts = frame["certainty"].value_counts() if len(frame) else pd.Series(dtype=int)
    facts = {"grade_n": fmt_count(len(frame))}
    for label in LEVELS.values():
        facts[f"grade_n_{label.lower().replace(' ', '_')}"] = fmt_count(counts.get(label, 0))
    flags = [c for c in frame.columns if c.endswith("_override")]
    overridden = frame[flags].any(axis=1).sum() if len(frame) else 0
    facts["grade_n_overrides"] = fmt_count(int(overridden))
    return facts


#: Short column names of the GRADE domains in :func:`grade_table`.
DOMAIN_COLUMNS = {
    "risk_of_bias": "RoB",
    "inconsistency": "Incons.",
    "indirectness": "Indir.",
    "imprecision": "Imprec.",
    "publication_bias": "Pub. bias",
}


def grade_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.review.certainty.certainty_frame` as a compact evidence profile.

    Columns: ``Combination``, ``Outcome``, ``Rate % (95% CI)`` (pooled counts as
    ``x/N (CI)``), ``Studies; courses`` (with their designs), one column per GRADE domain
    (:data:`DOMAIN_COLUMNS`: ``0``, ``−1`` or ``−2`` levels, ``†`` a manual override),
    ``Certainty`` (GRADE symbols and word) and ``Why downgraded`` (the reason of every
    downgrade or override, domain by domain).
    """
    records = []
    for r in frame.to_dict(orient="records"):
        rate = fmt_rate_cell(
            r["kind"] == "counts", r["events"], r["n"], r["estimate"], r["ci_low"], r["ci_high"]
        )
        designs = ", ".join(f"{n} {d.replace('_', ' ')}" for d, n in r["designs"].items())
        record = {
            "Combination": regimen_label(r["regimen"]),
            "Outcome": OUTCOMES[r["outcome"]],
            "Rate % (95% CI)": rate,
            "Studies; courses": f"{r['k']} ({designs}); {fmt_count(r['n'])}",
        }
        for domain, label in DOMAIN_COLUMNS.items():
            record[label] = ("0" if r[domain] == 0 else f"\u2212{r[domain]}") + (
                "\u2020" if r[f"{domain}_override"] else ""
            )
        record["Certainty"] = f"{SYMBOLS[r['level']]} {r['certainty']}"
        reasons = [
            f"{DOMAIN_COLUMNS[d]}: {r[f'{d}_reason']}"
            for d in DOMAINS
            if r[d] or r[f"{d}_override"]
        ]
        record["Why downgraded"] = "; ".join(reasons) or "not downgraded"
        records.append(record)
    return pd.DataFrame(records)


def grade_rules_table() -> pd.DataFrame:
    """The certainty rules, one sentence each, with their sources.

    Columns ``Domain``, ``Rule``, ``Source``: :data:`analysis.review.certainty.RULES` with
    the numbers of :func:`rule_facts` filled in.
    """
    words = {key.removeprefix("rule_"): value for key, value in rule_facts().items()}
    return pd.DataFrame(
        [
            {"Domain": r.domain, "Rule": r.sentence.format(**words), "Source": r.source}
            for r in RULES
        ]
    )


def risk_of_bias_table(table: pd.DataFrame) -> pd.DataFrame:
    """Each study's risk-of-bias judgements with the source fragment behind each.

    Columns: ``Study``, ``Read`` (what the judgements rest on: abstract, full text, a
    secondary table), one per domain (``"high: <fragment>"``), ``Overall`` (the codebook's
    judgement over the domains, with why) and ``Notes``.
    """
    overall = study_risk(table)
    read = table["read"] if "read" in table else ""
    frame = pd.DataFrame({"Study": table["study_id"], "Read": read})
    for domain in ROB_DOMAINS:
        frame[domain.capitalize()] = [
            f"{j}: {support}" if support else j
            for j, support in zip(table[domain], table[f"{domain}_support"], strict=True)
        ]
    frame["Overall"] = table["study_id"].map(overall)
    if "overall_support" in table:
        frame["Overall"] = [
            f"{j}: {why}" if why else j
            for j, why in zip(frame["Overall"], table["overall_support"], strict=True)
        ]
    frame["Notes"] = table["notes"]
    return frame.sort_values("Study").reset_index(drop=True)


#: Colour and symbol of each risk-of-bias judgement (symbols for readers who cannot tell
#: the colours apart), as in the robvis traffic-light plots.
ROB_STYLE = {"low": ("#1b7837", "+"), "unclear": ("#e6ab02", "?"), "high": ("#b2182b", "\u2212")}


def risk_of_bias_plot(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Traffic-light plot: one row per study, one column per domain and the overall judgement.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.review.certainty.read_risk_of_bias` (domains of Murad et al. 2018).

    Returns
    -------
    Axes
    """
    table = table.sort_values("study_id").reset_index(drop=True)
    overall = study_risk(table)
    columns = [*ROB_DOMAINS, "overall"]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.2, 0.6 + 0.28 * len(table)))
    for i, row in table.iterrows():
        y = len(table) - 1 - i
        for j, domain in enumerate(columns):
            value = overall[row["study_id"]] if domain == "overall" else row[domain]
            colour, symbol = ROB_STYLE.get(value, ("0.8", ""))
            ax.scatter(j, y, s=170, color=colour, edgecolor="white", linewidth=0.5)
            ax.text(
                j,
                y,
                symbol,
                ha="center",
                va="center",
                color="white",
                fontsize=10,
                fontweight="bold",
            )
    ax.set_xticks(range(len(columns)), [c.capitalize() for c in columns], fontsize=10)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(table)), table["study_id"].iloc[::-1], fontsize=10)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(-0.7, len(table) - 0.3)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=c, label=f"{s} {k}", markersize=8)
        for k, (c, s) in ROB_STYLE.items()
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        frameon=False,
        fontsize=10,
    )
    return ax


def page(ds: Dataset) -> Page:
    """The Certainty chapter.

    Keys: :func:`rule_facts` and :func:`grade_facts`; tables ``grade_table``,
    ``grade_rules`` and ``rob_table``; figure ``rob_plot``.
    """
    certainty = certainty_frame(ds)
    rob = read_risk_of_bias(ds.data_dir)
    page = Page("certainty")
    page.facts = rule_facts() | grade_facts(certainty)
    page.table("grade_table", grade_table(certainty))
    page.table("grade_rules", grade_rules_table())
    page.figures["rob_plot"] = risk_of_bias_plot(rob)
    page.table("rob_table", risk_of_bias_table(rob))
    return page
