"""A burst of first boots: N machines enroll, then register at once with the fake SSM agent, while the
emulator throttles AddTagsToResource. Measures the registration step of the deployed template: the time until
the last instance is tagged, the registration function's SSM calls per registration, and the messages sent.

    python3 bench/registration_burst.py [--machines 1000] [--tag-rate 2] [--workers 4]

Writes target/bench/registration-burst.json and .md. The stack runs with the template's defaults
(RegistrationSsmCallsPerSecond 4, RegistrationMaximumConcurrency 2, a digest threshold of 10 a 5-minute window);
the sweep's schedule is stopped so that every registration is handled through its events, as the measurement
intends. Activation codes stay in memory and go to the burst driver on its stdin only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchstack import PROJECT, RESULTS, BenchStack, configure_logging, log  # noqa: E402

import boto3  # noqa: E402

REGISTERED_AT = "hybrid-onboarding:registered-at"
BURST_DRIVER = PROJECT / "local" / "fake-ssm-burst"
RETRIED = (429, 502, 503, 504)


def enroll(api_url: str, token: str, hostname: str) -> dict[str, str]:
    """POST /v1/activations as the install script does, retrying what it retries."""
    body = json.dumps({"hostname": hostname, "platform": "linux", "machineId": hostname}).encode()
    for attempt in range(30):
        request = urllib.request.Request(
            f"{api_url}/v1/activations",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read())
                return {"activationId": answer["activationId"], "activationCode": answer["activationCode"]}
        except urllib.error.HTTPError as refused:
            if refused.code not in RETRIED:
                raise RuntimeError(f"enrolling {hostname} answered {refused.code}") from None
        time.sleep(min(5.0, 0.2 * 2**attempt))
    raise RuntimeError(f"enrolling {hostname}: still busy after 30 attempts")


class Listener:
    """A program subscribed to the topic through SQS with raw delivery: every document the team gets."""

    def __init__(self, stack: BenchStack, clients: dict[str, Any]):
        self.sqs, self.sns = clients["sqs"], clients["sns"]
        self.url = self.sqs.create_queue(QueueName="registration-burst-listener")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(
            TopicArn=stack.outputs["NotificationTopicArn"],
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        self.documents: list[dict[str, Any]] = []

    def drain(self) -> None:
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for message in messages:
                self.documents.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def covered(self, instance_ids: set[str]) -> int:
        """How many of these instances the documents account for: named, or counted by a digest beyond the ids it lists
        (a digest lists at most 100)."""
        named = set(self.named()) & instance_ids
        unlisted = 0
        for document in self.documents:
            context = document["metadata"]["additionalContext"]
            if "count" in context:
                unlisted += int(context["count"]) - len(list(filter(None, context.get("instanceIds", "").split(","))))
        return len(named) + unlisted

    def named(self) -> Counter:
        """How many documents name each instance: its own notice, or a digest listing it."""
        counts: Counter = Counter()
        for document in self.documents:
            context = document["metadata"]["additionalContext"]
            ids = {context.get("instanceId")} | set(filter(None, context.get("instanceIds", "").split(",")))
            counts.update(i for i in ids if i)
        return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=1000)
    parser.add_argument(
        "--tag-rate", type=float, default=2, help="AddTagsToResource calls per second the emulator lets through"
    )
    parser.add_argument("--workers", type=int, default=4, help="processes of the burst driver")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for tags and messages")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    configure_logging(args.verbose)
    work_dir = RESULTS / "registration-burst"
    bench = BenchStack(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    bench.stack.start()
    try:
        bench.stack.schedules.stop()
        bench.state_file.write_text(json.dumps(bench.stack.state(), indent=2))
        report = run(bench, args, work_dir)
    finally:
        bench.stack.stop()
        bench.state_file.unlink(missing_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "registration-burst.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "registration-burst.md").write_text(markdown(report))
    print(markdown(report))


def run(bench: BenchStack, args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    state = bench.stack.state()
    endpoint = bench.stack.aws.endpoint_url
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=state["region"])
    clients = {name: session.client(name, endpoint_url=endpoint) for name in ("sqs", "sns")}
    function_key = state["functions"]["RegistrationFunction"]["accessKeyId"]
    n = args.machines

    token = bench.create_token(bench.default_fleet(), n)
    hostnames = [f"burst-{i:04d}" for i in range(n)]
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        activations = list(pool.map(lambda h: enroll(bench.api_url, token, h), hostnames))
    log.info("%d enrollments in %.0f s", n, time.perf_counter() - started)

    listener = Listener(bench, clients)
    bench._control(
        "POST", "faults", {"target": "ssm.AddTagsToResource", "ratePerSecond": args.tag_rate, "burst": args.tag_rate}
    )
    calls_before = Counter(bench._control("GET", "calls-by-access-key").get(function_key, {}))

    lines = "".join(
        json.dumps({"hostname": h, "ipAddress": f"10.77.{i // 250}.{i % 250 + 1}", **activations[i]}) + "\n"
        for i, h in enumerate(hostnames)
    )
    burst_started = time.time()
    driver = subprocess.Popen(
        [
            str(BURST_DRIVER),
            "--state-root",
            str(work_dir / "machines"),
            "--region",
            state["region"],
            "--workers",
            str(args.workers),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "AWS_ENDPOINT_URL": endpoint},
    )
    tagged_at: dict[str, float] = {}

    def watch_tags() -> None:
        while len(tagged_at) < n and time.time() - burst_started < args.timeout:
            for instance in bench._control("GET", "instances")["instances"]:
                if REGISTERED_AT in {t["Key"] for t in instance["Tags"]} and instance["InstanceId"] not in tagged_at:
                    tagged_at[instance["InstanceId"]] = time.time()
            time.sleep(2)

    watcher = threading.Thread(target=watch_tags, daemon=True)
    watcher.start()
    output, _ = driver.communicate(lines)
    registered_by = time.time()
    results = [json.loads(line) for line in output.splitlines() if line.strip()]
    failed = [r for r in results if r["error"]]
    booted = {r["instanceId"]: r["hostname"] for r in results if r["instanceId"]}
    log.info("%d registrations (%d failed) in %.0f s", len(results), len(failed), registered_by - burst_started)
    watcher.join(args.timeout)
    all_tagged_by = max(tagged_at[i] for i in booted if i in tagged_at) if tagged_at else None
    log.info("%d of %d instances tagged", sum(i in tagged_at for i in booted), len(booted))

    # Digests go out at their window's end: wait until every instance was named once, then a little longer.
    while time.time() - burst_started < args.timeout:
        listener.drain()
        if listener.covered(set(booted)) >= len(booted):
            break
        time.sleep(5)
    time.sleep(30)
    listener.drain()
    calls = Counter(bench._control("GET", "calls-by-access-key").get(function_key, {})) - calls_before
    instances = {i["InstanceId"]: i for i in bench._control("GET", "instances")["instances"]}
    dead = clients["sqs"].get_queue_attributes(
        QueueUrl=bench.outputs["RegistrationDeadLetterQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    kinds = Counter(d["metadata"]["eventType"] for d in listener.documents)
    named = listener.named()
    ssm_calls = {call: count for call, count in sorted(calls.items()) if call.startswith("ssm.")}
    return {
        "machines": n,
        "registered": len(booted),
        "registrationFailures": len(failed),
        "tagRateLimitPerSecond": args.tag_rate,
        "burstSeconds": round(registered_by - burst_started, 1),
        "lastTaggedSeconds": round(all_tagged_by - burst_started, 1) if all_tagged_by else None,
        "tagged": sum(i in tagged_at for i in booted),
        "taggedOnce": sum(instances.get(i, {}).get("TagUpdates") == 1 for i in booted),
        "ssmCalls": ssm_calls,
        "ssmCallsPerRegistration": round(sum(ssm_calls.values()) / max(1, len(booted)), 2),
        "throttledTagCalls": calls.get("ssm.AddTagsToResource", 0)
        - sum(instances.get(i, {}).get("TagUpdates", 0) for i in booted),
        "messagesSent": sum(kinds.values()),
        "messagesByKind": dict(kinds),
        "snsPublishCalls": calls.get("sns.Publish", 0),
        "instancesNamedOnce": sum(named[i] == 1 for i in booted),
        "instancesNamedMoreThanOnce": sum(named[i] > 1 for i in booted),
        "instancesAccountedFor": listener.covered(set(booted)),
        "deadLetters": int(dead["ApproximateNumberOfMessages"]),
    }


def markdown(r: dict[str, Any]) -> str:
    calls = ", ".join(f"{call} {count}" for call, count in r["ssmCalls"].items())
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(r["messagesByKind"].items()))
    return "\n".join(
        [
            "| Registration burst | |",
            "| --- | --- |",
            f"| Machines registered (failed) | {r['registered']} of {r['machines']} ({r['registrationFailures']}) |",
            f"| Burst (first registration to last agent report) | {r['burstSeconds']} s |",
            f"| Time until the last instance was tagged, from the burst's start | {r['lastTaggedSeconds']} s |",
            f"| Tagged / tagged by exactly one AddTagsToResource | {r['tagged']} / {r['taggedOnce']} |",
            f"| SSM calls of the registration function | {calls} |",
            f"| SSM calls per registration | {r['ssmCallsPerRegistration']} |",
            f"| AddTagsToResource calls throttled (emulator at {r['tagRateLimitPerSecond']:g}/s) | {r['throttledTagCalls']} |",
            f"| Messages sent | {r['messagesSent']} ({kinds}); sns.Publish calls {r['snsPublishCalls']} |",
            f"| Instances named in exactly one message / more than one (a digest lists 100 ids) | {r['instancesNamedOnce']} / "
            f"{r['instancesNamedMoreThanOnce']} |",
            f"| Instances accounted for by the messages (named, or counted by a digest) | {r['instancesAccountedFor']} |",
            f"| Dead-letter queue | {r['deadLetters']} |",
            "",
        ]
    )


if __name__ == "__main__":
    main()
