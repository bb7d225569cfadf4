"""The case service wired to AWS (DynamoDB, EventBridge, the shipped catalogue)."""

from __future__ import annotations

import boto3

from shared.cases.service import CaseService
from shared.catalogue import get_catalogue
from shared.events import EventBridgePublisher
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.touchpoints import DynamoDBTouchpointRepository


def build_case_service(table_name: str, event_bus_name: str, text_retention_days: int | None = None) -> CaseService:
    """`text_retention_days`: for the touchpoints the service records itself (Open311 requests)."""
    dynamodb = boto3.client("dynamodb")
    return CaseService(
        cases=DynamoDBCaseRepository(dynamodb, table_name),
        touchpoints=DynamoDBTouchpointRepository(dynamodb, table_name, text_retention_days),
        catalogue=get_catalogue(),
        publisher=EventBridgePublisher(boto3.client("events"), event_bus_name),
    )
