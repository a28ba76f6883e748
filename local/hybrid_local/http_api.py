"""An HTTP API (API Gateway v2) on loopback: the routes, integrations and stage throttling of the deployed stack.

Requests become payload format 2.0 events for the route's Lambda integration, and the function's answer becomes
the HTTP response, with API Gateway's own answers where it would give them (404 for no route, 429 when the
stage's throttling limits are exceeded, 500 when the integration fails).
"""

import base64
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .faults import EmulatorClock
from .lambda_runtime import InvocationError, LambdaService
from .loopback import BurstServer, serve

log = logging.getLogger("hybrid_local.http_api")

TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/javascript",
)


@dataclass
class Route:
    key: str
    method: str
    pattern: re.Pattern[str] | None
    function_arn: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.key == "$default":
            return {}
        if self.method not in ("ANY", method):
            return None
        found = self.pattern.fullmatch(path) if self.pattern else None
        return found.groupdict() if found else None


def route_of(route_key: str, integration_uri: str) -> Route:
    if route_key == "$default":
        return Route(route_key, "ANY", None, function_arn_of(integration_uri))
    method, path = route_key.split(" ", 1)
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("+}"):
            regex += f"(?P<{_group(part[1:-2])}>.+)"
        elif part.startswith("{"):
            regex += f"(?P<{_group(part[1:-1])}>[^/]+)"
        else:
            regex += re.escape(part)
    return Route(route_key, method.upper(), re.compile(regex), function_arn_of(integration_uri))


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


def function_arn_of(integration_uri: str) -> str:
    # arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
    if "/functions/" in integration_uri:
        return integration_uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    return integration_uri


class TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate, self.capacity = rate, max(1, burst)
        self.tokens, self.stamp = float(self.capacity), time.monotonic()
        self.lock = threading.Lock()

    def refill(self) -> None:
        """Back to a full bucket, so that a test starts from a known state whatever ran before it."""
        with self.lock:
            self.tokens, self.stamp = float(self.capacity), time.monotonic()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class HttpApi:
    def __init__(
        self,
        api_id: str,
        account_id: str,
        region: str,
        routes: list[Route],
        lambdas: LambdaService,
        throttle: TokenBucket | None,
        clock: EmulatorClock,
        port: int = 0,
    ):
        self.api_id = api_id
        self.throttle = throttle
        api = self
        # Specific routes win over greedy ones and over $default, as in API Gateway.
        routes = sorted(routes, key=lambda r: (r.key == "$default", "+}" in r.key, -len(r.key)))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                # The request's time in the event is on the emulator clock, which the functions also run on.
                started = clock.now()
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if throttle and not throttle.take():
                    self._send(429, {"Content-Type": "application/json"}, b'{"message":"Too Many Requests"}')
                    return
                for route in routes:
                    params = route.match(self.command, url.path)
                    if params is not None:
                        break
                else:
                    self._send(404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}')
                    return
                event = api.event(self, route, params, url, body, started)
                try:
                    result = lambdas.invoke(route.function_arn, event)
                except InvocationError as error:
                    log.warning("integration %s failed: %s", route.key, error.error_type)
                    self._send(500, {"Content-Type": "application/json"}, b'{"message":"Internal Server Error"}')
                    return
                except Exception:
                    log.exception("integration %s could not be invoked", route.key)
                    self._send(500, {"Content-Type": "application/json"}, b'{"message":"Internal Server Error"}')
                    return
                status, headers, payload = _response_of(result)
                self._send(status, headers, payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

            def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def log_message(self, fmt: str, *args: Any) -> None:
                log.info("%s %s", self.address_string(), fmt % args)

        self.handler = Handler
        self.port = port
        self.server: BurstServer | None = None
        self.account_id, self.region = account_id, region

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.server = serve(self.handler, "http-api", self.port)

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def event(
        self,
        request: BaseHTTPRequestHandler,
        route: Route,
        params: dict[str, str],
        url: Any,
        body: bytes,
        started: float,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        cookies = []
        for name, value in request.headers.items():
            if name.lower() == "cookie":
                cookies.extend(c.strip() for c in value.split(";") if c.strip())
                continue
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query: dict[str, str] = {}
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        content_type = headers.get("content-type", "")
        is_text = not body or content_type.startswith(TEXT_TYPES)
        now = datetime.fromtimestamp(started, timezone.utc)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.key,
            "rawPath": url.path,
            "rawQueryString": url.query,
            "headers": headers,
            "requestContext": {
                "accountId": self.account_id,
                "apiId": self.api_id,
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": self.api_id,
                "http": {
                    "method": request.command,
                    "path": url.path,
                    "protocol": request.request_version,
                    "sourceIp": request.client_address[0],
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex[:16],
                "routeKey": route.key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(started * 1000),
            },
            "isBase64Encoded": not is_text,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        if body:
            event["body"] = body.decode("utf-8", errors="replace") if is_text else base64.b64encode(body).decode()
        return event


def _response_of(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Payload format 2.0: a result without statusCode is a 200 JSON body, as API Gateway infers."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ",".join(str(v) for v in values)
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    headers.setdefault("Content-Type", "application/json")
    return int(result["statusCode"]), headers, payload
