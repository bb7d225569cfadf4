"""cfn-lint on every synthesized template (both stacks, dev and prod): no errors and no warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint

from infra.console_stack import CONSOLE_STACK_ID
from infra.stack import STACK_ID
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

# Where an agency would deploy: Mexico (Querétaro) and the region most services reach first.
REGIONS = ["mx-central-1", "us-east-1"]
# Rules not applied, each with its reason.
IGNORED_CHECKS = {
    # aws-cdk-lib's lambda.Function adds an explicit DependsOn on its role next to `Role: GetAtt Role.Arn`; the
    # redundancy is harmless and not ours to change (it is CDK's rendering of every function, including the
    # BucketDeployment function CDK adds to the console stack).
    "W3005": "redundant DependsOn rendered by aws-cdk-lib",
}


def test_cfn_lint_finds_nothing_in_either_stack_in_dev_or_prod(
    synthesized: Synthesized, synthesized_prod: Synthesized
) -> None:
    # Given the templates `cdk synth` writes for dev and for prod
    templates = {
        f"{env}/{stack}": Path(app.app.synth().directory) / f"{stack}.template.json"
        for env, app in (("dev", synthesized), ("prod", synthesized_prod))
        for stack in (STACK_ID, CONSOLE_STACK_ID)
    }
    # When cfn-lint checks each of them (errors and warnings, every region above)
    config = ManualArgs(regions=REGIONS, ignore_checks=sorted(IGNORED_CHECKS))
    findings = {
        name: [str(match) for match in lint(path.read_text(), config=config)] for name, path in templates.items()
    }
    # Then there is nothing to report
    assert not any(findings.values()), json.dumps({name: f for name, f in findings.items() if f}, indent=2)
    resources = sum(len(json.loads(path.read_text())["Resources"]) for path in templates.values())
    print(
        f"cfn-lint: 2 environments x 2 stacks, {resources} resources, {len(REGIONS)} regions, 0 findings "
        f"(ignored: {', '.join(IGNORED_CHECKS)})"
    )
