"""SSM hybrid activations and managed instances: the part of SSM that moto lacks.

Operations take and return the JSON-protocol members of the SSM API (dates as epoch
seconds) and raise ``SsmError`` carrying SSM's error names; HTTP lives in ``emulator``.
Inputs are checked against botocore's SSM service model, so lengths, patterns and ranges
are refused as SSM refuses them. State is kept per account and Region.

Activation codes are kept only as a SHA-256 digest: nothing here can leak one into a
response, an event, a log line or the debug listing.

A registered instance authenticates with the RSA key it registered (``agent_auth``); the role
credentials it then receives are remembered, so that the worker's ordinary SigV4 calls made with
them are attributed to that instance.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

import botocore.session
import regex
from botocore.model import ServiceModel, Shape, ShapeResolver
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from . import agent_auth
from .agent_auth import SignedRequest

DEFAULT_ACTIVATION_LIFETIME = 24 * 3600
MAX_ACTIVATION_LIFETIME = 30 * 24 * 3600
DEFAULT_REGISTRATION_LIMIT = 1
MAX_TAGS = 50
# SSM does not document its default page sizes; the model's maximum keeps pages few.
DEFAULT_PAGE_SIZE = 50
RESERVED_TAG_PREFIX = "aws:"
ACTIVATION_CODE_LENGTH = 20
ACTIVATION_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
REGISTRATION_LIMIT_REACHED = "Activation has reached its registration limit"
# The length of base64 DER of an RSA-2048 public key: the minimum the agent's own model sets.
PUBLIC_KEY_MIN_LENGTH = 392
# How long the role credentials of RequestManagedInstanceRoleToken last (the agent renews at half-life).
ROLE_TOKEN_LIFETIME = 3600
# The agent pings every 5 minutes; after two missed pings (emulator clock) the node shows ConnectionLost.
CONNECTION_LOST_AFTER = 10 * 60

REGISTRATION_DETAIL_TYPE = "SSM Managed Instance Registration"
DEREGISTRATION_DETAIL_TYPE = "SSM Managed Instance Deregistration"
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"

# Members the agent reports through UpdateInstanceInformation that DescribeInstanceInformation returns:
# none of them is known before the first ping.
_REPORTED_AGENT_FIELDS = (
    "AgentVersion",
    "PlatformType",
    "PlatformName",
    "PlatformVersion",
    "IPAddress",
    "ComputerName",
)


class SsmError(Exception):
    """An SSM error response: ``code`` is the ``__type`` a client sees as its error code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CallContext:
    """Who called and where: SSM state is separate per account and Region.

    ``signed`` is False for a call without any signature (the agent's registration), whose Region is
    then unknown. ``access_key`` is the SigV4 access key id of a signed call; ``rsa_signature`` is the
    signature of a call an instance signs with its registered key.
    """

    account: str
    region: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    signed: bool = True
    access_key: str | None = None
    rsa_signature: SignedRequest | None = None

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def role_arn(self, role: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{role}"

    def managed_instance_arn(self, instance_id: str) -> str:
        return f"arn:{self.partition}:ssm:{self.region}:{self.account}:managed-instance/{instance_id}"


class Clock(Protocol):
    def now(self) -> float:
        ...


# ---------------------------------------------------------------------------
# Input validation against the service model


@dataclass(frozen=True)
class _Violation:
    shape: str
    text: str


@lru_cache(maxsize=None)
def _pattern(expression: str) -> regex.Pattern[str]:
    # The model's patterns are Java regular expressions (\p{L} and friends), which the
    # `regex` module understands; Java's matches() means a full match.
    return regex.compile(expression)


def _member_path(parent: str, member: str) -> str:
    # AWS names members in lowerCamelCase in validation messages: 'tags.1.member.key'.
    name = member[:1].lower() + member[1:]
    return f"{parent}.{name}" if parent else name


def _render(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _serialization_error(value: Any, path: str, expected: str) -> SsmError:
    # SSM's JSON front end refuses a wrongly typed member before any constraint is checked.
    return SsmError("SerializationException", f"Value '{_render(value)}' at '{path}' cannot be converted to {expected}")


def _collect_violations(shape: Shape, value: Any, path: str, out: list[_Violation]) -> None:
    kind = shape.type_name
    limits = shape.metadata

    def violate(constraint: str) -> None:
        text = f"Value '{_render(value)}' at '{path}' failed to satisfy constraint: {constraint}"
        out.append(_Violation(shape.name, text))

    def missing(member_path: str) -> None:
        # A constraint of the enclosing shape, so an operation's override for the member's
        # shape (a malformed id) does not apply to its absence.
        text = f"Value null at '{member_path}' failed to satisfy constraint: Member must not be null"
        out.append(_Violation(shape.name, text))

    if kind == "structure":
        if not isinstance(value, dict):
            raise _serialization_error(value, path or "input", "a structure")
        for name in shape.required_members:
            if value.get(name) is None:
                missing(_member_path(path, name))
        for name, member_shape in shape.members.items():
            if value.get(name) is not None:
                _collect_violations(member_shape, value[name], _member_path(path, name), out)
    elif kind == "list":
        if not isinstance(value, list):
            raise _serialization_error(value, path, "a list")
        if "min" in limits and len(value) < limits["min"]:
            violate(f"Member must have length greater than or equal to {limits['min']}")
        if "max" in limits and len(value) > limits["max"]:
            violate(f"Member must have length less than or equal to {limits['max']}")
        for index, item in enumerate(value, start=1):
            if item is None:
                missing(f"{path}.{index}.member")
            else:
                _collect_violations(shape.member, item, f"{path}.{index}.member", out)
    elif kind == "string":
        if not isinstance(value, str):
            raise _serialization_error(value, path, "a String")
        if "min" in limits and len(value) < limits["min"]:
            violate(f"Member must have length greater than or equal to {limits['min']}")
        if "max" in limits and len(value) > limits["max"]:
            violate(f"Member must have length less than or equal to {limits['max']}")
        if "pattern" in limits and not _pattern(limits["pattern"]).fullmatch(value):
            violate(f"Member must satisfy regular expression pattern: {limits['pattern']}")
        if shape.enum and value not in shape.enum:
            violate(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _serialization_error(value, path, "an Integer")
        if "min" in limits and value < limits["min"]:
            violate(f"Member must have value greater than or equal to {limits['min']}")
        if "max" in limits and value > limits["max"]:
            violate(f"Member must have value less than or equal to {limits['max']}")
    elif kind == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _serialization_error(value, path, "a Timestamp")
    elif kind == "boolean" and not isinstance(value, bool):
        raise _serialization_error(value, path, "a Boolean")


def validate_input(shape: Shape, params: Any, error_overrides: dict[str, str]) -> None:
    """Raise the error SSM answers for ``params``, or return if they satisfy the model.

    ``error_overrides`` maps a shape name to the operation's own error for that shape
    (``DeleteActivation`` answers a malformed id with ``InvalidActivationId``, not with the
    generic ``ValidationException``).
    """
    violations: list[_Violation] = []
    _collect_violations(shape, params, "", violations)
    for violation in violations:
        if violation.shape in error_overrides:
            raise SsmError(error_overrides[violation.shape], violation.text)
    if violations:
        count = len(violations)
        noun = "error" if count == 1 else "errors"
        details = "; ".join(violation.text for violation in violations)
        raise SsmError("ValidationException", f"{count} validation {noun} detected: {details}")


def _agent_shapes(public: ServiceModel) -> ShapeResolver:
    """Input shapes of the agent's calls, which the public SSM model leaves out."""
    string = {"type": "string"}
    return ShapeResolver(
        {
            "RegisterManagedInstanceRequest": {
                "type": "structure",
                "required": ["ActivationCode", "ActivationId", "Fingerprint", "PublicKey"],
                "members": {
                    # No length or pattern on the code: a constraint message would echo it.
                    "ActivationCode": {"shape": "AgentActivationCode"},
                    "ActivationId": {"shape": "ActivationId"},
                    "Fingerprint": {"shape": "NonEmptyString"},
                    "PublicKey": {"shape": "PublicKey"},
                    "PublicKeyType": {"shape": "PublicKeyType"},
                },
            },
            "RequestManagedInstanceRoleTokenRequest": {
                "type": "structure",
                "required": ["Fingerprint"],
                "members": {"Fingerprint": {"shape": "NonEmptyString"}},
            },
            "UpdateManagedInstancePublicKeyRequest": {
                "type": "structure",
                "required": ["NewPublicKey", "NewPublicKeyType"],
                "members": {"NewPublicKey": {"shape": "PublicKey"}, "NewPublicKeyType": {"shape": "PublicKeyType"}},
            },
            "UpdateInstanceInformationRequest": {
                "type": "structure",
                "required": ["InstanceId"],
                "members": {
                    name: {"shape": "String"}
                    for name in (
                        "InstanceId",
                        "AgentName",
                        "AgentStatus",
                        "AvailabilityZone",
                        "AvailabilityZoneId",
                        "SSMConnectionChannel",
                        *_REPORTED_AGENT_FIELDS,
                    )
                },
            },
            "ListInstanceAssociationsRequest": {
                "type": "structure",
                "required": ["InstanceId"],
                "members": {
                    "InstanceId": {"shape": "NonEmptyString"},
                    "MaxResults": {"shape": "MaxResults"},
                    "NextToken": {"shape": "String"},
                },
            },
            "AgentActivationCode": string,
            "ActivationId": {"type": "string", "pattern": public.shape_for("ActivationId").metadata["pattern"]},
            "PublicKey": {"type": "string", "min": PUBLIC_KEY_MIN_LENGTH},
            "PublicKeyType": {"type": "string", "enum": ["Rsa"]},
            "MaxResults": {"type": "integer", "min": 1, "max": 1000},
            "NonEmptyString": {"type": "string", "min": 1},
            "String": string,
        }
    )


# ---------------------------------------------------------------------------
# State


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _without_none(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if value is not None}


@dataclass
class _Activation:
    activation_id: str
    code_digest: bytes
    iam_role: str
    registration_limit: int
    expiration_date: float
    created_date: float
    tags: dict[str, str]
    sequence: int
    description: str | None = None
    default_instance_name: str | None = None
    registrations_count: int = 0

    def expired(self, now: float) -> bool:
        return now >= self.expiration_date

    def describe(self, now: float) -> dict[str, Any]:
        return _without_none(
            {
                "ActivationId": self.activation_id,
                "Description": self.description,
                "DefaultInstanceName": self.default_instance_name,
                "IamRole": self.iam_role,
                "RegistrationLimit": self.registration_limit,
                "RegistrationsCount": self.registrations_count,
                "ExpirationDate": self.expiration_date,
                "Expired": self.expired(now),
                "CreatedDate": self.created_date,
                "Tags": _tag_list(self.tags),
            }
        )


@dataclass
class _ManagedInstance:
    instance_id: str
    activation_id: str
    iam_role: str
    name: str | None
    registration_date: float
    tags: dict[str, str]
    sequence: int
    public_key: RSAPublicKey
    fingerprint: str
    last_ping: float | None = None
    reported: dict[str, str] = field(default_factory=dict)
    key_rotation_requested: bool = False
    # AddTagsToResource calls that changed or re-set its tags: how a test sees an instance was tagged once.
    tag_updates: int = 0

    def ping_status(self, now: float) -> str:
        if self.last_ping is not None and now - self.last_ping < CONNECTION_LOST_AFTER:
            return "Online"
        return "ConnectionLost"

    def describe(self, now: float) -> dict[str, Any]:
        return _without_none(
            {
                "InstanceId": self.instance_id,
                "PingStatus": self.ping_status(now),
                "LastPingDateTime": self.last_ping,
                **{name: self.reported.get(name) for name in _REPORTED_AGENT_FIELDS},
                "ActivationId": self.activation_id,
                "IamRole": self.iam_role,
                "RegistrationDate": self.registration_date,
                "ResourceType": "ManagedInstance",
                "Name": self.name,
                "SourceId": self.instance_id,
                "SourceType": "AWS::SSM::ManagedInstance",
            }
        )


@dataclass
class _RegionState:
    activations: dict[str, _Activation] = field(default_factory=dict)
    instances: dict[str, _ManagedInstance] = field(default_factory=dict)
    sequence: Iterator[int] = field(default_factory=itertools.count)


@dataclass(frozen=True)
class _InstanceCredentials:
    """Role credentials handed to an instance: whose they are, and until when."""

    account: str
    region: str
    instance_id: str
    expires: float


def _code_digest(code: str) -> bytes:
    return hashlib.sha256(code.encode("utf-8")).digest()


def _public_key(encoded: str) -> RSAPublicKey:
    try:
        return agent_auth.load_public_key(encoded)
    except ValueError as error:
        raise SsmError("InvalidPublicKey", f"The public key is not valid: {error}.") from None


def _new_instance_id() -> str:
    return "mi-" + secrets.token_hex(9)[:17]


def _iso8601(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reject_reserved_keys(keys: Iterable[str], error: str) -> None:
    for key in keys:
        if key.lower().startswith(RESERVED_TAG_PREFIX):
            raise SsmError(error, f"Tag keys starting with '{RESERVED_TAG_PREFIX}' are reserved for AWS use: '{key}'")


# ---------------------------------------------------------------------------
# Pagination


def _encode_token(operation: str, after: int) -> str:
    raw = json.dumps({"op": operation, "after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(operation: str, token: str | None) -> int:
    if token is None:
        return -1
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        if decoded["op"] == operation and isinstance(decoded["after"], int):
            return decoded["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise SsmError("InvalidNextToken", "The specified token is not valid.")


def _page(operation: str, items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page of ``items`` (in creation order) after the position the token names."""
    page_size = params.get("MaxResults", DEFAULT_PAGE_SIZE)
    after = _decode_token(operation, params.get("NextToken"))
    rest = [item for item in items if item.sequence > after]
    page = rest[:page_size]
    token = _encode_token(operation, page[-1].sequence) if len(rest) > page_size else None
    return page, token


# ---------------------------------------------------------------------------
# Operations

# Values of DescribeActivations' FilterKey, by the activation attribute they match.
_ACTIVATION_FILTERS: dict[str, Callable[[_Activation], str | None]] = {
    "ActivationIds": lambda a: a.activation_id,
    "DefaultInstanceName": lambda a: a.default_instance_name,
    "IamRole": lambda a: a.iam_role,
}

# DescribeInstanceInformation filter keys, by the InstanceInformation member they match.
_INSTANCE_FILTER_FIELDS = {
    "InstanceIds": "InstanceId",
    "AgentVersion": "AgentVersion",
    "PingStatus": "PingStatus",
    "PlatformTypes": "PlatformType",
    "ActivationIds": "ActivationId",
    "IamRole": "IamRole",
    "ResourceType": "ResourceType",
    "AssociationStatus": "AssociationStatus",
}

_TAGGING_ACTIONS = frozenset({"AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource"})

RoleExists = Callable[[CallContext, str], bool]
PublishEvents = Callable[[CallContext, list[dict[str, Any]]], None]
# (ctx, role ARN, session name, lifetime in seconds) → AccessKeyId, SecretAccessKey, SessionToken.
IssueRoleCredentials = Callable[[CallContext, str, str, int], dict[str, str]]
# Events an operation queues while holding the lock, published after it is released.
_Outbox = list[dict[str, Any]]
_Handler = Callable[[_RegionState, CallContext, dict[str, Any], _Outbox], dict[str, Any]]


@dataclass(frozen=True)
class _Operation:
    input_shape: Shape
    error_overrides: dict[str, str]
    handler: _Handler


class SsmHybridBackend:
    """Hybrid activations and managed instances of every account and Region.

    ``role_exists(ctx, role_arn)`` tells whether an IAM role exists. ``publish_events(ctx,
    entries)`` puts EventBridge ``PutEvents`` entries on the default bus of the caller's
    account and Region; it runs after the backend's lock is released, so that slow or
    failing event targets never hold up other SSM calls. ``issue_role_credentials`` makes
    temporary credentials of a role for an instance.
    """

    def __init__(
        self,
        clock: Clock,
        role_exists: RoleExists,
        publish_events: PublishEvents,
        issue_role_credentials: IssueRoleCredentials,
    ) -> None:
        self._clock = clock
        self._role_exists = role_exists
        self._publish_events = publish_events
        self._issue_role_credentials = issue_role_credentials
        self._lock = threading.Lock()
        self._regions: dict[tuple[str, str], _RegionState] = {}
        self._credentials: dict[str, _InstanceCredentials] = {}
        self._registration_events = True
        self._cloudtrail_events = True

        model = botocore.session.get_session().get_service_model("ssm")
        agent = _agent_shapes(model)

        def public(name: str, handler: _Handler, **overrides: str) -> _Operation:
            return _Operation(model.operation_model(name).input_shape, overrides, handler)

        def private(name: str, handler: _Handler, **overrides: str) -> _Operation:
            return _Operation(agent.get_shape_by_name(f"{name}Request"), overrides, handler)

        self._operations = {
            "CreateActivation": public("CreateActivation", self._create_activation),
            "DescribeActivations": public(
                "DescribeActivations", self._describe_activations, DescribeActivationsFilterKeys="InvalidFilter"
            ),
            "DeleteActivation": public("DeleteActivation", self._delete_activation, ActivationId="InvalidActivationId"),
            "RegisterManagedInstance": private(
                "RegisterManagedInstance", self._register_managed_instance, ActivationId="InvalidActivation"
            ),
            "RequestManagedInstanceRoleToken": private(
                "RequestManagedInstanceRoleToken", self._request_managed_instance_role_token
            ),
            "UpdateManagedInstancePublicKey": private(
                "UpdateManagedInstancePublicKey", self._update_managed_instance_public_key
            ),
            "UpdateInstanceInformation": private("UpdateInstanceInformation", self._update_instance_information),
            "ListInstanceAssociations": private("ListInstanceAssociations", self._list_instance_associations),
            "ListAssociations": public("ListAssociations", self._list_associations),
            "DescribeInstanceInformation": public(
                "DescribeInstanceInformation",
                self._describe_instance_information,
                InstanceInformationFilterKey="InvalidFilterKey",
                InstanceInformationStringFilterKey="InvalidFilterKey",
                InstanceInformationFilterValueSet="InvalidInstanceInformationFilterValue",
                InstanceInformationFilterValue="InvalidInstanceInformationFilterValue",
            ),
            "DeregisterManagedInstance": public(
                "DeregisterManagedInstance", self._deregister_managed_instance, ManagedInstanceId="InvalidInstanceId"
            ),
            "AddTagsToResource": public("AddTagsToResource", self._add_tags),
            "RemoveTagsFromResource": public("RemoveTagsFromResource", self._remove_tags),
            "ListTagsForResource": public("ListTagsForResource", self._list_tags),
        }
        self._actions = frozenset(self._operations)

    @property
    def actions(self) -> frozenset[str]:
        """The SSM actions this backend can answer (tagging only for managed instances)."""
        return self._actions

    def handles(self, action: str, params: dict[str, Any]) -> bool:
        """Whether this backend answers the call; moto answers every other SSM call."""
        if action in _TAGGING_ACTIONS:
            return params.get("ResourceType") == "ManagedInstance"
        return action in self._operations

    def call(self, action: str, ctx: CallContext, params: Any) -> dict[str, Any]:
        """Carry out one SSM call from its JSON members; raise ``SsmError`` as SSM would."""
        operation = self._operations[action]
        validate_input(operation.input_shape, params, operation.error_overrides)
        outbox: _Outbox = []
        with self._lock:
            state = self._regions.setdefault((ctx.account, ctx.region), _RegionState())
            response = operation.handler(state, ctx, params, outbox)
        if outbox:
            self._publish_events(ctx, outbox)
        return response

    def reset(self) -> None:
        with self._lock:
            self._regions.clear()
            self._credentials.clear()
            self._registration_events = True
            self._cloudtrail_events = True

    def event_routes(self) -> dict[str, bool]:
        with self._lock:
            return {"registration": self._registration_events, "cloudtrail": self._cloudtrail_events}

    def set_event_routes(self, registration: bool | None = None, cloudtrail: bool | None = None) -> None:
        """Switch off a route to simulate EventBridge dropping that kind of event."""
        with self._lock:
            if registration is not None:
                self._registration_events = registration
            if cloudtrail is not None:
                self._cloudtrail_events = cloudtrail

    def instances(self) -> list[dict[str, Any]]:
        """Every managed instance with its account, Region and tags, for debugging."""
        now = self._clock.now()
        with self._lock:
            return [
                {
                    "Account": account,
                    "Region": region,
                    **instance.describe(now),
                    "Tags": _tag_list(instance.tags),
                    "TagUpdates": instance.tag_updates,
                }
                for (account, region), state in self._regions.items()
                for instance in state.instances.values()
            ]

    def request_key_rotation(self, instance_id: str) -> bool:
        """Answer the instance's next role-token request with ``UpdateKeyPair: true``; False if it is unknown."""
        with self._lock:
            for state in self._regions.values():
                if instance_id in state.instances:
                    state.instances[instance_id].key_rotation_requested = True
                    return True
        return False

    # -- activations --------------------------------------------------------

    def _create_activation(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        now = self._clock.now()
        tags = params.get("Tags", [])
        if len(tags) > MAX_TAGS:
            raise SsmError("InvalidParameters", f"An activation can have at most {MAX_TAGS} tags.")
        keys = [tag["Key"] for tag in tags]
        _reject_reserved_keys(keys, "InvalidParameters")
        if len(set(keys)) != len(keys):
            raise SsmError("InvalidParameters", "Tag keys must be unique.")

        expiration = params.get("ExpirationDate", now + DEFAULT_ACTIVATION_LIFETIME)
        if expiration <= now:
            raise SsmError("InvalidParameters", "ExpirationDate must be in the future.")
        if expiration > now + MAX_ACTIVATION_LIFETIME:
            raise SsmError("InvalidParameters", "ExpirationDate cannot be more than 30 days in the future.")

        role = params["IamRole"]
        role_arn = ctx.role_arn(role)
        if role.startswith("arn:") or not self._role_exists(ctx, role_arn):
            raise SsmError("ValidationException", f"Not existing role: {role_arn}")

        code = "".join(secrets.choice(ACTIVATION_CODE_ALPHABET) for _ in range(ACTIVATION_CODE_LENGTH))
        activation = _Activation(
            activation_id=str(uuid.uuid4()),
            code_digest=_code_digest(code),
            iam_role=role,
            registration_limit=params.get("RegistrationLimit", DEFAULT_REGISTRATION_LIMIT),
            expiration_date=float(expiration),
            created_date=now,
            tags={tag["Key"]: tag["Value"] for tag in tags},
            sequence=next(state.sequence),
            description=params.get("Description"),
            default_instance_name=params.get("DefaultInstanceName"),
        )
        state.activations[activation.activation_id] = activation
        return {"ActivationId": activation.activation_id, "ActivationCode": code}

    def _describe_activations(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        selected = list(state.activations.values())
        for spec in params.get("Filters", []):
            key, values = spec.get("FilterKey"), spec.get("FilterValues")
            if key not in _ACTIVATION_FILTERS:
                valid = ", ".join(_ACTIVATION_FILTERS)
                raise SsmError("InvalidFilter", f"Filter key is not valid: {key}. Valid keys: {valid}")
            if not values:
                raise SsmError("InvalidFilter", f"Filter {key} needs at least one value.")
            attribute = _ACTIVATION_FILTERS[key]
            selected = [activation for activation in selected if attribute(activation) in values]
        page, token = _page("DescribeActivations", selected, params)
        now = self._clock.now()
        return _without_none({"ActivationList": [activation.describe(now) for activation in page], "NextToken": token})

    def _delete_activation(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        # Instances registered with it stay registered, as in SSM.
        if state.activations.pop(params["ActivationId"], None) is None:
            raise SsmError("InvalidActivation", f"Activation {params['ActivationId']} does not exist.")
        return {}

    # -- the agent's calls ---------------------------------------------------

    def _find_activation(
        self, state: _RegionState, ctx: CallContext, activation_id: str
    ) -> tuple[_RegionState, CallContext, _Activation | None]:
        """The activation of a registration, and the account and Region it belongs to.

        The agent's call is unsigned, so it names no Region: the activation is looked up in every
        account and Region, and the instance joins the activation's.
        """
        if ctx.signed:
            return state, ctx, state.activations.get(activation_id)
        for (account, region), candidate in self._regions.items():
            if activation_id in candidate.activations:
                return candidate, replace(ctx, account=account, region=region), candidate.activations[activation_id]
        return state, ctx, None

    def _register_managed_instance(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        now = self._clock.now()
        state, ctx, activation = self._find_activation(state, ctx, params["ActivationId"])
        # One answer for an unknown id and a wrong code, so the call cannot probe for ids.
        code_digest = _code_digest(params["ActivationCode"])
        if activation is None or not hmac.compare_digest(activation.code_digest, code_digest):
            raise SsmError("InvalidActivation", "Activation ID or activation code is not valid.")
        if activation.expired(now):
            raise SsmError("ActivationExpired", f"Activation {activation.activation_id} has expired.")
        if activation.registrations_count >= activation.registration_limit:
            # The agent's own model names this error; it tells the machine to ask for a new activation.
            raise SsmError("RegistrationLimitExceeded", REGISTRATION_LIMIT_REACHED)
        public_key = _public_key(params["PublicKey"])

        instance_id = _new_instance_id()
        while instance_id in state.instances:
            instance_id = _new_instance_id()
        activation.registrations_count += 1
        state.instances[instance_id] = _ManagedInstance(
            instance_id=instance_id,
            activation_id=activation.activation_id,
            iam_role=activation.iam_role,
            name=activation.default_instance_name,
            registration_date=now,
            tags=dict(activation.tags),
            sequence=next(state.sequence),
            public_key=public_key,
            fingerprint=params["Fingerprint"],
        )
        self._emit(
            outbox,
            ctx,
            now,
            detail_type=REGISTRATION_DETAIL_TYPE,
            instance_id=instance_id,
            activation_id=activation.activation_id,
            api_call="RegisterManagedInstance",
            request_parameters={"activationId": activation.activation_id},
            response_elements={"instanceId": instance_id},
        )
        return {"InstanceId": instance_id}

    def _authenticated_instance(self, ctx: CallContext) -> tuple[CallContext, _ManagedInstance]:
        """The instance that signed the call with its registered key, and its account and Region."""
        signed = ctx.rsa_signature
        if signed is None:
            raise SsmError("MissingAuthenticationTokenException", "Missing Authentication Token")
        for (account, region), state in self._regions.items():
            instance = state.instances.get(signed.access_key)
            if region == signed.region and instance is not None:
                if not agent_auth.verify(instance.public_key, signed):
                    raise SsmError(
                        "InvalidSignatureException",
                        "The request signature we calculated does not match the signature you provided.",
                    )
                return replace(ctx, account=account, region=region), instance
        raise SsmError("InvalidInstanceId", f"Not existing InstanceId {signed.access_key}")

    def _request_managed_instance_role_token(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        home, instance = self._authenticated_instance(ctx)
        if params["Fingerprint"] != instance.fingerprint:
            raise SsmError("MachineFingerprintDoesNotMatch", "Fingerprint doesn't match the registered machine.")
        expires = self._clock.now() + ROLE_TOKEN_LIFETIME
        role_arn = home.role_arn(instance.iam_role)
        credentials = self._issue_role_credentials(home, role_arn, instance.instance_id, ROLE_TOKEN_LIFETIME)
        self._credentials[credentials["AccessKeyId"]] = _InstanceCredentials(
            home.account, home.region, instance.instance_id, expires
        )
        return {
            "AccessKeyId": credentials["AccessKeyId"],
            "SecretAccessKey": credentials["SecretAccessKey"],
            "SessionToken": credentials["SessionToken"],
            "TokenExpirationDate": expires,
            "UpdateKeyPair": instance.key_rotation_requested,
        }

    def _update_managed_instance_public_key(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        _, instance = self._authenticated_instance(ctx)
        instance.public_key = _public_key(params["NewPublicKey"])
        instance.key_rotation_requested = False
        return {}

    def _calling_instance(self, state: _RegionState, ctx: CallContext, instance_id: str) -> _ManagedInstance:
        """The instance a worker call is about; with an instance's role credentials, only that instance."""
        credentials = self._credentials.get(ctx.access_key or "")
        if credentials is None:
            return self._instance(state, instance_id, "InvalidInstanceId")
        if self._clock.now() >= credentials.expires:
            raise SsmError("ExpiredTokenException", "The security token included in the request is expired")
        if instance_id != credentials.instance_id:
            raise SsmError(
                "AccessDeniedException",
                f"The credentials of {credentials.instance_id} are not authorized to act for {instance_id}.",
            )
        home = self._regions.get((credentials.account, credentials.region), _RegionState())
        return self._instance(home, instance_id, "InvalidInstanceId")

    def _update_instance_information(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        instance = self._calling_instance(state, ctx, params["InstanceId"])
        instance.reported.update({name: params[name] for name in _REPORTED_AGENT_FIELDS if name in params})
        instance.last_ping = self._clock.now()
        return {}

    def _list_instance_associations(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        self._calling_instance(state, ctx, params["InstanceId"])
        return {"Associations": []}

    def _list_associations(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        # State Manager is out of scope: there are no associations to list.
        return {"Associations": []}

    # -- managed instances ---------------------------------------------------

    @staticmethod
    def _instance(state: _RegionState, instance_id: str, error: str) -> _ManagedInstance:
        instance = state.instances.get(instance_id)
        if instance is None:
            raise SsmError(error, f"Instance Id {instance_id} is not valid or is not registered.")
        return instance

    def _describe_instance_information(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        conditions = [(spec["key"], spec["valueSet"]) for spec in params.get("InstanceInformationFilterList", [])]
        conditions += [(spec["Key"], spec["Values"]) for spec in params.get("Filters", [])]
        for key, _ in conditions:
            if key not in _INSTANCE_FILTER_FIELDS and key != "tag-key" and not key.startswith("tag:"):
                raise SsmError("InvalidFilterKey", f"The filter key {key} is not valid.")

        now = self._clock.now()

        def matches(instance: _ManagedInstance) -> bool:
            described = instance.describe(now)
            for key, values in conditions:
                if key == "tag-key":
                    found = any(tag_key in values for tag_key in instance.tags)
                elif key.startswith("tag:"):
                    found = instance.tags.get(key[len("tag:") :]) in values
                else:
                    found = described.get(_INSTANCE_FILTER_FIELDS[key]) in values
                if not found:
                    return False
            return True

        selected = [instance for instance in state.instances.values() if matches(instance)]
        page, token = _page("DescribeInstanceInformation", selected, params)
        described = [instance.describe(now) for instance in page]
        return _without_none({"InstanceInformationList": described, "NextToken": token})

    def _deregister_managed_instance(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        instance = self._instance(state, params["InstanceId"], "InvalidInstanceId")
        del state.instances[instance.instance_id]
        self._emit(
            outbox,
            ctx,
            self._clock.now(),
            detail_type=DEREGISTRATION_DETAIL_TYPE,
            instance_id=instance.instance_id,
            activation_id=instance.activation_id,
            api_call="DeregisterManagedInstance",
            request_parameters={"instanceId": instance.instance_id},
            response_elements=None,
        )
        return {}

    # -- tags of managed instances -----------------------------------------

    def _add_tags(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        instance = self._instance(state, params["ResourceId"], "InvalidResourceId")
        # AddTagsToResource declares no InvalidParameters, so the reserved prefix is a validation error.
        _reject_reserved_keys((tag["Key"] for tag in params["Tags"]), "ValidationException")
        merged = dict(instance.tags)
        merged.update({tag["Key"]: tag["Value"] for tag in params["Tags"]})
        if len(merged) > MAX_TAGS:
            message = f"The resource {instance.instance_id} would have more than {MAX_TAGS} tags."
            raise SsmError("TooManyTagsError", message)
        instance.tags = merged
        instance.tag_updates += 1
        return {}

    def _remove_tags(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        instance = self._instance(state, params["ResourceId"], "InvalidResourceId")
        for key in params["TagKeys"]:
            instance.tags.pop(key, None)
        return {}

    def _list_tags(
        self, state: _RegionState, ctx: CallContext, params: dict[str, Any], outbox: _Outbox
    ) -> dict[str, Any]:
        instance = self._instance(state, params["ResourceId"], "InvalidResourceId")
        return {"TagList": _tag_list(instance.tags)}

    # -- events ---------------------------------------------------------------

    def _emit(
        self,
        outbox: _Outbox,
        ctx: CallContext,
        now: float,
        *,
        detail_type: str,
        instance_id: str,
        activation_id: str,
        api_call: str,
        request_parameters: dict[str, Any],
        response_elements: dict[str, Any] | None,
    ) -> None:
        """Queue the two routes by which EventBridge learns of a (de)registration.

        Only the SSM event names the instance in ``resources``; CloudTrail events carry
        none, as in AWS, so consumers must also read ``responseElements``.
        """
        if self._registration_events:
            outbox.append(
                {
                    "Source": "aws.ssm",
                    "DetailType": detail_type,
                    "Resources": [ctx.managed_instance_arn(instance_id)],
                    "Detail": json.dumps({"instance-id": instance_id, "activation-id": activation_id}),
                    "Time": now,
                }
            )
        if self._cloudtrail_events:
            trail = {
                "eventVersion": "1.08",
                "userIdentity": {"type": "Unknown", "accountId": ctx.account},
                "eventTime": _iso8601(now),
                "eventSource": "ssm.amazonaws.com",
                "eventName": api_call,
                "awsRegion": ctx.region,
                "sourceIPAddress": ctx.source_ip,
                "userAgent": ctx.user_agent,
                "requestParameters": request_parameters,
                "responseElements": response_elements,
                "requestID": ctx.request_id,
                "eventID": str(uuid.uuid4()),
                "readOnly": False,
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": ctx.account,
                "eventCategory": "Management",
            }
            outbox.append(
                {
                    "Source": "aws.ssm",
                    "DetailType": CLOUDTRAIL_DETAIL_TYPE,
                    "Resources": [],
                    "Detail": json.dumps(trail),
                    "Time": now,
                }
            )
