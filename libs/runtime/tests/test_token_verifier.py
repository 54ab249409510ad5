"""Identity's tokens verified once, then remembered (issue 16): the same token is not
checked again while valid, and never accepted past its expiry, with another scope, or
altered."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from certreg_runtime.auth import ONBOARDING_SCOPE, TokenVerifier
from certreg_runtime.errors import Unauthenticated
from certreg_runtime.tokens import SigningKey, issue_token, jwks

KEY = SigningKey.generate()


def verifier() -> TokenVerifier:
    keys = jwks([KEY])
    return TokenVerifier(lambda refresh=False: keys, issuer="certreg-identity", audience="certreg")


def token(ttl: timedelta = timedelta(minutes=5), **claims: object) -> str:
    return issue_token(KEY, subject=uuid.uuid4(), issuer="certreg-identity", audience="certreg", ttl=ttl, **claims)  # type: ignore[arg-type]


def test_a_token_is_verified_once_then_remembered() -> None:
    v = verifier()
    t = token(roles=["depositor"], email="jeanne@example.fr")
    first = v.verify(t)
    assert [v.verify(t) for _ in range(50)] == [first] * 50
    assert v.verifications == 1
    assert first.roles == frozenset({"depositor"}) and first.email == "jeanne@example.fr"


def test_a_remembered_token_is_refused_once_expired() -> None:
    v = verifier()
    t = token(ttl=timedelta(seconds=3))  # exp is whole seconds: valid for 2 s at least
    v.verify(t)
    time.sleep(3.2)
    with pytest.raises(Unauthenticated, match="expiré"):
        v.verify(t)


def test_a_remembered_token_is_refused_for_another_scope() -> None:
    v = verifier()
    t = token()
    v.verify(t)
    with pytest.raises(Unauthenticated, match="pour cette opération"):
        v.verify(t, scope=ONBOARDING_SCOPE)


def test_an_altered_token_is_verified_afresh_and_refused() -> None:
    v = verifier()
    t = token()
    v.verify(t)
    header, payload, signature = t.split(".")
    altered = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    with pytest.raises(Unauthenticated, match="invalide"):
        v.verify(altered)
    assert v.verifications == 2


def test_remembering_is_bounded() -> None:
    v = verifier()
    v.VERIFIED_MAX = 3
    tokens = [token() for _ in range(5)]
    for t in tokens:
        v.verify(t)
    v.verify(tokens[0])  # dropped (least recently used): verified again
    assert v.verifications == 6


def test_the_signing_key_is_loaded_once_not_for_every_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a PEM checks the RSA key, ~30 ms of CPU holding the GIL: done for every token,
    it made logins drain for 82 s after 500 of them (issue 16)."""
    import jwt.algorithms
    from cryptography.hazmat.primitives import serialization

    loads: list[bytes] = []
    load = serialization.load_pem_private_key

    def counted(data: bytes, *args: object, **kwargs: object) -> object:
        loads.append(data)
        return load(data, *args, **kwargs)  # type: ignore[arg-type]

    # where the platform loads it, and where PyJWT would if given the PEM
    monkeypatch.setattr(jwt.algorithms, "load_pem_private_key", counted)
    monkeypatch.setattr(serialization, "load_pem_private_key", counted)
    key = SigningKey.generate()
    claims = {"issuer": "certreg-identity", "audience": "certreg", "ttl": timedelta(minutes=5)}
    issued = [issue_token(key, subject=uuid.uuid4(), **claims) for _ in range(5)]  # type: ignore[arg-type]
    assert len(loads) <= 1, f"the key's PEM was loaded {len(loads)} times for 5 tokens"
    # and the tokens are still good
    keys = jwks([key])
    v = TokenVerifier(lambda refresh=False: keys, issuer="certreg-identity", audience="certreg")
    assert all(v.verify(t) for t in issued)
