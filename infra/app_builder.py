"""Builds the CDK app (config from context, the backend and console stacks, cdk-nag); shared by app.py and tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks

from console.build import build as build_console
from infra.catalogue import validate_catalogue
from infra.config import CONTEXT_ENV_SELECTOR, CONTEXT_ENVIRONMENTS, PROJECT_ROOT, EnvironmentConfig
from infra.console_stack import CONSOLE_STACK_ID, ConsoleStack
from infra.stack import STACK_ID, VentanillaStack


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None) -> App:
    """The app `cdk synth` runs. `context` adds to (or, in tests, replaces) what cdk.json / `-c` provide."""
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    config = EnvironmentConfig.from_context(
        app.node.try_get_context(CONTEXT_ENVIRONMENTS), app.node.try_get_context(CONTEXT_ENV_SELECTOR)
    )
    validate_catalogue()  # a bad procedure file fails synth, naming the file
    backend = VentanillaStack(app, STACK_ID, config=config)
    ConsoleStack(app, CONSOLE_STACK_ID, config=config, backend=backend, console_dir=build_console())
    # Every unacknowledged finding of the three packs fails synthesis (acknowledgements: infra/findings.py).
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app), ServerlessChecks(app))
    return app


def cdk_json_context(cdk_json: Path = PROJECT_ROOT / "cdk.json") -> dict[str, Any]:
    """The `context` block of cdk.json: what the CDK CLI would pass, for building the app outside the CLI (tests)."""
    context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    if not isinstance(context, dict):
        raise ValueError(f"{cdk_json}: 'context' must be an object")
    return context
