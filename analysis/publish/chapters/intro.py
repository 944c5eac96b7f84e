"""The home page: the summary of findings and the key findings in plain words."""

from __future__ import annotations

import pandas as pd

from ...datapackage import Dataset
from ...review.certainty import certainty_frame
from ...review.completeness import outcome_completeness
from ...review.summary import summary_of_findings
from ...review.synthesis import MARKS, OUTCOMES, synthesise
from ..formatting import fmt_result
from ..page import Page
from ..sof import sof_caveats, sof_footnote, sof_html
from .outcomes import any_certainty_facts, rates_sentence
from .studies import dataset_facts, outcome_completeness_facts


def key_findings(syntheses: dict, certainty: pd.DataFrame, per_outcome: pd.DataFrame) -> str:
    """A few key findings in plain words (MyST list), every number computed.

    Parameters
    ----------
    syntheses : dict
        Outcome -> :class:`~analysis.review.synthesis.RegimenSynthesis` (primary method).
    certainty : DataFrame
        :func:`analysis.review.certainty.certainty_frame`.
    per_outcome : DataFrame
        :func:`analysis.review.completeness.outcome_completeness`.
    """
    lines = []
    for outcome in ("sae", "ae", "clinical_response", "clinical_remission"):
        syn = syntheses[outcome]
        sentence = rates_sentence(syn)
        if syn.any_combination is not None:
            graded = any_certainty_facts(certainty).get(f"{outcome}_any_certainty", "not graded")
            sentence += (
                f" Over every combination (each study once): {fmt_result(syn.any_combination)}"
                f" ({graded})."
            )
        lines.append(f"- **{syn.label}.** {sentence}")
    counts = certainty["certainty"].value_counts()
    low = int(counts.get("Low", 0) + counts.get("Very low", 0))
    lines.append(
        f"- **Certainty.** {low} of the {len(certainty)} rates have low or very low certainty "
        f"({int(counts.get('High', 0))} high, {int(counts.get('Moderate', 0))} moderate): "
        "small, mostly retrospective and uncontrolled series; the rates describe what happened "
        "to treated patients, not what a combination adds over one drug."
    )
    text = "\n".join(lines)
    used = [f"{m} {meaning}" for m, meaning in MARKS.items() if m in text]
    if used:
        lines.append(f"- **Marks.** {'; '.join(used)}.")
    oc = outcome_completeness_facts(per_outcome)
    lines.append(
        f"- **Completeness.** For the combinations whose courses the 2026 review states, our "
        f"public sources hold outcome data for {oc['oc_ours']} of its {oc['oc_paper']} courses "
        f"({oc['oc_pct']}); most of the rest are reported only for whole cohorts."
    )
    return "\n".join(lines)


def page(ds: Dataset) -> Page:
    """The home page.

    Keys: :func:`~analysis.publish.chapters.studies.dataset_facts` and ``sof_note``;
    ``sof`` (HTML: the summary of findings, :func:`analysis.publish.sof.sof_html`);
    ``key_findings`` (MyST, :func:`key_findings`).
    """
    syntheses = {o: synthesise(ds, o) for o in OUTCOMES}
    descriptions = ds.regimens.set_index("regimen")["description"].to_dict()
    page = Page("intro", facts=dataset_facts(ds) | {"sof_note": sof_footnote()})
    page.html["sof"] = sof_html(summary_of_findings(ds), descriptions, caveats=sof_caveats(ds))
    page.markdown["key_findings"] = key_findings(
        syntheses, certainty_frame(ds), outcome_completeness(ds)
    )
    return page
