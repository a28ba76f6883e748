"""How a registered SSM Agent proves who it is: its RSA key pair and the SigV4-shaped RSA signature.

At registration the agent sends the public half of a fresh RSA-2048 key pair (base64 of a DER
SubjectPublicKeyInfo). Its ``RequestManagedInstanceRoleToken`` and ``UpdateManagedInstancePublicKey``
calls are then signed like SigV4 (``Credential=mi-…/<date>/<region>/ssm/aws4_request``), except that the
signature is RSA-PSS with SHA-256 and a 32-byte salt over the SigV4 string to sign, in base64, made with
the private key. Nothing here knows HTTP frameworks or moto: the emulator hands in plain values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNING_ALGORITHM = "AWS4-HMAC-SHA256"
PSS_SALT_LENGTH = 32
MIN_KEY_BITS = 2048

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;_.-]+),\s*Signature=(?P<signature>\S+)$"
)


class SignatureFormatError(ValueError):
    """An Authorization header that is not a SigV4-shaped signature."""


@dataclass(frozen=True)
class SignedRequest:
    """A request signed SigV4-style: who signed it, where, the string that was signed, and the signature."""

    access_key: str
    region: str
    service: str
    string_to_sign: str
    signature: str


def load_public_key(encoded: str) -> rsa.RSAPublicKey:
    """The RSA public key of base64 DER SubjectPublicKeyInfo; ValueError if it is not one."""
    try:
        key = serialization.load_der_public_key(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm) as error:
        raise ValueError("not a base64 DER RSA public key") from error
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_KEY_BITS:
        raise ValueError(f"not an RSA public key of at least {MIN_KEY_BITS} bits")
    return key


def verify(public_key: rsa.RSAPublicKey, request: SignedRequest) -> bool:
    """Whether ``request.signature`` is the key's RSA-PSS-SHA256 (salt 32) signature of the string to sign."""
    try:
        signature = base64.b64decode(request.signature, validate=True)
        public_key.verify(
            signature,
            request.string_to_sign.encode("utf-8"),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH),
            hashes.SHA256(),
        )
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def _canonical_value(values: list[str]) -> str:
    # Trimmed, inner runs of spaces collapsed, repeated headers joined by commas, as SigV4 says.
    return ",".join(" ".join(value.split()) for value in values)


def _canonical_query(query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(key, safe='-_.~')}={quote(value, safe='-_.~')}" for key, value in pairs)


def signed_request(
    method: str, path: str, query: str, headers: Mapping[str, list[str]], body: bytes, authorization: str
) -> SignedRequest:
    """Rebuild the SigV4 string to sign of a request from what arrived.

    ``headers`` maps lower-case names to their values (``host`` included). Only the headers the
    signature names are used; the payload hash is computed from the body, never taken on trust.
    """
    match = _AUTHORIZATION.match(authorization.strip())
    if match is None:
        raise SignatureFormatError("the Authorization header is not a SigV4 signature")
    signed_headers = match["headers"].split(";")
    missing = [name for name in signed_headers if name not in headers]
    if missing or "x-amz-date" not in signed_headers:
        raise SignatureFormatError("a signed header is missing: " + ", ".join(missing or ["x-amz-date"]))
    canonical_request = "\n".join(
        [
            method,
            quote(path or "/", safe="/~"),
            _canonical_query(query),
            "".join(f"{name}:{_canonical_value(headers[name])}\n" for name in signed_headers),
            match["headers"],
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{match['date']}/{match['region']}/{match['service']}/aws4_request"
    string_to_sign = "\n".join(
        [
            SIGNING_ALGORITHM,
            _canonical_value(headers["x-amz-date"]),
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    return SignedRequest(match["key"], match["region"], match["service"], string_to_sign, match["signature"])
