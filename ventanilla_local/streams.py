"""Kinesis event source mappings, played locally: poll each stream and invoke its function with batches.

As Lambda does for Kinesis: records in order per shard, at most BatchSize per invocation; a function error
(or the batch item failures it reports) retries from the first failed record up to MaximumRetryAttempts
(bisecting the batch when the mapping says so), then the failed records' metadata go to the on-failure
queue and the shard moves on.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Any

from ventanilla_local.emulator import REGION, Emulator, Physical
from ventanilla_local.functions import FunctionError, FunctionPool
from ventanilla_local.template import AppTemplate, StreamMapping, stream_mappings

log = logging.getLogger("ventanilla.streams")
POLL_SECONDS = 0.2


def kinesis_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    return {
        "Records": [
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
                "invokeIdentityArn": "arn:aws:iam::000000000000:role/local",
                "awsRegion": REGION,
                "eventSourceARN": stream_arn,
            }
            for r in records
        ]
    }


class StreamPoller:
    def __init__(self, mapping: StreamMapping, emulator: Emulator, physical: Physical, pool: FunctionPool) -> None:
        self._mapping = mapping
        self._kinesis = emulator.client("kinesis")
        self._sqs = emulator.client("sqs")
        self._stream = physical.refs[mapping.stream]
        self._arn = physical.attrs[(mapping.stream, "Arn")]
        self._dlq = physical.refs.get(mapping.on_failure) if mapping.on_failure else None
        self._pool = pool
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{mapping.logical_id}", daemon=True)
        self.delivered = 0
        self.dead_lettered = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def idle(self) -> bool:
        return self._idle.is_set()

    def _run(self) -> None:
        shards = self._kinesis.list_shards(StreamName=self._stream)["Shards"]
        iterators = {
            s["ShardId"]: self._kinesis.get_shard_iterator(
                StreamName=self._stream, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for s in shards
        }
        while not self._stop.is_set():
            busy = False
            for shard, iterator in list(iterators.items()):
                response = self._kinesis.get_records(ShardIterator=iterator, Limit=self._mapping.batch_size)
                iterators[shard] = response["NextShardIterator"]
                if response["Records"]:
                    busy = True
                    self._idle.clear()
                    self._deliver(response["Records"])
            if not busy:
                self._idle.set()
                self._stop.wait(POLL_SECONDS)

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        pending = records
        attempts = 0
        while pending:
            failed_from = self._invoke(pending)
            if failed_from is None:
                self.delivered += len(pending)
                return
            self.delivered += failed_from
            pending = pending[failed_from:]
            attempts += 1
            if attempts > self._mapping.max_retries:
                self._dead_letter(pending)
                return
            if self._mapping.bisect and len(pending) > 1 and not self._mapping.reports_item_failures:
                half = len(pending) // 2
                self._deliver(pending[:half])
                pending = pending[half:]
            time.sleep(min(0.1 * 2**attempts, 2.0))

    def _invoke(self, records: list[dict[str, Any]]) -> int | None:
        """Index of the first record to retry, or None when the whole batch succeeded."""
        try:
            result = self._pool.invoke(kinesis_event(records, self._arn))
        except FunctionError as error:
            log.warning("stream batch failed", extra={"function": self._mapping.function, "error": str(error)})
            return 0
        failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return None
        sequence_numbers = [r["SequenceNumber"] for r in records]
        first = min(
            (
                sequence_numbers.index(f["itemIdentifier"])
                for f in failures
                if f.get("itemIdentifier") in sequence_numbers
            ),
            default=0,
        )
        return first

    def _dead_letter(self, records: list[dict[str, Any]]) -> None:
        self.dead_lettered += len(records)
        if not self._dlq:
            log.error("stream records dropped after retries (no on-failure destination)")
            return
        body = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": self._mapping.function},
            "KinesisBatchInfo": {
                "shardId": "shardId-000000000000",
                "startSequenceNumber": records[0]["SequenceNumber"],
                "endSequenceNumber": records[-1]["SequenceNumber"],
                "batchSize": len(records),
                "streamArn": self._arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._dlq, MessageBody=json.dumps(body))


def start_pollers(
    template: AppTemplate, emulator: Emulator, physical: Physical, pools: dict[str, FunctionPool]
) -> list[StreamPoller]:
    pollers = [StreamPoller(m, emulator, physical, pools[m.function]) for m in stream_mappings(template)]
    for poller in pollers:
        poller.start()
    return pollers
