"""Passwords: Argon2id hashes (argon2-cffi), verification, and the re-authentication every
signature asks for.

Parameters: OWASP's Password Storage Cheat Sheet minimum for Argon2id, 19 MiB memory, 2 passes,
parallelism 1 (about 35 ms a check on a small server). argon2-cffi's default (RFC 9106 low-memory:
64 MiB, 3 passes, 4 lanes) takes about 150 ms, over the 100 ms budget for saving and signing a
batch. Hashes carry their parameters, so raising them later re-hashes at the next login
(:func:`needs_rehash`).

``verify_password`` never raises for a wrong password; it answers False. The time a failed check
takes does not depend on whether the user exists (the service verifies against a dummy hash).
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import InputError

__all__ = ["hash_password", "verify_password", "needs_rehash", "check_new_password", "MIN_PASSWORD",
           "MAX_PASSWORD", "dummy_hash"]

MIN_PASSWORD = 10  # characters (NIST SP 800-63B: at least 8; we ask a little more)
MAX_PASSWORD = 200


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


def check_new_password(password: object, field: str = "password") -> str:
    allowed = f"{MIN_PASSWORD} to {MAX_PASSWORD} characters, no line breaks"
    if not isinstance(password, str):
        raise InputError("must be text", field=field, allowed=allowed)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(f"has {len(password)} characters", field=field, allowed=allowed)
    if any(not c.isprintable() for c in password):
        raise InputError("has a line break or control character", field=field, allowed=allowed)
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(check_new_password(password))


def verify_password(password_hash: str, password: object) -> bool:
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that takes as long as a real one."""
    return _hasher().hash("not-a-real-password-0")
