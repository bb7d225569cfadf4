"""Fixtures shared by the integration and end-to-end layers: one synthesized app per test session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).resolve().parent / "events"
CHANNELS = ("phone", "messaging", "email", "chat", "social", "web", "mobile", "office")


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cdk synth` with the pinned CLI, exactly as `ventanilla up` runs it, into a private directory."""
    from ventanilla_local.cli import synth

    return synth(ROOT, tmp_path_factory.mktemp("assembly") / "cdk.out")


LAYERS = ("unit", "infra", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test belongs to a layer: `make test` selects by layer, so an unmarked test would never run."""
    unmarked = [item.nodeid for item in items if not any(item.get_closest_marker(layer) for layer in LAYERS)]
    if unmarked:
        raise pytest.UsageError(f"tests without a layer marker ({', '.join(LAYERS)}): {', '.join(unmarked[:10])}")
