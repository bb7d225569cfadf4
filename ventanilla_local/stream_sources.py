"""The streams a mapping reads (ventanilla_local/streams.py), as Lambda sees them: Kinesis, and DynamoDB Streams.

Each source lists its shards, reads records in order, and hands them over in the shape Lambda's event carries them
(a Kinesis record's data base64; a DynamoDB record's `Keys`/`NewImage` in DynamoDB JSON with binary values base64,
its creation time in epoch seconds, `eventSourceARN`), and says what Lambda writes to the on-failure destination
about a batch it gave up on (`KinesisBatchInfo`, `DDBStreamBatchInfo`: the shard positions, not the records).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Protocol

from ventanilla_local.emulator import ACCOUNT, REGION, Emulator, Physical
from ventanilla_local.template import DYNAMODB, KINESIS, StreamMapping

READ_LIMIT = 1000  # records per GetRecords (DynamoDB Streams' maximum); the mapping batches them


class Source(Protocol):
    arn: str

    def shards(self) -> list[str]: ...

    def iterator(self, shard: str, position: str) -> str: ...

    def read(self, iterator: str) -> tuple[list[dict[str, Any]], str | None]:
        """Records (Lambda's shape) and the next iterator (None: the shard is closed)."""
        ...

    def sequence(self, record: dict[str, Any]) -> str: ...

    def event(self, records: list[dict[str, Any]]) -> dict[str, Any]: ...

    def batch_info(self, shard: str, records: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        """The on-failure record's key and value for these records."""
        ...


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class KinesisSource:
    def __init__(self, mapping: StreamMapping, emulator: Emulator, physical: Physical) -> None:
        self._kinesis = emulator.client("kinesis")
        self._name = physical.refs[mapping.source]
        self.arn = physical.attrs[(mapping.source, "Arn")]

    def shards(self) -> list[str]:
        return [s["ShardId"] for s in self._kinesis.list_shards(StreamName=self._name)["Shards"]]

    def iterator(self, shard: str, position: str) -> str:
        return str(
            self._kinesis.get_shard_iterator(StreamName=self._name, ShardId=shard, ShardIteratorType=position)[
                "ShardIterator"
            ]
        )

    def read(self, iterator: str) -> tuple[list[dict[str, Any]], str | None]:
        response = self._kinesis.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
        records = [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r["PartitionKey"],
                    "sequenceNumber": r["SequenceNumber"],
                    "data": base64.b64encode(r["Data"]).decode(),
                    "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{r['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/local",
                "awsRegion": REGION,
                "eventSourceARN": self.arn,
            }
            for r in response["Records"]
        ]
        return records, response.get("NextShardIterator")

    def sequence(self, record: dict[str, Any]) -> str:
        return str(record["kinesis"]["sequenceNumber"])

    def event(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Records": records}

    def batch_info(self, shard: str, records: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        return "KinesisBatchInfo", {
            "shardId": shard,
            "startSequenceNumber": self.sequence(records[0]),
            "endSequenceNumber": self.sequence(records[-1]),
            "approximateArrivalOfFirstRecord": _iso(records[0]["kinesis"]["approximateArrivalTimestamp"]),
            "approximateArrivalOfLastRecord": _iso(records[-1]["kinesis"]["approximateArrivalTimestamp"]),
            "batchSize": len(records),
            "streamArn": self.arn,
        }


def lambda_json(value: Any) -> Any:
    """DynamoDB JSON as boto3 returns it (binary values as bytes) -> as a Lambda event carries it (base64)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {k: lambda_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lambda_json(v) for v in value]
    return value


def dynamodb_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record of GetRecords (DynamoDB Streams, through boto3) as Lambda delivers it to a function."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID"),
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", REGION),
        "dynamodb": lambda_json(stream),
        "eventSourceARN": stream_arn,
    }


class DynamoDBSource:
    """A table's stream (DynamoDB Streams: describe_stream, get_shard_iterator, get_records)."""

    def __init__(self, mapping: StreamMapping, emulator: Emulator, physical: Physical) -> None:
        self._streams = emulator.client("dynamodbstreams")
        self.arn = physical.attrs[(mapping.source, "StreamArn")]

    def shards(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self.arn)["StreamDescription"]
        return [s["ShardId"] for s in description.get("Shards", [])]

    def iterator(self, shard: str, position: str) -> str:
        return str(
            self._streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, ShardIteratorType=position)[
                "ShardIterator"
            ]
        )

    def read(self, iterator: str) -> tuple[list[dict[str, Any]], str | None]:
        response = self._streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
        return [dynamodb_record(r, self.arn) for r in response["Records"]], response.get("NextShardIterator")

    def sequence(self, record: dict[str, Any]) -> str:
        return str(record["dynamodb"]["SequenceNumber"])

    def event(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Records": records}

    def batch_info(self, shard: str, records: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        def created(record: dict[str, Any]) -> str:
            return _iso(float(record["dynamodb"].get("ApproximateCreationDateTime") or 0))

        return "DDBStreamBatchInfo", {
            "shardId": shard,
            "startSequenceNumber": self.sequence(records[0]),
            "endSequenceNumber": self.sequence(records[-1]),
            "approximateArrivalOfFirstRecord": created(records[0]),
            "approximateArrivalOfLastRecord": created(records[-1]),
            "batchSize": len(records),
            "streamArn": self.arn,
        }


def source_for(mapping: StreamMapping, emulator: Emulator, physical: Physical) -> Source:
    if mapping.kind == DYNAMODB:
        return DynamoDBSource(mapping, emulator, physical)
    if mapping.kind == KINESIS:
        return KinesisSource(mapping, emulator, physical)
    raise ValueError(f"no local stream source for {mapping.kind}")
