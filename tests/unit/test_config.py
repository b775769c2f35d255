"""Settings: unknown keys, types, addresses, zones and the plain-HTTP rule are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.config import load_settings, parse_addr
from ironwatch.errors import ConfigError


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    f = tmp_path / "c.yaml"
    f.write_text(text)
    return load_settings(str(f))


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"syslog: unknown setting\(s\) udpp"):
        load(tmp_path, "syslog: {udpp: 1}\n")


def test_types_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="wal.fsync: expected true or false"):
        load(tmp_path, "wal: {fsync: maybe}\n")
    with pytest.raises(ConfigError, match="expected a number"):
        load(tmp_path, "pipeline: {workers: many}\n")


def test_plain_http_only_on_loopback(tmp_path: Path) -> None:
    assert load(tmp_path, "http: {tls: false, listen: '127.0.0.1:8080'}\n").http.tls is False
    with pytest.raises(ConfigError, match="plain HTTP is only allowed on a loopback"):
        load(tmp_path, "http: {tls: false, listen: '0.0.0.0:8080'}\n")


def test_zones_and_addresses(tmp_path: Path) -> None:
    s = load(tmp_path, "time: {default_zone: Europe/Berlin, sources: [{match: 10.0.0.0/8, zone: America/Chicago}]}\n")
    assert s.time.sources[0].zone == "America/Chicago"
    with pytest.raises(ConfigError, match="unknown IANA time zone"):
        load(tmp_path, "time: {default_zone: Mars/Olympus}\n")
    assert parse_addr("5514") == ("127.0.0.1", 5514)
    assert parse_addr("0.0.0.0:514") == ("0.0.0.0", 514)
    assert parse_addr("[::1]:6514") == ("::1", 6514)
    with pytest.raises(ConfigError):
        parse_addr("host:notaport")
