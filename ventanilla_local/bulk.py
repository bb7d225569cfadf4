"""Bulk import of historical touchpoints (interchange format) and export of touchpoint -> citizen links.

Import runs the same code as live traffic — the canonical `Touchpoint` model, the touchpoint repository's
idempotent write and the identity engine — in file order, one line at a time, so line N is resolved
knowing lines 1..N-1; the resolution's own events (CitizenResolved, merges) go on the bus as live traffic's do.
Its touchpoints are stored marked `imported`, so the table stream's mapping does not announce them
(TouchpointRecorded): the identity function would find each line resolved already and, since a resolved touchpoint
that comes back is taken for a retry after a failed publish, announce its resolution a second time (doubling the
downstream work). Bad lines are reported and skipped before any write: a line is either stored and resolved, or
untouched.

Targets: the local stack started by `ventanilla up` (its state file) by default, or a deployed stack
(`--stack NAME`: its CloudFormation outputs, in AWS or in LocalStack through AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from pydantic import ValidationError

from shared.events import EventBridgePublisher
from shared.exceptions import DuplicateMismatchError, VentanillaError
from shared.identity.engine import IdentityEngine
from shared.identity.hashing import IdentifierHasher
from shared.models.touchpoint import Touchpoint
from shared.repositories.identity import DynamoDBIdentityRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository

if TYPE_CHECKING:
    from shared.privacy.service import PrivacyService


@dataclass(frozen=True)
class Target:
    """Where the data lives: table, bus, identifier key, and how to reach them."""

    table_name: str
    event_bus_name: str
    identity_key_secret_arn: str
    default_phone_region: str
    endpoint_url: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    region: str | None = None
    text_retention_days: int | None = None

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region, **self.credentials)


def local_target(state_dir: Path) -> Target:
    path = state_dir / "state.json"
    if not path.exists():
        raise SystemExit("No running local stack: start it with `make up` (or pass --stack NAME for a deployed one).")
    state = json.loads(path.read_text())
    env = state["identity_environment"]
    return Target(
        table_name=env["TABLE_NAME"],
        event_bus_name=env["EVENT_BUS_NAME"],
        identity_key_secret_arn=env["IDENTITY_KEY_SECRET_ARN"],
        default_phone_region=env["DEFAULT_PHONE_REGION"],
        text_retention_days=int(env["TEXT_RETENTION_DAYS"]) if env.get("TEXT_RETENTION_DAYS") else None,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region=env["AWS_REGION"],
        credentials={
            "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
            "aws_session_token": env["AWS_SESSION_TOKEN"],
        },
    )


def stack_target(stack_name: str, region: str | None = None) -> Target:
    cloudformation = boto3.client("cloudformation", region_name=region)
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = {"TableName", "EventBusName", "IdentityKeySecretArn", "DefaultPhoneRegion"} - set(outputs)
    if missing:
        raise SystemExit(f"stack {stack_name} lacks outputs {sorted(missing)}: deploy the current version first")
    return Target(
        table_name=outputs["TableName"],
        event_bus_name=outputs["EventBusName"],
        identity_key_secret_arn=outputs["IdentityKeySecretArn"],
        default_phone_region=outputs["DefaultPhoneRegion"],
        text_retention_days=int(outputs["TextRetentionDays"]) if outputs.get("TextRetentionDays") else None,
        region=region,
    )


def engine_for(target: Target) -> IdentityEngine:
    dynamodb = target.client("dynamodb")
    secret = target.client("secretsmanager").get_secret_value(SecretId=target.identity_key_secret_arn)["SecretString"]
    return IdentityEngine(
        touchpoints=DynamoDBTouchpointRepository(dynamodb, target.table_name, target.text_retention_days),
        identity=DynamoDBIdentityRepository(dynamodb, target.table_name),
        hasher=IdentifierHasher(secret.encode()),
        publisher=EventBridgePublisher(target.client("events"), target.event_bus_name),
        default_region=target.default_phone_region,
    )


@dataclass
class ImportReport:
    lines: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return sum(self.outcomes.values())

    def summary(self) -> str:
        rate = self.imported / self.seconds if self.seconds else 0.0
        parts = ", ".join(f"{name} {count}" for name, count in sorted(self.outcomes.items()))
        return (
            f"{self.lines} lines: {self.imported} imported ({parts or 'none'}), {len(self.errors)} skipped; "
            f"{self.seconds:.1f} s, {rate:.1f} touchpoints/s"
        )


def _describe(error: ValidationError) -> str:
    problems = []
    for e in error.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in e["loc"])
        problems.append(f"{where}: {e['msg']}" if where else e["msg"])
    return "; ".join(problems)


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="strict") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def import_file(path: Path, engine: IdentityEngine, *, progress: bool = True) -> ImportReport:
    report = ImportReport()
    started = time.perf_counter()
    total = sum(1 for _ in read_lines(path))
    bar = _progress(total, progress)
    try:
        for number, line in read_lines(path):
            report.lines += 1
            bar.update(1)
            try:
                touchpoint = Touchpoint.model_validate_json(line)
            except ValidationError as error:
                report.errors.append((number, _describe(error)))
                continue
            try:
                stored, created = engine.touchpoints.add(touchpoint, imported=True)
                resolution = engine.resolve(touchpoint.touchpoint_id, stored=stored)
            except DuplicateMismatchError:
                report.errors.append((number, "touchpoint_id already used for a different touchpoint"))
                continue
            except VentanillaError as error:  # stored but not resolved: a re-run resumes it
                report.errors.append((number, f"{type(error).__name__}: {error}"))
                continue
            report.outcomes["replayed" if not created and resolution.outcome == "already" else resolution.outcome] += 1
    finally:
        bar.close()
    report.seconds = time.perf_counter() - started
    return report


def export_links(out: Path, engine: IdentityEngine, table_name: str, dynamodb: Any) -> int:
    """One line per touchpoint: its current (post-merge) citizen id, or null (anonymous, under review).

    An administrative bulk export, so it reads the table with a paginated Scan filtered to touchpoints —
    the one place a Scan is acceptable (never on a request path).
    """
    written = 0
    current: dict[str, str | None] = {}
    paginator = dynamodb.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table_name,
        FilterExpression="#t = :touchpoint",
        ProjectionExpression="pk, citizen_id",
        ExpressionAttributeNames={"#t": "type"},
        ExpressionAttributeValues={":touchpoint": {"S": "touchpoint"}},
    )
    with out.open("w", encoding="utf-8") as handle:
        for page in pages:
            items = page.get("Items", [])
            citizens = {i["citizen_id"]["S"] for i in items if "citizen_id" in i} - set(current)
            for citizen_id, record in engine.identity.get_many(citizens).items():
                current[citizen_id] = record.merged_into or record.citizen_id
            for item in items:
                citizen = item.get("citizen_id", {}).get("S")
                touchpoint_id = item["pk"]["S"].removeprefix("TP#")
                handle.write(
                    json.dumps({"touchpoint_id": touchpoint_id, "citizen_id": current.get(citizen or "")}) + "\n"
                )
                written += 1
    return written


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="tp", disable=not enabled, file=sys.stderr, dynamic_ncols=True)


def privacy_service(target: Target) -> PrivacyService:
    """A citizen's export, rectification and erasure, run with the caller's own AWS credentials.

    Imported here, not at the top: the privacy service brings the API layer and its Powertools metrics, which
    read their configuration from the environment at import (the benchmarks import this module first)."""
    from shared.privacy.service import PrivacyService
    from shared.repositories.audit import DynamoDBAuditRepository
    from shared.repositories.cases import DynamoDBCaseRepository
    from shared.repositories.notifications import DynamoDBNotificationRepository
    from shared.repositories.personal_data import DynamoDBPersonalDataRepository

    engine = engine_for(target)
    dynamodb = target.client("dynamodb")
    return PrivacyService(
        identity=DynamoDBIdentityRepository(dynamodb, target.table_name),
        touchpoints=DynamoDBTouchpointRepository(dynamodb, target.table_name),
        cases=DynamoDBCaseRepository(dynamodb, target.table_name),
        notifications=DynamoDBNotificationRepository(dynamodb, target.table_name),
        audit=DynamoDBAuditRepository(dynamodb, target.table_name),
        personal=DynamoDBPersonalDataRepository(dynamodb, target.table_name),
        hasher=engine.hasher,
        default_region=target.default_phone_region,
    )
