"""Phone channel: call records from the contact centre, and Amazon Connect contact records.

POST /v1/channels/phone/touchpoints — the generic call record (channel API key).
POST /v1/channels/phone/connect — one Connect contact record or a list of them (channel API key).
Kinesis — the Connect contact record export stream (one record per Kinesis record; partial batch responses).
"""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.phone import connect
from functions.phone.adapter import to_touchpoint
from functions.phone.models import PhoneTouchpointRequest
from shared.ingest import api as ingest
from shared.models.touchpoint import Channel
from shared.observability import logger, metrics, tracer

CONNECT_PATH = "/v1/channels/phone/connect"

app = ingest.build_ingest_app(
    Channel.PHONE, PhoneTouchpointRequest, to_touchpoint, summary="Record a phone call", keyed_paths=(CONNECT_PATH,)
)


@app.post(
    CONNECT_PATH,
    summary="Record Amazon Connect contact records (one object or a list)",
    tags=["channel: phone"],
    operation_id="post_phone_connect_records",
    responses={
        200: {"description": "Recorded: touchpoint ids accepted or replayed, unusable records by index"},
        400: {"description": "Not JSON, or neither a contact record nor a list of them"},
        403: {"description": "Missing API key or key of another channel"},
        503: {"description": "Throttled: retry (after Retry-After)"},
    },
)
@tracer.capture_method
def handle_connect_records() -> Response[Any]:
    event = app.current_event
    try:
        parsed = connect.parse_contact_records(connect.load_body(event.body, bool(event.is_base64_encoded)))
    except connect.ContactRecordError as error:
        return ingest.refuse(HTTPStatus.BAD_REQUEST, "bad_request", str(error))
    return ingest.record_parsed_webhook(Channel.PHONE, connect.PROVIDER, parsed)


def _handle_stream(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes: list[connect.StreamOutcome] = []

    def store(record: KinesisStreamRecord) -> None:
        outcomes.append(connect.store_stream_record(record.kinesis.data, ingest.get_repository()))

    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
    response = process_partial_response(event=event, record_handler=store, processor=processor, context=context)
    metrics.add_dimension(name="channel", value=Channel.PHONE.value)
    metrics.add_metric(name="TouchpointsAccepted", unit=MetricUnit.Count, value=outcomes.count("stored"))
    metrics.add_metric(name="TouchpointsReplayed", unit=MetricUnit.Count, value=outcomes.count("replayed"))
    skipped = outcomes.count("skipped") + outcomes.count("conflict")
    metrics.add_metric(name="ContactRecordsSkipped", unit=MetricUnit.Count, value=skipped)
    logger.info(
        "contact records processed",
        extra={
            "records": len(event.get("Records") or []),
            "stored": outcomes.count("stored"),
            "replayed": outcomes.count("replayed"),
            "skipped": outcomes.count("skipped"),
            "conflicts": outcomes.count("conflict"),
            "failed": len(processor.fail_messages),
        },
    )
    return dict(response)


def _is_kinesis(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return bool(records) and isinstance(records, list) and records[0].get("eventSource") == "aws:kinesis"


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if _is_kinesis(event):
        return _handle_stream(event, context)
    return app.resolve(event, context)
