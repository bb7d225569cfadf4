"""Data stewardship: review tasks, manual merges and splits.

GET /v1/reviews · POST /v1/reviews/{review_id}/decision · POST /v1/citizens/{citizen_id}/merge ·
POST /v1/citizens/{citizen_id}/split · PUT /v1/citizens/{citizen_id}/preferences
"""

from functools import lru_cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.stewardship.models import (
    DecideReviewRequest,
    MergeCitizensRequest,
    ReviewListResponse,
    SplitCitizenRequest,
    SplitResponse,
)
from shared.api import create_resolver
from shared.auth import acting, operator_guard
from shared.config import get_stewardship_settings
from shared.exceptions import NotFoundError, ValidationFailedError
from shared.identity.engine import IdentityEngine
from shared.identity.factory import build_engine
from shared.models.citizen import MergeRecord, ReviewTask
from shared.models.events import CitizensMerged
from shared.models.notification import Preferences
from shared.observability import count_alone, logger, metrics, tracer
from shared.repositories.notifications import DynamoDBNotificationRepository

app = create_resolver(guards=[operator_guard(lambda: get_stewardship_settings().operator_key_ids)])


@lru_cache(maxsize=1)
def get_engine() -> IdentityEngine:
    return build_engine(get_stewardship_settings())


@app.get("/v1/reviews", summary="Open review tasks, oldest first", tags=["stewardship"])
@tracer.capture_method
def handle_list_reviews(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query(max_length=2048)] = None
) -> ReviewListResponse:
    reviews, next_cursor = get_engine().identity.open_reviews(limit, cursor)
    return ReviewListResponse(reviews=reviews, next_cursor=next_cursor)


@app.post("/v1/reviews/<review_id>/decision", summary="Accept or reject a review task", tags=["stewardship"])
@tracer.capture_method
def handle_decide_review(
    review_id: Annotated[str, Path(pattern=r"^rev-[0-9a-f]{32}$")], request: Annotated[DecideReviewRequest, Body()]
) -> ReviewTask:
    decided = get_engine().decide(
        review_id,
        accept=request.decision == "accept",
        actor=acting(app.current_event.raw_event, request.actor),
        chosen_citizen_id=request.citizen_id,
        reason=request.reason,
    )
    count_alone("ReviewsDecided")  # the review queue's outflow
    logger.info("review decided", extra={"review_id": review_id, "decision": request.decision})
    return decided


@app.post("/v1/citizens/<citizen_id>/merge", summary="Fold another citizen into this one", tags=["stewardship"])
@tracer.capture_method
def handle_merge_citizens(
    citizen_id: Annotated[str, Path(pattern=r"^cit-[0-9a-f]{32}$")], request: Annotated[MergeCitizensRequest, Body()]
) -> MergeRecord:
    engine = get_engine()
    merge = engine.merge(
        citizen_id,
        request.citizen_id,
        rule="manual",
        actor=acting(app.current_event.raw_event, request.actor),
        reason=request.reason,
    )
    engine.publisher.publish(
        [CitizensMerged(survivor_id=merge.survivor, absorbed_id=merge.absorbed, merge_id=merge.merge_id, rule="manual")]
    )
    logger.info("citizens merged", extra={"merge_id": merge.merge_id})
    return merge


@app.post("/v1/citizens/<citizen_id>/split", summary="Undo a merge, with a reason", tags=["stewardship"])
@tracer.capture_method
def handle_split_citizen(
    citizen_id: Annotated[str, Path(pattern=r"^cit-[0-9a-f]{32}$")], request: Annotated[SplitCitizenRequest, Body()]
) -> SplitResponse:
    engine = get_engine()
    merge = engine.identity.get_merge(request.merge_id)
    if merge is None or citizen_id not in (merge.survivor, merge.absorbed):
        raise ValidationFailedError(f"merge {request.merge_id} does not involve citizen {citizen_id}")
    undone, survivor, restored = engine.split(
        request.merge_id, reason=request.reason, actor=acting(app.current_event.raw_event, request.actor)
    )
    logger.info("citizen split", extra={"merge_id": request.merge_id})
    return SplitResponse(merge=undone, citizen_id=survivor, restored_citizen_id=restored)


@app.put(
    "/v1/citizens/<citizen_id>/preferences",
    summary="How the citizen wants to be told about their cases: a channel (email, sms, whatsapp) and a language",
    tags=["stewardship"],
)
@tracer.capture_method
def handle_set_preferences(
    citizen_id: Annotated[str, Path(pattern=r"^cit-[0-9a-f]{32}$")], request: Annotated[Preferences, Body()]
) -> Preferences:
    engine = get_engine()
    record = engine.identity.get(citizen_id)
    if record is None:
        raise NotFoundError(f"citizen {citizen_id} not found")
    survivor = record.merged_into or record.citizen_id  # preferences belong to the person, kept on the survivor
    DynamoDBNotificationRepository(boto3.client("dynamodb"), get_stewardship_settings().table_name).set_preferences(
        survivor, request
    )
    logger.info("preferences set", extra={"channel": request.channel, "language": request.language})
    return request


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
