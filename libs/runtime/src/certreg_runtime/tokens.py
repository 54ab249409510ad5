"""Signing the platform's JWTs. Identity issues them; this module is where their claims
are defined, next to ``auth.TokenVerifier`` that checks them in every service."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from certreg_runtime.auth import ACCESS_SCOPE, ALGORITHM


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return cls(kid=uuid.uuid4().hex, private_pem=pem)

    @functools.cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The key, loaded once. Loading a PEM checks the RSA key: ~30 ms of CPU, against
        0.25 ms to sign with it — when ``jwt.encode`` was given the PEM it did that for every
        token, a fifth of a login's time under load (py-spy, issue 16)."""
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise TypeError(f"signing key {self.kid} is not an RSA key")
        return private

    def public_jwk(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}


def jwks(keys: Iterable[SigningKey]) -> dict[str, Any]:
    return {"keys": [k.public_jwk() for k in keys]}


def issue_token(
    key: SigningKey,
    *,
    subject: uuid.UUID,
    issuer: str,
    audience: str,
    ttl: timedelta,
    scope: str = ACCESS_SCOPE,
    email: str = "",
    name: str = "",
    roles: Iterable[str] = (),
    entity_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": str(subject),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()) - 5,
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
        "scope": scope,
        "email": email,
        "name": name,
        "roles": sorted(roles),
        "entity_id": str(entity_id) if entity_id else None,
    }
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
