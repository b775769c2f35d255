"""ArcSight CEF: ``CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|key=value ...``.

The record is either bare or wrapped in a syslog header (RFC 5424 or RFC 3164): the text
before ``CEF:`` is read by the syslog parsers themselves (PRI, host, time), then the CEF
part is read here. Header fields undo ``\\|`` and ``\\\\``; an extension value runs until the
next `` key=`` and undoes ``\\=``, ``\\\\``, ``\\n`` and ``\\r``. Every extension key is kept
raw under ``cef.extensions.<key>``; a custom field with a label (``cs1Label=Zone cs1=OT``)
is also kept as ``cef.custom.<label>``; the common keys are mapped to ECS. The event time is
``rt``, else ``end``, else ``start``, else the syslog header's, else the receipt time; a time
field that cannot be read is refused rather than replaced. This module also holds what LEEF
shares with CEF: the device time formats (the syslog envelope is ``_envelope``).
"""

from __future__ import annotations

import ipaddress
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ParseError
from ..event import Event
from ._envelope import SYSLOG_PREFIX, open_envelope, read_syslog_envelope
from ._syslog_common import (
    MAX_US,
    RFC3339_LENIENT,
    civil_us,
    clock_us,
    days_in_month,
    fraction_us,
    local_to_utc_us,
    rfc3339_parts,
    utc_offset_us,
)
from .base import ParseContext
from .jsonlines import epoch_unit_us
from .rfc3164 import infer_year_us

NAME = "cef"

#: what the registry sniffs (and the columnar fast path refuses)
DETECT = (SYSLOG_PREFIX + r"CEF:\d+\|").encode()

_START = re.compile(SYSLOG_PREFIX + r"(CEF:(\d+)\|)", re.ASCII | re.DOTALL)
_HEADER_FIELD = re.compile(r"([^|\\]*(?:\\.[^|\\]*)*)\|", re.DOTALL)
_HEADER_UNESCAPE = re.compile(r"\\([|\\])")
_EXT_KEY = re.compile(r"(?:^| )([A-Za-z0-9_.\[\]-]+)=", re.ASCII)
_EXT_UNESCAPE = re.compile(r"\\([\\=nr])")
_EXT_ESCAPES = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

SEVERITY_WORDS = {"unknown": None, "low": 3, "medium": 6, "high": 8, "very-high": 10,
                  "very high": 10, "veryhigh": 10}
_HEADER_NAMES = ("Device Vendor", "Device Product", "Device Version", "Signature ID", "Name",
                 "Severity")
TRANSPORTS = {"1": "icmp", "6": "tcp", "17": "udp", "47": "gre", "50": "esp", "58": "ipv6-icmp",
               "132": "sctp"}
OUTCOMES = ("success", "failure", "unknown")
#: extension key → ECS field, for values copied as text
ECS_TEXT = {
    "act": "event.action", "dvchost": "observer.hostname", "shost": "source.domain",
    "dhost": "destination.domain", "smac": "source.mac", "dmac": "destination.mac",
    "suser": "source.user.name", "duser": "destination.user.name", "request": "url.original",
    "requestMethod": "http.request.method", "fname": "file.name", "filePath": "file.path",
    "app": "network.protocol",
}
ECS_IP = {"src": "source.ip", "dst": "destination.ip", "dvc": "observer.ip"}
ECS_PORT = {"spt": "source.port", "dpt": "destination.port"}
TIME_KEYS: tuple[tuple[str, str | None], ...] = (("rt", None), ("end", "event.end"), ("start", "event.start"))


class CefParser:
    """Reads one CEF record, bare or after a syslog header, into ECS and ``cef.*`` fields."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        text, m, event = open_envelope(raw, _START, ctx, NAME,
                                      "no 'CEF:<version>|' at the start or after a syslog header")
        version = m.group(2)
        if version not in ("0", "1"):
            raise ParseError(f"unsupported CEF version {version[:8]} (0 and 1 are known)",
                             parser=NAME)
        header, extension = _split_header(text, m.end())
        vendor, product, device_version, signature, name, severity = header
        event.update({
            "event.kind": "event", "event.dataset": NAME, "cef.version": version,
            "observer.vendor": vendor, "observer.product": product,
            "observer.version": device_version, "event.code": signature, "cef.name": name,
            "cef.severity": severity,
        })
        level = severity_level(severity)
        if level is not None:
            event["event.severity"] = level
        if name:
            event["message"] = name
        extensions = parse_extension(extension)
        for key, value in extensions.items():
            event[f"cef.extensions.{key}"] = value
        _custom_labels(extensions, event)
        _map_ecs(extensions, event, ctx)
        return event


def _split_header(text: str, pos: int) -> tuple[list[str], str]:
    parts = text[pos:].split("|", len(_HEADER_NAMES))
    if len(parts) >= len(_HEADER_NAMES) and not any("\\" in part for part in parts[:len(_HEADER_NAMES)]):
        # no escapes: a plain split reads the same fields (Severity may lack its closing '|')
        return parts[:len(_HEADER_NAMES)], parts[len(_HEADER_NAMES)] if len(parts) > len(_HEADER_NAMES) else ""
    fields: list[str] = []
    while len(fields) < len(_HEADER_NAMES):
        m = _HEADER_FIELD.match(text, pos)
        if m is None:
            if len(fields) == len(_HEADER_NAMES) - 1 and "|" not in text[pos:]:
                fields.append(text[pos:])  # Severity without the closing '|': no extension
                pos = len(text)
                break
            raise ParseError(f"CEF header ends before {_HEADER_NAMES[len(fields)]}"
                             " (expected 7 '|'-separated fields)", parser=NAME)
        value = m.group(1)
        fields.append(_HEADER_UNESCAPE.sub(r"\1", value) if "\\" in value else value)
        pos = m.end()
    return fields, text[pos:]


def parse_extension(text: str) -> dict[str, str]:
    """``key=value`` pairs of a CEF extension; a value runs until the next `` key=``."""
    text = text.strip(" ")
    if not text:
        return {}
    # the pattern captures the key, so the split alternates: text before the first key, key, value, ...
    parts = _EXT_KEY.split(text)
    if len(parts) < 3 or parts[0]:
        raise ParseError(f"CEF extension does not start with key=value: {text[:40]!r}",
                         parser=NAME)
    values = parts[2::2]
    if "\\" in text:
        values = [_EXT_UNESCAPE.sub(_ext_unescape, value) if "\\" in value else value for value in values]
    return dict(zip(parts[1::2], values))  # a key given twice: the later value wins


def _ext_unescape(m: re.Match[str]) -> str:
    return _EXT_ESCAPES[m.group(1)]


def severity_level(text: str) -> int | None:
    """CEF Severity as ``event.severity`` 0-10: the number, or the top of a named band."""
    word = text.strip()
    if word.isascii() and word.isdigit():
        level = int(word)
        return level if level <= 10 else None
    return SEVERITY_WORDS.get(word.lower())


def label_field(label: str) -> str | None:
    """A custom label as a field name part: runs of other characters than ``[A-Za-z0-9_-]``
    become ``_``; ``None`` when nothing is left."""
    name = _LABEL_UNSAFE.sub("_", label).strip("_")
    return name or None


def _custom_labels(extensions: dict[str, str], event: Event) -> None:
    for key, label in extensions.items():
        if not key.endswith("Label") or key == "Label":
            continue
        base = key[:-len("Label")]
        name = label_field(label)
        if base in extensions and name is not None:
            event[f"cef.custom.{name}"] = extensions[base]


def _map_ecs(ext: dict[str, str], event: Event, ctx: ParseContext) -> None:
    if "msg" in ext:
        event["message"] = ext["msg"]
    map_fields(ext, event, ECS_TEXT, ECS_IP, ECS_PORT)
    user = ext.get("suser") or ext.get("duser")
    if user:
        event["user.name"] = user
    if ext.get("proto"):
        event["network.transport"] = transport(ext["proto"])
    outcome = event_outcome(ext.get("outcome", ""))
    if outcome is not None:
        event["event.outcome"] = outcome
    host = zone_host(event, ext.get("dvchost"))
    found_time = False
    for key, target in TIME_KEYS:
        if key in ext:
            us = device_time_us(ext[key], key, host, event, ctx, NAME)
            if target is not None:
                event[target] = us
            if not found_time:
                event["@timestamp"] = us
                found_time = True


def event_outcome(text: str) -> str | None:
    """``event.outcome`` of an ``outcome`` value (``/Failure`` → ``failure``), None when unknown."""
    outcome = text.strip().lstrip("/").lower()
    return outcome if outcome in OUTCOMES else None


def zone_host(event: Event, device_host: str | None) -> str | None:
    """The host name whose configured zone applies: the syslog header's, else the device's."""
    host = event.get("host.name")
    return host if isinstance(host, str) else device_host or None


def map_fields(values: dict[str, str], event: Event, text: dict[str, str], ips: dict[str, str],
               ports: dict[str, str]) -> None:
    """Copy vendor keys to ECS fields by three tables: as text, as a valid IP, as a valid port."""
    for key, field in text.items():
        if values.get(key):
            event[field] = values[key]
    for key, field in ips.items():
        ip = valid_ip(values.get(key))
        if ip is not None:
            event[field] = ip
    for key, field in ports.items():
        port = valid_port(values.get(key))
        if port is not None:
            event[field] = port


#: a dotted-quad IPv4 address exactly as ``ipaddress`` writes it (no leading zeros): such a
#: text is its own canonical form, so only other texts (IPv6, invalid) need ``ipaddress``
IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(IPV4, re.ASCII)


def valid_ip(text: str | None) -> str | None:
    """The address in ``text`` (spaces around it ignored) as ``ipaddress`` writes it, or None."""
    if not text:
        return None
    text = text.strip()
    if _IPV4.fullmatch(text):
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def valid_port(text: str | None) -> int | None:
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535:
        return int(text)
    return None


def transport(text: str) -> str:
    word = text.strip().lower()
    return TRANSPORTS.get(word, word)


# --- device times ------------------------------------------------------------------------

_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    start=1)}
_EPOCH = re.compile(r"\d{1,19}", re.ASCII)
#: MMM dd [yyyy] HH:mm:ss[.SSS] [zone]
_DEVICE_TIME = re.compile(
    r"([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?: (\S+))?",
    re.ASCII)


def month_number(name: str) -> int | None:
    """1-12 for an English three-letter month name (any case)."""
    return _MONTHS.get(name.lower())


def device_time_us(text: str, key: str, host: str | None, event: Event, ctx: ParseContext,
                   parser: str) -> int:
    """A device time (epoch ms, ``MMM dd [yyyy] HH:mm:ss[.SSS] [zone]`` or ISO 8601) in µs.

    Epoch numbers are milliseconds as CEF says, but a number of another size (seconds,
    µs, ns) is read by its size as the JSON parser does. Zone-less times are local to the
    sender, in the zone configured for ``host``.
    """
    stripped = text.strip()
    if _EPOCH.fullmatch(stripped):
        value = int(stripped)
        scale = epoch_unit_us(value)
        us = value * int(scale) if scale >= 1 else value // 1000
    elif (m := _DEVICE_TIME.fullmatch(stripped)) is not None:
        us = _calendar_us(m, key, host, event, ctx, parser)
    elif (iso := RFC3339_LENIENT.fullmatch(stripped)) is not None:
        wall_us, offset_us = rfc3339_parts(iso, parser)
        us = wall_us - offset_us if offset_us is not None else _local(wall_us, host, event, ctx)
    else:
        raise ParseError(f"field {key!r} is not a time: {text[:40]!r}", parser=parser)
    if not 0 <= us < MAX_US:
        raise ParseError(f"field {key!r} is outside 1970..9999: {text[:40]!r}", parser=parser)
    return us


def _calendar_us(m: re.Match[str], key: str, host: str | None, event: Event,
                 ctx: ParseContext, parser: str) -> int:
    month_name, day_text, year_text, clock, fraction, zone_text = m.groups()
    day_us = clock_us(clock, m.group(0), parser) + fraction_us(fraction)
    return civil_time_us(int(year_text) if year_text else None, _MONTHS.get(month_name.lower()),
                         int(day_text), day_us, zone_text, key, host, event, ctx, parser)


def civil_time_us(year: int | None, month: int | None, day: int, day_us: int,
                  zone_text: str | None, key: str, host: str | None, event: Event,
                  ctx: ParseContext, parser: str) -> int:
    """A calendar time read from field ``key`` as UTC µs.

    ``zone_text`` may be a fixed offset (``Z``, ``UTC``, ``+01:00``, ``GMT+0100``) or an
    IANA name; without it the zone configured for ``host`` applies. A missing year is
    inferred as RFC 3164 does.
    """
    check_year = 2000 if year is None else year  # without a year: 2000 allows Feb 29
    if month is None or check_year == 0 or not 1 <= day <= days_in_month(check_year, month):
        raise ParseError(f"field {key!r} has an invalid date", parser=parser)
    if zone_text is not None:
        offset = _fixed_offset_us(zone_text)
        if offset is not None:
            if year is None:
                raise ParseError(f"field {key!r} has a zone but no year", parser=parser)
            return civil_us(year, month, day, day_us) - offset
        zone = _named_zone(zone_text, key, parser)
        event["event.timezone"] = zone.key
    else:
        zone = _zone(host, event, ctx)
    if year is not None:
        return local_to_utc_us(civil_us(year, month, day, day_us), zone)
    return infer_year_us(month, day, day_us, zone, ctx.received_us)


def _fixed_offset_us(text: str) -> int | None:
    upper = text.upper()
    if upper in ("Z", "UTC", "GMT"):
        return 0
    for prefix in ("UTC", "GMT"):
        if upper.startswith(prefix):
            text = text[len(prefix):]
    if re.fullmatch(r"[+-]\d{2}(?::?\d{2})?", text, re.ASCII):
        return utc_offset_us(text)
    return None


def _named_zone(text: str, key: str, parser: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ParseError(f"field {key!r} has an unknown time zone {text[:40]!r}",
                         parser=parser) from exc


def _zone(host: str | None, event: Event, ctx: ParseContext) -> ZoneInfo:
    zone = ctx.zone_for_host(host)
    event["event.timezone"] = zone.key
    return zone


def _local(wall_us: int, host: str | None, event: Event, ctx: ParseContext) -> int:
    return local_to_utc_us(wall_us, _zone(host, event, ctx))



__all__ = [
    "DETECT",
    "ECS_IP",
    "ECS_PORT",
    "ECS_TEXT",
    "IPV4",
    "OUTCOMES",
    "SYSLOG_PREFIX",
    "TIME_KEYS",
    "TRANSPORTS",
    "CefParser",
    "civil_time_us",
    "device_time_us",
    "event_outcome",
    "label_field",
    "month_number",
    "parse_extension",
    "read_syslog_envelope",
    "severity_level",
    "transport",
    "valid_ip",
    "valid_port",
    "zone_host",
]
