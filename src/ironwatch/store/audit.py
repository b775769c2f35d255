"""The audit trail of Ironwatch itself: who did what, when, from where, and how it ended.

Entries are append-only and hash-chained with ``store.integrity`` (each entry's link covers
its canonical JSON and the previous link). After every append the chain head (sequence
number and link) is signed with Ironwatch's Ed25519 key, kept in ``audit_head`` and written
to ``DATA/audit-head.json``, so an operator can keep heads elsewhere: an edited or deleted
entry breaks the chain (``verify`` names it), and deleting the newest entries is caught by
checking a head recorded earlier (``--expect-head``). Secrets never enter an entry:
``details`` passes through ``scrub`` first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from ..errors import IntegrityError
from ..timeutil import iso, now_us
from .integrity import GENESIS, Signer, link, verify_signature

HEAD_FILE = "audit-head.json"
_SECRET_KEYS = ("password", "token", "secret", "hash", "cookie", "csrf", "authorization")


REDACTED = "[redacted]"


def is_secret_name(name: str) -> bool:
    """Whether a key's name says its value could be a secret (password, token, hash, …)."""
    lowered = name.lower()
    return any(s in lowered for s in _SECRET_KEYS)


def scrub(details: dict[str, Any]) -> dict[str, Any]:
    """Details with anything that could be a secret replaced by a marker."""
    out: dict[str, Any] = {}
    for k, v in details.items():
        if is_secret_name(k):
            out[k] = REDACTED
        elif isinstance(v, dict):
            out[k] = scrub(v)
        else:
            out[k] = v
    return out


def canonical(seq: int, ts_us: int, actor: str, source: str, action: str, target: str | None,
              outcome: str, details: dict[str, Any] | None) -> bytes:
    return orjson.dumps({"seq": seq, "ts": ts_us, "actor": actor, "source": source, "action": action,
                         "target": target, "outcome": outcome, "details": details},
                        option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class AuditHead:
    seq: int
    link: str
    signature: str

    def text(self) -> str:
        return f"{self.seq}:{self.link}"


class AuditTrail:
    def __init__(self, con: duckdb.DuckDBPyConnection, data_dir: Path, signer: Signer) -> None:
        self.con = con
        self.data_dir = data_dir
        self.signer = signer
        self.seq, self.head = 0, GENESIS
        self.reload()

    def reload(self) -> None:
        """Re-read the head from the store (after a transaction that recorded entries rolled back)."""
        rows = self.con.execute("SELECT seq, link FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
        self.seq, self.head = (int(rows[0][0]), bytes.fromhex(rows[0][1])) if rows else (0, GENESIS)

    def record(self, actor: str, source: str, action: str, target: str | None = None,
               outcome: str = "success", details: dict[str, Any] | None = None) -> int:
        """Append one entry; returns its sequence number.

        It joins the caller's transaction when one is open, so an action and its record
        commit together; a caller that rolls back calls ``reload``.
        """
        clean = scrub(details) if details else None
        seq, ts = self.seq + 1, now_us()
        new_link = link(self.head, canonical(seq, ts, actor, source, action, target, outcome, clean))
        signature = self.signer.sign(f"{seq}:{new_link.hex()}".encode()).hex()
        self.con.execute(
            "INSERT INTO audit_log VALUES (?, make_timestamptz(?), ?, ?, ?, ?, ?, ?, ?)",
            [seq, ts, actor, source, action, target, outcome,
             orjson.dumps(clean).decode() if clean is not None else None, new_link.hex()])
        self.con.execute(
            "INSERT INTO audit_head VALUES (1, ?, ?, ?, now()) ON CONFLICT (id) DO UPDATE SET "
            "seq = excluded.seq, link = excluded.link, signature = excluded.signature, signed_at = excluded.signed_at",
            [seq, new_link.hex(), signature])
        self.seq, self.head = seq, new_link
        self._export(AuditHead(seq, new_link.hex(), signature))
        return seq

    def _export(self, head: AuditHead) -> None:
        path = self.data_dir / HEAD_FILE
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(orjson.dumps({"seq": head.seq, "link": head.link, "head": head.text(),
                                      "signature": head.signature,
                                      "public_key_sha256": self.signer.fingerprint()}, option=orjson.OPT_INDENT_2))
        os.replace(tmp, path)

    def list(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT seq, epoch_us(ts), actor, source, action, target, outcome, details FROM audit_log"
        params: list[Any] = []
        if action:
            sql += " WHERE action = ?"
            params.append(action)
        rows = self.con.cursor().execute(sql + " ORDER BY seq DESC LIMIT ?", [*params, limit]).fetchall()
        return [{"seq": r[0], "time": iso(r[1]), "actor": r[2], "source": r[3], "action": r[4], "target": r[5],
                 "outcome": r[6], "details": orjson.loads(r[7]) if r[7] else None} for r in rows]


def verify_trail(con: duckdb.DuckDBPyConnection, public_pem: bytes, expect_head: str | None = None) -> dict[str, Any]:
    """Check every entry's link, sequence, the signed head and (optionally) an earlier head.

    Raises ``IntegrityError`` naming the first entry that does not verify.
    """
    rows = con.execute("SELECT seq, epoch_us(ts), actor, source, action, target, outcome, details, link "
                       "FROM audit_log ORDER BY seq").fetchall()
    prev, expected_seq = GENESIS, 1
    links: dict[int, str] = {}
    for seq, ts, actor, source, action, target, outcome, details, recorded in rows:
        if seq != expected_seq:
            raise IntegrityError(f"audit entry {expected_seq} is missing (next is {seq}): entries were deleted")
        payload = canonical(seq, ts, actor, source, action, target, outcome, orjson.loads(details) if details else None)
        if link(prev, payload).hex() != recorded:
            raise IntegrityError(f"audit entry {seq} ({action} by {actor}) does not verify: it was edited, "
                                 f"or an entry before it was")
        prev, expected_seq = bytes.fromhex(recorded), seq + 1
        links[seq] = recorded
    last = len(rows)
    heads = con.execute("SELECT seq, link, signature FROM audit_head WHERE id = 1").fetchall()
    if heads:
        hseq, hlink, sig = heads[0]
        if (hseq, hlink) != (last, prev.hex() if last else hlink):
            raise IntegrityError(f"signed head {hseq}:{hlink[:16]}… does not match the last entry {last}")
        verify_signature(public_pem, bytes.fromhex(sig), f"{hseq}:{hlink}".encode())
    elif last:
        raise IntegrityError("the signed audit head is missing")
    if expect_head:
        seq_text, _, link_hex = expect_head.partition(":")
        if not link_hex:
            seq_text, link_hex = "", seq_text
        matches = [s for s, lk in links.items() if lk == link_hex.lower()]
        if not matches or (seq_text and int(seq_text) not in matches):
            raise IntegrityError(f"expected head {expect_head} is not in the audit trail: entries up to it were "
                                 f"deleted or rewritten (trail ends at {last})")
    return {"entries": last, "head": f"{last}:{prev.hex()}" if last else "0:", "verified": True}
