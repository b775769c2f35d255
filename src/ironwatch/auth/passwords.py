"""Password hashing (argon2id) and the password policy.

Hashes use argon2-cffi's defaults for argon2id (RFC 9106 low-memory profile). The policy
follows NIST SP 800-63B rather than composition folklore: a minimum length, a maximum, not
the user's own name, and not one of the passwords every attacker tries first.
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import AccessError

MIN_LENGTH = 12
MAX_LENGTH = 256
_COMMON = {"password1234", "123456789012", "qwertyuiop12", "adminadmin12", "changeme1234", "ironwatch123",
           "welcome12345", "passwordpassword", "letmein12345", "administrator"}

_hasher = PasswordHasher()


def check_policy(password: str, user: str) -> None:
    """Raises ``AccessError`` saying what is wrong with a proposed password."""
    if len(password) < MIN_LENGTH:
        raise AccessError(f"password too short: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise AccessError(f"password too long: at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if user and user.lower() in lowered:
        raise AccessError("password must not contain the user name")
    if lowered in _COMMON or len(set(password)) < 4:
        raise AccessError("password is too easy to guess")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def generate_password(length: int = 20) -> str:
    """A random password that passes the policy (letters, digits, a few symbols)."""
    alphabet = string.ascii_letters + string.digits + "-_.:+"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if len(set(candidate)) >= 8:
            return candidate


#: a fixed hash verified against when the user does not exist, so that a login attempt
#: takes as long for a wrong name as for a wrong password
DUMMY_HASH = _hasher.hash("not a real password, only for constant timing")
