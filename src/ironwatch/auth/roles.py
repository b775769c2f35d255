"""The roles Ironwatch knows and what each may do (ISO 27001 A.5.15, A.8.2; IEC 62443 SR 2.1)."""

from __future__ import annotations

from ..errors import AccessError

ADMIN, ANALYST, VIEWER, AUDITOR, INGEST = "admin", "analyst", "viewer", "auditor", "ingest"

ROLES: dict[str, str] = {
    ADMIN: "everything, including users, tokens and configuration",
    ANALYST: "search, triage, cases and suppressions",
    VIEWER: "read-only status, dashboards and alerts (no search)",
    AUDITOR: "read-only, plus search, the audit trail and reports",
    INGEST: "only the ingest endpoints (log shippers)",
}

#: roles that may read events and status
READERS = (ANALYST, VIEWER, AUDITOR)
#: roles that may search events
SEARCHERS = (ANALYST, AUDITOR)
#: roles that may read the audit trail
AUDIT_READERS = (AUDITOR,)
#: roles a person can log in with (ingest is for machines: tokens only)
LOGIN_ROLES = (ADMIN, ANALYST, VIEWER, AUDITOR)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccessError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    return role
