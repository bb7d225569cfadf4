"""Stream event source mappings, played locally: poll each stream and invoke its function with batches.

Every `AWS::Lambda::EventSourceMapping` of the template whose source is a Kinesis stream or a DynamoDB table's
stream (ventanilla_local/stream_sources.py) is played as Lambda plays it:

- records in order per shard, from the mapping's starting position;
- the mapping's FilterCriteria first: a record goes to the function only if one of its patterns matches it
  (EventBridge pattern syntax applied to the record as Lambda delivers it: `eventName`, `dynamodb.Keys`,
  `dynamodb.NewImage` …; matched by moto's EventBridge pattern matcher); the others count as processed;
- at most BatchSize records per invocation;
- a function error (or an injected `ventanilla fault lambda`) retries the batch, bisecting it when the mapping says
  so; batch item failures (ReportBatchItemFailures) retry from the first reported record; after
  MaximumRetryAttempts the failed records' shard positions (not the records) go to the on-failure queue, in the
  record Lambda writes there (`KinesisBatchInfo` / `DDBStreamBatchInfo`), and the shard moves on.

Not played: MaximumRecordAgeInSeconds, batching windows, parallelization (one batch per shard at a time).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

from ventanilla_local.emulator import Emulator, Physical
from ventanilla_local.functions import FunctionError, FunctionPool
from ventanilla_local.stream_sources import Source, source_for
from ventanilla_local.template import AppTemplate, StreamMapping, stream_mappings

log = logging.getLogger("ventanilla.streams")
POLL_SECONDS = 0.25  # Lambda polls a stream's shards about four times a second
CLOSED_SHARD_CHECK_SECONDS = 5.0


def record_filter(patterns: tuple[dict[str, Any], ...]) -> Callable[[dict[str, Any]], bool]:
    """A mapping's FilterCriteria as a test of one record: no patterns, or one that matches it (Lambda ORs them)."""
    compiled = [EventPattern(json.dumps(p), p) for p in patterns]
    if not compiled:
        return lambda record: True
    # moto types the argument as an EventBridge event; the matcher reads any JSON object (the record, here)
    return lambda record: any(pattern.matches_event(record) for pattern in compiled)  # type: ignore[arg-type]


class StreamPoller:
    def __init__(
        self,
        mapping: StreamMapping,
        source: Source,
        pool: FunctionPool,
        sqs: Any,
        physical: Physical,
        faults: Callable[[str], str | None] | None = None,
        retry_delay: float = 0.1,
    ) -> None:
        self._mapping = mapping
        self._source = source
        self._pool = pool
        self._sqs = sqs
        self._faults = faults
        self._retry_delay = retry_delay
        self._function_arn = physical.attrs.get((mapping.function, "Arn"), mapping.function)
        self._dlq = physical.refs.get(mapping.on_failure) if mapping.on_failure else None
        self._passes = record_filter(mapping.filters)
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{mapping.logical_id}", daemon=True)
        self.delivered = 0
        self.filtered_out = 0
        self.dead_lettered = 0
        self.failed_attempts: Counter[str] = Counter()

    @property
    def mapping(self) -> StreamMapping:
        return self._mapping

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def idle(self) -> bool:
        """The last poll of every shard found nothing new, and no batch is being delivered."""
        return self._idle.is_set()

    def _run(self) -> None:
        try:
            iterators = {s: self._source.iterator(s, self._mapping.starting_position) for s in self._source.shards()}
        except Exception:
            log.exception("cannot read the stream of %s", self._mapping.logical_id)
            self._idle.set()
            return
        checked = time.monotonic()
        while not self._stop.is_set():
            busy = False
            for shard, iterator in list(iterators.items()):
                try:
                    records, following = self._source.read(iterator)
                except Exception:
                    if self._stop.is_set():
                        return
                    log.exception("reading %s failed", shard)
                    continue
                if following is None:
                    del iterators[shard]  # closed; its children are picked up below
                else:
                    iterators[shard] = following
                if records:
                    busy = True
                    self._idle.clear()
                    self._deliver_all(shard, records)
            if time.monotonic() - checked > CLOSED_SHARD_CHECK_SECONDS:
                checked = time.monotonic()
                for shard in self._source.shards():
                    if shard not in iterators and not self._stop.is_set():
                        iterators.setdefault(shard, self._source.iterator(shard, "TRIM_HORIZON"))
            if not busy:
                self._idle.set()
                self._stop.wait(POLL_SECONDS)

    def _deliver_all(self, shard: str, records: list[dict[str, Any]]) -> None:
        kept = [r for r in records if self._passes(r)]
        self.filtered_out += len(records) - len(kept)
        size = max(1, self._mapping.batch_size)
        for start in range(0, len(kept), size):
            self._deliver(shard, kept[start : start + size])

    def _deliver(self, shard: str, records: list[dict[str, Any]]) -> None:
        pending = records
        attempts = 0
        while pending:
            failed_from, crashed = self._invoke(pending)
            if failed_from is None:
                self.delivered += len(pending)
                return
            self.delivered += failed_from
            pending = pending[failed_from:]
            attempts += 1
            self.failed_attempts[self._pool.spec.name] += 1
            if attempts > self._mapping.max_retries:
                self._dead_letter(shard, pending, attempts, crashed)
                return
            if crashed and self._mapping.bisect and len(pending) > 1:
                half = len(pending) // 2
                self._deliver(shard, pending[:half])
                pending = pending[half:]
            time.sleep(min(self._retry_delay * 2**attempts, 2.0))

    def _invoke(self, records: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """(index of the first record to retry, or None when the whole batch succeeded; whether the function failed)."""
        name = self._pool.spec.name
        try:
            injected = self._faults(name) if self._faults else None
            if injected:  # `ventanilla fault lambda --functions NAME`: the invocation fails before the function runs
                raise FunctionError(name, {"errorType": injected, "errorMessage": "injected fault"})
            result = self._pool.invoke(self._source.event(records))
        except (FunctionError, RuntimeError) as error:
            log.warning("%s: stream batch of %d failed: %s", name, len(records), error)
            return 0, True
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return None, False
        sequences = [self._source.sequence(r) for r in records]
        reported = [sequences.index(f["itemIdentifier"]) for f in failures if f.get("itemIdentifier") in sequences]
        return min(reported, default=0), False

    def _dead_letter(self, shard: str, records: list[dict[str, Any]], attempts: int, crashed: bool) -> None:
        self.dead_lettered += len(records)
        if not self._dlq:
            log.error("%s: %d stream records dropped after retries (no on-failure destination)", shard, len(records))
            return
        info_key, info = self._source.batch_info(shard, records)
        body = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if crashed else "",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            info_key: info,
        }
        self._sqs.send_message(QueueUrl=self._dlq, MessageBody=json.dumps(body))


def start_pollers(
    template: AppTemplate,
    emulator: Emulator,
    physical: Physical,
    pools: dict[str, FunctionPool],
    faults: Callable[[str], str | None] | None = None,
) -> list[StreamPoller]:
    sqs = emulator.client("sqs")
    pollers = [
        StreamPoller(m, source_for(m, emulator, physical), pools[m.function], sqs, physical, faults)
        for m in stream_mappings(template)
    ]
    for poller in pollers:
        poller.start()
    return pollers
