"""Forged and malformed tokens, against one protected operation of each service (and
the onboarding token's): every one refused (401), none a 5xx. Prints the count.

Found on the way: a token signed by identity's key whose subject or entity is not an id
was a 500 in every service (``certreg_runtime.auth`` now answers 401)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from certreg_runtime.tokens import SigningKey

from .world import World

Forge = Callable[[World], str]


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(world: World, **changes: Any) -> dict[str, Any]:
    """The claims of a real director's access token, changed."""
    settings = world.p.settings
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": world.staff_ids["director"],
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()) - 5,
        "exp": int((now + timedelta(minutes=10)).timestamp()),
        "jti": uuid.uuid4().hex,
        "scope": "access",
        "email": "directeur@example.test",
        "name": "Directeur",
        "roles": ["director", "si_admin", "reviewer", "instructor", "commission"],
        "entity_id": None,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not ...}


def _identity_key(world: World) -> SigningKey:
    key: SigningKey = world.p.platform.runners["identity"].ctx.deps.keys.signing_key()
    return key


def _kid(world: World) -> dict[str, str]:
    return {"kid": _identity_key(world).kid}


def _signed(world: World, key: SigningKey, claims: dict[str, Any], **headers: Any) -> str:
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid, **headers})


def _real(world: World) -> str:
    return world.staff["director"]["Authorization"].removeprefix("Bearer ")


def _tamper(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(claims)}.{signature}"


def _public_pem(world: World) -> bytes:
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(_identity_key(world).private_pem, password=None)
    return private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


ATTACKER = SigningKey.generate()
LATER = datetime.now(UTC) + timedelta(days=1)

FORGERIES: dict[str, Forge] = {
    # Signatures that are not identity's.
    "another key, identity's kid": lambda w: jwt.encode(
        _claims(w), ATTACKER.private_pem, algorithm="RS256", headers={"kid": _identity_key(w).kid}
    ),
    "another key, its own kid": lambda w: jwt.encode(_claims(w), ATTACKER.private_pem, algorithm="RS256", headers={"kid": ATTACKER.kid}),
    "another key, jku pointing to it": lambda w: jwt.encode(
        _claims(w), ATTACKER.private_pem, algorithm="RS256", headers={"kid": ATTACKER.kid, "jku": "https://evil.example/jwks.json"}
    ),
    "alg none": lambda w: f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': _identity_key(w).kid})}.{_b64(_claims(w))}.",
    "alg None, signature kept": lambda w: (
        f"{_b64({'alg': 'None', 'kid': _identity_key(w).kid})}.{_b64(_claims(w))}.{_real(w).split('.')[2]}"
    ),
    "HS256 keyed with the public key": lambda w: jwt.encode(
        _claims(w), _public_pem(w).decode().replace("\n", "").encode()[:64], algorithm="HS256", headers={"kid": _identity_key(w).kid}
    ),
    "RS512 with identity's key": lambda w: jwt.encode(
        _claims(w), _identity_key(w).private_pem, algorithm="RS512", headers={"kid": _identity_key(w).kid}
    ),
    "PS256 with identity's key": lambda w: jwt.encode(
        _claims(w), _identity_key(w).private_pem, algorithm="PS256", headers={"kid": _identity_key(w).kid}
    ),
    # A real token, changed.
    "roles raised, signature kept": lambda w: _tamper(w.a.depositor["Authorization"].removeprefix("Bearer "), roles=["director"]),
    "entity changed, signature kept": lambda w: _tamper(w.a.manager["Authorization"].removeprefix("Bearer "), entity_id=w.b.entity_id),
    "expiry pushed, signature kept": lambda w: _tamper(_real(w), exp=int(LATER.timestamp()) + 10**6),
    "kid changed": lambda w: f"{_b64({'alg': 'RS256', 'kid': ATTACKER.kid})}.{_real(w).split('.', 1)[1]}",
    "signature stripped": lambda w: _real(w).rsplit(".", 1)[0] + ".",
    "signature of another token": lambda w: _real(w).rsplit(".", 1)[0] + "." + w.a.manager["Authorization"].rsplit(".", 1)[1],
    # Signed by identity's key, but wrong claims.
    "expired": lambda w: _signed(w, _identity_key(w), _claims(w, exp=int(datetime.now(UTC).timestamp()) - 120)),
    "not yet valid": lambda w: _signed(w, _identity_key(w), _claims(w, nbf=int(LATER.timestamp()))),
    "wrong audience": lambda w: _signed(w, _identity_key(w), _claims(w, aud="another-platform")),
    "wrong issuer": lambda w: _signed(w, _identity_key(w), _claims(w, iss="https://evil.example")),
    "onboarding scope": lambda w: _signed(w, _identity_key(w), _claims(w, scope="onboarding")),
    "unknown scope": lambda w: _signed(w, _identity_key(w), _claims(w, scope="admin")),
    "no scope": lambda w: _signed(w, _identity_key(w), _claims(w, scope=...)),
    "no expiry": lambda w: _signed(w, _identity_key(w), _claims(w, exp=...)),
    "no subject": lambda w: _signed(w, _identity_key(w), _claims(w, sub=...)),
    "subject not an id": lambda w: _signed(w, _identity_key(w), _claims(w, sub="admin")),
    "entity not an id": lambda w: _signed(w, _identity_key(w), _claims(w, entity_id="'; DROP TABLE cases;--")),
    "roles not a list": lambda w: _signed(w, _identity_key(w), _claims(w, roles="director")),
    "audience a list with ours": lambda w: _signed(w, ATTACKER, _claims(w, aud=["certreg", "evil"])),
    # Not even a token.
    "garbage": lambda w: "not-a-token",
    "empty": lambda w: "",
    "three dots": lambda w: "...",
    "huge": lambda w: "a" * 60_000 + "." + "b" * 60_000 + ".c",
    "header not JSON": lambda w: f"{_b64(b'{not json')}.{_b64(_claims(w))}.sig",
}
# Each service's door (the onboarding one too) and how the token is sent.
DOORS = [
    ("GET", "/api/identity/me"),
    ("GET", "/api/filings"),
    ("GET", "/api/review/cases"),
    ("GET", "/api/notifier/notifications"),
    ("GET", "/api/entities/applications"),
    ("PUT", "/api/entities/applications/{application}/documents/legal_existence"),
]
SCHEMES = ["Bearer {}", "bearer {}", "Bearer  {}", "Basic {}", "{}"]


async def test_forged_tokens_are_refused(world: World) -> None:
    await world.refresh()
    tried = 0
    wrong: list[str] = []
    for name, forge in FORGERIES.items():
        token = forge(world)
        for method, door in DOORS:
            path = door.format(application=world.onboarding_application_id)
            schemes = SCHEMES if name == "roles raised, signature kept" else SCHEMES[:1]
            for scheme in schemes:
                response = await world.client.request(
                    method, path, headers={"Authorization": scheme.format(token)}, content=b"%PDF-1.4\n" if method == "PUT" else None
                )
                tried += 1
                # 401; a well-signed onboarding token at the onboarding door is someone
                # else's: that application is not theirs (404).
                if response.status_code not in (401, 404) or (response.status_code == 404 and name != "onboarding scope"):
                    wrong.append(f"{name} ({scheme}) {method} {path} -> {response.status_code}: {response.text[:160]}")
    # The same doors with the real tokens answer: the refusals above are the forgeries'.
    assert (await world.client.get("/api/review/cases", headers=world.staff["director"])).status_code == 200
    assert (await world.client.get("/api/filings", headers=world.a.manager)).status_code == 200
    print(f"\nforged tokens: {len(FORGERIES)} forgeries x {len(DOORS)} doors, {tried} requests, {len(wrong)} not refused")
    assert not wrong, "\n".join(wrong)
