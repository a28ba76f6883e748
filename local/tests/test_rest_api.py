"""The local REST API's Lambda proxy integration when the function does not answer as it should: API Gateway
answers 502 for a Lambda error (a crash, the function's own timeout, a malformed answer), which clients retry, and
504 only past the integration's 29 seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hybrid_local import rest_api
from hybrid_local.lambda_runtime import InvocationError
from hybrid_local.rest_api import GatewayResponses, RestApi, RestMethod, RestStage

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:answers"


class Clock:
    def now(self) -> float:
        return 1_800_000_000.0


class Function:
    """Answers each invocation with what the test put next: a result, or an error to raise."""

    def __init__(self) -> None:
        self.next: Any = None

    def invoke(self, function_arn: str, event: dict[str, Any]) -> Any:
        assert function_arn == FUNCTION
        if isinstance(self.next, BaseException):
            raise self.next
        return self.next


@pytest.fixture
def function() -> Function:
    return Function()


@pytest.fixture
def api_url(function: Function) -> Iterator[str]:
    api = RestApi(
        "api1",
        "123456789012",
        "us-east-1",
        [RestMethod("r1", "/v1/things", "POST", FUNCTION)],
        [RestStage("prod", {}, {}, None)],
        GatewayResponses([]),
        [],
        function,
        Clock(),
    )
    api.start()
    try:
        yield api.url("prod")
    finally:
        api.stop()


@pytest.mark.parametrize(
    "error",
    [
        InvocationError("Sandbox.Timedout", "Task timed out after 28 seconds"),
        InvocationError("Runtime.ExitError", "the runtime exited"),
        InvocationError("java.lang.IllegalStateException", "asked to fail"),
    ],
)
def test_a_function_that_fails_or_times_out_is_a_502(function: Function, api_url: str, error: InvocationError) -> None:
    function.next = error

    answer = requests.post(f"{api_url}/v1/things", data=b"{}", timeout=30)

    assert (answer.status_code, answer.json()) == (502, {"message": "Internal server error"})


def test_an_answer_that_is_not_a_proxy_response_is_a_502(function: Function, api_url: str) -> None:
    function.next = {"body": "no status code"}

    answer = requests.post(f"{api_url}/v1/things", data=b"{}", timeout=30)

    assert answer.status_code == 502


def test_only_an_answer_past_the_integration_timeout_is_a_504(
    function: Function, api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rest_api, "INTEGRATION_TIMEOUT_S", -1)
    function.next = {"statusCode": 201, "body": "{}"}

    answer = requests.post(f"{api_url}/v1/things", data=b"{}", timeout=30)

    assert (answer.status_code, answer.json()) == (504, {"message": "Endpoint request timed out"})


def test_a_proxy_response_is_passed_on(function: Function, api_url: str) -> None:
    function.next = {"statusCode": 201, "headers": {"X-Answer": "yes"}, "body": '{"ok":true}'}

    answer = requests.post(f"{api_url}/v1/things", data=b"{}", timeout=30)

    assert (answer.status_code, answer.headers["X-Answer"], answer.json()) == (201, "yes", {"ok": True})
