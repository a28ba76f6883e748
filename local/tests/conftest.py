"""One local AWS for the whole test session, and clients that talk to it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

LOCAL_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(LOCAL_DIR))

from hybrid_local.emulator import LocalAws  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_NAME = "HybridOnboardingInstanceRole"
PATH_ROLE = "service-role/HybridOnboardingPathRole"

# No retries: a test that injects a fault must see it, not a retried success.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=32)


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    with LocalAws() as aws:
        yield aws


@pytest.fixture(autouse=True)
def _fresh_hybrid_state(local_aws: LocalAws) -> None:
    """Each test starts with no activations, instances, faults or clock offset."""
    local_aws.reset()


@pytest.fixture(scope="session")
def client(local_aws: LocalAws) -> Callable[..., Any]:
    def make(service: str, region: str = REGION, validate: bool = True, **credentials: str) -> Any:
        config = NO_RETRIES.merge(Config(parameter_validation=validate))
        return boto3.client(
            service,
            endpoint_url=local_aws.endpoint_url,
            region_name=region,
            aws_access_key_id=credentials.get("aws_access_key_id", "test"),
            aws_secret_access_key=credentials.get("aws_secret_access_key", "test"),
            aws_session_token=credentials.get("aws_session_token"),
            config=config,
        )

    return make


@pytest.fixture(scope="session")
def ssm(client: Callable[..., Any]) -> Any:
    return client("ssm")


@pytest.fixture(scope="session")
def raw_ssm(client: Callable[..., Any]) -> Any:
    """An SSM client without botocore's client-side checks, to reach the server's."""
    return client("ssm", validate=False)


@pytest.fixture(scope="session")
def roles(client: Callable[..., Any]) -> dict[str, str]:
    iam = client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust)
    path, name = PATH_ROLE.rsplit("/", 1)
    iam.create_role(RoleName=name, Path=f"/{path}/", AssumeRolePolicyDocument=trust)
    return {"plain": ROLE_NAME, "with_path": PATH_ROLE}


class Control:
    """The emulator's /_hybrid/ endpoints."""

    def __init__(self, endpoint_url: str) -> None:
        self.base = f"{endpoint_url}/_hybrid"

    def request(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.base}/{path}", json=body, timeout=10)

    def get(self, path: str) -> Any:
        response = self.request("GET", path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any) -> Any:
        response = self.request("POST", path, body)
        response.raise_for_status()
        return response.json()

    def delete(self, path: str) -> Any:
        response = self.request("DELETE", path)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def control(local_aws: LocalAws) -> Control:
    return Control(local_aws.endpoint_url)


class AgentApi:
    """The agent's own SSM calls, which are not in botocore's model: signed JSON POSTs."""

    def __init__(self, endpoint_url: str, region: str = REGION) -> None:
        self.endpoint_url = endpoint_url + "/"
        self.region = region

    def post(self, action: str, params: dict[str, Any]) -> requests.Response:
        body = json.dumps(params)
        request = AWSRequest(
            method="POST",
            url=self.endpoint_url,
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AmazonSSM.{action}"},
        )
        SigV4Auth(Credentials("test", "test"), "ssm", self.region).add_auth(request)
        return requests.post(self.endpoint_url, data=body, headers=dict(request.headers.items()), timeout=10)

    def register(self, activation_id: str, code: str, **overrides: Any) -> requests.Response:
        params = {
            "ActivationId": activation_id,
            "ActivationCode": code,
            "Fingerprint": "test-fingerprint",
            "PublicKey": "dGVzdC1wdWJsaWMta2V5",
            "PublicKeyType": "Rsa",
            **overrides,
        }
        return self.post("RegisterManagedInstance", {k: v for k, v in params.items() if v is not None})

    def register_ok(self, activation_id: str, code: str) -> str:
        response = self.register(activation_id, code)
        assert response.status_code == 200, response.text
        return response.json()["InstanceId"]


@pytest.fixture(scope="session")
def agent_api(local_aws: LocalAws) -> AgentApi:
    return AgentApi(local_aws.endpoint_url)
