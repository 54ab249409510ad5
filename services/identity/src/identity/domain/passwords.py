"""Password rules and hashing (argon2id)."""

from __future__ import annotations

import os
import string
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from certreg_runtime.errors import Unavailable

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_CLASSES = 3
# The local part is only looked for when it is long enough to mean something.
MIN_LOCAL_PART = 3


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c in string.digits for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes)


def check_password(password: str, email: str | None = None) -> list[Failure]:
    """Every rule the password breaks (empty list: acceptable), with French messages."""
    failures: list[Failure] = []
    if len(password) < MIN_LENGTH:
        failures.append(Failure("password_too_short", f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."))
    if len(password) > MAX_LENGTH:
        failures.append(Failure("password_too_long", f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères."))
    if character_classes(password) < MIN_CLASSES:
        failures.append(
            Failure(
                "password_too_simple",
                "Le mot de passe doit mêler au moins 3 types de caractères parmi : minuscules, majuscules, chiffres, caractères spéciaux.",
            )
        )
    if email:
        local = email.rsplit("@", 1)[0].lower()
        if len(local) >= MIN_LOCAL_PART and local in password.lower():
            failures.append(
                Failure("password_contains_email", "Le mot de passe ne doit pas contenir la partie de votre adresse avant « @ ».")
            )
    return failures


# argon2id with OWASP's first recommended configuration (Password Storage Cheat Sheet:
# 19 MiB of memory, 2 iterations, 1 degree of parallelism): about 20–40 ms of one core and
# 19 MiB per hash. The library's default (RFC 9106 "low memory": 64 MiB, t=3, p=4) took
# identity to 2 GB under 40 parallel logins. A hash made with other parameters is
# verified with its own and replaced at the next successful login (``needs_rehash``).
MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)
# Verified against when the account does not exist, so that both cases take as long.
_DUMMY_HASH = _hasher.hash("certreg-dummy-password-for-timing")

T = TypeVar("T")

BUSY = "Trop de connexions simultanées : réessayez dans quelques secondes."


class HashingGate:
    """Hashes run in ``slots`` threads of their own (memory: slots × 19 MiB, and the
    allocator keeps freed hash memory only in those threads' arenas, not in one per
    worker thread); at most ``queue`` more wait, each for at most ``wait_seconds`` before
    it starts. Beyond, ``Unavailable`` (503, ``Retry-After``) at once, rather than more
    memory and a queue whose clients have long gone; a hash that waited too long is not
    computed at all."""

    def __init__(self, slots: int, *, queue: int, wait_seconds: float, retry_after: int = 2) -> None:
        self.slots = slots
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self._executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="password-hashing")
        self._lock = threading.Lock()
        self._pending = 0
        self.refused = 0  # for figures and tests

    def close(self) -> None:
        """Its threads end once the hashes under way are done."""
        self._executor.shutdown(wait=False)

    def _busy(self) -> Unavailable:
        with self._lock:
            self.refused += 1
        return Unavailable(BUSY, code="busy", retry_after=self.retry_after)

    def run(self, work: Callable[[], T]) -> T:
        with self._lock:
            full = self._pending >= self.slots + self.queue
            if not full:
                self._pending += 1
        if full:
            raise self._busy()
        submitted = time.monotonic()

        def job() -> T | _Expired:
            if time.monotonic() - submitted > self.wait_seconds:
                return _Expired()
            return work()

        try:
            result = self._executor.submit(job).result()
        finally:
            with self._lock:
                self._pending -= 1
        if isinstance(result, _Expired):
            raise self._busy()
        return result


class _Expired:
    """What a hash that waited too long for its slot gives instead of being computed."""


def _default_slots() -> int:
    return max(1, os.cpu_count() or 1)


gate = HashingGate(_default_slots(), queue=4 * _default_slots(), wait_seconds=2.0)


def configure_gate(slots: int | None, queue: int | None, wait_seconds: float) -> None:
    """The process's hashing gate (identity's settings, at start)."""
    global gate
    slots = slots or _default_slots()
    queue = queue if queue is not None else 4 * slots
    if (gate.slots, gate.queue, gate.wait_seconds) != (slots, queue, wait_seconds):
        old, gate = gate, HashingGate(slots, queue=queue, wait_seconds=wait_seconds)
        old.close()


def hash_password(password: str) -> str:
    return gate.run(lambda: _hasher.hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return gate.run(verify)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
