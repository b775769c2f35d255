"""Passwords: argon2id hashes, and the policy (length, not the user's name, not a guessable one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.auth.directory import UserDirectory
from ironwatch.auth.passwords import (MAX_LENGTH, MIN_LENGTH, check_policy, generate_password, hash_password,
                                      needs_rehash, verify_password)
from ironwatch.config import Settings
from ironwatch.errors import AccessError
from ironwatch.store.hot import EventStore


@pytest.mark.parametrize("password, reason", [
    ("", "too short"),
    ("Short-pw-1", "too short"),                       # 10 characters
    ("A" * (MAX_LENGTH + 1), "too long"),
    ("my-name-is-Operator7!", "must not contain the user name"),
    ("OPERATOR7-and-more", "must not contain the user name"),
    ("Password1234", "too easy to guess"),              # a common one, in any case
    ("administrator", "too easy to guess"),
    ("abababababababab", "too easy to guess"),         # fewer than four different characters
])
def test_policy_refuses_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(AccessError, match=reason):
        check_policy(password, "operator7")


@pytest.mark.parametrize("password", ["Plant-floor1", "Correct-horse-battery-9", "ab1-" * 64])
def test_policy_accepts_long_unguessable_passwords(password: str) -> None:
    assert MIN_LENGTH <= len(password) <= MAX_LENGTH
    check_policy(password, "operator7")


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(20):
        check_policy(generate_password(), "admin")


def test_hashes_are_argon2id_and_verify() -> None:
    stored = hash_password("Correct-horse-battery-9")
    assert stored.startswith("$argon2id$") and "Correct-horse-battery-9" not in stored
    assert verify_password(stored, "Correct-horse-battery-9")
    assert not verify_password(stored, "Correct-horse-battery-8")
    assert not verify_password("not a hash", "Correct-horse-battery-9")
    assert not needs_rehash(stored)


def test_the_directory_stores_argon2id_and_applies_the_policy(tmp_path: Path) -> None:
    store = EventStore(tmp_path, Settings().store)
    users = UserDirectory(store.con)
    users.add("olga", "viewer", "Viewer-of-the-plant-42", must_change=False, created_by="test")
    with pytest.raises(AccessError, match="too short"):
        users.add("piet", "viewer", "short", must_change=False, created_by="test")
    with pytest.raises(AccessError, match="user name"):
        users.set_password("olga", "Olga-at-the-control-room", must_change=False)
    with pytest.raises(AccessError, match="must differ"):
        users.set_password("olga", "Viewer-of-the-plant-42", must_change=False)
    users.set_password("olga", "Night-shift-operator-3", must_change=False)
    hashes = [r[0] for r in store.con.execute("SELECT password_hash FROM users").fetchall()]
    assert len(hashes) == 1 and hashes[0].startswith("$argon2id$")
    assert users.authenticate("olga", "Night-shift-operator-3") is not None
    assert users.authenticate("olga", "Viewer-of-the-plant-42") is None
    store.close()
