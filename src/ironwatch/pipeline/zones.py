"""Which IANA zone a zone-less timestamp is in: per sender address, network or host name."""

from __future__ import annotations

import ipaddress
from typing import Callable
from zoneinfo import ZoneInfo

from ..config import TimeSettings, zone


class ZoneResolver:
    """First matching ``time.sources`` rule wins; host-name rules apply once the parser found a host."""

    def __init__(self, settings: TimeSettings) -> None:
        self.default = zone(settings.default_zone)
        self._nets: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ZoneInfo]] = []
        self._hosts: dict[str, ZoneInfo] = {}
        for rule in settings.sources:
            try:
                self._nets.append((ipaddress.ip_network(rule.match, strict=False), zone(rule.zone)))
            except ValueError:
                self._hosts.setdefault(rule.match.lower(), zone(rule.zone))
        self._by_address: dict[str, Callable[[str | None], ZoneInfo]] = {}

    def all_utc(self) -> bool:
        """True when every source is in UTC (no per-source rule names another zone)."""
        return self.default.key == "UTC" and all(z.key == "UTC" for _, z in self._nets) and \
            all(z.key == "UTC" for z in self._hosts.values())

    def _address_zone(self, address: str) -> ZoneInfo:
        host = address.rsplit(":", 1)[0].strip("[]") if address.count(":") == 1 or address.startswith("[") else address
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return self.default
        for net, z in self._nets:
            if ip in net:
                return z
        return self.default

    def for_address(self, address: str) -> Callable[[str | None], ZoneInfo]:
        """A ``zone_for_host`` callable for messages from ``address`` (cached per address)."""
        fn = self._by_address.get(address)
        if fn is None:
            base = self._address_zone(address)
            hosts = self._hosts

            def fn(host: str | None, _base: ZoneInfo = base) -> ZoneInfo:
                if host and hosts:
                    return hosts.get(host.lower(), _base)
                return _base

            if len(self._by_address) > 100_000:
                self._by_address.clear()
            self._by_address[address] = fn
        return fn
