"""What the first start of a data directory creates: the ingest token and the signing key.

The token is printed once, saved to ``DATA/ingest.token`` (mode 0600) for shippers and
scripts, and stored only as its SHA-256 (tokens are 256-bit random, so a fast hash is
enough; passwords get argon2 in the access-control layer).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from ..auth.directory import new_token, token_hash
from ..store.hot import EventStore
from ..store.integrity import Signer

TOKEN_FILE = "ingest.token"




def write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


def ensure_first_start(store: EventStore, data_dir: Path) -> None:
    signer_new = not (data_dir / "keys" / Signer.PRIVATE).exists()
    signer = Signer.load_or_create(data_dir / "keys")
    if signer_new:
        print(f"ironwatch: created signing key, public key {data_dir / 'keys' / Signer.PUBLIC} "
              f"(SHA-256 {signer.fingerprint()})", flush=True)
    row = store.con.execute("SELECT count(*) FROM api_tokens WHERE role = 'ingest' AND revoked IS NULL").fetchall()
    if row and row[0][0]:
        return
    token = new_token()
    store.con.execute("INSERT INTO api_tokens (id, name, role, token_hash, created_by) VALUES (?, ?, ?, ?, ?)",
                      [str(uuid.uuid4()), "ingest (first start)", "ingest", token_hash(token), "first-start"])
    write_secret(data_dir / TOKEN_FILE, token)
    print(f"ironwatch: ingest token (shown once, saved to {data_dir / TOKEN_FILE}): {token}", flush=True)
