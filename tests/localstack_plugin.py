"""pytest plugin for `make test-localstack`: start LocalStack (community 4.14) in Docker for the session.

The suite then runs exactly as usual, except that AWS_ENDPOINT_URL points at LocalStack, so the local
runtime creates the template's tables, bus, rules and queues there instead of in the embedded moto server.
Needs a Docker engine; the default path (and CI) use the embedded emulator.
"""

from __future__ import annotations

import os

import pytest

LOCALSTACK_VERSION = "4.14"  # the last community image that runs without an auth token
SERVICES = ["dynamodb", "dynamodbstreams", "events", "sqs", "sns", "kms"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("AWS_ENDPOINT_URL"):
        return  # an already-running LocalStack was given
    import docker
    from pytest_localstack.session import LocalstackSession

    session = LocalstackSession(docker.from_env(), services=SERVICES, localstack_version=LOCALSTACK_VERSION)
    session.start(timeout=180)
    os.environ["AWS_ENDPOINT_URL"] = session.endpoint_url("dynamodb")
    config.stash[_SESSION] = session


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is not None:
        session.stop()


_SESSION = pytest.StashKey[object]()
