"""One local AWS for the whole test session, and clients that talk to it."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

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


@cache
def agent_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 key pair for the tests' registrations: making one takes a while."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_key_of(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


class RsaSigV4Auth(SigV4Auth):
    """SigV4 with the instance id as access key and, as the agent does, an RSA-PSS signature (salt 32, base64)
    of the string to sign made with the instance's private key."""

    def __init__(self, instance_id: str, key: rsa.RSAPrivateKey, region: str) -> None:
        super().__init__(Credentials(instance_id, "unused"), "ssm", region)
        self.key = key

    def signature(self, string_to_sign: str, request: AWSRequest) -> str:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return base64.b64encode(self.key.sign(string_to_sign.encode(), pss, hashes.SHA256())).decode()


class AgentApi:
    """The agent's own SSM calls, which are not in botocore's model: JSON POSTs, signed with SigV4 (``post``) or
    with an instance's RSA key (``post_rsa``)."""

    def __init__(self, endpoint_url: str, region: str = REGION) -> None:
        self.endpoint_url = endpoint_url + "/"
        self.region = region

    def _send(self, action: str, params: dict[str, Any], auth: SigV4Auth | None) -> requests.Response:
        body = json.dumps(params)
        request = AWSRequest(
            method="POST",
            url=self.endpoint_url,
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AmazonSSM.{action}"},
        )
        if auth is not None:
            auth.add_auth(request)
        return requests.post(self.endpoint_url, data=body, headers=dict(request.headers.items()), timeout=10)

    def post(self, action: str, params: dict[str, Any], credentials: Credentials | None = None) -> requests.Response:
        return self._send(action, params, SigV4Auth(credentials or Credentials("test", "test"), "ssm", self.region))

    def post_unsigned(self, action: str, params: dict[str, Any]) -> requests.Response:
        return self._send(action, params, None)

    def post_rsa(
        self, action: str, params: dict[str, Any], instance_id: str, key: rsa.RSAPrivateKey | None = None
    ) -> requests.Response:
        return self._send(action, params, RsaSigV4Auth(instance_id, key or agent_key(), self.region))

    def register(self, activation_id: str, code: str, **overrides: Any) -> requests.Response:
        params = {
            "ActivationId": activation_id,
            "ActivationCode": code,
            "Fingerprint": "test-fingerprint",
            "PublicKey": public_key_of(agent_key()),
            "PublicKeyType": "Rsa",
            **overrides,
        }
        return self.post("RegisterManagedInstance", {k: v for k, v in params.items() if v is not None})

    def register_ok(self, activation_id: str, code: str) -> str:
        response = self.register(activation_id, code)
        assert response.status_code == 200, response.text
        return response.json()["InstanceId"]

    def role_token(self, instance_id: str, fingerprint: str = "test-fingerprint") -> requests.Response:
        return self.post_rsa("RequestManagedInstanceRoleToken", {"Fingerprint": fingerprint}, instance_id)


@pytest.fixture(scope="session")
def agent_api(local_aws: LocalAws) -> AgentApi:
    return AgentApi(local_aws.endpoint_url)
