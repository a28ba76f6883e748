"""Delivers what the deployed stack wires to its functions besides HTTP: schedule ticks and SQS messages.

EventBridge rules deliver to their targets inside the emulator (moto puts matching events on SQS queues); the
SQS event source mappings of the stack then poll those queues here and invoke their functions with SQS events,
deleting what the function processed and leaving the rest for the queue's redrive policy, as Lambda does. A
mapping's ScalingConfig.MaximumConcurrency is the number of its pollers, so at most that many invocations of it run
at once; without one, a single poller.
"""

import hashlib
import json
import logging
import re
import threading
from typing import Any

import boto3
from moto.sqs.models import sqs_backends

from .faults import EmulatorClock
from .lambda_runtime import InvocationError, LambdaService

log = logging.getLogger("hybrid_local.triggers")

RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    found = RATE.fullmatch(expression.strip())
    if not found:
        return None
    return int(found.group(1)) * UNIT_SECONDS[found.group(2).rstrip("s")]


class Schedules:
    """EventBridge Scheduler schedules that target functions; rate() expressions tick on their own."""

    def __init__(self, schedules: list[dict[str, Any]], lambdas: LambdaService):
        self.lambdas = lambdas
        self.schedules = {
            s["Name"]: s for s in schedules if ":lambda:" in s["Target"]["Arn"] or ":function:" in s["Target"]["Arn"]
        }
        self.stopping = threading.Event()

    def start(self) -> None:
        for schedule in self.schedules.values():
            seconds = rate_seconds(schedule["ScheduleExpression"])
            if seconds and schedule.get("State", "ENABLED") == "ENABLED":
                threading.Thread(
                    target=self._run, args=(schedule, seconds), name=f"schedule-{schedule['Name']}", daemon=True
                ).start()
            elif not seconds:
                log.warning("schedule %s: only rate() expressions tick by themselves; use tick()", schedule["Name"])

    def tick(self, name: str) -> Any:
        """Delivers one tick now, as the scheduler would at its next due time."""
        schedule = self.schedules[name]
        target = schedule["Target"]
        # A templated Lambda target receives the target's Input verbatim; without one, an empty object.
        event = json.loads(target["Input"]) if target.get("Input") else {}
        return self.lambdas.invoke(target["Arn"], event)

    def _run(self, schedule: dict[str, Any], seconds: int) -> None:
        while not self.stopping.wait(seconds):
            try:
                self.tick(schedule["Name"])
            except InvocationError as error:
                log.warning("schedule %s: %s", schedule["Name"], error)

    def stop(self) -> None:
        self.stopping.set()


class QueuePollers:
    """The stack's SQS event source mappings."""

    def __init__(
        self,
        mappings: list[dict[str, Any]],
        lambdas: LambdaService,
        endpoint_url: str,
        region: str,
        account_id: str,
        clock: EmulatorClock,
    ):
        self.mappings = [
            m for m in mappings if m["EventSourceArn"].startswith("arn:aws:sqs:") and m.get("State") != "Disabled"
        ]
        self.lambdas = lambdas
        self.sqs = boto3.client(
            "sqs", endpoint_url=endpoint_url, region_name=region, aws_access_key_id="test", aws_secret_access_key="test"
        )
        self.region, self.account_id = region, account_id
        self.clock = clock
        self.stopping = threading.Event()

    def start(self) -> None:
        for mapping in self.mappings:
            self._detach_moto_trigger(mapping)
            for poller in range(self.concurrency(mapping)):
                threading.Thread(
                    target=self._poll, args=(mapping,), name=f"sqs-{mapping['UUID'][:8]}-{poller}", daemon=True
                ).start()

    @staticmethod
    def concurrency(mapping: dict[str, Any]) -> int:
        """Invocations of the mapping that may run at once: its MaximumConcurrency, else one."""
        maximum = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        return max(1, int(maximum)) if maximum else 1

    def _detach_moto_trigger(self, mapping: dict[str, Any]) -> None:
        """moto delivers a queue's messages to its mapped function itself, on send, through Docker, and drops them
        when that fails; these pollers deliver them instead, as Lambda's pollers do."""
        queue_name = mapping["EventSourceArn"].rsplit(":", 1)[1]
        queue = sqs_backends[self.account_id][self.region].queues.get(queue_name)
        if queue is not None:
            queue.lambda_event_source_mappings.pop(mapping["FunctionArn"], None)

    def _poll(self, mapping: dict[str, Any]) -> None:
        queue_arn = mapping["EventSourceArn"]
        queue_name = queue_arn.rsplit(":", 1)[1]
        queue_url = self.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        batch_size = min(10, mapping.get("BatchSize", 10))
        reports_failures = "ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", [])
        while not self.stopping.is_set():
            try:
                received = self.sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=batch_size,
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except Exception as error:  # the emulator is going away
                if not self.stopping.is_set():
                    log.warning("polling %s: %s", queue_name, error)
                return
            messages = received.get("Messages", [])
            if messages:
                self._deliver(mapping, queue_arn, queue_url, messages, reports_failures)

    def _deliver(
        self,
        mapping: dict[str, Any],
        queue_arn: str,
        queue_url: str,
        messages: list[dict[str, Any]],
        reports_failures: bool,
    ) -> None:
        event = {"Records": [self._record(m, queue_arn) for m in messages]}
        try:
            result = self.lambdas.invoke(mapping["FunctionArn"], event)
        except InvocationError as error:
            log.warning("%s failed on %d messages: %s", mapping["FunctionArn"], len(messages), error)
            return
        failed = set()
        if reports_failures and isinstance(result, dict):
            failed = {f.get("itemIdentifier") for f in result.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )

    def _record(self, message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
        attributes = message.get("Attributes", {})
        # moto stamps messages in real time; the function runs on the emulator clock, so its record carries them
        # moved by the clock's offset (the offset of now: a message sent before the clock moved moves with it).
        offset_ms = int(self.clock.offset_seconds * 1000)
        now_ms = str(int(self.clock.now() * 1000))

        def timestamp(name: str) -> str:
            return str(int(attributes[name]) + offset_ms) if name in attributes else now_ms

        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {
                "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                "SentTimestamp": timestamp("SentTimestamp"),
                "SenderId": attributes.get("SenderId", self.account_id),
                "ApproximateFirstReceiveTimestamp": timestamp("ApproximateFirstReceiveTimestamp"),
            },
            "messageAttributes": {
                k: {"stringValue": v.get("StringValue"), "dataType": v.get("DataType")}
                for k, v in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": self.region,
        }

    def stop(self) -> None:
        self.stopping.set()
