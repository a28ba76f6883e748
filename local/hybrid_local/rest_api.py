"""A REST API (API Gateway v1) on loopback: the resources, Lambda proxy integrations, stages, method throttling,
gateway responses and WAF web ACLs of the deployed stack.

A request goes through what API Gateway does, in its order: the stage named by the path's first segment (an
unknown one is 403 Forbidden); the stage's web ACL (waf.WebAcl), whose block is its custom response or the
WAF_FILTERED gateway response; the payload limit (10 MB, REQUEST_TOO_LARGE); the method of the resource the rest
of the path matches (none: MISSING_AUTHENTICATION_TOKEN, which is how API Gateway answers unknown routes); the
method's throttling, from the stage's method settings (a token bucket per method, as stage limits apply to each
method; THROTTLED); then the Lambda proxy integration with a payload format 1.0 event. The function's answer must be
a proxy response (a statusCode at least), else the answer is 502, as is a failed invocation or one the function's
own timeout ended; only an answer that takes longer than the integration's 29 seconds is INTEGRATION_TIMEOUT (504). Gateway responses come from the API's definition, with
API Gateway's defaults ({"message": ...}) for the others.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .faults import EmulatorClock
from .http_api import TokenBucket, function_arn_of
from .lambda_runtime import InvocationError, LambdaService
from .loopback import BurstServer, serve
from .waf import Block, WebAcl

log = logging.getLogger("hybrid_local.rest_api")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
INTEGRATION_TIMEOUT_S = 29
ANY_METHOD = "X-AMAZON-APIGATEWAY-ANY-METHOD"

# Each gateway response type API Gateway may answer here: its default status and message.
GATEWAY_RESPONSES = {
    "WAF_FILTERED": (403, "Forbidden"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "THROTTLED": (429, "Too Many Requests"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "DEFAULT_5XX": (502, "Internal server error"),
}
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


@dataclass
class RestMethod:
    resource_id: str
    resource_path: str
    http_method: str
    function_arn: str
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = ""
        for part in re.split(r"(\{[^}]+\})", self.resource_path):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{_group(part[1:-2])}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{_group(part[1:-1])}>[^/]+)"
            else:
                regex += re.escape(part)
        self.pattern = re.compile(regex)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.http_method not in (ANY_METHOD, method):
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None

    @property
    def setting_key(self) -> str:
        """The key of this method's settings in the stage: the resource path with / as ~1, and the method."""
        return f"{self.resource_path.replace('/', '~1')}/{'*' if self.http_method == ANY_METHOD else self.http_method}"

    @property
    def precedence(self) -> tuple[bool, int, int]:
        """API Gateway prefers static path parts over parameters, and parameters over greedy ones."""
        return "+}" in self.resource_path, self.resource_path.count("{"), -len(self.resource_path)


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


@dataclass
class RestStage:
    name: str
    method_settings: dict[str, dict[str, Any]]
    variables: dict[str, str]
    web_acl: WebAcl | None
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def bucket(self, method: RestMethod) -> TokenBucket | None:
        return self.buckets.get(method.setting_key)

    def throttle(self, methods: list[RestMethod]) -> None:
        """A token bucket per method, from its own settings or the stage's */* ones."""
        for method in methods:
            settings = self.method_settings.get(method.setting_key) or self.method_settings.get("*/*") or {}
            if settings.get("throttlingRateLimit") is not None:
                self.buckets[method.setting_key] = TokenBucket(
                    float(settings["throttlingRateLimit"]), int(settings.get("throttlingBurstLimit", 1))
                )


class GatewayResponses:
    """The answers API Gateway gives itself, as the API's gateway responses shape them."""

    def __init__(self, responses: list[dict[str, Any]]):
        self.responses = {r["responseType"]: r for r in responses}
        for response_type, response in self.responses.items():
            for name, value in (response.get("responseParameters") or {}).items():
                if name.startswith("gatewayresponse.header.") and not (value.startswith("'") and value.endswith("'")):
                    raise ValueError(
                        f"gateway response {response_type}: only static header values are modelled, not {value}"
                    )

    def render(self, response_type: str, request_id: str) -> tuple[int, dict[str, str], bytes]:
        status, message = GATEWAY_RESPONSES[response_type]
        own = self.responses.get(response_type)
        spec = own or self.responses.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX") or {}
        if own and own.get("statusCode"):
            status = int(own["statusCode"])
        headers = {"Content-Type": "application/json"}
        for name, value in (spec.get("responseParameters") or {}).items():
            if name.startswith("gatewayresponse.header."):
                headers[name.removeprefix("gatewayresponse.header.")] = value[1:-1]
        template = (spec.get("responseTemplates") or {}).get("application/json") or DEFAULT_TEMPLATE
        body = (
            template.replace("$context.error.messageString", json.dumps(message))
            .replace("$context.error.message", message)
            .replace("$context.error.responseType", response_type)
            .replace("$context.requestId", request_id)
        )
        return status, headers, body.encode()


class RestApi:
    def __init__(
        self,
        api_id: str,
        account_id: str,
        region: str,
        methods: list[RestMethod],
        stages: list[RestStage],
        gateway_responses: GatewayResponses,
        binary_media_types: list[str],
        lambdas: LambdaService,
        clock: EmulatorClock,
        port: int = 0,
    ):
        self.api_id, self.account_id, self.region = api_id, account_id, region
        self.methods = sorted(methods, key=lambda m: m.precedence)
        self.stages = {stage.name: stage for stage in stages}
        for stage in stages:
            stage.throttle(self.methods)
        self.gateway_responses = gateway_responses
        self.binary_media_types = binary_media_types
        self.port = port
        self.server: BurstServer | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                request_id = str(uuid.uuid4())
                # The request's time in the event is on the emulator clock, which the functions also run on.
                started, began = clock.now(), time.monotonic()
                url = urlsplit(self.path)
                stage_name, rest = (url.path.lstrip("/") + "/").split("/", 1)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_PAYLOAD_BYTES:
                    self.close_connection = True
                    body = b""
                else:
                    body = self.rfile.read(length)
                stage = api.stages.get(stage_name)
                if stage is None:
                    self._send(403, {"Content-Type": "application/json"}, b'{"message":"Forbidden"}', request_id)
                    return
                source = self.client_address[0]
                block = stage.web_acl.evaluate(source) if stage.web_acl else None
                if block is not None:
                    self._blocked(block, request_id)
                    return
                if length > MAX_PAYLOAD_BYTES:
                    self._gateway("REQUEST_TOO_LARGE", request_id)
                    return
                path = "/" + rest.rstrip("/") if rest.rstrip("/") else "/"
                for method in api.methods:
                    params = method.match(self.command, path)
                    if params is not None:
                        break
                else:
                    self._gateway("MISSING_AUTHENTICATION_TOKEN", request_id)
                    return
                bucket = stage.bucket(method)
                if bucket and not bucket.take():
                    self._gateway("THROTTLED", request_id)
                    return
                event = api.event(self, stage, method, params, path, url.query, body, started, request_id)
                try:
                    result = lambdas.invoke(method.function_arn, event)
                except InvocationError as error:
                    # A function that failed or timed out within the integration's time is a Lambda error: 502.
                    log.warning(
                        "integration %s %s failed: %s", method.http_method, method.resource_path, error.error_type
                    )
                    self._gateway("DEFAULT_5XX", request_id)
                    return
                except Exception:
                    log.exception("integration %s %s could not be invoked", method.http_method, method.resource_path)
                    self._gateway("DEFAULT_5XX", request_id)
                    return
                if time.monotonic() - began > INTEGRATION_TIMEOUT_S:
                    self._gateway("INTEGRATION_TIMEOUT", request_id)
                    return
                response = _proxy_response(result)
                if response is None:
                    log.warning(
                        "integration %s %s: malformed Lambda proxy response", method.http_method, method.resource_path
                    )
                    self._gateway("DEFAULT_5XX", request_id)
                    return
                status, headers, payload = response
                self._send(status, headers, payload, request_id)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

            def _blocked(self, block: Block, request_id: str) -> None:
                if block.custom:
                    self._send(
                        block.status, {"Content-Type": block.content_type, **block.headers}, block.body, request_id
                    )
                else:
                    self._gateway("WAF_FILTERED", request_id)

            def _gateway(self, response_type: str, request_id: str) -> None:
                status, headers, payload = api.gateway_responses.render(response_type, request_id)
                self._send(status, headers, payload, request_id)

            def _send(self, status: int, headers: dict[str, str | list[str]], payload: bytes, request_id: str) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    for one in value if isinstance(value, list) else [value]:
                        self.send_header(name, one)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", request_id)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def log_message(self, fmt: str, *args: Any) -> None:
                log.info("%s %s", self.address_string(), fmt % args)

        self.handler = Handler

    def url(self, stage: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{stage}"

    @property
    def stage_names(self) -> list[str]:
        return list(self.stages)

    def start(self) -> None:
        self.server = serve(self.handler, "rest-api", self.port)

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def refill(self) -> None:
        for stage in self.stages.values():
            for bucket in stage.buckets.values():
                bucket.refill()

    def event(
        self,
        request: BaseHTTPRequestHandler,
        stage: RestStage,
        method: RestMethod,
        params: dict[str, str],
        path: str,
        query_string: str,
        body: bytes,
        started: float,
        request_id: str,
    ) -> dict[str, Any]:
        """The Lambda proxy integration's event, payload format 1.0: headers as sent, each also with all its values."""
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            query[name] = value
            multi_query.setdefault(name, []).append(value)
        content_type = request.headers.get("Content-Type", "")
        binary = bool(body) and _is_binary(content_type, self.binary_media_types)
        user_agent = request.headers.get("User-Agent")
        return {
            "resource": method.resource_path,
            "path": path,
            "httpMethod": request.command,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": stage.variables or None,
            "requestContext": {
                "accountId": self.account_id,
                "apiId": self.api_id,
                "domainName": request.headers.get("Host", "127.0.0.1"),
                "domainPrefix": self.api_id,
                "extendedRequestId": request_id[:16],
                "httpMethod": request.command,
                "identity": {
                    "sourceIp": request.client_address[0],
                    "userAgent": user_agent,
                    "accessKey": None,
                    "accountId": None,
                    "caller": None,
                    "user": None,
                    "userArn": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                },
                "path": f"/{stage.name}{path}",
                "protocol": request.request_version,
                "requestId": request_id,
                "requestTime": datetime.fromtimestamp(started, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(started * 1000),
                "resourceId": method.resource_id,
                "resourcePath": method.resource_path,
                "stage": stage.name,
            },
            "body": (base64.b64encode(body).decode() if binary else body.decode("utf-8", errors="replace"))
            if body
            else None,
            "isBase64Encoded": binary,
        }


def _is_binary(content_type: str, binary_media_types: list[str]) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    for binary in binary_media_types:
        binary = binary.replace("~1", "/").lower()
        if binary == "*/*" or binary == media_type or (binary.endswith("/*") and media_type.startswith(binary[:-1])):
            return True
    return False


def _proxy_response(result: Any) -> tuple[int, dict[str, str | list[str]], bytes] | None:
    """A Lambda proxy response; None when it is not one (API Gateway then answers 502)."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), (int, str)):
        return None
    try:
        status = int(result["statusCode"])
    except ValueError:
        return None
    headers: dict[str, str | list[str]] = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = [str(v) for v in values]
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    return status, headers, payload
