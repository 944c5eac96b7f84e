"""The GitHub Actions workflow is valid (schema bundled with check-jsonschema, offline)."""

import json
from importlib import resources

import jsonschema
import yaml

from analysis import paths

WORKFLOW = paths.ROOT / ".github" / "workflows" / "book.yml"


def _schema():
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "github-workflows.json").read_text(encoding="utf-8"))


def _workflow():
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1); GitHub reads YAML 1.2.
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_workflow_matches_the_github_workflows_schema():
    jsonschema.validate(_workflow(), _schema())


def test_schema_catches_a_broken_workflow():
    broken = _workflow()
    broken["jobs"]["build"]["runs-on"] = 5
    del broken["jobs"]["build"]["steps"]
    try:
        jsonschema.validate(broken, _schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("an invalid workflow passed the schema")


def test_workflow_triggers_tests_build_and_pages_deploy():
    wf = _workflow()
    triggers = wf["on"]
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    assert triggers["schedule"][0]["cron"].split()[4] != "*"  # weekly
    # every push (including one that only changes data/) runs: no path filter
    assert not (triggers["push"] or {}).get("paths")
    steps = wf["jobs"]["build"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    uses = [s.get("uses", "") for s in steps]
    assert "make test" in runs and "make book" in runs
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
    assert "pull_request" in deploy["if"]  # pull requests never deploy
