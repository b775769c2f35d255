"""The one integrity primitive: SHA-256 hash chains and Ed25519 signatures.

The WAL chains its batches with it, and the audit trail, archive manifests and report
signatures reuse it, so "this was received then and not changed since" is checked one way.
A chain link is ``sha256(previous_link || payload)``, starting from 32 zero bytes. The
signing key pair is created at first start in ``DATA/keys/`` (private key mode 0600); the
public key is exported as PEM for auditors (``ironwatch key export``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import IntegrityError

GENESIS = bytes(32)


def link(previous: bytes, payload: bytes) -> bytes:
    """The next link of a chain: SHA-256 over the previous link and the payload."""
    h = hashlib.sha256(previous)
    h.update(payload)
    return h.digest()


@dataclass
class HashChain:
    """A running chain head; ``append`` returns the new link."""

    head: bytes = GENESIS
    length: int = 0

    def append(self, payload: bytes) -> bytes:
        self.head = link(self.head, payload)
        self.length += 1
        return self.head


def verify_chain(entries: Iterable[tuple[str, bytes, bytes]], start: bytes = GENESIS) -> bytes:
    """Check ``(name, payload, recorded_link)`` entries in order; returns the final head.

    Raises ``IntegrityError`` naming the first entry whose recorded link does not follow from
    its predecessor and its payload (an edited, inserted, deleted or reordered entry).
    """
    head = start
    for name, payload, recorded in entries:
        expected = link(head, payload)
        if expected != recorded:
            raise IntegrityError(f"hash chain broken at {name}: recorded {recorded.hex()[:16]}…, "
                                 f"expected {expected.hex()[:16]}…")
        head = recorded
    return head


class Signer:
    """Ironwatch's Ed25519 key pair, kept in the data dir."""

    PRIVATE = "ironwatch-signing.key"
    PUBLIC = "ironwatch-signing.pub"

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> "Signer":
        keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(keys_dir, 0o700)
        path = keys_dir / cls.PRIVATE
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise IntegrityError(f"{path} is not an Ed25519 private key")
            return cls(key)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        signer = cls(key)
        (keys_dir / cls.PUBLIC).write_bytes(signer.public_pem())
        return signer

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_pem(self) -> bytes:
        return self._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    def fingerprint(self) -> str:
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()


def verify_signature(public_pem: bytes, signature: bytes, data: bytes) -> None:
    """Raises ``IntegrityError`` unless ``signature`` is the key's signature of ``data``."""
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise IntegrityError("not an Ed25519 public key")
    try:
        key.verify(signature, data)
    except InvalidSignature as exc:
        raise IntegrityError("signature does not verify") from exc
