"""Settings: unknown keys, types, addresses, zones, the plain-HTTP rule and certificate pairs are clear errors."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from access_env import Env, run
from ironwatch.config import load_settings, parse_addr
from ironwatch.core.intake_client import IntakeClient
from ironwatch.errors import ConfigError
from ironwatch.tlscert import ensure_self_signed
from ironwatch.web.server import start_http
from tests.conftest import free_port


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


def test_https_by_default_and_plain_http_only_on_loopback(tmp_path: Path) -> None:
    assert load(tmp_path, "{}\n").http.tls is True
    for listen in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "8080"):
        assert load(tmp_path, f"http: {{tls: false, listen: '{listen}'}}\n").http.tls is False
    for listen in ("0.0.0.0:8080", "10.1.2.3:8080", "[::]:8080", ":8080"):
        with pytest.raises(ConfigError, match="plain HTTP is only allowed on a loopback"):
            load(tmp_path, f"http: {{tls: false, listen: '{listen}'}}\n")
    # a host name is not resolved (it could point elsewhere later): a clear error, not a crash
    with pytest.raises(ConfigError, match="plain HTTP is only allowed on a loopback address .* not 'myhost'"):
        load(tmp_path, "http: {tls: false, listen: 'myhost:8080'}\n")
    assert load(tmp_path, "http: {listen: 'myhost:8443'}\n").http.listen == "myhost:8443"  # fine with TLS


@pytest.mark.parametrize("section", ["http", "syslog"])
def test_a_certificate_needs_its_key(tmp_path: Path, section: str) -> None:
    s = load(tmp_path, f"{section}: {{cert: /etc/ironwatch/site.crt, key: /etc/ironwatch/site.key}}\n")
    assert getattr(s, section).cert == "/etc/ironwatch/site.crt"
    with pytest.raises(ConfigError, match=f"{section}.cert is set but {section}.key is not"):
        load(tmp_path, f"{section}: {{cert: /etc/ironwatch/site.crt}}\n")
    with pytest.raises(ConfigError, match=f"{section}.key is set but {section}.cert is not"):
        load(tmp_path, f"{section}: {{key: /etc/ironwatch/site.key}}\n")


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


@pytest.mark.parametrize("configured", [True, False], ids=["configured-cert", "self-signed"])
def test_https_serves_the_configured_certificate(env: Env, tmp_path: Path, configured: bool) -> None:
    settings = env.service.settings
    settings.http.listen = f"127.0.0.1:{free_port()}"
    if configured:
        cert, key, _ = ensure_self_signed(tmp_path / "site-ca")  # a pair made elsewhere, as a plant's CA would
        settings.http.cert, settings.http.key = str(cert), str(key)
        expected = cert
    else:
        expected = tmp_path / "tls" / "ironwatch.crt"

    async def served() -> str:
        http = await start_http(settings, env.service, IntakeClient(tmp_path))
        try:
            port = int(settings.http.listen.rsplit(":", 1)[1])
            return await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", port))
        finally:
            await http.stop()

    pem = run(served())
    assert ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(expected.read_text())
    # a configured pair replaces the self-signed one, which is then not even created
    assert (tmp_path / "tls" / "ironwatch.crt").exists() is not configured
