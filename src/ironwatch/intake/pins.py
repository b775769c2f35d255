"""Pinned formats (``syslog.formats``): which senders' messages skip per-message detection.

Applied by the intake when it accepts syslog messages, so the pin travels with the records
in the WAL (workers and ``deadletter replay`` read it from there). The most specific rule
wins: the longest sender network (a single address is /32 or /128), then a rule naming only
the listener. Lookups are cached per (listener, sender address).
"""

from __future__ import annotations

import ipaddress

from ..config import FormatPin

_Net = ipaddress.IPv4Network | ipaddress.IPv6Network
_CACHE_MAX = 100_000


def sender_ip(address: str) -> str:
    """The address part of ``ip:port`` / ``[v6]:port`` / a bare address."""
    if address.startswith("["):
        return address[1:].partition("]")[0]
    if address.count(":") == 1:
        return address.rpartition(":")[0]
    return address


class FormatPins:
    def __init__(self, pins: list[FormatPin]) -> None:
        nets: list[tuple[_Net, str, str]] = []
        self._listeners: dict[str, str] = {}
        self._any = ""
        for pin in pins:
            if pin.sender:
                nets.append((ipaddress.ip_network(pin.sender, strict=False), pin.listener, pin.format))
            elif pin.listener:
                self._listeners.setdefault(pin.listener, pin.format)
            elif not self._any:
                self._any = pin.format
        # most specific first: longest prefix, then rules bound to a listener
        self._nets = sorted(nets, key=lambda r: (-r[0].prefixlen, r[1] == ""))
        self._cache: dict[tuple[str, str], str] = {}

    def __bool__(self) -> bool:
        return bool(self._nets or self._listeners or self._any)

    def format_for(self, listener: str, address: str) -> str:
        """The pinned format for messages from ``address`` on ``listener``; "" detects per message."""
        key = (listener, address)
        found = self._cache.get(key)
        if found is None:
            found = self._lookup(listener, address)
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _lookup(self, listener: str, address: str) -> str:
        if self._nets:
            try:
                ip = ipaddress.ip_address(sender_ip(address))
            except ValueError:
                ip = None
            if ip is not None:
                for net, only, fmt in self._nets:
                    if (not only or only == listener) and ip.version == net.version and ip in net:
                        return fmt
        return self._listeners.get(listener, self._any)


__all__ = ["FormatPins", "sender_ip"]
