"""The AWS side of the local run: an emulator endpoint and the data resources of the template in it.

By default an in-process moto server on 127.0.0.1 (a free port). When AWS_ENDPOINT_URL is set —
LocalStack on a laptop with Docker — that endpoint is used instead and nothing is started.
Resources get names derived from their logical ids plus a run prefix, so parallel runs never clash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from ventanilla_local.template import BUS, QUEUE, SECRET, STREAM, TABLE, AppTemplate, TemplateError

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Emulator:
    """An AWS endpoint: moto server started here, or an external one from AWS_ENDPOINT_URL.

    `middleware` wraps the embedded server's WSGI app (the local fault injector, ventanilla_local/faults.py).
    """

    def __init__(self, endpoint: str | None = None, middleware: Callable[[Any], Any] | None = None) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._middleware = middleware
        self.endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL") or ""
        self.external = bool(self.endpoint)

    def start(self) -> Emulator:
        if not self.endpoint:
            # moto's ThreadedMotoServer, with the app wrapped
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server

            from ventanilla_local import moto_patches

            moto_patches.install()

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per emulator call otherwise

            app: Any = DomainDispatcherApplication(create_backend_app)
            if self._middleware is not None:
                app = self._middleware(app)
            self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
            self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
            self._thread.start()
            self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=LOCAL_CREDENTIALS["AWS_SESSION_TOKEN"],
        )

    def environment(self, access_key_id: str | None = None) -> dict[str, str]:
        """What a function process needs to talk to this emulator (`access_key_id`: the caller's own, so the
        emulator side can tell callers apart, as AWS tells roles apart)."""
        credentials = dict(LOCAL_CREDENTIALS)
        if access_key_id:
            credentials["AWS_ACCESS_KEY_ID"] = access_key_id
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **credentials,
        }


@dataclass
class Physical:
    """Physical names and attributes of what was created, by logical id; resolves intrinsics."""

    refs: dict[str, str] = field(default_factory=dict)
    attrs: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str | int | float | bool) or value is None:
            return value
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if "Ref" in value:
            name = value["Ref"]
            pseudo = {
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            }
            if name in pseudo:
                return pseudo[name]
            if name not in self.refs:
                raise TemplateError(f"no local value for Ref {name}")
            return self.refs[name]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical, attr = target if isinstance(target, list) else target.split(".", 1)
            if (logical, attr) not in self.attrs:
                raise TemplateError(f"no local value for GetAtt {logical}.{attr}")
            return self.attrs[(logical, attr)]
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(str(self.resolve(p)) for p in parts)
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub(m.group(1))), text)
        raise TemplateError(f"intrinsic not supported locally: {list(value)}")

    def _sub(self, name: str) -> Any:
        if "." in name:
            logical, attr = name.split(".", 1)
            return self.resolve({"Fn::GetAtt": [logical, attr]})
        return self.resolve({"Ref": name})


def local_name(prefix: str, logical_id: str, limit: int = 80) -> str:
    name = f"{prefix}-{logical_id}"
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}-{digest}"


def provision(template: AppTemplate, emulator: Emulator, prefix: str) -> Physical:
    """Create the template's tables, buses and queues (rules are wired by the event pump)."""
    physical = Physical()
    _create_queues(template, emulator, prefix, physical)
    _create_tables(template, emulator, prefix, physical)
    _create_buses(template, emulator, prefix, physical)
    _create_secrets(template, emulator, prefix, physical)
    _create_streams(template, emulator, prefix, physical)
    for lid in template.of_type("AWS::KMS::Key"):
        physical.refs[lid] = f"local-{lid}"
        physical.attrs[(lid, "Arn")] = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/local-{lid}"
    for lid, fn in template.functions.items():
        physical.refs[lid] = local_name(prefix, fn.name, 64)
        physical.attrs[(lid, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical.refs[lid]}"
    return physical


def _create_queues(template: AppTemplate, emulator: Emulator, prefix: str, physical: Physical) -> None:
    sqs = emulator.client("sqs")
    for lid, resource in template.of_type(QUEUE).items():
        props = resource.get("Properties") or {}
        attributes = {}
        if "MessageRetentionPeriod" in props:
            attributes["MessageRetentionPeriod"] = str(props["MessageRetentionPeriod"])
        url = sqs.create_queue(QueueName=local_name(prefix, lid), Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        physical.refs[lid] = url
        physical.attrs[(lid, "Arn")] = arn
        physical.attrs[(lid, "QueueUrl")] = url
        physical.attrs[(lid, "QueueName")] = local_name(prefix, lid)


def _create_tables(template: AppTemplate, emulator: Emulator, prefix: str, physical: Physical) -> None:
    dynamodb = emulator.client("dynamodb")
    for lid, resource in template.of_type(TABLE).items():
        props = resource["Properties"]
        name = local_name(prefix, lid, 255)
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if request["BillingMode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(index_kind):
                request[index_kind] = props[index_kind]
        if props.get("StreamSpecification"):
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        description = dynamodb.create_table(**request)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        physical.refs[lid] = name
        physical.attrs[(lid, "Arn")] = description["TableArn"]
        if description.get("LatestStreamArn"):
            physical.attrs[(lid, "StreamArn")] = description["LatestStreamArn"]


def _create_buses(template: AppTemplate, emulator: Emulator, prefix: str, physical: Physical) -> None:
    events = emulator.client("events")
    for lid in template.of_type(BUS):
        name = local_name(prefix, lid, 256)
        arn = events.create_event_bus(Name=name)["EventBusArn"]
        physical.refs[lid] = name
        physical.attrs[(lid, "Arn")] = arn
        physical.attrs[(lid, "Name")] = name


def _create_streams(template: AppTemplate, emulator: Emulator, prefix: str, physical: Physical) -> None:
    """Kinesis streams (one shard each: the local load is small)."""
    kinesis = emulator.client("kinesis")
    for lid in template.of_type(STREAM):
        name = local_name(prefix, lid, 128)
        kinesis.create_stream(StreamName=name, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
        arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        physical.refs[lid] = name
        physical.attrs[(lid, "Arn")] = arn


def _create_secrets(template: AppTemplate, emulator: Emulator, prefix: str, physical: Physical) -> None:
    """Secrets with a generated value get a fresh random one, as Secrets Manager would generate."""
    secretsmanager = emulator.client("secretsmanager")
    for lid, resource in template.of_type(SECRET).items():
        props = resource.get("Properties") or {}
        generator = props.get("GenerateSecretString") or {}
        length = int(generator.get("PasswordLength", 32))
        value = props.get("SecretString") or secrets.token_urlsafe(length)[:length]
        arn = secretsmanager.create_secret(Name=local_name(prefix, lid, 256), SecretString=value)["ARN"]
        physical.refs[lid] = arn


def wire_rules(template: AppTemplate, emulator: Emulator, prefix: str, physical: Physical) -> dict[str, str]:
    """Create each rule in the emulator with every function target replaced by a local queue.

    The emulator does the pattern matching and delivers matching events to the queue; the event
    pump drains it into the function. Returns queue URL by "<rule>/<target id>".
    """
    events, sqs = emulator.client("events"), emulator.client("sqs")
    inboxes = {}
    for rule in template.rules:
        bus = physical.refs.get(rule.bus or "", "default")
        name = local_name(prefix, rule.logical_id, 64)
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(rule.pattern), State="ENABLED")
        targets = []
        for target in rule.targets:
            queue_url = sqs.create_queue(QueueName=local_name(prefix, f"{rule.logical_id}-{target.target_id}"))[
                "QueueUrl"
            ]
            arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            targets.append({"Id": target.target_id, "Arn": arn})
            inboxes[f"{rule.logical_id}/{target.target_id}"] = queue_url
        if targets:
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return inboxes
