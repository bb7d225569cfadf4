"""`ventanilla up` as a user runs it (a separate process), on a free port, with its own state directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from ventanilla_local.emulator import free_port


@dataclass
class Running:
    url: str
    state_dir: Path
    output: list[str]
    keys: dict[str, str]


def _read_keys(state_dir: Path) -> dict[str, str]:
    printed = subprocess.run(
        [sys.executable, "-m", "ventanilla_local.cli", "keys", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)


_TOKENS: dict[tuple[str, str], str] = {}


def operator_headers(app: Running, user: str = "supervisora") -> dict[str, str]:
    """What an operator's call carries: the operator API key, and the ID token of a local operator who signed in
    the way the console does (Cognito's InitiateAuth, answered by the local stand-in)."""
    token = _TOKENS.get((app.url, user))
    if token is None:
        answer = requests.post(
            f"{app.url}/__ventanilla/cognito",
            json={
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": "local-console",
                "AuthParameters": {"USERNAME": user, "PASSWORD": app.keys[f"signin_{user}"]},
            },
            headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        token = _TOKENS[(app.url, user)] = answer.json()["AuthenticationResult"]["IdToken"]
    return {"x-api-key": app.keys["operator"], "Authorization": token}


@pytest.fixture(scope="session")
def ventanilla(cdk_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    state_dir = tmp_path_factory.mktemp("ventanilla-state")
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ventanilla_local.cli",
            "up",
            "--no-synth",
            "--cdk-out",
            str(cdk_out),
            "--port",
            str(port),
            "--state-dir",
            str(state_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=environment,
    )
    output: list[str] = []
    ready = threading.Event()

    def follow() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            if line.startswith("Serving until Ctrl-C"):
                ready.set()

    threading.Thread(target=follow, daemon=True).start()
    deadline = time.monotonic() + 180
    while not ready.is_set() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if not ready.is_set():
        process.kill()
        pytest.fail("ventanilla up did not become ready:\n" + "\n".join(output[-40:]))
    try:
        yield Running(url=f"http://127.0.0.1:{port}", state_dir=state_dir, output=output, keys=_read_keys(state_dir))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
