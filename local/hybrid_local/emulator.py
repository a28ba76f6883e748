"""The local AWS: moto's server app behind a WSGI middleware that adds what moto lacks.

The middleware, for every request:
1. answers ``/_hybrid/...`` control calls (clock, faults, call counters, event routes);
2. names the AWS call (``"<service>.<Action>"``), counts it and applies injected faults;
3. answers SSM hybrid activation and managed-instance calls, and the SSM Agent's calls, from
   ``SsmHybridBackend``, and any SSM call that neither it nor moto serves with a JSON error;
4. serializes DynamoDB calls, so conditional writes are atomic as in DynamoDB;
5. passes everything else to moto unchanged.

Run it by hand with ``python3 -m hybrid_local.emulator --port 5000``.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session
from botocore.exceptions import UnknownServiceError
from moto.core.responses import BaseResponse
from moto.core.utils import camelcase_to_underscores, method_names_from_class
from moto.events.models import events_backends
from moto.iam.models import get_account_id_from, iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.sts.models import sts_backends
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_input_stream

from . import agent_auth
from .faults import CallCounter, EmulatorClock, FaultInjector, FaultSpecError, InjectedFault
from .ssm_hybrid import CallContext, SsmError, SsmHybridBackend

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_hybrid/"
DEFAULT_REGION = "us-east-1"
SSM_JSON = "application/x-amz-json-1.1"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# X-Amz-Target prefixes of JSON-protocol services, by the service name used in call names.
_JSON_TARGET_SERVICES = {
    "AmazonSSM": "ssm",
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodbstreams",
    "TrentService": "kms",
    "AWSEvents": "events",
    "AmazonSQS": "sqs",
    "Logs_20140328": "logs",
    "AWSStepFunctions": "states",
    "AWSCognitoIdentityProviderService": "cognito-idp",
}
# Any other prefix: the service of the SigV4 credential scope, else the prefix in lower case.

# 'Credential=AKID/20240101/us-east-1/ssm/aws4_request' in a SigV4 Authorization header.
_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")

# The calls a registered instance signs with its RSA key instead of a secret access key.
_RSA_SIGNED_SSM_ACTIONS = frozenset({"RequestManagedInstanceRoleToken", "UpdateManagedInstancePublicKey"})
# The SSM actions moto answers (its handler methods are the actions in snake case).
_MOTO_SSM_METHODS = frozenset(method_names_from_class(SimpleSystemManagerResponse))


# ---------------------------------------------------------------------------
# Naming a request as an AWS call


@dataclass(frozen=True)
class AwsCall:
    service: str
    action: str
    # "json" (X-Amz-Target, rest-json) or "xml" (query, rest-xml): the shape of an error reply.
    error_format: str
    account: str
    region: str
    # The SigV4 access key id, or None for an unsigned call (whose Region is then unknown).
    access_key: str | None = None

    @property
    def name(self) -> str:
        return f"{self.service}.{self.action}"


# How long DynamoDB recognises a TransactWriteItems by its ClientRequestToken.
TRANSACTION_TOKEN_LIFETIME_S = 600


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back, so moto still finds it."""
    body = get_input_stream(environ).read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _account_for(environ: dict[str, Any], authorization: str) -> str:
    # The same precedence moto applies, so our state and moto's agree on the account.
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    match = BaseResponse.access_key_regex.search(authorization)
    return get_account_id_from(match.group(1) if match else "AKIAEXAMPLE")


class _RestRoutes:
    """Names REST calls (Lambda, Scheduler, S3, ...) by the request URIs of botocore's models."""

    @dataclass(frozen=True)
    class _Route:
        method: str
        path: re.Pattern[str]
        query: dict[str, str | None]
        action: str

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session = botocore.session.get_session()
        self._services: dict[str, tuple[str, list[_RestRoutes._Route]]] = {}

    def resolve(self, service: str, method: str, path: str, query: dict[str, list[str]]) -> tuple[str, str]:
        """The action (or ``METHOD /path`` when no route matches) and the error format."""
        error_format, routes = self._routes(service)
        for route in routes:
            if route.method == method and route.path.fullmatch(path) and self._query_matches(route, query):
                return route.action, error_format
        return f"{method} {path}", error_format

    @staticmethod
    def _query_matches(route: _RestRoutes._Route, query: dict[str, list[str]]) -> bool:
        return all(key in query and (value is None or value in query[key]) for key, value in route.query.items())

    def _routes(self, service: str) -> tuple[str, list[_RestRoutes._Route]]:
        with self._lock:
            if service not in self._services:
                self._services[service] = self._load(service)
            return self._services[service]

    def _load(self, service: str) -> tuple[str, list[_RestRoutes._Route]]:
        try:
            model = self._session.get_service_model(service)
        except UnknownServiceError:
            return "json", []
        routes = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            path_template, _, query_template = http["requestUri"].partition("?")
            pattern = re.sub(
                r"\\\{[^}]+?(\\\+)?\\\}",
                lambda m: ".+" if m.group(1) else "[^/]+",
                re.escape(path_template.rstrip("/")),
            )
            query: dict[str, str | None] = {}
            for part in filter(None, query_template.split("&")):
                key, _, value = part.partition("=")
                query[key] = value or None
            # The most literal template wins: '/{Bucket}?tagging' before '/{Bucket}'.
            weight = len(re.sub(r"\{[^}]+\}", "", path_template)) + 100 * len(query)
            routes.append((weight, self._Route(http["method"], re.compile(pattern + "/?"), query, name)))
        routes.sort(key=lambda item: -item[0])
        error_format = "xml" if model.metadata["protocol"] == "rest-xml" else "json"
        return error_format, [route for _, route in routes]


def identify_call(environ: dict[str, Any], rest_routes: _RestRoutes) -> AwsCall | None:
    """Name the AWS call a request makes, or None for requests that are no AWS call."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    scope = _CREDENTIAL_SCOPE.search(authorization) or _CREDENTIAL_SCOPE.search(
        "Credential=" + query.get("X-Amz-Credential", [""])[0]  # presigned URLs
    )
    region = scope.group(2) if scope else DEFAULT_REGION
    signed_service = scope.group(3) if scope else None
    access_key = scope.group(1) if scope else None

    target = environ.get("HTTP_X_AMZ_TARGET")
    if target and "." in target:
        prefix, action = target.split(".", 1)
        service = _JSON_TARGET_SERVICES.get(prefix, signed_service or prefix.lower())
        error_format = "json"
    else:
        action_param = query.get("Action", [None])[0]
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(_read_body(environ).decode("utf-8", "replace"))
            action_param = form.get("Action", [action_param])[0]
        if action_param and signed_service:
            service, action, error_format = signed_service, action_param, "xml"
        elif signed_service:
            service = signed_service
            action, error_format = rest_routes.resolve(service, environ["REQUEST_METHOD"], environ["PATH_INFO"], query)
        else:
            return None
    return AwsCall(service, action, error_format, _account_for(environ, authorization), region, access_key)


# ---------------------------------------------------------------------------
# Responses


def _json_response(payload: Any, status: int = 200, content_type: str = "application/json") -> Response:
    return Response(json.dumps(payload), status=status, content_type=content_type)


def aws_error(error_format: str, code: str, message: str, status: int, request_id: str) -> Response:
    """An error reply a botocore client parses into ``Error.Code == code``."""
    if error_format == "xml":
        party = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{party}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        response = Response(body, status=status, content_type="text/xml")
    else:
        response = _json_response({"__type": code, "message": message}, status, SSM_JSON)
        response.headers["x-amzn-ErrorType"] = code
    response.headers["x-amzn-RequestId"] = request_id
    return response


# ---------------------------------------------------------------------------
# The moto side of the SSM hybrid backend


def _role_exists(ctx: CallContext, role_arn: str) -> bool:
    roles = list(iam_backends[ctx.account][ctx.partition].get_roles())
    return any(role.arn == role_arn for role in roles)


def _issue_role_credentials(ctx: CallContext, role_arn: str, session_name: str, lifetime: int) -> dict[str, str]:
    # moto's own AssumeRole, so moto maps the key to the role's account and knows the session as the instance.
    assumed = sts_backends[ctx.account][ctx.partition].assume_role(
        region_name=ctx.region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy="",
        duration=lifetime,
        external_id="",
    )
    return {
        "AccessKeyId": assumed.access_key_id,
        "SecretAccessKey": assumed.secret_access_key,
        "SessionToken": assumed.session_token,
    }


def _publish_to_default_bus(ctx: CallContext, entries: list[dict[str, Any]]) -> None:
    # In-process, so rules and their targets (SQS, ...) see exactly what a PutEvents makes.
    # Delivery is best effort, as in AWS: a broken rule target must not fail the SSM call.
    try:
        results = events_backends[ctx.account][ctx.region].put_events(entries)
    except Exception:
        log.exception("EventBridge could not deliver SSM events")
        return
    for result in results:
        if "ErrorCode" in result:
            log.warning("EventBridge refused an SSM event: %s %s", result["ErrorCode"], result.get("ErrorMessage"))


# ---------------------------------------------------------------------------
# The middleware


class _ControlError(Exception):
    """A control request that cannot be carried out; answered with HTTP 400."""


class HybridMiddleware:
    def __init__(
        self,
        moto_app: WSGIApp,
        ssm: SsmHybridBackend,
        clock: EmulatorClock,
        faults: FaultInjector,
        calls: CallCounter,
    ) -> None:
        self._moto = moto_app
        self._ssm = ssm
        self._clock = clock
        self._faults = faults
        self._calls = calls
        self._rest_routes = _RestRoutes()
        # Set by the local stack: stops the running invocations of the function that signs with an access key id,
        # answering whether there was one.
        self.caller_stopper: Callable[[str], bool] | None = None
        self._dynamodb_lock = threading.Lock()
        # ClientRequestToken of each TransactWriteItems that went through: what it wrote, and when.
        self._transactions: dict[str, tuple[str, float]] = {}
        self._control_routes: dict[tuple[str, str], Callable[[dict[str, Any]], Any]] = {
            ("GET", "clock"): self._get_clock,
            ("POST", "clock"): self._set_clock,
            ("GET", "faults"): self._get_faults,
            ("POST", "faults"): self._add_fault,
            ("DELETE", "faults"): self._clear_faults,
            ("GET", "calls"): self._get_calls,
            ("GET", "calls-by-access-key"): self._get_calls_by_access_key,
            ("DELETE", "calls"): self._reset_calls,
            ("GET", "events"): self._get_event_routes,
            ("POST", "events"): self._set_event_routes,
            ("POST", "reset"): self._reset,
            ("GET", "instances"): self._get_instances,
            ("POST", "key-rotation"): self._request_key_rotation,
        }

    def reset(self) -> None:
        """Forget hybrid state and every test knob; moto's own state stays."""
        self._ssm.reset()
        self._faults.clear()
        self._calls.reset()
        self._clock.reset()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(Request(environ))(environ, start_response)

        call = identify_call(environ, self._rest_routes)
        if call is None:
            return self._moto(environ, start_response)

        found = BaseResponse.access_key_regex.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key = found.group(1) if found else None
        self._calls.record(call.name, access_key)
        fault = self._faults.check(call.name, access_key)
        if fault is not None:
            if fault.answer_lost or fault.stops_caller:
                Response.from_app(self._serve(call, environ), environ, buffered=True)
            if fault.stops_caller:
                if access_key is None or self.caller_stopper is None or not self.caller_stopper(access_key):
                    log.warning("stopCaller on %s: no running function signs with %s", call.name, access_key)
            return self._fault_response(call, fault)(environ, start_response)
        return self._serve(call, environ)(environ, start_response)

    def _serve(self, call: AwsCall, environ: dict[str, Any]) -> WSGIApp:
        """What answers the call: the hybrid backend or moto."""
        if call.service == "ssm" and call.action in self._ssm.actions:
            params = self._json_params(environ)
            if params is None or self._ssm.handles(call.action, params):
                return self._ssm_response(call, environ, params)
        if call.service == "ssm":
            return self._moto_ssm_response(call, environ)
        if call.service == "dynamodb":
            # moto's conditional writes are check-then-act; one at a time makes them atomic.
            with self._dynamodb_lock:
                if call.action == "TransactWriteItems":
                    return self._idempotent_transaction(call, environ)
                return Response.from_app(self._moto, environ, buffered=True)
        return self._moto

    def _idempotent_transaction(self, call: AwsCall, environ: dict[str, Any]) -> Response:
        """DynamoDB answers a TransactWriteItems sent again with the same ClientRequestToken within 10 minutes (the
        SDKs fill one in and keep it across their retries) as a success without applying it again, when the first
        went through; moto ignores the token, so a retry after a lost answer failed its own conditions here."""
        params = self._json_params(environ) or {}
        token = params.get("ClientRequestToken")
        items = json.dumps(params.get("TransactItems"), sort_keys=True)
        now = time.monotonic()
        for expired in [t for t, (_, at) in self._transactions.items() if now - at > TRANSACTION_TOKEN_LIFETIME_S]:
            del self._transactions[expired]
        if isinstance(token, str) and token in self._transactions:
            if self._transactions[token][0] != items:
                return aws_error(
                    call.error_format,
                    "IdempotentParameterMismatchException",
                    "The request uses the same client token as a previous, but non-identical request.",
                    400,
                    str(uuid.uuid4()),
                )
            return Response(b"{}", status=200, content_type="application/x-amz-json-1.0")
        response = Response.from_app(self._moto, environ, buffered=True)
        if isinstance(token, str) and response.status_code == 200:
            self._transactions[token] = (items, now)
        return response

    # -- AWS calls --------------------------------------------------------------

    @staticmethod
    def _fault_response(call: AwsCall, fault: InjectedFault) -> Response:
        return aws_error(call.error_format, fault.error, fault.message, fault.status, str(uuid.uuid4()))

    @staticmethod
    def _json_params(environ: dict[str, Any]) -> dict[str, Any] | None:
        try:
            params = json.loads(_read_body(environ) or b"{}")
        except ValueError:
            return None
        return params if isinstance(params, dict) else None

    def _moto_ssm_response(self, call: AwsCall, environ: dict[str, Any]) -> Response:
        """moto's answer to an SSM call, or a JSON error where moto would answer an HTML page."""
        request_id = str(uuid.uuid4())
        if camelcase_to_underscores(call.action) not in _MOTO_SSM_METHODS:
            message = f"The local emulator does not implement AmazonSSM.{call.action}."
            return aws_error("json", "UnknownOperationException", message, 400, request_id)
        response = Response.from_app(self._moto, environ, buffered=True)
        if response.status_code >= 500 and not response.mimetype.endswith("json"):
            log.error("moto failed on %s with HTTP %s", call.name, response.status_code)
            return aws_error("json", "InternalServerError", "An internal error occurred.", 500, request_id)
        return response

    @staticmethod
    def _rsa_signature(environ: dict[str, Any]) -> agent_auth.SignedRequest | None:
        authorization = environ.get("HTTP_AUTHORIZATION")
        if not authorization:
            return None
        request = Request(environ)
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        try:
            return agent_auth.signed_request(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", "/"),
                environ.get("QUERY_STRING", ""),
                headers,
                _read_body(environ),
                authorization,
            )
        except agent_auth.SignatureFormatError as error:
            raise SsmError("IncompleteSignatureException", str(error)) from None

    def _ssm_response(self, call: AwsCall, environ: dict[str, Any], params: dict[str, Any] | None) -> Response:
        request_id = str(uuid.uuid4())
        ctx = CallContext(
            account=call.account,
            region=call.region,
            request_id=request_id,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            user_agent=environ.get("HTTP_USER_AGENT", ""),
            signed=call.access_key is not None,
            access_key=call.access_key,
        )
        try:
            if params is None:
                raise SsmError("SerializationException", "The request body is not a JSON object.")
            if call.action in _RSA_SIGNED_SSM_ACTIONS:
                ctx = dataclasses.replace(ctx, rsa_signature=self._rsa_signature(environ))
            result = self._ssm.call(call.action, ctx, params)
        except SsmError as error:
            return aws_error("json", error.code, error.message, error.status, request_id)
        except Exception:
            log.exception("SSM hybrid backend failed on %s", call.name)
            return aws_error("json", "InternalServerError", "An internal error occurred.", 500, request_id)
        response = _json_response(result, content_type=SSM_JSON)
        response.headers["x-amzn-RequestId"] = request_id
        return response

    # -- control endpoints ------------------------------------------------------

    def _control(self, request: Request) -> Response:
        handler = self._control_routes.get((request.method, request.path[len(CONTROL_PREFIX) :].strip("/")))
        if handler is None:
            return _json_response({"error": f"no control endpoint {request.method} {request.path}"}, 404)
        try:
            body = request.get_json(force=True, silent=True) if request.content_length else {}
            if not isinstance(body, dict):
                raise _ControlError("the body must be a JSON object")
            return _json_response(handler(body))
        except (_ControlError, FaultSpecError) as error:
            return _json_response({"error": str(error)}, 400)

    def _get_clock(self, _: dict[str, Any]) -> dict[str, float]:
        return {"now": self._clock.now(), "offsetSeconds": self._clock.offset_seconds}

    def _set_clock(self, body: dict[str, Any]) -> dict[str, float]:
        for key, apply in (("advanceSeconds", self._clock.advance), ("offsetSeconds", self._clock.set_offset)):
            if key in body:
                value = body[key]
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise _ControlError(f"'{key}' must be a number of seconds")
                apply(float(value))
                return self._get_clock(body)
        raise _ControlError("give 'advanceSeconds' or 'offsetSeconds'")

    def _get_faults(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"faults": self._faults.describe()}

    def _add_fault(self, body: dict[str, Any]) -> dict[str, Any]:
        self._faults.add(body)
        return self._get_faults(body)

    def _clear_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        self._faults.clear()
        return self._get_faults(body)

    def _get_calls(self, _: dict[str, Any]) -> dict[str, int]:
        return self._calls.snapshot()

    def _get_calls_by_access_key(self, _: dict[str, Any]) -> dict[str, dict[str, int]]:
        return self._calls.by_access_key()

    def _reset_calls(self, body: dict[str, Any]) -> dict[str, int]:
        self._calls.reset()
        return self._get_calls(body)

    def _get_event_routes(self, _: dict[str, Any]) -> dict[str, bool]:
        return self._ssm.event_routes()

    def _set_event_routes(self, body: dict[str, Any]) -> dict[str, bool]:
        routes = {key: body[key] for key in ("registration", "cloudtrail") if key in body}
        if not all(isinstance(value, bool) for value in routes.values()):
            raise _ControlError("'registration' and 'cloudtrail' must be true or false")
        self._ssm.set_event_routes(**routes)
        return self._ssm.event_routes()

    def _reset(self, _: dict[str, Any]) -> dict[str, Any]:
        self.reset()
        return {}

    def _get_instances(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"instances": self._ssm.instances()}

    def _request_key_rotation(self, body: dict[str, Any]) -> dict[str, Any]:
        instance_id = body.get("instanceId")
        if not isinstance(instance_id, str) or not self._ssm.request_key_rotation(instance_id):
            raise _ControlError("'instanceId' must name a registered managed instance")
        return {"instanceId": instance_id, "updateKeyPair": True}


# ---------------------------------------------------------------------------
# The server


class _RequestLog(WSGIRequestHandler):
    """werkzeug's handler with its per-request access log switched off."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalAws:
    """moto plus the hybrid middleware, served on a loopback port by a background thread.

    moto keeps its state in module globals: every ``LocalAws`` of one process shares
    moto's resources, while each keeps its own hybrid state and knobs.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = False) -> None:
        self._host = host
        self._requested_port = port
        self._log_requests = log_requests
        self.clock = EmulatorClock()
        self.faults = FaultInjector()
        self.calls = CallCounter()
        self.ssm = SsmHybridBackend(self.clock, _role_exists, _publish_to_default_bus, _issue_role_credentials)
        self.app = HybridMiddleware(
            DomainDispatcherApplication(create_backend_app), self.ssm, self.clock, self.faults, self.calls
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen and serve in the background; the port accepts connections on return."""
        if self._server is not None:
            raise RuntimeError("LocalAws is already started")
        handler = WSGIRequestHandler if self._log_requests else _RequestLog
        self._server = make_server(self._host, self._requested_port, self.app, threaded=True, request_handler=handler)
        # moto_server does the same: moto features that call back into the server read it.
        os.environ.setdefault("MOTO_PORT", str(self.port))
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-aws", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Same as ``POST /_hybrid/reset``."""
        self.app.reset()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalAws is not started")
        return self._server.server_port

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def __enter__(self) -> LocalAws:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python3 -m hybrid_local.emulator",
        description="moto with SSM hybrid activations, fault injection and an adjustable clock",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    local_aws = LocalAws(args.host, args.port, log_requests=not args.quiet)
    local_aws.start()
    print(f"Local AWS listening on {local_aws.endpoint_url} (control: {local_aws.endpoint_url}/_hybrid/)", flush=True)
    stopping.wait()
    local_aws.stop()
    print("Local AWS stopped", flush=True)


if __name__ == "__main__":
    main()
