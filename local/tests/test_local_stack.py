"""The local stack end to end with a small Java function: a SAM template deployed into the emulator, its function
run in the Lambda runtime interface client, and every way the template wires it (REST API with its WAF web ACL,
HTTP API, schedule, queue, EventBridge rule), and SnapStart's life cycle with the function's CRaC hooks."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from hybrid_local.lambda_runtime import InvocationError
from hybrid_local.local_stack import REGION, LocalStack
from hybrid_local.stack import DeployError

PROJECT = Path(__file__).resolve().parents[2]
RIC_JARS = PROJECT / "local" / "runtime" / "target" / "ric"
CRAC_JARS = PROJECT / "local" / "runtime" / "target" / "crac"

ECHO_SOURCE = r"""
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.crac.Core;
import org.crac.Resource;

/**
 * Records every event it gets; answers HTTP events with the event as the body, and a "clock" event with the time
 * its JVM reads, the time left before its deadline and the expiry of the credentials its endpoint serves. Writes
 * the phases its JVM goes through (init, the CRaC hooks, each invocation) to a file of that JVM, and fails the
 * hook FAIL_HOOK names.
 */
public class Echo implements RequestStreamHandler {
    // The runtime's CRaC context holds resources weakly: the class keeps its own.
    private static final Resource PHASES = new Resource() {
        @Override
        public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
            record("beforeCheckpoint");
        }

        @Override
        public void afterRestore(org.crac.Context<? extends Resource> context) {
            record("afterRestore");
        }
    };

    static {
        record("init");
        Core.getGlobalContext().register(PHASES);
    }

    private static void record(String phase) {
        Path file = Path.of(System.getenv("ECHO_DIR"),
                System.getenv("AWS_LAMBDA_FUNCTION_NAME") + "-" + ProcessHandle.current().pid() + ".phases");
        try {
            Files.writeString(file, phase + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (phase.equals(System.getenv("FAIL_HOOK"))) {
            throw new IllegalStateException("asked to fail in " + phase);
        }
    }

    @Override
    public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
        long remainingMs = context.getRemainingTimeInMillis();
        Instant now = Instant.now();
        record("invocation");
        byte[] input = in.readAllBytes();
        String text = new String(input, StandardCharsets.UTF_8);
        Files.write(Path.of(System.getenv("ECHO_DIR"), System.nanoTime() + "-" + context.getAwsRequestId() + ".json"), input);
        if (text.contains("crash-me") || text.contains("reject-me")) {
            throw new IllegalStateException("asked to fail");
        }
        if (text.contains("sleep-me")) {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Files.writeString(Path.of(System.getenv("ECHO_DIR"), context.getAwsRequestId() + ".end"), Long.toString(System.nanoTime()));
        }
        if (text.contains("\"callAws\"")) {
            out.write(("{\"status\":" + listQueues() + "}").getBytes(StandardCharsets.UTF_8));
        } else if (text.contains("\"clock\"")) {
            String expiration = System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == null ? null : credentialsExpiration();
            out.write(("{\"nowMs\":" + now.toEpochMilli() + ",\"remainingMs\":" + remainingMs + ",\"pid\":"
                    + ProcessHandle.current().pid() + ",\"credentialsExpiration\":"
                    + (expiration == null ? "null" : "\"" + expiration + "\"") + "}").getBytes(StandardCharsets.UTF_8));
        } else if (text.contains("\"routeKey\"") || text.contains("\"resourcePath\"")) {
            String body = text.replace("\\", "\\\\").replace("\"", "\\\"");
            String reply = "{\"statusCode\":207,\"headers\":{\"X-Echo\":\"yes\",\"Content-Type\":\"application/json\"},"
                    + "\"body\":\"" + body + "\"}";
            out.write(reply.getBytes(StandardCharsets.UTF_8));
        } else {
            out.write(("{\"env\":\"" + System.getenv("NUMBER_SETTING") + "\",\"keys\":" + (System.getenv("AWS_ACCESS_KEY_ID") != null)
                    + ",\"container\":" + (System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null) + "}")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    /** An SQS ListQueues call carrying the function's access key id, as a signed call would. */
    private static int listQueues() throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(System.getenv("AWS_ENDPOINT_URL") + "/").toURL().openConnection();
        connection.setRequestMethod("POST");
        connection.setDoOutput(true);
        connection.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
        connection.setRequestProperty("Authorization", "AWS4-HMAC-SHA256 Credential=" + System.getenv("AWS_ACCESS_KEY_ID")
                + "/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0");
        connection.getOutputStream().write("Action=ListQueues&Version=2012-11-05".getBytes(StandardCharsets.UTF_8));
        return connection.getResponseCode();
    }

    /** What the SDK's container credentials provider reads: the Expiration of the credentials the endpoint serves. */
    private static String credentialsExpiration() throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
                .toURL().openConnection();
        connection.setRequestProperty("Authorization", System.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
        try (InputStream body = connection.getInputStream()) {
            Matcher expiration = Pattern.compile("\"Expiration\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(new String(body.readAllBytes(), StandardCharsets.UTF_8));
            return expiration.find() ? expiration.group(1) : null;
        }
    }
}
"""

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Number:
    Type: Number
    Default: 42
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefaultRouteSettings:
        ThrottlingRateLimit: 2
        ThrottlingBurstLimit: 4
  RestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      OpenApiVersion: '3.0.1'
      BinaryMediaTypes: [application~1octet-stream]
      # A token every ten seconds: the requests of one test arrive long before the next.
      MethodSettings:
        - {ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 0.1, ThrottlingBurstLimit: 4}
      GatewayResponses:
        MISSING_AUTHENTICATION_TOKEN:
          StatusCode: 404
          ResponseTemplates: {application/json: '{"error":"no route","type":"$context.error.responseType"}'}
        THROTTLED:
          ResponseParameters: {Headers: {Retry-After: "'1'"}}
  Exempt:
    Type: AWS::WAFv2::IPSet
    Properties: {Scope: REGIONAL, IPAddressVersion: IPV4, Addresses: [127.0.0.1/32]}
  Edge:
    Type: AWS::WAFv2::WebACL
    Properties:
      Scope: REGIONAL
      DefaultAction: {Allow: {}}
      VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: edge}
      CustomResponseBodies:
        limited: {ContentType: APPLICATION_JSON, Content: '{"limited":true}'}
      Rules:
        - Name: KnownBadSources
          Priority: 0
          OverrideAction: {None: {}}
          Statement: {ManagedRuleGroupStatement: {VendorName: AWS, Name: AWSManagedRulesAmazonIpReputationList}}
          VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: bad}
        - Name: PerSource
          Priority: 1
          Action:
            Block:
              CustomResponse:
                ResponseCode: 429
                CustomResponseBodyKey: limited
                ResponseHeaders: [{Name: Retry-After, Value: '60'}]
          Statement:
            RateBasedStatement:
              Limit: 10
              EvaluationWindowSec: 60
              AggregateKeyType: IP
              ScopeDownStatement:
                NotStatement: {Statement: {IPSetReferenceStatement: {Arn: !GetAtt Exempt.Arn}}}
          VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: rate}
  EdgeAssociation:
    Type: AWS::WAFv2::WebACLAssociation
    Properties:
      ResourceArn: !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestApi}/stages/${RestApi.Stage}
      WebACLArn: !GetAtt Edge.Arn
  DeadLetters:
    Type: AWS::SQS::Queue
  Inbox:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetters.Arn
        maxReceiveCount: 1
  InboxPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Inbox]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sqs:SendMessage, Resource: !GetAtt Inbox.Arn}
  Busy:
    Type: AWS::SQS::Queue
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [echo.test]}
      Targets:
        - {Arn: !GetAtt Inbox.Arn, Id: inbox}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo
      Handler: Echo::handleRequest
      Runtime: java21
      MemorySize: 512
      Timeout: 10
      Environment:
        Variables:
          ECHO_DIR: {echo_dir}
          NUMBER_SETTING: !Ref Number
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: '/things/{name}', Method: GET}
        Post:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /things, Method: POST}
        RestGet:
          Type: Api
          Properties: {RestApiId: !Ref RestApi, Path: '/things/{name}', Method: GET}
        RestPost:
          Type: Api
          Properties: {RestApiId: !Ref RestApi, Path: /things, Method: POST}
        Tick:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 day)
            Input: '{"tick": "from-the-schedule"}'
        Queue:
          Type: SQS
          Properties: {Queue: !GetAtt Inbox.Arn, BatchSize: 5}
        BusyQueue:
          Type: SQS
          Properties: {Queue: !GetAtt Busy.Arn, BatchSize: 1, ScalingConfig: {MaximumConcurrency: 2}}
  SnapEcho:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo
      Handler: Echo::handleRequest
      Runtime: java21
      AutoPublishAlias: live
      SnapStart: {ApplyOn: PublishedVersions}
      Environment:
        Variables:
          ECHO_DIR: {echo_dir}
          NUMBER_SETTING: snap
  SnapEchoFailingCheckpoint:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo
      Handler: Echo::handleRequest
      Runtime: java21
      AutoPublishAlias: live
      SnapStart: {ApplyOn: PublishedVersions}
      Environment:
        Variables:
          ECHO_DIR: {echo_dir}
          FAIL_HOOK: beforeCheckpoint
  SnapEchoFailingRestore:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo
      Handler: Echo::handleRequest
      Runtime: java21
      AutoPublishAlias: live
      SnapStart: {ApplyOn: PublishedVersions}
      Environment:
        Variables:
          ECHO_DIR: {echo_dir}
          FAIL_HOOK: afterRestore
"""


@pytest.fixture(scope="module")
def echo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    crac = sorted(CRAC_JARS.glob("org-crac-*.jar"))
    if not any(RIC_JARS.glob("aws-lambda-java-core-*.jar")) or not crac:
        pytest.fail(f"{RIC_JARS} or {CRAC_JARS} is empty: build them with `mvn -q -B package -pl local/runtime`")
    project = tmp_path_factory.mktemp("echo-project")
    classes = project / "echo" / "target" / "classes"
    classes.mkdir(parents=True)
    source = project / "Echo.java"
    source.write_text(ECHO_SOURCE)
    subprocess.run(
        ["javac", "--release", "17", "-cp", f"{RIC_JARS}/*:{crac[-1]}", "-d", str(classes), str(source)], check=True
    )
    # Where `sam build` leaves the runtime dependencies, which the package carries in lib/.
    dependencies = project / "echo" / "target" / "dependency"
    dependencies.mkdir()
    shutil.copy(crac[-1], dependencies)
    echo_dir = project / "received"
    echo_dir.mkdir()
    (project / "template.yaml").write_text(TEMPLATE.replace("{echo_dir}", str(echo_dir)))
    return project


@pytest.fixture(scope="module")
def stack(echo_project: Path) -> Any:
    # The web ACL decides on every request, so that its tests need not wait for WAF's periodic checks.
    local = LocalStack(
        PROJECT,
        echo_project / "work",
        stack_name="echo-stack",
        template=echo_project / "template.yaml",
        concurrency=3,
        waf_check_interval_s=0,
    )
    local.start()
    yield local
    local.stop()


def received(project: Path, containing: str, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        events = [json.loads(p.read_text()) for p in sorted((project / "received").glob("*.json"))]
        matching = [e for e in events if containing in json.dumps(e)]
        if matching:
            return matching
        time.sleep(0.2)
    raise AssertionError(f"the function never received an event containing {containing!r}")


def phases_of_jvms(project: Path, function_name: str) -> dict[str, list[str]]:
    """The phases each JVM of a function went through, as the function recorded them, by JVM."""
    return {p.name: p.read_text().split() for p in (project / "received").glob(f"{function_name}-*.phases")}


def aws_client(stack: LocalStack, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


DAY = 86400
# How far two readings of "now" may be apart here: whatever a loaded machine delays, it is well under a minute.
CLOCK_TOLERANCE_S = 60


@pytest.fixture
def emulator_clock(stack: LocalStack) -> Iterator[Callable[..., None]]:
    """Moves the stack's emulator clock as tests do, through its control endpoint; back to real time afterwards."""

    def move(**body: float) -> None:
        requests.post(f"{stack.aws.endpoint_url}/_hybrid/clock", json=body, timeout=10).raise_for_status()

    yield move
    move(offsetSeconds=0)


def function_clock(stack: LocalStack, logical_id: str, qualifier: str = "") -> dict[str, Any]:
    """What the function reads in its handler: its now, the time left until its deadline, its JVM and, with
    SnapStart, the expiry of the credentials its endpoint serves."""
    pool = stack.lambdas.pool(stack.state()["functions"][logical_id]["name"])
    return stack.lambdas.invoke(pool.function.arn + qualifier, {"clock": True})


def assert_close(actual_s: float, expected_s: float) -> None:
    assert abs(actual_s - expected_s) < CLOCK_TOLERANCE_S, f"{actual_s - expected_s:+.0f} s off"


def epoch_seconds(iso_time: str) -> float:
    return datetime.strptime(iso_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def exited(pid: int, timeout: float = 30) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not os.path.exists(f"/proc/{pid}") or "zombie" in Path(f"/proc/{pid}/status").read_text():
            return True
        time.sleep(0.2)
    return False


def http_api_url(stack: LocalStack) -> str:
    return stack.apis[0].url


def send_from(
    source: str, url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request from another loopback address (all of 127.0.0.0/8 is loopback), as another machine sends it."""
    parts = requests.utils.urlparse(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, parts.path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_rest_requests_become_payload_v1_events_and_responses_come_back(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    assert stack.api_url.endswith("/test"), "the REST API's stage is part of its URL"
    response = requests.get(
        f"{stack.api_url}/things/lamp?colour=red&colour=blue", headers={"X-Trace": "t1"}, timeout=30
    )

    assert response.status_code == 207
    assert response.headers["X-Echo"] == "yes"
    event = response.json()
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/things/{name}", "/things/lamp", "GET")
    assert event["pathParameters"] == {"name": "lamp"}
    assert event["queryStringParameters"] == {"colour": "blue"}
    assert event["multiValueQueryStringParameters"] == {"colour": ["red", "blue"]}
    assert event["headers"]["X-Trace"] == "t1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1"]
    context = event["requestContext"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert (context["stage"], context["path"], context["resourcePath"]) == (
        "test",
        "/test/things/lamp",
        "/things/{name}",
    )
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_rest_bodies_are_text_unless_their_type_is_a_binary_media_type(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    binary = requests.post(
        f"{stack.api_url}/things",
        data=b"\x00\x01binary",
        headers={"Content-Type": "application/octet-stream"},
        timeout=30,
    ).json()
    text = requests.post(
        f"{stack.api_url}/things", data=b"plain words", headers={"Content-Type": "text/plain"}, timeout=30
    ).json()

    assert (binary["isBase64Encoded"], binary["body"]) == (True, "AAFiaW5hcnk=")
    assert (text["isBase64Encoded"], text["body"]) == (False, "plain words")


def test_rest_api_gateway_answers_with_its_gateway_responses(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    base = stack.api_url.rsplit("/", 1)[0]

    unknown_route = requests.get(f"{stack.api_url}/nothing/here", timeout=30)
    unknown_method = requests.delete(f"{stack.api_url}/things", timeout=30)
    unknown_stage = requests.get(f"{base}/prod/things/lamp", timeout=30)
    failed = requests.post(f"{stack.api_url}/things", json={"please": "crash-me"}, timeout=30)

    assert (unknown_route.status_code, unknown_route.json()) == (
        404,
        {"error": "no route", "type": "MISSING_AUTHENTICATION_TOKEN"},
    )
    assert unknown_method.status_code == 404
    assert (unknown_stage.status_code, unknown_stage.json()) == (403, {"message": "Forbidden"})
    assert (failed.status_code, failed.json()) == (502, {"message": "Internal server error"})


def test_rest_api_refuses_a_body_over_its_payload_limit_without_reading_it(stack: LocalStack) -> None:
    parts = requests.utils.urlparse(stack.api_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(
            f"POST {parts.path}/things HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {10 * 1024 * 1024 + 1}\r\n\r\n".encode()
        )
        answer = connection.makefile("rb").read()

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body) == {"message": "Request Too Long"}


def test_rest_stage_throttles_each_method_on_its_own(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    answers = [requests.get(f"{stack.api_url}/things/lamp", timeout=30) for _ in range(12)]
    other_method = requests.post(
        f"{stack.api_url}/things", data=b"x", headers={"Content-Type": "text/plain"}, timeout=30
    )
    stack.refill_api_throttles()

    statuses = [a.status_code for a in answers]
    assert statuses[:4] == [207] * 4
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled, statuses
    assert all(a.json() == {"message": "Too Many Requests"} and a.headers["Retry-After"] == "1" for a in throttled)
    assert other_method.status_code == 207


def test_the_web_acl_limits_each_source_but_not_an_exempt_one(stack: LocalStack) -> None:
    assert requests.post(f"{stack.control_url}/waf/reset", timeout=10).json()["reset"]
    stack.refill_api_throttles()
    flooding = [send_from("127.0.5.1", f"{stack.api_url}/things/lamp") for _ in range(12)]
    stack.refill_api_throttles()
    elsewhere = send_from("127.0.5.2", f"{stack.api_url}/things/lamp")

    assert [status for status, _, _ in flooding[:10]] == [207] * 4 + [429] * 6, "the stage throttles, WAF counts"
    assert all(json.loads(body) == {"message": "Too Many Requests"} for _, _, body in flooding[4:10])
    for status, headers, body in flooding[10:]:
        assert (status, headers["Retry-After"], json.loads(body)) == (429, "60", {"limited": True})
    assert elsewhere[0] == 207
    exempt = []
    for _ in range(12):
        stack.refill_api_throttles()
        exempt.append(send_from("127.0.0.1", f"{stack.api_url}/things/lamp")[0])
    assert exempt == [207] * 12, "127.0.0.1 is in the exempt IP set"

    requests.post(f"{stack.control_url}/waf/reset", timeout=10)
    stack.refill_api_throttles()
    assert send_from("127.0.5.1", f"{stack.api_url}/things/lamp")[0] == 207


def test_the_ip_reputation_model_is_set_through_the_control_api(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    listed = requests.put(f"{stack.control_url}/waf/ip-reputation", json={"addresses": ["127.0.5.64/30"]}, timeout=10)
    try:
        refused = send_from("127.0.5.65", f"{stack.api_url}/things/lamp")
        clean = send_from("127.0.5.70", f"{stack.api_url}/things/lamp")
        bad = requests.put(f"{stack.control_url}/waf/ip-reputation", json={"addresses": ["not an address"]}, timeout=10)
        shown = requests.get(f"{stack.control_url}/waf/ip-reputation", timeout=10).json()
    finally:
        requests.put(f"{stack.control_url}/waf/ip-reputation", json={"addresses": []}, timeout=10)

    assert listed.json() == {"addresses": ["127.0.5.64/30"]} == shown
    assert (refused[0], json.loads(refused[2])) == (403, {"message": "Forbidden"})
    assert clean[0] == 207
    assert bad.status_code == 400


def test_http_requests_become_payload_v2_events_and_responses_come_back(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    response = requests.get(
        f"{http_api_url(stack)}/things/lamp?colour=red&colour=blue", headers={"X-Trace": "t1"}, timeout=30
    )

    assert response.status_code == 207
    assert response.headers["X-Echo"] == "yes"
    event = response.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /things/{name}"
    assert event["rawPath"] == "/things/lamp"
    assert event["pathParameters"] == {"name": "lamp"}
    assert event["queryStringParameters"] == {"colour": "red,blue"}
    assert event["headers"]["x-trace"] == "t1"
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["stage"] == "$default"
    assert event["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    response = requests.post(
        f"{http_api_url(stack)}/things",
        data=b"\x00\x01binary",
        headers={"Content-Type": "application/octet-stream"},
        timeout=30,
    )

    event = response.json()
    assert event["isBase64Encoded"] is True
    assert event["body"] == "AAFiaW5hcnk="


def test_unknown_routes_are_404_and_a_failing_function_is_500(stack: LocalStack) -> None:
    stack.refill_api_throttles()
    assert requests.get(f"{http_api_url(stack)}/nothing/here", timeout=30).status_code == 404
    failed = requests.post(f"{http_api_url(stack)}/things", json={"please": "crash-me"}, timeout=30)
    assert failed.status_code == 500
    assert failed.json() == {"message": "Internal Server Error"}


def test_the_stage_throttles_beyond_its_burst(stack: LocalStack) -> None:
    assert requests.post(f"{stack.control_url}/apis/throttle/refill", timeout=10).json() == {
        "refilled": [stack.rest_apis[0].api_id, stack.apis[0].api_id]
    }
    statuses = [requests.get(f"{http_api_url(stack)}/nothing/here", timeout=30).status_code for _ in range(12)]
    stack.refill_api_throttles()

    assert 429 in statuses
    assert statuses[:4] == [404, 404, 404, 404]
    assert requests.get(f"{http_api_url(stack)}/nothing/here", timeout=30).status_code == 404


def test_function_environment_comes_from_the_template_as_strings(stack: LocalStack) -> None:
    pool = stack.lambdas.pool(stack.state()["functions"]["Echo"]["name"])
    assert pool.function.environment["NUMBER_SETTING"] == "42"
    assert stack.lambdas.invoke(pool.function.arn, {"plain": True}) == {"env": "42", "keys": True, "container": False}


def test_snapstart_functions_get_credentials_from_an_endpoint_as_on_lambda(stack: LocalStack) -> None:
    snap = stack.lambdas.pool(stack.state()["functions"]["SnapEcho"]["name"])

    assert snap.function.snap_start
    assert stack.lambdas.invoke(snap.function.arn + ":live", {"plain": True}) == {
        "env": "snap",
        "keys": False,
        "container": True,
    }
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" not in snap.aws_env
    # Each environment has an endpoint of its own, as each Lambda sandbox has.
    credentials = next(e for e in snap.all if not e.broken).credentials.environment()
    endpoint = credentials["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert requests.get(endpoint, timeout=10).status_code == 403
    served = requests.get(
        endpoint, headers={"Authorization": credentials["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}, timeout=10
    ).json()
    assert served["AccessKeyId"].startswith("ASIA") and len(served["AccessKeyId"]) == 20
    assert set(served) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert_close(epoch_seconds(served["Expiration"]), time.time() + 3600)


def test_snapstart_runs_the_checkpoint_then_the_restore_hooks_before_the_first_invocation(
    stack: LocalStack, echo_project: Path
) -> None:
    snap = stack.lambdas.pool(stack.state()["functions"]["SnapEcho"]["name"])
    for _ in range(2):
        assert stack.lambdas.invoke(snap.function.arn + ":live", {"plain": True})["env"] == "snap"

    jvms = phases_of_jvms(echo_project, snap.function.name).values()
    assert ["init", "beforeCheckpoint", "afterRestore", "invocation"] in [phases[:4] for phases in jvms]
    # Every JVM, including any that another test prepared and nothing invoked yet.
    for phases in jvms:
        assert phases[:3] == ["init", "beforeCheckpoint", "afterRestore"]
        assert set(phases[3:]) <= {"invocation"}


def test_an_environment_can_be_prepared_through_its_hooks_before_any_invocation(
    stack: LocalStack, echo_project: Path
) -> None:
    snap = stack.lambdas.pool(stack.state()["functions"]["SnapEcho"]["name"])
    before = phases_of_jvms(echo_project, snap.function.name)

    response = requests.post(f"{stack.control_url}/functions/SnapEcho/environments", timeout=180)

    assert response.status_code == 201
    prepared = response.json()
    assert prepared["initMs"] > 0 and prepared["restoreHooksMs"] >= 0
    assert prepared["firstInvocationMs"] is None
    after = phases_of_jvms(echo_project, snap.function.name)
    assert [phases for jvm, phases in after.items() if jvm not in before] == [
        ["init", "beforeCheckpoint", "afterRestore"]
    ]
    assert requests.post(f"{stack.control_url}/functions/Nothing/environments", timeout=10).status_code == 404


def test_hooks_of_a_function_without_snapstart_are_not_called(stack: LocalStack, echo_project: Path) -> None:
    plain = stack.lambdas.pool(stack.state()["functions"]["Echo"]["name"])
    plain.invoke({"plain": True})

    jvms = phases_of_jvms(echo_project, plain.function.name).values()
    # The schedule and the queue may be starting another JVM of this function right now: it has no phase yet,
    # or only its init.
    assert ["init", "invocation"] in [phases[:2] for phases in jvms]
    assert all(set(phases) <= {"init", "invocation"} for phases in jvms)


def test_each_environment_reports_the_timings_of_its_phases(stack: LocalStack) -> None:
    snap = stack.lambdas.pool(stack.state()["functions"]["SnapEcho"]["name"])
    for _ in range(2):
        snap.invoke({"plain": True})
    stack.lambdas.pool(stack.state()["functions"]["Echo"]["name"]).invoke({"plain": True})

    functions = requests.get(f"{stack.control_url}/functions", timeout=10).json()

    assert functions["SnapEcho"]["snapStart"] is True
    served = [e for e in functions["SnapEcho"]["environments"] if e["firstInvocationMs"] is not None]
    assert served
    for environment in served:
        assert environment["snapStart"] is True
        assert environment["initMs"] > 0
        assert environment["restoreHooksMs"] >= 0
    # The second invocation went to the environment the first one left warm.
    assert any(environment["warmInvocationsMs"] for environment in served)
    assert functions["Echo"]["snapStart"] is False
    plain = [e for e in functions["Echo"]["environments"] if e["firstInvocationMs"] is not None]
    assert plain
    assert all(e["initMs"] > 0 and e["restoreHooksMs"] is None for e in plain)


@pytest.mark.parametrize(
    ("logical_id", "hook", "error_type"),
    [
        ("SnapEchoFailingCheckpoint", "beforeCheckpoint", "Runtime.BeforeCheckpointError"),
        ("SnapEchoFailingRestore", "afterRestore", "SnapStartException"),
    ],
)
def test_a_failing_hook_fails_the_invocation_with_the_error_lambda_reports(
    stack: LocalStack, echo_project: Path, logical_id: str, hook: str, error_type: str
) -> None:
    pool = stack.lambdas.pool(stack.state()["functions"][logical_id]["name"])

    # Each invocation gets a new environment, which fails the same way.
    for _ in range(2):
        with pytest.raises(InvocationError) as failed:
            pool.invoke({"plain": True})
        assert failed.value.error_type == error_type

    jvms = phases_of_jvms(echo_project, pool.function.name).values()
    assert len(jvms) == 2
    assert all(phases[-1] == hook and "invocation" not in phases for phases in jvms)


def test_the_emulator_tells_calls_apart_by_access_key(stack: LocalStack) -> None:
    requests.delete(f"{stack.aws.endpoint_url}/_hybrid/calls", timeout=10)
    sqs = boto3.client(
        "sqs",
        endpoint_url=stack.aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id="ASIATESTKEY000000001",
        aws_secret_access_key="secret",
    )
    sqs.list_queues()

    by_key = requests.get(f"{stack.aws.endpoint_url}/_hybrid/calls-by-access-key", timeout=10).json()

    assert by_key["ASIATESTKEY000000001"] == {"sqs.ListQueues": 1}


def test_a_stop_caller_fault_stops_the_function_after_its_call_went_through(stack: LocalStack) -> None:
    endpoint = stack.aws.endpoint_url
    echo = stack.state()["functions"]["Echo"]
    key, name = echo["accessKeyId"], echo["name"]
    requests.delete(f"{endpoint}/_hybrid/calls", timeout=10)
    requests.post(
        f"{endpoint}/_hybrid/faults",
        json={"target": "sqs.ListQueues", "accessKeyId": key, "after": 1, "stopCaller": True},
        timeout=10,
    ).raise_for_status()
    try:
        assert stack.lambdas.invoke(name, {"callAws": True}) == {"status": 200}, "the first call is let through"
        with pytest.raises(InvocationError) as stopped:
            stack.lambdas.invoke(name, {"callAws": True})
        assert stopped.value.error_type == "Runtime.ExitError"
        assert requests.get(f"{endpoint}/_hybrid/calls-by-access-key", timeout=10).json()[key] == {"sqs.ListQueues": 2}
        assert requests.get(f"{endpoint}/_hybrid/faults", timeout=10).json() == {"faults": []}
        assert stack.lambdas.invoke(name, {"callAws": True}) == {"status": 200}, "a new environment takes over"
    finally:
        requests.delete(f"{endpoint}/_hybrid/faults", timeout=10)


def test_schedule_ticks_reach_the_function_with_the_schedules_input(stack: LocalStack, echo_project: Path) -> None:
    response = requests.post(f"{stack.control_url}/schedules/{next(iter(stack.schedules.schedules))}/tick", timeout=30)

    assert response.status_code == 200
    assert received(echo_project, "from-the-schedule")[0] == {"tick": "from-the-schedule"}
    assert requests.post(f"{stack.control_url}/schedules/none/tick", timeout=30).status_code == 404


def test_events_on_the_bus_reach_the_rule_target_queue_and_the_function(stack: LocalStack, echo_project: Path) -> None:
    aws_client(stack, "events").put_events(
        Entries=[{"Source": "echo.test", "DetailType": "Ping", "Detail": '{"ping": "bus-1"}'}]
    )

    batch = received(echo_project, "bus-1")[0]
    record = batch["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert json.loads(record["body"])["detail"] == {"ping": "bus-1"}
    queue_url = aws_client(stack, "sqs").get_queue_url(QueueName=record["eventSourceARN"].rsplit(":", 1)[1])["QueueUrl"]
    time.sleep(2)
    attributes = aws_client(stack, "sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_messages_the_function_fails_on_go_to_the_dead_letter_queue(stack: LocalStack, echo_project: Path) -> None:
    sqs = aws_client(stack, "sqs")
    inbox = next(u for u in sqs.list_queues()["QueueUrls"] if "Inbox" in u)
    dead_letters = next(u for u in sqs.list_queues()["QueueUrls"] if "DeadLetters" in u)
    sqs.send_message(QueueUrl=inbox, MessageBody="reject-me")

    received(echo_project, "reject-me")
    deadline = time.time() + 20
    dead = []
    while time.time() < deadline and not dead:
        dead = sqs.receive_message(QueueUrl=dead_letters, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in dead] == ["reject-me"]


def test_a_queue_policy_is_set_on_the_queues_it_names(stack: LocalStack) -> None:
    sqs = aws_client(stack, "sqs")
    inbox = next(u for u in sqs.list_queues()["QueueUrls"] if "Inbox" in u)

    policy = json.loads(sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["Policy"])["Attributes"]["Policy"])

    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_a_mappings_maximum_concurrency_bounds_its_invocations_at_once(stack: LocalStack, echo_project: Path) -> None:
    sqs = aws_client(stack, "sqs")
    busy = next(u for u in sqs.list_queues()["QueueUrls"] if "Busy" in u)
    mapping = next(m for m in stack.pollers.mappings if m["EventSourceArn"].endswith(busy.rsplit("/", 1)[1]))
    assert stack.pollers.concurrency(mapping) == 2
    markers = [f"sleep-me-{uuid.uuid4().hex}" for _ in range(6)]
    for marker in markers:
        sqs.send_message(QueueUrl=busy, MessageBody=marker)

    intervals = []
    for marker in markers:
        received(echo_project, marker, timeout=120)
        start_file = next(p for p in (echo_project / "received").glob("*.json") if marker in p.read_text())
        request_id = start_file.stem.split("-", 1)[1]
        end_file = echo_project / "received" / f"{request_id}.end"
        deadline = time.time() + 30
        while not end_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        intervals.append((int(start_file.stem.split("-", 1)[0]), int(end_file.read_text())))

    most_at_once = max(sum(1 for start, end in intervals if start <= moment < end) for moment, _ in intervals)
    assert most_at_once <= 2


def test_concurrent_invocations_start_more_environments_up_to_the_limit(stack: LocalStack) -> None:
    pool = stack.lambdas.pool(stack.state()["functions"]["Echo"]["name"])
    results: list[Any] = []

    def invoke() -> None:
        results.append(pool.invoke({"plain": True}))

    threads = [threading.Thread(target=invoke) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [{"env": "42", "keys": True, "container": False}] * 8
    assert 1 <= len([e for e in pool.all if not e.broken]) <= 3


def test_a_resource_the_emulator_cannot_create_fails_the_deploy(echo_project: Path, tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        """
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Service:
    Type: AWS::AppRunner::Service
    Properties:
      SourceConfiguration: {ImageRepository: {ImageIdentifier: public.ecr.aws/x/y:latest, ImageRepositoryType: ECR_PUBLIC}}
"""
    )
    local = LocalStack(PROJECT, tmp_path / "work", stack_name="unsupported", template=template)
    with pytest.raises(DeployError, match="did not create Service"):
        local.start()


@pytest.mark.parametrize("deploy_it, fails", [("yes", True), ("no", False)])
def test_a_conditional_resource_the_emulator_cannot_create_fails_the_deploy_when_its_condition_holds(
    tmp_path: Path, deploy_it: str, fails: bool
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  DeployIt: {Type: String}
Conditions:
  Deployed: !Equals [!Ref DeployIt, 'yes']
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Service:
    Type: AWS::AppRunner::Service
    Condition: Deployed
    Properties:
      SourceConfiguration: {ImageRepository: {ImageIdentifier: public.ecr.aws/x/y:latest, ImageRepositoryType: ECR_PUBLIC}}
"""
    )
    local = LocalStack(
        PROJECT,
        tmp_path / "work",
        stack_name=f"conditional-{deploy_it}",
        template=template,
        parameters={"DeployIt": deploy_it},
    )
    try:
        if fails:
            with pytest.raises(DeployError, match="did not create Service"):
                local.start()
        else:
            local.start()
    finally:
        local.stop()


def test_stopping_leaves_no_jvm_behind(echo_project: Path) -> None:
    template = echo_project / "plain.yaml"
    template.write_text(
        f"""
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo
      Handler: Echo::handleRequest
      Runtime: java21
      Environment:
        Variables:
          ECHO_DIR: {echo_project / "received"}
"""
    )
    local = LocalStack(PROJECT, echo_project / "short-lived", stack_name="short-lived", template=template)
    local.start()
    pool = local.lambdas.pool(local.state()["functions"]["Echo"]["name"])
    pool.invoke({"plain": True})
    pids = [e.process.pid for e in pool.all]
    local.stop()

    assert pids
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or Path(f"/proc/{pid}/status").read_text().find("zombie") >= 0


def test_a_roles_inline_policies_read_back_as_iam_answers_them(stack: LocalStack) -> None:
    iam, cfn = aws_client(stack, "iam"), aws_client(stack, "cloudformation")
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Reader": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                    "Policies": [
                        {
                            "PolicyName": "reads",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Deny",
                                        "Action": ["ssm:GetParameter"],
                                        "NotResource": ["arn:aws:ssm:*:*:parameter/mine/*"],
                                    },
                                    {
                                        "Fn::If": [
                                            "Never",
                                            {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
                                            {"Ref": "AWS::NoValue"},
                                        ]
                                    },
                                ],
                            },
                        }
                    ],
                },
            }
        },
    }
    cfn.create_stack(StackName="role-policies", TemplateBody=json.dumps(template))
    role = cfn.describe_stack_resource(StackName="role-policies", LogicalResourceId="Reader")["StackResourceDetail"][
        "PhysicalResourceId"
    ]

    document = iam.get_role_policy(RoleName=role, PolicyName="reads")["PolicyDocument"]

    assert document["Statement"][0]["NotResource"] == ["arn:aws:ssm:*:*:parameter/mine/*"]
    assert len(document["Statement"]) == 1, "a statement a condition removed is gone"


def test_advancing_the_emulator_clock_by_days_moves_the_functions_clock_as_much(
    stack: LocalStack, emulator_clock: Callable[..., None]
) -> None:
    before = function_clock(stack, "Echo")
    emulator_clock(advanceSeconds=5 * DAY)
    after = function_clock(stack, "Echo")

    assert_close(before["nowMs"] / 1000, time.time())
    assert_close(after["nowMs"] / 1000, time.time() + 5 * DAY)
    # The deadline is on the function's clock too: the handler has its whole timeout (10 s) ahead of it.
    assert 5_000 <= after["remainingMs"] <= 10_000
    # A JVM keeps the offset it started with: the one that served before is retired, not reused.
    assert after["pid"] != before["pid"]
    assert exited(before["pid"])


def test_setting_the_clock_back_retires_the_environments_that_ran_ahead(
    stack: LocalStack, emulator_clock: Callable[..., None]
) -> None:
    emulator_clock(advanceSeconds=3 * DAY)
    ahead = function_clock(stack, "Echo")
    emulator_clock(offsetSeconds=0)
    back = function_clock(stack, "Echo")

    assert_close(ahead["nowMs"] / 1000, time.time() + 3 * DAY)
    assert_close(back["nowMs"] / 1000, time.time())
    assert 5_000 <= back["remainingMs"] <= 10_000
    assert back["pid"] != ahead["pid"]
    assert exited(ahead["pid"])


def test_a_snapstart_function_on_a_clock_days_ahead_gets_credentials_valid_for_an_hour_of_its_time(
    stack: LocalStack, emulator_clock: Callable[..., None]
) -> None:
    emulator_clock(advanceSeconds=2 * DAY)
    answer = function_clock(stack, "SnapEcho", ":live")

    now = answer["nowMs"] / 1000
    assert_close(now, time.time() + 2 * DAY)
    assert_close(epoch_seconds(answer["credentialsExpiration"]), now + 3600)
    timeout_ms = stack.lambdas.pool(stack.state()["functions"]["SnapEcho"]["name"]).function.timeout_s * 1000
    assert 0 < answer["remainingMs"] <= timeout_ms


def test_api_events_carry_the_request_time_of_the_emulator_clock(
    stack: LocalStack, emulator_clock: Callable[..., None]
) -> None:
    stack.refill_api_throttles()
    emulator_clock(advanceSeconds=4 * DAY)
    http_context = requests.get(f"{http_api_url(stack)}/things/lamp", timeout=180).json()["requestContext"]
    rest_context = requests.get(f"{stack.api_url}/things/lamp", timeout=180).json()["requestContext"]

    assert_close(http_context["timeEpoch"] / 1000, time.time() + 4 * DAY)
    assert (
        datetime.strptime(http_context["time"], "%d/%b/%Y:%H:%M:%S %z").timestamp() == http_context["timeEpoch"] // 1000
    )
    assert_close(rest_context["requestTimeEpoch"] / 1000, time.time() + 4 * DAY)
    assert (
        datetime.strptime(rest_context["requestTime"], "%d/%b/%Y:%H:%M:%S %z").timestamp()
        == rest_context["requestTimeEpoch"] // 1000
    )


def test_queue_records_carry_message_times_on_the_emulator_clock(
    stack: LocalStack, echo_project: Path, emulator_clock: Callable[..., None]
) -> None:
    sqs = aws_client(stack, "sqs")
    inbox = next(u for u in sqs.list_queues()["QueueUrls"] if "Inbox" in u)
    emulator_clock(advanceSeconds=6 * DAY)
    marker = f"clock-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=inbox, MessageBody=marker)

    record = received(echo_project, marker, timeout=180)[0]["Records"][0]
    assert_close(int(record["attributes"]["SentTimestamp"]) / 1000, time.time() + 6 * DAY)
    assert_close(int(record["attributes"]["ApproximateFirstReceiveTimestamp"]) / 1000, time.time() + 6 * DAY)
