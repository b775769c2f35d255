"""``syslog.formats``: pinned formats per sender and listener, validated at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.config import FormatPin, load_settings
from ironwatch.errors import ConfigError
from ironwatch.intake.pins import FormatPins, sender_ip


def test_most_specific_rule_wins() -> None:
    pins = FormatPins([FormatPin("kv", "10.20.0.0/16"), FormatPin("cef", "10.20.3.17"),
                       FormatPin("leef", "10.20.3.0/24", "syslog-tls"), FormatPin("rfc5424", "", "syslog-tls"),
                       FormatPin("asa", "2001:db8::/32")])
    assert pins.format_for("syslog-tcp", "10.20.3.17:5140") == "cef"  # the /32 beats the /24 and /16
    assert pins.format_for("syslog-tls", "10.20.3.9:6000") == "leef"
    assert pins.format_for("syslog-tcp", "10.20.3.9:6000") == "kv"  # the /24 rule is only for TLS
    assert pins.format_for("syslog-tls", "10.30.0.1:6000") == "rfc5424"  # listener-only rule
    assert pins.format_for("syslog-udp", "10.30.0.1:514") == ""  # detect per message
    assert pins.format_for("syslog-udp", "[2001:db8::5]:514") == "asa"
    assert pins.format_for("syslog-udp", "not-an-address") == ""
    assert not FormatPins([]) and pins


def test_sender_ip() -> None:
    assert sender_ip("10.1.2.3:514") == "10.1.2.3" and sender_ip("[::1]:514") == "::1" and sender_ip("::1") == "::1"


@pytest.mark.parametrize("body,error", [
    ("{format: nope, sender: 10.0.0.1}", "unknown input format 'nope'"),
    ("{format: cef, sender: 10.0.0.300}", "not an address or CIDR"),
    ("{format: cef, listener: syslog-quic}", "listener must be"),
    ("{sender: 10.0.0.1}", "format is required"),
])
def test_bad_pins_are_named(tmp_path: Path, body: str, error: str) -> None:
    cfg = tmp_path / "ironwatch.yaml"
    cfg.write_text(f"syslog:\n  formats:\n    - {body}\n")
    with pytest.raises(ConfigError, match=error) as info:
        load_settings(str(cfg), data_dir=str(tmp_path))
    assert "syslog.formats[0]" in str(info.value)
