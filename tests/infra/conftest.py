"""One synthesized Ventanilla app (dev context from cdk.json, cdk-nag on) shared by every infra test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra.app_builder import build_app, cdk_json_context
from infra.stack import STACK_ID


@dataclass(frozen=True)
class Synthesized:
    app: App
    stack: Stack
    template: Template
    outdir: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.to_json()["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {logical_id: r for logical_id, r in self.resources.items() if r["Type"] == resource_type}


def build_test_app(outdir: Path, **overrides: Any) -> App:
    """The app as `cdk synth` builds it: cdk.json context, dev, and asset metadata (which the CLI turns on)."""
    context = {**cdk_json_context(), "env": "dev", "aws:cdk:enable-asset-metadata": True, **overrides}
    return build_app(context, outdir=str(outdir))


def _synthesize(outdir: Path, **overrides: Any) -> Synthesized:
    app = build_test_app(outdir, **overrides)
    stack = app.node.find_child(STACK_ID)
    assert isinstance(stack, Stack)
    # Template.from_stack synthesizes the whole app once (bundling and cdk-nag included); app.synth() reuses it.
    template = Template.from_stack(stack)
    return Synthesized(app=app, stack=stack, template=template, outdir=outdir)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def synthesized_prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The same app as `cdk synth -c env=prod` builds it (WAF, backup plan, reserved concurrency, retained data)."""
    return _synthesize(tmp_path_factory.mktemp("cdk.out.prod"), env="prod")
