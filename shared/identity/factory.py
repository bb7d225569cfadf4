"""The identity engine wired to AWS (DynamoDB, EventBridge, the Secrets Manager key) from settings."""

from __future__ import annotations

import boto3

from shared.config import IdentitySettings
from shared.events import EventBridgePublisher
from shared.identity.engine import IdentityEngine
from shared.identity.hashing import load_hasher
from shared.repositories.identity import DynamoDBIdentityRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository


def build_engine(settings: IdentitySettings) -> IdentityEngine:
    dynamodb = boto3.client("dynamodb")
    return IdentityEngine(
        touchpoints=DynamoDBTouchpointRepository(dynamodb, settings.table_name),
        identity=DynamoDBIdentityRepository(dynamodb, settings.table_name),
        hasher=load_hasher(settings.identity_key_secret_arn),
        publisher=EventBridgePublisher(boto3.client("events"), settings.event_bus_name),
        default_region=settings.default_phone_region,
    )
