"""Every exception Ironwatch raises on purpose, in one tree.

    IronwatchError
    ├── ConfigError            bad or unknown setting (names the key and the file)
    ├── ParseError             an input record a parser cannot read (goes to the dead-letter store)
    ├── WalError               the write-ahead log is unreadable or its hash chain is broken
    │   └── WalCorruption      a batch whose checksum or chain link does not verify
    ├── IntegrityError         a hash chain or signature does not verify
    ├── AccessError            a user, password, token or role request is refused
    ├── StoreError             the event store refused an operation
    │   └── MigrationError     the store schema cannot be brought to this version
    ├── RuleError              a rule operation cannot be done (unknown rule id, unknown level)
    ├── ServerNotRunning       a CLI command needs ``ironwatch serve`` and it is not running
    ├── ServerBusy             the data directory is owned by a running server
    └── RemoteError            the server answered a CLI request with an error

Code raises the most specific class; nothing catches ``Exception`` to carry on silently.
"""

from __future__ import annotations


class IronwatchError(Exception):
    """Base of every error Ironwatch raises on purpose."""


class ConfigError(IronwatchError):
    """A configuration file or flag is invalid."""


class ParseError(IronwatchError):
    """A record cannot be parsed; the reason becomes the dead-letter reason."""

    def __init__(self, reason: str, parser: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.parser = parser


class WalError(IronwatchError):
    """The write-ahead log cannot be read or written."""


class WalCorruption(WalError):
    """A WAL batch fails its checksum or its hash-chain link."""


class IntegrityError(IronwatchError):
    """A hash chain or a signature does not verify."""


class AccessError(IronwatchError):
    """A request about users, passwords, tokens or roles is refused; the message says why."""


class StoreError(IronwatchError):
    """The event store refused an operation."""


class MigrationError(StoreError):
    """The store schema cannot be migrated to this version."""


class RuleError(IronwatchError):
    """A rule-management request cannot be done (unknown rule id, unknown level)."""


class ServerNotRunning(IronwatchError):
    """The command needs a running server and none answers on the data dir's socket."""


class ServerBusy(IronwatchError):
    """The data directory is locked by a running server."""


class RemoteError(IronwatchError):
    """The server answered a local request with an error."""
