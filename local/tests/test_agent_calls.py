"""What a registered SSM Agent calls after its registration: the role token it signs with its RSA key, key
rotation, and the worker's pings and association lookups made with the role credentials."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import ACCOUNT, REGION, AgentApi, RsaSigV4Auth, agent_key, public_key_of
from cryptography.hazmat.primitives.asymmetric import rsa

from hybrid_local.ssm_hybrid import CONNECTION_LOST_AFTER, ROLE_TOKEN_LIFETIME

UTC = datetime.timezone.utc


@pytest.fixture
def activation(ssm: Any, roles: dict[str, str]) -> dict[str, str]:
    return ssm.create_activation(IamRole=roles["plain"], RegistrationLimit=5, DefaultInstanceName="edge")


@pytest.fixture
def instance_id(activation: dict[str, str], agent_api: Any) -> str:
    return agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def credentials_of(token: dict[str, Any]) -> Credentials:
    return Credentials(token["AccessKeyId"], token["SecretAccessKey"], token["SessionToken"])


def role_credentials(agent_api: Any, instance_id: str) -> Credentials:
    response = agent_api.role_token(instance_id)
    assert response.status_code == 200, response.text
    return credentials_of(response.json())


def error(response: requests.Response) -> tuple[int, str]:
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    return response.status_code, response.json()["__type"]


# ---------------------------------------------------------------------------
# RequestManagedInstanceRoleToken


def test_the_registered_key_gets_role_credentials(agent_api: Any, instance_id: str, client: Any) -> None:
    response = agent_api.role_token(instance_id)

    assert response.status_code == 200, response.text
    token = response.json()
    assert set(token) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "TokenExpirationDate", "UpdateKeyPair"}
    assert token["UpdateKeyPair"] is False
    expires = datetime.datetime.fromtimestamp(token["TokenExpirationDate"], UTC)
    assert abs((expires - datetime.datetime.now(UTC)).total_seconds() - ROLE_TOKEN_LIFETIME) < 10
    # They are the instance role's credentials, in a session named after the instance.
    identity = client(
        "sts",
        **{
            "aws_access_key_id": token["AccessKeyId"],
            "aws_secret_access_key": token["SecretAccessKey"],
            "aws_session_token": token["SessionToken"],
        },
    ).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/HybridOnboardingInstanceRole/{instance_id}"


def test_a_chunked_body_is_verified_as_the_agent_sends_it(agent_api: Any, instance_id: str) -> None:
    body = json.dumps({"Fingerprint": "test-fingerprint"}).encode()
    request = AWSRequest(
        method="POST",
        url=agent_api.endpoint_url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonSSM.RequestManagedInstanceRoleToken",
        },
    )
    RsaSigV4Auth(instance_id, agent_key(), REGION).add_auth(request)
    response = requests.post(
        agent_api.endpoint_url, data=iter([body]), headers=dict(request.headers.items()), timeout=10
    )
    assert response.status_code == 200, response.text


def test_another_key_is_refused(agent_api: Any, instance_id: str, other_key: rsa.RSAPrivateKey) -> None:
    response = agent_api.post_rsa(
        "RequestManagedInstanceRoleToken", {"Fingerprint": "test-fingerprint"}, instance_id, other_key
    )
    assert error(response) == (400, "InvalidSignatureException")


def test_a_tampered_body_is_refused(agent_api: Any, instance_id: str) -> None:
    request = AWSRequest(
        method="POST",
        url=agent_api.endpoint_url,
        data=json.dumps({"Fingerprint": "test-fingerprint"}),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonSSM.RequestManagedInstanceRoleToken",
        },
    )
    RsaSigV4Auth(instance_id, agent_key(), REGION).add_auth(request)
    tampered = json.dumps({"Fingerprint": "other-fingerprint"})
    response = requests.post(agent_api.endpoint_url, data=tampered, headers=dict(request.headers.items()), timeout=10)
    assert error(response) == (400, "InvalidSignatureException")


def test_an_ordinary_sigv4_signature_is_not_the_instances(agent_api: Any, instance_id: str) -> None:
    response = agent_api.post(
        "RequestManagedInstanceRoleToken", {"Fingerprint": "test-fingerprint"}, Credentials(instance_id, "a-secret")
    )
    assert error(response) == (400, "InvalidSignatureException")


def test_unknown_instances_and_missing_signatures(agent_api: Any, instance_id: str) -> None:
    unknown = agent_api.role_token("mi-0123456789abcdef0")
    assert error(unknown) == (400, "InvalidInstanceId")
    assert unknown.json()["message"] == "Not existing InstanceId mi-0123456789abcdef0"

    unsigned = agent_api.post_unsigned("RequestManagedInstanceRoleToken", {"Fingerprint": "test-fingerprint"})
    assert error(unsigned) == (400, "MissingAuthenticationTokenException")

    garbled = requests.post(
        agent_api.endpoint_url,
        data="{}",
        headers={
            "X-Amz-Target": "AmazonSSM.RequestManagedInstanceRoleToken",
            "Authorization": "AWS4-HMAC-SHA256 nonsense",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=10,
    )
    assert error(garbled) == (400, "IncompleteSignatureException")


def test_another_region_does_not_know_the_instance(agent_api: Any, instance_id: str, local_aws: Any) -> None:
    elsewhere = AgentApi(local_aws.endpoint_url, region="eu-west-1")
    assert error(elsewhere.role_token(instance_id)) == (400, "InvalidInstanceId")


def test_another_machine_fingerprint_is_refused(agent_api: Any, instance_id: str) -> None:
    response = agent_api.role_token(instance_id, fingerprint="a-cloned-machine")
    assert error(response) == (400, "MachineFingerprintDoesNotMatch")


def test_a_deregistered_instance_gets_no_credentials(agent_api: Any, instance_id: str, ssm: Any) -> None:
    ssm.deregister_managed_instance(InstanceId=instance_id)
    assert error(agent_api.role_token(instance_id)) == (400, "InvalidInstanceId")


# ---------------------------------------------------------------------------
# UpdateManagedInstancePublicKey


def test_key_rotation_when_asked(agent_api: Any, instance_id: str, control: Any, other_key: rsa.RSAPrivateKey) -> None:
    assert control.post("key-rotation", {"instanceId": instance_id}) == {
        "instanceId": instance_id,
        "updateKeyPair": True,
    }
    assert agent_api.role_token(instance_id).json()["UpdateKeyPair"] is True

    rotated = agent_api.post_rsa(
        "UpdateManagedInstancePublicKey",
        {"NewPublicKey": public_key_of(other_key), "NewPublicKeyType": "Rsa"},
        instance_id,
    )
    assert (rotated.status_code, rotated.json()) == (200, {})

    assert error(agent_api.role_token(instance_id)) == (400, "InvalidSignatureException")
    renewed = agent_api.post_rsa(
        "RequestManagedInstanceRoleToken", {"Fingerprint": "test-fingerprint"}, instance_id, other_key
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["UpdateKeyPair"] is False


def test_a_new_key_must_be_an_rsa_key(agent_api: Any, instance_id: str, control: Any) -> None:
    short = agent_api.post_rsa(
        "UpdateManagedInstancePublicKey", {"NewPublicKey": "c2hvcnQ=", "NewPublicKeyType": "Rsa"}, instance_id
    )
    assert error(short) == (400, "ValidationException")
    garbage = agent_api.post_rsa(
        "UpdateManagedInstancePublicKey", {"NewPublicKey": "A" * 392, "NewPublicKeyType": "Rsa"}, instance_id
    )
    assert error(garbage) == (400, "InvalidPublicKey")
    assert agent_api.role_token(instance_id).status_code == 200
    assert control.request("POST", "key-rotation", {"instanceId": "mi-0123456789abcdef0"}).status_code == 400


def test_registration_needs_an_rsa_public_key(activation: dict[str, str], agent_api: Any, ssm: Any) -> None:
    activation_id, code = activation["ActivationId"], activation["ActivationCode"]
    assert error(agent_api.register(activation_id, code, PublicKey="dGVzdA==")) == (400, "ValidationException")
    assert error(agent_api.register(activation_id, code, PublicKey="A" * 392)) == (400, "InvalidPublicKey")
    assert error(agent_api.register(activation_id, code, PublicKeyType="Dsa")) == (400, "ValidationException")
    # Nothing was spent.
    [listed] = ssm.describe_activations()["ActivationList"]
    assert listed["RegistrationsCount"] == 0


# ---------------------------------------------------------------------------
# The worker, with the role credentials


def ping(agent_api: Any, credentials: Credentials, instance_id: str, **reported: str) -> requests.Response:
    return agent_api.post("UpdateInstanceInformation", {"InstanceId": instance_id, **reported}, credentials)


def test_the_first_ping_brings_what_the_machine_reports(
    agent_api: Any, instance_id: str, ssm: Any, control: Any
) -> None:
    credentials = role_credentials(agent_api, instance_id)
    control.delete("calls")

    first = ping(
        agent_api, credentials, instance_id, AgentName="amazon-ssm-agent", AgentVersion="3.3.0.0", PlatformType="Linux"
    )
    assert (first.status_code, first.json()) == (200, {})
    second = ping(
        agent_api,
        credentials,
        instance_id,
        AgentStatus="Active",
        ComputerName="edge-17",
        IPAddress="192.0.2.17",
        PlatformName="Debian GNU/Linux",
        PlatformType="Linux",
        PlatformVersion="12",
        AvailabilityZone="",
        AvailabilityZoneId="",
        SSMConnectionChannel="",
    )
    assert second.status_code == 200, second.text

    [instance] = ssm.describe_instance_information()["InstanceInformationList"]
    assert instance["PingStatus"] == "Online"
    assert (instance["ComputerName"], instance["IPAddress"], instance["PlatformName"]) == (
        "edge-17",
        "192.0.2.17",
        "Debian GNU/Linux",
    )
    # The calls are attributed to the instance's credentials.
    assert control.get("calls-by-access-key")[credentials.access_key] == {"ssm.UpdateInstanceInformation": 2}


def test_an_instance_speaks_only_for_itself(agent_api: Any, activation: dict[str, str], instance_id: str) -> None:
    other = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    credentials = role_credentials(agent_api, instance_id)
    assert error(ping(agent_api, credentials, other, PlatformType="Linux")) == (400, "AccessDeniedException")
    listed = agent_api.post("ListInstanceAssociations", {"InstanceId": other}, credentials)
    assert error(listed) == (400, "AccessDeniedException")


def test_role_credentials_expire_on_the_emulator_clock(agent_api: Any, instance_id: str, control: Any) -> None:
    credentials = role_credentials(agent_api, instance_id)
    control.post("clock", {"advanceSeconds": ROLE_TOKEN_LIFETIME + 1})
    assert error(ping(agent_api, credentials, instance_id, PlatformType="Linux")) == (400, "ExpiredTokenException")
    assert ping(agent_api, role_credentials(agent_api, instance_id), instance_id).status_code == 200


def test_ping_status_follows_the_pings(agent_api: Any, instance_id: str, ssm: Any, control: Any) -> None:
    def status() -> str:
        [instance] = ssm.describe_instance_information()["InstanceInformationList"]
        return instance["PingStatus"]

    assert status() == "ConnectionLost"
    assert ping(agent_api, role_credentials(agent_api, instance_id), instance_id).status_code == 200
    assert status() == "Online"
    control.post("clock", {"advanceSeconds": CONNECTION_LOST_AFTER - 60})
    assert status() == "Online"
    control.post("clock", {"advanceSeconds": 120})
    assert status() == "ConnectionLost"
    assert ping(agent_api, role_credentials(agent_api, instance_id), instance_id).status_code == 200
    assert status() == "Online"


def test_association_lookups_answer_json(agent_api: Any, instance_id: str) -> None:
    credentials = role_credentials(agent_api, instance_id)
    instance_associations = agent_api.post(
        "ListInstanceAssociations", {"InstanceId": instance_id, "MaxResults": 20}, credentials
    )
    assert (instance_associations.status_code, instance_associations.json()) == (200, {"Associations": []})
    associations = agent_api.post(
        "ListAssociations",
        {"AssociationFilterList": [{"key": "InstanceId", "value": instance_id}], "MaxResults": 1},
        credentials,
    )
    assert (associations.status_code, associations.json()) == (200, {"Associations": []})


# ---------------------------------------------------------------------------
# Calls nobody serves, and the unsigned registration


@pytest.mark.parametrize("action", ["PutInventory", "GetDeployablePatchSnapshotForInstance", "NoSuchAction"])
def test_unserved_ssm_actions_answer_a_json_error(agent_api: Any, action: str) -> None:
    response = agent_api.post(action, {"InstanceId": "mi-0123456789abcdef0"})
    assert error(response) == (400, "UnknownOperationException")
    assert action in response.json()["message"]


def test_moto_still_answers_its_own_ssm_actions(ssm: Any) -> None:
    assert ssm.get_parameters(Names=["/not/there"])["InvalidParameters"] == ["/not/there"]


def test_an_unsigned_registration_joins_the_activations_region(
    client: Any, roles: dict[str, str], agent_api: Any, ssm: Any, local_aws: Any
) -> None:
    ireland = client("ssm", region="eu-west-1")
    created = ireland.create_activation(IamRole=roles["plain"])
    params = {
        "ActivationId": created["ActivationId"],
        "ActivationCode": created["ActivationCode"],
        "Fingerprint": "test-fingerprint",
        "PublicKey": public_key_of(agent_key()),
        "PublicKeyType": "Rsa",
    }
    # Signed for another Region, the activation is not there.
    assert error(agent_api.post("RegisterManagedInstance", params)) == (400, "InvalidActivation")

    response = agent_api.post_unsigned("RegisterManagedInstance", params)
    assert response.status_code == 200, response.text
    instance_id = response.json()["InstanceId"]
    assert [i["InstanceId"] for i in ireland.describe_instance_information()["InstanceInformationList"]] == [
        instance_id
    ]
    assert ssm.describe_instance_information()["InstanceInformationList"] == []
    assert AgentApi(local_aws.endpoint_url, region="eu-west-1").role_token(instance_id).status_code == 200


def test_an_unsigned_registration_of_an_unknown_activation(agent_api: Any) -> None:
    response = agent_api.post_unsigned(
        "RegisterManagedInstance",
        {
            "ActivationId": "0c3a2b1e-9f4d-4a7e-8b6c-5d4e3f2a1b0c",
            "ActivationCode": "A" * 20,
            "Fingerprint": "test-fingerprint",
            "PublicKey": public_key_of(agent_key()),
        },
    )
    assert error(response) == (400, "InvalidActivation")
