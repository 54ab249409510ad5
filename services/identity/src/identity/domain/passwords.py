"""Password rules and hashing (argon2id)."""

from __future__ import annotations

import string
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
# Verified against when the account does not exist, so that both cases take as long.
_DUMMY_HASH = _hasher.hash("certreg-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
