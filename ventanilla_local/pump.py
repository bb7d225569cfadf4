"""EventBridge rules -> functions, played locally.

Each rule's function target was replaced by a local queue (see emulator.wire_rules), so the emulator
matches patterns exactly as the template says. The pump drains each queue into its function as an
asynchronous invocation: failures are retried as many times as the function's async retry setting
allows (Lambda's default is 2), then the event goes to the rule target's dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from ventanilla_local.emulator import ACCOUNT, REGION, Emulator, Physical
from ventanilla_local.functions import FunctionError, FunctionPool
from ventanilla_local.template import AppTemplate, RuleTarget

log = logging.getLogger("ventanilla.events")


def as_delivered_by_eventbridge(event: dict[str, Any], offset: timedelta = timedelta()) -> dict[str, Any]:
    """Complete the envelope the way EventBridge delivers it to a function (moto leaves out `account`), its time
    on the runtime's clock (real time plus what `ventanilla clock advance` added)."""
    delivered = {"version": "0", "account": ACCOUNT, "region": REGION, "resources": [], **event}
    if offset and isinstance(event.get("time"), str):
        moment = datetime.fromisoformat(event["time"].replace("Z", "+00:00")) + offset
        delivered["time"] = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


class EventPump:
    def __init__(
        self,
        template: AppTemplate,
        emulator: Emulator,
        physical: Physical,
        inboxes: dict[str, str],
        pools: dict[str, FunctionPool],
        retry_delay: float = 0.2,
        clock_offset: Callable[[], timedelta] = timedelta,
        faults: Callable[[str], str | None] | None = None,
    ) -> None:
        self._clock_offset = clock_offset
        self._faults = faults
        self._sqs = emulator.client("sqs")
        self._physical = physical
        self._pools = pools
        self._retry_delay = retry_delay
        self._stop = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._routes: list[tuple[str, RuleTarget]] = []
        for rule in template.rules:
            for target in rule.targets:
                self._routes.append((inboxes[f"{rule.logical_id}/{target.target_id}"], target))
        self._executor = ThreadPoolExecutor(max_workers=max(2, 2 * len(self._routes)), thread_name_prefix="deliver")
        self.delivered = 0
        self.dead_lettered = 0
        self.failed_attempts: Counter[str] = Counter()  # by function: attempts that failed (then retried or parked)

    def start(self) -> None:
        for queue_url, target in self._routes:
            thread = threading.Thread(target=self._drain, args=(queue_url, target), daemon=True, name="pump")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=3)
        self._executor.shutdown(wait=True, cancel_futures=False)

    def idle(self) -> bool:
        """No event waiting in any rule queue and none being delivered."""
        with self._lock:
            if self._in_flight:
                return False
        for queue_url, _ in self._routes:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if int(attributes["ApproximateNumberOfMessages"]) or int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            ):
                return False
        with self._lock:
            return self._in_flight == 0

    def _drain(self, queue_url: str, target: RuleTarget) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
                ).get("Messages", [])
            except Exception:  # the emulator is going away
                if self._stop.is_set():
                    return
                log.exception("receiving from %s failed", queue_url)
                time.sleep(1)
                continue
            if messages:
                with self._lock:
                    self._in_flight += len(messages)
            for message in messages:
                self._executor.submit(self._deliver, queue_url, target, message)

    def _deliver(self, queue_url: str, target: RuleTarget, message: dict[str, Any]) -> None:
        try:
            event = as_delivered_by_eventbridge(json.loads(message["Body"]), self._clock_offset())
            pool = self._pools[target.function]
            attempts = 1 + pool.spec.max_retries
            error: Exception | None = None
            for attempt in range(attempts):
                try:
                    injected = self._faults(pool.spec.name) if self._faults else None
                    if injected:  # `ventanilla fault lambda`: the delivery fails before the function runs
                        raise FunctionError(pool.spec.name, {"errorType": injected, "errorMessage": "injected fault"})
                    pool.invoke(event)
                    self.delivered += 1
                    break
                except (FunctionError, RuntimeError) as failure:
                    error = failure
                    with self._lock:
                        self.failed_attempts[pool.spec.name] += 1
                    log.warning("%s failed (attempt %d of %d): %s", pool.spec.name, attempt + 1, attempts, failure)
                    time.sleep(self._retry_delay * (2**attempt))
            else:
                self._dead_letter(target, message["Body"], error)
            self._sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        finally:
            with self._lock:
                self._in_flight -= 1

    def _dead_letter(self, target: RuleTarget, body: str, error: Exception | None) -> None:
        self.dead_lettered += 1
        if target.dead_letter_queue is None:
            log.error("event for %s dropped after retries and no dead-letter queue: %s", target.function, error)
            return
        self._sqs.send_message(
            QueueUrl=self._physical.refs[target.dead_letter_queue],
            MessageBody=body,
            MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": "FunctionError"},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": str(error)[:1000]},
                "TARGET": {"DataType": "String", "StringValue": target.function},
            },
        )
