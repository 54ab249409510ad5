"""The JWT signing keys, shared by every replica through the database."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from certreg_runtime.tokens import SigningKey, jwks
from identity.adapters.tables import SigningKeyRow

# How long a replica trusts its copy of the key list before reading it again.
CACHE_SECONDS = 60.0


class KeyRing:
    """Active signing keys, cached. ``ring()`` (or ``ring(refresh=True)``) is the JWKS,
    the shape ``certreg_runtime.auth.JwksSource`` expects; ``signing_key()`` signs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._jwks: dict[str, Any] = {"keys": []}
        self._loaded = 0.0

    def ensure(self) -> None:
        """At start: create a key unless one is active. If two replicas race, both keys
        are published and everyone signs with the oldest."""
        with Session(self._engine) as session:
            if session.exec(select(SigningKeyRow).where(SigningKeyRow.active == sa.true())).first() is None:
                key = SigningKey.generate()
                session.add(SigningKeyRow(kid=key.kid, private_pem=key.private_pem.decode("ascii"), created_at=datetime.now(UTC)))
                session.commit()
        self.reload()

    def reload(self) -> None:
        with Session(self._engine) as session:
            rows = session.exec(
                select(SigningKeyRow)
                .where(col(SigningKeyRow.active) == sa.true())
                .order_by(col(SigningKeyRow.created_at), col(SigningKeyRow.kid))
            ).all()
        keys = [SigningKey(kid=r.kid, private_pem=r.private_pem.encode("ascii")) for r in rows]
        document = jwks(keys)
        with self._lock:
            self._keys, self._jwks, self._loaded = keys, document, time.monotonic()

    def _fresh(self, refresh: bool) -> None:
        age = time.monotonic() - self._loaded
        # A refresh (unknown key id) reads the database at most every few seconds.
        if not self._keys or age > CACHE_SECONDS or (refresh and age > 5):
            self.reload()

    def __call__(self, refresh: bool = False) -> dict[str, Any]:
        self._fresh(refresh)
        return self._jwks

    def signing_key(self) -> SigningKey:
        self._fresh(False)
        if not self._keys:
            raise RuntimeError("identity has no active signing key")
        return self._keys[0]
