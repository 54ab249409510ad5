"""Verifying identity's tokens in every service: signature against the JWKS, expiry,
issuer, audience, scope; then roles and entity scope on each route."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from certreg_contracts.types import STAFF_ROLES
from certreg_runtime.errors import Unauthenticated, Unavailable

ALGORITHM = "RS256"
ACCESS_SCOPE = "access"
ONBOARDING_SCOPE = "onboarding"


@dataclass(frozen=True)
class Principal:
    account_id: uuid.UUID
    email: str
    roles: frozenset[str]
    entity_id: uuid.UUID | None
    scope: str
    name: str = ""

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def may_see_entity(self, entity_id: uuid.UUID | str | None) -> bool:
        """Staff see every entity; a depositor only their own."""
        if self.is_staff:
            return True
        return entity_id is not None and self.entity_id is not None and str(self.entity_id) == str(entity_id)


def unauthorized(detail: str = "Authentification requise.") -> Unauthenticated:
    return Unauthenticated(detail)


class HttpJwks:
    """Identity's public keys fetched over HTTP and cached; refreshed when an unknown
    key id shows up (key rotation), at most every few seconds."""

    def __init__(self, url: str | list[str], ttl: float = 300.0) -> None:
        """``url``: or several (identity's load-balanced set), tried in turn."""
        self.urls = [url] if isinstance(url, str) else list(url)
        self.ttl = ttl
        self._keys: dict[str, Any] = {}
        self._fetched = 0.0
        self._lock = threading.Lock()

    def __call__(self, refresh: bool = False) -> dict[str, Any]:
        with self._lock:
            age = time.monotonic() - self._fetched
            if not self._keys or age > self.ttl or (refresh and age > 5):
                for index, url in enumerate(self.urls):
                    try:
                        response = httpx.get(url, timeout=5)
                        response.raise_for_status()
                    except httpx.HTTPError:
                        if index + 1 == len(self.urls):
                            raise
                        continue
                    self._keys = response.json()
                    self._fetched = time.monotonic()
                    break
            return self._keys


JwksSource = Callable[..., dict[str, Any]]


class TokenVerifier:
    """Verifies a token once, then remembers it (issue 16: the RS256 check and the key
    built from its JWK cost ~0.2 ms of CPU per request, /me's route body less than
    that). A token already verified is taken as is for ``VERIFIED_TTL`` seconds at most,
    never past its own ``exp`` (checked at each use); ``VERIFIED_MAX`` tokens at most
    are kept, the least recently used dropped first. Only the exact same string hits:
    anything altered is verified afresh, and the scope is checked at every use."""

    VERIFIED_TTL = 60.0
    VERIFIED_MAX = 4096

    def __init__(self, jwks: JwksSource, *, issuer: str, audience: str) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        # token -> (principal, its exp as a Unix time, monotonic time it was verified)
        self._verified: OrderedDict[str, tuple[Principal, float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.verifications = 0  # signatures checked (tests and figures)

    def _key(self, kid: str | None) -> Any:
        for refresh in (False, True):
            try:
                keys = self.jwks(refresh=refresh)
            except Exception as exc:
                raise Unavailable("Service d'identité injoignable.", code="identity_unavailable") from exc
            for jwk in keys.get("keys", []):
                if jwk.get("kid") == kid:
                    return jwt.PyJWK(jwk, algorithm=ALGORITHM).key
        raise unauthorized("Jeton invalide.")

    def verify(self, token: str, *, scope: str = ACCESS_SCOPE) -> Principal:
        principal = self._remembered(token)
        if principal is None:
            principal = self._verify(token)
        return _in_scope(principal, scope)

    def remembered(self, token: str, *, scope: str = ACCESS_SCOPE) -> Principal | None:
        """The principal of a token verified before and still remembered (no I/O, no
        signature check: fit for the event loop), or None when it must be verified
        (``verify``, which may fetch the JWKS). The scope is checked all the same."""
        principal = self._remembered(token)
        return None if principal is None else _in_scope(principal, scope)

    def _remembered(self, token: str) -> Principal | None:
        with self._lock:
            entry = self._verified.get(token)
            if entry is None:
                return None
            principal, expires, verified_at = entry
            if time.time() >= expires or time.monotonic() - verified_at > self.VERIFIED_TTL:
                del self._verified[token]
                return None  # verified again: "expired" comes from there
            self._verified.move_to_end(token)
            return principal

    def _verify(self, token: str) -> Principal:
        self.verifications += 1
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                self._key(header.get("kid")),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "scope"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("Jeton expiré.") from None
        except jwt.PyJWTError:
            raise unauthorized("Jeton invalide.") from None
        principal = _principal(claims)
        with self._lock:
            self._verified[token] = (principal, float(claims["exp"]), time.monotonic())
            while len(self._verified) > self.VERIFIED_MAX:
                self._verified.popitem(last=False)
        return principal


def _in_scope(principal: Principal, scope: str) -> Principal:
    if principal.scope != scope:
        raise unauthorized("Jeton invalide pour cette opération.")
    return principal


def _principal(claims: dict[str, Any]) -> Principal:
    """The claims of a verified token as a Principal; claims of the wrong shape (a
    subject or entity that is no id, roles that are no list of names) are an invalid
    token, never a server error."""
    try:
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ValueError("roles")
        entity = claims.get("entity_id")
        email, name = claims.get("email", ""), claims.get("name", "")
        if not isinstance(email, str) or not isinstance(name, str):
            raise ValueError("email or name")
        return Principal(
            account_id=uuid.UUID(str(claims["sub"])),
            email=email,
            roles=frozenset(roles),
            entity_id=uuid.UUID(str(entity)) if entity else None,
            scope=str(claims["scope"]),
            name=name,
        )
    except (KeyError, TypeError, ValueError):
        raise unauthorized("Jeton invalide.") from None


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise unauthorized()
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token:
        raise unauthorized()
    return token.strip()
