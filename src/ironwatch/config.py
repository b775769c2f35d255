"""One settings model for every process, loaded from YAML and overridden by CLI flags.

Each setting is a dataclass field whose ``metadata["help"]`` is its documentation;
``docs/configuration.md`` is generated from it (``ironwatch config docs``) and a test keeps the
two in step. Unknown keys are a ``ConfigError`` that names the key and the file, so a typo
never silently falls back to a default.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .errors import ConfigError


def _s(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def _sub(cls: type, help: str) -> Any:
    return field(default_factory=cls, metadata={"help": help})


@dataclass
class HttpSettings:
    listen: str = _s("127.0.0.1:8080", "HTTPS API and console address, HOST:PORT or PORT.")
    tls: bool = _s(True, "Serve HTTPS. Plain HTTP is allowed only on a loopback address.")
    cert: str = _s("", "PEM certificate file; empty uses the self-signed one in the data dir.")
    key: str = _s("", "PEM private key file for `cert`.")
    max_body_bytes: int = _s(64 << 20, "Largest request body accepted by the ingest endpoint.")


@dataclass
class FormatPin:
    format: str = _s("", "Format the messages are read as (cef, leef, asa, fortigate, panos, kv, rfc5424, rfc3164, json, auditd, …).")
    sender: str = _s("", "Sender address or CIDR network it applies to; empty: every sender.")
    listener: str = _s("", "Listener it applies to (syslog-udp, syslog-tcp, syslog-tls); empty: every listener.")


@dataclass
class SyslogSettings:
    udp: str = _s("127.0.0.1:5514", "Syslog UDP address; empty disables the listener.")
    tcp: str = _s("127.0.0.1:5514", "Syslog TCP address (RFC 6587 octet counting or newline framing, detected per connection); empty disables.")
    tls: str = _s("127.0.0.1:6514", "Syslog over TLS address (RFC 5425); empty disables.")
    cert: str = _s("", "PEM certificate for syslog TLS; empty uses the self-signed one in the data dir.")
    key: str = _s("", "PEM private key for `cert`.")
    max_message_bytes: int = _s(64 * 1024, "Largest syslog message; longer ones are cut off, counted and dead-lettered.")
    udp_receive_buffer_bytes: int = _s(8 << 20, "Kernel receive buffer asked for on the UDP socket (SO_RCVBUFFORCE as root, else SO_RCVBUF).")
    max_connections: int = _s(4096, "Concurrent TCP/TLS connections accepted; more are refused.")
    idle_timeout_s: float = _s(3600.0, "Close a TCP/TLS connection that sent nothing for this long.")
    formats: list[FormatPin] = field(default_factory=list, metadata={"help": (
        "Pinned formats instead of per-message detection: list of {format, sender, listener}; the most specific "
        "match wins (the longest sender network, then a listener-only rule). E.g. a generic key=value device: "
        "{format: kv, sender: 10.20.0.7}.")})


@dataclass
class WalSettings:
    segment_bytes: int = _s(64 << 20, "Size at which a WAL segment file is closed and a new one started.")
    group_commit_ms: float = _s(2.0, "Longest wait to group appends into one fsync.")
    group_commit_bytes: int = _s(4 << 20, "Group size that triggers an fsync without waiting.")
    max_backlog_bytes: int = _s(2 << 30, "WAL bytes durable but not yet stored above which intake applies backpressure: TCP reads pause, UDP drops (counted), HTTP answers 503.")
    fsync: bool = _s(True, "fsync every group commit. Turn off only for throwaway benchmarks.")


@dataclass
class PipelineSettings:
    workers: int = _s(0, "Pipeline worker processes; 0 means CPU cores minus one, at least one.")
    batch_max_events: int = _s(50_000, "Most events a worker hands to the core in one batch.")
    batch_max_ms: float = _s(200.0, "Longest a worker waits to fill a batch before handing it over.")


@dataclass
class StoreSettings:
    retention_days: int = _s(0, "Drop hot day segments older than this many days; 0 keeps everything.")
    memory_limit: str = _s("512MB", "DuckDB memory_limit for the core process.")
    checkpoint_threshold: str = _s("256MB", "DuckDB checkpoint_threshold: how much of DuckDB's own log collects before it is folded into the database file. Larger is cheaper per event (fewer, better-compressed checkpoints) but makes a restart after a crash replay more.")
    threads: int = _s(1, "DuckDB worker threads. One is the most events per CPU second while intake and workers share the cores; raise it for heavy searches on a larger machine.")


@dataclass
class SourceZone:
    match: str = _s("", "Sender address, CIDR network, or host name (as in the message).")
    zone: str = _s("UTC", "IANA time zone for zone-less timestamps from this source.")


@dataclass
class TimeSettings:
    default_zone: str = _s("UTC", "IANA zone for zone-less timestamps when no source rule matches.")
    sources: list[SourceZone] = field(default_factory=list, metadata={"help": "Per-source zones: list of {match, zone}; the first match wins."})


@dataclass
class SelfMonitorSettings:
    interval_s: float = _s(10.0, "How often Ironwatch checks its own counters (UDP drops, backpressure, parse-error bursts).")
    parse_error_burst: int = _s(100, "Dead letters within one interval that raise a parse-error-burst event.")
    silent_factor: float = _s(20.0, "A source is silent after this many times its usual interval between events without one (source-silent event).")
    silent_min: str = _s("15m", "A source is never called silent after less than this.")
    silent_max: str = _s("24h", "A source quiet for this long is called silent, however rare its events usually are.")


@dataclass
class AuthSettings:
    session_idle: str = _s("30m", "A console session ends after this long without a request.")
    session_absolute: str = _s("12h", "A console session ends this long after login, however active.")
    lockout_failures: int = _s(5, "Failed logins for one (user, address) within `lockout_window` that lock that pair out.")
    lockout_window: str = _s("15m", "Window in which failed logins are counted.")
    lockout_base: str = _s("1m", "First lockout; each further lockout of the same pair doubles it, up to 1 h.")
    rate_per_token: float = _s(100.0, "Requests per second one API token may make (bursts up to 4x); more get 429.")
    rate_per_ingest_token: float = _s(2000.0, "Requests per second one token of role ingest may make (bursts up to 4x); shippers send many small batches, and the WAL's backpressure (503) protects the server.")
    rate_per_address: float = _s(50.0, "Requests per second one client address may make without a token (bursts up to 4x).")


@dataclass
class DetectionSettings:
    rules: list[str] = field(default_factory=list, metadata={"help": (
        "Sigma rule folders (or files) the pipeline workers run on every event. Empty: the data directory's "
        "`rules/` folder if it exists. Ironwatch ships no third-party rules; put SigmaHQ's or your own here.")})
    placeholders: dict[str, list[str]] = field(default_factory=dict, metadata={"help": (
        "Values of Sigma `%placeholder%` names (rules using the `expand` modifier): a mapping of name to a list of values, "
        "each may use Sigma wildcards. A rule whose placeholder has no values cannot run (`ironwatch rules check`).")})
    security_4688_as_process_creation: bool = _s(False, "Also run `process_creation` rules on Security 4688 events "
                                                  "(NewProcessName read as Image, …). Not in the Sigma specification: "
                                                  "Sysmon 1 and 4688 carry different fields.")

    def rule_paths(self, data_dir: Path) -> list[Path]:
        """The configured rule folders, or ``DATA/rules`` when none are configured and it exists."""
        if self.rules:
            return [Path(p).expanduser() for p in self.rules]
        default = data_dir / "rules"
        return [default] if default.is_dir() else []


@dataclass
class Settings:
    data_dir: str = _s("./data", "Directory for the WAL, store, keys, tokens and sockets.")
    http: HttpSettings = _sub(HttpSettings, "HTTP API and console.")
    syslog: SyslogSettings = _sub(SyslogSettings, "Syslog listeners.")
    wal: WalSettings = _sub(WalSettings, "Write-ahead log.")
    pipeline: PipelineSettings = _sub(PipelineSettings, "Pipeline workers.")
    store: StoreSettings = _sub(StoreSettings, "Embedded DuckDB store.")
    time: TimeSettings = _sub(TimeSettings, "Time zones of sources.")
    selfmon: SelfMonitorSettings = _sub(SelfMonitorSettings, "Self-monitoring events (dataset ironwatch.self).")
    auth: AuthSettings = _sub(AuthSettings, "Sessions, login protection and rate limits.")
    detection: DetectionSettings = _sub(DetectionSettings, "Sigma detection in the pipeline workers (compiled rules are cached in DATA/cache).")
    memory_cap_mb: int = _s(1024, "Resident memory the intake aims to stay under; over it, TCP reads pause and UDP drops. A quarter of it (at most 256 MiB) bounds messages waiting for the WAL writer.")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    def worker_count(self) -> int:
        return self.pipeline.workers or max(1, (os.cpu_count() or 2) - 1)


def _build(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        f = known[name]
        kwargs[name] = _coerce(f, value, f"{where}.{name}")
    return cls(**kwargs)


#: settings that are lists of sub-settings, by field name
_LISTS: dict[str, type] = {"sources": SourceZone, "formats": FormatPin}


def _coerce(f: Any, value: Any, where: str) -> Any:
    default = _default(f)
    if is_dataclass(default):
        return _build(type(default), value, where)
    if f.name in _LISTS:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list")
        return [_build(_LISTS[f.name], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise ConfigError(f"{where}: expected a list of text values")
        return [str(v) for v in value]
    if isinstance(default, dict):
        if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
            raise ConfigError(f"{where}: expected a mapping of names to lists of values")
        return {str(k): [str(x) for x in v] for k, v in value.items()}
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)) and not isinstance(value, bool):
        try:
            return type(default)(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from exc
    if isinstance(default, str):
        if not isinstance(value, (str, int)):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return str(value)
    raise ConfigError(f"{where}: unsupported value {value!r}")


def _default(f: Any) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def load_settings(config_file: str | None = None, data_dir: str | None = None) -> Settings:
    """Settings from ``config_file`` (YAML) if given, else ``DATA_DIR/ironwatch.yaml`` if present."""
    raw: dict[str, Any] = {}
    path: Path | None = Path(config_file) if config_file else None
    if path is None and data_dir and (Path(data_dir) / "ironwatch.yaml").is_file():
        path = Path(data_dir) / "ironwatch.yaml"
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
        raw = loaded or {}
    settings: Settings = _build(Settings, raw, str(path) if path else "settings")
    if data_dir:
        settings.data_dir = data_dir
    validate(settings)
    return settings


def validate(s: Settings) -> None:
    for addr_name in ("udp", "tcp", "tls"):
        value = getattr(s.syslog, addr_name)
        if value:
            parse_addr(value, f"syslog.{addr_name}")
    host, _ = parse_addr(s.http.listen, "http.listen")
    if not s.http.tls and not _is_loopback(host):
        raise ConfigError(f"http.tls: plain HTTP is only allowed on a loopback address (127.0.0.1, ::1 or "
                          f"localhost), not {host!r}")
    for section, where in ((s.http, "http"), (s.syslog, "syslog")):
        if bool(section.cert) != bool(section.key):
            given, missing = ("cert", "key") if section.cert else ("key", "cert")
            raise ConfigError(f"{where}.{given} is set but {where}.{missing} is not: a certificate needs its key")
    zone(s.time.default_zone)
    for src in s.time.sources:
        zone(src.zone)
    for i, pin in enumerate(s.syslog.formats):
        validate_pin(pin, f"syslog.formats[{i}]")


def validate_pin(pin: FormatPin, where: str) -> None:
    from .parsers.registry import check_format

    if not pin.format:
        raise ConfigError(f"{where}: format is required")
    try:
        check_format(pin.format)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if pin.sender:
        try:
            ipaddress.ip_network(pin.sender, strict=False)
        except ValueError as exc:
            raise ConfigError(f"{where}: sender is not an address or CIDR network: {pin.sender!r}") from exc
    if pin.listener and pin.listener not in ("syslog-udp", "syslog-tcp", "syslog-tls"):
        raise ConfigError(f"{where}: listener must be syslog-udp, syslog-tcp or syslog-tls, not {pin.listener!r}")


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address; host names other than localhost are not
    resolved (what a name resolves to can change after the check)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_addr(text: str, what: str = "address") -> tuple[str, int]:
    """``HOST:PORT``, ``[v6]:PORT`` or ``PORT`` (meaning 127.0.0.1)."""
    t = str(text).strip()
    host, port = "127.0.0.1", t
    if t.startswith("["):
        host, _, port = t[1:].partition("]:")
    elif ":" in t:
        host, _, port = t.rpartition(":")
    try:
        p = int(port)
    except ValueError as exc:
        raise ConfigError(f"{what}: not HOST:PORT or PORT: {text!r}") from exc
    if not 0 <= p <= 65535:
        raise ConfigError(f"{what}: port out of range: {text!r}")
    return host or "0.0.0.0", p


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown IANA time zone {name!r}") from exc


def iter_settings(obj: Any = None, prefix: str = "") -> Iterator[tuple[str, Any, str]]:
    """(dotted name, default, help) for every setting, in declaration order."""
    cls = Settings if obj is None else obj
    for f in fields(cls):
        default = _default(f)
        if is_dataclass(default):
            yield from iter_settings(type(default), f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", default, f.metadata.get("help", "")
