"""Hand-made data packages for tests: a few studies, arms and counts, the real schema."""

import csv
import json
import shutil

from analysis import paths
from analysis.datapackage import TABLES


def _write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row.get(key, "") for key in header})


def write_package(root, studies, arms, outcomes, published=(), *, living=()):
    """Write a valid data package into ``root`` (drugs and regimens copied from data/).

    ``studies``: (study_id, publication_type, overlaps_with[, design]); ``arms``: (arm_id,
    agent_a, agent_b, regimen, regimens_included, n_patients, n_trials); ``outcomes``:
    (arm_id, outcome, events, total, timepoint, analysed); ``published``: (regimen,
    outcome, estimate_pct, trials); study ids in ``living`` get review_version "living".
    """
    root.mkdir(parents=True, exist_ok=True)
    package = json.loads((paths.DATA / "datapackage.json").read_text())
    package["resources"] = [r for r in package["resources"] if r["name"] in TABLES]
    (root / "datapackage.json").write_text(json.dumps(package))
    headers = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in package["resources"]}
    for name in ("drugs", "regimens"):
        shutil.copy(paths.DATA / f"{name}.csv", root / f"{name}.csv")
    _write(
        root / "studies.csv",
        headers["studies"],
        [
            {
                "study_id": s[0],
                "citation": f"{s[0]} et al.",
                "url": f"https://example.org/{s[0]}",
                "design": s[3] if len(s) > 3 else "retrospective",
                "publication_type": s[1],
                "population": "adult",
                "disease": "IBD",
                "review_version": "living" if s[0] in living else "2026",
                "search_date": "2026-11-24" if s[0] in living else "2024-01-31",
                "inclusion_status": "candidate",
                "overlaps_with": s[2],
            }
            for s in studies
        ],
    )
    _write(
        root / "arms.csv",
        headers["arms"],
        [
            {
                "arm_id": arm,
                "study_id": arm.split("/")[0],
                "agent_a": a,
                "agent_b": b,
                "regimen": reg,
                "regimens_included": inc,
                "n_patients": n,
                "n_trials": t,
                "source": "https://example.org/x",
                "locator": "Table 1",
                "kind": "primary",
                "quote": f"{n} patients" if n else "",
            }
            for arm, a, b, reg, inc, n, t in arms
        ],
    )
    _write(
        root / "outcomes.csv",
        headers["outcomes"],
        [
            {
                "arm_id": arm,
                "outcome": o,
                "events": e,
                "total": n,
                "timepoint": tp,
                "analysed": analysed,
                "source": "https://example.org/x",
                "locator": "Table 2",
                "kind": "primary",
                "quote": f"{e} of {n}",
            }
            for arm, o, e, n, tp, analysed in outcomes
        ],
    )
    _write(
        root / "published.csv",
        headers["published"],
        [
            {
                "review": "anderson2026",
                "regimen": reg,
                "outcome": o,
                "estimate_pct": est,
                "trials": tts,
                "source": "https://example.org/paper",
                "locator": "abstract",
            }
            for reg, o, est, tts in published
        ],
    )
    return root
