"""The local AWS: SSM hybrid activations and managed instances, events, knobs, atomicity."""

from __future__ import annotations

import datetime
import json
import re
import sys
import threading
import uuid
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import ACCOUNT, REGION

UTC = datetime.timezone.utc
DAY = 24 * 3600


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def in_days(days: float) -> datetime.datetime:
    return datetime.datetime.now(UTC) + datetime.timedelta(days=days)


@pytest.fixture
def activation(ssm: Any, roles: dict[str, str]) -> dict[str, str]:
    return ssm.create_activation(
        IamRole=roles["plain"],
        RegistrationLimit=3,
        DefaultInstanceName="edge-node",
        Description="test fleet",
        Tags=[{"Key": "Fleet", "Value": "edge"}, {"Key": "Team", "Value": "platform"}],
    )


# ---------------------------------------------------------------------------
# CreateActivation


def test_create_activation_returns_id_and_code(ssm: Any, roles: dict[str, str]) -> None:
    created = ssm.create_activation(IamRole=roles["plain"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", created["ActivationId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{20}", created["ActivationCode"])
    assert created["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"


def test_create_activation_defaults(ssm: Any, roles: dict[str, str]) -> None:
    created = ssm.create_activation(IamRole=roles["plain"])
    [listed] = ssm.describe_activations()["ActivationList"]
    assert listed["ActivationId"] == created["ActivationId"]
    assert listed["RegistrationLimit"] == 1
    assert listed["RegistrationsCount"] == 0
    assert listed["Expired"] is False
    assert listed["Tags"] == []
    lifetime = listed["ExpirationDate"] - listed["CreatedDate"]
    assert lifetime == datetime.timedelta(hours=24)
    assert "Description" not in listed and "DefaultInstanceName" not in listed


def test_create_activation_keeps_what_it_was_given(ssm: Any, roles: dict[str, str]) -> None:
    expiry = in_days(29)
    ssm.create_activation(
        IamRole=roles["with_path"],
        RegistrationLimit=1000,
        ExpirationDate=expiry,
        DefaultInstanceName="Ünïcødé-名前 node_1.a:b/c=d+e-f@g",
        Description="d" * 256,
        Tags=[{"Key": "k" * 128, "Value": "v" * 256}, {"Key": "Empty", "Value": ""}],
    )
    [listed] = ssm.describe_activations()["ActivationList"]
    assert listed["IamRole"] == "service-role/HybridOnboardingPathRole"
    assert listed["RegistrationLimit"] == 1000
    assert abs((listed["ExpirationDate"] - expiry).total_seconds()) < 1
    assert listed["DefaultInstanceName"] == "Ünïcødé-名前 node_1.a:b/c=d+e-f@g"
    assert listed["Description"] == "d" * 256
    assert listed["Tags"] == [{"Key": "k" * 128, "Value": "v" * 256}, {"Key": "Empty", "Value": ""}]


@pytest.mark.parametrize(
    ("limit", "constraint"),
    [
        (1001, "Member must have value less than or equal to 1000"),
        (0, "Member must have value greater than or equal to 1"),
    ],
)
def test_registration_limit_out_of_range(raw_ssm: Any, roles: dict[str, str], limit: int, constraint: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.create_activation(IamRole=roles["plain"], RegistrationLimit=limit)
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{limit}' at 'registrationLimit' "
        f"failed to satisfy constraint: {constraint}",
    )


def test_several_validation_errors_are_reported_together(raw_ssm: Any, roles: dict[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.create_activation(IamRole=roles["plain"], Description="d" * 257, DefaultInstanceName="bad!name")
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: ")
    assert (
        "Value '" + "d" * 257 + "' at 'description' failed to satisfy constraint: "
        "Member must have length less than or equal to 256" in message
    )
    assert (
        "Value 'bad!name' at 'defaultInstanceName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$" in message
    )
    assert "; " in message


def test_missing_iam_role_is_a_validation_error(raw_ssm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.create_activation(Description="no role")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value null at 'iamRole' failed to satisfy constraint: Member must not be null",
    )


def test_wrongly_typed_member_is_a_serialization_error(raw_ssm: Any, roles: dict[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.create_activation(IamRole=roles["plain"], RegistrationLimit="five")
    assert error_of(excinfo)[0] == "SerializationException"


def test_tag_lengths_are_validated(raw_ssm: Any, roles: dict[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.create_activation(IamRole=roles["plain"], Tags=[{"Key": "k" * 129, "Value": "v" * 257}])
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: ")
    too_long = "failed to satisfy constraint: Member must have length less than or equal to"
    assert f"at 'tags.1.member.key' {too_long} 128" in message
    assert f"at 'tags.1.member.value' {too_long} 256" in message


@pytest.mark.parametrize("key", ["aws:fleet", "AWS:Fleet"])
def test_reserved_tag_prefix_is_refused(ssm: Any, roles: dict[str, str], key: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ssm.create_activation(IamRole=roles["plain"], Tags=[{"Key": key, "Value": "x"}])
    assert error_of(excinfo)[0] == "InvalidParameters"


def test_more_than_50_tags_are_refused(ssm: Any, roles: dict[str, str]) -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    with pytest.raises(ClientError) as excinfo:
        ssm.create_activation(IamRole=roles["plain"], Tags=tags)
    assert error_of(excinfo)[0] == "InvalidParameters"
    ssm.create_activation(IamRole=roles["plain"], Tags=tags[:50])


@pytest.mark.parametrize("expiry", [lambda: in_days(-1 / 24), lambda: in_days(30.01)])
def test_expiration_must_be_within_30_days(ssm: Any, roles: dict[str, str], expiry: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ssm.create_activation(IamRole=roles["plain"], ExpirationDate=expiry())
    assert error_of(excinfo)[0] == "InvalidParameters"


def test_expiration_follows_the_emulator_clock(ssm: Any, roles: dict[str, str], control: Any) -> None:
    control.post("clock", {"advanceSeconds": 10 * DAY})
    with pytest.raises(ClientError) as excinfo:
        ssm.create_activation(IamRole=roles["plain"], ExpirationDate=in_days(5))
    assert error_of(excinfo)[0] == "InvalidParameters"
    ssm.create_activation(IamRole=roles["plain"], ExpirationDate=in_days(35))


def test_unknown_role_is_not_existing(ssm: Any, roles: dict[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        ssm.create_activation(IamRole="NoSuchRole")
    assert error_of(excinfo) == ("ValidationException", f"Not existing role: arn:aws:iam::{ACCOUNT}:role/NoSuchRole")


def test_role_arn_instead_of_name_is_not_existing(ssm: Any, roles: dict[str, str]) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/{roles['plain']}"
    with pytest.raises(ClientError) as excinfo:
        ssm.create_activation(IamRole=arn)
    assert error_of(excinfo) == ("ValidationException", f"Not existing role: arn:aws:iam::{ACCOUNT}:role/{arn}")


def test_role_path_must_match(ssm: Any, roles: dict[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        ssm.create_activation(IamRole="HybridOnboardingPathRole")
    assert error_of(excinfo)[0] == "ValidationException"


def test_state_is_per_region_and_account(ssm: Any, client: Any, roles: dict[str, str], local_aws: Any) -> None:
    ssm.create_activation(IamRole=roles["plain"])
    assert client("ssm", region="eu-west-1").describe_activations()["ActivationList"] == []

    other_account = "111122223333"
    assumed = client("sts").assume_role(RoleArn=f"arn:aws:iam::{other_account}:role/Admin", RoleSessionName="test")[
        "Credentials"
    ]
    credentials = {
        "aws_access_key_id": assumed["AccessKeyId"],
        "aws_secret_access_key": assumed["SecretAccessKey"],
        "aws_session_token": assumed["SessionToken"],
    }
    other_ssm = client("ssm", **credentials)
    assert other_ssm.describe_activations()["ActivationList"] == []
    # The role exists in the default account only.
    with pytest.raises(ClientError) as excinfo:
        other_ssm.create_activation(IamRole=roles["plain"])
    assert error_of(excinfo) == (
        "ValidationException",
        f"Not existing role: arn:aws:iam::{other_account}:role/{roles['plain']}",
    )


# ---------------------------------------------------------------------------
# DescribeActivations


def test_activation_code_is_never_described(ssm: Any, activation: dict[str, str], agent_api: Any, control: Any) -> None:
    agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    described = json.dumps(ssm.describe_activations(), default=str)
    instances = json.dumps(ssm.describe_instance_information(), default=str)
    debug = json.dumps(control.get("instances"))
    for text in (described, instances, debug):
        assert activation["ActivationCode"] not in text
    assert "ActivationCode" not in described


def test_describe_activations_fields(ssm: Any, activation: dict[str, str], roles: dict[str, str]) -> None:
    [listed] = ssm.describe_activations()["ActivationList"]
    assert set(listed) == {
        "ActivationId",
        "Description",
        "DefaultInstanceName",
        "IamRole",
        "RegistrationLimit",
        "RegistrationsCount",
        "ExpirationDate",
        "Expired",
        "CreatedDate",
        "Tags",
    }
    assert listed["Description"] == "test fleet"
    assert listed["DefaultInstanceName"] == "edge-node"
    assert listed["IamRole"] == roles["plain"]
    assert listed["Tags"] == [{"Key": "Fleet", "Value": "edge"}, {"Key": "Team", "Value": "platform"}]


def test_describe_activations_filters(ssm: Any, roles: dict[str, str]) -> None:
    first = ssm.create_activation(IamRole=roles["plain"], DefaultInstanceName="alpha")["ActivationId"]
    second = ssm.create_activation(IamRole=roles["with_path"], DefaultInstanceName="beta")["ActivationId"]
    third = ssm.create_activation(IamRole=roles["plain"], DefaultInstanceName="beta")["ActivationId"]

    def ids(*filters: dict[str, Any]) -> list[str]:
        listed = ssm.describe_activations(Filters=list(filters))["ActivationList"]
        return [item["ActivationId"] for item in listed]

    assert ids({"FilterKey": "ActivationIds", "FilterValues": [third, first]}) == [first, third]
    assert ids({"FilterKey": "DefaultInstanceName", "FilterValues": ["beta"]}) == [second, third]
    assert ids({"FilterKey": "IamRole", "FilterValues": [roles["with_path"]]}) == [second]
    assert ids(
        {"FilterKey": "IamRole", "FilterValues": [roles["plain"]]},
        {"FilterKey": "DefaultInstanceName", "FilterValues": ["beta"]},
    ) == [third]
    assert ids({"FilterKey": "DefaultInstanceName", "FilterValues": ["bet"]}) == []


def test_describe_activations_unknown_filter_key(raw_ssm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.describe_activations(Filters=[{"FilterKey": "Description", "FilterValues": ["x"]}])
    assert error_of(excinfo)[0] == "InvalidFilter"


def test_describe_activations_pages_in_creation_order(ssm: Any, roles: dict[str, str]) -> None:
    created = [ssm.create_activation(IamRole=roles["plain"])["ActivationId"] for _ in range(7)]
    pages = []
    kwargs: dict[str, Any] = {"MaxResults": 3}
    while True:
        page = ssm.describe_activations(**kwargs)
        pages.append([item["ActivationId"] for item in page["ActivationList"]])
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert pages == [created[0:3], created[3:6], created[6:7]]

    paginated = ssm.get_paginator("describe_activations").paginate(PaginationConfig={"PageSize": 2})
    assert [item["ActivationId"] for page in paginated for item in page["ActivationList"]] == created


def test_describe_activations_bad_token_and_page_size(raw_ssm: Any, ssm: Any, roles: dict[str, str]) -> None:
    for _ in range(2):
        ssm.create_activation(IamRole=roles["plain"])
    for token in ("not-a-token", "eyJvcCI6ICJEZXNjcmliZUluc3RhbmNlSW5mb3JtYXRpb24iLCAiYWZ0ZXIiOiAwfQ=="):
        with pytest.raises(ClientError) as excinfo:
            ssm.describe_activations(NextToken=token)
        assert error_of(excinfo)[0] == "InvalidNextToken"
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.describe_activations(MaxResults=51)
    assert error_of(excinfo)[0] == "ValidationException"


def test_expired_and_registrations_count_are_computed(
    ssm: Any, activation: dict[str, str], agent_api: Any, control: Any
) -> None:
    agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    [listed] = ssm.describe_activations()["ActivationList"]
    assert (listed["RegistrationsCount"], listed["Expired"]) == (2, False)

    control.post("clock", {"advanceSeconds": DAY})
    [listed] = ssm.describe_activations()["ActivationList"]
    assert (listed["RegistrationsCount"], listed["Expired"]) == (2, True)


# ---------------------------------------------------------------------------
# DeleteActivation


def test_delete_activation(ssm: Any, activation: dict[str, str]) -> None:
    ssm.delete_activation(ActivationId=activation["ActivationId"])
    assert ssm.describe_activations()["ActivationList"] == []
    with pytest.raises(ClientError) as excinfo:
        ssm.delete_activation(ActivationId=activation["ActivationId"])
    assert error_of(excinfo)[0] == "InvalidActivation"


def test_delete_unknown_activation(ssm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ssm.delete_activation(ActivationId=str(uuid.uuid4()))
    assert error_of(excinfo)[0] == "InvalidActivation"


@pytest.mark.parametrize("activation_id", ["not-an-id", str(uuid.uuid4()).upper()])
def test_delete_malformed_activation_id(raw_ssm: Any, activation_id: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.delete_activation(ActivationId=activation_id)
    assert error_of(excinfo)[0] == "InvalidActivationId"


def test_delete_activation_keeps_its_instances(ssm: Any, activation: dict[str, str], agent_api: Any) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    ssm.delete_activation(ActivationId=activation["ActivationId"])
    [instance] = ssm.describe_instance_information()["InstanceInformationList"]
    assert instance["InstanceId"] == instance_id


# ---------------------------------------------------------------------------
# RegisterManagedInstance and UpdateInstanceInformation (the agent's calls)


def test_register_creates_a_managed_instance(
    ssm: Any, activation: dict[str, str], agent_api: Any, roles: dict[str, str]
) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    assert re.fullmatch(r"mi-[0-9a-f]{17}", instance_id)

    [instance] = ssm.describe_instance_information()["InstanceInformationList"]
    assert instance["InstanceId"] == instance_id
    # The agent has not pinged yet: SSM knows nothing of the machine itself.
    assert instance["PingStatus"] == "ConnectionLost"
    for unknown in ("LastPingDateTime", "ComputerName", "IPAddress", "PlatformName", "PlatformType", "AgentVersion"):
        assert unknown not in instance
    assert instance["ActivationId"] == activation["ActivationId"]
    assert instance["IamRole"] == roles["plain"]
    assert instance["Name"] == "edge-node"
    assert instance["ResourceType"] == "ManagedInstance"
    assert instance["SourceId"] == instance_id
    assert instance["SourceType"] == "AWS::SSM::ManagedInstance"
    assert abs((instance["RegistrationDate"] - datetime.datetime.now(UTC)).total_seconds()) < 5

    tags = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)["TagList"]
    assert tags == [{"Key": "Fleet", "Value": "edge"}, {"Key": "Team", "Value": "platform"}]


def test_registration_date_follows_the_emulator_clock(
    ssm: Any, activation: dict[str, str], agent_api: Any, control: Any
) -> None:
    control.post("clock", {"advanceSeconds": 3600})
    agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    [instance] = ssm.describe_instance_information()["InstanceInformationList"]
    expected = datetime.datetime.now(UTC) + datetime.timedelta(hours=1)
    assert abs((instance["RegistrationDate"] - expected).total_seconds()) < 5


def test_register_error_response_format(activation: dict[str, str], agent_api: Any) -> None:
    response = agent_api.register(activation["ActivationId"], "A" * 20)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"]
    assert response.json()["__type"] == "InvalidActivation"
    assert response.json()["message"]


@pytest.mark.parametrize(
    "mismatch",
    ["wrong code", "unknown activation", "deleted activation"],
)
def test_register_with_invalid_activation(ssm: Any, activation: dict[str, str], agent_api: Any, mismatch: str) -> None:
    activation_id, code = activation["ActivationId"], activation["ActivationCode"]
    if mismatch == "wrong code":
        code = code[::-1]
    elif mismatch == "unknown activation":
        activation_id = str(uuid.uuid4())
    else:
        ssm.delete_activation(ActivationId=activation_id)
    response = agent_api.register(activation_id, code)
    assert (response.status_code, response.json()["__type"]) == (400, "InvalidActivation")


def test_register_with_expired_activation(activation: dict[str, str], agent_api: Any, control: Any) -> None:
    control.post("clock", {"advanceSeconds": DAY + 1})
    response = agent_api.register(activation["ActivationId"], activation["ActivationCode"])
    assert (response.status_code, response.json()["__type"]) == (400, "ActivationExpired")


def test_register_beyond_the_registration_limit(ssm: Any, activation: dict[str, str], agent_api: Any) -> None:
    for _ in range(3):
        agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    response = agent_api.register(activation["ActivationId"], activation["ActivationCode"])
    assert response.status_code == 400
    assert response.json() == {
        "__type": "RegistrationLimitExceeded",
        "message": "Activation has reached its registration limit",
    }
    [listed] = ssm.describe_activations()["ActivationList"]
    assert listed["RegistrationsCount"] == 3
    assert len(ssm.describe_instance_information()["InstanceInformationList"]) == 3


@pytest.mark.parametrize("member", ["Fingerprint", "PublicKey", "ActivationCode"])
def test_register_without_required_member(activation: dict[str, str], agent_api: Any, member: str) -> None:
    response = agent_api.register(activation["ActivationId"], activation["ActivationCode"], **{member: None})
    assert (response.status_code, response.json()["__type"]) == (400, "ValidationException")
    path = member[0].lower() + member[1:]
    assert f"Value null at '{path}'" in response.json()["message"]


def test_update_instance_information(ssm: Any, activation: dict[str, str], agent_api: Any) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    response = agent_api.post(
        "UpdateInstanceInformation",
        {
            "InstanceId": instance_id,
            "AgentName": "amazon-ssm-agent",
            "AgentVersion": "3.3.0.0",
            "AgentStatus": "Active",
            "PlatformName": "Debian GNU/Linux",
            "PlatformType": "Linux",
            "PlatformVersion": "12",
            "ComputerName": "pi-17",
            "IPAddress": "192.0.2.17",
        },
    )
    assert (response.status_code, response.json()) == (200, {})
    [instance] = ssm.describe_instance_information()["InstanceInformationList"]
    assert instance["PingStatus"] == "Online"
    assert abs((instance["LastPingDateTime"] - datetime.datetime.now(UTC)).total_seconds()) < 5
    assert {key: instance[key] for key in ("AgentVersion", "PlatformName", "PlatformType", "PlatformVersion")} == {
        "AgentVersion": "3.3.0.0",
        "PlatformName": "Debian GNU/Linux",
        "PlatformType": "Linux",
        "PlatformVersion": "12",
    }
    assert (instance["ComputerName"], instance["IPAddress"]) == ("pi-17", "192.0.2.17")


def test_update_unknown_instance(agent_api: Any) -> None:
    response = agent_api.post("UpdateInstanceInformation", {"InstanceId": "mi-0123456789abcdef0"})
    assert (response.status_code, response.json()["__type"]) == (400, "InvalidInstanceId")


# ---------------------------------------------------------------------------
# DescribeInstanceInformation


@pytest.fixture
def instances(ssm: Any, roles: dict[str, str], agent_api: Any) -> dict[str, list[str]]:
    """Seven instances: four from activation A, three from activation B."""
    by_activation: dict[str, list[str]] = {}
    for name, count in (("a", 4), ("b", 3)):
        created = ssm.create_activation(
            IamRole=roles["plain"], RegistrationLimit=count, Tags=[{"Key": "Group", "Value": name}]
        )
        by_activation[created["ActivationId"]] = [
            agent_api.register_ok(created["ActivationId"], created["ActivationCode"]) for _ in range(count)
        ]
    return by_activation


def test_describe_instance_information_filters(ssm: Any, instances: dict[str, list[str]], agent_api: Any) -> None:
    (first_activation, first_ids), (second_activation, second_ids) = instances.items()
    for pinging in second_ids:
        agent_api.post("UpdateInstanceInformation", {"InstanceId": pinging, "PlatformType": "Linux"}).raise_for_status()

    def ids(**kwargs: Any) -> list[str]:
        return [item["InstanceId"] for item in ssm.describe_instance_information(**kwargs)["InstanceInformationList"]]

    assert ids() == first_ids + second_ids
    assert ids(InstanceInformationFilterList=[{"key": "ActivationIds", "valueSet": [second_activation]}]) == second_ids
    assert ids(InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [second_ids[0], first_ids[1]]}]) == [
        first_ids[1],
        second_ids[0],
    ]
    assert ids(Filters=[{"Key": "ActivationIds", "Values": [first_activation]}]) == first_ids
    assert ids(Filters=[{"Key": "InstanceIds", "Values": [first_ids[0]]}]) == [first_ids[0]]
    assert ids(Filters=[{"Key": "PingStatus", "Values": ["Online"]}]) == second_ids
    assert ids(Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]) == first_ids
    assert ids(Filters=[{"Key": "PlatformTypes", "Values": ["Linux"]}]) == second_ids
    assert ids(Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance"]}]) == first_ids + second_ids
    assert ids(Filters=[{"Key": "tag:Group", "Values": ["b"]}]) == second_ids
    assert ids(
        Filters=[
            {"Key": "ActivationIds", "Values": [first_activation]},
            {"Key": "InstanceIds", "Values": [first_ids[2], second_ids[2]]},
        ]
    ) == [first_ids[2]]


def test_describe_instance_information_pages(ssm: Any, instances: dict[str, list[str]]) -> None:
    everything = [instance for ids in instances.values() for instance in ids]
    first = ssm.describe_instance_information(MaxResults=5)
    second = ssm.describe_instance_information(MaxResults=5, NextToken=first["NextToken"])
    assert [item["InstanceId"] for item in first["InstanceInformationList"]] == everything[:5]
    assert [item["InstanceId"] for item in second["InstanceInformationList"]] == everything[5:]
    assert "NextToken" not in second

    paginated = ssm.get_paginator("describe_instance_information").paginate(PaginationConfig={"PageSize": 5})
    assert [item["InstanceId"] for page in paginated for item in page["InstanceInformationList"]] == everything


def test_describe_instance_information_errors(raw_ssm: Any, ssm: Any, instances: dict[str, list[str]]) -> None:
    def code(**kwargs: Any) -> str:
        with pytest.raises(ClientError) as excinfo:
            raw_ssm.describe_instance_information(**kwargs)
        return error_of(excinfo)[0]

    too_many = [f"mi-{i:017x}" for i in range(101)]
    assert code(InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": too_many}]) == (
        "InvalidInstanceInformationFilterValue"
    )
    assert code(Filters=[{"Key": "InstanceIds", "Values": too_many}]) == "InvalidInstanceInformationFilterValue"
    assert code(Filters=[{"Key": "Colour", "Values": ["blue"]}]) == "InvalidFilterKey"
    assert code(InstanceInformationFilterList=[{"key": "Colour", "valueSet": ["blue"]}]) == "InvalidFilterKey"
    assert code(MaxResults=4) == "ValidationException"
    assert code(MaxResults=51) == "ValidationException"
    assert code(NextToken="garbage") == "InvalidNextToken"
    # 100 values are fine.
    ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": too_many[:100]}])


# ---------------------------------------------------------------------------
# Tags of managed instances, and of everything else (moto)


def test_tags_of_a_managed_instance(ssm: Any, activation: dict[str, str], agent_api: Any) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance",
        ResourceId=instance_id,
        Tags=[{"Key": "Name", "Value": "pi-17"}, {"Key": "Fleet", "Value": "lab"}],
    )
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=instance_id, TagKeys=["Team", "Absent"])
    tags = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)["TagList"]
    assert tags == [{"Key": "Fleet", "Value": "lab"}, {"Key": "Name", "Value": "pi-17"}]
    # The activation's tags are a copy: retagging the instance leaves them alone.
    [listed] = ssm.describe_activations()["ActivationList"]
    assert listed["Tags"] == [{"Key": "Fleet", "Value": "edge"}, {"Key": "Team", "Value": "platform"}]


def test_the_debug_listing_counts_the_tag_calls_that_went_through_for_each_instance(
    ssm: Any, activation: dict[str, str], agent_api: Any, local_aws: Any
) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    local_aws.faults.add({"target": "ssm.AddTagsToResource", "error": "ThrottlingException", "count": 1})
    tags = [{"Key": "Name", "Value": "pi-18"}]
    with pytest.raises(ClientError):
        ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=tags)
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=tags)
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=tags)

    [listed] = [
        i
        for i in requests.get(f"{local_aws.endpoint_url}/_hybrid/instances", timeout=10).json()["instances"]
        if i["InstanceId"] == instance_id
    ]
    assert listed["TagUpdates"] == 2


def test_tag_errors_on_managed_instances(raw_ssm: Any, ssm: Any, activation: dict[str, str], agent_api: Any) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])

    def code(call: Any, **kwargs: Any) -> str:
        with pytest.raises(ClientError) as excinfo:
            call(ResourceType="ManagedInstance", **kwargs)
        return error_of(excinfo)[0]

    unknown = "mi-0123456789abcdef0"
    assert code(ssm.add_tags_to_resource, ResourceId=unknown, Tags=[{"Key": "a", "Value": "b"}]) == "InvalidResourceId"
    assert code(ssm.remove_tags_from_resource, ResourceId=unknown, TagKeys=["a"]) == "InvalidResourceId"
    assert code(ssm.list_tags_for_resource, ResourceId=unknown) == "InvalidResourceId"
    assert code(ssm.add_tags_to_resource, ResourceId=instance_id, Tags=[{"Key": "aws:x", "Value": "b"}]) == (
        "ValidationException"
    )
    assert code(raw_ssm.add_tags_to_resource, ResourceId=instance_id, Tags=[{"Key": "k" * 129, "Value": "b"}]) == (
        "ValidationException"
    )
    assert code(raw_ssm.add_tags_to_resource, ResourceId=instance_id, Tags=[{"Key": "k", "Value": "v" * 257}]) == (
        "ValidationException"
    )
    # Two tags from the activation plus 48 make 50; one more is too many.
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(48)]
    )
    assert code(ssm.add_tags_to_resource, ResourceId=instance_id, Tags=[{"Key": "one-more", "Value": "x"}]) == (
        "TooManyTagsError"
    )
    # Overwriting an existing key does not add a tag.
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": "k0", "Value": "x"}])


def test_tags_of_other_resource_types_reach_moto(ssm: Any, local_aws: Any) -> None:
    name = f"/hybrid/test/{uuid.uuid4()}"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "Owner", "Value": "me"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "Owner", "Value": "me"}]
    assert local_aws.ssm.instances() == []


# ---------------------------------------------------------------------------
# DeregisterManagedInstance


def test_deregister_managed_instance(ssm: Any, activation: dict[str, str], agent_api: Any) -> None:
    kept = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    gone = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    ssm.deregister_managed_instance(InstanceId=gone)
    ids = [item["InstanceId"] for item in ssm.describe_instance_information()["InstanceInformationList"]]
    assert ids == [kept]
    with pytest.raises(ClientError) as excinfo:
        ssm.deregister_managed_instance(InstanceId=gone)
    assert error_of(excinfo)[0] == "InvalidInstanceId"
    with pytest.raises(ClientError) as excinfo:
        ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=gone)
    assert error_of(excinfo)[0] == "InvalidResourceId"


def test_deregister_malformed_instance_id(raw_ssm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_ssm.deregister_managed_instance(InstanceId="i-0123456789abcdef0")
    assert error_of(excinfo)[0] == "InvalidInstanceId"


# ---------------------------------------------------------------------------
# Events: registration and CloudTrail routes to EventBridge


@pytest.fixture
def event_queues(client: Any) -> dict[str, tuple[Any, str]]:
    """An SQS queue behind a rule for each route of (de)registration events."""
    sqs, events = client("sqs"), client("events")
    patterns = {
        "registration": {"source": ["aws.ssm"], "detail-type": ["SSM Managed Instance Registration"]},
        "deregistration": {"source": ["aws.ssm"], "detail-type": ["SSM Managed Instance Deregistration"]},
        "cloudtrail": {
            "source": ["aws.ssm"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventSource": ["ssm.amazonaws.com"], "eventName": ["RegisterManagedInstance"]},
        },
    }
    suffix = uuid.uuid4().hex[:8]
    queues = {}
    for route, pattern in patterns.items():
        url = sqs.create_queue(QueueName=f"{route}-{suffix}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"{route}-{suffix}", EventPattern=json.dumps(pattern))
        events.put_targets(Rule=f"{route}-{suffix}", Targets=[{"Id": "queue", "Arn": arn}])
        queues[route] = url
    yield {route: (sqs, url) for route, url in queues.items()}
    for route in patterns:
        events.remove_targets(Rule=f"{route}-{suffix}", Ids=["queue"])
        events.delete_rule(Name=f"{route}-{suffix}")


def received(queue: tuple[Any, str]) -> list[dict[str, Any]]:
    sqs, url = queue
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_registration_reaches_eventbridge_by_both_routes(
    activation: dict[str, str], agent_api: Any, event_queues: dict[str, Any]
) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    instance_arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance/{instance_id}"

    [event] = received(event_queues["registration"])
    assert (event["source"], event["detail-type"]) == ("aws.ssm", "SSM Managed Instance Registration")
    # moto's default input template drops "account" on the way to SQS, as for any PutEvents.
    assert event["region"] == REGION
    assert event["resources"] == [instance_arn]
    assert event["detail"] == {"instance-id": instance_id, "activation-id": activation["ActivationId"]}

    [trail] = received(event_queues["cloudtrail"])
    assert trail["detail-type"] == "AWS API Call via CloudTrail"
    detail = trail["detail"]
    assert (detail["eventSource"], detail["eventName"], detail["awsRegion"]) == (
        "ssm.amazonaws.com",
        "RegisterManagedInstance",
        REGION,
    )
    assert detail["requestParameters"] == {"activationId": activation["ActivationId"]}
    assert detail["responseElements"] == {"instanceId": instance_id}

    assert received(event_queues["deregistration"]) == []
    for message in (event, trail):
        assert activation["ActivationCode"] not in json.dumps(message)


@pytest.mark.parametrize("route", ["registration", "cloudtrail"])
def test_a_switched_off_route_drops_its_events(
    activation: dict[str, str], agent_api: Any, event_queues: dict[str, Any], control: Any, route: str
) -> None:
    other = "cloudtrail" if route == "registration" else "registration"
    assert control.post("events", {route: False}) == {route: False, other: True}
    agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    assert received(event_queues[route]) == []
    assert len(received(event_queues[other])) == 1


def test_deregistration_reaches_eventbridge(
    ssm: Any, activation: dict[str, str], agent_api: Any, event_queues: dict[str, Any], client: Any, control: Any
) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    received(event_queues["registration"])
    ssm.deregister_managed_instance(InstanceId=instance_id)
    [event] = received(event_queues["deregistration"])
    assert event["resources"] == [f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance/{instance_id}"]

    control.post("events", {"registration": False})
    second = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    ssm.deregister_managed_instance(InstanceId=second)
    assert received(event_queues["deregistration"]) == []


@pytest.fixture
def rule_with_a_deleted_queue(client: Any) -> Any:
    events = client("events")
    name = f"broken-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.ssm"]}))
    events.put_targets(Rule=name, Targets=[{"Id": "gone", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"}])
    yield
    events.remove_targets(Rule=name, Ids=["gone"])
    events.delete_rule(Name=name)


def test_a_broken_event_target_does_not_fail_the_registration(
    activation: dict[str, str], agent_api: Any, rule_with_a_deleted_queue: None
) -> None:
    agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])


# ---------------------------------------------------------------------------
# Control endpoints: clock, reset, debug listing


def test_clock_knob(control: Any) -> None:
    before = control.get("clock")
    assert before["offsetSeconds"] == 0
    advanced = control.post("clock", {"advanceSeconds": 90})
    assert advanced["offsetSeconds"] == 90
    assert 89 < advanced["now"] - before["now"] < 100
    assert control.post("clock", {"offsetSeconds": -30})["offsetSeconds"] == -30
    assert control.request("POST", "clock", {"advanceSeconds": "soon"}).status_code == 400
    assert control.request("POST", "clock", {}).status_code == 400


def test_reset_clears_hybrid_state_and_knobs(
    ssm: Any, activation: dict[str, str], agent_api: Any, control: Any
) -> None:
    agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    control.post("clock", {"advanceSeconds": 60})
    control.post("faults", {"target": "kms.Decrypt", "error": "ThrottlingException"})
    control.post("events", {"registration": False, "cloudtrail": False})
    assert len(control.get("instances")["instances"]) == 1

    assert control.post("reset", {}) == {}
    assert control.get("instances") == {"instances": []}
    assert control.get("faults") == {"faults": []}
    assert control.get("calls") == {}
    assert control.get("clock")["offsetSeconds"] == 0
    assert control.get("events") == {"registration": True, "cloudtrail": True}
    assert ssm.describe_activations()["ActivationList"] == []


def test_debug_listing_of_instances(activation: dict[str, str], agent_api: Any, control: Any) -> None:
    instance_id = agent_api.register_ok(activation["ActivationId"], activation["ActivationCode"])
    [listed] = control.get("instances")["instances"]
    assert (listed["InstanceId"], listed["Account"], listed["Region"]) == (instance_id, ACCOUNT, REGION)
    assert listed["Tags"] == [{"Key": "Fleet", "Value": "edge"}, {"Key": "Team", "Value": "platform"}]


def test_unknown_control_endpoint(control: Any) -> None:
    assert control.request("GET", "nothing-here").status_code == 404


# ---------------------------------------------------------------------------
# Fault injection, throttling and call counters


def test_fail_the_next_calls(ssm: Any, roles: dict[str, str], control: Any) -> None:
    control.post(
        "faults", {"target": "ssm.CreateActivation", "error": "ThrottlingException", "status": 400, "count": 2}
    )
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            ssm.create_activation(IamRole=roles["plain"])
        assert error_of(excinfo)[0] == "ThrottlingException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    ssm.create_activation(IamRole=roles["plain"])
    assert control.get("calls")["ssm.CreateActivation"] == 3
    assert control.get("faults") == {"faults": []}
    # Faulted calls never reached the backend.
    assert len(ssm.describe_activations()["ActivationList"]) == 1


@pytest.mark.parametrize(
    ("service", "target", "call"),
    [
        ("dynamodb", "dynamodb.ListTables", lambda c: c.list_tables()),
        ("kms", "kms.ListKeys", lambda c: c.list_keys()),
        ("sns", "sns.ListTopics", lambda c: c.list_topics()),  # query protocol: XML errors
        ("sqs", "sqs.ListQueues", lambda c: c.list_queues()),
        ("events", "events.ListRules", lambda c: c.list_rules()),
        ("iam", "iam.ListRoles", lambda c: c.list_roles()),
        ("lambda", "lambda.ListFunctions", lambda c: c.list_functions()),  # rest-json
        ("s3", "s3.ListBuckets", lambda c: c.list_buckets()),  # rest-xml
    ],
)
@pytest.mark.parametrize(("error", "status"), [("InternalServerError", 500), ("ServiceUnavailable", 503)])
def test_faults_in_each_protocol(
    client: Any, control: Any, service: str, target: str, call: Any, error: str, status: int
) -> None:
    service_client = client(service)
    control.post("faults", {"target": target, "error": error, "status": status})
    with pytest.raises(ClientError) as excinfo:
        call(service_client)
    assert error_of(excinfo)[0] == error
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    call(service_client)
    assert control.get("calls")[target] == 2


def test_a_lost_answer_is_an_error_for_a_call_that_went_through(
    client: Any, ssm: Any, control: Any, roles: dict[str, str]
) -> None:
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName="lost-answers",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    control.post(
        "faults", {"target": "dynamodb.PutItem", "error": "InternalServerError", "status": 500, "answerLost": True}
    )
    control.post(
        "faults", {"target": "ssm.CreateActivation", "error": "InternalServerError", "status": 500, "answerLost": True}
    )

    with pytest.raises(ClientError) as put:
        dynamodb.put_item(TableName="lost-answers", Item={"pk": {"S": "written"}})
    with pytest.raises(ClientError) as created:
        ssm.create_activation(IamRole=roles["plain"])

    assert error_of(put)[0] == error_of(created)[0] == "InternalServerError"
    assert dynamodb.get_item(TableName="lost-answers", Key={"pk": {"S": "written"}})["Item"] == {"pk": {"S": "written"}}
    assert len(ssm.describe_activations()["ActivationList"]) == 1
    dynamodb.delete_table(TableName="lost-answers")


def test_a_fault_can_wait_for_the_kth_call_of_one_access_key(client: Any, control: Any) -> None:
    mine = client("ssm", aws_access_key_id="ASIAFUNCTIONKEY00001")
    theirs = client("ssm", aws_access_key_id="ASIAFUNCTIONKEY00002")
    control.post(
        "faults",
        {
            "target": "ssm.*",
            "accessKeyId": "ASIAFUNCTIONKEY00001",
            "after": 2,
            "error": "InternalServerError",
            "status": 500,
        },
    )

    mine.describe_activations()
    theirs.describe_activations()
    mine.describe_instance_information()
    with pytest.raises(ClientError) as third:
        mine.describe_activations()
    mine.describe_activations()

    assert error_of(third)[0] == "InternalServerError"
    assert control.get("faults") == {"faults": []}


def test_a_stopped_caller_gets_no_answer_but_its_call_went_through(
    client: Any, ssm: Any, control: Any, roles: dict[str, str]
) -> None:
    control.post("faults", {"target": "ssm.CreateActivation", "stopCaller": True})
    assert control.get("faults")["faults"][0]["stopCaller"] is True

    with pytest.raises(ClientError) as stopped:
        ssm.create_activation(IamRole=roles["plain"])

    # Outside the local stack no function answers to the key: the call is still carried out, the answer lost.
    assert error_of(stopped)[0] == "FunctionStopped"
    assert len(ssm.describe_activations()["ActivationList"]) == 1


def test_rate_limit_throttles_the_excess(ssm: Any, control: Any) -> None:
    control.post("faults", {"target": "ssm.DescribeActivations", "ratePerSecond": 0.001, "burst": 2})
    ssm.describe_activations()
    ssm.describe_activations()
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_activations()
    assert error_of(excinfo) == ("ThrottlingException", "Rate exceeded")
    ssm.describe_instance_information()  # other actions are not limited
    assert control.get("calls") == {"ssm.DescribeActivations": 3, "ssm.DescribeInstanceInformation": 1}


def test_rate_limit_refills(ssm: Any, control: Any) -> None:
    control.post("faults", {"target": "ssm.*", "ratePerSecond": 1000, "burst": 1})
    for _ in range(5):
        ssm.describe_activations()


def test_fault_on_every_action_of_a_service(ssm: Any, control: Any) -> None:
    control.post("faults", {"target": "ssm.*", "error": "AccessDeniedException", "count": -1})
    for call in (ssm.describe_activations, ssm.describe_instance_information):
        for _ in range(2):
            with pytest.raises(ClientError) as excinfo:
                call()
            assert error_of(excinfo)[0] == "AccessDeniedException"
    control.delete("faults")
    ssm.describe_activations()


def test_fault_listing_and_bad_specs(control: Any) -> None:
    control.post("faults", {"target": "sns.Publish", "error": "InternalError", "status": 500, "count": 3})
    control.post("faults", {"target": "kms.Decrypt", "ratePerSecond": 2, "burst": 4})
    assert control.get("faults") == {
        "faults": [
            {
                "target": "sns.Publish",
                "error": "InternalError",
                "status": 500,
                "message": "Injected fault: InternalError",
                "count": 3,
                "answerLost": False,
            },
            {
                "target": "kms.Decrypt",
                "ratePerSecond": 2.0,
                "burst": 4.0,
                "error": "ThrottlingException",
                "status": 400,
            },
        ]
    }
    bad_specs = [
        {"error": "X"},
        {"target": "a.B"},
        {"target": "a.B", "error": "X", "status": 200},
        {"target": "a.B", "error": "X", "count": 0},
        {"target": "a.B", "error": "X", "answerLost": "yes"},
        {"target": "a.B", "ratePerSecond": 1, "answerLost": True},
        {"target": "a.B", "error": "X", "after": -1},
        {"target": "a.B", "error": "X", "accessKeyId": ""},
        {"target": "a.B", "stopCaller": True, "answerLost": True},
        {"target": "a.B", "stopCaller": "yes"},
        {"target": "a.B", "ratePerSecond": 1, "after": 2},
    ]
    for bad in bad_specs:
        assert control.request("POST", "faults", bad).status_code == 400
    assert control.delete("faults") == {"faults": []}


def test_call_counters(client: Any, control: Any) -> None:
    ssm, sns, scheduler = client("ssm"), client("sns"), client("scheduler")
    ssm.describe_activations()
    ssm.describe_activations()
    sns.list_topics()
    scheduler.list_schedules()
    assert control.get("calls") == {
        "scheduler.ListSchedules": 1,
        "sns.ListTopics": 1,
        "ssm.DescribeActivations": 2,
    }
    assert control.delete("calls") == {}
    assert control.get("calls") == {}


# ---------------------------------------------------------------------------
# DynamoDB atomicity


@pytest.fixture
def busy_thread_switching() -> Any:
    """Switch threads as often as possible, so a check-then-act race shows up if there is one."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_concurrent_conditional_writes_are_atomic(client: Any, busy_thread_switching: None) -> None:
    dynamodb = client("dynamodb")
    table = f"counters-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def race(key: str) -> list[str]:
        """20 threads at once add one to a counter while it is below 5."""
        dynamodb.put_item(TableName=table, Item={"pk": {"S": key}, "cnt": {"N": "0"}})
        outcomes: list[str] = []
        start = threading.Barrier(20)

        def increment() -> None:
            start.wait()
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key={"pk": {"S": key}},
                    UpdateExpression="SET cnt = cnt + :one",
                    ConditionExpression="cnt < :limit",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": "5"}},
                )
                outcomes.append("ok")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

        threads = [threading.Thread(target=increment) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return outcomes

    # Without the middleware's lock, moto lets a sixth write through in about half the rounds.
    for key in ("fleet-a", "fleet-b", "fleet-c"):
        outcomes = race(key)
        assert outcomes.count("ok") == 5
        assert outcomes.count("ConditionalCheckFailedException") == 15
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)["Item"]
        assert item["cnt"] == {"N": "5"}
